"""canonicalize: the canonical schema, quarantine reasons with details, PII, and reconciliation."""

from __future__ import annotations

import json
import random

import pandas as pd
import pytest

from pipeline.ingest.canonical import REASONS, canonicalize
from pipeline.schema import FEEDBACK_COLUMNS, QUARANTINE_COLUMNS

HEADER = ["问卷编号", "提交时间", "您的建议", "车型", "大区", "经销商", "推荐意愿"]
GOOD = ["001", "2026-05-03 10:00:00", "过减速带底盘咯吱咯吱响", "远航S7", "华南", "广州店", "6"]
FMT = "%Y-%m-%d %H:%M:%S"


def raw_table(*rows: list[str | None], lines: list[int] | None = None) -> pd.DataFrame:
    """A raw table as read_source returns it; rows are partial overrides of GOOD by position."""
    df = pd.DataFrame([list(r) for r in rows], columns=HEADER, dtype="str")
    df["source_line"] = pd.Series(lines or range(2, len(rows) + 2), dtype="int64")
    return df


def row(**changes: str | None) -> list[str | None]:
    """GOOD with some columns replaced, by Chinese column name."""
    values = dict(zip(HEADER, GOOD, strict=True))
    values.update(changes)
    return [values[c] for c in HEADER]


@pytest.fixture
def spec(make_spec):
    return make_spec("nps.csv", date_format=FMT)


def run(raw: pd.DataFrame, spec, **kwargs):
    feedback, quarantine = canonicalize(raw, spec, "nps.csv", **kwargs)
    assert list(feedback.columns) == FEEDBACK_COLUMNS
    assert list(quarantine.columns) == QUARANTINE_COLUMNS
    assert len(feedback) + len(quarantine) == len(raw)
    return feedback, quarantine


def test_accepted_row_has_canonical_values_and_dtypes(spec) -> None:
    feedback, quarantine = run(raw_table(row(), row(**{"问卷编号": "002", "推荐意愿": None})), spec)
    assert quarantine.empty
    first = feedback.iloc[0]
    assert first["feedback_id"] == "nps_survey:001"
    assert first["source"] == "nps_survey" and first["channel"] == "nps"
    assert first["source_line"] == 2
    assert first["created_at"] == pd.Timestamp("2026-05-03 10:00:00")
    assert first["text"] == "过减速带底盘咯吱咯吱响"
    assert (first["vehicle_model"], first["region"], first["dealer"]) == ("远航S7", "华南", "广州店")
    assert pd.isna(first["brand"])  # not mapped
    assert first["nps"] == 6
    assert pd.isna(feedback["nps"].iloc[1])  # a missing score in an nps source is fine
    assert str(feedback["nps"].dtype) == "Int64"
    assert str(feedback["created_at"].dtype) == "datetime64[us]"
    assert feedback["created_at"].dt.tz is None


def test_source_without_optional_columns(make_spec) -> None:
    spec = make_spec(
        "x.csv",
        channel="social",
        columns={"feedback_id": "问卷编号", "created_at": "提交时间", "text": "您的建议"},
    )
    raw = raw_table(row())[["问卷编号", "提交时间", "您的建议", "source_line"]]
    feedback, _ = run(raw, spec)
    assert feedback["channel"].tolist() == ["social"]
    for field in ("vehicle_model", "region", "dealer", "brand", "nps"):
        assert feedback[field].isna().all()


CASES = [
    ("missing_id", {"问卷编号": None}, "column '问卷编号': id is missing"),
    ("missing_id", {"问卷编号": "   "}, "column '问卷编号': id is missing"),
    ("empty_text", {"您的建议": None}, "column '您的建议': text is empty (missing)"),
    ("empty_text", {"您的建议": " \u3000 "}, "column '您的建议': text is empty (' \u3000 ')"),
    (
        "bad_date",
        {"提交时间": "2026-13-45"},
        "column '提交时间': cannot parse '2026-13-45' as a date (expected %Y-%m-%d %H:%M:%S)",
    ),
    ("bad_date", {"提交时间": None}, "column '提交时间': date is missing"),
    (
        "nps_out_of_range",
        {"推荐意愿": "11"},
        "column '推荐意愿': expected an integer score 0..10, got '11'",
    ),
    ("nps_out_of_range", {"推荐意愿": "-1"}, "got '-1'"),
    ("nps_out_of_range", {"推荐意愿": "十"}, "got '十'"),
    ("nps_out_of_range", {"推荐意愿": "7.5"}, "got '7.5'"),
]


