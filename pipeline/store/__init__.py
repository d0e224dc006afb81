"""The output store: one interface (`Store`), two backends (DuckDB files, SQLAlchemy URLs).

    store = open_store("data/voc.duckdb")            # or "postgresql+psycopg://voc@db:5432/voc"
    store.write(tables, lineage, derive=..., replace_window=(window, sources))
    store.read("fact_category_counts"); store.export("data/parquet", ["fact_category_counts"])
"""

from __future__ import annotations

from pathlib import Path

from pipeline.store.base import DETAIL_TABLES, KEEP_EXISTING, LINEAGE, REPLACE_BY, Store, stamp, derivation_periods
from pipeline.store.urls import display_target, is_sql_url

__all__ = ["DETAIL_TABLES", "KEEP_EXISTING", "LINEAGE", "REPLACE_BY", "Store", "display_target", "is_sql_url",
           "open_store", "stamp", "derivation_periods"]


def open_store(target: str | Path) -> Store:
    """The store a target names: a SQLAlchemy URL (`...://...`) or else a DuckDB file path.

    Each backend is imported only when a target needs it (DuckDB-only runs never load SQLAlchemy's
    dialects, and the other way round).
    """
    if is_sql_url(target):
        from pipeline.store.sql_store import SQLStore

        return SQLStore(str(target))
    from pipeline.store.duckdb_store import DuckDBStore

    return DuckDBStore(target)
