"""Red-line detection: feedback with a P0 (safety) complaint becomes an alert, one per incident.

Recall first: a P0 category counts when its own rules fire, when a composed component x symptom pair
routes to it (刹车 x 失灵), or, where embeddings are available, when a clause is close enough to one of
its exemplars (`semantic_p0_mentions`). Questions and hedges count (刹车是不是失灵了, 好像熄火了); denials,
news and other brands do not (the classifier's negation says so). Every alert records which detector
fired (`detector`: rules, facet, semantic, learned) and why (`reason`); an alert only the semantic detector
raised has status "to_confirm" for a reviewer, the others "open".

An incident is a vehicle and a P0 category within `dedup_days`: the owner who calls the hotline and
then posts the same brake failure online raises one alert, not two; feedback without a vehicle id is
its own incident. A feedback already alerted (a re-run, an overlapping window) never alerts again.
"""

from __future__ import annotations

import hashlib
import re

import pandas as pd

from pipeline.schema import require_columns
from pipeline.taxonomy import Severity, Taxonomy

ALERT_COLUMNS = [
    "alert_id", "feedback_id", "category_id", "severity", "channel", "created_at", "vehicle_id",
    "vehicle_model", "region", "dealer", "text", "matched_terms", "duplicates", "detector", "reason", "status",
]
# mention method -> detector name shown on the alert
DETECTORS = {"rule": "rules", "facet": "facet", "semantic": "semantic", "supervised": "learned", "learned": "learned"}
CONFIRMED_DETECTORS = {"rules", "facet"}
P0_SEMANTIC_THRESHOLD = 0.80  # recall-oriented: below the daily flow's per-category thresholds
DUPLICATE_COLUMNS = ["feedback_id", "category_id", "alert_id"]


def red_line_mentions(mentions: pd.DataFrame, taxonomy: Taxonomy) -> pd.DataFrame:
    """Complaint mentions of P0 categories, one row per (feedback, category) with its matched terms.

    Args:
        mentions: clause mentions (feedback_id, category_id, polarity, matched_terms).
        taxonomy: gives each category's severity.

    Returns:
        feedback_id, category_id, matched_terms (`|`-joined over the feedback's clauses), detector (the
        detectors that fired, `+`-joined: rules, facet, semantic, learned), reason (short, readable).
    """
    require_columns(mentions, ["feedback_id", "category_id", "polarity", "matched_terms"], "red_line_mentions")
    p0 = {c for c in taxonomy.categories if taxonomy.severity(c) is Severity.P0}
    m = mentions[(mentions["polarity"] == "complaint") & mentions["category_id"].isin(p0)]
    method = m["method"] if "method" in m.columns else pd.Series("rule", index=m.index)
    score = m["score"] if "score" in m.columns else pd.Series(1.0, index=m.index)
    rows: dict[tuple, dict] = {}
    for f, c, terms, meth, sc in zip(m["feedback_id"], m["category_id"], m["matched_terms"], method, score):
        r = rows.setdefault((f, c), {"terms": set(), "detectors": [], "reasons": []})
        det = DETECTORS.get(str(meth).split("+")[0], str(meth))
        parts = [t for t in str(terms).split("|") if t] if isinstance(terms, str) else []
        r["terms"].update(parts)
        if det not in r["detectors"]:
            r["detectors"].append(det)
            r["reasons"].append(_reason(det, parts, sc))
    out = [{"feedback_id": f, "category_id": c, "matched_terms": "|".join(sorted(r["terms"])),
            "detector": "+".join(sorted(r["detectors"], key=_DETECTOR_ORDER.index)),
            "reason": "; ".join(r["reasons"])} for (f, c), r in rows.items()]
    return pd.DataFrame(out, columns=["feedback_id", "category_id", "matched_terms", "detector", "reason"])


_DETECTOR_ORDER = ["rules", "facet", "semantic", "learned"]


def _reason(detector: str, terms: list[str], score: float) -> str:
    if detector == "rules":
        return f"规则命中 {'、'.join(terms)}"
    if detector == "facet":
        return f"部件×症状 {' × '.join(terms)}"
    if detector == "semantic":
        return f"语义相近 {float(score):.2f}：{terms[0] if terms else ''}"
    return f"模型判断 {float(score):.2f}"


