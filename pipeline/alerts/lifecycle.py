"""An alert's life after detection: deadlines fixed when it is raised, review events (acknowledged,
confirmed, dismissed, ...), its current status, and the escalations its missed deadlines call for.

Times here are UTC (naive), like the outbox; the feedback's own `created_at` stays China wall time.
Every function takes the clock as an argument, so deadlines are tested without waiting.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta

import pandas as pd

from pipeline.alerts.config import AlertingConfig
from pipeline.schema import require_columns

EVENT_COLUMNS = ["event_id", "alert_id", "event", "by", "note", "at"]
# What a reviewer or the scan records about an alert.
EVENTS = ("acknowledged", "confirmed", "dismissed", "owner_action", "facts_reported", "report_filed", "escalated")
# deadline -> (alerts column holding when it is due, events that meet it)
DEADLINES = {
    "acknowledge": ("ack_due_at", {"acknowledged", "confirmed", "dismissed"}),
    "owner_action": ("action_due_at", {"confirmed", "dismissed", "owner_action"}),
    "regulator_facts": ("facts_due_at", {"facts_reported"}),
    "full_report": ("report_due_at", {"report_filed"}),
}
STATUS_COLUMNS = [
    "alert_id", "category_id", "severity", "detector", "status", "raised_at", "acknowledged_at", "acknowledged_by",
    "owner_action_at", "reviewed_by", "review_note", "ack_due_at", "action_due_at", "facts_due_at", "report_due_at",
    "overdue", "escalated", "next_due_at", "as_of",
]


def _injuries(texts: pd.Series, terms: list[str]) -> pd.Series:
    if not terms:
        return pd.Series(False, index=texts.index)
    # 没有人受伤 / 无人员伤亡 / 未造成伤亡 say the opposite: a negation shortly before the term cancels it.
    neg = re.compile(r"(没有?|无|未|不)[^，。！？,.!?]{0,4}$")
    pattern = re.compile("|".join(re.escape(t) for t in terms))

    def hit(text: str) -> bool:
        return any(not neg.search(text[:m.start()]) for m in pattern.finditer(text))

    return texts.fillna("").astype(str).map(hit).astype(bool)


def prepare_alerts(alerts: pd.DataFrame, config: AlertingConfig, now: datetime) -> pd.DataFrame:
    """New alerts with what detection may not provide and the deadlines fixed when they are raised.

    Args:
        alerts: new alerts (pipeline.alerts.ALERT_COLUMNS; `detector`, `reason`, `status` when the
            detector gives them).
        config: deadlines per severity and the regulator's incident deadlines.
        now: when the alerts are raised (UTC, naive).

    Returns:
        alerts plus detector ("rules" when absent), reason, status ("open" when absent), injuries,
        raised_at, ack_due_at, action_due_at, facts_due_at, report_due_at (UTC; NaT where none applies).
    """
    require_columns(alerts, ["alert_id", "category_id", "severity", "text"], "prepare_alerts")
    out = alerts.copy()
    n = len(out)
    if "detector" not in out.columns:
        out["detector"] = "rules"
    if "reason" not in out.columns:
        terms = out["matched_terms"] if "matched_terms" in out.columns else pd.Series([None] * n, index=out.index)
        out["reason"] = terms.map(lambda t: f"规则命中：{t}" if isinstance(t, str) and t else None)
    if "status" not in out.columns:
        out["status"] = "open"
    out["detector"] = out["detector"].fillna("rules")
    out["status"] = out["status"].fillna("open")
    out["injuries"] = _injuries(out["text"], config.regulator.injury_terms) if n else pd.Series(dtype=bool)
    raised = pd.Timestamp(now)
    due = {c: [] for c in ("ack_due_at", "action_due_at", "facts_due_at", "report_due_at")}
    for sev, cat, injured in zip(out["severity"], out["category_id"], out["injuries"]):
        d = config.deadlines.get(str(sev))
        due["ack_due_at"].append(raised + timedelta(minutes=d.acknowledge) if d else pd.NaT)
        due["action_due_at"].append(raised + timedelta(minutes=d.owner_action) if d else pd.NaT)
        reg = config.regulator
        if reg.applies(str(cat)):
            facts = reg.facts_hours_with_injuries if injured else reg.facts_hours
            due["facts_due_at"].append(raised + timedelta(hours=facts))
            due["report_due_at"].append(raised + timedelta(hours=reg.full_report_hours))
        else:
            due["facts_due_at"].append(pd.NaT)
            due["report_due_at"].append(pd.NaT)
    out["raised_at"] = pd.Series([raised] * n, index=out.index, dtype="datetime64[us]")
    for col, values in due.items():
        out[col] = pd.Series(values, index=out.index, dtype="datetime64[us]")
    return out.astype({"detector": "string", "reason": "string", "status": "string"})


def review_event(alert_id: str, event: str, by: str, note: str | None, at: datetime,
                 event_id: str | None = None) -> pd.DataFrame:
    """One event row (EVENT_COLUMNS) for `alert_id`."""
    if event not in EVENTS:
        raise ValueError(f"review_event: 'event' must be one of {', '.join(EVENTS)}; got {event!r}")
    return events_frame([{"event_id": event_id or f"{alert_id}:{event}:{uuid.uuid4().hex[:12]}",
                          "alert_id": alert_id, "event": event, "by": by, "note": note, "at": pd.Timestamp(at)}])


def events_frame(rows: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=EVENT_COLUMNS)
    return df.astype({c: "string" for c in EVENT_COLUMNS if c != "at"}).astype({"at": "datetime64[us]"})


def _col(df: pd.DataFrame, name: str, default=None) -> pd.Series:
    return df[name] if name in df.columns else pd.Series([default] * len(df), index=df.index, dtype=object)


def alert_status(alerts: pd.DataFrame, events: pd.DataFrame | None, now: datetime) -> pd.DataFrame:
    """Each alert's current status and which of its deadlines are overdue.

    Args:
        alerts: stored alerts (with the deadline columns of `prepare_alerts`; older rows may lack them).
        events: stored events (EVENT_COLUMNS), or None.
        now: the clock (UTC, naive).

    Returns:
        STATUS_COLUMNS, one row per alert. `status`: the latest of confirmed / dismissed, else
        acknowledged, else the detector's open / to_confirm. `overdue`: comma-separated deadlines
        passed unmet (none for a dismissed alert); `escalated`: deadlines already escalated.
    """
    require_columns(alerts, ["alert_id", "category_id"], "alert_status")
    ev = events if events is not None and len(events) else events_frame([])
    ev = ev.sort_values("at", kind="stable")
    by_alert = {a: g for a, g in ev.groupby("alert_id", sort=False)}
    now = pd.Timestamp(now)
    rows = []
    for r in alerts.drop_duplicates("alert_id").to_dict("records"):
        g = by_alert.get(r["alert_id"], ev.iloc[0:0])
        decisive = g[g["event"].isin(["confirmed", "dismissed"])]
        acks = g[g["event"].isin(DEADLINES["acknowledge"][1])]
        actions = g[g["event"].isin(DEADLINES["owner_action"][1])]
        status = (decisive["event"].iloc[-1] if len(decisive) else "acknowledged" if len(acks)
                  else (r.get("status") if isinstance(r.get("status"), str) else "open"))
        last = decisive.iloc[-1] if len(decisive) else (acks.iloc[-1] if len(acks) else None)
        overdue, nxt = [], pd.NaT
        if status != "dismissed":
            for name, (col, meets) in DEADLINES.items():
                due = r.get(col)
                if due is None or pd.isna(due) or g["event"].isin(meets).any():
                    continue
                if pd.Timestamp(due) <= now:
                    overdue.append(name)
                elif pd.isna(nxt) or pd.Timestamp(due) < nxt:
                    nxt = pd.Timestamp(due)
        escalated = g.loc[g["event"] == "escalated", "note"].dropna().unique().tolist()
        rows.append({
            "alert_id": r["alert_id"], "category_id": r["category_id"], "severity": r.get("severity") or "P0",
            "detector": r.get("detector") if isinstance(r.get("detector"), str) else "rules", "status": status,
            "raised_at": r.get("raised_at"),
            "acknowledged_at": acks["at"].iloc[0] if len(acks) else pd.NaT,
            "acknowledged_by": acks["by"].iloc[0] if len(acks) else None,
            "owner_action_at": actions["at"].iloc[0] if len(actions) else pd.NaT,
            "reviewed_by": None if last is None else last["by"], "review_note": None if last is None else last["note"],
            **{c: r.get(c) for c in ("ack_due_at", "action_due_at", "facts_due_at", "report_due_at")},
            "overdue": ",".join(overdue) or None, "escalated": ",".join(escalated) or None,
            "next_due_at": nxt, "as_of": now,
        })
    out = pd.DataFrame(rows, columns=STATUS_COLUMNS)
    times = ["raised_at", "acknowledged_at", "owner_action_at", "ack_due_at", "action_due_at", "facts_due_at",
             "report_due_at", "next_due_at", "as_of"]
    for c in times:
        out[c] = pd.to_datetime(out[c]).astype("datetime64[us]")
    return out.astype({c: "string" for c in STATUS_COLUMNS if c not in times})


def escalations(status: pd.DataFrame, now: datetime, by: str = "voc-redline") -> pd.DataFrame:
    """The `escalated` events due now: one per alert and overdue deadline not escalated before.

    Args:
        status: from `alert_status`.
        now: the clock (UTC, naive).
        by: who escalates (recorded on the event).

    Returns:
        EVENT_COLUMNS; event_id `<alert_id>:escalated:<deadline>`, so an escalation is recorded (and
        sent) once however many scans see it overdue; `note` is the deadline.
    """
    require_columns(status, ["alert_id", "overdue", "escalated"], "escalations")
    rows = []
    for r in status.itertuples(index=False):
        if not isinstance(r.overdue, str) or not r.overdue:
            continue
        done = set(r.escalated.split(",")) if isinstance(r.escalated, str) and r.escalated else set()
        for name in r.overdue.split(","):
            if name not in done:
                rows.append({"event_id": f"{r.alert_id}:escalated:{name}", "alert_id": r.alert_id,
                             "event": "escalated", "by": by, "note": name, "at": pd.Timestamp(now)})
    return events_frame(rows)
