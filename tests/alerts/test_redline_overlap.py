"""The voc-redline flow end to end: two scans started at once deliver each alert exactly once; a later
scan escalates what nobody acknowledged; `voc alerts` acknowledges, dismisses and lists."""

import re
import threading
from datetime import datetime, timedelta, timezone

import pytest
from typer.testing import CliRunner

from pipeline import publish
from voc.cli import app
from tests.alerts.receiver import Receiver

MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


@pytest.mark.slow
def test_overlapping_scans_then_escalation_and_review(sample_dir, tmp_path, prefect_harness):
    from flows.redline import RedlineParams, redline_flow

    db = str(tmp_path / "voc.duckdb")
    with Receiver(delay=0.05) as primary, Receiver() as escalation:
        params = RedlineParams(sources=sample_dir / "sources.yaml", database=db, webhook_url=primary.url,
                               escalation_webhook_url=escalation.url)
        results = []
        threads = [threading.Thread(target=lambda: results.append(redline_flow(params))) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(300)
        alerts = publish.read(db, "alerts")
        assert len(results) == 2 and len(alerts) > 0
        # One scan raised and sent everything; the other, run after it under the lock, found nothing new.
        assert sorted(r["new_alerts"] for r in results) == [0, len(alerts)]
        assert sum(r["delivery"]["sent"] for r in results) == len(alerts)
        assert primary.keys() == {a: 1 for a in alerts["alert_id"]}  # each alert POSTed exactly once
        assert not any(MOBILE.search(p["body"]["text"]) for p in primary.posts)  # masked text only
        assert all(p["body"]["deadlines"]["acknowledge"] for p in primary.posts)
        assert escalation.posts == []

        runner = CliRunner()
        first, second = sorted(alerts["alert_id"])[:2]
        out = runner.invoke(app, ["alerts", "ack", first[len("alert-"):][:8], "--by", "张工", "--database", db])
        assert out.exit_code == 0, out.output
        out = runner.invoke(app, ["alerts", "dismiss", second, "--by", "李工", "--note", "误报", "--database", db])
        assert out.exit_code == 0, out.output

        # 31 minutes later: every alert nobody acknowledged is escalated, once.
        later = datetime.now(timezone.utc).replace(tzinfo=None) + timedelta(minutes=31)
        r = redline_flow(params.replace(as_of=later))
        assert r["escalated"] == len(alerts) - 2 and r["delivery"]["sent"] == len(alerts) - 2
        r = redline_flow(params.replace(as_of=later + timedelta(minutes=5)))
        assert r["escalated"] == 0 and r["delivery"]["sent"] == 0
    escalated = {k.split(":")[0] for k in escalation.keys()}
    assert escalated == set(alerts["alert_id"]) - {first, second}
    assert set(escalation.keys().values()) == {1}
    assert len(primary.posts) == len(alerts)  # nothing re-sent to the primary channel

    listing = runner.invoke(app, ["alerts", "list", "--all", "--limit", "500", "--database", db])
    assert listing.exit_code == 0, listing.output
    assert "已排除" in listing.output and "已确认收到" in listing.output and "确认" in listing.output
    events = publish.read(db, "alert_events")
    assert (events["event"] == "dismissed").sum() == 1 and (events["event"] == "escalated").sum() == len(alerts) - 2
    status = publish.read(db, "alert_status").set_index("alert_id")
    assert status.loc[second, "status"] == "dismissed" and status.loc[first, "status"] == "acknowledged"
