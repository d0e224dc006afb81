"""Loss amounts as the report shows them: yearly rates over a window, and money in 万元."""

from __future__ import annotations

import pandas as pd

WAN = 1e4  # 万元: amounts are shown in units of 10,000 CNY


def loss_days(loss: pd.DataFrame) -> pd.Series:
    """Days of each fact_loss row's period: `n_days` (`days` in tables written before the rename)."""
    if "n_days" in loss.columns and "days" in loss.columns:
        return loss["n_days"].fillna(loss["days"])
    return loss["n_days"] if "n_days" in loss.columns else loss["days"]


def annual_loss(loss: pd.DataFrame, by: str) -> pd.DataFrame:
    """Loss per year over the whole window: summed over periods, scaled by 365 / all observed days."""
    if not len(loss):
        return pd.DataFrame()
    n_days = loss_days(loss)
    days = n_days[~loss["period"].duplicated()].sum()
    money = ["churn_loss", "claim_loss", "labour_loss", "pr_loss", "total_loss"]
    # Each period's money is already annualised with its own days: weight by days to average them.
    w = n_days / days
    out = loss[[by]].assign(**{m: loss[m] * w for m in money}).groupby(by)[money].sum().reset_index()
    return out.sort_values("total_loss", ascending=False).reset_index(drop=True)
