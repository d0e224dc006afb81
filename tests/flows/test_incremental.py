"""Windows, watermarks, re-runs, resuming after a crash, and the lock: the flow as operators run it."""

from datetime import date

import duckdb
import pandas as pd
import pytest

from tests.conftest import params_for

pytestmark = pytest.mark.slow

CUT = date(2026, 7, 1)
DETAILS = ["feedback", "clauses", "mentions"]
FACTS = ["fact_category_counts", "fact_department_counts", "fact_feedback_volume"]


@pytest.fixture(scope="module")
def small_sample(tmp_path_factory):
    from samplegen import write_sample

    out = tmp_path_factory.mktemp("small")
    write_sample(out, n_rows=900, seed=11)
    return out


def _accepted_between(small_sample, start, end):
    """Rows the generator made valid, created in [start, end): what a window run must accept."""
    gt = pd.read_parquet(small_sample / "ground_truth.parquet")
    ok = gt[~gt["is_bad_row"]]
    created = pd.to_datetime(ok["created_at"])
    mask = pd.Series(True, index=ok.index)
    if start:
        mask &= created >= pd.Timestamp(start)
    if end:
        mask &= created < pd.Timestamp(end)
    return int(mask.sum())


def _rows(db, names):
    with duckdb.connect(str(db), read_only=True) as con:
        return {n: con.execute(f'SELECT count(*) FROM "{n}"').fetchall()[0][0] for n in names}


def _table(db, sql):
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).df()


@pytest.fixture(scope="module")
def full_run(small_sample, tmp_path_factory, prefect_harness):
    from flows.daily import daily

    params = params_for(small_sample / "sources.yaml", tmp_path_factory.mktemp("full"))
    return params, daily(params)


@pytest.fixture(scope="module")
def windowed(small_sample, tmp_path_factory, full_run, prefect_harness):
    """The same data in two windows, the first one run twice; models shared with the full run."""
    from flows.daily import daily

    work = tmp_path_factory.mktemp("windows")
    params = params_for(small_sample / "sources.yaml", work).replace(models_dir=full_run[0].outputs.models_dir)
    first = daily(params.replace(window_end=CUT))
    after_first = _rows(params.outputs.database, DETAILS + FACTS)
    again = daily(params.replace(window_end=CUT))
    after_again = _rows(params.outputs.database, DETAILS + FACTS)
    second = daily(params.replace(window_start=CUT))
    return params, first, again, second, after_first, after_again


def test_a_window_takes_exactly_its_days(windowed, small_sample):
    _, first, _, second, _, _ = windowed
    assert first["in_window"] == _accepted_between(small_sample, None, CUT)
    assert second["in_window"] == _accepted_between(small_sample, CUT, None)
    # every accepted row is inside this window or outside it: nothing is dropped on the way
    assert first["in_window"] + first["outside_window"] == first["accepted"]


def test_rerunning_a_window_leaves_row_counts_unchanged(windowed):
    params, _, _, _, after_first, after_again = windowed
    assert after_again == after_first
    dup = _table(params.outputs.database, "SELECT feedback_id, count(*) n FROM feedback GROUP BY 1 HAVING n > 1")
    assert dup.empty


def test_two_windows_give_the_same_tables_as_one_run(windowed, full_run):
    params, *_ = windowed
    full = full_run[0]
    assert _rows(params.outputs.database, DETAILS) == _rows(full.outputs.database, DETAILS)
    q = ("SELECT period, category_id, sum(complaints) AS c, sum(praise) AS p FROM fact_category_counts "
         "GROUP BY ALL ORDER BY ALL")
    pd.testing.assert_frame_equal(_table(params.outputs.database, q), _table(full.outputs.database, q))
    q = "SELECT feedback_id, category_id, polarity FROM mentions ORDER BY ALL"
    pd.testing.assert_frame_equal(_table(params.outputs.database, q), _table(full.outputs.database, q))


def test_an_incremental_run_continues_from_the_watermark(small_sample, tmp_path, full_run, prefect_harness):
    from flows.daily import daily

    params = params_for(small_sample / "sources.yaml", tmp_path).replace(
        models_dir=full_run[0].outputs.models_dir, incremental=True)
    one = daily(params.replace(window_end=date(2026, 5, 1)))
    assert one["window"] == "..2026-05-01"
    two = daily(params.replace(window_end=date(2026, 8, 1)))
    assert two["window"] == "2026-05-01..2026-08-01"
    assert two["in_window"] == _accepted_between(small_sample, date(2026, 5, 1), date(2026, 8, 1))
    nothing = daily(params.replace(window_end=date(2026, 8, 1)))
    assert nothing == {"skipped": True, "window": "2026-08-01..2026-08-01", "watermark": "2026-08-01"}
    # a backfill of an older window does not move the watermark back
    daily(params.replace(window_start=date(2026, 5, 1), window_end=date(2026, 6, 1), incremental=False))
    wm = _table(params.outputs.database, "SELECT watermark FROM watermarks")["watermark"]
    assert wm.tolist() == [pd.Timestamp("2026-08-01")]