@pytest.mark.parametrize(("reason", "changes", "detail"), CASES)
def test_each_quarantine_reason_with_detail(spec, reason: str, changes: dict, detail: str) -> None:
    bad = row(**{"问卷编号": "002", **changes})
    feedback, quarantine = run(raw_table(row(), bad), spec)
    assert feedback["feedback_id"].tolist() == ["nps_survey:001"]
    q = quarantine.iloc[0]
    assert (q["reason"], q["source"], q["file"]) == (reason, "nps_survey", "nps.csv")
    assert q["source_line"] == 3
    assert detail in q["detail"]
    assert json.loads(q["raw"])["推荐意愿"] == bad[6]


@pytest.mark.parametrize("score", ["0", "10", "９", "9.0", " 8 "])
def test_valid_nps_forms(spec, score: str) -> None:
    feedback, _ = run(raw_table(row(**{"推荐意愿": score})), spec)
    assert feedback["nps"].iloc[0] == int(float(score.strip().replace("９", "9")))


def test_several_problems_give_one_row_with_first_reason_and_all_details(spec) -> None:
    bad = row(**{"您的建议": "", "提交时间": "昨天", "推荐意愿": "满分"})
    _, quarantine = run(raw_table(bad), spec)
    assert len(quarantine) == 1
    q = quarantine.iloc[0]
    assert q["reason"] == "empty_text"
    parts = q["detail"].split("; ")
    assert [p.split(":")[0] for p in parts] == ["column '您的建议'", "column '提交时间'", "column '推荐意愿'"]
    assert "cannot parse '昨天'" in parts[1] and "got '满分'" in parts[2]


def test_duplicate_ids_first_accepted_later_quarantined(spec) -> None:
    raw = raw_table(
        row(),
        row(**{"您的建议": "第二次提交"}),
        row(**{"问卷编号": "002"}),
        row(**{"您的建议": "第三次提交"}),
        lines=[2, 3, 5, 9],
    )
    feedback, quarantine = run(raw, spec)
    assert feedback["feedback_id"].tolist() == ["nps_survey:001", "nps_survey:002"]
    assert quarantine["reason"].tolist() == ["duplicate_id", "duplicate_id"]
    assert quarantine["source_line"].tolist() == [3, 9]
    assert quarantine["detail"].iloc[0] == "column '问卷编号': id '001' already accepted from line 2"


def test_first_acceptable_occurrence_wins_over_a_broken_earlier_one(spec) -> None:
    raw = raw_table(row(**{"提交时间": "坏日期"}), row(), row())
    feedback, quarantine = run(raw, spec)
    assert feedback["source_line"].tolist() == [3]
    assert quarantine["reason"].tolist() == ["bad_date", "duplicate_id"]


def test_ids_seen_in_earlier_batches_are_duplicates(spec) -> None:
    raw = raw_table(row(), row(**{"问卷编号": "002"}))
    feedback, quarantine = run(raw, spec, seen_ids={"nps_survey:001", "other:002"})
    assert feedback["feedback_id"].tolist() == ["nps_survey:002"]
    assert quarantine["reason"].tolist() == ["duplicate_id"]
    assert "already accepted in an earlier batch" in quarantine["detail"].iloc[0]


def test_ids_are_stripped_and_keep_leading_zeros(spec) -> None:
    feedback, _ = run(raw_table(row(**{"问卷编号": " 007 "})), spec)
    assert feedback["feedback_id"].tolist() == ["nps_survey:007"]


