"""PostgreSQL (or any SQLAlchemy URL with a psycopg 3 driver) as output store: see
`pipeline.store.base.Store` for what a write means (the same tables, replacement rules and one
transaction per run as DuckDB); this module only says how PostgreSQL does each step."""

from __future__ import annotations

import datetime as dt
import decimal
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

from pipeline.store.base import DETAIL_TABLES, LINEAGE, Store
from pipeline.store.urls import engine_for
from pipeline.windows import Window

log = logging.getLogger(__name__)


def sql_type(series: pd.Series) -> str:
    """PostgreSQL column type for a pandas column (object columns by their first value)."""
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "BOOLEAN"
    if pd.api.types.is_integer_dtype(dtype):
        return "BIGINT"
    if pd.api.types.is_float_dtype(dtype):
        return "REAL" if dtype == np.float32 else "DOUBLE PRECISION"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "TIMESTAMP"
    first = series.dropna()
    v = first.iloc[0] if len(first) else None
    if isinstance(v, (bool, np.bool_)):
        return "BOOLEAN"
    if isinstance(v, (int, np.integer)):
        return "BIGINT"
    if isinstance(v, (float, np.floating, decimal.Decimal)):
        return "DOUBLE PRECISION"
    if isinstance(v, (pd.Timestamp, dt.datetime)):
        return "TIMESTAMP"
    if isinstance(v, dt.date):
        return "DATE"
    return "TEXT"


def _column_types(conn: sa.Connection, name: str) -> dict[str, str]:
    rows = conn.execute(sa.text(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema() "
        "AND table_name = :t ORDER BY ordinal_position"), {"t": name}).fetchall()
    return {c: t.upper() for c, t in rows}


# information_schema spelling of the types sql_type gives.
_SPELLED = {"TIMESTAMP": "TIMESTAMP WITHOUT TIME ZONE"}


def _columns(conn: sa.Connection, name: str) -> list[str]:
    rows = conn.execute(sa.text(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
        "AND table_name = :t ORDER BY ordinal_position"), {"t": name}).fetchall()
    return [r[0] for r in rows]


def _tables(conn: sa.Connection) -> set[str]:
    rows = conn.execute(sa.text(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema()"
    )).fetchall()
    return {t for t, _ in rows} | {f"{t}.{c}" for t, c in rows}


def _py(v):
    """A value psycopg can send: NULL for every missing marker, Python scalars for numpy ones."""
    if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and np.isnan(v)):
        return None
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, pd.Timestamp):
        return v.to_pydatetime()
    return v


def _copy(conn: sa.Connection, name: str, df: pd.DataFrame) -> None:
    """Bulk insert through COPY on the transaction's own psycopg connection.

    PostgreSQL text cannot hold NUL (U+0000); a NUL would fail the whole run, so it is dropped from
    the value and the number of values changed is logged. (Ingest already drops NUL from the text
    it accepts; this catches any other column.)
    """
    if not len(df):
        return
    cols = ", ".join(f'"{c}"' for c in df.columns)
    raw = conn.connection.driver_connection
    stripped = 0
    with raw.cursor() as cur, cur.copy(f'COPY "{name}" ({cols}) FROM STDIN') as copy:
        for row in df.itertuples(index=False, name=None):
            values = [_py(v) for v in row]
            for i, v in enumerate(values):
                if isinstance(v, str) and "\x00" in v:
                    values[i] = v.replace("\x00", "")
                    stripped += 1
            copy.write_row(values)
    if stripped:
        log.warning("table %s: removed NUL characters from %d value(s); PostgreSQL text cannot hold them",
                    name, stripped)


def _align_key_type(conn: sa.Connection, name: str, column: str, want: str) -> str:
    """Make `column` of `name` type `want` when it was created as TEXT from an empty table.

    A table first written empty (a source without NPS gives no NPS drivers) has untyped TEXT
    columns; comparing its `period` with dates fails (`text = date`). Returns the column's type.
    """
    have = _column_types(conn, name).get(column, "TEXT")
    if have == _SPELLED.get(want, want) or have != "TEXT" or want == "TEXT":
        return have
    nested = conn.begin_nested()
    try:
        conn.execute(sa.text(f'ALTER TABLE "{name}" ALTER COLUMN "{column}" TYPE {want} '
                             f'USING NULLIF("{column}", \'\')::{want}'))
        nested.commit()
        return want
    except sa.exc.DBAPIError:
        nested.rollback()  # stored text that is not a {want}: compare as text instead
        return have


