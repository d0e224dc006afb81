"""ingest_sources end to end: a GBK CSV, a JSONL file and a Parquet file from one mapping."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pipeline.errors import InputError
from pipeline.ingest import IngestResult, ingest_sources, load_sources
from pipeline.schema import FEEDBACK_COLUMNS, QUARANTINE_COLUMNS

MAPPING = """\
sources:
  - name: nps_survey
    path: nps_survey.csv
    format: csv
    channel: nps
    date_format: "%Y-%m-%d %H:%M:%S"
    columns:
      feedback_id: 问卷编号
      created_at: 提交时间
      text: 您的建议
      vehicle_model: 车型
      region: 大区
      dealer: 经销商
      nps: 推荐意愿
  - name: app
    path: app.jsonl
    format: jsonl
    channel: app
    columns:
      feedback_id: id
      created_at: ts
      text: content
      brand: brand
  - name: dealer
    path: sub/dealer.parquet
    format: parquet
    channel: dealer
    columns:
      feedback_id: 工单号
      created_at: 创建时间
      text: 描述
"""

CSV = (
    "问卷编号,提交时间,您的建议,车型,大区,经销商,推荐意愿\n"
    "001,2026-05-03 10:00:00,过减速带底盘咯吱咯吱响,远航S7,华南,广州店,6\n"
    '002,2026-05-03 11:00:00,"车机卡顿\n导航死机，电话13812345678",远航Y6,华东,上海店,3\n'
    "003,2026-05-03 12:00:00,,远航S7,华北,北京店,8\n"
    "001,2026-05-04 12:00:00,重复提交,远航S7,华南,广州店,6\n"
    "004,2026-05-45 12:00:00,日期错误,远航S7,华南,广州店,十一\n"
)
JSONL = (
    '{"id": "a1", "ts": "2026-05-03T02:00:00Z", "content": "App 又闪退了", "brand": "远航"}\n'
    '{"id": "a2", "ts": "2026-05-03T03:00:00Z", "content": "语音助手听不懂", "brand": null}\n'
)


@pytest.fixture
def mapping(tmp_path: Path) -> Path:
    (tmp_path / "nps_survey.csv").write_bytes(CSV.encode("gbk"))
    (tmp_path / "app.jsonl").write_text(JSONL, encoding="utf-8")
    (tmp_path / "sub").mkdir()
    pd.DataFrame(
        {
            "工单号": ["D-1", "D-2", None],
            "创建时间": ["2026-05-03 09:00:00", "2026-05-03 09:30:00", "2026-05-03 09:40:00"],
            "描述": ["销售态度差，车牌粤B12345", "交车延迟", "没有工单号"],
        }
    ).to_parquet(tmp_path / "sub" / "dealer.parquet")
    path = tmp_path / "sources.yaml"
    path.write_text(MAPPING, encoding="utf-8")
    return path


def test_ingest_all_sources(mapping: Path) -> None:
    result = ingest_sources(load_sources(mapping))
    assert isinstance(result, IngestResult)
    fb, q, counts = result.feedback, result.quarantine, result.counts
    assert list(fb.columns) == FEEDBACK_COLUMNS and list(q.columns) == QUARANTINE_COLUMNS
    by_source = counts.set_index("source")[["input_rows", "accepted", "quarantined"]]
    assert by_source.to_dict("index") == {
        "nps_survey": {"input_rows": 5, "accepted": 2, "quarantined": 3},
        "app": {"input_rows": 2, "accepted": 2, "quarantined": 0},
        "dealer": {"input_rows": 3, "accepted": 2, "quarantined": 1},
    }
    assert (counts["input_rows"] == counts["accepted"] + counts["quarantined"]).all()
    assert counts["file"].iloc[2].endswith("sub/dealer.parquet")
    assert fb["feedback_id"].tolist() == [
        "nps_survey:001", "nps_survey:002", "app:a1", "app:a2", "dealer:D-1", "dealer:D-2"
    ]
    assert fb["feedback_id"].is_unique
    assert fb["text"].iloc[1] == "车机卡顿\n导航死机，电话[手机号]"
    assert fb["text"].iloc[4] == "销售态度差，车牌[车牌]"
    assert fb.loc[fb["source"] == "app", "created_at"].tolist() == [
        pd.Timestamp("2026-05-03 10:00:00"), pd.Timestamp("2026-05-03 11:00:00")
    ]
    assert fb["brand"].iloc[2] == "远航" and pd.isna(fb["brand"].iloc[3])
    assert str(fb["nps"].dtype) == "Int64" and fb["nps"].iloc[2:].isna().all()
    assert q[["source", "source_line", "reason"]].values.tolist() == [
        # 002's text spans lines 3-4, so 003 is on line 5
        ["nps_survey", 5, "empty_text"],
        ["nps_survey", 6, "duplicate_id"],
        ["nps_survey", 7, "bad_date"],
        ["dealer", 3, "missing_id"],
    ]
    assert "got '十一'" in q["detail"].iloc[2]


def test_seen_ids_from_earlier_batches(mapping: Path) -> None:
    result = ingest_sources(load_sources(mapping), seen_ids={"app:a1"})
    assert "app:a1" not in set(result.feedback["feedback_id"])
    assert result.counts.set_index("source").loc["app", "quarantined"] == 1


def test_unreadable_source_stops_the_run_with_location(mapping: Path) -> None:
    (mapping.parent / "app.jsonl").write_text(JSONL + "{broken\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"app.jsonl:3: not valid JSON"):
        ingest_sources(load_sources(mapping))
