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

import re
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PATHS = ["tests/hostile", "tests/ingest/test_ingest_excel.py", "tests/ingest/test_ingest_inbox.py"]


GROUP_AT = 8  # a case with more parameter sets than this is shown as one line (the PII corpus: 316 forms)
_ESCAPED = re.compile(r"\\u([0-9a-f]{4})")
_PATH = re.compile(r"(?:/[^\s:/\[]+)+/([^\s:/\[]+)")  # absolute paths shown by their file name


class Collector:
    """Gathers each case's recorded figures (complete at teardown), outcome and last bad-input error."""

    def __init__(self) -> None:
        self.cases: dict[str, dict] = {}
        self._errors: list[str] = []

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_call(self, item):
        from pipeline.errors import InputError

        init, errors = InputError.__init__, self._errors
        errors.clear()

        def recording(exc, *args, **kwargs):
            init(exc, *args, **kwargs)
            errors.append(str(exc).splitlines()[0])

        InputError.__init__ = recording
        try:
            yield
        finally:
            InputError.__init__ = init

    def pytest_runtest_logreport(self, report) -> None:
        # Node ids escape non-ASCII parameters (\\u5f02); show them as written, cut to a readable width.
        name = _ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), report.nodeid.split("::", 1)[-1])[:60]
        row = self.cases.setdefault(report.nodeid, {
            "case": name, "group": name.split("[")[0], "seconds": 0.0, "pass": "pass", "raised": "",
            "error": ""})
        row["seconds"] += report.duration
        if report.when == "call" and self._errors:
            row["error"] = _PATH.sub(r"\1", self._errors[-1])
        if report.failed:
            row["pass"] = "FAIL"
            row["raised"] = "time limit" if "time limit" in str(report.longrepr) else "traceback"
        elif report.skipped:
            row["pass"] = "skip"
        props = dict(report.user_properties)
        for key in ("rows_in", "accepted", "quarantined", "lost"):
            row.setdefault(key, "")
            if key in props:
                row[key] = props[key]

    @property
    def rows(self) -> list[dict]:
        sizes: dict[str, int] = {}
        for r in self.cases.values():
            sizes[r["group"]] = sizes.get(r["group"], 0) + 1
        out: list[dict] = []
        grouped: dict[str, dict] = {}
        for r in self.cases.values():
            row = {**r, "error": r["raised"] or str(r["error"])[:80]}
            if sizes[r["group"]] <= GROUP_AT:
                out.append(row)
                continue
            g = grouped.get(r["group"])
            if g is None:
                g = grouped[r["group"]] = {**row, "case": f"{r['group']} ({sizes[r['group']]} cases)", "error": ""}
                out.append(g)
            else:
                g["seconds"] += r["seconds"]
            if row["pass"] == "FAIL":
                g["pass"], g["error"] = "FAIL", row["error"]
        return [{**r, "seconds": f"{r['seconds']:.1f}"} for r in out]


def main(argv: list[str]) -> int:
    collector = Collector()
    started = time.perf_counter()
    status = pytest.main([*PATHS, "-q", "-p", "no:cacheprovider", "--rootdir", str(ROOT), *argv],
                         plugins=[collector])
    rows = collector.rows
    columns = ["case", "rows_in", "accepted", "quarantined", "lost", "seconds", "error", "pass"]
    widths = {c: max([len(c)] + [len(str(r[c])) for r in rows]) for c in columns}
    print()
    print("  ".join(c.ljust(widths[c]) for c in columns))
    for row in rows:
        print("  ".join(str(row[c]).ljust(widths[c]) for c in columns))
    cases = collector.cases.values()
    fails = sum(r["pass"] == "FAIL" for r in cases)
    lost = sum(int(r["lost"] or 0) for r in cases)
    print(f"\n{len(cases)} cases, {fails} failed, {lost} rows lost, {time.perf_counter() - started:.0f} s in all")
    return int(status)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
