"""Run the hostile-input audit (tests/hostile/) and print one line per case.

    PYTHONPATH=. .venv/bin/python scripts/audit_hostile.py            # every case (PostgreSQL ones start a server)
    PYTHONPATH=. .venv/bin/python scripts/audit_hostile.py -k "not slow"   # without the flow runs

Columns: case, rows in, accepted, quarantined, lost (in neither table across all runs), seconds,
the one-line error the case expects (or "traceback" when it raised something it should not have),
and pass. The cases themselves assert the contract (tests/hostile/conftest.py): nothing lost,
input = accepted + quarantined, errors on one line, no case past its time limit. The exit status is
pytest's, so the script can gate a release.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PATHS = ["tests/hostile", "tests/ingest/test_ingest_excel.py", "tests/ingest/test_ingest_inbox.py"]


class Collector:
    """Gathers each case's recorded figures (complete at teardown) and outcome."""

    def __init__(self) -> None:
        self.cases: dict[str, dict] = {}

    def pytest_runtest_logreport(self, report) -> None:
        row = self.cases.setdefault(report.nodeid, {
            "case": report.nodeid.split("::", 1)[-1][:70], "seconds": 0.0, "pass": "pass", "raised": ""})
        row["seconds"] += report.duration
        if report.failed:
            row["pass"] = "FAIL"
            row["raised"] = "time limit" if "time limit" in str(report.longrepr) else "traceback"
        elif report.skipped:
            row["pass"] = "skip"
        props = dict(report.user_properties)
        for key in ("rows_in", "accepted", "quarantined", "lost", "error"):
            row.setdefault(key, "")
            if key in props:
                row[key] = props[key]

    @property
    def rows(self) -> list[dict]:
        return [{**r, "seconds": f"{r['seconds']:.1f}", "error": r["raised"] or str(r["error"])[:70]}
                for r in self.cases.values()]


def main(argv: list[str]) -> int:
    collector = Collector()
    started = time.perf_counter()
    status = pytest.main([*PATHS, "-q", "-p", "no:cacheprovider", "--rootdir", str(ROOT), *argv],
                         plugins=[collector])
    columns = ["case", "rows_in", "accepted", "quarantined", "lost", "seconds", "error", "pass"]
    widths = {c: max([len(c)] + [len(str(r[c])) for r in collector.rows]) for c in columns}
    print()
    print("  ".join(c.ljust(widths[c]) for c in columns))
    for row in collector.rows:
        print("  ".join(str(row[c]).ljust(widths[c]) for c in columns))
    fails = sum(r["pass"] == "FAIL" for r in collector.rows)
    lost = sum(int(r["lost"] or 0) for r in collector.rows)
    print(f"\n{len(collector.rows)} cases, {fails} failed, {lost} rows lost, "
          f"{time.perf_counter() - started:.0f} s in all")
    return int(status)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