def alert_status(detector: str) -> str:
    """"open" when a rule or a facet fired; "to_confirm" when only the semantic/learned detectors did."""
    return "open" if set(str(detector).split("+")) & CONFIRMED_DETECTORS else "to_confirm"


def semantic_p0_mentions(clauses: pd.DataFrame, embeddings, classifier, mentions: pd.DataFrame | None = None,
                         threshold: float = P0_SEMANTIC_THRESHOLD) -> pd.DataFrame:
    """The recall-first semantic detector: clauses close to a P0 category's exemplars.

    A clause whose nearest P0 exemplar (the P0 categories' `match` examples) is at least `threshold`
    similar becomes a "semantic" mention of that category, unless the clause is denied, resolved, talks
    about the news or another brand, or already has a mention of that category.

    Args:
        clauses: clause_id, feedback_id, clause (aligned with `embeddings`).
        embeddings: float32 (n_clauses, d), L2-normalised, from the classifier's embedder.
        classifier: a Classifier fitted with that embedder (its example vectors are the exemplar bank).
        mentions: mentions already found (to skip categories a clause already has).

    Returns:
        mentions (pipeline.classify.MENTION_COLUMNS) with method "semantic".
    """
    import numpy as np

    from pipeline.classify import MENTION_COLUMNS
    from pipeline.classify.negation import clause_negation

    tax = classifier.taxonomy
    bank = getattr(classifier, "example_vecs_", None)
    if bank is None or embeddings is None or not len(clauses):
        return pd.DataFrame(columns=MENTION_COLUMNS)
    cols = [j for j, c in enumerate(classifier.example_cats_) if tax.severity(c) is Severity.P0]
    if not cols:
        return pd.DataFrame(columns=MENTION_COLUMNS)
    have = set(zip(mentions["clause_id"], mentions["category_id"])) if mentions is not None else set()
    sims = np.asarray(embeddings) @ bank[cols].T
    best = sims.argmax(axis=1)
    rows = []
    for i, (cid, fid, text) in enumerate(zip(clauses["clause_id"], clauses["feedback_id"], clauses["clause"])):
        score = float(sims[i, best[i]])
        j = cols[best[i]]
        cat = classifier.example_cats_[j]
        if score < threshold or (cid, cat) in have or clause_negation(str(text)) is not None:
            continue
        rows.append((cid, fid, cat, "complaint", "semantic", round(score, 4), classifier.example_texts_[j], None))
    return pd.DataFrame(rows, columns=MENTION_COLUMNS)


# Said anywhere in the feedback, these make a past incident a resolved or reassuring story, not a report:
# 之前熄火的问题升级后再也没出现过 / 以前自燃过，这台新车完全不用担心.
_SETTLED = re.compile(r"彻底好了|再也没有?(?:出现|犯|发生|遇到)|没再(?:犯|出现|发生)|都没问题了|不用担心|完全放心")


def settled(text: str) -> bool:
    """Whether the feedback tells a resolved or reassuring story (no red-line alert for it)."""
    return bool(_SETTLED.search(str(text)))


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
    # (astype: on a batch without any red-line hit the mapped column is empty and of dtype object, which
    # pandas would read as a list of column labels rather than a row mask)
    cand = cand[~cand["text"].map(settled).astype(bool)]
    seen = set(zip(known["feedback_id"], known["category_id"]))
    cand = cand[[k not in seen for k in zip(cand["feedback_id"], cand["category_id"])]]
    # Open incidents per (vehicle, category): the latest alert time and its id.
    # (A to_confirm alert that a reviewer dismissed still counts as known: it is never raised again.)
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
            "detector": r.detector, "reason": r.reason, "status": alert_status(r.detector),
        })
        if has_vehicle:
            open_[key] = (ts, aid)
    out = pd.DataFrame(alerts, columns=[c for c in ALERT_COLUMNS if c != "duplicates"])
    dup = pd.DataFrame(dups, columns=DUPLICATE_COLUMNS)
    out["duplicates"] = out["alert_id"].map(dup["alert_id"].value_counts()).fillna(0).astype("int64")
    # Typed even when empty or all-NULL, so the first write creates the right column types.
    text = [c for c in ALERT_COLUMNS if c not in ("created_at", "duplicates")]
    out = out.astype({c: "string" for c in text}).astype({"created_at": "datetime64[us]"})
    return out[ALERT_COLUMNS], dup.astype("string")
