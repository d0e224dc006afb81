"""What makes a run safe to repeat: a lock per database, and persisted stage results to resume from.

A run's stages are keyed by a fingerprint of everything that decides their output: the source files'
bytes, the window, the taxonomy version, the embedder and the flow parameters. A run that crashed
after embedding is re-run with the same inputs: the stages already done load their persisted results
instead of running again, and the write, which is one transaction, runs once more. Any change to the
inputs changes the key, so a stale result is never reused.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

import pipeline
from pipeline.errors import VocError
from pipeline.ingest.inbox import content_digest
from pipeline.ingest.mapping import SourceFormat, SourcesConfig
from pipeline.ingest.readers import resolve_path
from pipeline.windows import Window


_FAILURE_NAME = re.compile(r"[0-9a-f]{32}")


class RunLockedError(VocError):
    """Another run holds the database."""


def _file_digest(path: Path) -> str:
    h = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def run_key(sources: SourcesConfig, window: Window, parts: dict[str, object]) -> str:
    """Fingerprint of a run's inputs: source bytes, window, and whatever else decides the output.

    Args:
        sources: the validated source mapping (paths already absolute).
        window: the run's window.
        parts: further deciding values, e.g. taxonomy version, embedder id, parameters as JSON.

    Returns:
        a 24-character hex key.
    """
    h = hashlib.blake2b(digest_size=12)
    h.update(f"voc-pipeline {pipeline.__version__}\n".encode())
    for spec in sources.sources:
        if spec.format == SourceFormat.SQL or Path(spec.path).is_dir():
            # A database or an inbox folder: the fingerprint of what it delivers now.
            h.update(f"{spec.name}\t{content_digest(spec)}\n".encode())
            continue
        path = resolve_path(spec, None)
        h.update(f"{spec.name}\t{path}\t{_file_digest(path)}\n".encode())
    h.update(f"window\t{window.key}\n".encode())
    for k in sorted(parts):
        h.update(f"{k}\t{parts[k]}\n".encode())
    return h.hexdigest()


def result_storage(results_dir: Path) -> Path:
    """Where stage results persist until the run that produced them has written its outputs.

    A plain path (Prefect stores results there as local files) rather than a storage block, which
    would first have to be saved on the server.
    """
    results_dir.mkdir(parents=True, exist_ok=True)
    return results_dir.resolve()


def stage_key(key: str, stage: str):
    """A cache key function giving stage `stage` of run `key` a fixed storage name."""
    name = f"{key}-{stage}"
    return lambda *_: name


def forget_results(results_dir: Path, key: str, before: float | None = None) -> int:
    """Delete the persisted stage results of a run whose outputs are written; returns files removed.

    Prefect also keeps the exception of each failed task there, under a random 32-hex name; those
    older than `before` (a time.time() value: the start of the run that just succeeded) go too.
    """
    if not results_dir.exists():
        return 0
    removed = 0
    stale = [p for p in results_dir.iterdir()
             if before is not None and _FAILURE_NAME.fullmatch(p.name) and p.stat().st_mtime < before]
    for p in [*results_dir.glob(f"{key}-*"), *stale]:
        if p.is_dir():
            shutil.rmtree(p, ignore_errors=True)
        else:
            p.unlink(missing_ok=True)
        removed += 1
    return removed


@contextmanager
def run_lock(target: Path | str, timeout_s: float, name: str = "run") -> Iterator[None]:
    """Hold the database's lock for the whole run, so two runs on one database never interleave.

    A DuckDB file is locked through `<file>.lock`, an OS file lock; a PostgreSQL database through a
    session advisory lock. Both are released when the process ends, even by a crash or kill -9, so a
    dead run never blocks the next one.

    Args:
        target: DuckDB file or SQLAlchemy URL.
        timeout_s: how long to wait for the lock.
        name: which runs exclude each other: "run" (daily, discover) or "redline" (the red-line scans,
            which must not wait an hour behind a daily run; `<file>.redline.lock`).

    Raises:
        RunLockedError: another run still holds it after `timeout_s` seconds.
    """
    if "://" in str(target):
        with _advisory_lock(str(target), timeout_s, name):
            yield
        return
    database = Path(target)
    database.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(database) + (".lock" if name == "run" else f".{name}.lock"))
    try:
        lock.acquire(timeout=timeout_s)
    except Timeout:
        raise _locked(database, timeout_s) from None
    try:
        yield
    finally:
        lock.release()


def _locked(what, timeout_s: float) -> RunLockedError:
    return RunLockedError(
        f"another run is writing {what} and still held its lock after {timeout_s:.0f} s; "
        "wait for it to finish (see the Prefect UI) or raise lock_timeout_s"
    )


def _pg_lock_key(name: str) -> int:
    """One fixed advisory-lock key per kind of run on a PostgreSQL database."""
    return int.from_bytes(hashlib.blake2b(f"voc-pipeline {name}".encode(), digest_size=8).digest(), "big", signed=True)


@contextmanager
def _advisory_lock(url: str, timeout_s: float, name: str = "run") -> Iterator[None]:
    import time

    import sqlalchemy as sa

    from pipeline.store.urls import engine_for

    engine = engine_for(url)
    try:
        with engine.connect() as conn:
            deadline = time.monotonic() + timeout_s
            key = _pg_lock_key(name)
            while not conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar_one():
                if time.monotonic() >= deadline:
                    raise _locked(engine.url.render_as_string(hide_password=True), timeout_s)
                time.sleep(min(1.0, max(0.05, timeout_s / 10)))
            try:
                yield
            finally:
                conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                conn.commit()
    finally:
        engine.dispose()
