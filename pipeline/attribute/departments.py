"""Department attribution and the loss model: each department's share of negative mentions, of NPS
loss and of the annualised cost of issues, through the taxonomy's owner shares."""

from __future__ import annotations

import pandas as pd

from pipeline.attribute.config import Economics, KpiWeights
from pipeline.attribute.counts import owner_table
from pipeline.schema import require_columns
from pipeline.taxonomy import Taxonomy

ATTRIBUTION_COLUMNS = [
    "period", "department_id", "weighted_complaints", "negative_share", "nps_loss_points", "nps_loss_share",
    "kpi_share",
]
LOSS_COLUMNS = [
    "period", "category_id", "department_id", "share", "n_days", "annualise", "complaints", "social_complaints",
    "extra_detractor_share", "clv", "churn_loss", "claim_loss", "labour_loss", "pr_loss", "total_loss",
    "churn_loss_period", "claim_loss_period", "labour_loss_period", "pr_loss_period", "total_loss_period",
]
# The money columns are yearly rates; their `_period` twins are the money of the period itself
# (rate x n_days / 365), which is what a dashboard may sum over periods.
MONEY = ["churn_loss", "claim_loss", "labour_loss", "pr_loss", "total_loss"]




def department_attribution(cat_counts: pd.DataFrame, drivers: pd.DataFrame, taxonomy: Taxonomy,
                           weights: KpiWeights | None = None) -> pd.DataFrame:
    """Each department's share of negative mentions and of NPS loss per period, and its KPI share.

    NPS loss of a category = -impact_points where its impact is negative (a category that raises NPS
    causes no loss); a department carries owner share x that loss.

    Args:
        cat_counts: fact_category_counts.
        drivers: fact_nps_drivers.
        taxonomy: owner shares.
        weights: KPI share = complaints weight x negative_share + nps weight x nps_loss_share.

    Returns:
        ATTRIBUTION_COLUMNS; per period, negative_share, nps_loss_share and kpi_share each sum to 1
        over departments (nps_loss_share is 0 where the period has no estimated loss).
    """
    require_columns(cat_counts, ["period", "category_id", "complaints"], "department_attribution")
    require_columns(drivers, ["period", "category_id", "impact_points"], "department_attribution")
    weights = weights or KpiWeights()
    comp = cat_counts.groupby(["period", "category_id"], as_index=False)["complaints"].sum()
    loss = drivers.assign(loss=(-drivers["impact_points"]).clip(lower=0))[["period", "category_id", "loss"]]
    cats = set(comp["category_id"]) | set(loss["category_id"])
    owners = owner_table(taxonomy, sorted(cats))
    a = comp.merge(owners, on="category_id").assign(w=lambda d: d["complaints"] * d["share"])
    b = loss.merge(owners, on="category_id").assign(l=lambda d: d["loss"] * d["share"])
    out = (a.groupby(["period", "department_id"])["w"].sum().to_frame("weighted_complaints")
           .join(b.groupby(["period", "department_id"])["l"].sum().to_frame("nps_loss_points"), how="outer")
           .fillna(0.0).reset_index())
    tot_w = out.groupby("period")["weighted_complaints"].transform("sum")
    tot_l = out.groupby("period")["nps_loss_points"].transform("sum")
    out["negative_share"] = (out["weighted_complaints"] / tot_w.where(tot_w > 0)).fillna(0.0)
    out["nps_loss_share"] = (out["nps_loss_points"] / tot_l.where(tot_l > 0)).fillna(0.0)
    has_loss = tot_l > 0
    out["kpi_share"] = (weights.complaints * out["negative_share"] + weights.nps * out["nps_loss_share"]).where(
        has_loss, out["negative_share"])  # without an NPS estimate the KPI follows complaints alone
    return out[ATTRIBUTION_COLUMNS]


def observed_days(feedback: pd.DataFrame) -> pd.Series:
    """Calendar days each period's feedback spans (first to last day, inclusive): the annualisation base."""
    require_columns(feedback, ["period", "created_at"], "observed_days")
    ts = pd.to_datetime(feedback["created_at"]).dt.normalize()
    g = ts.groupby(feedback["period"])
    return ((g.max() - g.min()).dt.days + 1).astype("int64")


def loss_table(cat_counts: pd.DataFrame, drivers: pd.DataFrame, days: pd.Series, taxonomy: Taxonomy,
               economics: Economics) -> pd.DataFrame:
    """Annualised loss per period x category x owner department, with every input beside it.

    Args:
        cat_counts: fact_category_counts (period, channel, vehicle_model, category_id, complaints).
        drivers: fact_nps_drivers (extra_detractor_share per period x category).
        days: observed_days(feedback), period -> days.
        taxonomy: owner shares.
        economics: the loss model inputs.

    Returns:
        LOSS_COLUMNS; the money columns are already multiplied by the department's share, so summing
        them over departments gives the category's loss, over categories the department's. `n_days` is
        the calendar days the period's feedback spans; `*_loss` are per year (x 365 / n_days), `*_period`
        the money of the period itself (they also sum over periods).
    """
    require_columns(cat_counts, ["period", "channel", "vehicle_model", "category_id", "complaints"], "loss_table")
    cc = cat_counts[cat_counts["complaints"] > 0]
    by_cat = cc.groupby(["period", "category_id"]).agg(complaints=("complaints", "sum")).reset_index()
    social = cc[cc["channel"] == "social"].groupby(["period", "category_id"])["complaints"].sum()
    by_cat["social_complaints"] = by_cat.set_index(["period", "category_id"]).index.map(social).fillna(0).astype("int64")
    # CLV of a category: averaged over the vehicle models its complaints come from.
    clv = cc.assign(v=cc["vehicle_model"].map(economics.clv_of) * cc["complaints"])
    clv = clv.groupby(["period", "category_id"])[["v", "complaints"]].sum()
    by_cat["clv"] = by_cat.set_index(["period", "category_id"]).index.map(clv["v"] / clv["complaints"])
    det = drivers.set_index(["period", "category_id"])["extra_detractor_share"] if len(drivers) else pd.Series(dtype=float)
    by_cat["extra_detractor_share"] = by_cat.set_index(["period", "category_id"]).index.map(det)
    by_cat["extra_detractor_share"] = by_cat["extra_detractor_share"].astype("float64").fillna(0.0).clip(lower=0)
    by_cat["n_days"] = by_cat["period"].map(days).astype("int64")
    by_cat["annualise"] = 365.0 / by_cat["n_days"]
    e = economics
    scaled = by_cat["complaints"] * by_cat["annualise"] * e.complaint_scale
    by_cat["churn_loss"] = e.customer_base * by_cat["extra_detractor_share"] * e.churn_uplift * by_cat["clv"]
    by_cat["claim_loss"] = scaled * [e.claim_share.get(c) * e.claim_cost.get(c) for c in by_cat["category_id"]]
    by_cat["labour_loss"] = scaled * [e.labour_hours.get(c) * e.labour_rate for c in by_cat["category_id"]]
    by_cat["pr_loss"] = (by_cat["social_complaints"] * by_cat["annualise"] / e.pr.mentions_per_incident
                         * e.pr.cost_per_incident)
    money = ["churn_loss", "claim_loss", "labour_loss", "pr_loss"]
    by_cat["total_loss"] = by_cat[money].sum(axis=1)
    out = by_cat.merge(owner_table(taxonomy, sorted(by_cat["category_id"].unique())), on="category_id")
    for col in MONEY:
        out[col] = out[col] * out["share"]
        out[f"{col}_period"] = out[col] / out["annualise"]
    return out[LOSS_COLUMNS].astype({"complaints": "int64"})
