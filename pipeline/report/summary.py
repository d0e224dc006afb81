"""Read back a run's headline numbers from the output database (for the console summary)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd


def _query(db: str | Path | duckdb.DuckDBPyConnection, sql: str, params: list, needs: list[str],
           columns: list[str]) -> pd.DataFrame:
    """Run `sql`, or return an empty table when a table it reads does not exist yet (no feedback so far).

    `db`: the database file, or a connection to it already open.
    """
    if not isinstance(db, duckdb.DuckDBPyConnection):
        with duckdb.connect(str(db), read_only=True) as con:
            return _query(con, sql, params, needs, columns)
    have = {r[0] for r in db.execute("SHOW TABLES").fetchall()}
    if not set(needs) <= have:
        return pd.DataFrame(columns=columns)
    return db.execute(sql, params).df()


def headline_tables(db_path: str | Path) -> dict[str, pd.DataFrame]:
    """The console summary's tables over one connection: categories, departments, topics (as below)."""
    with duckdb.connect(str(db_path), read_only=True) as con:
        return {"categories": top_categories(con), "departments": department_load(con), "topics": top_topics(con)}


def top_categories(db_path: str | Path | duckdb.DuckDBPyConnection, limit: int = 12) -> pd.DataFrame:
    """Categories by complaint count over all periods, with their owner departments and shares."""
    sql = """
        WITH c AS (
            SELECT category_id, sum(complaints) AS complaints, sum(praise) AS praise
            FROM fact_category_counts GROUP BY category_id)
        SELECT c.category_id, d.name AS category, d.severity, c.complaints, c.praise,
               string_agg(dep.name || ' ' || CAST(round(o.share * 100) AS INTEGER) || '%', '，'
                          ORDER BY o.share DESC) AS owners
        FROM c JOIN dim_category d USING (category_id)
        LEFT JOIN dim_category_owner o USING (category_id)
        LEFT JOIN dim_department dep ON dep.department_id = o.department_id
        GROUP BY ALL ORDER BY c.complaints DESC LIMIT ?"""
    return _query(db_path, sql, [limit], ["fact_category_counts", "dim_category", "dim_category_owner", "dim_department"],
                  ["category_id", "category", "severity", "complaints", "praise", "owners"])


def department_load(db_path: str | Path | duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Share-weighted complaint mentions per department, largest first."""
    sql = """
        SELECT dep.name AS department, round(sum(f.weighted_complaints), 1) AS weighted_complaints,
               count(DISTINCT f.category_id) AS categories
        FROM fact_department_counts f JOIN dim_department dep USING (department_id)
        GROUP BY ALL ORDER BY weighted_complaints DESC"""
    return _query(db_path, sql, [], ["fact_department_counts", "dim_department"],
                  ["department", "weighted_complaints", "categories"])


def top_topics(db_path: str | Path | duckdb.DuckDBPyConnection, limit: int = 10) -> pd.DataFrame:
    sql = """
        SELECT t.topic_id, t.label, t.size, coalesce(d.name, '—') AS category, t.confidence, t.status,
               t.is_emerging
        FROM topics t LEFT JOIN dim_category d USING (category_id)
        WHERE t.topic_model_version = (SELECT topic_model_version FROM runs ORDER BY started_at DESC LIMIT 1)
          AND t.topic_id >= 0
        ORDER BY t.size DESC LIMIT ?"""
    return _query(db_path, sql, [limit], ["topics", "dim_category", "runs"],
                  ["topic_id", "label", "size", "category", "confidence", "status", "is_emerging"])