@pytest.mark.parametrize(
    ("value", "date_format", "expected"),
    [
        ("2026-05-03T02:00:00Z", None, "2026-05-03 10:00:00"),
        ("2026-05-03 02:00:00+00:00", None, "2026-05-03 10:00:00"),
        ("2026-05-03T10:00:00+08:00", None, "2026-05-03 10:00:00"),
        ("2026-05-02T22:00:00-04:00", None, "2026-05-03 10:00:00"),
        ("2026-05-03 10:00:00", None, "2026-05-03 10:00:00"),  # no offset: already Shanghai time
        ("2026/5/3 10:00", None, "2026-05-03 10:00:00"),
        ("2026年5月3日", None, "2026-05-03 00:00:00"),
        ("2026-05-03 02:00:00+0000", "%Y-%m-%d %H:%M:%S%z", "2026-05-03 10:00:00"),
        ("03/05/2026 10:00", "%d/%m/%Y %H:%M", "2026-05-03 10:00:00"),
    ],
)
def test_timestamps_become_naive_shanghai_wall_time(
    make_spec, value: str, date_format: str | None, expected: str
) -> None:
    spec = make_spec("nps.csv", date_format=date_format)
    feedback, quarantine = run(raw_table(row(**{"提交时间": value})), spec)
    assert quarantine.empty, quarantine["detail"].tolist()
    assert feedback["created_at"].iloc[0] == pd.Timestamp(expected)


def test_ambiguous_date_without_format_is_quarantined(make_spec) -> None:
    _, quarantine = run(raw_table(row(**{"提交时间": "03/05/2026"})), make_spec("nps.csv"))
    assert quarantine["reason"].tolist() == ["bad_date"]
    assert "set date_format" in quarantine["detail"].iloc[0]


def test_pii_is_masked_in_text_raw_and_detail(spec) -> None:
    raw = raw_table(
        row(**{"您的建议": "请回电13812345678，车牌粤B12345"}),
        row(**{"问卷编号": "002", "您的建议": "邮箱a@b.com", "推荐意愿": "13912345678"}),
    )
    raw["联系电话"] = ["13812345678", "0755-12345678"]
    feedback, quarantine = run(raw, spec)
    assert feedback["text"].iloc[0] == "请回电[手机号]，车牌[车牌]"
    stored = quarantine["raw"].iloc[0]
    assert "13912345678" not in stored and "12345678" not in stored and "a@b.com" not in stored
    assert json.loads(stored) == {
        "问卷编号": "002",
        "提交时间": "2026-05-03 10:00:00",
        "您的建议": "邮箱[邮箱]",
        "车型": "远航S7",
        "大区": "华南",
        "经销商": "广州店",
        "推荐意愿": "[手机号]",
        "联系电话": "[座机]",
    }
    assert "远航S7" in stored  # ensure_ascii=False keeps Chinese readable
    assert "13912345678" not in quarantine["detail"].iloc[0]


def test_empty_input_keeps_dtypes(spec) -> None:
    feedback, quarantine = run(raw_table(), spec)
    assert feedback.empty and quarantine.empty
    full, _ = run(raw_table(row()), spec)
    assert feedback.dtypes.astype(str).tolist() == full.dtypes.astype(str).tolist()


def test_reason_order_is_documented() -> None:
    assert REASONS == ("missing_id", "empty_text", "bad_date", "nps_out_of_range", "duplicate_id")


VALUE_POOL = {
    "问卷编号": ["001", "002", "003", "", None, " 001 "],
    "提交时间": ["2026-05-03 10:00:00", "2026-13-45", "", None, "2026-05-03T02:00:00Z"],
    "您的建议": ["车机卡顿", "  ", None, "异响 13812345678"],
    "推荐意愿": ["0", "10", "11", "十", None, "9.0"],
}


@pytest.mark.parametrize("seed", range(25))
def test_every_row_is_accepted_or_quarantined_exactly_once(spec, seed: int) -> None:
    rng = random.Random(seed)
    rows = [
        row(**{c: rng.choice(v) for c, v in VALUE_POOL.items()}) for _ in range(rng.randint(0, 40))
    ]
    raw = raw_table(*rows)
    seen = {"nps_survey:003"} if seed % 2 else set()
    feedback, quarantine = run(raw, spec, seen_ids=seen)
    lines = sorted(feedback["source_line"].tolist() + quarantine["source_line"].tolist())
    assert lines == raw["source_line"].tolist()
    assert feedback["feedback_id"].is_unique
    assert not set(feedback["feedback_id"]) & seen
    assert set(quarantine["reason"]) <= set(REASONS)
    assert quarantine["detail"].notna().all() and (quarantine["detail"] != "").all()
