"""Two data sets in two workspaces never touch each other."""

import hashlib
from pathlib import Path

import duckdb
import pytest

pytestmark = pytest.mark.slow


def _snapshot(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_a_run_in_a_second_workspace_leaves_the_first_byte_identical(tmp_path, prefect_harness):
    from flows.daily import DailyParams, daily
    from samplegen import write_sample

    first_data, second_data = tmp_path / "fleet-a", tmp_path / "fleet-b"
    write_sample(first_data, n_rows=600, seed=3)
    write_sample(second_data, n_rows=500, seed=4)
    ws_a, ws_b = tmp_path / "ws-a", tmp_path / "ws-b"
    daily(DailyParams(sources=first_data / "sources.yaml", workspace=ws_a, partition_rows=5000))
    before = _snapshot(ws_a)
    assert {"voc.duckdb", "out/feedback.parquet"} <= set(before)
    assert any(p.startswith("models/") for p in before) and any(p.startswith("reports/") for p in before)

    summary = daily(DailyParams(sources=second_data / "sources.yaml", workspace=ws_b, partition_rows=5000))
    assert _snapshot(ws_a) == before
    with duckdb.connect(str(ws_b / "voc.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM feedback").fetchall()[0][0] == summary["accepted"]
    # the second data set fitted its own topic model instead of reusing the first one's
    assert summary["topic_model_version"] != "none"
    assert (ws_b / "models" / summary["topic_model_version"]).is_dir()
    assert not (ws_a / "models" / summary["topic_model_version"]).exists()
