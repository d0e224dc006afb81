"""Writing output tables: DuckDB (one transaction per run) and Parquet exports."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import duckdb
import pandas as pd

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
    "fact_topic_trend": "period",
    "emerging": "period",
    "topic_lineage": "topic_model_version",
    "topic_hierarchy": "topic_model_version",
    "quarantine": "file",
    "ingest_counts": "file",
    "topics": "topic_model_version",
    "dim_category": "all",
    "dim_department": "all",
    "dim_category_owner": "all",
    "runs": "append",
}
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
) -> dict[str, int]:
    """Write a run in one transaction: a failure leaves the database as it was.

    Args:
        db_path: DuckDB file (created if missing).
        tables: name -> table; every name must be in REPLACE_BY.
        lineage: run_id, taxonomy_version, embedder_id, topic_model_version.
        derive: computes fact tables from detail tables. When given, after the detail tables are
            written, all stored feedback, clauses and mentions of the periods this run touched are
            read back (inside the transaction) and `derive(details)` replaces those periods' facts.

    Returns:
        name -> rows in the table after the write.
    """
    Path(db_path).parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(db_path))
    try:
        con.execute("BEGIN TRANSACTION")
        for name, df in tables.items():
            _replace(con, name, df, lineage)
        written = set(tables)
        if derive is not None and "feedback" in tables and len(tables["feedback"]):
            periods = pd.DataFrame({"period": tables["feedback"]["period"].unique()})
            con.register("touched", periods)
            stored = {
                t: con.execute(f'SELECT * FROM "{t}" WHERE period IN (SELECT period FROM touched)').df()
                for t in DETAIL_TABLES
            }
            con.unregister("touched")
            for name, df in derive(stored).items():
                _replace(con, name, df, lineage)
                written.add(name)
        con.execute("COMMIT")
        return {name: con.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in sorted(written)}
    except Exception:
        con.execute("ROLLBACK")
        raise
    finally:
        con.close()


def _replace(con: duckdb.DuckDBPyConnection, name: str, df: pd.DataFrame, lineage: dict[str, str]) -> None:
    """Delete the rows `df` supersedes (by the table's REPLACE_BY key), then insert `df`."""
    if name not in REPLACE_BY:
        raise ValueError(f"write_duckdb: no replacement rule for table {name!r}")
    df = stamp(df.drop(columns=[c for c in LINEAGE if c in df.columns]), lineage)
    con.register("incoming", df)
    try:
        con.execute(f'CREATE TABLE IF NOT EXISTS "{name}" AS SELECT * FROM incoming LIMIT 0')
        _add_new_columns(con, name)
        rule = REPLACE_BY[name]
        if rule == "all":
            con.execute(f'DELETE FROM "{name}"')
        elif rule != "append" and len(df):
            con.execute(f'DELETE FROM "{name}" WHERE "{rule}" IN (SELECT DISTINCT "{rule}" FROM incoming)')
        con.execute(f'INSERT INTO "{name}" BY NAME SELECT * FROM incoming')
    finally:
        con.unregister("incoming")


def stored_values(db_path: str | Path, table: str, column: str) -> set:
    """Distinct values of `column` already stored in `table` (empty when either does not exist yet)."""
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
    """Columns a newer release added: add them (earlier rows get NULL) instead of failing the run."""
    have = {r[0] for r in con.execute(f'DESCRIBE "{name}"').fetchall()}
    for col, typ, *_ in con.execute("DESCRIBE SELECT * FROM incoming").fetchall():
        if col not in have:
            con.execute(f'ALTER TABLE "{name}" ADD COLUMN "{col}" {typ}')


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
