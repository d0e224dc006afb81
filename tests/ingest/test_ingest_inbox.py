"""An inbox folder of daily exports: each content ingested once, whatever the file is called."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipeline.errors import InputError
from pipeline.ingest import ingest_sources, load_sources

SOURCES = """\
sources:
  - name: inbox
    path: inbox
    format: csv
    channel: call_center
    columns: {feedback_id: 工单号, created_at: 来电时间, text: 问题描述}
"""


def _day(folder: Path, name: str, day: int, n: int, bad: int = 0) -> Path:
    rows = [f"D{day}-{i},2026-09-{day:02d} 10:00:00,车机卡顿{i}\n" for i in range(n)]
    rows += [f"D{day}-B{i},2026-09-{day:02d} 10:00:00,\n" for i in range(bad)]
    path = folder / name
    path.write_text("工单号,来电时间,问题描述\n" + "".join(rows), encoding="utf-8")
    return path


@pytest.fixture()
def inbox(tmp_path: Path) -> Path:
    (tmp_path / "inbox").mkdir()
    (tmp_path / "sources.yaml").write_text(SOURCES, encoding="utf-8")
    return tmp_path / "inbox"


def _run(inbox: Path, known=(), stored=()):
    return ingest_sources(load_sources(inbox.parent / "sources.yaml"), known_sha256=known, stored_ids=stored)


def test_each_file_is_a_delivery_and_a_copy_is_read_once(inbox: Path) -> None:
    _day(inbox, "2026-09-01.csv", 1, 5, bad=1)
    _day(inbox, "2026-09-02.csv", 2, 4)
    shutil.copy(inbox / "2026-09-01.csv", inbox / "2026-09-01 (1).csv")  # re-delivered under a new name
    (inbox / "~$2026-09-02.csv").write_text("lock", encoding="utf-8")  # an editor's lock file
    (inbox / "notes.txt").write_text("not an export", encoding="utf-8")
    result = _run(inbox)
    assert len(result.feedback) == 9 and len(result.quarantine) == 1
    # one of the two copies of day 1 (the first by name), and day 2
    assert [Path(f).name for f in result.counts["file"]] == ["2026-09-01 (1).csv", "2026-09-02.csv"]
    assert result.counts["input_rows"].sum() == result.counts[["accepted", "quarantined"]].sum().sum()


def test_a_stored_delivery_is_skipped_under_any_name(inbox: Path) -> None:
    first = _day(inbox, "a.csv", 1, 5, bad=1)
    done = _run(inbox)
    known, stored = set(done.counts["file_sha256"]), set(done.feedback["feedback_id"])
    first.rename(inbox / "b.csv")  # the same content under a new name
    again = _run(inbox, known, stored)
    assert len(again.feedback) == 0 and len(again.counts) == 0 and [Path(f).name for f in again.skipped] == ["b.csv"]
    _day(inbox, "c.csv", 2, 3)  # a new day's file
    later = _run(inbox, known, stored)
    assert len(later.feedback) == 3 and [Path(f).name for f in later.counts["file"]] == ["c.csv"]


def test_known_content_with_rows_not_stored_is_read_again(inbox: Path) -> None:
    _day(inbox, "a.csv", 1, 5)
    done = _run(inbox)
    # an earlier windowed run stored only two of the five rows
    again = _run(inbox, set(done.counts["file_sha256"]), set(done.feedback["feedback_id"][:2]))
    assert len(again.feedback) == 5 and not again.skipped


def test_changed_file_under_the_same_name_is_a_new_delivery(inbox: Path) -> None:
    _day(inbox, "export.csv", 1, 5)
    done = _run(inbox)
    known, stored = set(done.counts["file_sha256"]), set(done.feedback["feedback_id"])
    _day(inbox, "export.csv", 1, 7, bad=2)  # overwritten with a longer export of the day
    again = _run(inbox, known, stored)
    assert len(again.feedback) == 7 and len(again.quarantine) == 2
    assert set(again.counts["file_sha256"]).isdisjoint(known)


def test_empty_inbox_and_missing_folder(inbox: Path) -> None:
    result = _run(inbox)
    assert len(result.feedback) == 0 and len(result.counts) == 0
    shutil.rmtree(inbox)
    with pytest.raises(InputError, match=r"inbox: file not found \(source 'inbox'\)"):
        _run(inbox)


def test_xlsx_inbox_with_a_pattern(tmp_path: Path) -> None:
    import openpyxl

    (tmp_path / "drop").mkdir()
    for day in (1, 2):
        wb = openpyxl.Workbook()
        wb.active.append(["工单号", "来电时间", "问题描述"])
        wb.active.append([f"{day}01", f"2026-09-0{day} 09:00", "异响"])
        wb.save(tmp_path / "drop" / f"工单_{day}.xlsx")
    (tmp_path / "sources.yaml").write_text(
        SOURCES.replace("path: inbox", "path: drop\n    pattern: '工单_*.xlsx'").replace("format: csv", "format: xlsx"),
        encoding="utf-8")
    result = ingest_sources(load_sources(tmp_path / "sources.yaml"))
    assert sorted(result.feedback["feedback_id"]) == ["inbox:101", "inbox:201"]