def test_a_failed_run_resumes_from_its_last_completed_stage(small_sample, tmp_path, full_run, prefect_harness,
                                                            monkeypatch):
    import flows.daily as daily_mod
    import flows.scoring as scoring_mod
    from prefect import task

    params = params_for(small_sample / "sources.yaml", tmp_path).replace(
        models_dir=full_run[0].outputs.models_dir, partition_rows=500)
    calls = {"ingest": 0, "embed": 0}
    real_ingest, real_embed = daily_mod.ingest_sources, scoring_mod.embed_cached

    def counting_ingest(*a, **k):
        calls["ingest"] += 1
        return real_ingest(*a, **k)

    def counting_embed(*a, **k):
        calls["embed"] += 1
        return real_embed(*a, **k)

    monkeypatch.setattr(daily_mod, "ingest_sources", counting_ingest)
    monkeypatch.setattr(scoring_mod, "embed_cached", counting_embed)
    real_topics = daily_mod.topics

    @task
    def crashing_topics(*a, **k):
        raise RuntimeError("worker lost")

    monkeypatch.setattr(daily_mod, "topics", crashing_topics)
    with pytest.raises(RuntimeError, match="worker lost"):
        daily_mod.daily(params)
    partitions = calls["embed"]
    assert calls["ingest"] == 1 and partitions > 1
    assert not params.outputs.database.exists()  # nothing was written
    assert any(params.outputs.results_dir.iterdir())  # the completed stages were kept for the re-run

    monkeypatch.setattr(daily_mod, "topics", real_topics)
    summary = daily_mod.daily(params)
    assert calls == {"ingest": 1, "embed": partitions}  # nothing before the crash ran again
    assert _rows(params.outputs.database, DETAILS) == _rows(full_run[0].outputs.database, DETAILS)
    assert summary["accepted"] == full_run[1]["accepted"]
    assert sorted(p.name for p in params.outputs.results_dir.iterdir()) == []  # a completed run leaves none behind


COMPARED = {  # every output a resumed run must give exactly as an uninterrupted one (lineage aside)
    "clauses": "SELECT * EXCLUDE (run_id) FROM clauses ORDER BY clause_id",
    "mentions": "SELECT * EXCLUDE (run_id) FROM mentions ORDER BY ALL",
    "topics": "SELECT * EXCLUDE (run_id) FROM topics ORDER BY topic_id",
    "fact_category_counts": "SELECT * EXCLUDE (run_id) FROM fact_category_counts ORDER BY ALL",
}


def _crash_in_topics(daily_mod, params, monkeypatch):
    """Run the flow until its topics stage fails; the stages before it stay persisted."""
    from prefect import task

    real = daily_mod.topics

    @task
    def crashing_topics(*a, **k):
        raise RuntimeError("worker lost")

    monkeypatch.setattr(daily_mod, "topics", crashing_topics)
    with pytest.raises(RuntimeError, match="worker lost"):
        daily_mod.daily(params)
    monkeypatch.setattr(daily_mod, "topics", real)


def _persisted_partitions(results_dir):
    """The persisted scoring results of a run: {file: Scored as read back}."""
    from prefect._internal.result_records import ResultRecord

    return {p: ResultRecord.deserialize(p.read_bytes()).result
            for p in sorted(results_dir.iterdir()) if "-score-" in p.name}


@pytest.fixture(scope="module")
def uninterrupted(small_sample, tmp_path_factory, full_run, prefect_harness):
    """The run the resumed ones must equal: same parameters and topic model, never interrupted."""
    from flows.daily import daily

    params = params_for(small_sample / "sources.yaml", tmp_path_factory.mktemp("uninterrupted")).replace(
        models_dir=full_run[0].outputs.models_dir, partition_rows=500)
    daily(params)
    return params


