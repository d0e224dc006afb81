"""The voc-redline flow under Prefect: scan, store, deliver; a second scan raises nothing new."""

import pytest

from pipeline import publish
from tests.alerts.test_outbox import Receiver, _free_port
from tests.conftest import V1_TAXONOMY


@pytest.mark.slow
def test_redline_flow_alerts_once_and_delivers(sample_dir, planted, tmp_path, prefect_harness):
    from flows.redline import RedlineParams, redline_flow

    port = _free_port()
    receiver = Receiver(port)
    try:
        params = RedlineParams(sources=sample_dir / "sources.yaml", database=str(tmp_path / "voc.duckdb"),
                               taxonomy=V1_TAXONOMY,
                               webhook_url=f"http://127.0.0.1:{port}/hook")
        first = redline_flow(params)
        second = redline_flow(params)
    finally:
        receiver.stop()
    alerts = publish.read(params.outputs.database, "alerts")
    # Every planted P0 report is either an alert or folded into one (same vehicle and category).
    assert first["new_alerts"] + first["duplicates"] >= 0.95 * planted["p0_total"]
    assert first["new_alerts"] == len(alerts) > 0 and first["delivery"]["sent"] == len(alerts)
    assert second["new_alerts"] == 0 and second["delivery"] == {"sent": 0, "failed": 0, "waiting": 0}
    assert sorted(receiver.accepted) == sorted(alerts["alert_id"])
    # The message names the issue and who must act on it.
    brake = [b for b in receiver.bodies if b["category_id"] == "safety.brake_failure"]
    assert brake and all(b["category"] == "刹车失灵" and b["owners"][0] == "底盘研发" for b in brake)
    assert all(b["title"].startswith("【红线预警】") and b["severity"] == "P0" for b in receiver.bodies)
    # The open alerts are shown on the flow run's page (raw API call: Prefect's client sends nulls this
    # server version rejects with HTTP 422).
    import httpx
    from prefect.settings import PREFECT_API_URL

    arts = httpx.post(f"{PREFECT_API_URL.value()}/artifacts/filter", timeout=10, json={
        "artifacts": {"key": {"any_": ["voc-redline-board"]}}}).json()
    assert arts and "red line:" in (arts[0]["description"] or "") and arts[0]["data"]
