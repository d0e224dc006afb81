"""The loss model spelled out: per category, the formula, every input and the result, so the CX team
and a business department can check the arithmetic line by line before signing it off."""

from __future__ import annotations

import pandas as pd

from pipeline.attribute.config import Economics
from pipeline.report.money import annual_loss, loss_days


def loss_lines(loss: pd.DataFrame, economics: Economics, names: dict[str, str], top: int = 10) -> list[str]:
    """Human-readable lines: the formulas with the economics inputs, then each category's numbers.

    Args:
        loss: fact_loss rows (period x category x department).
        economics: the inputs the table was computed with.
        names: category id -> name.
        top: categories to spell out, largest loss first.

    Returns:
        Lines of text (Chinese names, amounts in the file's currency).
    """
    e = economics
    if not len(loss):
        return ["no loss rows: run `voc run` first (fact_loss is empty)"]
    loss = loss.assign(n_days=loss_days(loss))
    days = int(loss.drop_duplicates("period")["n_days"].sum())
    per_cat = loss.groupby(["period", "category_id"]).agg(
        complaints=("complaints", "first"), social=("social_complaints", "first"), days=("n_days", "first"),
        det=("extra_detractor_share", "first"), clv=("clv", "first")).reset_index()
    agg = per_cat.groupby("category_id").agg(complaints=("complaints", "sum"), social=("social", "sum"))
    agg["det"] = per_cat.assign(w=per_cat["det"] * per_cat["days"]).groupby("category_id")["w"].sum() / days
    totals = annual_loss(loss, "category_id").set_index("category_id")
    # The CLV that makes the churn line exact: periods with more detractors weigh more.
    mix = per_cat.assign(w=per_cat["clv"] * per_cat["complaints"]).groupby("category_id")["w"].sum() / agg["complaints"]
    base = e.customer_base * agg["det"] * e.churn_uplift
    agg["clv"] = (totals["churn_loss"].reindex(agg.index) / base.where(base > 0)).fillna(mix)
    k = 365.0 / days
    out = [
        f"Loss model ({e.currency} per year), feedback over {days} days, annualised x 365/{days} = {k:.3f}",
        f"  churn  = customer_base {e.customer_base:,.0f} x extra_detractor_share x churn_uplift {e.churn_uplift}"
        " x CLV",
        f"  claims = complaints x {k:.3f} x complaint_scale {e.complaint_scale} x claim_share x claim_cost",
        f"  labour = complaints x {k:.3f} x complaint_scale {e.complaint_scale} x labour_hours x labour_rate "
        f"{e.labour_rate:,.0f}",
        f"  pr     = social complaints x {k:.3f} / mentions_per_incident {e.pr.mentions_per_incident:g} x "
        f"cost_per_incident {e.pr.cost_per_incident:,.0f}",
        "",
    ]
    for cid in totals.index[:top]:
        a, t = agg.loc[cid], totals.loc[cid]
        out += [
            f"{names.get(cid, cid)} ({cid}): {t['total_loss']:,.0f} per year",
            f"  churn  {e.customer_base:,.0f} x {a['det']:.5f} x {e.churn_uplift} x {a['clv']:,.0f} = {t['churn_loss']:,.0f}",
            f"  claims {a['complaints']:,.0f} x {k:.3f} x {e.complaint_scale} x {e.claim_share.get(cid)} "
            f"[{e.claim_share.source(cid)}] x {e.claim_cost.get(cid):,.0f} [{e.claim_cost.source(cid)}] = "
            f"{t['claim_loss']:,.0f}",
            f"  labour {a['complaints']:,.0f} x {k:.3f} x {e.complaint_scale} x {e.labour_hours.get(cid)}h "
            f"[{e.labour_hours.source(cid)}] x {e.labour_rate:,.0f} = {t['labour_loss']:,.0f}",
            f"  pr     {a['social']:,.0f} x {k:.3f} / {e.pr.mentions_per_incident:g} x {e.pr.cost_per_incident:,.0f}"
            f" = {t['pr_loss']:,.0f}",
        ]
    return out
