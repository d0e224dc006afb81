"""The report's 红线预警 section and the summary's P0 headline: P0 counts whatever their volume, alerts
with status, detector and deadlines, overdue first."""

from datetime import datetime, timedelta

import pandas as pd

from pipeline import attribute
from pipeline.alerts import new_alerts, scan_mentions
from pipeline.alerts.config import AlertingConfig
from pipeline.alerts.lifecycle import prepare_alerts, review_event
from pipeline.report.html import build_report
from pipeline.report.redline import alert_board, p0_headline

T0 = datetime(2026, 7, 20, 2, 0)


def _tables(taxonomy):
    fb = pd.DataFrame({"feedback_id": ["a", "b", "c"], "text": ["高速上刹车失灵", "电池包冒烟", "车突然没动力了"],
                       "channel": "app", "created_at": pd.Timestamp("2026-07-20 09:00"), "vehicle_id": ["v1", "v2", "v3"],
                       "vehicle_model": "远航E6", "region": "华东", "dealer": ["杭州西湖店", None, "南京店"]})
    alerts = prepare_alerts(new_alerts(fb, scan_mentions(fb, taxonomy), taxonomy)[0], AlertingConfig(), T0)
    alerts.loc[alerts["feedback_id"] == "c", "detector"] = "semantic"
    ids = dict(zip(alerts["feedback_id"], alerts["alert_id"]))
    events = pd.concat([review_event(ids["a"], "acknowledged", "张工", None, T0 + timedelta(minutes=5)),
                        review_event(ids["c"], "dismissed", "李工", "误报", T0 + timedelta(minutes=6))])
    counts = pd.DataFrame({"category_id": ["safety.brake_failure", "safety.fire_smoke", "product.nvh.abnormal_noise"],
                           "complaints": [3, 1, 500], "period": pd.Timestamp("2026-07-01")})
    return {"alerts": alerts, "alert_events": events, "fact_category_counts": counts,
            **attribute.dimension_tables(taxonomy)}, ids


def test_board_lists_status_detector_and_deadlines_overdue_first(taxonomy):
    tables, ids = _tables(taxonomy)
    names = dict(zip(tables["dim_category"]["category_id"], tables["dim_category"]["name"]))
    board = alert_board(tables["alerts"], tables["alert_events"], names, T0 + timedelta(minutes=40))
    assert board["alert_id"].tolist() == [ids["b"], ids["a"], ids["c"]]  # overdue, then open, then closed
    first = board.iloc[0]
    assert first["状态"] == "待处理" and first["逾期"] == "确认" and first["确认时限"] == "07-20 10:30"
    assert first["监管时限"] == "07-20 22:00"  # EV fire: regulator facts 12 h after raising (Beijing time)
    assert board.set_index("alert_id").loc[ids["c"], ["状态", "检测"]].tolist() == ["已排除", "semantic"]
    assert len(alert_board(tables["alerts"], tables["alert_events"], names, T0, include_closed=False)) == 2


def test_headline_counts_p0_first_whatever_the_volume(taxonomy):
    tables, _ = _tables(taxonomy)
    lines = p0_headline(tables["fact_category_counts"], tables["dim_category"], tables["alerts"],
                        tables["alert_events"], T0 + timedelta(minutes=40))
    assert lines[0].startswith("红线 P0 投诉反馈 4 条：刹车失灵 3 · 起火冒烟 1")
    assert "已确认收到 1" in lines[1] and "已排除 1" in lines[1] and "逾期 1 条" in lines[1]
    empty = p0_headline(tables["fact_category_counts"], tables["dim_category"], pd.DataFrame(), None, T0)
    assert "红线扫描尚未运行" in empty[1]


def test_report_section_shows_alerts_with_status_and_deadline(taxonomy):
    tables, _ = _tables(taxonomy)
    page = build_report(tables, {"run_id": "r"}, now=T0 + timedelta(minutes=40))
    section = page[page.index('<section id="redline">'):]
    section = section[:section.index("</section>")]
    for part in ("红线 P0 投诉反馈 4 条", "确认时限", "逾期", "待处理", "已排除", "已确认收到", "电池包冒烟"):
        assert part in section, part
    assert "无预警" not in section
