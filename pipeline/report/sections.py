"""The HTML report's sections: each with a Chinese heading (English beside it), the period it covers,
and tables with Chinese headers. Category counts link to the example texts behind them."""

from __future__ import annotations

import html
import re
from datetime import datetime

import pandas as pd

from pipeline.report.labels import HEADERS, LIST_LABELS, SEVERITY, TOTAL
from pipeline.report.money import WAN, annual_loss, loss_days
from pipeline.report.periods import infer_grain, latest_two, period_change, period_label, span_label

Cell = str  # already-escaped HTML


def anchor(category_id: str) -> str:
    """The id of a category's example block (`ex-` + the id with dots as dashes)."""
    return "ex-" + re.sub(r"[^\w-]", "-", str(category_id))


def _th(column: str) -> str:
    zh, en = HEADERS.get(column, (column, column))
    second = f"<br><small>{html.escape(en)}</small>" if en != zh else ""
    return f"<th>{html.escape(zh)}{second}</th>"


def _num(v, digits: int = 1) -> str:
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return "—"
    if isinstance(v, (int,)) or (isinstance(v, float) and v.is_integer() and digits == 0):
        return f"{int(v):,}"
    return f"{v:,.{digits}f}"


def html_table(rows: list[dict[str, Cell]], columns: list[str], css: str = "voc") -> str:
    """A table of pre-rendered cells, with bilingual headers from HEADERS."""
    head = "".join(_th(c) for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{r.get(c, '')}</td>" for c in columns) + "</tr>" for r in rows)
    return f'<table class="{css}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def section(key: str, zh: str, en: str, period: str, body: str, note: str = "") -> str:
    """One report section: heading, the period it covers (统计期间), an optional note, the body."""
    note = f'<p class="note">{note}</p>' if note else ""
    return (f'<section id="{key}"><h2>{html.escape(zh)} <small>{html.escape(en)}</small></h2>'
            f'<p class="period">统计期间 Period: {html.escape(period)}</p>{note}{body}</section>')


def _periods(tables: dict[str, pd.DataFrame]) -> list:
    for name in ("fact_category_counts", "fact_feedback_volume", "fact_leaderboard"):
        t = tables.get(name, pd.DataFrame())
        if len(t) and "period" in t.columns:
            return sorted(pd.to_datetime(t["period"]).unique())
    return []


def period_texts(tables: dict[str, pd.DataFrame]) -> dict[str, str]:
    """The period each section covers, in words: whole window, latest period, latest vs previous."""
    ps = _periods(tables)
    grain = infer_grain(ps)
    latest, previous = latest_two(ps)
    lab = (lambda p: period_label(p, grain) + f" ({period_label(p, grain, 'en')})")
    return {
        "window": span_label(ps, grain) if ps else "无数据 no data",
        "latest": lab(latest) if latest is not None else "无数据 no data",
        "change": (f"本期 {lab(latest)} 对比 上期 {lab(previous)}" if previous is not None
                   else (f"本期 {lab(latest)}（无上期）" if latest is not None else "无数据 no data")),
        "grain": grain,
    }


def _link(category_id: str, value, examples: set[str]) -> str:
    text = _num(value, 0)
    if category_id in examples:
        return f'<a class="to-examples" href="#{anchor(category_id)}" title="原文示例 example texts">{text}</a>'
    return text


def changes_section(tables: dict[str, pd.DataFrame], examples: set[str], top: int = 10) -> str:
    """本期变化: the categories and departments whose complaints rose most from the previous period."""
    p = period_texts(tables)
    cats = _names(tables, "dim_category", "category_id")
    deps = _names(tables, "dim_department", "department_id")
    cc = period_change(tables.get("fact_category_counts", pd.DataFrame()), "category_id", "complaints", cats)
    dc = period_change(tables.get("fact_department_counts", pd.DataFrame()), "department_id", "weighted_complaints",
                       deps)
    cols = ["category", "latest", "previous", "change", "change_pct"]
    rows = [{"category": html.escape(r.name), "latest": _link(r.category_id, r.latest, examples),
             "previous": _num(r.previous, 0), "change": f"{r.change:+,.0f}",
             "change_pct": "新增 new" if pd.isna(r.change_pct) else f"{r.change_pct:+.0f}%"}
            for r in cc[cc["change"] > 0].head(top).itertuples()]
    body = "<h3>上升最多的问题类别 Categories rising most</h3>" + (html_table(rows, cols) if rows else "<p>无上升 none</p>")
    drows = [{"department": html.escape(r.name), "latest": _num(r.latest), "previous": _num(r.previous),
              "change": f"{r.change:+,.1f}",
              "change_pct": "新增 new" if pd.isna(r.change_pct) else f"{r.change_pct:+.0f}%"}
             for r in dc[dc["change"] > 0].head(top).itertuples()]
    body += ("<h3>投诉上升的部门 Departments rising (加权投诉 weighted complaints)</h3>"
             + (html_table(drows, ["department", "latest", "previous", "change", "change_pct"]) if drows
                else "<p>无上升 none</p>"))
    return section("changes", "本期变化", "What changed this period vs the last", p["change"], body,
                   "数字为投诉反馈条数；点击本期数字查看原文示例。Counts are complaining feedback; click a count for "
                   "its example texts.")


def categories_section(tables: dict[str, pd.DataFrame], examples: set[str]) -> str:
    """问题类别: every category with complaints, latest and previous period and the whole window."""
    p = period_texts(tables)
    cc = tables.get("fact_category_counts", pd.DataFrame())
    if not len(cc):
        return section("categories", "问题类别", "Categories", p["window"], "<p>无数据 no data</p>")
    dim = tables.get("dim_category", pd.DataFrame())
    sev = dict(zip(dim["category_id"], dim["severity"])) if len(dim) and "severity" in dim.columns else {}
    names = _names(tables, "dim_category", "category_id")
    change = period_change(cc, "category_id", "complaints", names).set_index("category_id")
    total = cc.groupby("category_id")["complaints"].sum()
    order = total[total > 0].sort_values(ascending=False).index
    rows = []
    for cid in order:
        c = change.loc[cid] if cid in change.index else None
        rows.append({"category": html.escape(names.get(cid, cid)), "severity": html.escape(SEVERITY.get(sev.get(cid), "")),
                     "latest": _link(cid, c["latest"] if c is not None else 0, examples),
                     "previous": _num(c["previous"] if c is not None else 0, 0),
                     "change": f"{(c['change'] if c is not None else 0):+,.0f}",
                     "complaints": _link(cid, total[cid], examples),
                     "examples": (f'<a href="#{anchor(cid)}">查看原文 texts</a>' if cid in examples else "—")})
    body = html_table(rows, ["category", "severity", "latest", "previous", "change", "complaints", "examples"])
    return section("categories", "问题类别", "Categories (complaining feedback)",
                   f"{p['window']}；本期 latest: {p['latest']}", body,
                   "“投诉反馈”列为全部期间合计。The complaints column covers the whole window.")


def leaderboard_section(tables: dict[str, pd.DataFrame], chart: str) -> str:
    """部门红黑榜 for the latest period: the chart, then the table ranked by NPS loss, then complaints."""
    p = period_texts(tables)
    lb = tables.get("fact_leaderboard", pd.DataFrame())
    deps = _names(tables, "dim_department", "department_id")
    cols = ["rank", "department", "list", "nps_loss_points", "weighted_complaints", "trend_pct", "resolution_rate",
            "mean_days_to_close", "reasons"]
    rows = []
    if len(lb):
        last = lb[lb["period"] == lb["period"].max()].sort_values("rank")
        for r in last.itertuples():
            lst = r.list if isinstance(r.list, str) else ""
            rows.append({"rank": str(r.rank), "department": html.escape(deps.get(r.department_id, r.department_id)),
                         "list": f'<span class="list-{lst}">{LIST_LABELS[lst]}</span>' if lst in LIST_LABELS else "",
                         "nps_loss_points": _num(r.nps_loss_points, 2), "weighted_complaints": _num(r.weighted_complaints),
                         "trend_pct": "—" if pd.isna(r.trend_pct) else f"{r.trend_pct:+.0f}%",
                         "resolution_rate": "—" if pd.isna(r.resolution_rate) else f"{r.resolution_rate:.0%}",
                         "mean_days_to_close": _num(r.mean_days_to_close), "reasons": html.escape(str(r.reasons or ""))})
    body = chart + (html_table(rows, cols) if rows else "<p>无数据 no data</p>")
    return section("leaderboard", "部门红黑榜", "Department leaderboard", p["latest"], body,
                   "黑榜 (警示) = 需要改进；红榜 (表扬) = 表现好。表格按 NPS 损失排名，其次按加权投诉；图按加权投诉从高到低。"
                   " Black list = warning, honour list = praise. The table ranks by NPS loss, then weighted complaints; "
                   "the chart orders departments by weighted complaints.")


def loss_section(tables: dict[str, pd.DataFrame], chart: str) -> str:
    """损失: the yearly rate per department over the window and the money of the window itself, in 万元, with a total."""
    p = period_texts(tables)
    loss = tables.get("fact_loss", pd.DataFrame())
    deps = _names(tables, "dim_department", "department_id")
    cols = ["department", "churn_loss", "claim_loss", "labour_loss", "pr_loss", "total_loss", "total_loss_period"]
    rows = []
    if len(loss):
        by = annual_loss(loss, "department_id").set_index("department_id")
        period_money = (loss["total_loss_period"] if "total_loss_period" in loss.columns
                        else loss["total_loss"] * loss_days(loss) / 365.0)
        in_window = period_money.groupby(loss["department_id"]).sum()
        money = ["churn_loss", "claim_loss", "labour_loss", "pr_loss", "total_loss"]
        for d, r in by.iterrows():
            rows.append({"department": html.escape(deps.get(d, d)), **{m: _num(r[m] / WAN) for m in money},
                         "total_loss_period": _num(in_window.get(d, 0.0) / WAN)})
        rows.append({"department": f"<b>{TOTAL[0]} {TOTAL[1]}</b>",
                     **{m: f"<b>{_num(by[m].sum() / WAN)}</b>" for m in money},
                     "total_loss_period": f"<b>{_num(in_window.sum() / WAN)}</b>"})
    body = chart + (html_table(rows, cols) if rows else "<p>无数据 no data</p>")
    return section("loss", "问题损失（年化）", "Loss (annualised)", f"{p['window']}，年化 annualised", body,
                   "金额单位：万元。“万元/年”列为年化速率（按期间天数加权平均，不可跨期相加）；“期间损失”为统计期间内的实际金额，"
                   "可相加。Amounts in 万元 (10k CNY): per-year rates, and the money of the window itself.")


def examples_section(examples: pd.DataFrame, tables: dict[str, pd.DataFrame]) -> str:
    """原文示例: per category, the newest complaining feedback (PII-masked as stored)."""
    names = _names(tables, "dim_category", "category_id")
    if not len(examples):
        return section("examples", "原文示例", "Example texts", "最新 newest", "<p>无数据 no data</p>")
    grain = infer_grain(_periods(tables))
    # One pass over the rows, grouped as groupby(sort=False) groups them (first appearance, rows in
    # order, no null category): itertuples per group cost 2 ms a category, 0.6 s for 286 of them.
    by_category: dict[str, list] = {}
    for r in examples[examples["category_id"].notna()].itertuples():
        by_category.setdefault(r.category_id, []).append(r)
    blocks = []
    for cid, g in by_category.items():
        items = "".join(
            f"<li><span class=\"when\">{html.escape(_when(r.created_at, r.period, grain))} · "
            f"{html.escape(str(r.channel or ''))} · {html.escape(str(r.vehicle_model or '未知'))}</span> "
            f"{html.escape(str(r.text))}</li>" for r in g)
        blocks.append(f'<div class="examples" id="{anchor(cid)}"><h3>{html.escape(names.get(cid, cid))} '
                      f'<small>{html.escape(cid)}</small></h3><ol>{items}</ol>'
                      f'<p><a href="#categories">↑ 返回类别 back to categories</a></p></div>')
    return section("examples", "原文示例", "Example texts behind the numbers", "每类最新投诉 newest complaints per category",
                   "".join(blocks), "文本已脱敏（手机号、车架号等已遮盖）。Texts are PII-masked as stored.")


def _when(created_at, period, grain: str) -> str:
    if created_at is not None and not pd.isna(created_at):
        return f"{pd.Timestamp(created_at):%Y-%m-%d}"
    return period_label(period, grain) if period is not None else ""


def _names(tables: dict[str, pd.DataFrame], dim: str, key: str) -> dict[str, str]:
    d = tables.get(dim, pd.DataFrame())
    return dict(zip(d[key], d["name"])) if len(d) else {}


def generated_at(now: datetime | None = None) -> str:
    return f"{(now or datetime.now()):%Y-%m-%d %H:%M}"
