"""Webhook delivery through the outbox against a local receiver that is down, then failing, then
back: every alert arrives, and none arrives twice."""

import json
import socket
import threading
from collections import Counter
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pandas as pd
import pytest

from pipeline import publish
from pipeline.alerts import new_alerts, scan_mentions
from pipeline.alerts.outbox import Outbox, outbox_rows

LINEAGE = {"run_id": "redline-1", "taxonomy_version": "tx", "embedder_id": "rules", "topic_model_version": "none"}
T0 = datetime(2026, 7, 20, 10, 0, 0)


class Receiver:
    """A webhook receiver on loopback: answers 503 while failing, else records and answers 200."""

    def __init__(self, port: int) -> None:
        self.port, self.failing, self.fail_next = port, False, 0
        self.accepted: list[str] = []
        self.bodies: list[dict] = []
        self.requests = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])).decode("utf-8"))
                receiver.requests += 1
                assert body["alert_id"] == self.headers["Idempotency-Key"]
                if receiver.failing or receiver.fail_next > 0:
                    receiver.fail_next = max(0, receiver.fail_next - 1)
                    self.send_response(503)
                else:
                    receiver.accepted.append(body["alert_id"])
                    receiver.bodies.append(body)
                    self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _alerts(taxonomy, texts, prefix):
    fb = pd.DataFrame({"feedback_id": [f"{prefix}{i}" for i in range(len(texts))], "text": texts,
                       "channel": "call_center", "created_at": pd.Timestamp(T0), "vehicle_id": None,
                       "vehicle_model": "远航E6", "region": "华东", "dealer": None})
    alerts, dups = new_alerts(fb, scan_mentions(fb, taxonomy), taxonomy)
    names = {c: taxonomy.categories[c].name for c in taxonomy.categories}
    return {"alerts": alerts, "alert_outbox": outbox_rows(alerts, names, now=T0)}


@pytest.fixture(params=["duckdb", "postgres"])
def target(request, tmp_path):
    if request.param == "duckdb":
        return tmp_path / "alerts.duckdb"
    return request.getfixturevalue("postgres_url")


def test_no_alert_lost_and_none_sent_twice_across_an_outage(taxonomy, target):
    batch = _alerts(taxonomy, ["踩刹车没反应", "车突然没动力了", "电池包冒烟", "高速上刹车失灵", "充电时车底冒烟"], "a")
    ids = set(batch["alerts"]["alert_id"])
    assert len(ids) == 5
    publish.write(target, batch, LINEAGE)
    port = _free_port()
    box = Outbox(target, f"http://127.0.0.1:{port}/hook", timeout=2, backoff_base=5, backoff_max=60)

    # 1. Receiver down (nothing listens): every attempt fails, nothing is lost.
    assert box.deliver(now=T0) == {"sent": 0, "failed": 5, "waiting": 5}
    receiver = Receiver(port)
    try:
        # 2. Back up but failing (503); retries wait for their backoff (5 s, then 10 s).
        receiver.failing = True
        assert box.deliver(now=T0 + timedelta(seconds=1)) == {"sent": 0, "failed": 0, "waiting": 5}
        assert box.deliver(now=T0 + timedelta(seconds=5)) == {"sent": 0, "failed": 5, "waiting": 5}
        assert box.deliver(now=T0 + timedelta(seconds=14)) == {"sent": 0, "failed": 0, "waiting": 5}
        # 3. Recovering: the first two requests still fail, the rest go through.
        receiver.failing, receiver.fail_next = False, 2
        assert box.deliver(now=T0 + timedelta(seconds=15)) == {"sent": 3, "failed": 2, "waiting": 2}
        # 4. Healthy: the two left are sent once their backoff (20 s) has passed; then nothing is resent.
        assert box.deliver(now=T0 + timedelta(seconds=20)) == {"sent": 0, "failed": 0, "waiting": 2}
        assert box.deliver(now=T0 + timedelta(seconds=40)) == {"sent": 2, "failed": 0, "waiting": 0}
        assert box.deliver(now=T0 + timedelta(hours=1)) == {"sent": 0, "failed": 0, "waiting": 0}
        # A new alert queued after the outage goes straight through.
        later = _alerts(taxonomy, ["车辆行驶中高压断电"], "b")
        publish.write(target, later, {**LINEAGE, "run_id": "redline-2"})
        assert box.deliver(now=T0 + timedelta(hours=2)) == {"sent": 1, "failed": 0, "waiting": 0}
    finally:
        receiver.stop()
    every = ids | set(later["alerts"]["alert_id"])
    assert Counter(receiver.accepted) == Counter({a: 1 for a in every})  # all arrived, none twice
    assert receiver.requests == 5 + 2 + 6  # 503s while failing and recovering + accepted: nothing more
    outbox = publish.read(target, "alert_outbox").set_index("alert_id")
    assert set(outbox["status"]) == {"sent"} and outbox["sent_at"].notna().all()
    assert outbox.loc[list(ids), "attempts"].tolist().count(4) == 2  # down, 503, 503, sent


def test_backoff_doubles_up_to_a_cap(tmp_path):
    box = Outbox(tmp_path / "x.duckdb", "http://127.0.0.1:9/", backoff_base=5, backoff_max=60)
    assert [box.backoff(n).total_seconds() for n in range(1, 7)] == [5, 10, 20, 40, 60, 60]
