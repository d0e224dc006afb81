"""The texts behind a number: a few complaint feedback per category, newest first (texts are stored
PII-masked, so they can be shown as they are)."""

from __future__ import annotations

import pandas as pd

from pipeline.schema import require_columns

EXAMPLE_COLUMNS = ["category_id", "feedback_id", "period", "created_at", "channel", "vehicle_model", "text"]
# The same SQL on DuckDB and PostgreSQL: at most `n` complaint feedback per category, newest first.
EXAMPLES_SQL = """
    SELECT category_id, feedback_id, period, created_at, channel, vehicle_model, text FROM (
        SELECT m.category_id, f.feedback_id, f.period, f.created_at, f.channel, f.vehicle_model, f.text,
               row_number() OVER (PARTITION BY m.category_id ORDER BY f.created_at DESC, f.feedback_id) AS k
        FROM (SELECT DISTINCT feedback_id, category_id FROM mentions WHERE polarity = 'complaint') m
        JOIN feedback f ON f.feedback_id = m.feedback_id) x
    WHERE k <= {n} ORDER BY category_id, k"""


def category_examples(feedback: pd.DataFrame, mentions: pd.DataFrame, n: int = 5) -> pd.DataFrame:
    """Up to `n` complaining feedback per category, newest first.

    Args:
        feedback: feedback_id, text, created_at (period, channel, vehicle_model when present).
        mentions: feedback_id, category_id, polarity.

    Returns:
        EXAMPLE_COLUMNS, one row per (category, feedback).
    """
    require_columns(feedback, ["feedback_id", "text", "created_at"], "category_examples")
    require_columns(mentions, ["feedback_id", "category_id", "polarity"], "category_examples")
    m = mentions.loc[mentions["polarity"] == "complaint", ["feedback_id", "category_id"]].drop_duplicates()
    fb = feedback.reindex(columns=[c for c in EXAMPLE_COLUMNS if c != "category_id"])
    j = m.merge(fb, on="feedback_id").sort_values(["category_id", "created_at", "feedback_id"],
                                                  ascending=[True, False, True])
    return j.groupby("category_id", sort=True).head(n).reset_index(drop=True)[EXAMPLE_COLUMNS]


def read_examples(target, n: int = 5) -> pd.DataFrame:
    """category_examples read from a DuckDB file or a database URL (empty before the first run)."""
    sql = EXAMPLES_SQL.format(n=int(n))
    try:
        if "://" in str(target):
            from pipeline.store.urls import engine_for

            with engine_for(str(target)).connect() as con:
                return pd.read_sql_query(sql, con)
        import duckdb

        with duckdb.connect(str(target), read_only=True) as con:
            return con.execute(sql).df()
    except Exception as exc:  # no feedback or mentions table yet: the report shows no examples
        if "mentions" in str(exc) or "feedback" in str(exc) or "does not exist" in str(exc):
            return pd.DataFrame(columns=EXAMPLE_COLUMNS)
        raise
