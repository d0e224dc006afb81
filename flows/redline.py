"""The red-line scan: new feedback in, P0 alerts out within minutes, delivered exactly once through an
outbox, escalated when nobody acknowledges them in time."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pandas as pd
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from pipeline import publish
from pipeline.alerts import new_alerts, scan_mentions
from pipeline.alerts.channels import make_channel
from pipeline.alerts.config import AlertingConfig, load_alerting
from pipeline.alerts.outbox import Outbox, utcnow
from pipeline.alerts.tables import scan_tables
from pipeline.ingest import ingest_sources, load_sources
from pipeline.report.redline import alert_board
from pipeline.taxonomy import Taxonomy, load_taxonomy
from pipeline.windows import TIMEZONE

from flows.redline_params import RedlineParams
from flows.resume import RunLockedError, run_lock

@task(retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def read_new_feedback(sources: Path, lookback_hours: float | None) -> pd.DataFrame:
    feedback = ingest_sources(load_sources(sources)).feedback
    if lookback_hours is not None:
        # created_at is China wall time; "now" must be too, whatever time zone the machine runs in
        now = datetime.now(TIMEZONE).replace(tzinfo=None)
        feedback = feedback[feedback["created_at"] >= now - timedelta(hours=lookback_hours)]
    return feedback


@task(retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def read_stored(database: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    return publish.read(database, "alerts"), publish.read(database, "alert_events")


@task(cache_policy=NO_CACHE)
def detect(feedback: pd.DataFrame, taxonomy: Taxonomy, known: pd.DataFrame, dedup_days: int):
    return new_alerts(feedback, scan_mentions(feedback, taxonomy), taxonomy, known=known if len(known) else None,
                      dedup_days=dedup_days)


@task(cache_policy=NO_CACHE)
def plan(alerts, duplicates, stored, events, taxonomy: Taxonomy, config: AlertingConfig, now: datetime) -> dict:
    return scan_tables(alerts, duplicates, stored, events, taxonomy, config, now)


@task(retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def store(database: str, tables: dict, lineage: dict) -> dict:
    # Alerts, their messages, escalations and statuses in one transaction: an alert is never stored
    # unqueued, an escalation never recorded unsent.
    return publish.write(database, tables, lineage) if tables else {}


# Safe to retry: a message is claimed before it is sent and marked sent after, so a retry never resends.
@task(retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def deliver(database: str, config: AlertingConfig, webhook_url: str | None, escalation_url: str | None,
            backoff_seconds: float | None, now: datetime) -> dict | None:
    channels = {route: make_channel(spec, url=webhook_url if route == "primary" else escalation_url)
                for route, spec in config.channels.items()}
    if escalation_url and "escalation" not in config.channels:
        channels["escalation"] = make_channel(config.channels["primary"], url=escalation_url)
    if not any(channels.values()):
        return None  # no receiver configured: messages wait in the outbox
    d = config.delivery
    return Outbox(database, channels, timeout=d.timeout_seconds, backoff_base=backoff_seconds or d.backoff_seconds,
                  backoff_max=d.backoff_max_seconds, lease_seconds=d.lease_seconds).deliver(now=now)


@task(cache_policy=NO_CACHE)
def show_board(database: str, taxonomy: Taxonomy, now: datetime, summary: str) -> None:
    """The open alerts, overdue first, as a table on the flow run's page (a view: never fails the scan)."""
    from prefect.artifacts import create_table_artifact

    try:
        alerts, events = publish.read(database, "alerts"), publish.read(database, "alert_events")
        names = {c: taxonomy.categories[c].name for c in taxonomy.categories}
        board = alert_board(alerts, events if len(events) else None, names, now, include_closed=False, limit=50)
        create_table_artifact(key="voc-redline-board", table=board.drop(columns="alert_id").to_dict("records"),
                              description=summary)
    except Exception as exc:  # noqa: BLE001 - see docstring
        get_run_logger().warning("artifact voc-redline-board not created: %s", exc)


@flow(name="voc-redline", log_prints=True)
def redline_flow(params: RedlineParams = RedlineParams()) -> dict:
    """Scan feedback for red-line (P0) complaints, store new alerts, escalate missed deadlines, send."""
    log = get_run_logger()
    params = params.in_workspace()
    inputs, scan, send, database = params.inputs, params.scan, params.delivery, params.outputs.database
    taxonomy = load_taxonomy(inputs.taxonomy)
    config = load_alerting(inputs.alerting)
    lineage = {"run_id": "redline-" + datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6],
               "taxonomy_version": taxonomy.version, "embedder_id": "rules", "topic_model_version": "none"}
    try:
        # Overlapping scans (a slow one, a manual `voc redline`) run one after the other, never together.
        with run_lock(database, params.runtime.lock_timeout_s, name="redline"):
            now = scan.as_of or utcnow()
            feedback = read_new_feedback(inputs.sources, scan.lookback_hours)
            stored, events = read_stored(database)
            alerts, duplicates = detect(feedback, taxonomy, stored, scan.dedup_days)
            tables = plan(alerts, duplicates, stored, events, taxonomy, config, now)
            store(database, tables, lineage)
            delivery = deliver(database, config, send.webhook_url, send.escalation_webhook_url,
                               send.backoff_seconds, now)
    except RunLockedError as exc:
        log.warning("red line: skipped, %s; the scan holding it covers this feedback", exc)
        return {**lineage, "skipped": "locked", "scanned": 0, "new_alerts": 0, "duplicates": 0, "escalated": 0,
                "delivery": None}
    status = tables.get("alert_status", pd.DataFrame(columns=["overdue"]))
    escalated = len(tables.get("alert_events", []))
    overdue = int(status["overdue"].notna().sum())
    line = (f"red line: {len(feedback)} feedback scanned, {len(alerts)} new alerts, {len(duplicates)} folded into "
            f"existing ones, {escalated} escalated, {overdue} overdue, delivery {delivery}")
    log.info(line)
    if len(status):
        show_board(database, taxonomy, now, line)
    return {**lineage, "scanned": len(feedback), "new_alerts": len(alerts), "duplicates": len(duplicates),
            "escalated": escalated, "overdue": overdue, "delivery": delivery}
