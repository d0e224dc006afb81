"""Shared fixtures: a generated sample and one daily run on it, under Prefect's test harness."""

import json
import os
from pathlib import Path

import pandas as pd
import pytest

from tests.postgres_server import postgres_server, postgres_url  # noqa: F401  (a real server, on loopback)
from tests.sample_fixtures import seed42, taxonomy  # noqa: F401  (rules-only run on the seed-42 sample)

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("VOC_PROGRESS", "0")

SAMPLE_ROWS = 4000
V1_TAXONOMY = Path(__file__).resolve().parent.parent / "taxonomies/automotive_v1.yaml"


@pytest.fixture(scope="session")
def sample_dir(tmp_path_factory):
    from pipeline.sample_data import write_sample

    out = tmp_path_factory.mktemp("sample")
    write_sample(out, n_rows=SAMPLE_ROWS, seed=7)
    return out


@pytest.fixture(scope="session")
def planted(sample_dir):
    return json.loads((sample_dir / "planted_effects.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def ground_truth(sample_dir):
    return pd.read_parquet(sample_dir / "ground_truth.parquet")


@pytest.fixture(scope="session")
def prefect_harness():
    """One temporary Prefect server (SQLite, loopback) for every flow test in the session."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


def params_for(sources, work):
    """Flow parameters that keep every output of a test run inside `work`."""
    from flows.daily import DailyParams

    # The generated sample's ground truth uses v1 category ids: flow tests classify with v1.
    return DailyParams(
        sources=sources, taxonomy=V1_TAXONOMY, database=work / "voc.duckdb", parquet_dir=work / "out",
        models_dir=work / "models", cache_dir=work / "cache", report_dir=work / "reports",
        results_dir=work / "results",
    )


@pytest.fixture(scope="session")
def daily_runs(sample_dir, tmp_path_factory, prefect_harness):
    """The daily flow run twice on the same sample: a first run that fits topics, then a re-run."""
    from flows.daily import daily

    params = params_for(sample_dir / "sources.yaml", tmp_path_factory.mktemp("run"))
    first = daily(params)
    second = daily(params)
    return params, first, second
