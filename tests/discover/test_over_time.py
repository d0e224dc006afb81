"""Topics over time: per period and topic, counts and the share of the period's feedback."""

import pandas as pd

from pipeline.discover.over_time import TREND_COLUMNS, topic_trend


def test_topic_trend_counts_and_shares():
    feedback = pd.DataFrame({"feedback_id": ["a", "b", "c", "d"], "period": ["2026-09-01"] * 3 + ["2026-10-01"]})
    clauses = pd.DataFrame({
        "feedback_id": ["a", "a", "b", "c", "d"],
        "topic_id": [3, 3, 3, -1, 3],
        "clause_polarity": ["complaint", "neutral", "complaint", "praise", "praise"],
    })
    t = topic_trend(feedback, clauses).set_index(["period", "topic_id"])
    assert list(t.reset_index().columns) == TREND_COLUMNS
    sep = t.loc[("2026-09-01", 3)]
    assert (sep["clauses"], sep["feedback"], sep["complaint_clauses"], sep["period_feedback"]) == (3, 2, 2, 3)
    assert abs(sep["share"] - 2 / 3) < 1e-6
    assert t.loc[("2026-10-01", 3), "share"] == 1.0 and t.loc[("2026-09-01", -1), "feedback"] == 1
