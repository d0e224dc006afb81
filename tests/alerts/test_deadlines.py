"""Response deadlines: fixed when an alert is raised, met by review events, escalated once when missed.
The clock is passed in: nothing sleeps."""

from datetime import datetime, timedelta

import pandas as pd
import pytest

from pipeline import publish
from pipeline.alerts import new_alerts, scan_mentions
from pipeline.alerts.channels import WebhookChannel
from pipeline.alerts.config import AlertingConfig, load_alerting
from pipeline.alerts.lifecycle import alert_status, prepare_alerts, review_event
from pipeline.alerts.outbox import Outbox
from pipeline.alerts.tables import scan_tables
from pipeline.errors import InputError
from tests.alerts.receiver import Receiver

T0 = datetime(2026, 7, 20, 2, 0, 0)
LINEAGE = {"run_id": "redline-t", "taxonomy_version": "tx", "embedder_id": "rules", "topic_model_version": "none"}


def detect(taxonomy, texts):
    fb = pd.DataFrame({"feedback_id": [f"f{i}" for i in range(len(texts))], "text": texts, "channel": "app",
                       "created_at": pd.Timestamp("2026-07-20 10:00"), "vehicle_id": [f"veh-{i}" for i in range(len(texts))],
                       "vehicle_model": "远航E6", "region": "华东", "dealer": "杭州西湖店"})
    return new_alerts(fb, scan_mentions(fb, taxonomy), taxonomy)


def scan(db, taxonomy, now, alerts=None, dups=None):
    """One scan's bookkeeping at `now`: store new alerts, escalate what is overdue."""
    stored, events = publish.read(db, "alerts"), publish.read(db, "alert_events")
    if alerts is None:
        alerts, dups = stored.iloc[0:0], pd.DataFrame()
    tables = scan_tables(alerts, dups if dups is not None else pd.DataFrame(), stored, events, taxonomy,
                         AlertingConfig(), now)
    publish.write(db, tables, LINEAGE)
    return tables


def test_deadlines_default_to_30_min_and_2_h_and_regulator_hours_for_ev_fire(taxonomy):
    alerts, _ = detect(taxonomy, ["高速上刹车失灵", "电池包冒烟起火", "车库里自燃了，司机烧伤送医", "充电时冒烟，没有人受伤"])
    out = prepare_alerts(alerts, AlertingConfig(), T0).set_index("feedback_id")
    assert (out["ack_due_at"] == pd.Timestamp(T0 + timedelta(minutes=30))).all()
    assert (out["action_due_at"] == pd.Timestamp(T0 + timedelta(hours=2))).all()
    assert pd.isna(out.loc["f0", "facts_due_at"]) and pd.isna(out.loc["f0", "report_due_at"])  # brakes: no regulator
    assert out.loc["f1", "facts_due_at"] == pd.Timestamp(T0 + timedelta(hours=12))
    assert out.loc["f2", "facts_due_at"] == pd.Timestamp(T0 + timedelta(hours=6))  # injuries: 6 h
    assert out.loc["f3", "facts_due_at"] == pd.Timestamp(T0 + timedelta(hours=12))  # 没有人受伤 is no injury
    assert (out.loc[["f1", "f2", "f3"], "report_due_at"] == pd.Timestamp(T0 + timedelta(hours=48))).all()
    # Detection columns default when the detector does not give them, and are carried when it does.
    assert set(out["detector"]) == {"rules"} and set(out["status"]) == {"open"}
    given = prepare_alerts(alerts.assign(detector="semantic", status="to_confirm", reason="近邻 0.83"), AlertingConfig(), T0)
    assert set(given["detector"]) == {"semantic"} and set(given["status"]) == {"to_confirm"}


