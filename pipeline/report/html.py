"""The static HTML report of a run: category trends, leaderboard, NPS driver waterfall, loss, alerts,
competitor benchmark. One self-contained file (plotly.js embedded once, no CDN): it opens offline
and can be mailed to a business review."""

from __future__ import annotations

import html
import os
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

from pipeline.report.money import annual_loss, loss_days  # noqa: F401  (re-exported)

REPORT_TABLES = (
    "fact_category_counts", "fact_department_counts", "dim_category", "dim_department", "fact_leaderboard", "fact_nps_change", "fact_loss",
    "alerts", "alert_events", "fact_competitor_benchmark", "fact_feedback_volume",
)
BOARD_ROWS = 15  # alerts listed in the report: overdue and open ones come first
_FONT = "PingFang SC, Microsoft YaHei, Noto Sans CJK SC, sans-serif"


def _names(tables: dict[str, pd.DataFrame], dim: str, key: str) -> dict[str, str]:
    d = tables.get(dim, pd.DataFrame())
    return dict(zip(d[key], d["name"])) if len(d) else {}


def _layout(fig: go.Figure, title: str) -> go.Figure:
    fig.update_layout(title=title, font={"family": _FONT}, height=420, margin={"l": 60, "r": 20, "t": 60, "b": 60},
                      template="plotly_white")
    return fig


def trends_figure(tables: dict[str, pd.DataFrame], top: int = 8) -> go.Figure | None:
    """Complaints per period for the most complained-about categories."""
    cc = tables.get("fact_category_counts", pd.DataFrame())
    if not len(cc):
        return None
    names = _names(tables, "dim_category", "category_id")
    by = cc.groupby(["period", "category_id"])["complaints"].sum().reset_index()
    keep = by.groupby("category_id")["complaints"].sum().nlargest(top).index
    fig = go.Figure()
    for cid in keep:
        s = by[by["category_id"] == cid].sort_values("period")
        fig.add_trace(go.Scatter(x=pd.to_datetime(s["period"]), y=s["complaints"], mode="lines+markers",
                                 name=names.get(cid, cid)))
    return _layout(fig, "问题趋势 Category trends (complaining feedback per period)")


def waterfall_figure(tables: dict[str, pd.DataFrame], top: int = 8) -> go.Figure | None:
    """The latest period's NPS change split into category contributions and the remainder."""
    ch = tables.get("fact_nps_change", pd.DataFrame())
    if not len(ch):
        return None
    last = ch[ch["period"] == ch["period"].max()]
    names = _names(tables, "dim_category", "category_id")
    rem = last[last["category_id"] == "(remainder)"]["contribution"].sum()
    cats = last[last["category_id"] != "(remainder)"]
    big = cats.reindex(cats["contribution"].abs().sort_values(ascending=False).index).head(top)
    rest = cats["contribution"].sum() - big["contribution"].sum()
    first = last.iloc[0]
    labels = [f"{pd.Timestamp(first['previous_period']):%Y-%m} NPS", *[names.get(c, c) for c in big["category_id"]],
              "其他类别 other categories", "其余 remainder", f"{pd.Timestamp(first['period']):%Y-%m} NPS"]
    values = [first["nps_previous"], *big["contribution"], rest, rem, first["nps"]]
    measure = ["absolute", *["relative"] * (len(big) + 2), "total"]
    fig = go.Figure(go.Waterfall(x=labels, y=values, measure=measure, text=[f"{v:+.1f}" for v in values],
                                 textposition="outside"))
    return _layout(fig, f"NPS 变化归因 NPS change {first['nps_change']:+.1f} points: contributions + remainder")


LIST_COLOURS = {"black": "#3c3c3c", "red": "#2e7d32"}  # 黑榜 dark, 红榜 green: red reads as "in trouble"


def leaderboard_figure(tables: dict[str, pd.DataFrame]) -> go.Figure | None:
    """The latest period's departments by share-weighted complaints, largest first; 黑榜 / 红榜 named on the bars."""
    from pipeline.report.labels import LIST_LABELS

    lb = tables.get("fact_leaderboard", pd.DataFrame())
    if not len(lb):
        return None
    last = lb[lb["period"] == lb["period"].max()].sort_values("weighted_complaints", ascending=False)
    names = _names(tables, "dim_department", "department_id")
    lists = last["list"].fillna("").astype(str)
    fig = go.Figure(go.Bar(x=[names.get(d, d) for d in last["department_id"]], y=last["weighted_complaints"],
                           marker_color=[LIST_COLOURS.get(x, "#9e9e9e") for x in lists],
                           text=[LIST_LABELS.get(x, "") for x in lists], textposition="outside"))
    fig.update_layout(yaxis_title="加权投诉 weighted complaints")
    return _layout(fig, "部门加权投诉（从高到低）Departments by share-weighted complaints")


