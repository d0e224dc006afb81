"""Turn planned rows into one table per source, in that source's own column names, plus ground truth."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from samplegen import catalog
from samplegen.compose import dealer_type
from samplegen.draws import Draws
from samplegen.framing import PLATFORMS
from samplegen.plan import RowPlan

# How each source writes its timestamps (the app export stores a typed timestamp).
DATE_FORMATS = {
    "nps_survey": "%Y-%m-%d %H:%M:%S",
    "call_center_400": "%Y/%m/%d %H:%M",
    "dealer_work_orders": "%Y-%m-%d %H:%M",
}
BAD_DATES = {
    "nps_survey": ("2026-13-45 10:00:00", "昨天", "0000-00-00 00:00:00", "2026-09-31 25:61:00"),
    "call_center_400": ("2026/13/45 10:00", "昨天", "#VALUE!", "2026/02/30 09:15"),
    "dealer_work_orders": ("2026-13-45", "昨天下午", "N/A", "45/13/2026 10:00"),
    "social_media": ("3小时前", "昨天 14:22", "2026-13-45T10:00:00+08:00", "刚刚"),
}
BAD_NPS = (11, -1, "十", 12)
# 1-based line of the first data row: CSV files have a header line, JSONL and Parquet do not.
FIRST_LINE = {"nps_survey": 2, "call_center_400": 2, "dealer_work_orders": 2, "social_media": 1,
              "app_feedback": 1}


def assign_ids(rows: list[RowPlan], rng: np.random.Generator) -> None:
    """Give every row the id its source system would give it; duplicates reuse an earlier id.

    Args:
        rows: all planned rows, grouped by source in file order (changed in place).
        rng: the generator.
    """
    social_ids = 5012345678901234 + np.cumsum(rng.integers(10**6, 10**8, len(rows)))
    app_ids = 880000000 + np.cumsum(rng.integers(1, 50, len(rows)))
    by_source: dict[str, list[RowPlan]] = {}
    for i, r in enumerate(rows):
        by_source.setdefault(r.source, []).append(r)
        ts, seq = r.created_at, r.pos + 1
        r.source_id = {
            "nps_survey": f"NPS{ts:%Y}{seq:06d}",
            "call_center_400": f"{ts:%y%m%d}{seq:05d}",
            "dealer_work_orders": f"WO{ts:%Y%m}{seq:05d}",
            "social_media": str(social_ids[i]),
            "app_feedback": str(app_ids[i]),
        }[r.source]
    for r in rows:
        if r.dup_of >= 0:
            r.source_id = by_source[r.source][r.dup_of].source_id


def _date(row: RowPlan, d: Draws) -> str:
    if row.bad_reason == "bad_date":
        return d.choice(BAD_DATES[row.source])
    if row.source == "social_media":
        return row.created_at.strftime("%Y-%m-%dT%H:%M:%S+08:00")
    return row.created_at.strftime(DATE_FORMATS[row.source])


def _ota_version(row: RowPlan, d: Draws) -> str:
    # Owners adopt a release over a few weeks; a surge complainer is on the release by definition.
    if row.created_at < catalog.OTA_RELEASE:
        return catalog.OTA_PREVIOUS if d.chance(0.85) else "V3.1.2"
    if row.surge:
        return catalog.OTA_VERSION
    if row.created_at < catalog.OTA_HOTFIX_RELEASE:
        days = (row.created_at - catalog.OTA_RELEASE).days
        return catalog.OTA_VERSION if d.chance(min(0.9, 0.3 + 0.04 * days)) else catalog.OTA_PREVIOUS
    days = (row.created_at - catalog.OTA_HOTFIX_RELEASE).days
    return catalog.OTA_HOTFIX if d.chance(min(0.9, 0.3 + 0.04 * days)) else catalog.OTA_VERSION


def _app_version(ts: datetime) -> str:
    return "4.2.3" if ts.month <= 6 else "4.3.0" if ts.month <= 8 else "4.4.1"


def _province(row: RowPlan) -> str:
    return row.dealer.province if row.dealer else ""


def build_tables(rows: list[RowPlan], d: Draws) -> dict[str, pd.DataFrame]:
    """One DataFrame per source, with that export's column names and value formats.

    Args:
        rows: composed rows with ids.
        d: random draws (dealer closing times, app versions).

    Returns:
        source name -> DataFrame, rows in file order.
    """
    records: dict[str, list[dict]] = {s: [] for s in catalog.SOURCES}
    for r in rows:
        date = _date(r, d) if r.source != "app_feedback" else ""
        if r.source == "nps_survey":
            score = d.choice(BAD_NPS) if r.bad_reason == "nps_out_of_range" else r.nps
            records[r.source].append({
                "问卷编号": r.source_id, "提交时间": date, "推荐意愿": score, "您的建议": r.text, "车型": r.model,
                "大区": r.region, "经销商": r.dealer.name if r.dealer and d.chance(0.9) else ""})
        elif r.source == "call_center_400":
            kind = {"praise": "表扬", "neutral": "咨询"}.get(r.kind, "投诉" if r.complaints else "咨询")
            records[r.source].append({
                "工单号": r.source_id, "来电时间": date, "来电类型": kind, "问题描述": r.text, "车型": r.model,
                "省份": _province(r), "所属大区": r.region, "经销商": r.dealer.code if r.dealer else ""})
        elif r.source == "dealer_work_orders":
            # Workshops close orders during opening hours, one to ten days after opening.
            closed = datetime.combine(r.created_at.date(), datetime.min.time()) + timedelta(
                days=d.integer(1, 10), hours=d.integer(9, 17), minutes=d.integer(0, 59))
            is_open = closed > catalog.END or d.chance(0.08)
            records[r.source].append({
                "work_order_no": r.source_id, "open_date": date, "type": dealer_type(r),
                "customer_complaint": r.text, "model": r.model, "region": r.region,
                "dealer_code": r.dealer.code if r.dealer else "", "status": "open" if is_open else "closed",
                "closed_date": "" if is_open else closed.strftime(DATE_FORMATS[r.source])})
        elif r.source == "social_media":
            records[r.source].append({
                "post_id": r.source_id, "platform": d.choice(PLATFORMS), "published_at": date,
                "content": r.text, "brand": r.brand, "model": r.model, "region": r.region,
                "ip_location": _province(r), "likes": int(d.random() ** 3 * 5000)})
        else:
            records[r.source].append({
                "id": int(r.source_id), "ts": r.created_at, "feedback_text": r.text, "vehicle": r.model,
                "region": r.region, "app_version": _app_version(r.created_at), "ota_version": _ota_version(r, d)})
    tables = {s: pd.DataFrame.from_records(recs) for s, recs in records.items()}
    tables["app_feedback"]["ts"] = tables["app_feedback"]["ts"].astype("datetime64[ms]")
    tables["app_feedback"]["id"] = tables["app_feedback"]["id"].astype("int64")
    return tables


def _join(items: list[str]) -> str:
    return "|".join(sorted(set(items)))


def build_ground_truth(rows: list[RowPlan]) -> pd.DataFrame:
    """One ground-truth row per generated row, in source then file order.

    Args:
        rows: composed rows with ids.

    Returns:
        DataFrame with source, source_id, source_line, channel, created_at (true time), brand,
        vehicle_model, true_categories, praised_categories, negated_categories, is_bad_row,
        bad_reason, has_pii, noise, surge_injected, p0_planted, nps_score, nps_counterfactual.
    """
    gt = pd.DataFrame({
        "source": [r.source for r in rows],
        "source_id": [r.source_id for r in rows],
        "source_line": [r.pos + FIRST_LINE[r.source] for r in rows],
        "channel": [r.channel for r in rows],
        "created_at": pd.Series([r.created_at for r in rows], dtype="datetime64[ms]"),
        "brand": [r.brand for r in rows],
        "vehicle_model": [r.model for r in rows],
        "true_categories": [_join(r.complaints) for r in rows],
        "praised_categories": [_join(r.praised) for r in rows],
        "negated_categories": [_join(r.negated) for r in rows],
        "is_bad_row": [bool(r.bad_reason) for r in rows],
        "bad_reason": [r.bad_reason for r in rows],
        "has_pii": [_join(r.pii) for r in rows],
        "noise": [_join(r.noise) for r in rows],
        "surge_injected": [r.surge for r in rows],
        "p0_planted": [r.p0 for r in rows],
        "nps_score": pd.array([r.nps for r in rows], dtype="Int64"),
        "nps_counterfactual": pd.array([r.nps_counterfactual for r in rows], dtype="Int64"),
    })
    return gt


# Source -> the VIN column its export carries (social posts carry none).
VIN_COLUMN = {"nps_survey": "VIN码", "call_center_400": "车架号", "dealer_work_orders": "vin", "app_feedback": "vin"}


def add_vins(tables: dict[str, pd.DataFrame], rows: list[RowPlan]) -> None:
    """Append each source's VIN column (empty where the row has no vehicle), in place.

    Args:
        tables: source name -> table from build_tables, rows in file order.
        rows: the same rows, grouped by source in file order, with `vin` set.
    """
    for source, column in VIN_COLUMN.items():
        values = [r.vin for r in rows if r.source == source]
        tables[source][column] = values
