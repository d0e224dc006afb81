"""A small run's tables (rules lane, no embedder or topic model) to publish to either backend."""

from functools import partial

import pandas as pd
import pytest

from pipeline import attribute
from pipeline.attribute.config import load_economics
from pipeline.evaluate import rules_only_run
from pipeline.taxonomy import load_taxonomy

LINEAGE = {"run_id": "run-1", "taxonomy_version": "tx-test", "embedder_id": "none", "topic_model_version": "none"}


@pytest.fixture(scope="session")
def small_run(tmp_path_factory):
    """(tables, derive) of a 1,500-row sample, as the daily flow hands them to publish."""
    from samplegen import write_sample

    taxonomy = load_taxonomy("taxonomies/automotive_v1.yaml")
    out = tmp_path_factory.mktemp("small")
    write_sample(out, n_rows=1500, seed=3)
    feedback, clauses, mentions = rules_only_run(out, taxonomy)
    clauses = clauses.merge(feedback[["feedback_id", "period"]], on="feedback_id")
    clauses = clauses.assign(topic_id=-1, topic_similarity=0.0).drop(columns=["topic_doc"], errors="ignore")
    mentions = mentions.merge(clauses[["clause_id", "period"]], on="clause_id")
    tables = {
        "feedback": feedback.drop(columns=["text_norm"]), "clauses": clauses, "mentions": mentions,
        **attribute.dimension_tables(taxonomy),
        "runs": pd.DataFrame([{"started_at": pd.Timestamp("2026-11-23 10:00"), "accepted": len(feedback),
                               "period_grain": "month"}]),
    }
    economics = load_economics("taxonomies/economics.yaml")
    return tables, partial(attribute.fact_tables, taxonomy=taxonomy, economics=economics)