def loss_figure(tables: dict[str, pd.DataFrame], top: int = 10) -> go.Figure | None:
    """Annualised loss by category, split into churn, claims, labour and PR."""
    loss = annual_loss(tables.get("fact_loss", pd.DataFrame()), "category_id")
    if not len(loss):
        return None
    names = _names(tables, "dim_category", "category_id")
    loss = loss.head(top)
    fig = go.Figure()
    for col, label in (("churn_loss", "流失 churn"), ("claim_loss", "索赔 claims"), ("labour_loss", "工时 labour"),
                       ("pr_loss", "公关 PR")):
        fig.add_trace(go.Bar(x=[names.get(c, c) for c in loss["category_id"]], y=loss[col] / 1e4, name=label))
    fig.update_layout(barmode="stack", yaxis_title="万元 / 年")
    return _layout(fig, "问题年化损失 Annualised loss by category (万元/年, 10k CNY per year)")


def benchmark_figure(tables: dict[str, pd.DataFrame], top: int = 8) -> go.Figure | None:
    """Complaints per 1,000 brand mentions: own brand against each competitor, whole window."""
    b = tables.get("fact_competitor_benchmark", pd.DataFrame())
    if not len(b):
        return None
    names = _names(tables, "dim_category", "category_id")
    vol = b.drop_duplicates(["period", "brand"]).groupby("brand")["brand_feedback"].sum()
    comp = b.groupby(["brand", "category_id"])["complaints"].sum().reset_index()
    comp["rate"] = 1000 * comp["complaints"] / comp["brand"].map(vol)
    keep = comp.groupby("category_id")["complaints"].sum().nlargest(top).index
    fig = go.Figure()
    for brand in sorted(comp["brand"].unique(), key=lambda x: (not b[b["brand"] == x]["is_own_brand"].any(), x)):
        s = comp[(comp["brand"] == brand) & comp["category_id"].isin(keep)]
        fig.add_trace(go.Bar(x=[names.get(c, c) for c in s["category_id"]], y=s["rate"], name=brand))
    fig.update_layout(barmode="group", yaxis_title="每千条 per 1,000")
    return _layout(fig, "竞品对标 Competitor benchmark (complaints per 1,000 brand mentions, social media)")


_CSS = """body{font-family:%s;margin:24px;color:#222;max-width:1400px}
h2 small,h3 small,th small{color:#777;font-weight:normal} p.period{color:#555;margin-top:-6px}
p.note{color:#666;font-size:12px} table.voc{border-collapse:collapse;font-size:13px;margin:8px 0 20px}
table.voc td,table.voc th{padding:4px 8px;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}
.list-black{color:#fff;background:#3c3c3c;padding:1px 6px;border-radius:3px}
.list-red{color:#fff;background:#2e7d32;padding:1px 6px;border-radius:3px}
div.examples{border-left:3px solid #bbb;padding-left:12px;margin:12px 0} div.examples:target{border-color:#1f77b4;
background:#f3f8fc} span.when{color:#777;font-size:12px} nav a{margin-right:12px}""" % _FONT
_NAV = (("changes", "本期变化"), ("redline", "红线预警"), ("categories", "问题类别"), ("trends", "趋势"),
        ("leaderboard", "红黑榜"), ("nps", "NPS 归因"), ("loss", "损失"), ("benchmark", "竞品对标"), ("examples", "原文示例"))


