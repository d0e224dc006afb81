"""PostgreSQL (or any SQLAlchemy URL with a psycopg 3 driver) as output database: same tables, same
replacement rules and the same one-transaction-per-run guarantee as the DuckDB writer."""

from __future__ import annotations

import datetime as dt
import decimal
import logging
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

from pipeline.publish import DETAIL_TABLES, KEEP_EXISTING, LINEAGE, REPLACE_BY, stamp, touched_periods
from pipeline.views import create_views

log = logging.getLogger(__name__)


PASSWORD_ENV = "VOC_DATABASE_PASSWORD"


def secret_free_url(url: str) -> str:
    """`url` without its password; the password moves to VOC_DATABASE_PASSWORD of this process.

    Flow parameters are stored in clear by Prefect and shown in its UI and API, so a database URL
    travels without its password and `engine_for` puts the password back from the environment.
    """
    try:
        parsed = sa.engine.make_url(url)
    except sa.exc.ArgumentError as exc:
        from pipeline.errors import InputError

        raise InputError(f"not a database URL: {exc}", column="database_url") from None
    if parsed.password:
        os.environ[PASSWORD_ENV] = str(parsed.password)
        parsed = parsed._replace(password=None)  # URL.set ignores None
    return parsed.render_as_string(hide_password=False)


def no_password_in_url(url: str | None) -> str | None:
    """A pydantic validator: a database URL parameter must not carry a password (ValueError if it does)."""
    if url and "://" in url:
        try:
            password = sa.engine.make_url(url).password
        except sa.exc.ArgumentError as exc:
            raise ValueError(f"not a database URL: {exc}") from None
        if password:
            raise ValueError(
                "the database URL carries a password, which Prefect would store and show in clear: "
                f"give the URL without it and set {PASSWORD_ENV} (or PGPASSWORD) where the flow runs")
    return url


def engine_for(url: str) -> sa.Engine:
    """An engine for `url`; a bare postgresql:// URL gets the psycopg 3 driver.

    A URL without a password takes it from VOC_DATABASE_PASSWORD (set it in the worker's
    environment, or let `voc` set it from a URL given on its command line); libpq's own PGPASSWORD
    and ~/.pgpass work as well.
    """
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    parsed = sa.engine.make_url(url)
    if parsed.password is None and os.environ.get(PASSWORD_ENV) and parsed.get_backend_name() != "duckdb":
        parsed = parsed.set(password=os.environ[PASSWORD_ENV])
    return sa.create_engine(parsed, future=True)


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


def _replace(conn: sa.Connection, name: str, df: pd.DataFrame, lineage: dict[str, str], scope: list | None = None) -> None:
    """Delete the rows `df` supersedes (REPLACE_BY key, or `scope` values), then insert `df`."""
    if name not in REPLACE_BY:
        raise ValueError(f"write_sql: no replacement rule for table {name!r}")
    df = stamp(df.drop(columns=[c for c in LINEAGE if c in df.columns]), lineage).reset_index(drop=True)
    have = _columns(conn, name)
    rule = REPLACE_BY[name]
    if name in KEEP_EXISTING:  # insert only rows whose key is not stored yet
        keys = list(pd.unique(df[rule].dropna()))
        if rule in have and keys:  # a table of an earlier release may lack the key column
            stmt = sa.text(f'SELECT "{rule}" FROM "{name}" WHERE "{rule}" = ANY(:k)')
            stored = {r[0] for r in conn.execute(stmt, {"k": keys}).fetchall()}
            df = df[~df[rule].isin(stored)]
        _ensure_table(conn, name, df, have, lambda c: sql_type(df[c]))
        _copy(conn, name, df)
        return
    keys = scope if scope is not None else (list(pd.unique(df[rule].dropna())) if rule not in ("all", "append") else None)

    def typed(c: str) -> str:
        # An empty column has no value to tell its type; the key column takes the keys' type.
        if c == rule and keys and not df[c].notna().any():
            return sql_type(pd.Series(keys))
        return sql_type(df[c])

    _ensure_table(conn, name, df, have, typed)
    if rule == "all":
        conn.execute(sa.text(f'DELETE FROM "{name}"'))
    elif rule != "append" and keys:
        # Keys go through a temporary table: a parameter list would hit PostgreSQL's 65,535 limit.
        key_type = sql_type(pd.Series(keys))
        column_type = _align_key_type(conn, name, rule, key_type)
        same = column_type == _SPELLED.get(key_type, key_type)
        conn.execute(sa.text(f"CREATE TEMP TABLE IF NOT EXISTS _replace_keys (k {key_type}) ON COMMIT DROP"))
        conn.execute(sa.text("TRUNCATE _replace_keys"))
        _copy(conn, "_replace_keys", pd.DataFrame({"k": keys}))
        match = f't."{rule}" = r.k' if same else f't."{rule}"::text = r.k::text'
        conn.execute(sa.text(f'DELETE FROM "{name}" t USING _replace_keys r WHERE {match}'))
        conn.execute(sa.text("DROP TABLE _replace_keys"))
    _copy(conn, name, df)


