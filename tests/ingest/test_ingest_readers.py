"""Reading source files: encodings, line numbers, formats, and errors that say where."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pipeline.errors import InputError
from pipeline.ingest.readers import read_source

EXPECTED_TEXTS = ["过减速带底盘咯吱咯吱响", "车机卡顿，导航经常死机", "销售态度很好，提车顺利"]


@pytest.mark.parametrize("file_encoding", ["gbk", "gb18030", "utf-8", "utf-8-sig"])
@pytest.mark.parametrize("explicit", [True, False], ids=["explicit", "auto"])
def test_chinese_csv_decodes_in_every_supported_encoding(
    write, make_spec, nps_csv, file_encoding: str, explicit: bool
) -> None:
    path = write("nps.csv", nps_csv, encoding=file_encoding)
    spec = make_spec(path, encoding=file_encoding if explicit else None)
    df = read_source(spec)
    assert df["您的建议"].tolist() == EXPECTED_TEXTS
    assert df["经销商"].tolist() == ["广州天河4S店", "上海浦东店", "北京朝阳店"]
    assert "问卷编号" in df.columns  # a BOM must not stick to the first header name


def test_gb18030_only_characters_need_gb18030_not_gbk(write, make_spec, nps_csv) -> None:
    # 𠮷 (U+20BB7) exists in GB18030 (4 bytes) but not in GBK.
    text = nps_csv.replace("销售态度很好", "𠮷野家旁边的店销售态度很好")
    path = write("nps.csv", text, encoding="gb18030")
    assert read_source(make_spec(path))["您的建议"].iloc[2].startswith("𠮷野家")
    with pytest.raises(InputError) as info:
        read_source(make_spec(path, encoding="gbk"))
    assert info.value.line == 4
    assert "encoding 'gbk'" in str(info.value) and "gb18030" in str(info.value)


def test_gbk_file_read_as_utf8_is_an_error_not_mojibake(write, make_spec, nps_csv) -> None:
    path = write("nps.csv", nps_csv, encoding="gbk")
    with pytest.raises(InputError) as info:
        read_source(make_spec(path, encoding="utf-8"))
    assert info.value.line == 1  # the Chinese header is the first non-ASCII text
    assert "fix `encoding:`" in str(info.value)


def test_utf8_bom_with_explicit_plain_utf8_finds_first_column(write, make_spec, nps_csv) -> None:
    path = write("nps.csv", nps_csv, encoding="utf-8-sig")
    df = read_source(make_spec(path, encoding="utf-8"))
    assert df.columns[0] == "问卷编号"


def test_undecodable_byte_names_the_line(write, make_spec, nps_csv) -> None:
    good = nps_csv.encode("utf-8")
    lines = good.split(b"\n")
    lines[2] = lines[2].replace("导航".encode(), b"\xff\xfe")
    path = write("nps.csv", b"\n".join(lines))
    with pytest.raises(InputError) as info:
        read_source(make_spec(path))
    err = info.value
    assert err.line == 3
    assert "nps.csv:3:" in str(err)
    assert "utf-8-sig" in str(err) and "gb18030" in str(err)
    assert "encoding:" in str(err)


def test_excel_workbook_gets_a_hint(write, make_spec) -> None:
    path = write("nps.csv", b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00\xff\xfe\x80")
    with pytest.raises(InputError, match="Excel workbook"):
        read_source(make_spec(path))


def test_ids_keep_leading_zeros_and_empty_values_are_missing(write, make_spec, nps_csv) -> None:
    text = nps_csv.replace("北京朝阳店,10", ",")
    df = read_source(make_spec(write("nps.csv", text)))
    assert df["问卷编号"].tolist() == ["007", "008", "009"]
    assert df["推荐意愿"].iloc[:2].tolist() == ["6", "3"]
    assert pd.isna(df["推荐意愿"].iloc[2]) and pd.isna(df["经销商"].iloc[2])
    assert all(str(df[c].dtype) == "str" for c in df.columns if c != "source_line")
    assert df["source_line"].dtype == "int64"


@pytest.mark.parametrize("newline", ["\n", "\r\n"], ids=["lf", "crlf"])
def test_multiline_quoted_field_keeps_physical_line_numbers(write, newline: str, make_spec) -> None:
    text = (
        "问卷编号,提交时间,您的建议,车型,大区,经销商,推荐意愿\n"
        '001,2026-05-03 10:00:00,"第一行\n第二行\n第三行",远航S7,华南,广州店,8\n'
        "\n"
        '002,2026-05-03 11:00:00,"带""引号""和,逗号",远航Y6,华东,上海店,9\n'
        "003,2026-05-03 12:00:00,普通一行,远航S7,华北,北京店,7\n"
    ).replace("\n", newline)
    df = read_source(make_spec(write("nps.csv", text)))
    assert df["source_line"].tolist() == [2, 6, 7]
    assert df["您的建议"].iloc[0].splitlines() == ["第一行", "第二行", "第三行"]
    assert df["您的建议"].iloc[1] == '带"引号"和,逗号'


def test_field_count_mismatch_names_the_line(write, make_spec, nps_csv) -> None:
    text = nps_csv + "010,2026-05-05 10:00:00,没加引号,的文本,远航S7,华南,广州店,8\n"
    with pytest.raises(InputError) as info:
        read_source(make_spec(write("nps.csv", text)))
    assert info.value.line == 5
    assert "expected 7 fields" in str(info.value) and "found 8" in str(info.value)


def test_trailing_empty_fields_are_tolerated(write, make_spec, nps_csv) -> None:
    text = nps_csv.replace("\n", ",,\n")
    df = read_source(make_spec(write("nps.csv", text)))
    assert len(df) == 3


def test_unterminated_quote_names_the_line_the_record_starts(write, make_spec, nps_csv) -> None:
    text = nps_csv + '010,2026-05-05 10:00:00,"没有结束的引号,远航S7,华南,广州店,8\n011,x,y,z,a,b,c\n'
    with pytest.raises(InputError) as info:
        read_source(make_spec(write("nps.csv", text)))
    assert info.value.line == 5
    assert "malformed CSV" in str(info.value)


def test_missing_mapped_column_names_it_and_lists_present_ones(write, make_spec, nps_csv) -> None:
    text = nps_csv.replace("推荐意愿", "推荐度")
    with pytest.raises(InputError) as info:
        read_source(make_spec(write("nps.csv", text)))
    err = info.value
    assert err.column == "推荐意愿" and err.line == 1
    message = str(err)
    assert "column '推荐意愿'" in message and "'nps'" in message
    assert "问卷编号, 提交时间, 您的建议, 车型, 大区, 经销商, 推荐度" in message


def test_missing_file(tmp_path: Path, make_spec) -> None:
    with pytest.raises(InputError, match=r"nps\.csv: file not found \(source 'nps_survey'\)"):
        read_source(make_spec(tmp_path / "nps.csv"))


def test_relative_path_uses_base_dir(write, tmp_path: Path, make_spec, nps_csv) -> None:
    write("nps.csv", nps_csv)
    assert len(read_source(make_spec("nps.csv"), base_dir=tmp_path)) == 3


def test_empty_csv_is_an_error(write, make_spec) -> None:
    with pytest.raises(InputError, match="expected a header line"):
        read_source(make_spec(write("nps.csv", "")))


def test_header_only_csv_gives_no_rows(write, make_spec, nps_csv) -> None:
    df = read_source(make_spec(write("nps.csv", nps_csv.splitlines()[0] + "\n")))
    assert len(df) == 0 and "问卷编号" in df.columns


# ---- JSONL ------------------------------------------------------------------------------------

JSONL = (
    '{"问卷编号": "007", "提交时间": "2026-05-03T02:00:00Z", "您的建议": "异响\u2028很大", '
    '"推荐意愿": 6, "extra": {"a": 1}}\n'
    "\n"
    '{"问卷编号": 8, "提交时间": "2026-05-03 11:30:00", "您的建议": "车机卡顿", "推荐意愿": null, '
    '"flag": true}\n'
)
JSONL_COLUMNS = {"feedback_id": "问卷编号", "created_at": "提交时间", "text": "您的建议", "nps": "推荐意愿"}


def test_jsonl_reads_values_as_text_with_line_numbers(write, make_spec) -> None:
    df = read_source(make_spec(write("app.jsonl", JSONL), "jsonl", columns=JSONL_COLUMNS))
    assert df["source_line"].tolist() == [1, 3]  # blank line 2 skipped, numbering kept
    assert df["问卷编号"].tolist() == ["007", "8"]
    assert df["推荐意愿"].iloc[0] == "6" and pd.isna(df["推荐意愿"].iloc[1])
    assert df["您的建议"].iloc[0] == "异响\u2028很大"  # U+2028 inside JSON is not a line break
    assert df["extra"].iloc[0] == '{"a": "1"}' and pd.isna(df["extra"].iloc[1])
    assert df["flag"].iloc[1] == "true"


def test_jsonl_in_gb18030_is_auto_detected(write, make_spec) -> None:
    df = read_source(
        make_spec(write("app.jsonl", JSONL, encoding="gb18030"), "jsonl", columns=JSONL_COLUMNS)
    )
    assert df["您的建议"].iloc[1] == "车机卡顿"


def test_malformed_jsonl_line_names_line_and_json_error(write, make_spec) -> None:
    text = JSONL + '{"问卷编号": "9", "您的建议": "少了括号"\n'
    with pytest.raises(InputError) as info:
        read_source(make_spec(write("app.jsonl", text), "jsonl", columns=JSONL_COLUMNS))
    assert info.value.line == 4
    assert "app.jsonl:4: not valid JSON: Expecting ',' delimiter" in str(info.value)


def test_jsonl_line_that_is_not_an_object(write, make_spec) -> None:
    with pytest.raises(InputError, match=r"app.jsonl:2: expected one JSON object per line"):
        read_source(
            make_spec(write("app.jsonl", JSONL.split("\n")[0] + "\n[1, 2]\n"), "jsonl",
                      columns=JSONL_COLUMNS)
        )


def test_jsonl_key_missing_everywhere_is_an_error(write, make_spec) -> None:
    columns = {**JSONL_COLUMNS, "region": "大区"}
    with pytest.raises(InputError, match=r"column '大区'.*the file has columns: 问卷编号, 提交时间"):
        read_source(make_spec(write("app.jsonl", JSONL), "jsonl", columns=columns))


def test_empty_jsonl_batch_gives_no_rows(write, make_spec) -> None:
    df = read_source(make_spec(write("app.jsonl", "\n"), "jsonl", columns=JSONL_COLUMNS))
    assert len(df) == 0 and set(JSONL_COLUMNS.values()) <= set(df.columns)


# ---- Parquet ----------------------------------------------------------------------------------


def test_parquet_reads_values_as_text_with_row_numbers(tmp_path: Path, make_spec) -> None:
    path = tmp_path / "dealer.parquet"
    pd.DataFrame(
        {
            "问卷编号": pd.array([7, None, 9], dtype="Int64"),
            "提交时间": pd.to_datetime(
                ["2026-05-03 02:00", None, "2026-05-04 01:00"]
            ).tz_localize("UTC"),
            "您的建议": ["异响", "车机卡顿", None],
            "推荐意愿": [6.0, None, 10.0],
        }
    ).to_parquet(path)
    df = read_source(make_spec(path, "parquet", columns=JSONL_COLUMNS))
    assert df["source_line"].tolist() == [1, 2, 3]
    assert df["问卷编号"].iloc[0] == "7" and pd.isna(df["问卷编号"].iloc[1])
    assert df["提交时间"].iloc[0].startswith("2026-05-03 02:00:00")
    assert df["提交时间"].iloc[0].endswith("Z")  # the offset survives, canonicalize converts it
    assert pd.isna(df["您的建议"].iloc[2])


def test_unreadable_parquet(write, make_spec) -> None:
    path = write("dealer.parquet", b"this is not parquet at all")
    with pytest.raises(InputError, match=r"dealer.parquet: cannot read as Parquet"):
        read_source(make_spec(path, "parquet", columns=JSONL_COLUMNS))
