"""Exactly-once delivery through an outbox: a message is stored in the same transaction as its alert
(or escalation), then sent by whichever scan claims it first.

- **Claimed with a lease.** A scan claims one due message at a time with a conditional UPDATE (on
  PostgreSQL also `FOR UPDATE SKIP LOCKED`; on DuckDB a concurrent claim fails with a write conflict
  and is retried), holding it for `lease_seconds`. Overlapping scans therefore never send the same
  message: a second scan skips what the first holds.
- **Nothing is dropped.** A message stays `pending` however often the receiver fails (backoff doubles
  per failed attempt) and is marked `sent` only after the receiver accepted it.
- **Same key on every retry.** Each request carries `Idempotency-Key: <message_id>`, fixed when the
  message is queued. When the receiver was unreachable the message is retried after the backoff; when
  the request went out but no answer came (timeout), the receiver may have it, so the lease is kept and
  the message is sent again, with the same key, only after the lease has expired.
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import datetime, timedelta, timezone

import pandas as pd
import sqlalchemy as sa

from pipeline.alerts.channels import Channel, OutcomeUnknown, WebhookChannel
from pipeline.alerts.message import alert_message
from pipeline.schema import require_columns

OUTBOX_COLUMNS = ["message_id", "alert_id", "kind", "route", "payload", "status", "attempts", "next_attempt_at",
                  "last_error", "sent_at", "queued_at", "claimed_by", "lease_until"]
_CLAIM_RETRIES = 20  # DuckDB write conflicts in a row before a scan leaves the rest to the other scan


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _frame(rows: list[dict], now: datetime) -> pd.DataFrame:
    n = len(rows)
    df = pd.DataFrame(rows, columns=["message_id", "alert_id", "kind", "route", "payload"])
    return df.astype("string").assign(
        status=pd.Series(["pending"] * n, dtype="string"), attempts=pd.Series([0] * n, dtype="int64"),
        next_attempt_at=pd.Series([now] * n, dtype="datetime64[us]"), last_error=pd.Series([None] * n, dtype="string"),
        sent_at=pd.Series([pd.NaT] * n, dtype="datetime64[us]"), queued_at=pd.Series([now] * n, dtype="datetime64[us]"),
        claimed_by=pd.Series([None] * n, dtype="string"), lease_until=pd.Series([pd.NaT] * n, dtype="datetime64[us]"),
    )[OUTBOX_COLUMNS]


def outbox_rows(alerts: pd.DataFrame, category_names: dict[str, str], now: datetime | None = None,
                owners: dict[str, list[str]] | None = None) -> pd.DataFrame:
    """One pending message per new alert, to the primary channel.

    Args:
        alerts: new alerts (pipeline.alerts.ALERT_COLUMNS, ideally prepared with deadlines).
        category_names: category id -> name, for a readable message.
        now: queue time (UTC); defaults to the current time.
        owners: category id -> owning department names, largest share first (who must act).

    Returns:
        OUTBOX_COLUMNS; message_id = alert_id (the idempotency key), status pending, due immediately.
    """
    require_columns(alerts, ["alert_id", "feedback_id", "category_id", "created_at", "text"], "outbox_rows")
    rows = []
    for r in alerts.to_dict("records"):
        msg = alert_message(r, category_names.get(r["category_id"], r["category_id"]),
                            (owners or {}).get(r["category_id"], []))
        rows.append({"message_id": r["alert_id"], "alert_id": r["alert_id"], "kind": "alert", "route": "primary",
                     "payload": json.dumps(msg, ensure_ascii=False)})
    return _frame(rows, now or utcnow())


def escalation_rows(events: pd.DataFrame, alerts: pd.DataFrame, category_names: dict[str, str],
                    now: datetime, owners: dict[str, list[str]] | None = None) -> pd.DataFrame:
    """One message per `escalated` event (pipeline.alerts.lifecycle.escalations), to the escalation channel.

    Returns:
        OUTBOX_COLUMNS; message_id = the event id, so an escalation is queued and sent once.
    """
    require_columns(events, ["event_id", "alert_id", "note"], "escalation_rows")
    by_id = {r["alert_id"]: r for r in alerts.to_dict("records")}
    rows = []
    for e in events.itertuples(index=False):
        a = by_id[e.alert_id]
        msg = alert_message(a, category_names.get(a["category_id"], a["category_id"]),
                            (owners or {}).get(a["category_id"], []), kind="escalation", overdue=e.note)
        rows.append({"message_id": e.event_id, "alert_id": e.alert_id, "kind": "escalation", "route": "escalation",
                     "payload": json.dumps(msg, ensure_ascii=False)})
    return _frame(rows, now)


class Outbox:
    """Sends the due messages of one database's outbox.

    Args:
        target: DuckDB file path or SQLAlchemy URL of the output database.
        channels: route ("primary", "escalation") -> channel; a plain URL means a generic webhook as
            primary. Messages of a route without a channel stay queued; escalations go to the primary
            channel when there is no escalation channel.
        timeout: seconds per request.
        backoff_base: seconds before the first retry; doubles per failed attempt.
        backoff_max: longest wait between attempts.
        lease_seconds: how long a claim holds a message (longer than `timeout`).
    """

    def __init__(self, target, channels: dict[str, Channel] | str, timeout: float = 5.0, backoff_base: float = 5.0,
                 backoff_max: float = 600.0, lease_seconds: float = 300.0) -> None:
        self.target = target
        self.channels = channels
        self.timeout = timeout
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.lease_seconds = lease_seconds

    def _routes(self) -> dict[str, Channel]:
        routes = {"primary": WebhookChannel(self.channels)} if isinstance(self.channels, str) else dict(self.channels)
        routes = {k: v for k, v in routes.items() if v is not None}
        if "escalation" not in routes and "primary" in routes:
            routes["escalation"] = routes["primary"]
        return routes

    def _engine(self) -> sa.Engine:
        from pipeline.store.urls import engine_for, is_sql_url

        return engine_for(str(self.target)) if is_sql_url(self.target) else sa.create_engine(f"duckdb:///{self.target}")

    def backoff(self, attempts: int) -> timedelta:
        """Wait after the `attempts`-th failed attempt: base x 2^(attempts-1), at most backoff_max."""
        return timedelta(seconds=min(self.backoff_max, self.backoff_base * 2 ** max(0, attempts - 1)))

    @staticmethod
    def _upgrade(conn: sa.Connection) -> None:
        """Outboxes written by earlier releases: add the lease columns, key old rows by their alert."""
        have = {c["name"] for c in sa.inspect(conn).get_columns("alert_outbox")}
        missing = [(c, t) for c, t in (("message_id", "VARCHAR"), ("kind", "VARCHAR"), ("route", "VARCHAR"),
                                       ("claimed_by", "VARCHAR"), ("lease_until", "TIMESTAMP")) if c not in have]
        for col, typ in missing:
            conn.execute(sa.text(f'ALTER TABLE alert_outbox ADD COLUMN "{col}" {typ}'))
        # Also when a newer scan's write already added the columns: old rows have no message id yet.
        if conn.execute(sa.text("SELECT count(*) FROM alert_outbox WHERE message_id IS NULL")).scalar_one():
            conn.execute(sa.text("UPDATE alert_outbox SET message_id = alert_id, kind = 'alert', route = 'primary' "
                                 "WHERE message_id IS NULL"))

    def _claim(self, engine: sa.Engine, me: str, now: datetime, routes: list[str]):
        """Claim the next due message for this scan; None when there is none left."""
        pg = engine.dialect.name == "postgresql"
        due = ("status = 'pending' AND next_attempt_at <= :now AND (lease_until IS NULL OR lease_until <= :now) "
               "AND route IN :routes")
        stmt = sa.text(
            f"UPDATE alert_outbox SET claimed_by = :me, lease_until = :until WHERE message_id = ("
            f"SELECT message_id FROM alert_outbox WHERE {due} ORDER BY queued_at, message_id LIMIT 1"
            f"{' FOR UPDATE SKIP LOCKED' if pg else ''}) AND {due} "
            f"RETURNING message_id, route, payload, attempts, lease_until"
        ).bindparams(sa.bindparam("routes", expanding=True))
        args = {"me": me, "now": now, "until": now + timedelta(seconds=self.lease_seconds), "routes": routes}
        for attempt in range(_CLAIM_RETRIES):
            try:
                with engine.begin() as conn:
                    return conn.execute(stmt, args).fetchone()
            except sa.exc.DBAPIError as exc:
                if "conflict" not in str(exc).lower():  # DuckDB: another scan claimed the same row first
                    raise
                time.sleep(0.01 * (attempt + 1))
        return None

    def deliver(self, now: datetime | None = None) -> dict[str, int]:
        """Claim and send every due message, one at a time, each claim and outcome in its own transaction.

        Args:
            now: the clock (UTC, naive); messages whose next_attempt_at is later wait.

        Returns:
            counts: sent, failed (this call), waiting (still pending afterwards).
        """
        now = now or utcnow()
        routes = self._routes()
        engine = self._engine()
        me = uuid.uuid4().hex
        sent = failed = 0
        try:
            with engine.begin() as conn:
                if not sa.inspect(conn).has_table("alert_outbox"):
                    return {"sent": 0, "failed": 0, "waiting": 0}
                self._upgrade(conn)
            while routes:
                row = self._claim(engine, me, now, list(routes))
                if row is None:
                    break
                message_id, route, payload, attempts, lease_until = row
                try:
                    refusal = routes[route].send(json.loads(payload), message_id, self.timeout)
                    unknown = False
                except OutcomeUnknown as exc:
                    refusal, unknown = f"{exc}; outcome unknown, resent with the same key after the lease", True
                except OSError as exc:
                    refusal, unknown = f"{type(exc).__name__}: {exc}", False
                with engine.begin() as conn:
                    if refusal is None:
                        conn.execute(sa.text(
                            "UPDATE alert_outbox SET status = 'sent', attempts = attempts + 1, sent_at = :now, "
                            "last_error = NULL, lease_until = NULL WHERE message_id = :m AND claimed_by = :me"),
                            {"now": now, "m": message_id, "me": me})
                        sent += 1
                        continue
                    # After a timeout the lease is kept: no scan sends it again before the lease expires.
                    retry = now + self.backoff(attempts + 1)
                    if unknown:
                        retry = max(retry, pd.Timestamp(lease_until).to_pydatetime())
                    conn.execute(sa.text(
                        "UPDATE alert_outbox SET attempts = attempts + 1, next_attempt_at = :next, last_error = :err"
                        f"{'' if unknown else ', lease_until = NULL'} WHERE message_id = :m AND claimed_by = :me"),
                        {"next": retry, "err": refusal[:500], "m": message_id, "me": me})
                    failed += 1
            with engine.connect() as conn:
                waiting = conn.execute(sa.text("SELECT count(*) FROM alert_outbox WHERE status = 'pending'")).scalar_one()
        finally:
            engine.dispose()
        return {"sent": sent, "failed": failed, "waiting": int(waiting)}