def _ensure_table(conn: sa.Connection, name: str, df: pd.DataFrame, have: set, typed: Callable[[str], str]) -> None:
    """Create `name` with `df`'s columns, or add the columns a newer release added and type untyped ones."""
    if not have:
        cols = ", ".join(f'"{c}" {typed(c)}' for c in df.columns)
        conn.execute(sa.text(f'CREATE TABLE "{name}" ({cols})'))
        return
    types = _column_types(conn, name)
    for c in df.columns:
        if c not in have:  # a column a newer release added: earlier rows get NULL
            conn.execute(sa.text(f'ALTER TABLE "{name}" ADD COLUMN "{c}" {typed(c)}'))
        elif types.get(c) == "TEXT" and df[c].notna().any() and typed(c) != "TEXT":
            _align_key_type(conn, name, c, typed(c))  # first written empty, so untyped


def _stored(conn: sa.Connection, table: str, periods: list) -> pd.DataFrame:
    """The rows of `periods`, in one order whatever the heap layout: sorted by every column but lineage.

    PostgreSQL returns rows in heap order, and a replaced row may land in any page with free space;
    the NPS fits then add up in another order (other last digits), and a re-run of the same rows
    would look like other input to the store's fingerprint.
    """
    order = ", ".join(f'"{c}"' for c in _columns(conn, table) if c not in LINEAGE)
    stmt = sa.text(f'SELECT * FROM "{table}" WHERE period IN :p' + (f" ORDER BY {order}" if order else ""))
    return pd.read_sql(stmt.bindparams(sa.bindparam("p", expanding=True)), conn, params={"p": periods})


def _clear_window(conn: sa.Connection, window: Window, sources: list[str]) -> list:
    """Delete the stored details of `sources` inside `window`; return the periods they belonged to."""
    if "feedback" not in _tables(conn):
        return []
    lo, hi = window.bounds()
    where, params = ["source = ANY(:sources)"], {"sources": list(sources)}
    if lo is not None:
        where.append("created_at >= :lo")
        params["lo"] = lo.to_pydatetime()
    if hi is not None:
        where.append("created_at < :hi")
        params["hi"] = hi.to_pydatetime()
    conn.execute(sa.text(f"CREATE TEMP TABLE _gone ON COMMIT DROP AS SELECT feedback_id, period FROM feedback "
                         f"WHERE {' AND '.join(where)}"), params)
    periods = [r[0] for r in conn.execute(sa.text("SELECT DISTINCT period FROM _gone")).fetchall()]
    tables = _tables(conn)
    for t in DETAIL_TABLES:
        if t in tables:
            conn.execute(sa.text(f'DELETE FROM "{t}" WHERE feedback_id IN (SELECT feedback_id FROM _gone)'))
    conn.execute(sa.text("DROP TABLE _gone"))
    return periods


def read_table(url: str, name: str) -> pd.DataFrame:
    """A whole table or view as a DataFrame."""
    engine = engine_for(url)
    try:
        with engine.connect() as conn:
            return pd.read_sql(sa.text(f'SELECT * FROM "{name}"'), conn)
    finally:
        engine.dispose()


def has_table(url: str, name: str) -> bool:
    engine = engine_for(url)
    try:
        with engine.connect() as conn:
            return sa.inspect(conn).has_table(name) or name in sa.inspect(conn).get_view_names()
    finally:
        engine.dispose()


