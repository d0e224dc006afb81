"""DuckDB (an embedded file, the default) as the output store: see `pipeline.store.base.Store` for what
a write means; this module only says how DuckDB does each step."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pandas as pd

from pipeline.store.base import DETAIL_TABLES, Store
from pipeline.windows import Window


class DuckDBStore(Store):
    """Output tables in one DuckDB file (created with its folder on the first write).

    Args:
        target: path of the DuckDB file.
    """

    def read(self, name: str) -> pd.DataFrame:
        return self.read_many([name])[name]

    def read_many(self, names: list[str]) -> dict[str, pd.DataFrame]:
        # One connection for all of them: opening one per table cost the report about a second.
        if not Path(self.target).exists():
            return {name: pd.DataFrame() for name in names}
        with duckdb.connect(str(self.target), read_only=True) as con:
            have = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
            return {name: con.execute(f'SELECT * FROM "{name}"').df() if name in have else pd.DataFrame()
                    for name in names}

    def stored_values(self, table: str, column: str) -> set:
        if not Path(self.target).exists():
            return set()
        with duckdb.connect(str(self.target), read_only=True) as con:
            cols = con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [table]
            ).fetchall()
            if (column,) not in cols:
                return set()
            return {r[0] for r in con.execute(f'SELECT DISTINCT "{column}" FROM "{table}"').fetchall()}

    @contextmanager
    def _transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        Path(self.target).parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(str(self.target))
        try:
            con.execute("BEGIN TRANSACTION")
            yield con
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        finally:
            con.close()

    def _execute(self, con: duckdb.DuckDBPyConnection, sql: str) -> None:
        con.execute(sql)

    def _fetch(self, con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
        # fetchall, not fetchone: a result left half-read blocks the connection's next statement
        return con.execute(sql).fetchall()

    def _tables(self, con: duckdb.DuckDBPyConnection) -> set[str]:
        rows = con.execute("SELECT table_name, column_name FROM information_schema.columns").fetchall()
        return {t for t, _ in rows} | {f"{t}.{c}" for t, c in rows}

    def _rows_of_periods(self, con: duckdb.DuckDBPyConnection, table: str, periods: list) -> pd.DataFrame:
        con.register("touched", pd.DataFrame({"period": periods}))
        try:
            return con.execute(f'SELECT * FROM "{table}" WHERE period IN (SELECT period FROM touched)').df()
        finally:
            con.unregister("touched")

    def _clear_window(self, con: duckdb.DuckDBPyConnection, window: Window, sources: list[str]) -> list:
        return _clear_window(con, window, sources)

    def _ensure_table(self, con: duckdb.DuckDBPyConnection, name: str, df: pd.DataFrame, key: str,
                      keys: list | None) -> None:
        with _registered(con, "incoming", df):
            con.execute(f'CREATE TABLE IF NOT EXISTS "{name}" AS SELECT * FROM incoming LIMIT 0')
            _add_new_columns(con, name)

    def _restamp(self, con: duckdb.DuckDBPyConnection, name: str, periods: list, lineage: dict[str, str]) -> None:
        cols = {r[0] for r in con.execute(f'DESCRIBE "{name}"').fetchall()}
        sets = [c for c in lineage if c in cols]
        if not sets or "period" not in cols:
            return
        # Moved to the end as a delete and reload would move them: the table reads back in the same
        # order as after deriving its rows again.
        where = "period IN (SELECT period FROM touched)"
        replace = ", ".join(f'? AS "{c}"' for c in sets)
        with _registered(con, "touched", pd.DataFrame({"period": periods})):
            con.execute(f'CREATE TEMP TABLE _restamped AS SELECT * REPLACE ({replace}) FROM "{name}" WHERE {where}',
                        [lineage[c] for c in sets])
            try:
                con.execute(f'DELETE FROM "{name}" WHERE {where}')
                con.execute(f'INSERT INTO "{name}" BY NAME SELECT * FROM _restamped')
            finally:
                con.execute("DROP TABLE _restamped")

    def _stored_keys(self, con: duckdb.DuckDBPyConnection, name: str, key: str, keys: list) -> set:
        with _registered(con, "wanted", pd.DataFrame({"k": keys})):
            rows = con.execute(f'SELECT DISTINCT "{key}" FROM "{name}" WHERE "{key}" IN (SELECT k FROM wanted)')
            return {r[0] for r in rows.fetchall()}

    def _delete_keys(self, con: duckdb.DuckDBPyConnection, name: str, key: str, keys: list) -> None:
        with _registered(con, "scope", pd.DataFrame({"k": keys})):
            con.execute(f'DELETE FROM "{name}" WHERE "{key}" IN (SELECT k FROM scope)')

    def _load(self, con: duckdb.DuckDBPyConnection, name: str, df: pd.DataFrame) -> None:
        with _registered(con, "incoming", df):
            con.execute(f'INSERT INTO "{name}" BY NAME SELECT * FROM incoming')

    def _export_tables(self, tables: list[tuple[str, Path]]) -> None:
        # One connection for all: opening the file costs 50 ms a time, more than most tables' COPY.
        with duckdb.connect(str(self.target), read_only=True) as con:
            for name, path in tables:
                con.execute(f"COPY \"{name}\" TO '{path}' (FORMAT parquet)")


@contextmanager
def _registered(con: duckdb.DuckDBPyConnection, view: str, df: pd.DataFrame) -> Iterator[None]:
    """`df` visible to SQL as `view` for the duration of the block (DuckDB scans the frame in place)."""
    con.register(view, df)
    try:
        yield
    finally:
        try:
            con.unregister(view)
        except duckdb.TransactionException:
            pass  # the transaction already failed; the error that failed it is the one to report


def _exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    # fetchall, not fetchone: a result left half-read blocks the connection's next statement
    rows = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]).fetchall()
    return bool(rows[0][0])


def _clear_window(con: duckdb.DuckDBPyConnection, window: Window, sources: list[str]) -> list:
    """Delete the stored details of `sources` inside `window`; return the periods they belonged to."""
    if not _exists(con, "feedback"):
        return []
    lo, hi = window.bounds()
    where, args = ["source IN (SELECT unnest(?))"], [list(sources)]
    if lo is not None:
        where.append("created_at >= ?")
        args.append(lo.to_pydatetime())
    if hi is not None:
        where.append("created_at < ?")
        args.append(hi.to_pydatetime())
    con.execute(f"CREATE TEMP TABLE gone AS SELECT feedback_id, period FROM feedback WHERE {' AND '.join(where)}",
                args).fetchall()
    try:
        periods = [r[0] for r in con.execute("SELECT DISTINCT period FROM gone").fetchall()]
        for t in DETAIL_TABLES:
            if _exists(con, t):
                con.execute(f'DELETE FROM "{t}" WHERE feedback_id IN (SELECT feedback_id FROM gone)').fetchall()
    finally:
        con.execute("DROP TABLE gone").fetchall()
    return periods


def _add_new_columns(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Columns a newer release added: add them (earlier rows get NULL) instead of failing the run.

    A table first created from an empty frame has guessed column types (an empty text column has
    no type yet); while it still holds no row, the first rows written give it their types. A column
    that so far held only NULLs (no topic mapped yet) takes the type of the first real values.
    """
    have = {r[0]: r[1] for r in con.execute(f'DESCRIBE "{name}"').fetchall()}
    incoming = {r[0]: r[1] for r in con.execute("DESCRIBE SELECT * FROM incoming").fetchall()}
    if any(col in have and have[col] != typ for col, typ in incoming.items()):
        if con.execute(f'SELECT count(*) FROM "{name}"').fetchall()[0][0] == 0:
            con.execute(f'DROP TABLE "{name}"')
            con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM incoming LIMIT 0')
            have = incoming
    for col, typ in incoming.items():
        if col not in have:
            con.execute(f'ALTER TABLE "{name}" ADD COLUMN "{col}" {typ}')
        elif have[col].strip('"') == "NULL" and typ.strip('"') != "NULL":
            con.execute(f'ALTER TABLE "{name}" ALTER COLUMN "{col}" TYPE {typ}')