def _stored(conn: sa.Connection, table: str, periods: list) -> pd.DataFrame:
    stmt = sa.text(f'SELECT * FROM "{table}" WHERE period IN :p').bindparams(sa.bindparam("p", expanding=True))
    return pd.read_sql(stmt, conn, params={"p": periods})


def _clear_window(conn: sa.Connection, window, sources: list[str]) -> list:
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


def write_sql(
    url: str,
    tables: dict[str, pd.DataFrame],
    lineage: dict[str, str],
    derive: Callable[[dict[str, pd.DataFrame]], dict[str, pd.DataFrame]] | None = None,
    replace_window=None,
) -> dict[str, int]:
    """Write a run to a SQL database in one transaction (see publish.write_duckdb for the semantics).

    Args:
        url: SQLAlchemy URL, e.g. postgresql+psycopg://user@127.0.0.1:5432/voc.
        tables: name -> table; every name must be in REPLACE_BY.
        lineage: run_id, taxonomy_version, embedder_id, topic_model_version.
        derive: computes fact tables from the stored detail tables of the periods this run touched.
        replace_window: (window, sources): delete the stored details of those sources inside the
            window first (see publish.write_duckdb).

    Returns:
        name -> rows in the table after the write.
    """
    engine = engine_for(url)
    try:
        with engine.begin() as conn:
            cleared = _clear_window(conn, *replace_window) if replace_window else []
            for name, df in tables.items():
                _replace(conn, name, df, lineage)
            written = set(tables)
            incoming = pd.concat([tables["feedback"]["period"], pd.Series(cleared, dtype=object)]) \
                if "feedback" in tables and len(tables["feedback"]) else pd.Series(cleared, dtype=object)
            if derive is not None and len(incoming) and "feedback" in _tables(conn):
                stored = [r[0] for r in conn.execute(sa.text("SELECT DISTINCT period FROM feedback")).fetchall()]
                periods = touched_periods(incoming, stored)
                details = {t: _stored(conn, t, periods) for t in DETAIL_TABLES}
                for t, df in details.items():
                    if "period" in df.columns:  # read back as datetime64 from DATE; the stages use dates
                        df["period"] = pd.to_datetime(df["period"]).dt.date
                for name, df in derive(details).items():
                    _replace(conn, name, df, lineage, scope=periods)
                    written.add(name)
            create_views(lambda s: conn.execute(sa.text(s)), _tables(conn))
            return {n: conn.execute(sa.text(f'SELECT count(*) FROM "{n}"')).scalar_one() for n in sorted(written)}
    finally:
        engine.dispose()


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


def stored_values_sql(url: str, table: str, column: str) -> set:
    """Distinct values of `column` in `table` (empty when either does not exist yet)."""
    engine = engine_for(url)
    try:
        with engine.connect() as conn:
            if column not in _columns(conn, table):
                return set()
            return {r[0] for r in conn.execute(sa.text(f'SELECT DISTINCT "{column}" FROM "{table}"')).fetchall()}
    finally:
        engine.dispose()


def export_parquet_sql(url: str, out_dir: str | Path, names: list[str]) -> dict[str, Path]:
    """Export whole tables to `<out_dir>/<name>.parquet` (temporary name, then renamed)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name in names:
        tmp, final = out_dir / f".{name}.parquet.tmp", out_dir / f"{name}.parquet"
        read_table(url, name).to_parquet(tmp, index=False)
        os.replace(tmp, final)
        paths[name] = final
    return paths
