"""The static HTML report of a run: category trends, leaderboard, NPS driver waterfall, loss, alerts,
competitor benchmark. One self-contained file (plotly.js embedded once, no CDN): it opens offline
and can be mailed to a business review."""

from __future__ import annotations

import html
import os
import shutil
from datetime import datetime
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

REPORT_TABLES = (
    "fact_category_counts", "dim_category", "dim_department", "fact_leaderboard", "fact_nps_change", "fact_loss",
    "alerts", "alert_events", "fact_competitor_benchmark", "fact_feedback_volume",
)
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


def leaderboard_figure(tables: dict[str, pd.DataFrame]) -> go.Figure | None:
    """The latest period's departments: weighted complaints, coloured by red / black list."""
    lb = tables.get("fact_leaderboard", pd.DataFrame())
    if not len(lb):
        return None
    last = lb[lb["period"] == lb["period"].max()].sort_values("rank")
    names = _names(tables, "dim_department", "department_id")
    colour = {"black": "#222222", "red": "#d62728"}
    fig = go.Figure(go.Bar(x=[names.get(d, d) for d in last["department_id"]], y=last["weighted_complaints"],
                           marker_color=[colour.get(x, "#7f7f7f") for x in last["list"].fillna("")],
                           text=[f"#{r}" for r in last["rank"]], textposition="outside"))
    return _layout(fig, "部门红黑榜 Department leaderboard (share-weighted complaints; black = 黑榜, red = 红榜)")


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
    return _layout(fig, "问题年化损失 Annualised loss by category (10k CNY per year)")


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


def annual_loss(loss: pd.DataFrame, by: str) -> pd.DataFrame:
    """Loss per year over the whole window: summed over periods, scaled by 365 / all observed days."""
    if not len(loss):
        return pd.DataFrame()
    days = loss.drop_duplicates("period")["days"].sum()
    money = ["churn_loss", "claim_loss", "labour_loss", "pr_loss", "total_loss"]
    # Each period's money is already annualised with its own days: weight by days to average them.
    w = loss["days"] / days
    out = loss[[by]].assign(**{m: loss[m] * w for m in money}).groupby(by)[money].sum().reset_index()
    return out.sort_values("total_loss", ascending=False).reset_index(drop=True)


def _table(df: pd.DataFrame, title: str) -> str:
    if not len(df):
        return f"<h2>{html.escape(title)}</h2><p>无数据 no data</p>"
    return f"<h2>{html.escape(title)}</h2>" + df.to_html(index=False, classes="voc", border=0, float_format=lambda v: f"{v:,.1f}")


def build_report(tables: dict[str, pd.DataFrame], run: dict | None = None, now: datetime | None = None) -> str:
    """The report as one HTML document.

    Args:
        tables: output tables by name (REPORT_TABLES; missing ones leave their section empty).
        run: lineage and headline numbers to print at the top (run_id, taxonomy_version, ...).
        now: the clock (UTC, naive) alerts' deadlines are judged against; defaults to the current time.

    Returns:
        HTML text with plotly.js embedded once.
    """
    figures = [f for f in (trends_figure(tables), leaderboard_figure(tables), waterfall_figure(tables),
                           loss_figure(tables), benchmark_figure(tables)) if f is not None]
    parts = [fig.to_html(full_html=False, include_plotlyjs=(i == 0), config={"displaylogo": False})
             for i, fig in enumerate(figures)]
    cats = _names(tables, "dim_category", "category_id")
    deps = _names(tables, "dim_department", "department_id")
    dep_loss = annual_loss(tables.get("fact_loss", pd.DataFrame()), "department_id")
    if len(dep_loss):
        dep_loss.insert(0, "department", dep_loss.pop("department_id").map(lambda d: deps.get(d, d)))
    lb = tables.get("fact_leaderboard", pd.DataFrame())
    if len(lb):
        lb = lb[lb["period"] == lb["period"].max()].assign(department=lambda d: d["department_id"].map(deps))[
            ["rank", "department", "weighted_complaints", "trend_pct", "nps_loss_points", "resolution_rate",
             "mean_days_to_close", "list", "reasons"]]
    red_line = _red_line_section(tables, cats, now)
    meta = " · ".join(f"{k} {html.escape(str(v))}" for k, v in (run or {}).items())
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>VoC report</title>
<style>body{{font-family:{_FONT};margin:24px;color:#222}} table.voc{{border-collapse:collapse;font-size:13px}}
table.voc td,table.voc th{{padding:4px 8px;border-bottom:1px solid #ddd;text-align:left}}</style></head>
<body><h1>客户之声报告 Voice-of-Customer report</h1><p>{meta}</p>
<p>generated {datetime.now():%Y-%m-%d %H:%M}</p>
{''.join(f'<div class="chart">{p}</div>' for p in parts)}
{_table(lb, "部门红黑榜 Leaderboard (latest period)")}
{_table(dep_loss, "部门年化损失 Annualised loss per department")}
{red_line}
</body></html>"""


def _red_line_section(tables: dict[str, pd.DataFrame], cats: dict[str, str], now: datetime | None) -> str:
    """红线预警: the P0 headline, then alerts with status and deadlines, overdue first."""
    from pipeline.alerts.outbox import utcnow
    from pipeline.report.redline import alert_board, p0_headline

    now = now or utcnow()
    alerts, events = tables.get("alerts", pd.DataFrame()), tables.get("alert_events", pd.DataFrame())
    events = events if len(events) else None
    head = p0_headline(tables.get("fact_category_counts", pd.DataFrame()), tables.get("dim_category", pd.DataFrame()),
                       alerts, events, now)
    board = alert_board(alerts, events, cats, now, limit=50).drop(columns="alert_id")
    title = "红线预警 Red-line alerts (overdue first; deadlines in Beijing time)"
    lines = "".join(f"<p><b>{html.escape(x)}</b></p>" for x in head)
    if not len(board):
        return f"<h2>{html.escape(title)}</h2>{lines}<p>无预警 no alerts</p>"
    styled = board.to_html(index=False, classes="voc", border=0, escape=True)
    return f"<h2>{html.escape(title)}</h2>{lines}" + styled


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

    tables = {name: publish.read(target, name) for name in REPORT_TABLES}
    page = build_report(tables, {k: lineage[k] for k in ("run_id", "taxonomy_version", "embedder_id") if k in lineage})
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{lineage.get('run_id', 'report')}.html"
    tmp = out_dir / f".{path.name}.tmp"
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, path)
    shutil.copyfile(path, out_dir / "latest.html")
    return path