def test_unacknowledged_alert_escalates_after_its_deadline_and_acknowledged_one_does_not(taxonomy, tmp_path):
    db = tmp_path / "voc.duckdb"
    alerts, dups = detect(taxonomy, ["高速上刹车失灵", "车突然没动力了", "踩刹车没反应"])
    scan(db, taxonomy, T0, alerts, dups)
    acked, ignored, dismissed = alerts["alert_id"]
    publish.write(db, {"alert_events": pd.concat([
        review_event(acked, "acknowledged", "张工", "已联系车主", T0 + timedelta(minutes=10)),
        review_event(dismissed, "dismissed", "李工", "误报：车主描述的是演示视频", T0 + timedelta(minutes=12))])}, LINEAGE)

    assert "alert_events" not in scan(db, taxonomy, T0 + timedelta(minutes=29))  # not due yet
    t = scan(db, taxonomy, T0 + timedelta(minutes=31))
    assert t["alert_events"][["alert_id", "note"]].values.tolist() == [[ignored, "acknowledge"]]
    status = t["alert_status"].set_index("alert_id")
    assert status.loc[ignored, "overdue"] == "acknowledge" and status.loc[ignored, "escalated"] == "acknowledge"
    assert pd.isna(status.loc[acked, "overdue"]) and status.loc[acked, "status"] == "acknowledged"
    assert status.loc[dismissed, "status"] == "dismissed" and pd.isna(status.loc[dismissed, "overdue"])
    assert "alert_events" not in scan(db, taxonomy, T0 + timedelta(minutes=40))  # escalated once, not per scan

    # Two hours: no owner action on either open alert -> both escalated for owner_action; the dismissed never.
    t = scan(db, taxonomy, T0 + timedelta(hours=2, minutes=1))
    assert sorted(t["alert_events"]["alert_id"]) == sorted([acked, ignored])
    assert set(t["alert_events"]["note"]) == {"owner_action"}

    # The escalations go to the escalation channel, each once, with their own idempotency keys.
    with Receiver() as primary, Receiver() as escalation:
        box = Outbox(db, {"primary": WebhookChannel(primary.url), "escalation": WebhookChannel(escalation.url)})
        assert box.deliver(now=T0 + timedelta(hours=2, minutes=2))["sent"] == 6
        assert box.deliver(now=T0 + timedelta(hours=3))["sent"] == 0
    assert sorted(primary.keys()) == sorted(alerts["alert_id"])
    assert escalation.keys() == {f"{ignored}:escalated:acknowledge": 1, f"{ignored}:escalated:owner_action": 1,
                                 f"{acked}:escalated:owner_action": 1}
    body = next(p["body"] for p in escalation.posts if p["key"] == f"{ignored}:escalated:acknowledge")
    assert body["kind"] == "escalation" and body["title"].startswith("【红线预警·超时升级】")
    events = publish.read(db, "alert_events")
    assert (events["event"] == "dismissed").sum() == 1  # dismissals are kept for evaluating the detector


def test_status_prefers_the_latest_decision_and_owner_action_meets_its_deadline(taxonomy):
    alerts, _ = detect(taxonomy, ["高速上刹车失灵"])
    a = prepare_alerts(alerts, AlertingConfig(), T0)
    aid = a["alert_id"].iloc[0]
    ev = pd.concat([review_event(aid, "dismissed", "李工", None, T0 + timedelta(minutes=5)),
                    review_event(aid, "confirmed", "王经理", "复核后确认", T0 + timedelta(minutes=20))])
    s = alert_status(a, ev, T0 + timedelta(hours=3)).iloc[0]
    assert s["status"] == "confirmed" and s["reviewed_by"] == "王经理" and pd.isna(s["overdue"])
    assert s["acknowledged_at"] == pd.Timestamp(T0 + timedelta(minutes=5))


def test_alerting_file_loads_and_errors_name_the_field(tmp_path):
    cfg = load_alerting("taxonomies/alerting.yaml")
    assert cfg.deadlines["P0"].acknowledge == 30 and cfg.deadlines["P0"].owner_action == 120
    assert cfg.regulator.facts_hours == 12 and cfg.regulator.facts_hours_with_injuries == 6
    assert cfg.regulator.full_report_hours == 48
    bad = tmp_path / "alerting.yaml"
    bad.write_text("deadlines:\n  P0: {acknowledge: 30, owner_action: 10}\n", encoding="utf-8")
    with pytest.raises(InputError, match="owner_action"):
        load_alerting(bad)
    bad.write_text("channels:\n  primary: {type: slack, url: http://x}\n", encoding="utf-8")
    with pytest.raises(InputError, match="type"):
        load_alerting(bad)
