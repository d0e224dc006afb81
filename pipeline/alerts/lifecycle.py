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
    a = alerts.drop_duplicates("alert_id").reset_index(drop=True)
    ids = a["alert_id"]
    ev = events if events is not None and len(events) else events_frame([])
    ev = ev[ev["alert_id"].isin(set(ids))].sort_values("at", kind="stable")
    now = pd.Timestamp(now)

    def pick(kinds, how: str) -> pd.DataFrame:
        g = ev[ev["event"].isin(kinds)].groupby("alert_id", sort=False)
        return (g.tail(1) if how == "last" else g.head(1)).set_index("alert_id")

    decisive, last_ack = pick({"confirmed", "dismissed"}, "last"), pick(DEADLINES["acknowledge"][1], "last")
    first_ack, first_action = pick(DEADLINES["acknowledge"][1], "first"), pick(DEADLINES["owner_action"][1], "first")
    detected = _col(a, "status", "open").where(lambda x: x.map(lambda v: isinstance(v, str)), "open")
    status = pd.Series(decisive["event"].reindex(ids).to_numpy(), index=a.index)
    status = status.fillna(pd.Series(ids.isin(last_ack.index).map({True: "acknowledged", False: None}).to_numpy(),
                                     index=a.index)).fillna(detected)
    last = pd.concat([last_ack[~last_ack.index.isin(decisive.index)], decisive])
    kinds = {k: set(g) for k, g in ev.groupby("alert_id")["event"]}
    seen = [kinds.get(i, set()) for i in ids]
    open_ = status != "dismissed"
    overdue = [[] for _ in range(len(a))]
    nxt = pd.Series(pd.NaT, index=a.index, dtype="datetime64[us]")
    for name, (col, meets) in DEADLINES.items():
        due = pd.to_datetime(_col(a, col)).astype("datetime64[us]")
        met = pd.Series([bool(k & meets) for k in seen], index=a.index, dtype=bool)
        pending = due.notna() & open_ & ~met
        for i in a.index[pending & (due <= now)]:
            overdue[i].append(name)
        later = pending & (due > now)
        nxt = nxt.where(~later | (nxt.notna() & (nxt <= due)), due)
    escalated = ev[ev["event"] == "escalated"].groupby("alert_id")["note"].agg(
        lambda s: ",".join(dict.fromkeys(s.dropna())) or None)
    out = pd.DataFrame({
        "alert_id": ids, "category_id": a["category_id"], "severity": _col(a, "severity", "P0").fillna("P0"),
        "detector": _col(a, "detector", "rules").fillna("rules"), "status": status,
        "raised_at": _col(a, "raised_at"),
        "acknowledged_at": first_ack["at"].reindex(ids).to_numpy(), "acknowledged_by": first_ack["by"].reindex(ids).to_numpy(),
        "owner_action_at": first_action["at"].reindex(ids).to_numpy(),
        "reviewed_by": last["by"].reindex(ids).to_numpy(), "review_note": last["note"].reindex(ids).to_numpy(),
        **{c: _col(a, c) for c in ("ack_due_at", "action_due_at", "facts_due_at", "report_due_at")},
        "overdue": [",".join(o) or None for o in overdue], "escalated": escalated.reindex(ids).to_numpy(),
        "next_due_at": nxt, "as_of": now,
    }, index=a.index)[STATUS_COLUMNS]
    times = ["raised_at", "acknowledged_at", "owner_action_at", "ack_due_at", "action_due_at", "facts_due_at",
             "report_due_at", "next_due_at", "as_of"]
    for c in times:
        out[c] = pd.to_datetime(out[c]).astype("datetime64[us]")
    return out.astype({c: "string" for c in STATUS_COLUMNS if c not in times}).reset_index(drop=True)


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
