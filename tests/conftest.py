"""Shared fixtures: a generated sample and one daily run on it, under Prefect's test harness."""

import json
import os
import subprocess
import tempfile
from pathlib import Path

import pandas as pd
import pytest

from tests.postgres_server import postgres_server, postgres_url  # noqa: F401  (a real server, on loopback)
from tests.sample_fixtures import seed42, taxonomy  # noqa: F401  (rules-only run on the seed-42 sample)

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("VOC_PROGRESS", "0")
# Embeddings differ in their last bits with the number of BLAS threads, which the product takes from the
# cores the machine's load leaves free; a topic fit on a small corpus can turn on those bits (tests/discover:
# 5 topics with 2 threads, 2 with 1). A test's input must not depend on the load, so the count is fixed here
# (the free-core logic has its own tests, which set or clear the variable themselves).
os.environ.setdefault("VOC_EMBED_THREADS", "2")
# Whatever a test leaves at its default path goes to a temporary workspace, never into the checkout.
os.environ["VOC_WORKSPACE"] = tempfile.mkdtemp(prefix="voc-test-workspace-")
os.environ.pop("VOC_DATABASE_PASSWORD", None)

REPO = Path(__file__).resolve().parent.parent


SKIP_DIRS = {".git", ".venv", "__pycache__", ".pytest_cache", ".hypothesis"}
# Written on purpose, and only when VOC_UPDATE_SCREENSHOTS=1 asks for it (tests/flows/test_run_form.py).
REQUESTED_WRITES = {"docs/img/prefect-run-form.png"}


def _checkout_files() -> dict[str, tuple[int, int]]:
    """Every file of the checkout outside .git/.venv/caches, ignored ones (data/, models/) included."""
    files = {}
    for root, dirs, names in os.walk(REPO):
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS and not d.endswith(".egg-info")]
        for n in names:
            p = Path(root) / n
            try:
                st = p.stat()
            except OSError:
                continue
            files[str(p.relative_to(REPO))] = (st.st_mtime_ns, st.st_size)
    return files


@pytest.fixture(autouse=True)
def _log_streams_stay_open():
    """Logging handlers never keep a stream a test closed.

    A CLI test (typer's CliRunner) swaps sys.stderr for a buffer and closes it afterwards. When
    Prefect sets up its logging inside such a call (its first import, or a settings change), the
    root logger's console handler keeps that buffer, and every later test that logs fails with
    "I/O operation on closed file" (and Prefect's API log handler then recurses on the error).
    """
    yield
    import logging
    import sys

    loggers = [logging.getLogger()] + [
        lg for lg in logging.Logger.manager.loggerDict.values() if isinstance(lg, logging.Logger)]
    for lg in loggers:
        for h in lg.handlers:
            stream = getattr(h, "stream", None)
            if stream is not None and getattr(stream, "closed", False) and isinstance(h, logging.StreamHandler):
                h.stream = sys.stderr  # not setStream: it flushes the closed stream first
                console = getattr(h, "console", None)  # Prefect's handler prints through a rich Console
                if console is not None:
                    console.file = sys.stderr


def pytest_sessionstart(session):
    session.config._voc_checkout_before = _checkout_files()


def pytest_sessionfinish(session, exitstatus):
    """The suite writes nothing into the checkout (outside .venv and caches): a write fails the run."""
    before = getattr(session.config, "_voc_checkout_before", None)
    if before is None:
        return
    after = _checkout_files()
    requested = REQUESTED_WRITES if os.environ.get("VOC_UPDATE_SCREENSHOTS") == "1" else set()
    changed = sorted(p for p in after.keys() | before.keys() if after.get(p) != before.get(p) and p not in requested)
    if changed:
        print("\nerror: the test suite wrote into the checkout:\n  " + "\n  ".join(changed[:50]))
        session.exitstatus = 1

SAMPLE_ROWS = 4000
V1_TAXONOMY = Path(__file__).resolve().parent.parent / "taxonomies/automotive_v1.yaml"


@pytest.fixture(scope="session")
def sample_dir(tmp_path_factory):
    from samplegen import write_sample

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