def _resume_counting_embeds(daily_mod, scoring_mod, params, monkeypatch) -> dict:
    """Re-run the crashed window as a new process would (no cache handles kept in memory), counting the
    partitions that had to be embedded again."""
    monkeypatch.setattr(scoring_mod, "_CACHES", {})
    calls = {"embed": 0}
    real_embed = scoring_mod.embed_cached

    def counting_embed(*a, **k):
        calls["embed"] += 1
        return real_embed(*a, **k)

    monkeypatch.setattr(scoring_mod, "embed_cached", counting_embed)
    daily_mod.daily(params)
    return calls


def test_a_resumed_run_reads_vectors_back_from_the_cache_and_equals_an_uninterrupted_run(
        small_sample, tmp_path, full_run, uninterrupted, prefect_harness, monkeypatch):
    import flows.daily as daily_mod
    import flows.scoring as scoring_mod
    from pipeline.embed import EmbeddingCache

    params = params_for(small_sample / "sources.yaml", tmp_path).replace(
        models_dir=full_run[0].outputs.models_dir, partition_rows=500)
    _crash_in_topics(daily_mod, params, monkeypatch)

    persisted = _persisted_partitions(params.outputs.results_dir)
    assert len(persisted) > 1
    cache = EmbeddingCache(params.outputs.cache_dir)
    for path, part in persisted.items():
        assert part.vectors is None and len(part.keys) == part.rows.max() + 1  # names its vectors, holds none
        vectors = cache.lookup(part.model_id, part.keys)
        assert len(vectors) == len(part.keys)
        size = sum(v.nbytes for v in vectors.values())
        # with its vectors (base64 in the record) the file was over 4/3 of `size`; the clause rows are left
        assert path.stat().st_size < size / 2, (path.name, path.stat().st_size, size)

    # A new process: nothing of the crashed run is left in memory, the vectors come from the cache's files.
    calls = _resume_counting_embeds(daily_mod, scoring_mod, params, monkeypatch)
    assert calls["embed"] == 0  # no partition scored again
    for name, sql in COMPARED.items():
        pd.testing.assert_frame_equal(_table(params.outputs.database, sql),
                                      _table(uninterrupted.outputs.database, sql), obj=name)


def test_a_partition_whose_vectors_the_cache_lost_is_scored_again(
        small_sample, tmp_path, full_run, uninterrupted, prefect_harness, monkeypatch):
    import shutil

    import flows.daily as daily_mod
    import flows.scoring as scoring_mod

    params = params_for(small_sample / "sources.yaml", tmp_path).replace(
        models_dir=full_run[0].outputs.models_dir, partition_rows=500)
    _crash_in_topics(daily_mod, params, monkeypatch)
    partitions = len(_persisted_partitions(params.outputs.results_dir))

    # The embedding cache is cleared between the crash and the re-run (the classification memo with it).
    shutil.rmtree(params.outputs.cache_dir)
    monkeypatch.setattr(scoring_mod, "_MODELS", {})
    calls = _resume_counting_embeds(daily_mod, scoring_mod, params, monkeypatch)
    assert calls["embed"] == partitions  # each persisted partition scored again, nothing silently missing
    for name, sql in COMPARED.items():
        left, right = _table(params.outputs.database, sql), _table(uninterrupted.outputs.database, sql)
        if name == "clauses":  # vectors embedded anew may differ in the last float bits
            for t in (left, right):
                t["topic_similarity"] = t["topic_similarity"].round(4)
        pd.testing.assert_frame_equal(left, right, obj=name)


def test_a_crash_inside_the_write_leaves_the_window_as_it_was(small_sample, tmp_path, full_run, prefect_harness,
                                                              monkeypatch):
    import flows.daily as daily_mod
    from pipeline.store.duckdb_store import DuckDBStore

    params = params_for(small_sample / "sources.yaml", tmp_path).replace(
        models_dir=full_run[0].outputs.models_dir, window_end=CUT)
    daily_mod.daily(params)
    before = _rows(params.outputs.database, DETAILS + FACTS)
    real = DuckDBStore._replace

    def dying(self, con, name, df, lineage, scope=None):
        if name == "mentions":
            raise OSError("disk full")
        return real(self, con, name, df, lineage, scope)

    monkeypatch.setattr(DuckDBStore, "_replace", dying)
    with pytest.raises(OSError, match="disk full"):
        daily_mod.daily(params)
    assert _rows(params.outputs.database, DETAILS + FACTS) == before


