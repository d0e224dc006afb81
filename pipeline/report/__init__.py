"""Reports: the console summary's headline tables and the static HTML report of a run."""

from pipeline.report.summary import department_load, headline_tables, top_categories, top_topics

__all__ = ["department_load", "headline_tables", "top_categories", "top_topics"]