class SQLStore(Store):
    """Output tables in a database reached through SQLAlchemy (PostgreSQL with psycopg 3).

    Args:
        target: SQLAlchemy URL, e.g. postgresql+psycopg://user@127.0.0.1:5432/voc.
    """

    def read(self, name: str) -> pd.DataFrame:
        url = str(self.target)
        return read_table(url, name) if has_table(url, name) else pd.DataFrame()

    def stored_values(self, table: str, column: str) -> set:
        engine = engine_for(str(self.target))
        try:
            with engine.connect() as conn:
                if column not in _columns(conn, table):
                    return set()
                return {r[0] for r in conn.execute(sa.text(f'SELECT DISTINCT "{column}" FROM "{table}"')).fetchall()}
        finally:
            engine.dispose()

    def display(self) -> str:
        return sa.engine.make_url(str(self.target)).render_as_string(hide_password=True)

    @contextmanager
    def _transaction(self) -> Iterator[sa.Connection]:
        engine = engine_for(str(self.target))
        try:
            with engine.begin() as conn:
                yield conn
        finally:
            engine.dispose()

    def _execute(self, conn: sa.Connection, sql: str) -> None:
        conn.execute(sa.text(sql))

    def _fetch(self, conn: sa.Connection, sql: str) -> list[tuple]:
        return [tuple(r) for r in conn.execute(sa.text(sql)).fetchall()]

    def _tables(self, conn: sa.Connection) -> set[str]:
        return _tables(conn)

    def _rows_of_periods(self, conn: sa.Connection, table: str, periods: list) -> pd.DataFrame:
        df = _stored(conn, table, periods)
        if "period" in df.columns:  # read back as datetime64 from DATE; the stages use dates
            df["period"] = pd.to_datetime(df["period"]).dt.date
        return df

    def _clear_window(self, conn: sa.Connection, window: Window, sources: list[str]) -> list:
        return _clear_window(conn, window, sources)

    def _ensure_table(self, conn: sa.Connection, name: str, df: pd.DataFrame, key: str, keys: list | None) -> None:
        def typed(c: str) -> str:
            # An empty column has no value to tell its type; the key column takes the keys' type.
            if c == key and keys and not df[c].notna().any():
                return sql_type(pd.Series(keys))
            return sql_type(df[c])

        _ensure_table(conn, name, df, _columns(conn, name), typed)

    def _restamp(self, conn: sa.Connection, name: str, periods: list, lineage: dict[str, str]) -> None:
        cols = _columns(conn, name)
        sets = [c for c in lineage if c in cols]
        if not sets or "period" not in cols:
            return
        # compared as dates whatever the column's type (DATE, TIMESTAMP, or TEXT when first written empty)
        assign = ", ".join(f'"{c}" = :{c}' for c in sets)
        stmt = sa.text(f'UPDATE "{name}" SET {assign} WHERE NULLIF("period"::text, \'\')::date = ANY(:periods)')
        conn.execute(stmt, {**{c: lineage[c] for c in sets}, "periods": [pd.Timestamp(p).date() for p in periods]})

    def _stored_keys(self, conn: sa.Connection, name: str, key: str, keys: list) -> set:
        if key not in _columns(conn, name):  # a table of an earlier release may lack the key column
            return set()
        stmt = sa.text(f'SELECT "{key}" FROM "{name}" WHERE "{key}" = ANY(:k)')
        return {r[0] for r in conn.execute(stmt, {"k": keys}).fetchall()}

    def _delete_keys(self, conn: sa.Connection, name: str, key: str, keys: list) -> None:
        # Keys go through a temporary table: a parameter list would hit PostgreSQL's 65,535 limit.
        key_type = sql_type(pd.Series(keys))
        column_type = _align_key_type(conn, name, key, key_type)
        same = column_type == _SPELLED.get(key_type, key_type)
        conn.execute(sa.text(f"CREATE TEMP TABLE IF NOT EXISTS _replace_keys (k {key_type}) ON COMMIT DROP"))
        conn.execute(sa.text("TRUNCATE _replace_keys"))
        _copy(conn, "_replace_keys", pd.DataFrame({"k": keys}))
        match = f't."{key}" = r.k' if same else f't."{key}"::text = r.k::text'
        conn.execute(sa.text(f'DELETE FROM "{name}" t USING _replace_keys r WHERE {match}'))
        conn.execute(sa.text("DROP TABLE _replace_keys"))

    def _load(self, conn: sa.Connection, name: str, df: pd.DataFrame) -> None:
        _copy(conn, name, df)

    def _export_tables(self, tables: list[tuple[str, Path]]) -> None:
        engine = engine_for(str(self.target))
        try:
            with engine.connect() as conn:
                for name, path in tables:
                    pd.read_sql(sa.text(f'SELECT * FROM "{name}"'), conn).to_parquet(path, index=False)
        finally:
            engine.dispose()
