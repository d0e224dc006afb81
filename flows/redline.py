"""The red-line scan: new feedback in, P0 alerts out within minutes, delivered exactly once through an
outbox, escalated when nobody acknowledges them in time."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pandas as pd
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from pydantic import BaseModel, Field, field_validator

from pipeline import publish
from pipeline.alerts import new_alerts, scan_mentions
from pipeline.alerts.channels import make_channel
from pipeline.alerts.config import AlertingConfig, load_alerting
from pipeline.alerts.outbox import Outbox, utcnow
from pipeline.alerts.tables import scan_tables
from pipeline.ingest import ingest_sources, load_sources
from pipeline.store.urls import no_password_in_url
from pipeline.report.redline import alert_board
from pipeline.taxonomy import Taxonomy, load_taxonomy
from pipeline.windows import TIMEZONE
from pipeline.workspace import LAYOUT, workspace_root

from flows.resume import RunLockedError, run_lock

REPO = Path(__file__).resolve().parent.parent


class RedlineParams(BaseModel):
    """Parameters of the red-line scan (rendered as a form in the Prefect UI)."""

    workspace: Path | None = Field(None, description="folder of this data set's outputs; empty: $VOC_WORKSPACE, "
                                                   "voc.yaml's `workspace`, or ./data")
    sources: Path | None = Field(None, description="source mapping YAML; empty: <workspace>/sample/sources.yaml")
    taxonomy: Path = Field(REPO / "taxonomies/automotive_v2.yaml", description="taxonomy YAML")
    database: str | None = Field(None, description="DuckDB file or SQLAlchemy URL (no password: set "
                                                   "VOC_DATABASE_PASSWORD); empty: <workspace>/voc.duckdb")
    alerting: Path = Field(REPO / "taxonomies/alerting.yaml", description="deadlines, channels, delivery timing")
    webhook_url: str | None = Field(None, description="primary channel URL (overrides alerting.yaml); "
                                                      "no URL anywhere keeps alerts queued")
    escalation_webhook_url: str | None = Field(None, description="escalation channel URL (overrides alerting.yaml)")
    lookback_hours: float | None = Field(None, gt=0, description="only feedback created this recently; None = all")
    dedup_days: int = Field(7, ge=0, description="one alert per vehicle and P0 category within this many days")
    backoff_seconds: float | None = Field(None, gt=0, description="first retry wait (overrides alerting.yaml)")
    lock_timeout_s: float = Field(240, ge=0, description="wait this long for an overlapping scan, then skip")
    as_of: datetime | None = Field(None, description="the clock for deadlines (UTC); empty: now. For replays")


    @field_validator("database")
    @classmethod
    def _no_password(cls, url: str | None) -> str | None:
        return no_password_in_url(url) if url and publish.is_sql_url(url) else url

    def in_workspace(self) -> RedlineParams:
        """A copy with an empty database and sources set inside the workspace folder."""
        root = workspace_root(self.workspace)
        return self.model_copy(update={
            "workspace": root, "database": self.database or str(root / LAYOUT["database"]),
            "sources": self.sources or root / LAYOUT["sample_dir"] / "sources.yaml"})


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
    taxonomy = load_taxonomy(params.taxonomy)
    config = load_alerting(params.alerting)
    lineage = {"run_id": "redline-" + datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6],
               "taxonomy_version": taxonomy.version, "embedder_id": "rules", "topic_model_version": "none"}
    try:
        # Overlapping scans (a slow one, a manual `voc redline`) run one after the other, never together.
        with run_lock(params.database, params.lock_timeout_s, name="redline"):
            now = params.as_of or utcnow()
            feedback = read_new_feedback(params.sources, params.lookback_hours)
            stored, events = read_stored(params.database)
            alerts, duplicates = detect(feedback, taxonomy, stored, params.dedup_days)
            tables = plan(alerts, duplicates, stored, events, taxonomy, config, now)
            store(params.database, tables, lineage)
            delivery = deliver(params.database, config, params.webhook_url, params.escalation_webhook_url,
                               params.backoff_seconds, now)
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
        show_board(params.database, taxonomy, now, line)
    return {**lineage, "scanned": len(feedback), "new_alerts": len(alerts), "duplicates": len(duplicates),
            "escalated": escalated, "overdue": overdue, "delivery": delivery}
