"""The audit's contract for every hostile case: bounded time, rows accounted for, one-line errors.

`audit(...)` records a case's figures (scripts/audit_hostile.py prints them as a table) and checks
them: every delivered row is accepted or quarantined (nothing lost), and an error is one line.
Every test here runs under a time limit: a hang fails the test instead of stalling the suite.
"""

from __future__ import annotations

import signal

import pytest

LIMIT_S = 60  # a single case; flow scenarios (several daily runs, marked slow) get more
SLOW_LIMIT_S = 600


@pytest.fixture(autouse=True)
def time_limit(request):
    limit = SLOW_LIMIT_S if request.node.get_closest_marker("slow") else LIMIT_S

    def expired(signum, frame):
        raise TimeoutError(f"hostile case ran past its time limit of {limit} s (a hang)")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(limit)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


@pytest.fixture(autouse=True)
def error_line(monkeypatch, record_property):
    """Record the last bad-input error a case raised (the `error:` line the CLI would print)."""
    from pipeline.errors import InputError

    raised: list[str] = []
    init = InputError.__init__

    def recording(self, *args, **kwargs):
        init(self, *args, **kwargs)
        raised.append(str(self))

    monkeypatch.setattr(InputError, "__init__", recording)
    yield
    if raised:
        record_property("error", raised[-1].splitlines()[0])
        assert len(raised[-1].splitlines()) == 1 or "more problem(s)" in raised[-1], raised[-1]


@pytest.fixture()
def audit(record_property):
    """audit(rows_in=, accepted=, quarantined=, lost=0, error=None): record and check one outcome."""

    def check(*, rows_in: int | None = None, accepted: int | None = None, quarantined: int | None = None,
              lost: int = 0, error: str | None = None) -> None:
        for key, value in (("rows_in", rows_in), ("accepted", accepted), ("quarantined", quarantined),
                           ("lost", lost), ("error", error)):
            if value is not None:
                record_property(key, value)
        assert lost == 0, f"{lost} row(s) in neither feedback nor quarantine"
        if rows_in is not None:
            assert rows_in == accepted + quarantined, (rows_in, accepted, quarantined)
        if error is not None:
            assert "\n" not in error and error.strip(), f"an error must be one line: {error!r}"

    return check
