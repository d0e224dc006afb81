"""Webhook delivery through an outbox: an alert is stored with its outbox row in the same transaction,
then sent until the receiver accepts it, with exponential backoff between attempts.

Nothing is ever dropped: a row stays `pending` however often the receiver fails, and is marked `sent`
only after a 2xx answer. Each POST carries the alert id as `Idempotency-Key`, so a receiver that
processed a request whose answer was lost can recognise the retry.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

import pandas as pd
import sqlalchemy as sa

from pipeline.schema import require_columns

OUTBOX_COLUMNS = ["alert_id", "payload", "status", "attempts", "next_attempt_at", "last_error", "sent_at", "queued_at"]


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def outbox_rows(alerts: pd.DataFrame, category_names: dict[str, str], now: datetime | None = None,
                owners: dict[str, list[str]] | None = None) -> pd.DataFrame:
    """One pending outbox row per alert, with the JSON payload the webhook receives.

    Args:
        alerts: new alerts (pipeline.alerts.ALERT_COLUMNS).
        category_names: category id -> name, for a readable message.
        now: queue time (UTC); defaults to the current time.
        owners: category id -> owning department names, largest share first (who must act).

    Returns:
        OUTBOX_COLUMNS; status pending, attempts 0, due immediately.
    """
    require_columns(alerts, ["alert_id", "feedback_id", "category_id", "created_at", "text"], "outbox_rows")
    now = now or utcnow()
    payloads = []
    for r in alerts.itertuples(index=False):
        name = category_names.get(r.category_id, r.category_id)
        payloads.append(json.dumps({
            "alert_id": r.alert_id, "severity": "P0", "category_id": r.category_id, "category": name,
            "title": f"【红线预警】{name}：{r.vehicle_model if isinstance(r.vehicle_model, str) else '车型未知'}",
            "feedback_id": r.feedback_id, "channel": r.channel, "created_at": str(r.created_at),
            "vehicle_id": None if pd.isna(r.vehicle_id) else r.vehicle_id,
            "region": None if pd.isna(r.region) else r.region, "text": r.text,
            "matched_terms": r.matched_terms, "duplicates": int(r.duplicates),
            "owners": (owners or {}).get(r.category_id, []),
        }, ensure_ascii=False))
    n = len(alerts)
    return pd.DataFrame({
        "alert_id": alerts["alert_id"].astype(str).to_numpy(), "payload": pd.Series(payloads, dtype="string"),
        "status": pd.Series(["pending"] * n, dtype="string"), "attempts": pd.Series([0] * n, dtype="int64"),
        "next_attempt_at": pd.Series([now] * n, dtype="datetime64[us]"),
        "last_error": pd.Series([None] * n, dtype="string"),
        "sent_at": pd.Series([pd.NaT] * n, dtype="datetime64[us]"),
        "queued_at": pd.Series([now] * n, dtype="datetime64[us]"),
    })


def post_json(url: str, body: str, key: str, timeout: float) -> int:
    """POST `body` as JSON; returns the HTTP status (raises OSError when the receiver is unreachable)."""
    req = urllib.request.Request(url, data=body.encode("utf-8"), method="POST", headers={
        "Content-Type": "application/json; charset=utf-8", "Idempotency-Key": key})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code


class Outbox:
    """Sends due outbox rows of one database to a webhook.

    Args:
        target: DuckDB file path or SQLAlchemy URL of the output database.
        webhook_url: where alerts are POSTed.
        timeout: seconds per request.
        backoff_base: seconds before the first retry; doubles per failed attempt.
        backoff_max: longest wait between attempts.
        send: (url, body, idempotency key, timeout) -> HTTP status; replaceable for other transports.
    """

    def __init__(self, target, webhook_url: str, timeout: float = 5.0, backoff_base: float = 5.0,
                 backoff_max: float = 600.0, send: Callable[[str, str, str, float], int] = post_json) -> None:
        self.target = target
        self.webhook_url = webhook_url
        self.timeout = timeout
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.send = send

    def _engine(self) -> sa.Engine:
        from pipeline.publish import is_sql_url
        from pipeline.publish_sql import engine_for

        return engine_for(str(self.target)) if is_sql_url(self.target) else sa.create_engine(f"duckdb:///{self.target}")

    def backoff(self, attempts: int) -> timedelta:
        """Wait after the `attempts`-th failed attempt: base x 2^(attempts-1), at most backoff_max."""
        return timedelta(seconds=min(self.backoff_max, self.backoff_base * 2 ** max(0, attempts - 1)))

    def deliver(self, now: datetime | None = None) -> dict[str, int]:
        """Try every pending row that is due; each row in its own transaction.

        Args:
            now: the clock (UTC, naive); rows whose next_attempt_at is later wait.

        Returns:
            counts: sent, failed (this call), waiting (pending and not yet due or failed now).
        """
        now = now or utcnow()
        engine = self._engine()
        locking = engine.dialect.name == "postgresql"
        sent = failed = 0
        try:
            with engine.connect() as conn:
                if not sa.inspect(conn).has_table("alert_outbox"):
                    return {"sent": 0, "failed": 0, "waiting": 0}
                due = [r[0] for r in conn.execute(sa.text(
                    "SELECT alert_id FROM alert_outbox WHERE status = 'pending' AND next_attempt_at <= :now "
                    "ORDER BY queued_at, alert_id"), {"now": now}).fetchall()]
            for alert_id in due:
                with engine.begin() as conn:
                    # Claim the row: under PostgreSQL a concurrent scanner skips it instead of sending it too.
                    lock = " FOR UPDATE SKIP LOCKED" if locking else ""
                    row = conn.execute(sa.text(
                        f"SELECT payload, attempts FROM alert_outbox WHERE alert_id = :a AND status = 'pending'{lock}"),
                        {"a": alert_id}).fetchone()
                    if row is None:
                        continue
                    payload, attempts = row
                    try:
                        status, error = self.send(self.webhook_url, payload, alert_id, self.timeout), None
                    except OSError as exc:  # refused, reset, timed out: the receiver is down
                        status, error = None, f"{type(exc).__name__}: {exc}"
                    if status is not None and 200 <= status < 300:
                        conn.execute(sa.text(
                            "UPDATE alert_outbox SET status = 'sent', attempts = attempts + 1, sent_at = :now, "
                            "last_error = NULL WHERE alert_id = :a"), {"now": now, "a": alert_id})
                        sent += 1
                    else:
                        conn.execute(sa.text(
                            "UPDATE alert_outbox SET attempts = attempts + 1, next_attempt_at = :next, "
                            "last_error = :err WHERE alert_id = :a"),
                            {"next": now + self.backoff(attempts + 1), "err": error or f"HTTP {status}", "a": alert_id})
                        failed += 1
            with engine.connect() as conn:
                waiting = conn.execute(sa.text("SELECT count(*) FROM alert_outbox WHERE status = 'pending'")).scalar_one()
        finally:
            engine.dispose()
        return {"sent": sent, "failed": failed, "waiting": int(waiting)}
