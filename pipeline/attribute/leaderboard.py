"""The department leaderboard per period (红黑榜) and the competitor benchmark."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.attribute.config import Leaderboard
from pipeline.attribute.departments import owner_table
from pipeline.schema import require_columns
from pipeline.taxonomy import Taxonomy

LEADERBOARD_COLUMNS = [
    "period", "department_id", "rank", "weighted_complaints", "previous_complaints", "trend_pct", "nps_loss_points",
    "nps_loss_share", "work_orders", "resolution_rate", "mean_days_to_close", "list", "reasons",
]
BENCHMARK_COLUMNS = [
    "period", "brand", "is_own_brand", "category_id", "brand_feedback", "complaints", "rate_per_1000",
    "own_rate_per_1000", "gap_per_1000",
]


def work_order_stats(feedback: pd.DataFrame, mentions: pd.DataFrame, taxonomy: Taxonomy,
                     within_days: float = 14) -> pd.DataFrame:
    """Resolution rate and mean days to close per period x department, from work orders with a status.

    A work order counts for each department owning one of its complaint categories, weighted by the
    owner share (divided over its categories), so a department is judged on the orders it owns.
    Resolution rate = share of orders closed within `within_days` of opening, over orders opened at
    least `within_days` before the newest data: an order opened yesterday is not yet a failure.

    Returns:
        period, department_id, work_orders (share-weighted), resolution_rate, mean_days_to_close.
    """
    cols = ["period", "department_id", "work_orders", "resolution_rate", "mean_days_to_close"]
    if "work_order_status" not in feedback.columns:
        return pd.DataFrame(columns=cols)
    wo = feedback[feedback["work_order_status"].notna()][["feedback_id", "period", "created_at",
                                                           "work_order_status", "closed_at"]]
    comp = mentions[mentions["polarity"] == "complaint"][["feedback_id", "category_id"]].drop_duplicates()
    j = wo.merge(comp, on="feedback_id")
    if not len(j):
        return pd.DataFrame(columns=cols)
    j["w"] = 1.0 / j.groupby("feedback_id")["category_id"].transform("size")
    j = j.merge(owner_table(taxonomy, sorted(j["category_id"].unique())), on="category_id")
    j["w"] = j["w"] * j["share"]
    opened, closed_at = pd.to_datetime(j["created_at"]), pd.to_datetime(j["closed_at"])
    as_of = max(pd.to_datetime(feedback["created_at"]).max(), closed_at.max() if closed_at.notna().any() else opened.max())
    j = j[opened <= as_of - pd.Timedelta(days=within_days)]
    if not len(j):
        return pd.DataFrame(columns=cols)
    j["days"] = (pd.to_datetime(j["closed_at"]) - pd.to_datetime(j["created_at"])).dt.total_seconds() / 86400
    j["closed"] = ((j["work_order_status"] == "closed") & (j["days"] <= within_days)).astype(float)
    g = j.assign(wc=j["w"] * j["closed"], wd=j["w"] * j["closed"] * j["days"].fillna(0)).groupby(
        ["period", "department_id"])[["w", "wc", "wd"]].sum()
    out = pd.DataFrame({"work_orders": g["w"], "resolution_rate": g["wc"] / g["w"],
                        "mean_days_to_close": (g["wd"] / g["wc"]).where(g["wc"] > 0)}).reset_index()
    return out[cols]


def leaderboard(attribution: pd.DataFrame, work_orders: pd.DataFrame, config: Leaderboard) -> pd.DataFrame:
    """Departments ranked per period, with the red (红榜) and black (黑榜) lists from `config`.

    Rank 1 is the department that needs action most: largest NPS loss, then most complaints.

    Args:
        attribution: fact_department_attribution.
        work_orders: work_order_stats output (may be empty).
        config: thresholds.

    Returns:
        LEADERBOARD_COLUMNS; `list` is black, red or empty, `reasons` says which thresholds were met.
    """
    require_columns(attribution, ["period", "department_id", "weighted_complaints", "nps_loss_points",
                                  "nps_loss_share"], "leaderboard")
    a = attribution.sort_values("period")
    periods = sorted(a["period"].unique())
    prev_of = dict(zip(periods[1:], periods[:-1]))
    prev = a.set_index(["period", "department_id"])["weighted_complaints"]
    a = a.assign(previous_complaints=[prev.get((prev_of.get(p), d), np.nan) for p, d in zip(a["period"], a["department_id"])])
    a["trend_pct"] = 100 * (a["weighted_complaints"] / a["previous_complaints"].where(a["previous_complaints"] > 0) - 1)
    a = a.merge(work_orders, on=["period", "department_id"], how="left")
    a["work_orders"] = a["work_orders"].astype("float64").fillna(0.0)
    a = a.sort_values(["period", "nps_loss_points", "weighted_complaints"], ascending=[True, False, False])
    a["rank"] = a.groupby("period").cumcount() + 1
    lists, reasons = [], []
    b, r = config.black, config.red
    for row in a.itertuples(index=False):
        why_black, why_red, red_ok = [], [], True
        if row.weighted_complaints >= config.min_complaints:
            checks_black = [
                (b.trend_pct_at_least, row.trend_pct, lambda v, t: v >= t, "complaints {v:+.0f}% >= {t:+.0f}%"),
                (b.nps_loss_share_at_least, row.nps_loss_share, lambda v, t: v >= t, "NPS loss share {v:.0%} >= {t:.0%}"),
                (b.resolution_rate_below, row.resolution_rate, lambda v, t: v < t, "resolution {v:.0%} < {t:.0%}"),
            ]
            for t, v, ok, text in checks_black:
                if t is not None and v is not None and not pd.isna(v) and ok(v, t):
                    why_black.append(text.format(v=v, t=t))
            checks_red = [
                (r.trend_pct_at_most, row.trend_pct, lambda v, t: v <= t, "complaints {v:+.0f}% <= {t:+.0f}%"),
                (r.resolution_rate_at_least, row.resolution_rate, lambda v, t: v >= t, "resolution {v:.0%} >= {t:.0%}"),
            ]
            used = 0
            for t, v, ok, text in checks_red:
                if t is None or v is None or pd.isna(v):
                    continue
                used += 1
                if ok(v, t):
                    why_red.append(text.format(v=v, t=t))
                else:
                    red_ok = False
            red_ok = red_ok and used > 0
        else:
            red_ok = False
        lists.append("black" if why_black else "red" if red_ok else "")
        reasons.append("; ".join(why_black if why_black else why_red if red_ok else []))
    a["list"], a["reasons"] = lists, reasons
    return a[LEADERBOARD_COLUMNS].reset_index(drop=True).astype({"list": "string", "reasons": "string"})


def competitor_benchmark(feedback: pd.DataFrame, mentions: pd.DataFrame, own_brand: str) -> pd.DataFrame:
    """Complaint rates per thousand feedback for the own brand and each competitor, per period.

    Only feedback that names a brand (social media, forums) counts, so every brand is measured on the
    same channels.

    Returns:
        BENCHMARK_COLUMNS: complaints per 1,000 of the brand's feedback, the own brand's rate for the
        same period and category, and the gap (brand - own).
    """
    require_columns(feedback, ["feedback_id", "period", "brand"], "competitor_benchmark")
    fb = feedback[feedback["brand"].notna()][["feedback_id", "period", "brand"]]
    if not len(fb):
        return pd.DataFrame(columns=BENCHMARK_COLUMNS)
    volume = fb.groupby(["period", "brand"]).size().rename("brand_feedback")
    comp = mentions[mentions["polarity"] == "complaint"][["feedback_id", "category_id"]].drop_duplicates()
    counts = comp.merge(fb, on="feedback_id").groupby(["period", "brand", "category_id"]).size().rename("complaints")
    cats = comp.merge(fb, on="feedback_id")["category_id"].unique()
    grid = pd.MultiIndex.from_tuples([(p, b, c) for p, b in volume.index for c in cats],
                                     names=["period", "brand", "category_id"])
    out = counts.reindex(grid, fill_value=0).reset_index()
    out = out.merge(volume.reset_index(), on=["period", "brand"])
    out["rate_per_1000"] = 1000 * out["complaints"] / out["brand_feedback"]
    own = out[out["brand"] == own_brand].set_index(["period", "category_id"])["rate_per_1000"]
    out["own_rate_per_1000"] = out.set_index(["period", "category_id"]).index.map(own)
    out["gap_per_1000"] = out["rate_per_1000"] - out["own_rate_per_1000"]
    out["is_own_brand"] = out["brand"] == own_brand
    return out[BENCHMARK_COLUMNS].astype({"complaints": "int64", "brand_feedback": "int64"})
