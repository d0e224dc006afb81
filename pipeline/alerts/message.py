"""What an alert says: one channel-neutral message (the generic webhook's JSON) and its Chinese text
for group robots. The text is the feedback's stored text, which ingest has already PII-masked."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd

BEIJING = timedelta(hours=8)  # deadlines are stored in UTC; people read Beijing time
DEADLINE_LABELS = {
    "acknowledge": "确认时限", "owner_action": "处置时限", "regulator_facts": "监管事实报送时限",
    "full_report": "完整报告时限",
}
DETECTION_LABELS = {"open": "待处理", "to_confirm": "待人工确认"}
CHANNEL_LABELS = {"nps": "NPS 问卷", "call_center": "400 热线", "dealer": "经销商", "social": "社交媒体", "app": "App"}
DETECTOR_LABELS = {"rules": "规则", "facet": "部件×症状", "facets": "部件×症状", "semantic": "语义近邻",
                   "learned": "分类器", "classifier": "分类器"}
TEXT_LIMIT = 300  # characters of feedback text in a robot message (WeCom caps markdown at 4,096 bytes)


def _val(v):
    return None if v is None or (not isinstance(v, (list, dict)) and pd.isna(v)) else v


def beijing(ts) -> str:
    """A UTC timestamp as Beijing wall time, e.g. '2026-07-20 18:30 (北京时间)'; '' when missing."""
    if _val(ts) is None:
        return ""
    return f"{(pd.Timestamp(ts) + BEIJING):%Y-%m-%d %H:%M} (北京时间)"


def _iso(ts) -> str | None:
    return None if _val(ts) is None else pd.Timestamp(ts).isoformat()


def alert_message(alert: dict, category_name: str, owners: list[str], kind: str = "alert",
                  overdue: str | None = None) -> dict:
    """The message of one alert, as the generic webhook receives it (a JSON object).

    Args:
        alert: one row of the prepared alerts table (pipeline.alerts.lifecycle.prepare_alerts).
        category_name: the category's Chinese name.
        owners: owning department names, largest share first.
        kind: "alert" (first notice) or "escalation" (a deadline passed unmet).
        overdue: for an escalation, which deadline passed (acknowledge, owner_action, ...).

    Returns:
        a JSON-serialisable dict.
    """
    model = _val(alert.get("vehicle_model")) or "车型未知"
    prefix = "【红线预警·超时升级】" if kind == "escalation" else "【红线预警】"
    deadlines = {k: _iso(alert.get(col)) for k, col in (
        ("acknowledge", "ack_due_at"), ("owner_action", "action_due_at"),
        ("regulator_facts", "facts_due_at"), ("full_report", "report_due_at"))}
    return {
        "alert_id": alert["alert_id"], "kind": kind, "overdue": overdue,
        "severity": _val(alert.get("severity")) or "P0", "category_id": alert["category_id"], "category": category_name,
        "title": f"{prefix}{category_name}：{model}",
        "feedback_id": alert["feedback_id"], "channel": _val(alert.get("channel")),
        "created_at": str(alert.get("created_at")), "raised_at": _iso(alert.get("raised_at")),
        "vehicle_id": _val(alert.get("vehicle_id")), "vehicle_model": _val(alert.get("vehicle_model")),
        "dealer": _val(alert.get("dealer")), "region": _val(alert.get("region")), "text": alert["text"],
        "matched_terms": _val(alert.get("matched_terms")), "duplicates": int(_val(alert.get("duplicates")) or 0),
        "detector": _val(alert.get("detector")) or "rules", "reason": _val(alert.get("reason")),
        "status": _val(alert.get("status")) or "open", "injuries": bool(_val(alert.get("injuries")) or False),
        "owners": list(owners), "deadlines": {k: v for k, v in deadlines.items() if v is not None},
    }


def _detector(name: str | None) -> str:
    name = name or "rules"
    # several detectors may fire together ("rules+facet")
    return "+".join(f"{DETECTOR_LABELS[n]} ({n})" if n in DETECTOR_LABELS else n for n in name.split("+"))


def markdown(msg: dict) -> tuple[str, str]:
    """(title, markdown body) of a message, in Chinese, for WeCom and DingTalk robots."""
    text = str(msg.get("text") or "")
    if len(text) > TEXT_LIMIT:
        text = text[:TEXT_LIMIT] + "…"
    lines = [f"### {msg['title']}"]
    if msg.get("kind") == "escalation":
        lines.append(f"**已超过{DEADLINE_LABELS.get(msg.get('overdue'), '时限')}，仍未处理，请立即跟进**")
    lines += [
        f"- 严重度：{msg.get('severity', 'P0')}　类别：{msg['category']}",
        f"- 车型：{msg.get('vehicle_model') or '未知'}　车辆：{msg.get('vehicle_id') or '未知'}",
        f"- 经销商：{msg.get('dealer') or '未知'}　区域：{msg.get('region') or '未知'}　"
        f"渠道：{CHANNEL_LABELS.get(msg.get('channel'), msg.get('channel') or '未知')}",
        f"- 检测：{_detector(msg.get('detector'))}" + (f"（{msg['reason']}）" if msg.get("reason") else
                                                    f"（命中：{msg['matched_terms']}）" if msg.get("matched_terms") else ""),
        f"- 状态：{DETECTION_LABELS.get(msg.get('status'), msg.get('status') or '待处理')}"
        + (f"　同车重复反馈：{msg['duplicates']}" if msg.get("duplicates") else ""),
    ]
    if msg.get("owners"):
        lines.append(f"- 负责部门：{'、'.join(msg['owners'])}")
    for key, due in (msg.get("deadlines") or {}).items():
        injured = "（有人员受伤）" if key == "regulator_facts" and msg.get("injuries") else ""
        lines.append(f"- {DEADLINE_LABELS.get(key, key)}{injured}：{beijing(datetime.fromisoformat(due))}")
    lines += [f"> 原文：{text}", "",
              f"预警编号 {msg['alert_id']} · 反馈 {msg['feedback_id']} · 确认：voc alerts ack {msg['alert_id']}"]
    return msg["title"], "\n".join(lines)


def plain_lines(msg: dict) -> tuple[str, list[str]]:
    """(title, lines of plain text) of a message, for receivers without markdown (Feishu post)."""
    title, body = markdown(msg)
    out = []
    for line in body.split("\n")[1:]:
        if line:
            line = line.replace("**", "")
            out.append(line[2:] if line.startswith(("- ", "> ")) else line)
    return title, out