def test_two_runs_on_one_database_cannot_interleave(tmp_path):
    import multiprocessing as mp

    from flows.resume import RunLockedError, run_lock

    db = tmp_path / "voc.duckdb"
    ready, release = mp.Event(), mp.Event()
    holder = mp.get_context("fork").Process(target=_hold, args=(db, ready, release))
    holder.start()
    try:
        assert ready.wait(30)
        with pytest.raises(RunLockedError, match="another run is writing"):
            with run_lock(db, timeout_s=0.5):
                pass
    finally:
        release.set()
        holder.join(30)
    with run_lock(db, timeout_s=5):  # free again once the first run ended
        pass


def test_a_killed_run_does_not_keep_the_lock(tmp_path):
    import multiprocessing as mp
    import os
    import signal

    from flows.resume import run_lock

    db = tmp_path / "voc.duckdb"
    ready, release = mp.Event(), mp.Event()
    holder = mp.get_context("fork").Process(target=_hold, args=(db, ready, release))
    holder.start()
    assert ready.wait(30)
    os.kill(holder.pid, signal.SIGKILL)
    holder.join(30)
    with run_lock(db, timeout_s=5):
        pass


def _hold(db, ready, release):
    from flows.resume import run_lock

    with run_lock(db, timeout_s=5):
        ready.set()
        release.wait(60)


def test_a_backfill_in_windows_gives_the_tables_of_one_run(small_sample, tmp_path, full_run, prefect_harness):
    from flows.backfill import BackfillParams, backfill

    daily = params_for(small_sample / "sources.yaml", tmp_path).replace(models_dir=full_run[0].outputs.models_dir)
    runs = backfill(BackfillParams(start=date(2026, 1, 1), end=date(2027, 1, 1), step_days=120, daily=daily))
    assert [r["window"] for r in runs] == ["2026-01-01..2026-05-01", "2026-05-01..2026-08-29",
                                           "2026-08-29..2026-12-27", "2026-12-27..2027-01-01"]
    assert sum(r["in_window"] for r in runs) == full_run[1]["accepted"]
    assert _rows(daily.outputs.database, DETAILS) == _rows(full_run[0].outputs.database, DETAILS)


def test_a_backfill_that_ends_before_it_starts_is_refused():
    from pydantic import ValidationError

    from flows.backfill import BackfillParams

    with pytest.raises(ValidationError, match="must be after start"):
        BackfillParams(start=date(2026, 3, 1), end=date(2026, 2, 1))


def test_a_window_after_a_category_was_removed_keeps_the_history(small_sample, tmp_path, full_run, prefect_harness):
    """An analyst removes a category between two windows: the next window runs (no KeyError on the stored
    mentions of the earlier version), the earlier period keeps its facts, and the removed category keeps
    its counts but is owned by no department."""
    from flows.daily import daily
    from tests.conftest import V1_TAXONOMY

    gone = "product.nvh.wind_noise"
    lines, out, skip = open(V1_TAXONOMY, encoding="utf-8").read().splitlines(keepends=True), [], False
    for line in lines:
        if line.startswith(f"  {gone}:"):
            skip = True
            continue
        if skip and line.startswith("  ") and not line.startswith("   "):
            skip = False
        if not skip:
            out.append(line)
    edited = tmp_path / "v1_edited.yaml"
    edited.write_text("".join(out), encoding="utf-8")
    params = params_for(small_sample / "sources.yaml", tmp_path).replace(models_dir=full_run[0].outputs.models_dir)
    daily(params.replace(window_end=CUT))
    db = params.outputs.database
    q = (f"SELECT period, sum(complaints) AS c FROM fact_category_counts WHERE category_id = '{gone}' "
         "GROUP BY ALL ORDER BY ALL")
    before = _table(db, q)
    assert before["c"].sum() > 0
    second = daily(params.replace(window_start=CUT, taxonomy=edited))
    assert second["in_window"] == _accepted_between(small_sample, CUT, None)
    after = _table(db, q)
    earlier = before[pd.to_datetime(before["period"]) < pd.Timestamp(CUT)]
    kept = after[after["period"].isin(set(earlier["period"]))]
    assert kept["c"].sum() == earlier["c"].sum() > 0  # the earlier periods' facts are as they were
    owned = _table(db, f"SELECT count(*) AS n FROM fact_department_counts WHERE category_id = '{gone}' "
                       f"AND period >= DATE '{CUT.isoformat()}'")
    assert owned["n"][0] == 0
    fresh = _table(db, f"SELECT count(*) AS n FROM mentions m JOIN feedback f USING (feedback_id) "
                       f"WHERE m.category_id = '{gone}' AND f.period >= DATE '{CUT.isoformat()}'")
    assert fresh["n"][0] == 0  # the new window was classified with the edited taxonomy
