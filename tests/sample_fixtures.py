"""Session fixtures on generated data: a rules-only pipeline run on the seed-42, 20,000-row sample (the
one planted_effects.json in the docs describes)."""

import json

import pandas as pd
import pytest

from pipeline import attribute
from pipeline.classify import Classifier
from pipeline.ingest import ingest_sources, load_sources
from pipeline.preprocess import Segmenter, segment_clauses, to_clauses
from pipeline.taxonomy import load_taxonomy


def classify_sample(sample_dir, taxonomy):
    """feedback (with period), clauses and mentions of a written sample, rules lane only."""
    result = ingest_sources(load_sources(sample_dir / "sources.yaml"))
    feedback, clauses = to_clauses(attribute.add_period(result.feedback, "month"))
    clauses = segment_clauses(clauses, Segmenter(taxonomy.all_terms()))
    clauses, mentions = Classifier(taxonomy, semantic_threshold=None).fit().classify(clauses)
    return feedback, clauses, mentions


@pytest.fixture(scope="session")
def taxonomy():
    return load_taxonomy("taxonomies/automotive_v1.yaml")


@pytest.fixture(scope="session")
def seed42(tmp_path_factory, taxonomy):
    from pipeline.sample_data import write_sample

    out = tmp_path_factory.mktemp("seed42")
    write_sample(out, n_rows=20000, seed=42)
    feedback, clauses, mentions = classify_sample(out, taxonomy)
    planted = json.loads((out / "planted_effects.json").read_text(encoding="utf-8"))
    return {"feedback": feedback, "clauses": clauses, "mentions": mentions, "planted": planted,
            "ground_truth": pd.read_parquet(out / "ground_truth.parquet"), "dir": out}
