"""Red-line detection: feedback with a P0 (safety) complaint becomes an alert, one per incident.

An incident is a vehicle and a P0 category within `dedup_days`: the owner who calls the hotline and
then posts the same brake failure online raises one alert, not two; feedback without a vehicle id is
its own incident. A feedback already alerted (a re-run, an overlapping window) never alerts again.
"""

from __future__ import annotations

import hashlib

import pandas as pd

from pipeline.schema import require_columns
from pipeline.taxonomy import Severity, Taxonomy

ALERT_COLUMNS = [
    "alert_id", "feedback_id", "category_id", "severity", "channel", "created_at", "vehicle_id",
    "vehicle_model", "region", "dealer", "text", "matched_terms", "duplicates",
]
DUPLICATE_COLUMNS = ["feedback_id", "category_id", "alert_id"]


def red_line_mentions(mentions: pd.DataFrame, taxonomy: Taxonomy) -> pd.DataFrame:
    """Complaint mentions of P0 categories, one row per (feedback, category) with its matched terms.

    Args:
        mentions: clause mentions (feedback_id, category_id, polarity, matched_terms).
        taxonomy: gives each category's severity.

    Returns:
        feedback_id, category_id, matched_terms (`|`-joined over the feedback's clauses).
    """
    require_columns(mentions, ["feedback_id", "category_id", "polarity", "matched_terms"], "red_line_mentions")
    p0 = {c for c in taxonomy.categories if taxonomy.severity(c) is Severity.P0}
    m = mentions[(mentions["polarity"] == "complaint") & mentions["category_id"].isin(p0)]
    g = m.groupby(["feedback_id", "category_id"], sort=False)["matched_terms"]
    return g.agg(lambda s: "|".join(sorted({t for v in s.dropna() for t in str(v).split("|") if t}))).reset_index()


def _alert_id(key: str) -> str:
    return "alert-" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]


def new_alerts(
    feedback: pd.DataFrame,
    mentions: pd.DataFrame,
    taxonomy: Taxonomy,
    known: pd.DataFrame | None = None,
    dedup_days: int = 7,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Alerts for red-line feedback not alerted before, deduplicated by feedback and by vehicle.

    Args:
        feedback: feedback_id, channel, created_at, vehicle_id, vehicle_model, region, dealer, text.
        mentions: clause mentions of that feedback.
        taxonomy: for P0 severities.
        known: alerts stored earlier (ALERT_COLUMNS); their feedback never alerts again, and a new
            feedback on the same vehicle and category within `dedup_days` of one is a duplicate.
        dedup_days: how long one vehicle's incident stays open.

    Returns:
        (alerts, duplicates): alerts has ALERT_COLUMNS (`duplicates` = feedback folded into it in this
        batch); duplicates has DUPLICATE_COLUMNS, the feedback folded into an alert (new or known).
    """
    require_columns(feedback, ["feedback_id", "channel", "created_at", "text"], "new_alerts")
    known = known if known is not None else pd.DataFrame(columns=ALERT_COLUMNS)
    hits = red_line_mentions(mentions, taxonomy)
    fb = feedback
    if "vehicle_id" not in fb.columns:
        fb = fb.assign(vehicle_id=pd.NA)
    for col in ("vehicle_model", "region", "dealer"):
        if col not in fb.columns:
            fb = fb.assign(**{col: pd.NA})
    cand = hits.merge(fb, on="feedback_id").sort_values(["created_at", "feedback_id"], kind="stable")
    seen = set(zip(known["feedback_id"], known["category_id"]))
    cand = cand[[k not in seen for k in zip(cand["feedback_id"], cand["category_id"])]]
    # Open incidents per (vehicle, category): the latest alert time and its id.
    open_: dict[tuple[str, str], tuple[pd.Timestamp, str]] = {}
    for r in known.dropna(subset=["vehicle_id"]).sort_values("created_at").itertuples():
        open_[(r.vehicle_id, r.category_id)] = (pd.Timestamp(r.created_at), r.alert_id)
    alerts, dups = [], []
    window = pd.Timedelta(days=dedup_days)
    for r in cand.itertuples(index=False):
        ts = pd.Timestamp(r.created_at)
        key = (r.vehicle_id, r.category_id)
        has_vehicle = not pd.isna(r.vehicle_id)
        if has_vehicle and key in open_ and ts - open_[key][0] <= window:
            dups.append({"feedback_id": r.feedback_id, "category_id": r.category_id, "alert_id": open_[key][1]})
            continue
        aid = _alert_id(f"{r.feedback_id}|{r.category_id}")
        alerts.append({
            "alert_id": aid, "feedback_id": r.feedback_id, "category_id": r.category_id,
            "severity": "P0", "channel": r.channel, "created_at": ts,
            "vehicle_id": None if not has_vehicle else r.vehicle_id, "vehicle_model": r.vehicle_model,
            "region": r.region, "dealer": r.dealer, "text": r.text, "matched_terms": r.matched_terms,
        })
        if has_vehicle:
            open_[key] = (ts, aid)
    out = pd.DataFrame(alerts, columns=ALERT_COLUMNS[:-1])
    dup = pd.DataFrame(dups, columns=DUPLICATE_COLUMNS)
    out["duplicates"] = out["alert_id"].map(dup["alert_id"].value_counts()).fillna(0).astype("int64")
    # Typed even when empty or all-NULL, so the first write creates the right column types.
    text = [c for c in ALERT_COLUMNS if c not in ("created_at", "duplicates")]
    out = out.astype({c: "string" for c in text}).astype({"created_at": "datetime64[us]"})
    return out[ALERT_COLUMNS], dup.astype("string")
