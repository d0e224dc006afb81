"""The voc-discover flow on the daily flow's output: aligned refits, emerging issues, review file."""

import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest

from pipeline.discover.review import read_review


@pytest.fixture(scope="module")
def discovered(daily_runs, tmp_path_factory):
    from flows.discover import DiscoverParams, discover_flow

    daily_params, _, _ = daily_runs
    work = tmp_path_factory.mktemp("discover")
    shutil.copy(daily_params.outputs.database, work / "voc.duckdb")
    shutil.copytree(daily_params.outputs.models_dir, work / "models")
    params = DiscoverParams(database=work / "voc.duckdb", taxonomy=daily_params.inputs.taxonomy, models_dir=work / "models", cache_dir=daily_params.outputs.cache_dir,
                            review_dir=work / "review", as_of=date(2026, 9, 30))
    first = discover_flow(params)
    second = discover_flow(params)
    return params, first, second


@pytest.mark.slow
def test_discover_flags_the_surge_and_writes_its_tables(discovered, planted):
    params, first, second = discovered
    assert first["period"] == "2026-09-01"
    flagged = {(e["kind"], e["key"]) for e in first["emerging"]}
    assert ("category", planted["ota_surge"]["category"]) in flagged
    with duckdb.connect(str(params.outputs.database), read_only=True) as con:
        v = first["topic_model_version"]
        n_lineage = con.execute("SELECT count(*) FROM topic_lineage WHERE topic_model_version = ?", [v]).fetchone()[0]
        n_hier = con.execute("SELECT count(*) FROM topic_hierarchy WHERE topic_model_version = ?", [v]).fetchone()[0]
        # A re-run for the same period replaces that period's emerging rows: the second run's are stored.
        emerging = con.execute("SELECT * FROM emerging").df()
        topics = con.execute("SELECT * FROM topics WHERE topic_model_version = ? AND topic_id >= 0", [v]).df()
    assert n_lineage >= first["topics"] and n_hier == first["topics"] - 1
    assert emerging["period"].astype(str).str[:10].eq("2026-09-01").all()
    assert set(emerging["topic_model_version"]) == {second["topic_model_version"]}
    assert emerging["is_emerging"].sum() == len(second["emerging"]) and (emerging["count"] >= 10).all()
    assert len(topics) == first["topics"]
    review = read_review(first["review_file"])
    # The planted surge leads the review, as the category itself or as the topic of its clauses (mapped to it):
    # whichever the test finds more significant comes first.
    top = review.proposals[0]
    assert review.period == "2026-09-01" and planted["ota_surge"]["category"] in (top.key, top.suggested_category)
    assert planted["ota_surge"]["category"] in [p.key for p in review.proposals if p.kind == "category"]


@pytest.mark.slow
def test_a_second_refit_keeps_the_topic_ids(discovered):
    _, first, second = discovered
    events = second["lineage_events"]
    kept = events.get("kept", 0) + events.get("merged", 0)
    assert kept >= 0.9 * first["topics"], events
    assert second["topic_model_version"] != first["topic_model_version"]


@pytest.mark.slow
def test_daily_flow_publishes_topics_over_time(daily_runs):
    params, _, _ = daily_runs
    with duckdb.connect(str(params.outputs.database), read_only=True) as con:
        trend = con.execute("SELECT period, sum(clauses) AS c, max(period_feedback) AS f FROM fact_topic_trend GROUP BY 1").df()
        clauses = con.execute("SELECT period, count(*) AS c FROM clauses GROUP BY 1").df()
        feedback = con.execute("SELECT period, count(*) AS f FROM feedback GROUP BY 1").df()
    got = trend.merge(clauses, on="period", suffixes=("", "_clauses")).merge(feedback, on="period", suffixes=("", "_fb"))
    assert len(got) == 6
    assert (got["c"] == got["c_clauses"]).all() and (got["f"] == got["f_fb"]).all()


@pytest.mark.slow
def test_daily_fit_records_its_lineage_in_the_database(daily_runs):
    params, first, second = daily_runs
    version = first["topic_model_version"]
    with duckdb.connect(str(params.outputs.database), read_only=True) as con:
        lineage = con.execute("SELECT * FROM topic_lineage WHERE topic_model_version = ?", [version]).df()
        n_topics = con.execute("SELECT count(*) FROM topics WHERE topic_model_version = ? AND topic_id >= 0",
                               [version]).fetchone()[0]
    # The first run fitted the first model: every topic is new, one lineage row each; the re-run
    # assigned to that model without fitting, so no lineage of another version appears.
    assert len(lineage) == n_topics == first["topics"] > 0
    assert set(lineage["event"]) == {"new"} and lineage["topic_id"].is_unique
    assert second["topic_model_version"] == version
    assert (lineage["run_id"] == first["run_id"]).all()
    assert (params.outputs.models_dir / version / "lineage.csv").exists()


@pytest.mark.slow
def test_discovery_reads_and_writes_postgres(daily_runs, discovered, sample_dir, postgres_url, tmp_path, monkeypatch):
    """With database_url the discovery flow works on the daily flow's PostgreSQL output, like on DuckDB."""
    from flows.daily import daily
    from flows.discover import discover_flow

    from pipeline import publish
    from tests.conftest import params_for

    daily_params, _, _ = daily_runs
    pg_daily = params_for(sample_dir / "sources.yaml", tmp_path).replace(database_url=postgres_url)
    shutil.copytree(daily_params.outputs.models_dir, pg_daily.outputs.models_dir)  # start from the same topic model
    daily(pg_daily)
    params, first, _ = discovered
    # The password travels in the environment, never in a parameter (the test server trusts loopback).
    monkeypatch.setenv("VOC_DATABASE_PASSWORD", "s3cret")
    pg = params.replace(database_url=postgres_url, models_dir=tmp_path / "models", review_dir=tmp_path / "review")
    summary = discover_flow(pg)
    # Category tests depend only on the stored mentions: the same flags as on DuckDB.
    assert ({(e["key"]) for e in summary["emerging"] if e["kind"] == "category"}
            == {(e["key"]) for e in first["emerging"] if e["kind"] == "category"})
    v = summary["topic_model_version"]
    topics = publish.read(postgres_url, "topics")
    emerging = publish.read(postgres_url, "emerging")
    assert (topics["topic_model_version"] == v).sum() >= summary["topics"]
    assert set(emerging["topic_model_version"]) == {v} and emerging["is_emerging"].sum() == len(summary["emerging"])
    assert len(publish.read(postgres_url, "topic_lineage").query("topic_model_version == @v")) >= summary["topics"]
    review = read_review(summary["review_file"])
    assert review.database.startswith("postgresql") and "s3cret" not in review.database
    assert "s3cret" not in summary["review_file"] + Path(summary["review_file"]).read_text(encoding="utf-8")
