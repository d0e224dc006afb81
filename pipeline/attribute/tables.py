"""All fact tables of a set of periods, from the stored detail tables."""

from __future__ import annotations

import pandas as pd

from pipeline.attribute.counts import category_counts, department_counts, feedback_volume, topic_counts
from pipeline.attribute.drivers import nps_change, nps_drivers, period_nps
from pipeline.taxonomy import Taxonomy


def fact_tables(details: dict[str, pd.DataFrame], taxonomy: Taxonomy) -> dict[str, pd.DataFrame]:
    """All fact tables from detail tables (feedback with `period`, clauses, mentions).

    Returns:
        fact_category_counts, fact_department_counts, fact_feedback_volume, fact_topic_counts,
        fact_nps_drivers, fact_nps_change.
    """
    feedback, clauses, mentions = details["feedback"], details["clauses"], details["mentions"]
    cat_counts = category_counts(feedback, mentions)
    drivers = nps_drivers(feedback, mentions)
    return {
        "fact_category_counts": cat_counts,
        "fact_department_counts": department_counts(cat_counts, taxonomy),
        "fact_feedback_volume": feedback_volume(feedback),
        "fact_topic_counts": topic_counts(feedback, clauses),
        "fact_nps_drivers": drivers,
        "fact_nps_change": nps_change(drivers, period_nps(feedback)),
    }
