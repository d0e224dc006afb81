"""Topics over time for dashboards: how much feedback each (stable) topic holds per period."""

from __future__ import annotations

import pandas as pd

from pipeline.schema import require_columns

TREND_COLUMNS = ["period", "topic_id", "clauses", "feedback", "complaint_clauses", "period_feedback", "share"]


def topic_trend(feedback: pd.DataFrame, clauses: pd.DataFrame) -> pd.DataFrame:
    """Per period and topic: clauses, distinct feedback, complaint clauses and the share of the period's feedback.

    Topic ids are stable across refits (see `align_topics`), so a topic's row in March and in June
    is the same topic even when the model was refitted in between. Outliers (-1) are kept as a row,
    so the shares of a period add up with the outliers to at least 1 (a feedback may hold several topics).

    Args:
        feedback: feedback_id, period (every feedback of the periods, also those without clauses).
        clauses: feedback_id, topic_id, clause_polarity.

    Returns:
        TREND_COLUMNS, one row per period x topic.
    """
    require_columns(feedback, ["feedback_id", "period"], "topic_trend")
    require_columns(clauses, ["feedback_id", "topic_id", "clause_polarity"], "topic_trend")
    volume = feedback.groupby("period")["feedback_id"].nunique().rename("period_feedback")
    j = clauses[["feedback_id", "topic_id", "clause_polarity"]].merge(feedback[["feedback_id", "period"]], on="feedback_id")
    g = j.assign(complaint=(j["clause_polarity"] == "complaint").astype(int)).groupby(["period", "topic_id"])
    out = g.agg(clauses=("feedback_id", "size"), feedback=("feedback_id", "nunique"),
                complaint_clauses=("complaint", "sum")).reset_index().merge(volume.reset_index(), on="period")
    out["share"] = (out["feedback"] / out["period_feedback"]).round(6)
    return out[TREND_COLUMNS].astype({"topic_id": "int64", "clauses": "int64", "feedback": "int64",
                                      "complaint_clauses": "int64", "period_feedback": "int64"})


def trend_tables(details: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """`fact_topic_trend` from the detail tables a run derives its facts from (feedback, clauses)."""
    return {"fact_topic_trend": topic_trend(details["feedback"], details["clauses"])}
