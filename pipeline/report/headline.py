"""The run summary as lines a CX analyst reads first: what changed since the last period, the totals,
and where the time went. Pure functions over tables and the run's summary dict."""

from __future__ import annotations

import pandas as pd

from pipeline.report.periods import infer_grain, latest_two, period_change, period_label

STAGES = {"setup": ("准备", "setup"), "ingest": ("读取", "ingest"), "preprocess": ("预处理", "preprocess"),
          "embed_classify": ("嵌入+分类", "embed+classify"), "topics": ("主题", "topics"),
          "attribute": ("归因", "attribute"), "publish": ("写库", "publish"), "report": ("报告", "report")}


def stage_line(timings: dict[str, float], lang: str = "zh") -> str:
    """`用时 58.3 秒：读取 1.2 · 预处理 3.4 · ...` (largest stages stay in pipeline order)."""
    if not timings:
        return ""
    i = 0 if lang == "zh" else 1
    parts = " · ".join(f"{STAGES.get(k, (k, k))[i]} {v:.1f}" for k, v in timings.items())
    total = sum(timings.values())
    return f"用时 {total:.1f} 秒：{parts}" if lang == "zh" else f"time {total:.1f} s: {parts}"


def embedding_line(stats: dict, lang: str = "zh") -> str:
    """How many distinct texts were embedded by this run and how many came from earlier runs' cache."""
    new, cached = int(stats.get("embedded", 0)), int(stats.get("cached", 0))
    distinct = int(stats.get("distinct", new + cached))
    if lang == "zh":
        return f"嵌入 {distinct} 条不同文本：本次新算 {new} 条，之前运行的缓存 {cached} 条"
    return f"embedded {distinct} distinct texts: {new} new, {cached} from earlier runs' cache"


def change_lines(category_counts: pd.DataFrame, department_counts: pd.DataFrame, category_names: dict[str, str],
                 department_names: dict[str, str], top: int = 5, lang: str = "zh") -> list[str]:
    """本期 vs 上期: the categories and departments whose complaints rose most, with counts and change.

    Args:
        category_counts: fact_category_counts (period, category_id, complaints).
        department_counts: fact_department_counts (period, department_id, weighted_complaints), or empty.
        category_names, department_names: id -> name.
        top: rows per list.
    """
    if not len(category_counts):
        return []
    latest, previous = latest_two(category_counts["period"])
    grain = infer_grain(category_counts["period"].unique())
    now, before = period_label(latest, grain, lang), period_label(previous, grain, lang) if previous is not None else None
    if previous is None:
        return [f"本期 {now}：无上期可比" if lang == "zh" else f"this period {now}: no previous period to compare"]

    def fmt(df: pd.DataFrame, digits: int) -> str:
        rising = df[df["change"] > 0].head(top)
        if not len(rising):
            return "无上升" if lang == "zh" else "none rising"
        return ("，" if lang == "zh" else ", ").join(f"{r.name} {r.latest:,.{digits}f} ({r.change:+,.{digits}f}"
                        + ("" if pd.isna(r.change_pct) else f", {r.change_pct:+.0f}%") + ")" for r in rising.itertuples())

    cats = period_change(category_counts, "category_id", "complaints", category_names)
    lines = [f"本期 {now} 对比 上期 {before}" if lang == "zh" else f"this period {now} vs the last ({before})",
             ("  上升最多的问题：" if lang == "zh" else "  categories rising most: ") + fmt(cats, 0)]
    if len(department_counts):
        deps = period_change(department_counts, "department_id", "weighted_complaints", department_names)
        lines.append(("  投诉上升的部门（加权）：" if lang == "zh" else "  departments rising (weighted): ") + fmt(deps, 1))
    return lines
