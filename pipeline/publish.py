"""Writing output tables: DuckDB (default) or PostgreSQL (by SQLAlchemy URL), one transaction per run,
BI views over the star schema, and Parquet exports."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import duckdb
import pandas as pd

from pipeline.views import create_views
from pipeline.windows import Window

# How a run replaces earlier rows of each table. Detail tables are keyed by feedback: a feedback
# processed again replaces its earlier rows, and feedback from other runs stays. Fact tables are derived
# per period from the stored details (see `write_duckdb`), so a run fed one day's file recomputes its
# month from every stored day instead of replacing the month with that one day.
REPLACE_BY = {
    "feedback": "feedback_id",
    "clauses": "feedback_id",
    "mentions": "feedback_id",
    "fact_category_counts": "period",
    "fact_department_counts": "period",
    "fact_feedback_volume": "period",
    "fact_topic_counts": "period",
    "fact_nps_drivers": "period",
    "fact_nps_change": "period",
    "fact_department_attribution": "period",
    "fact_loss": "period",
    "fact_leaderboard": "period",
    "fact_competitor_benchmark": "period",
    "alerts": "alert_id",
    "alert_duplicates": "feedback_id",
    "alert_outbox": "message_id",
    "alert_events": "event_id",
    "alert_status": "all",
    "fact_topic_trend": "period",
    "emerging": "period",
    "topic_lineage": "topic_model_version",
    "topic_hierarchy": "topic_model_version",
    # Per delivery, not per path: a daily export overwritten in place keeps the earlier days' rows;
    # the same bytes run again replace their own rows (no duplicates).
    "quarantine": "file_sha256",
    "ingest_counts": "file_sha256",
    "topics": "topic_model_version",
    "dim_category": "all",
    "dim_department": "all",
    "dim_category_owner": "all",
    # One row per run, whatever the retries: a write retried after its commit (the Parquet export
    # failed) replaces its own row instead of adding another.
    "runs": "run_id",
    "watermarks": "stream",
}
# Tables whose stored rows are never replaced: a row whose key is already stored is skipped. An outbox
# row rewritten by a second scan would turn `sent` back into `pending` and send the alert again; review
# events are a log.
KEEP_EXISTING = {"alert_outbox", "alert_events"}
DETAIL_TABLES = ("feedback", "clauses", "mentions")
LINEAGE = ["run_id", "taxonomy_version", "embedder_id", "topic_model_version"]


def stamp(df: pd.DataFrame, lineage: dict[str, str]) -> pd.DataFrame:
    """Add the run id and versions to every row, so each number is traceable."""
    return df.assign(**{k: lineage[k] for k in LINEAGE})


def write_duckdb(
    db_path: str | Path,
    tables: dict[str, pd.DataFrame],
    lineage: dict[str, str],
    derive: Callable[[dict[str, pd.DataFrame]], dict[str, pd.DataFrame]] | None = None,
    replace_window: tuple[Window, list[str]] | None = None,
) -> dict[str, int]:
    """Write a run in one transaction: a failure leaves the database as it was.

    Args:
        db_path: DuckDB file (created if missing).
        tables: name -> table; every name must be in REPLACE_BY.
        lineage: run_id, taxonomy_version, embedder_id, topic_model_version.
        derive: computes fact tables from detail tables. When given, after the detail tables are
            written, all stored feedback, clauses and mentions of the periods this run touched are
            read back (inside the transaction) and `derive(details)` replaces those periods' facts.
        replace_window: (window, sources): first delete every stored feedback of these sources
            created inside the window, with its clauses and mentions, so a re-run of a window replaces
            it exactly (a row that is now quarantined or gone from the source does not linger); the
            periods those rows belonged to are derived again too.

    Returns:
        name -> rows in the table after the write.
    """
    Path(db_path).parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(db_path))
    try:
        con.execute("BEGIN TRANSACTION")
        cleared = _clear_window(con, *replace_window) if replace_window else []
        for name, df in tables.items():
            _replace(con, name, df, lineage)
        written = set(tables)
        incoming = pd.concat([tables["feedback"]["period"], pd.Series(cleared, dtype=object)]) \
            if "feedback" in tables and len(tables["feedback"]) else pd.Series(cleared, dtype=object)
        if derive is not None and len(incoming) and _exists(con, "feedback"):
            stored_periods = [r[0] for r in con.execute("SELECT DISTINCT period FROM feedback").fetchall()]
            periods = pd.DataFrame({"period": touched_periods(incoming, stored_periods)})
            con.register("touched", periods)
            stored = {
                t: con.execute(f'SELECT * FROM "{t}" WHERE period IN (SELECT period FROM touched)').df()
                for t in DETAIL_TABLES
            }
            con.unregister("touched")
            for name, df in derive(stored).items():
                _replace(con, name, df, lineage, scope=periods["period"].tolist())
                written.add(name)
        create_views(lambda sql: con.execute(sql), _duckdb_tables(con))
        con.execute("COMMIT")
        return {name: con.execute(f'SELECT count(*) FROM "{name}"').fetchall()[0][0] for name in sorted(written)}
    except Exception:
        con.execute("ROLLBACK")
        raise
    finally:
        con.close()


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


def touched_periods(incoming: pd.Series, stored: list) -> list:
    """The periods a run touched plus the stored period just before the earliest of them.

    The period before is recomputed too because period-over-period facts (the NPS change) of the
    earliest touched period need it; recomputing it from its stored rows changes nothing else.
    """
    touched = sorted(set(incoming.dropna()))
    if not touched:
        return []
    before = [p for p in stored if p is not None and p < touched[0]]
    return ([max(before)] if before else []) + touched


def _duckdb_tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    rows = con.execute("SELECT table_name, column_name FROM information_schema.columns").fetchall()
    return {t for t, _ in rows} | {f"{t}.{c}" for t, c in rows}


def is_sql_url(target: str | Path) -> bool:
    """True for a SQLAlchemy URL (postgresql+psycopg://...), False for a DuckDB file path."""
    return "://" in str(target)


def display_target(target: str | Path) -> str:
    """The output database as it may be logged or written to a file: a URL loses its password."""
    if is_sql_url(target):
        import sqlalchemy as sa

        return sa.engine.make_url(str(target)).render_as_string(hide_password=True)
    return str(target)


def write(
    target: str | Path,
    tables: dict[str, pd.DataFrame],
    lineage: dict[str, str],
    derive: Callable[[dict[str, pd.DataFrame]], dict[str, pd.DataFrame]] | None = None,
    replace_window: tuple[Window, list[str]] | None = None,
) -> dict[str, int]:
    """Write a run to a DuckDB file or a database URL; see `write_duckdb` for the semantics."""
    if is_sql_url(target):
        from pipeline.publish_sql import write_sql

        return write_sql(str(target), tables, lineage, derive, replace_window=replace_window)
    return write_duckdb(target, tables, lineage, derive, replace_window=replace_window)


def read_watermark(target: str | Path, stream: str):
    """End (exclusive, a date) of the last completed window of `stream`, or None if there is none yet."""
    marks = read(target, "watermarks")
    if marks.empty:
        return None
    mine = marks.loc[marks["stream"] == stream, "watermark"].dropna()
    return pd.Timestamp(mine.max()).date() if len(mine) else None


def read(target: str | Path, name: str) -> pd.DataFrame:
    """A whole table from a DuckDB file or a database URL; empty when it does not exist yet."""
    if is_sql_url(target):
        from pipeline.publish_sql import has_table, read_table

        return read_table(str(target), name) if has_table(str(target), name) else pd.DataFrame()
    if not Path(target).exists():
        return pd.DataFrame()
    with duckdb.connect(str(target), read_only=True) as con:
        if name not in {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}:
            return pd.DataFrame()
        return con.execute(f'SELECT * FROM "{name}"').df()


def read_many(target: str | Path, names: list[str]) -> dict[str, pd.DataFrame]:
    """Whole tables, as `read` gives each, through one DuckDB connection (opening one per table cost the
    report about a second)."""
    if is_sql_url(target) or not Path(target).exists():
        return {name: read(target, name) for name in names}
    with duckdb.connect(str(target), read_only=True) as con:
        have = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        return {name: con.execute(f'SELECT * FROM "{name}"').df() if name in have else pd.DataFrame()
                for name in names}


def export(target: str | Path, out_dir: str | Path, names: list[str]) -> dict[str, Path]:
    """Parquet export of whole tables from a DuckDB file or a database URL."""
    if is_sql_url(target):
        from pipeline.publish_sql import export_parquet_sql

        return export_parquet_sql(str(target), out_dir, names)
    return export_parquet(target, out_dir, names)


def _replace(
    con: duckdb.DuckDBPyConnection, name: str, df: pd.DataFrame, lineage: dict[str, str], scope: list | None = None
) -> None:
    """Delete the rows `df` supersedes (by the table's REPLACE_BY key), then insert `df`.

    `scope`, when given, lists the key values to replace even where `df` has no row for them (a
    recomputed period whose fact table came out empty must not keep its stale rows).
    """
    if name not in REPLACE_BY:
        raise ValueError(f"write_duckdb: no replacement rule for table {name!r}")
    df = stamp(df.drop(columns=[c for c in LINEAGE if c in df.columns]), lineage)
    con.register("incoming", df)
    try:
        con.execute(f'CREATE TABLE IF NOT EXISTS "{name}" AS SELECT * FROM incoming LIMIT 0')
        _add_new_columns(con, name)
        rule = REPLACE_BY[name]
        if name in KEEP_EXISTING:
            con.execute(f'INSERT INTO "{name}" BY NAME SELECT * FROM incoming WHERE "{rule}" NOT IN '
                        f'(SELECT "{rule}" FROM "{name}" WHERE "{rule}" IS NOT NULL)')
            return
        if rule == "all":
            con.execute(f'DELETE FROM "{name}"')
        elif scope is not None:
            con.register("scope", pd.DataFrame({"k": scope}))
            con.execute(f'DELETE FROM "{name}" WHERE "{rule}" IN (SELECT k FROM scope)')
            con.unregister("scope")
        elif rule != "append" and len(df):
            con.execute(f'DELETE FROM "{name}" WHERE "{rule}" IN (SELECT DISTINCT "{rule}" FROM incoming)')
        con.execute(f'INSERT INTO "{name}" BY NAME SELECT * FROM incoming')
    finally:
        try:
            con.unregister("incoming")
        except duckdb.TransactionException:
            pass  # the transaction already failed; the error that failed it is the one to report


def stored_values(db_path: str | Path, table: str, column: str) -> set:
    """Distinct values of `column` already stored in `table` (empty when either does not exist yet)."""
    if is_sql_url(db_path):
        from pipeline.publish_sql import stored_values_sql

        return stored_values_sql(str(db_path), table, column)
    if not Path(db_path).exists():
        return set()
    with duckdb.connect(str(db_path), read_only=True) as con:
        cols = con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [table]
        ).fetchall()
        if (column,) not in cols:
            return set()
        return {r[0] for r in con.execute(f'SELECT DISTINCT "{column}" FROM "{table}"').fetchall()}


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


def export_parquet(db_path: str | Path, out_dir: str | Path, names: list[str]) -> dict[str, Path]:
    """Export whole tables to `<out_dir>/<name>.parquet` (written to a temporary name, then renamed)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(db_path), read_only=True)
    paths = {}
    try:
        for name in names:
            tmp, final = out_dir / f".{name}.parquet.tmp", out_dir / f"{name}.parquet"
            con.execute(f"COPY \"{name}\" TO '{tmp}' (FORMAT parquet)")
            os.replace(tmp, final)
            paths[name] = final
    finally:
        con.close()
    return paths
