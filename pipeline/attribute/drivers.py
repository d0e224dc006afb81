"""NPS drivers: how much each complaint category moves NPS per period, and an exact decomposition of
the period-over-period NPS change into per-category contributions plus a stated remainder.

The model is a linear probability model per period over NPS respondents:
    nps_value_i = a + sum_c b_c * complains_ic + g * praised_i + e_i,
with nps_value = +100 for a promoter (9-10), -100 for a detractor (0-6), 0 for a passive. Because OLS with
an intercept reproduces the mean, a period's NPS equals a + sum_c b_c * share_c + g * mean(praised)
exactly, so `impact_points = b_c * share_c` is the part of that NPS owed to category c (negative for a
complaint that lowers NPS), and the change between two periods splits into the change of each
category's impact plus a remainder (intercept, praise and categories too rare to estimate).
Logit models of detractor and promoter status give each category's effect on those odds.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from pipeline.schema import require_columns

REMAINDER = "(remainder)"
DRIVER_COLUMNS = [
    "period", "category_id", "respondents", "complaining", "mention_share", "coef", "ci_low", "ci_high",
    "p_value", "impact_points", "detractor_log_odds", "detractor_ci_low", "detractor_ci_high",
    "promoter_log_odds", "promoter_ci_low", "promoter_ci_high", "extra_detractor_share", "nps",
]
CHANGE_COLUMNS = ["period", "previous_period", "nps_previous", "nps", "nps_change", "category_id", "contribution"]


def respondent_matrix(feedback: pd.DataFrame, mentions: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One row per NPS respondent: period, score and 0/1 complaint indicators per leaf category.

    Args:
        feedback: feedback with feedback_id, period, nps (NULL where the channel has no score).
        mentions: clause mentions (feedback_id, category_id, polarity).

    Returns:
        (respondents, X): respondents has feedback_id, period, nps, nps_value (+100/0/-100), praised
        (distinct praised categories); X (n_respondents, n_categories) holds complaint indicators.
    """
    require_columns(feedback, ["feedback_id", "period", "nps"], "nps_drivers")
    require_columns(mentions, ["feedback_id", "category_id", "polarity"], "nps_drivers")
    score = pd.to_numeric(feedback["nps"], errors="coerce").astype("float64")
    resp = feedback.loc[score.notna(), ["feedback_id", "period"]].assign(nps=score[score.notna()])
    resp = resp.reset_index(drop=True)
    resp["nps_value"] = np.where(resp["nps"] >= 9, 100.0, np.where(resp["nps"] <= 6, -100.0, 0.0))
    m = mentions[mentions["feedback_id"].isin(resp["feedback_id"])]
    comp = m[m["polarity"] == "complaint"][["feedback_id", "category_id"]].drop_duplicates()
    X = pd.crosstab(comp["feedback_id"], comp["category_id"]).clip(upper=1)
    X = X.reindex(resp["feedback_id"]).fillna(0).astype("float64").reset_index(drop=True)
    X.columns.name = None
    praised = m[m["polarity"] == "praise"].groupby("feedback_id")["category_id"].nunique()
    resp["praised"] = resp["feedback_id"].map(praised).fillna(0).astype("float64")
    return resp, X


