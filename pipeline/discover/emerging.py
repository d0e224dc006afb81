"""Emerging issues: categories and topics whose volume in a period rises significantly above baseline.

The test compares a key's feedback count in the tested period with its count over the baseline
periods before it, as two Poisson rates with the periods' feedback volumes as exposure. Conditional
on the total, the tested period's count is binomial with p = n / (n + N) when the rate did not
change (the exact "C-test" for two Poisson rates), so a one-sided binomial test gives the p-value.
Real counts vary more from month to month than a Poisson count does; a dispersion factor estimated
from the baseline periods (Pearson chi-square / degrees of freedom, at least 1; 1 where fewer than
5 feedback per period are expected, too few to estimate it) scales the counts
down before the test (quasi-Poisson), so a key that is noisy anyway needs a bigger rise. Keys below
`min_count` in the tested period are not tested. The p-values of every key tested in a period
(categories and topics together) are adjusted with Benjamini-Hochberg; q <= alpha is emerging.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import binomtest, false_discovery_control

from pipeline.discover.topics import OUTLIER
from pipeline.schema import require_columns

MIN_EXPECTED_FOR_DISPERSION = 5.0
_DTYPES = {"kind": "string", "key": "string", "count": "int64", "period_feedback": "int64", "rate": "float64",
           "baseline_count": "int64", "baseline_feedback": "int64", "baseline_rate": "float64", "growth": "float64",
           "dispersion": "float64", "p_value": "float64", "q_value": "float64", "is_emerging": "bool",
           "baseline_periods": "string"}
EMERGING_COLUMNS = [
    "period", "kind", "key", "count", "period_feedback", "rate", "baseline_count", "baseline_feedback",
    "baseline_rate", "growth", "dispersion", "p_value", "q_value", "is_emerging", "baseline_periods",
]


def period_counts(feedback: pd.DataFrame, mentions: pd.DataFrame, clauses: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.Series]:
    """Feedback counts per period for every category (complaints) and every topic.

    Args:
        feedback: feedback_id, period.
        mentions: feedback_id, category_id, polarity (only complaints count).
        clauses: feedback_id, topic_id (optional; outliers are not a topic). Praise clauses are
            left out when a clause_polarity column is present.

    Returns:
        (long table period, kind ("category" / "topic"), key (str), count; feedback per period).
    """
    require_columns(feedback, ["feedback_id", "period"], "period_counts")
    require_columns(mentions, ["feedback_id", "category_id", "polarity"], "period_counts")
    per = feedback[["feedback_id", "period"]]
    m = mentions.loc[mentions["polarity"] == "complaint", ["feedback_id", "category_id"]].drop_duplicates()
    cats = m.merge(per, on="feedback_id").groupby(["period", "category_id"]).size().rename("count").reset_index()
    parts = [cats.rename(columns={"category_id": "key"}).assign(kind="category")]
    if clauses is not None:
        require_columns(clauses, ["feedback_id", "topic_id"], "period_counts")
        c = clauses[clauses["topic_id"] != OUTLIER]
        if "clause_polarity" in c.columns:
            c = c[c["clause_polarity"] != "praise"]
        c = c[["feedback_id", "topic_id"]].drop_duplicates().merge(per, on="feedback_id")
        tops = c.groupby(["period", "topic_id"]).size().rename("count").reset_index()
        parts.append(tops.assign(key=tops["topic_id"].astype(int).astype(str), kind="topic").drop(columns="topic_id"))
    counts = pd.concat(parts, ignore_index=True)[["period", "kind", "key", "count"]]
    volume = per.groupby("period")["feedback_id"].nunique().sort_index()
    return counts, volume


def detect_emerging(
    counts: pd.DataFrame,
    volume: pd.Series,
    period=None,
    baseline_periods: int = 6,
    min_baseline_periods: int = 2,
    min_count: int = 10,
    alpha: float = 0.01,
) -> pd.DataFrame:
    """Test every key in one period against its baseline.

    Args:
        counts: period, kind, key, count (from `period_counts`).
        volume: feedback per period (index period).
        period: the period to test; default the latest.
        baseline_periods: how many periods before it form the baseline.
        min_baseline_periods: fewer earlier periods than this: nothing is tested.
        min_count: feedback a key needs in the tested period to be tested at all.
        alpha: false discovery rate (Benjamini-Hochberg over the period's tested keys).

    Returns:
        EMERGING_COLUMNS, one row per tested key, sorted emerging first then by q-value.
    """
    require_columns(counts, ["period", "kind", "key", "count"], "detect_emerging")
    periods = sorted(volume.index)
    period = periods[-1] if period is None else period
    if period not in volume.index:
        raise ValueError(f"detect_emerging: period {period} has no feedback volume; known periods {periods}")
    before = [p for p in periods if p < period][-baseline_periods:]
    if len(before) < min_baseline_periods:
        return _empty()
    wide = counts.pivot_table(index=["kind", "key"], columns="period", values="count", aggfunc="sum", fill_value=0)
    for p in [*before, period]:
        if p not in wide.columns:
            wide[p] = 0
    x = wide[period].to_numpy(float)
    base = wide[before].to_numpy(float)
    n, vols = float(volume[period]), volume[before].to_numpy(float)
    big_n, big_x = vols.sum(), base.sum(axis=1)
    # Quasi-Poisson dispersion from the baseline: how much more than Poisson the key varies.
    expected = big_x[:, None] * vols[None, :] / big_n
    with np.errstate(divide="ignore", invalid="ignore"):
        chi2 = np.where(expected > 0, (base - expected) ** 2 / expected, 0.0).sum(axis=1)
    phi = np.maximum(1.0, chi2 / max(len(before) - 1, 1))
    # Pearson's statistic says nothing reliable below about 5 expected per period: assume Poisson there.
    phi = np.where(expected.min(axis=1) >= MIN_EXPECTED_FOR_DISPERSION, phi, 1.0)
    tested = x >= min_count
    p_values = np.ones(len(x))
    share = n / (n + big_n)
    for i in np.flatnonzero(tested):
        k, total = int(round(x[i] / phi[i])), int(round((x[i] + big_x[i]) / phi[i]))
        p_values[i] = binomtest(k, max(total, k), share, alternative="greater").pvalue
    q = np.ones(len(x))
    if tested.any():
        q[tested] = false_discovery_control(p_values[tested], method="bh")
    rate, base_rate = x / n, big_x / big_n
    with np.errstate(divide="ignore", invalid="ignore"):
        growth = np.where(base_rate > 0, rate / base_rate, np.inf)
    out = pd.DataFrame({
        "period": period, "kind": wide.index.get_level_values("kind"), "key": wide.index.get_level_values("key"),
        "count": x.astype(int), "period_feedback": int(n), "rate": rate, "baseline_count": big_x.astype(int),
        "baseline_feedback": int(big_n), "baseline_rate": base_rate, "growth": growth, "dispersion": phi,
        "p_value": p_values, "q_value": q, "is_emerging": tested & (q <= alpha) & (rate > base_rate),
        "baseline_periods": ",".join(str(p) for p in before),
    })[tested]
    return out.sort_values(["is_emerging", "q_value"], ascending=[False, True]).reset_index(drop=True)[EMERGING_COLUMNS]


def scan_periods(counts: pd.DataFrame, volume: pd.Series, **kwargs) -> pd.DataFrame:
    """`detect_emerging` for every period that has enough baseline before it (a backtest).

    Returns:
        EMERGING_COLUMNS for all tested keys of all periods.
    """
    frames = [detect_emerging(counts, volume, period=p, **kwargs) for p in sorted(volume.index)]
    frames = [f for f in frames if len(f)]
    return pd.concat(frames, ignore_index=True) if frames else _empty()


def unexplained_flags(flags: pd.DataFrame, feedback: pd.DataFrame, mentions: pd.DataFrame, clauses: pd.DataFrame,
                      explained_ids, **kwargs) -> list[tuple]:
    """Flags that stay significant when the feedback a known change explains is removed: false alarms.

    A backtest on data with planted changes counts a flag as explained when it disappears once the
    planted rows are gone, and as a false alarm when it does not.

    Args:
        flags: scan_periods rows (only is_emerging ones are judged).
        feedback, mentions, clauses: the tables the flags were computed from (see period_counts).
        explained_ids: feedback_ids of the rows carrying a known change.
        **kwargs: the detect_emerging settings the flags were computed with.

    Returns:
        (period, kind, key) of every flag still raised without the explained rows.
    """
    drop = set(explained_ids)
    counts, volume = period_counts(feedback[~feedback["feedback_id"].isin(drop)],
                                   mentions[~mentions["feedback_id"].isin(drop)],
                                   clauses[~clauses["feedback_id"].isin(drop)])
    rescan = scan_periods(counts, volume, **kwargs)
    still = set(map(tuple, rescan.loc[rescan["is_emerging"], ["period", "kind", "key"]].to_numpy()))
    raised = flags.loc[flags["is_emerging"], ["period", "kind", "key"]].to_numpy()
    return [f for f in map(tuple, raised) if f in still]


def _empty() -> pd.DataFrame:
    return pd.DataFrame(columns=EMERGING_COLUMNS).astype(_DTYPES)
