"""The red-line lock: scans on one database exclude each other, a daily run does not delay them, and a
scan that cannot get the lock skips instead of failing."""

import pytest

from flows.resume import RunLockedError, run_lock


@pytest.fixture(params=["duckdb", "postgres"])
def target(request, tmp_path):
    if request.param == "duckdb":
        return tmp_path / "voc.duckdb"
    return request.getfixturevalue("postgres_url")


def test_scans_exclude_each_other_but_not_a_daily_run(target):
    with run_lock(target, 1, name="run"):  # a daily run in progress
        with run_lock(target, 1, name="redline"):  # a scan still runs
            with pytest.raises(RunLockedError):
                with run_lock(target, 0.2, name="redline"):  # a second scan waits, then gives up
                    pass
    with run_lock(target, 1, name="redline"):  # free again
        pass


@pytest.mark.slow
def test_a_scan_that_cannot_get_the_lock_skips(sample_dir, tmp_path, prefect_harness):
    from flows.redline import RedlineParams, redline_flow

    db = str(tmp_path / "voc.duckdb")
    with run_lock(db, 1, name="redline"):
        out = redline_flow(RedlineParams(sources=sample_dir / "sources.yaml", database=db, lock_timeout_s=0.2))
    assert out["skipped"] == "locked" and out["new_alerts"] == 0


def test_scan_parameters_default_to_the_workspace_and_refuse_a_password(tmp_path, monkeypatch):
    from pydantic import ValidationError

    from flows.redline import RedlineParams

    with pytest.raises(ValidationError, match="password"):
        RedlineParams(database="postgresql+psycopg://voc:secret@127.0.0.1:5432/voc")
    assert RedlineParams(database="postgresql+psycopg://voc@127.0.0.1:5432/voc").outputs.database.endswith("/voc")
    monkeypatch.setenv("VOC_WORKSPACE", str(tmp_path))
    p = RedlineParams().in_workspace()
    assert p.outputs.database == str(tmp_path / "voc.duckdb") and p.inputs.sources == tmp_path / "sample" / "sources.yaml"
