"""Deliveries: what one source hands a run, each with the fingerprint of its content.

A file source is one delivery (its bytes). A database source is one delivery (what the read
returned). An inbox source, a folder that daily exports are dropped into, is one delivery per file
matching its `pattern`, in name order; a delivery is known by its content, not its name:

- the same content twice in the folder (a re-delivery under a new name) is read once;
- a file whose content was ingested by an earlier run and whose accepted rows are all stored is
  skipped: re-delivering it, under its old name or a new one, changes nothing;
- a changed file under an old name is new content: its rows are upserted by id, its quarantine rows
  are kept with its own fingerprint, as for an export overwritten in place.
"""

from __future__ import annotations

import fnmatch
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipeline.errors import InputError
from pipeline.ingest.mapping import SourceFormat, SourceSpec
from pipeline.ingest.readers import read_source, resolve_path

# Files an inbox never reads: Excel's lock files (~$name.xlsx), hidden files, partial transfers.
_IGNORED = ("~$*", ".*", "*.tmp", "*.part", "*.partial", "*.crdownload")


def file_sha256(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes: tells one delivery of a file from the next at the same path."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@dataclass(frozen=True)
class Delivery:
    """One unit a source delivers: `read()` gives its raw rows (see `read_source`).

    Attributes:
        spec: the source's mapping entry (for an inbox file: with `path` set to that file).
        label: where the rows came from, as the quarantine's `file` column shows it.
        sha256: fingerprint of the content.
        inbox: True for a file of an inbox folder (skipped once ingested and stored).
        read: returns the raw rows.
    """

    spec: SourceSpec
    label: str
    sha256: str
    inbox: bool
    read: Callable[[], pd.DataFrame]


def inbox_files(spec: SourceSpec) -> list[Path]:
    """The files of an inbox folder that its `pattern` selects (default `*.<format>`), by name."""
    folder = resolve_path(spec, None)
    pattern = spec.pattern or f"*.{spec.format.value}"
    return sorted(
        p for p in folder.iterdir()
        if p.is_file() and fnmatch.fnmatch(p.name, pattern)
        and not any(fnmatch.fnmatch(p.name, ignored) for ignored in _IGNORED)
    )


def deliveries(spec: SourceSpec) -> list[Delivery]:
    """Every delivery of one source, content fingerprinted; the same content only once.

    Raises:
        InputError: a file source's file is missing (an empty inbox folder is not an error).
    """
    if spec.format == SourceFormat.SQL:
        from pipeline.ingest.sqlsource import content_sha256, describe, read_sql

        frame = read_sql(spec)
        return [Delivery(spec, describe(spec), content_sha256(frame), False, lambda: frame)]
    path = resolve_path(spec, None)
    if not path.is_dir():
        if spec.pattern is not None:
            raise InputError(f"`pattern` is given, so path must be a folder (source '{spec.name}')", file=path)
        if not path.is_file():
            raise InputError(f"file not found (source '{spec.name}')", file=path)
        return [Delivery(spec, str(path), file_sha256(path), False, lambda: read_source(spec))]
    out: list[Delivery] = []
    seen: set[str] = set()
    for file in inbox_files(spec):
        digest = file_sha256(file)
        if digest in seen:
            continue  # the same export delivered twice under two names
        seen.add(digest)
        one = spec.model_copy(update={"path": str(file)})
        out.append(Delivery(one, str(file), digest, True, lambda one=one: read_source(one)))
    return out


def content_digest(spec: SourceSpec) -> str:
    """One fingerprint of everything a source delivers now (for the run's resume key)."""
    h = hashlib.sha256()
    for d in deliveries(spec):
        h.update(f"{d.label}\t{d.sha256}\n".encode())
    return h.hexdigest()
