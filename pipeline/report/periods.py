"""Periods as a Chinese CX team names them, and what changed from the previous period to the latest.

The stored `period` is the first day of a month, ISO week or day (one grain per database); the grain is
read back from the periods themselves.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd


def infer_grain(periods: Iterable) -> str:
    """`month` when every period is the first of a month, `week` when every one is a Monday, else `day`."""
    ts = pd.to_datetime(pd.Series(list(periods), dtype=object)).dropna()
    if not len(ts) or (ts.dt.day == 1).all():
        return "month"
    return "week" if (ts.dt.weekday == 0).all() else "day"


def period_label(period, grain: str = "month", lang: str = "zh") -> str:
    """2026年10月 / 2026年第40周 / 2026年10月5日 (lang="en": 2026-10 / 2026-W40 / 2026-10-05)."""
    t = pd.Timestamp(period)
    if grain == "month":
        return f"{t.year}年{t.month}月" if lang == "zh" else f"{t:%Y-%m}"
    if grain == "week":
        y, w, _ = t.isocalendar()
        return f"{y}年第{w}周" if lang == "zh" else f"{y}-W{w:02d}"
    return f"{t.year}年{t.month}月{t.day}日" if lang == "zh" else f"{t:%Y-%m-%d}"


def span_label(periods: Iterable, grain: str | None = None, lang: str = "zh") -> str:
    """The range the periods cover: 2026年5月 至 2026年10月 (6 个月)."""
    ps = sorted({pd.Timestamp(p) for p in periods if p is not None and not pd.isna(p)})
    if not ps:
        return "无数据" if lang == "zh" else "no data"
    grain = grain or infer_grain(ps)
    unit = {"month": ("个月", "months"), "week": ("周", "weeks"), "day": ("天", "days")}[grain]
    a, b = period_label(ps[0], grain, lang), period_label(ps[-1], grain, lang)
    if lang == "zh":
        return a if a == b else f"{a} 至 {b}（{len(ps)} {unit[0]}）"
    return a if a == b else f"{a} to {b} ({len(ps)} {unit[1]})"


def latest_two(periods: Iterable) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """(latest, previous) period; None where there is none."""
    ps = sorted({pd.Timestamp(p) for p in periods if p is not None and not pd.isna(p)})
    return (ps[-1] if ps else None), (ps[-2] if len(ps) > 1 else None)


def period_change(facts: pd.DataFrame, key: str, value: str, names: dict[str, str] | None = None) -> pd.DataFrame:
    """Latest period against the previous one, per `key`: largest rise first.

    Args:
        facts: a fact table with `period`, `key` and `value` (e.g. fact_category_counts, complaints).
        key: the id column (category_id, department_id).
        value: the measure to sum per period.
        names: id -> name.

    Returns:
        key, name, latest, previous, change (latest - previous), change_pct (NaN where previous is 0);
        sorted by change, largest rise first. Empty without data.
    """
    cols = [key, "name", "latest", "previous", "change", "change_pct"]
    if not len(facts):
        return pd.DataFrame(columns=cols)
    latest, previous = latest_two(facts["period"])
    p = pd.to_datetime(facts["period"])
    now = facts[p == latest].groupby(key)[value].sum()
    before = facts[p == previous].groupby(key)[value].sum() if previous is not None else pd.Series(dtype=float)
    ids = now.index.union(before.index)
    out = pd.DataFrame({key: ids, "latest": now.reindex(ids, fill_value=0).to_numpy(),
                        "previous": before.reindex(ids, fill_value=0).to_numpy()})
    out["change"] = out["latest"] - out["previous"]
    out["change_pct"] = 100 * out["change"] / out["previous"].where(out["previous"] > 0)
    out.insert(1, "name", out[key].map(lambda k: (names or {}).get(k, k)))
    return out.sort_values(["change", "latest"], ascending=False, kind="stable").reset_index(drop=True)[cols]
