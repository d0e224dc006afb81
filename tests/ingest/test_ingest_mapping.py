"""Source mapping: valid files load; every mistake names file:line and the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.errors import InputError
from pipeline.ingest.mapping import SourceFormat, load_sources

VALID = """\
sources:
  - name: nps_survey              # feedback_id prefix
    path: nps_survey.csv
    format: csv
    encoding: utf-8-sig
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
  - name: app_reviews
    path: /data/app.jsonl
    format: jsonl
    channel: app
    columns:
      feedback_id: review_id
      created_at: ts
      text: content
"""


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """1-based line of the `occurrence`-th line containing `needle`."""
    hits = [i for i, line in enumerate(text.splitlines(), start=1) if needle in line]
    return hits[occurrence - 1]


def load_text(tmp_path: Path, text: str) -> object:
    path = tmp_path / "sources.yaml"
    path.write_text(text, encoding="utf-8")
    return load_sources(path)


def test_valid_mapping_loads_and_resolves_paths(tmp_path: Path) -> None:
    config = load_text(tmp_path, VALID)
    nps, app = config.sources
    assert nps.path == str(tmp_path.resolve() / "nps_survey.csv")
    assert app.path == "/data/app.jsonl"  # absolute paths stay as they are
    assert nps.format == SourceFormat.CSV and nps.channel == "nps"
    assert nps.columns.mapped()["nps"] == "推荐意愿"
    assert app.columns.mapped() == {
        "feedback_id": "review_id",
        "created_at": "ts",
        "text": "content",
    }
    assert app.encoding is None and app.date_format is None


# (description, old text, new text, line marker, occurrence, expected substrings)
BROKEN = [
    (
        "unknown format",
        "format: csv",
        "format: xls",
        "format: xls",
        1,
        ["field 'format': expected one of csv, jsonl, parquet, xlsx, sql; got 'xls'"],
    ),
    (
        "unknown key",
        "    format: jsonl",
        "    format: jsonl\n    fromat: csv",
        "fromat",
        1,
        ["field 'fromat'", "unknown key", "did you mean 'format'"],
    ),
    (
        "missing required column mapping",
        "      text: content\n",
        "",
        "columns:",
        2,
        ["field 'columns.text'", "required column mapping missing"],
    ),
    (
        "unknown channel",
        "channel: app",
        "channel: weibo",
        "weibo",
        1,
        ["field 'channel': expected one of nps, call_center, dealer, social, app; got 'weibo'"],
    ),
    (
        "duplicate source name",
        "name: app_reviews",
        "name: nps_survey",
        "name: nps_survey",
        2,
        ["field 'name'", "duplicate source name 'nps_survey'"],
    ),
    (
        "unknown key inside columns",
        "      created_at: ts",
        "      created_at: ts\n      txt: content",
        "txt:",
        1,
        ["field 'columns.txt'", "unknown key"],
    ),
    (
        "key given twice",
        "    channel: app",
        "    channel: app\n    channel: social",
        "channel: social",
        1,
        ["field 'channel'", "given twice", "first at line"],
    ),
    (
        "unknown encoding",
        "encoding: utf-8-sig",
        "encoding: gbk2",
        "gbk2",
        1,
        ["field 'encoding'", "unknown encoding 'gbk2'"],
    ),
    (
        "column name read as a number",
        "feedback_id: review_id",
        "feedback_id: 007",
        "feedback_id: 007",
        1,
        ["field 'columns.feedback_id'", "put it in quotes", "got 7"],
    ),
    (
        "source name with a colon",
        "name: app_reviews",
        "name: 'app:reviews'",
        "app:reviews",
        1,
        ["field 'name'", "got 'app:reviews'"],
    ),
    (
        "date format without directives",
        '"%Y-%m-%d %H:%M:%S"',
        "yyyy-mm-dd",
        "yyyy-mm-dd",
        1,
        ["field 'date_format'", "strptime"],
    ),
]


@pytest.mark.parametrize(
    ("old", "new", "marker", "occurrence", "expected"),
    [case[1:] for case in BROKEN],
    ids=[case[0] for case in BROKEN],
)
def test_mapping_errors_name_file_line_and_field(
    tmp_path: Path, old: str, new: str, marker: str, occurrence: int, expected: list[str]
) -> None:
    assert old in VALID
    text = VALID.replace(old, new, 1)
    with pytest.raises(InputError) as info:
        load_text(tmp_path, text)
    line = line_of(text, marker, occurrence)
    message = str(info.value)
    assert f"sources.yaml:{line}: " in message, message
    for part in expected:
        assert part in message, message


def test_unknown_format_message_matches_documented_form(tmp_path: Path) -> None:
    text = VALID.replace("format: csv", "format: xls")
    with pytest.raises(InputError) as info:
        load_text(tmp_path, text)
    assert info.value.line == 4
    assert str(info.value).endswith(
        "sources.yaml:4: field 'format': expected one of csv, jsonl, parquet, xlsx, sql; got 'xls'"
    )


def test_encoding_on_parquet_is_an_error(tmp_path: Path) -> None:
    text = VALID.replace("format: csv", "format: parquet")
    with pytest.raises(InputError, match=r"sources.yaml:5: field 'encoding': only applies to csv"):
        load_text(tmp_path, text)


def test_all_problems_are_listed(tmp_path: Path) -> None:
    text = VALID.replace("format: csv", "format: xls").replace("channel: app", "channel: weibo")
    with pytest.raises(InputError) as info:
        load_text(tmp_path, text)
    message = str(info.value)
    assert "got 'xls'" in message and "got 'weibo'" in message
    assert f"sources.yaml:{line_of(text, 'weibo')}: field 'channel'" in message


@pytest.mark.parametrize(
    ("text", "line", "expected"),
    [
        ("sources:\n  - name: a\n    path: [unclosed\n", 4, "not valid YAML"),
        ("", 1, "expected a mapping"),
        ("sources: []\n", 1, "expected at least one source"),
        ("- name: a\n", 1, "expected a mapping"),
    ],
    ids=["syntax error", "empty file", "no sources", "list at top"],
)
def test_malformed_documents(tmp_path: Path, text: str, line: int, expected: str) -> None:
    with pytest.raises(InputError) as info:
        load_text(tmp_path, text)
    assert info.value.line == line
    assert expected in str(info.value)


def test_missing_mapping_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="nope.yaml: file not found"):
        load_sources(tmp_path / "nope.yaml")
