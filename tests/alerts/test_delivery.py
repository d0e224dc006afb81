"""Exactly-once delivery: overlapping scans, a receiver that answers after the timeout, a receiver
that is down. A real HTTP receiver on loopback counts the POSTs."""

import threading
from datetime import datetime, timedelta

import pandas as pd
import pytest

from pipeline import publish
from pipeline.alerts import new_alerts, scan_mentions
from pipeline.alerts.channels import WebhookChannel
from pipeline.alerts.config import AlertingConfig
from pipeline.alerts.lifecycle import prepare_alerts
from pipeline.alerts.outbox import Outbox, outbox_rows
from tests.alerts.receiver import Receiver, free_port

LINEAGE = {"run_id": "redline-1", "taxonomy_version": "tx", "embedder_id": "rules", "topic_model_version": "none"}
T0 = datetime(2026, 7, 20, 2, 0, 0)
P0_TEXTS = ["踩刹车没反应", "车突然没动力了", "电池包冒烟", "高速上刹车失灵", "充电时车底冒烟", "车辆行驶中高压断电",
            "下坡时刹车失灵差点追尾", "机舱冒白烟"]


@pytest.fixture(params=["duckdb", "postgres"])
def target(request, tmp_path):
    if request.param == "duckdb":
        return tmp_path / "alerts.duckdb"
    return request.getfixturevalue("postgres_url")


def queue(taxonomy, target, texts, prefix="a"):
    fb = pd.DataFrame({"feedback_id": [f"{prefix}{i}" for i in range(len(texts))], "text": texts,
                       "channel": "call_center", "created_at": pd.Timestamp(T0), "vehicle_id": None,
                       "vehicle_model": "远航E6", "region": "华东", "dealer": "上海浦东4S店"})
    alerts, _ = new_alerts(fb, scan_mentions(fb, taxonomy), taxonomy)
    alerts = prepare_alerts(alerts, AlertingConfig(), T0)
    names = {c: taxonomy.categories[c].name for c in taxonomy.categories}
    publish.write(target, {"alerts": alerts, "alert_outbox": outbox_rows(alerts, names, now=T0)}, LINEAGE)
    return list(alerts["alert_id"])


