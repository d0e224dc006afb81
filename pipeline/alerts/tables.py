"""What one red-line scan writes: new alerts with their deadlines and first messages, the escalations
that missed deadlines call for, and every alert's current status. Pure: tables in, tables out."""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from pipeline.alerts.config import AlertingConfig
from pipeline.alerts.lifecycle import alert_status, escalations, events_frame, prepare_alerts
from pipeline.alerts.outbox import escalation_rows, outbox_rows
from pipeline.taxonomy import Taxonomy


def category_labels(taxonomy: Taxonomy, category_ids) -> tuple[dict[str, str], dict[str, list[str]]]:
    """(category id -> name, category id -> owning department names, largest share first)."""
    names = {c: taxonomy.categories[c].name for c in taxonomy.categories}
    owners = {c: [taxonomy.departments[d].name for d, _ in sorted(taxonomy.owners(c).items(), key=lambda x: -x[1])]
              for c in set(category_ids) if c in taxonomy.categories}
    return names, owners


def scan_tables(alerts: pd.DataFrame, duplicates: pd.DataFrame, stored: pd.DataFrame, events: pd.DataFrame,
                taxonomy: Taxonomy, config: AlertingConfig, now: datetime) -> dict[str, pd.DataFrame]:
    """The tables a scan writes, in one transaction.

    Args:
        alerts: new alerts from `new_alerts` (detector, reason, status carried when present).
        duplicates: feedback folded into alerts.
        stored: alerts stored by earlier scans (may be empty).
        events: stored alert events (may be empty).
        taxonomy: for category names and owners.
        config: deadlines and regulator rules.
        now: the clock (UTC, naive).

    Returns:
        name -> table: alerts (new, with deadlines), alert_duplicates, alert_outbox (first notices and
        escalations), alert_events (escalations), alert_status (every alert). Tables without rows are
        left out, except alert_status whenever there is any alert.
    """
    new = prepare_alerts(alerts, config, now)
    every = pd.concat([stored, new], ignore_index=True) if len(stored) else new
    status = alert_status(every, events if len(events) else None, now)
    escalated = escalations(status, now)
    names, owners = category_labels(taxonomy, every["category_id"])
    tables = {
        "alerts": new, "alert_duplicates": duplicates,
        "alert_outbox": pd.concat([outbox_rows(new, names, now=now, owners=owners),
                                   escalation_rows(escalated, every, names, now, owners=owners)], ignore_index=True),
        "alert_events": escalated if len(escalated) else events_frame([]),
    }
    if len(escalated):  # the status written already records the escalations just made
        status = alert_status(every, pd.concat([events, escalated], ignore_index=True) if len(events) else escalated, now)
    out = {k: v for k, v in tables.items() if len(v)}
    if len(every):
        out["alert_status"] = status
    return out
