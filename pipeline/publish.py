"""Publish: the last stage, writing a run's tables to the output store a target names.

Each function opens the `pipeline.store.Store` for `target` (a DuckDB file or a SQLAlchemy URL) and does
one thing with it; see `pipeline.store.base.Store.write` for what a write guarantees.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline.store import DETAIL_TABLES, LINEAGE, REPLACE_BY, display_target, is_sql_url, open_store
from pipeline.store.base import Derive
from pipeline.windows import Window

__all__ = ["DETAIL_TABLES", "LINEAGE", "REPLACE_BY", "display_target", "export", "is_sql_url", "read", "read_many",
           "read_watermark", "stored_values", "write"]


def write(
    target: str | Path,
    tables: dict[str, pd.DataFrame],
    lineage: dict[str, str],
    derive: Derive | None = None,
    replace_window: tuple[Window, list[str]] | None = None,
    derive_key: str | None = None,
) -> dict[str, int]:
    """Write a run in one transaction; name -> rows in the table after the write (see `Store.write`)."""
    return open_store(target).write(tables, lineage, derive, replace_window=replace_window, derive_key=derive_key)


def read(target: str | Path, name: str) -> pd.DataFrame:
    """A whole table; empty when it does not exist yet."""
    return open_store(target).read(name)


def read_many(target: str | Path, names: list[str]) -> dict[str, pd.DataFrame]:
    """Whole tables, as `read` gives each, over one connection where the backend allows it."""
    return open_store(target).read_many(names)


def export(target: str | Path, out_dir: str | Path, names: list[str]) -> dict[str, Path]:
    """Parquet export of whole tables to `<out_dir>/<name>.parquet`."""
    return open_store(target).export(out_dir, names)


def stored_values(target: str | Path, table: str, column: str) -> set:
    """Distinct values of `column` already stored in `table` (empty when either does not exist yet)."""
    return open_store(target).stored_values(table, column)


def read_watermark(target: str | Path, stream: str):
    """End (exclusive, a date) of the last completed window of `stream`, or None if there is none yet."""
    return open_store(target).read_watermark(stream)
