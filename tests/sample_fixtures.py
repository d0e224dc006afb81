"""Session fixtures on generated data: a rules-only pipeline run on the seed-42, 20,000-row sample (the
one planted_effects.json in the docs describes)."""

import json

import pandas as pd
import pytest

from pipeline.evaluate import rules_only_run
from pipeline.taxonomy import load_taxonomy


@pytest.fixture(scope="session")
def taxonomy():
    return load_taxonomy("taxonomies/automotive_v1.yaml")


@pytest.fixture(scope="session")
def seed42(tmp_path_factory, taxonomy):
    from samplegen import write_sample

    out = tmp_path_factory.mktemp("seed42")
    write_sample(out, n_rows=20000, seed=42)
    feedback, clauses, mentions = rules_only_run(out, taxonomy)
    planted = json.loads((out / "planted_effects.json").read_text(encoding="utf-8"))
    return {"feedback": feedback, "clauses": clauses, "mentions": mentions, "planted": planted,
            "ground_truth": pd.read_parquet(out / "ground_truth.parquet"), "dir": out}
