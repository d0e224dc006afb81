"""The red line as people read it: the alert board (status and deadlines, overdue first) for the HTML
report and `voc alerts list`, and the P0 headline the run summary prints before anything else."""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from pipeline.alerts.lifecycle import alert_status
from pipeline.alerts.message import BEIJING, DEADLINE_LABELS

STATUS_LABELS = {"open": "待处理", "to_confirm": "待人工确认", "acknowledged": "已确认收到", "confirmed": "已核实",
                 "dismissed": "已排除"}
BOARD_COLUMNS = ["编号", "预警时间", "类别", "车型", "经销商", "检测", "状态", "确认时限", "处置时限", "监管时限", "逾期",
                 "原文"]


def _bj(ts) -> str:
    return "" if ts is None or pd.isna(ts) else f"{pd.Timestamp(ts) + BEIJING:%m-%d %H:%M}"


def alert_board(alerts: pd.DataFrame, events: pd.DataFrame | None, category_names: dict[str, str], now: datetime,
                include_closed: bool = True, limit: int | None = None) -> pd.DataFrame:
    """One row per alert with its status and deadlines in Beijing time: overdue first, then open, newest first.

    Args:
        alerts: stored alerts.
        events: stored alert events (or None).
        category_names: category id -> name.
        now: the clock (UTC, naive).
        include_closed: keep confirmed and dismissed alerts.
        limit: at most this many rows.

    Returns:
        BOARD_COLUMNS (Chinese headers) plus alert_id; empty when there is no alert.
    """
    if not len(alerts):
        return pd.DataFrame(columns=[*BOARD_COLUMNS, "alert_id"])
    status = alert_status(alerts, events, now).set_index("alert_id")
    a = alerts.drop_duplicates("alert_id").set_index("alert_id")
    s = status.reindex(a.index)
    raised = pd.to_datetime(a["raised_at"]) if "raised_at" in a.columns else pd.Series(pd.NaT, index=a.index)
    regulator = s["facts_due_at"].where(s["facts_due_at"].notna(), s["report_due_at"])
    board = pd.DataFrame({
        "alert_id": a.index,
        "编号": [x.removeprefix("alert-")[:8] for x in a.index],
        "预警时间": [_bj(r) if pd.notna(r) else f"{pd.Timestamp(c):%m-%d %H:%M}" for r, c in zip(raised, a["created_at"])],
        "类别": a["category_id"].map(lambda c: category_names.get(c, c)).to_numpy(),
        "车型": a["vehicle_model"].fillna("未知").to_numpy() if "vehicle_model" in a.columns else "未知",
        "经销商": a["dealer"].fillna("—").to_numpy() if "dealer" in a.columns else "—",
        "检测": s["detector"].fillna("rules").to_numpy(),
        "状态": s["status"].map(lambda x: STATUS_LABELS.get(x, x)).to_numpy(),
        "确认时限": s["ack_due_at"].map(_bj).to_numpy(),
        "处置时限": s["action_due_at"].map(_bj).to_numpy(),
        "监管时限": regulator.map(_bj).to_numpy(),
        "逾期": s["overdue"].map(lambda o: "、".join(DEADLINE_LABELS.get(x, x).removesuffix("时限") for x in o.split(","))
                                if isinstance(o, str) and o else "").to_numpy(),
        "原文": a["text"].map(lambda t: t if len(str(t)) <= 60 else str(t)[:60] + "…").to_numpy(),
    })
    order = pd.DataFrame({
        "overdue": (board["逾期"] != "").astype(int),
        "open": s["status"].isin(["open", "to_confirm", "acknowledged"]).astype(int).to_numpy(),
        "t": raised.fillna(pd.to_datetime(a["created_at"])).to_numpy(),
        "c": pd.to_datetime(a["created_at"]).to_numpy(),
    }, index=board.index)
    board = board.loc[order.sort_values(["overdue", "open", "t", "c"], ascending=False).index]
    if not include_closed:
        board = board[~s.loc[board["alert_id"], "status"].isin(["confirmed", "dismissed"]).to_numpy()]
    board = board.reset_index(drop=True)
    return board.head(limit) if limit else board


def p0_headline(category_counts: pd.DataFrame, dim_category: pd.DataFrame, alerts: pd.DataFrame,
                events: pd.DataFrame | None, now: datetime) -> list[str]:
    """The lines the run summary prints first: P0 complaints per category, then alerts by status.

    Args:
        category_counts: fact_category_counts (category_id, complaints), or empty.
        dim_category: category_id, name, severity (is_leaf when present).
        alerts: stored alerts, or empty.
        events: stored alert events, or None.
        now: the clock (UTC, naive).
    """
    lines = []
    if len(dim_category) and len(category_counts):
        dims = dim_category[dim_category["severity"] == "P0"]
        if "is_leaf" in dims.columns:
            dims = dims[dims["is_leaf"].astype(bool)]
        names = dict(zip(dims["category_id"], dims["name"]))
        per = category_counts[category_counts["category_id"].isin(list(names))].groupby("category_id")["complaints"].sum()
        per = per.reindex(list(names), fill_value=0).sort_values(ascending=False)
        parts = " · ".join(f"{names[c]} {int(n)}" for c, n in per.items())
        lines.append(f"红线 P0 投诉反馈 {int(per.sum())} 条：{parts or '无'}")
    if len(alerts):
        st = alert_status(alerts, events, now)
        counts = st["status"].value_counts()
        overdue = int(st["overdue"].notna().sum())
        parts = "，".join(f"{STATUS_LABELS.get(k, k)} {int(counts[k])}" for k in STATUS_LABELS if k in counts)
        lines.append(f"红线预警 {len(st)} 条：{parts}；逾期 {overdue} 条" + ("  → voc alerts list" if overdue else ""))
    elif lines:
        lines.append("红线预警 0 条：红线扫描尚未运行 (voc redline)")
    return lines
