"""The red-line scan: new feedback in, P0 alerts out within minutes, delivered through an outbox."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pandas as pd
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from pydantic import BaseModel, Field

from pipeline import publish
from pipeline.alerts import new_alerts, scan_mentions
from pipeline.alerts.outbox import Outbox, outbox_rows
from pipeline.ingest import ingest_sources, load_sources
from pipeline.taxonomy import Taxonomy, load_taxonomy
from pipeline.windows import TIMEZONE

REPO = Path(__file__).resolve().parent.parent


class RedlineParams(BaseModel):
    """Parameters of the red-line scan (rendered as a form in the Prefect UI)."""

    sources: Path = Field(REPO / "data/sample/sources.yaml", description="source mapping YAML")
    taxonomy: Path = Field(REPO / "taxonomies/automotive_v2.yaml", description="taxonomy YAML")
    database: str = Field(str(REPO / "data/voc.duckdb"), description="DuckDB file or SQLAlchemy URL")
    webhook_url: str | None = Field(None, description="where alerts are POSTed; None keeps them queued")
    lookback_hours: float | None = Field(None, gt=0, description="only feedback created this recently; None = all")
    dedup_days: int = Field(7, ge=0, description="one alert per vehicle and P0 category within this many days")
    backoff_seconds: float = Field(5.0, gt=0, description="wait before the first retry; doubles per failure")


@task(retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def read_new_feedback(sources: Path, lookback_hours: float | None) -> pd.DataFrame:
    feedback = ingest_sources(load_sources(sources)).feedback
    if lookback_hours is not None:
        # created_at is China wall time; "now" must be too, whatever time zone the machine runs in
        now = datetime.now(TIMEZONE).replace(tzinfo=None)
        feedback = feedback[feedback["created_at"] >= now - timedelta(hours=lookback_hours)]
    return feedback


@task(cache_policy=NO_CACHE)
def detect(feedback: pd.DataFrame, taxonomy: Taxonomy, known: pd.DataFrame, dedup_days: int):
    return new_alerts(feedback, scan_mentions(feedback, taxonomy), taxonomy, known=known if len(known) else None,
                      dedup_days=dedup_days)


@task(retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def store_alerts(database: str, alerts: pd.DataFrame, duplicates: pd.DataFrame, taxonomy: Taxonomy, lineage: dict):
    # The alerts and their outbox rows are written in one transaction: an alert is never stored unsent-and-unqueued.
    names = {c: taxonomy.categories[c].name for c in taxonomy.categories}
    owners = {c: [taxonomy.departments[d].name for d, _ in sorted(taxonomy.owners(c).items(), key=lambda x: -x[1])]
              for c in set(alerts["category_id"])}
    tables = {"alerts": alerts, "alert_duplicates": duplicates, "alert_outbox": outbox_rows(alerts, names, owners=owners)}
    return publish.write(database, {k: v for k, v in tables.items() if len(v)}, lineage) if len(alerts) or len(duplicates) else {}


@task(cache_policy=NO_CACHE)
def deliver(database: str, webhook_url: str, backoff_seconds: float) -> dict:
    return Outbox(database, webhook_url, backoff_base=backoff_seconds).deliver()


@flow(name="voc-redline", log_prints=True)
def redline_flow(params: RedlineParams = RedlineParams()) -> dict:
    """Scan feedback for red-line (P0) complaints, store new alerts and send them to the webhook."""
    log = get_run_logger()
    taxonomy = load_taxonomy(params.taxonomy)
    lineage = {"run_id": "redline-" + datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6],
               "taxonomy_version": taxonomy.version, "embedder_id": "rules", "topic_model_version": "none"}
    feedback = read_new_feedback(params.sources, params.lookback_hours)
    known = publish.read(params.database, "alerts")
    alerts, duplicates = detect(feedback, taxonomy, known, params.dedup_days)
    store_alerts(params.database, alerts, duplicates, taxonomy, lineage)
    delivery = deliver(params.database, params.webhook_url, params.backoff_seconds) if params.webhook_url else None
    log.info("red line: %s feedback scanned, %s new alerts, %s folded into existing ones, delivery %s",
             len(feedback), len(alerts), len(duplicates), delivery)
    return {**lineage, "scanned": len(feedback), "new_alerts": len(alerts), "duplicates": len(duplicates),
            "delivery": delivery}
