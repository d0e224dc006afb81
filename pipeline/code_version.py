"""A key for "the same code": what a stored result computed by this release may be reused under."""

from __future__ import annotations

import hashlib
import importlib.metadata
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

PIPELINE = Path(__file__).resolve().parent  # the pipeline package's folder


def code_key(extra: Iterable[Path] = (), packages: Iterable[str] = ()) -> str:
    """A hash of the source of the whole `pipeline` package, the `extra` files or folders, and the
    installed versions of `packages`.

    A result stored under one key is only reused while every line of code that may have computed it,
    and the libraries it computed with, are unchanged: any edit or upgrade gives another key.
    """
    return _key(tuple(sorted(Path(p).resolve() for p in extra)), tuple(packages))


@lru_cache(maxsize=16)
def _key(extra: tuple[Path, ...], packages: tuple[str, ...]) -> str:
    h = hashlib.blake2b(digest_size=20)
    for root in [PIPELINE, *extra]:
        for f in sorted(root.rglob("*.py")) if root.is_dir() else [root]:
            h.update(f"{f.relative_to(root.parent)}\0".encode("utf-8") + f.read_bytes())
    for package in packages:
        try:
            version = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            version = "absent"
        h.update(f"{package}=={version}\0".encode("utf-8"))
    return h.hexdigest()
