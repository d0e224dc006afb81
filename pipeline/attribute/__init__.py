"""Attribution: counts per period and dimension, NPS drivers, department shares, loss, leaderboard,
competitor benchmark. Every function takes tables and returns a new table."""

from pipeline.attribute.counts import (
    DIMENSIONS,
    Period,
    add_period,
    category_counts,
    department_counts,
    dimension_tables,
    feedback_categories,
    feedback_volume,
    topic_counts,
)
from pipeline.attribute.drivers import REMAINDER, excess_impact, nps_change, nps_drivers
from pipeline.attribute.tables import derivation_key, fact_tables

__all__ = [
    "DIMENSIONS", "Period", "REMAINDER", "add_period", "category_counts", "department_counts", "derivation_key",
    "dimension_tables", "excess_impact", "fact_tables", "feedback_categories", "feedback_volume", "nps_change", "nps_drivers",
    "topic_counts",
]
