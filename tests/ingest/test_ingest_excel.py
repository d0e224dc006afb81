"""Excel workbooks as call centres and dealers export them: title rows, sheets, dates, merged and blank rows."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from pipeline.errors import InputError
from pipeline.ingest import ingest_sources, load_sources

SOURCES = """\
sources:
  - name: dealer
    path: export.xlsx
    format: xlsx
    channel: dealer
{extra}    columns: {{feedback_id: 工单号, created_at: 来电时间, text: 问题描述, dealer: 经销商}}
"""


def _workbook(path: Path) -> None:
    wb = openpyxl.Workbook()
    wb.active.title = "说明"
    wb.active.append(["本文件由呼叫中心系统导出"])
    ws = wb.create_sheet("工单")
    ws.append(["某某汽车 4S 店工单导出 2026-09"])  # a title row merged across the table
    ws.merge_cells("A1:D1")
    ws.append([])
    ws.append(["工单号", "来电时间", "问题描述", "经销商"])
    ws.append([1001, dt.datetime(2026, 9, 1, 9, 30), "车机卡顿严重", "广州店"])  # row 4
    ws.append([1002, 46266.5, "底盘异响很大", None])  # an Excel serial typed as a number
    ws.merge_cells("D4:D5")  # the dealer merged over its group
    ws.append([None, None, None, None])  # blank row between groups
    ws.append(["A-7", "2026-09-02 10:00:00", "刹车有异响", "深圳店"])  # row 7
    ws.append(["A-8", "昨天", "导航死机", "深圳店"])  # row 8: not a date
    ws.append(["A-9", dt.date(2026, 9, 3), None, "深圳店"])  # row 9: no text
    wb.save(path)


def _ingest(tmp_path: Path, extra: str):
    _workbook(tmp_path / "export.xlsx")
    (tmp_path / "sources.yaml").write_text(SOURCES.format(extra=extra), encoding="utf-8")
    return ingest_sources(load_sources(tmp_path / "sources.yaml"))


def test_sheet_header_row_dates_merged_and_blank_rows(tmp_path: Path) -> None:
    result = _ingest(tmp_path, "    sheet: 工单\n    header_row: 3\n")
    fb = result.feedback.set_index("feedback_id")
    assert list(fb.index) == ["dealer:1001", "dealer:1002", "dealer:A-7"]
    assert [str(t) for t in fb["created_at"]] == [
        "2026-09-01 09:30:00", "2026-09-01 12:00:00", "2026-09-02 10:00:00"]
    assert fb.loc["dealer:1002", "dealer"] == "广州店"  # from the merged cell above
    q = result.quarantine.set_index("source_line")
    assert sorted(q.index) == [8, 9]  # sheet rows as Excel shows them; the blank row 6 is not a row
    assert q.loc[8, "reason"] == "bad_date" and q.loc[9, "reason"] == "empty_text"
    assert q["file"].iloc[0].endswith("export.xlsx")
    counts = result.counts.iloc[0]
    assert (counts.input_rows, counts.accepted, counts.quarantined) == (5, 3, 2)


def test_sheet_by_position(tmp_path: Path) -> None:
    assert len(_ingest(tmp_path, "    sheet: 2\n    header_row: 3\n").feedback) == 3


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ("    sheet: 工单表\n", r"export.xlsx: no sheet named '工单表'; the workbook has: 说明, 工单"),
        ("    sheet: 3\n", r"export.xlsx: sheet 3 asked for, but the workbook has 2: 说明, 工单"),
        ("    sheet: 工单\n    header_row: 2\n", r"export.xlsx\[工单\]:2: header row 2 is empty"),
        ("    sheet: 工单\n", r"export.xlsx\[工单\]:1: column '工单号': mapped column for 'feedback_id' is not in the file"),
        ("    sheet: 工单\n    header_row: 3\n    encoding: gbk\n", r"sources.yaml:\d+: field 'encoding': only applies to csv"),
    ],
    ids=["no such sheet", "sheet index too high", "empty header row", "header row wrong", "encoding on xlsx"],
)
def test_errors_name_file_sheet_and_row(tmp_path: Path, extra: str, expected: str) -> None:
    with pytest.raises(InputError, match=expected) as info:
        _ingest(tmp_path, extra)
    assert "\n" not in str(info.value)


def test_not_a_workbook(tmp_path: Path) -> None:
    (tmp_path / "sources.yaml").write_text(SOURCES.format(extra=""), encoding="utf-8")
    (tmp_path / "export.xlsx").write_text("工单号,来电时间\n1,2026-09-01\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"export.xlsx: cannot read as an Excel workbook"):
        ingest_sources(load_sources(tmp_path / "sources.yaml"))


def test_values_beyond_the_header_are_an_error(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    wb.active.append(["工单号", "来电时间", "问题描述", "经销商"])
    wb.active.append([1, "2026-09-01", "异响", "店", "多出来的"])
    wb.save(tmp_path / "export.xlsx")
    (tmp_path / "sources.yaml").write_text(SOURCES.format(extra=""), encoding="utf-8")
    with pytest.raises(InputError, match=r"export.xlsx\[Sheet\]:2: 1 value\(s\) beyond the header's 4 columns"):
        ingest_sources(load_sources(tmp_path / "sources.yaml"))


def test_a_workbook_mapped_as_csv_gets_a_hint(tmp_path: Path) -> None:
    _workbook(tmp_path / "export.xlsx")
    (tmp_path / "sources.yaml").write_text(
        SOURCES.format(extra="").replace("format: xlsx", "format: csv"), encoding="utf-8")
    with pytest.raises(InputError, match=r"looks like an Excel workbook or zip archive; for a workbook set `format: xlsx`"):
        ingest_sources(load_sources(tmp_path / "sources.yaml"))


def test_a_1904_workbook_counts_serials_from_1904(tmp_path: Path) -> None:
    """Older Mac Excel saves in the 1904 date system: a bare serial is 1,462 days later than in 1900's."""
    from openpyxl.utils.datetime import CALENDAR_MAC_1904

    for epoch, serial_day in ((None, "2026-09-01 12:00:00"), (CALENDAR_MAC_1904, "2030-09-02 12:00:00")):
        wb = openpyxl.Workbook()
        if epoch:
            wb.epoch = epoch
        ws = wb.active
        ws.append(["工单号", "来电时间", "问题描述", "经销商"])
        ws.append([1, dt.datetime(2026, 9, 1, 9, 30), "车机卡顿严重", "广州店"])  # a date cell: the same in both
        ws.append([2, 46266.5, "底盘异响很大", "广州店"])  # a bare serial: the system decides the day
        wb.save(tmp_path / "export.xlsx")
        (tmp_path / "sources.yaml").write_text(SOURCES.format(extra=""), encoding="utf-8")
        fb = ingest_sources(load_sources(tmp_path / "sources.yaml")).feedback.set_index("feedback_id")
        assert str(fb.loc["dealer:1", "created_at"]) == "2026-09-01 09:30:00"
        assert str(fb.loc["dealer:2", "created_at"]) == serial_day
