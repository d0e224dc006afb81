"""Hostile source files: mixed encodings, binary Parquet text, BOM and zero-width ids, over-long texts.

Each either decodes correctly or stops with one error naming the file, the line and the field;
nothing is stored as mojibake or as a Python bytes literal.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline.errors import InputError
from pipeline.ingest.canonical import TRUNCATED_MARK, canonicalize
from pipeline.ingest.mapping import SourceSpec
from pipeline.ingest.readers import read_source

COLUMNS = {"feedback_id": "id", "created_at": "date", "text": "text"}
HEADER = "id,date,text\n"


def spec(path: Path, fmt: str = "csv", **extra) -> SourceSpec:
    return SourceSpec.model_validate(
        {"name": "s", "path": str(path), "format": fmt, "channel": "app", "columns": COLUMNS, **extra})


def ingest(path: Path, fmt: str = "csv", **extra) -> tuple[pd.DataFrame, pd.DataFrame]:
    sp = spec(path, fmt, **extra)
    return canonicalize(read_source(sp), sp, str(path))


def test_mixed_utf8_and_gbk_lines_name_the_first_line_that_does_not_fit(tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    path.write_bytes(
        HEADER.encode() + "1,2026-05-03,底盘异响\n".encode("utf-8") + "2,2026-05-03,车机卡顿\n".encode("gbk")
        + "3,2026-05-03,刹车异响很大\n".encode("utf-8"))
    with pytest.raises(InputError) as info:
        read_source(spec(path))
    message = str(info.value)
    assert message.startswith(f"{path}:3: ") and "mixed encodings" in message and "\n" not in message


def test_mostly_gbk_file_with_a_utf8_line_names_the_utf8_line(tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    rows = [f"{i},2026-05-03,车机卡顿导航死机\n".encode("gbk") for i in range(1, 5)]
    rows.insert(2, "9,2026-05-03,异响\n".encode("utf-8"))
    path.write_bytes(HEADER.encode() + b"".join(rows))
    with pytest.raises(InputError, match="are UTF-8") as info:
        read_source(spec(path))
    assert str(info.value).startswith(f"{path}:4: ")


def test_pure_gbk_and_pure_utf8_files_still_decode(tmp_path: Path) -> None:
    text = HEADER + "1,2026-05-03,底盘异响\n2,2026-05-03,车机卡顿\n"
    for enc in ("gbk", "utf-8", "utf-8-sig"):
        path = tmp_path / f"{enc}.csv"
        path.write_bytes(text.encode(enc))
        fb, q = ingest(path)
        assert fb["text"].tolist() == ["底盘异响", "车机卡顿"] and len(q) == 0


def test_utf8_file_with_one_corrupt_byte_is_an_error_not_mojibake(tmp_path: Path) -> None:
    path = tmp_path / "broken.csv"
    path.write_bytes(HEADER.encode() + "1,2026-05-03,底盘异响\n".encode() + b"2,2026-05-03,\xe5\xbc\n"
                     + "3,2026-05-03,车机卡顿\n".encode())
    with pytest.raises(InputError) as info:
        read_source(spec(path))
    assert str(info.value).startswith(f"{path}:3: ")


def test_parquet_binary_text_is_decoded(tmp_path: Path) -> None:
    path = tmp_path / "bin.parquet"
    pq.write_table(pa.table({
        "id": pa.array([b"1", b"2"], pa.binary()),
        "date": ["2026-05-03", "2026-05-04"],
        "text": pa.array(["底盘异响".encode(), "车机卡顿".encode()], pa.large_binary()),
    }), path)
    fb, q = ingest(path, "parquet")
    assert fb["text"].tolist() == ["底盘异响", "车机卡顿"]
    assert fb["feedback_id"].tolist() == ["s:1", "s:2"]


def test_parquet_binary_that_is_not_utf8_names_row_and_column(tmp_path: Path) -> None:
    path = tmp_path / "bin.parquet"
    pq.write_table(pa.table({
        "id": ["1", "2"], "date": ["2026-05-03", "2026-05-04"],
        "text": pa.array(["底盘异响".encode(), "车机卡顿".encode("gbk")], pa.binary()),
    }), path)
    with pytest.raises(InputError) as info:
        read_source(spec(path, "parquet"))
    assert str(info.value).startswith(f"{path}:2: column 'text'")


@pytest.mark.parametrize("prefix", ["\ufeff", "\u200b", "\u2060", " \ufeff"])
def test_invisible_prefix_does_not_escape_duplicate_detection(tmp_path: Path, prefix: str) -> None:
    path = tmp_path / "dup.csv"
    path.write_text(HEADER + f"007,2026-05-03,底盘异响\n{prefix}007,2026-05-03,底盘异响\n", encoding="utf-8")
    fb, q = ingest(path)
    assert fb["feedback_id"].tolist() == ["s:007"]
    assert q["reason"].tolist() == ["duplicate_id"]


def test_long_text_is_cut_with_a_marker_and_nothing_is_lost(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    long_text = "异响" * 100_000 + "电话13812345678"
    path.write_text(HEADER + f"1,2026-05-03,{long_text}\n2,2026-05-03,短\n", encoding="utf-8")
    fb, q = ingest(path, max_text_chars=5_000)
    assert len(fb) == 2 and len(q) == 0
    cut = fb["text"].iloc[0]
    assert cut.endswith(TRUNCATED_MARK.format(n=len("异响" * 100_000 + "电话[手机号]")))
    assert len(cut) < 5_100
    assert fb["text"].iloc[1] == "短"


def test_max_text_chars_is_validated(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="max_text_chars"):
        spec(tmp_path / "x.csv", max_text_chars=5)
