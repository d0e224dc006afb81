"""Read back a run's headline numbers from the output database (for the console summary)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd


def latest_run(db_path: str | Path) -> str:
    with duckdb.connect(str(db_path), read_only=True) as con:
        return con.execute("SELECT run_id FROM runs ORDER BY started_at DESC LIMIT 1").fetchone()[0]


def top_categories(db_path: str | Path, limit: int = 12) -> pd.DataFrame:
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
    with duckdb.connect(str(db_path), read_only=True) as con:
        return con.execute(sql, [limit]).df()


def department_load(db_path: str | Path) -> pd.DataFrame:
    """Share-weighted complaint mentions per department, largest first."""
    sql = """
        SELECT dep.name AS department, round(sum(f.weighted_complaints), 1) AS weighted_complaints,
               count(DISTINCT f.category_id) AS categories
        FROM fact_department_counts f JOIN dim_department dep USING (department_id)
        GROUP BY ALL ORDER BY weighted_complaints DESC"""
    with duckdb.connect(str(db_path), read_only=True) as con:
        return con.execute(sql).df()


def top_topics(db_path: str | Path, limit: int = 10) -> pd.DataFrame:
    sql = """
        SELECT t.topic_id, t.label, t.size, coalesce(d.name, '—') AS category, t.confidence, t.status,
               t.is_emerging
        FROM topics t LEFT JOIN dim_category d USING (category_id)
        WHERE t.topic_model_version = (SELECT topic_model_version FROM runs ORDER BY started_at DESC LIMIT 1)
          AND t.topic_id >= 0
        ORDER BY t.size DESC LIMIT ?"""
    with duckdb.connect(str(db_path), read_only=True) as con:
        return con.execute(sql, [limit]).df()
