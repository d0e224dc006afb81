"""Cross-run scenarios on any output database: exports as they arrive, run by the daily flow.

Each scenario writes its exports into a work folder, runs the daily flow one or more times against
a target (a DuckDB file or a PostgreSQL URL) and returns an `Outcome`: the rows delivered, where
each ended up, and a snapshot of the stored tables to compare between backends. Used by
tests/hostile/test_parity.py (DuckDB against PostgreSQL) and scripts/audit_hostile.py.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

from pipeline import publish

SOURCES = """\
sources:
  - name: daily_export
    path: {path}
    format: {fmt}{extra}
    channel: call_center
    columns: {{feedback_id: 工单号, created_at: 来电时间, text: 问题描述}}
"""
TEXTS = ("车机卡顿严重", "底盘异响很大", "销售态度差", "刹车有异响", "导航经常死机", "空调不制冷")
HEADER = ["工单号", "来电时间", "问题描述"]


def rows(day: date, first: int, n: int, bad: int = 0) -> list[tuple[str, str, str]]:
    """n rows of `day` with ids T<first..>, plus `bad` rows with an empty text (quarantined)."""
    out = [(f"T{first + i}", f"{day} {9 + i % 8:02d}:00:00", TEXTS[i % len(TEXTS)]) for i in range(n)]
    return out + [(f"B{first + i}", f"{day} 10:00:00", "") for i in range(bad)]


def write_csv(path: Path, data: list[tuple[str, str, str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    body = "".join(",".join(r) + "\n" for r in data)
    path.write_text(",".join(HEADER) + "\n" + body, encoding="utf-8")


def write_xlsx(path: Path, data: list[tuple[str, str, str]]) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["呼叫中心工单导出"])  # a title row above the header, as exports have
    ws.append(HEADER)
    for r in data:
        ws.append(list(r))
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)


def table(target: str | Path, name: str) -> pd.DataFrame:
    """A stored table, from DuckDB or PostgreSQL (an error when it does not exist)."""
    df = publish.read(target, name)
    assert len(df.columns), f"table {name} does not exist in {publish.display_target(target)}"
    return df


@dataclass
class Outcome:
    """Rows delivered over all runs (by id) and where each ended up."""

    delivered: set[str]
    accepted: set[str]
    quarantined: set[str]
    seconds: float = 0.0
    snapshot: dict = field(default_factory=dict)

    @property
    def lost(self) -> int:
        return len(self.delivered - self.accepted - self.quarantined)


def outcome(target: str | Path, delivered: set[str], started: float) -> Outcome:
    fb, q = table(target, "feedback"), table(target, "quarantine")
    volume = table(target, "fact_feedback_volume")
    accepted = set(fb["feedback_id"])
    quarantined = {f"{s}:{i}" for s, i in zip(q["source"], q["raw_id"])}
    counts = table(target, "ingest_counts")
    snapshot = {
        "feedback_ids": sorted(accepted),
        "created_at": sorted(pd.to_datetime(fb["created_at"]).astype(str)),
        "quarantine": sorted(zip(q["raw_id"], q["reason"], q["source_line"].astype(int))),
        "ingest_counts": sorted(zip(counts["input_rows"].astype(int), counts["accepted"].astype(int),
                                    counts["quarantined"].astype(int))),
        "feedback_volume": int(volume["feedback"].sum()),
        "clauses": len(table(target, "clauses")),
        "mentions": sorted(zip(*(table(target, "mentions")[c] for c in ("clause_id", "category_id", "polarity")))),
        "category_counts": sorted(
            (str(pd.Timestamp(r.period).date()), r.category_id, int(r.complaints), int(r.praise))
            for r in table(target, "fact_category_counts").itertuples()),
        "runs": len(table(target, "runs")),
        "periods": sorted(str(pd.Timestamp(p).date()) for p in volume["period"].unique()),
    }
    return Outcome(delivered, accepted, quarantined & delivered, time.perf_counter() - started, snapshot)


def _ids(data: list[tuple[str, str, str]]) -> set[str]:
    return {f"daily_export:{r[0]}" for r in data}


Run = Callable[..., dict]  # run(**param_updates) -> the flow's summary


def _setup(work: Path, path: str = "export.csv", fmt: str = "csv") -> Path:
    work.mkdir(parents=True, exist_ok=True)
    extra = "\n    header_row: 2" if fmt == "xlsx" else ""  # below the export's title row
    (work / "sources.yaml").write_text(SOURCES.format(path=path, fmt=fmt, extra=extra), encoding="utf-8")
    return work / "sources.yaml"


def overwritten_export(work: Path, run: Run, target) -> Outcome:
    t0 = time.perf_counter()
    _setup(work)
    day1, day2 = rows(date(2026, 9, 1), 0, 30, bad=2), rows(date(2026, 9, 2), 100, 30, bad=3)
    write_csv(work / "export.csv", day1)
    run()
    write_csv(work / "export.csv", day2)  # the same path, the next day's content
    run()
    return outcome(target, _ids(day1) | _ids(day2), t0)


def appended_export(work: Path, run: Run, target) -> Outcome:
    t0 = time.perf_counter()
    _setup(work)
    day1 = rows(date(2026, 9, 1), 0, 20, bad=1)
    write_csv(work / "export.csv", day1)
    run()
    both = day1 + rows(date(2026, 9, 2), 100, 25, bad=2)
    write_csv(work / "export.csv", both)  # the export grows
    run()
    run()  # and the same bytes once more
    return outcome(target, _ids(both), t0)


def late_rows(work: Path, run: Run, target) -> Outcome:
    t0 = time.perf_counter()
    _setup(work)
    first = rows(date(2026, 9, 1), 0, 10) + rows(date(2026, 9, 2), 100, 10, bad=1)
    write_csv(work / "export.csv", first)
    run(incremental=True, window_end=date(2026, 9, 3))
    late = rows(date(2026, 9, 1), 500, 4)  # created on the 1st, delivered after the watermark
    later = first + late + rows(date(2026, 9, 3), 200, 6)
    write_csv(work / "export.csv", later)
    summary = run(incremental=True, window_end=date(2026, 9, 4))
    assert summary["late_rows"] == 4, summary
    return outcome(target, _ids(later), t0)


def replace_window(work: Path, run: Run, target) -> Outcome:
    t0 = time.perf_counter()
    _setup(work)
    data = rows(date(2026, 9, 1), 0, 20, bad=1)
    write_csv(work / "export.csv", data)
    run()
    corrected = data[:15] + data[20:]  # a corrected re-export of the day, without five rows
    write_csv(work / "export.csv", corrected)
    run(window_start=date(2026, 9, 1), window_end=date(2026, 9, 2), replace_window=True)
    out = outcome(target, _ids(corrected), t0)
    assert not (out.accepted - _ids(corrected)), "rows the corrected export dropped are still stored"
    return out


def inbox_redelivery(work: Path, run: Run, target) -> Outcome:
    t0 = time.perf_counter()
    _setup(work, "inbox", "xlsx")
    day1, day2 = rows(date(2026, 9, 1), 0, 12, bad=1), rows(date(2026, 9, 2), 100, 8, bad=1)
    write_xlsx(work / "inbox" / "2026-09-01.xlsx", day1)
    run()
    shutil.copy(work / "inbox" / "2026-09-01.xlsx", work / "inbox" / "2026-09-01-resent.xlsx")
    write_xlsx(work / "inbox" / "2026-09-02.xlsx", day2)
    second = run()
    assert second["deliveries_skipped"] == 1 and second["input_rows"] == 9, second
    third = run()  # nothing new: every file skipped, nothing changes
    assert third["deliveries_skipped"] == 2 and third["input_rows"] == 0, third
    return outcome(target, _ids(day1) | _ids(day2), t0)


SCENARIOS: dict[str, Callable[[Path, Run, object], Outcome]] = {
    "overwritten export": overwritten_export,
    "appended export": appended_export,
    "late rows (incremental)": late_rows,
    "replace window": replace_window,
    "inbox re-delivery (xlsx)": inbox_redelivery,
}


def runner(work: Path, target: str | Path) -> Run:
    """run(**updates): the daily flow on `work`'s sources, writing to `target`."""
    from flows.daily import daily
    from tests.conftest import params_for

    params = params_for(work / "sources.yaml", work)
    if str(target).startswith("postgresql"):
        params = params.replace(database_url=str(target))

    def run(**updates) -> dict:
        return daily(params.replace(**updates))

    return run