def _logit(y: np.ndarray, design: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    """Log-odds and 95% CI per column of a logit; NaN where the fit does not converge (separation)."""
    # here, not at the top: a second of start-up for runs without NPS scores; the model modules only, not
    # statsmodels.api (which imports time series, formulas and plotting too: 0.3-1 s more)
    from statsmodels.discrete.discrete_model import Logit

    out = pd.DataFrame(np.nan, index=cols, columns=["b", "lo", "hi"])
    if y.min() == y.max():
        return out
    # A category whose complainers are all detractors (or none is) separates the outcome: its log-odds
    # has no finite estimate, and left in the model it keeps Newton running to the iteration cap while
    # the estimate grows without bound (0.65 s for one logit at 9,000 respondents x 183 categories, for
    # nothing). Such categories get NaN and are left out of the fit; the others converge in a few
    # iterations to what they were (within 0.002 on that run).
    separated = [c for c in cols if len(np.unique(y[design[c].to_numpy() > 0])) < 2]
    fitted = [c for c in cols if c not in separated]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = Logit(y, design.drop(columns=separated)).fit(disp=0, maxiter=35)
        if not fit.mle_retvals.get("converged", True):
            return out  # no estimate (quasi-separation by a combination of categories)
        ci = fit.conf_int()
        out.loc[fitted, "b"], out.loc[fitted, "lo"], out.loc[fitted, "hi"] = (
            fit.params[fitted], ci.loc[fitted, 0], ci.loc[fitted, 1])
    except (np.linalg.LinAlgError, ValueError, OverflowError):
        pass
    return out


def nps_drivers(feedback: pd.DataFrame, mentions: pd.DataFrame, min_complaining: int = 5) -> pd.DataFrame:
    """Each complaint category's effect on NPS per period, with 95% confidence intervals.

    Args:
        feedback: feedback with feedback_id, period, nps.
        mentions: clause mentions (feedback_id, category_id, polarity).
        min_complaining: categories with fewer complaining respondents in a period are not estimated
            there (their effect falls into the decomposition's remainder).

    Returns:
        DRIVER_COLUMNS, one row per period x estimated category: `coef` is the NPS points a complaint
        about the category moves its author's NPS value (robust HC1 CI), `impact_points` = coef x
        mention_share is the category's share of the period's NPS; detractor/promoter log-odds come
        from logit models with the same regressors; extra_detractor_share = the linear model's
        detractor coefficient x mention_share (respondents who are detractors because of c).
    """
    import statsmodels.regression.linear_model  # noqa: F401  (loads scipy's BLAS before the limit below, which only reaches loaded ones)

    resp, X = respondent_matrix(feedback, mentions)
    # Matrices of ~1,000 x 30: a multi-threaded BLAS only adds contention (seconds on a busy 2-core box).
    with threadpool_limits(1):
        rows = _fit_periods(resp, X, min_complaining)
    out = pd.DataFrame(rows, columns=DRIVER_COLUMNS)
    floats = {c: "float64" for c in DRIVER_COLUMNS if c not in ("period", "category_id", "respondents", "complaining")}
    return out.astype({"respondents": "int64", "complaining": "int64", "category_id": "string", **floats})


def _fit_periods(resp: pd.DataFrame, X: pd.DataFrame, min_complaining: int) -> list[dict]:
    """The per-period models behind nps_drivers: one dict per period x estimated category."""
    from statsmodels.regression.linear_model import OLS
    from statsmodels.tools.tools import add_constant

    rows = []
    for period, idx in resp.groupby("period").groups.items():
        r, x = resp.loc[idx], X.loc[idx]
        cats = [c for c in x.columns if x[c].sum() >= min_complaining and x[c].sum() < len(x)]
        if len(r) < len(cats) + 3:
            continue  # too few respondents to estimate anything: the NPS change is all remainder
        controls = r[["praised"]] if r["praised"].nunique() > 1 else r[[]]  # a constant column is collinear
        design = add_constant(pd.concat([x[cats], controls], axis=1), has_constant="add")
        fit = OLS(r["nps_value"].to_numpy(), design).fit(cov_type="HC1")
        ci = fit.conf_int()
        is_det = (r["nps_value"] < 0).to_numpy(float)
        det_lpm = OLS(is_det, design).fit()  # share of respondents who are detractors because of c
        det = _logit(is_det, design, cats)
        pro = _logit((r["nps_value"] > 0).to_numpy(float), design, cats)
        nps = float(r["nps_value"].mean())
        for c in cats:
            share = float(x[c].mean())
            rows.append({
                "period": period, "category_id": c, "respondents": len(r), "complaining": int(x[c].sum()),
                "mention_share": share, "coef": fit.params[c], "ci_low": ci.loc[c, 0], "ci_high": ci.loc[c, 1],
                "p_value": fit.pvalues[c], "impact_points": fit.params[c] * share,
                "detractor_log_odds": det.loc[c, "b"], "detractor_ci_low": det.loc[c, "lo"],
                "detractor_ci_high": det.loc[c, "hi"], "promoter_log_odds": pro.loc[c, "b"],
                "promoter_ci_low": pro.loc[c, "lo"], "promoter_ci_high": pro.loc[c, "hi"],
                "extra_detractor_share": det_lpm.params[c] * share, "nps": nps,
            })
    return rows


def excess_impact(drivers: pd.DataFrame, category_id: str, period, baseline: list | None = None) -> dict:
    """How far a category's NPS impact in one period exceeds its usual impact: the size of a surge.

    The excess is impact(period) - mean impact over the baseline periods, i.e. the NPS points the
    period lost to the category beyond what it costs in a normal period. Its standard error combines
    the period's robust standard error with the baseline mean's (the periods' fits are independent).

    Args:
        drivers: nps_drivers output.
        category_id: the category.
        period: the period to test (a value of drivers["period"]).
        baseline: the periods to compare with; default every other period where the category was
            estimated.

    Returns:
        {"excess", "ci_low", "ci_high", "impact", "baseline_impact", "baseline_periods"}: NPS points,
        95% interval.

    Raises:
        ValueError: the category was not estimated in `period` or in any baseline period.
    """
    require_columns(drivers, ["period", "category_id", "impact_points", "ci_low", "ci_high", "mention_share"],
                    "excess_impact")
    rows = drivers[drivers["category_id"] == category_id].set_index("period")
    if period not in rows.index:
        raise ValueError(f"Category {category_id!r} has no NPS driver estimate for period {period} "
                         f"(fewer than the minimum complaining respondents, or no NPS scores).")
    base = rows.drop(index=period) if baseline is None else rows.loc[rows.index.intersection(baseline)]
    if base.empty:
        raise ValueError(f"Category {category_id!r} has no baseline period to compare {period} with.")
    se = (rows["ci_high"] - rows["ci_low"]) / (2 * 1.959964) * rows["mention_share"]
    impact, base_impact = float(rows.loc[period, "impact_points"]), float(base["impact_points"].mean())
    half = 1.959964 * float(np.sqrt(se[period] ** 2 + (se[base.index] ** 2).sum() / len(base) ** 2))
    excess = impact - base_impact
    return {"excess": excess, "ci_low": excess - half, "ci_high": excess + half, "impact": impact,
            "baseline_impact": base_impact, "baseline_periods": list(base.index)}


def period_nps(feedback: pd.DataFrame) -> pd.Series:
    """NPS (% promoters - % detractors) per period over respondents with a score."""
    score = pd.to_numeric(feedback["nps"], errors="coerce").astype("float64")
    value = np.where(score >= 9, 100.0, np.where(score <= 6, -100.0, 0.0))
    return pd.Series(value, index=feedback.index)[score.notna()].groupby(feedback["period"][score.notna()]).mean()


def nps_change(drivers: pd.DataFrame, nps_by_period: pd.Series) -> pd.DataFrame:
    """Split each period-over-period NPS change into per-category contributions and a remainder.

    contribution_c = impact_c(period) - impact_c(previous) (a category not estimated in a period has
    impact 0 there); the REMAINDER row is the observed change minus the sum of contributions, so the
    contributions plus the remainder equal the change exactly.

    Args:
        drivers: nps_drivers output.
        nps_by_period: NPS per period (period_nps), the observed values the change is taken from.

    Returns:
        CHANGE_COLUMNS, one row per (period, category) plus one REMAINDER row per period.
    """
    require_columns(drivers, ["period", "category_id", "impact_points"], "nps_change")
    periods = sorted(nps_by_period.index)
    impact = drivers.pivot_table(index="period", columns="category_id", values="impact_points", aggfunc="sum")
    rows = []
    for prev, cur in zip(periods, periods[1:]):
        a = impact.loc[prev] if prev in impact.index else pd.Series(dtype=float)
        b = impact.loc[cur] if cur in impact.index else pd.Series(dtype=float)
        contrib = b.reindex(impact.columns).fillna(0) - a.reindex(impact.columns).fillna(0)
        contrib = contrib[(b.reindex(impact.columns).notna()) | (a.reindex(impact.columns).notna())]
        change = float(nps_by_period[cur] - nps_by_period[prev])
        base = {"period": cur, "previous_period": prev, "nps_previous": float(nps_by_period[prev]),
                "nps": float(nps_by_period[cur]), "nps_change": change}
        rows += [{**base, "category_id": c, "contribution": float(v)} for c, v in contrib.items()]
        rows.append({**base, "category_id": REMAINDER, "contribution": change - float(contrib.sum())})
    out = pd.DataFrame(rows, columns=CHANGE_COLUMNS)
    return out.astype({"category_id": "string", "nps_previous": "float64", "nps": "float64",
                       "nps_change": "float64", "contribution": "float64"})
