"""Nothing lost across runs: overwritten, appended and late exports, and an explicit window replacement.

The daily flow on small CSV exports written here; each case checks that every row ever delivered is
stored in `feedback` or `quarantine` after the later runs (see docs/operations.md, "Run semantics").
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from tests.conftest import params_for

pytestmark = pytest.mark.slow

SOURCES = """\
sources:
  - name: daily_export
    path: export.csv
    format: csv
    channel: call_center
    columns: {feedback_id: 工单号, created_at: 来电时间, text: 问题描述}
"""
TEXTS = ("车机卡顿严重", "底盘异响很大", "销售态度差", "刹车有异响", "导航经常死机", "空调不制冷")


def _rows(day: date, first: int, n: int, bad: int = 0) -> list[str]:
    out = [f"T{first + i},{day} {9 + i % 8:02d}:00:00,{TEXTS[i % len(TEXTS)]}\n" for i in range(n)]
    out += [f"B{first + i},{day} 10:00:00,\n" for i in range(bad)]  # empty text: quarantined
    return out


def _export(tmp_path: Path, rows: list[str]) -> Path:
    (tmp_path / "export.csv").write_text("工单号,来电时间,问题描述\n" + "".join(rows), encoding="utf-8")
    (tmp_path / "sources.yaml").write_text(SOURCES, encoding="utf-8")
    return tmp_path / "sources.yaml"


def _query(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def _stored(db: Path) -> tuple[set[str], int]:
    ids = {r[0] for r in _query(db, "SELECT feedback_id FROM feedback")}
    return ids, _query(db, "SELECT count(*) FROM quarantine")[0][0]


def test_export_overwritten_in_place_keeps_the_first_days_rows(tmp_path: Path, prefect_harness) -> None:
    from flows.daily import daily

    day1, day2 = _rows(date(2026, 9, 1), 0, 30, bad=2), _rows(date(2026, 9, 2), 100, 30, bad=3)
    params = params_for(_export(tmp_path, day1), tmp_path)
    daily(params)
    _export(tmp_path, day2)  # the same path, the next day's content
    second = daily(params)
    ids, quarantined = _stored(params.outputs.database)
    assert len(ids) == 60 and quarantined == 5  # 30 + 2 from day 1, 30 + 3 from day 2
    assert (second["input_rows"], second["accepted"], second["quarantined"]) == (33, 30, 3)
    # one ingest_counts row per delivery, each reconciling
    counts = _query(params.outputs.database, "SELECT input_rows, accepted, quarantined FROM ingest_counts ORDER BY 1")
    assert counts == [(32, 30, 2), (33, 30, 3)]
    volume = _query(params.outputs.database, "SELECT sum(feedback) FROM fact_feedback_volume")[0][0]
    assert volume == 60


def test_same_export_run_twice_changes_nothing(tmp_path: Path, prefect_harness) -> None:
    from flows.daily import daily

    params = params_for(_export(tmp_path, _rows(date(2026, 9, 1), 0, 20, bad=2)), tmp_path)
    daily(params)
    before = (_stored(params.outputs.database), _query(params.outputs.database, "SELECT count(*) FROM ingest_counts"))
    daily(params)
    assert (_stored(params.outputs.database), _query(params.outputs.database, "SELECT count(*) FROM ingest_counts")) == before


def test_appended_export_stores_each_row_once(tmp_path: Path, prefect_harness) -> None:
    from flows.daily import daily

    day1 = _rows(date(2026, 9, 1), 0, 20)
    params = params_for(_export(tmp_path, day1), tmp_path)
    daily(params)
    _export(tmp_path, day1 + _rows(date(2026, 9, 2), 100, 25))  # the export grows
    daily(params)
    ids, _ = _stored(params.outputs.database)
    assert len(ids) == 45
    assert _query(params.outputs.database, "SELECT count(*) FROM feedback")[0][0] == 45


def test_replace_window_deletes_rows_the_source_no_longer_holds(tmp_path: Path, prefect_harness) -> None:
    from flows.daily import daily

    rows = _rows(date(2026, 9, 1), 0, 20)
    params = params_for(_export(tmp_path, rows), tmp_path)
    daily(params)
    _export(tmp_path, rows[:15])  # a corrected re-export of the day, without five rows
    window = {"window_start": date(2026, 9, 1), "window_end": date(2026, 9, 2)}
    daily(params.replace(**window))  # default: the five stay
    assert len(_stored(params.outputs.database)[0]) == 20
    daily(params.replace(**window, replace_window=True))
    assert len(_stored(params.outputs.database)[0]) == 15


def test_late_rows_are_stored_by_an_incremental_run(tmp_path: Path, prefect_harness) -> None:
    from flows.daily import daily

    rows = _rows(date(2026, 9, 1), 0, 10) + _rows(date(2026, 9, 2), 100, 10)
    params = params_for(_export(tmp_path, rows), tmp_path).replace(incremental=True)
    first = daily(params.replace(window_end=date(2026, 9, 3)))
    assert first["in_window"] == 20
    late = _rows(date(2026, 9, 1), 500, 4)  # created on the 1st, delivered after the watermark
    _export(tmp_path, rows + late + _rows(date(2026, 9, 3), 200, 6))
    second = daily(params.replace(window_end=date(2026, 9, 4)))
    assert second["window"] == "2026-09-03..2026-09-04"
    assert second["late_rows"] == 4 and second["in_window"] == 10
    ids, _ = _stored(params.outputs.database)
    assert len(ids) == 30
    # the late rows count in their own period (September, month grain), next to the day-1 rows
    assert _query(params.outputs.database, "SELECT sum(feedback) FROM fact_feedback_volume")[0][0] == 30