def test_two_scans_at_once_send_each_alert_exactly_once(taxonomy, target):
    ids = queue(taxonomy, target, P0_TEXTS)
    assert len(ids) == len(P0_TEXTS)
    with Receiver(delay=0.15) as rx:  # slow enough that both scans are sending at the same time
        results = []

        def scan():
            results.append(Outbox(target, {"primary": WebhookChannel(rx.url)}, timeout=5).deliver(now=T0))

        threads = [threading.Thread(target=scan) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        # A third scan afterwards finds nothing to send.
        assert Outbox(target, rx.url).deliver(now=T0 + timedelta(minutes=5)) == {"sent": 0, "failed": 0, "waiting": 0}
    assert len(results) == 2 and sum(r["sent"] for r in results) == len(ids)
    assert all(r["sent"] > 0 for r in results)  # both scans really worked in parallel
    assert rx.keys() == {a: 1 for a in ids}  # every alert POSTed exactly once
    assert len(rx.posts) == len(ids)


def test_receiver_answering_after_the_timeout_gets_no_second_copy_before_the_lease_ends(taxonomy, target):
    [aid] = queue(taxonomy, target, ["高速上刹车失灵"])
    with Receiver(delay=1.0) as rx:
        box = Outbox(target, rx.url, timeout=0.3, lease_seconds=300)
        # The request arrives but its answer comes after the timeout: outcome unknown.
        assert box.deliver(now=T0) == {"sent": 0, "failed": 1, "waiting": 1}
        rx.delay = 0.0
        # New scans while the lease holds: nothing is sent again, whatever the backoff says.
        for minutes in (1, 2, 4):
            fresh = Outbox(target, rx.url, timeout=0.3, lease_seconds=300)
            assert fresh.deliver(now=T0 + timedelta(minutes=minutes)) == {"sent": 0, "failed": 0, "waiting": 1}
        assert len(rx.posts) == 1
        # Lease expired: sent again with the SAME idempotency key, and then never again.
        assert Outbox(target, rx.url).deliver(now=T0 + timedelta(seconds=301)) == {"sent": 1, "failed": 0, "waiting": 0}
        assert Outbox(target, rx.url).deliver(now=T0 + timedelta(hours=1)) == {"sent": 0, "failed": 0, "waiting": 0}
    assert [p["key"] for p in rx.posts] == [aid, aid]
    assert rx.posts[0]["body"] == rx.posts[1]["body"]
    row = publish.read(target, "alert_outbox").iloc[0]
    assert row["status"] == "sent" and row["attempts"] == 2


def test_receiver_down_keeps_the_alert_and_sends_it_once_when_back(taxonomy, target):
    [aid] = queue(taxonomy, target, ["踩刹车没反应"])
    port = free_port()
    box = Outbox(target, f"http://127.0.0.1:{port}/hook", timeout=1, backoff_base=5, backoff_max=60)
    assert box.deliver(now=T0) == {"sent": 0, "failed": 1, "waiting": 1}  # nothing listens
    assert box.deliver(now=T0 + timedelta(seconds=5)) == {"sent": 0, "failed": 1, "waiting": 1}
    stored = publish.read(target, "alert_outbox").iloc[0]
    assert stored["status"] == "pending" and "NotDelivered" in stored["last_error"]
    assert pd.isna(stored["lease_until"])  # not delivered: no lease held, the backoff decides
    with Receiver(port=port) as rx:
        assert box.deliver(now=T0 + timedelta(seconds=10)) == {"sent": 0, "failed": 0, "waiting": 1}  # backoff 10 s
        assert box.deliver(now=T0 + timedelta(seconds=15)) == {"sent": 1, "failed": 0, "waiting": 0}
        assert box.deliver(now=T0 + timedelta(hours=1)) == {"sent": 0, "failed": 0, "waiting": 0}
    assert rx.keys() == {aid: 1}


def test_a_second_write_of_the_same_alert_does_not_requeue_a_sent_message(taxonomy, tmp_path):
    target = tmp_path / "x.duckdb"
    ids = queue(taxonomy, target, ["踩刹车没反应"])
    with Receiver() as rx:
        assert Outbox(target, rx.url).deliver(now=T0)["sent"] == 1
        queue(taxonomy, target, ["踩刹车没反应"])  # an overlapping scan that detected it too
        assert Outbox(target, rx.url).deliver(now=T0 + timedelta(minutes=1))["sent"] == 0
    assert rx.keys() == {ids[0]: 1}
    assert publish.read(target, "alert_outbox")["status"].tolist() == ["sent"]


def test_messages_queued_by_an_earlier_release_are_still_sent_once(taxonomy, target):
    """An outbox without message ids and leases (the earlier format), then a new scan's messages."""
    import json

    old = pd.DataFrame({"alert_id": ["alert-old1"], "payload": [json.dumps({"alert_id": "alert-old1", "text": "刹车失灵"},
                                                                           ensure_ascii=False)],
                        "status": ["pending"], "attempts": [0], "next_attempt_at": [pd.Timestamp(T0)],
                        "last_error": pd.Series([None], dtype="string"), "sent_at": [pd.NaT], "queued_at": [pd.Timestamp(T0)]})
    engine = Outbox(target, "http://unused")._engine()
    with engine.begin() as conn:
        old.astype({"sent_at": "datetime64[us]"}).to_sql("alert_outbox", conn, index=False)
    engine.dispose()
    ids = queue(taxonomy, target, ["踩刹车没反应"])  # a newer scan adds the new columns first
    with Receiver() as rx:
        assert Outbox(target, rx.url).deliver(now=T0)["sent"] == 2
        assert Outbox(target, rx.url).deliver(now=T0 + timedelta(hours=1))["sent"] == 0
    assert rx.keys() == {"alert-old1": 1, ids[0]: 1}