def build_report(tables: dict[str, pd.DataFrame], run: dict | None = None, now: datetime | None = None) -> str:
    """The report as one HTML document.

    Args:
        tables: output tables by name (REPORT_TABLES, and `examples` from `category_examples`; missing
            ones leave their section empty).
        run: lineage and headline numbers to print at the top (run_id, taxonomy_version, ...).
        now: the clock (UTC, naive) alerts' deadlines are judged against; defaults to the current time.

    Returns:
        HTML text with plotly.js embedded once.
    """
    from pipeline.report import sections as sec

    figures = {"trends": trends_figure(tables), "leaderboard": leaderboard_figure(tables),
               "nps": waterfall_figure(tables), "loss": loss_figure(tables), "benchmark": benchmark_figure(tables)}
    charts, first = {}, True
    for key, fig in figures.items():
        if fig is None:
            charts[key] = ""
            continue
        charts[key] = '<div class="chart">' + fig.to_html(full_html=False, include_plotlyjs=first,
                                                          config={"displaylogo": False}) + "</div>"
        first = False
    examples = tables.get("examples", pd.DataFrame())
    linked = set(examples["category_id"]) if len(examples) else set()
    p = sec.period_texts(tables)
    meta = " · ".join(f"{k} {html.escape(str(v))}" for k, v in (run or {}).items())
    body = [
        sec.changes_section(tables, linked),
        _red_line_section(tables, _names(tables, "dim_category", "category_id"), now),
        sec.categories_section(tables, linked),
        sec.section("trends", "问题趋势", "Category trends", f"{p['window']}，每期 per period", charts["trends"]),
        sec.leaderboard_section(tables, charts["leaderboard"]),
        sec.section("nps", "NPS 变化归因", "NPS change: contributions", p["change"], charts["nps"] or "<p>无数据 no data</p>"),
        sec.loss_section(tables, charts["loss"]),
        sec.section("benchmark", "竞品对标", "Competitor benchmark (social media)", p["window"],
                    charts["benchmark"] or "<p>无数据 no data</p>"),
        sec.examples_section(examples, tables),
    ]
    nav = "".join(f'<a href="#{k}">{html.escape(v)}</a>' for k, v in _NAV)
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>客户之声报告 VoC report</title>
<style>{_CSS}</style></head>
<body><h1>客户之声报告 <small>Voice-of-Customer report</small></h1><p>{meta}</p>
<p>生成时间 generated {sec.generated_at()} · 数据期间 data: {html.escape(p['window'])}</p><nav>{nav}</nav>
{''.join(body)}
</body></html>"""


def _red_line_section(tables: dict[str, pd.DataFrame], cats: dict[str, str], now: datetime | None) -> str:
    """红线预警: the P0 headline, then alerts with status and deadlines, overdue first."""
    from pipeline.report.redline import BEIJING, alert_board, p0_headline
    from pipeline.report.sections import period_texts, section

    # UTC without zone, as the alert tables store it (not through pipeline.alerts.outbox: its import
    # brings SQLAlchemy, 0.2 s of a run writing to DuckDB).
    now = now or datetime.now(timezone.utc).replace(tzinfo=None)
    alerts, events = tables.get("alerts", pd.DataFrame()), tables.get("alert_events", pd.DataFrame())
    events = events if len(events) else None
    head = p0_headline(tables.get("fact_category_counts", pd.DataFrame()), tables.get("dim_category", pd.DataFrame()),
                       alerts, events, now)
    full = alert_board(alerts, events, cats, now)
    board = full.head(BOARD_ROWS).drop(columns="alert_id")
    lines = "".join(f"<p><b>{html.escape(x)}</b></p>" for x in head)
    period = (f"P0 投诉：{period_texts(tables)['window']}；预警状态截至 alerts as of "
              f"{pd.Timestamp(now) + BEIJING:%Y-%m-%d %H:%M} 北京时间")
    more = (f'<p class="note">仅列出前 {BOARD_ROWS} 条（共 {len(full)} 条），全部请用 voc alerts list。'
            f"First {BOARD_ROWS} of {len(full)}: `voc alerts list` shows all.</p>" if len(full) > BOARD_ROWS else "")
    body = lines + (board.to_html(index=False, classes="voc", border=0, escape=True) + more if len(board)
                    else "<p>无预警 no alerts</p>")
    return section("redline", "红线预警", "Red-line alerts (overdue first; deadlines in Beijing time)", period, body)


def write_report(target, out_dir, lineage: dict) -> Path:
    """Read the report's tables from the output database and write `<out_dir>/<run_id>.html`.

    Args:
        target: DuckDB file or SQLAlchemy URL.
        out_dir: report folder (created if missing); `latest.html` is a copy of the newest report.
        lineage: the run's lineage (run_id and versions), printed at the top.

    Returns:
        The report's path.
    """
    from pipeline import publish

    from pipeline.report.examples import read_examples

    tables = publish.read_many(target, list(REPORT_TABLES))
    tables["examples"] = read_examples(target)
    page = build_report(tables, {k: lineage[k] for k in ("run_id", "taxonomy_version", "embedder_id") if k in lineage})
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{lineage.get('run_id', 'report')}.html"
    tmp = out_dir / f".{path.name}.tmp"
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, path)
    shutil.copyfile(path, out_dir / "latest.html")
    return path
