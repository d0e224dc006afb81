"""BLAS threads for the embedders: the free cores, never more than usable, overridable."""

import pytest

from pipeline import cores as base
from pipeline.errors import VocError


@pytest.fixture
def two_cores(monkeypatch):
    monkeypatch.delenv(base.THREADS_ENV, raising=False)
    monkeypatch.setattr(base, "usable_cores", lambda: 2)


@pytest.mark.parametrize("load, threads", [(0.0, 2), (1.0, 2), (1.4, 2), (1.6, 1), (2.0, 1), (7.5, 1)])
def test_threads_follow_the_cores_other_processes_leave_free(two_cores, monkeypatch, load, threads):
    # One runnable task of the load average is this process itself.
    monkeypatch.setattr(base.os, "getloadavg", lambda: (load, load, load))
    assert base.free_cores() == threads


def test_threads_without_a_load_average_are_the_usable_cores(two_cores, monkeypatch):
    def no_loadavg():
        raise OSError("no load average")

    monkeypatch.setattr(base.os, "getloadavg", no_loadavg)
    assert base.free_cores() == 2


def test_threads_override_and_its_error(two_cores, monkeypatch):
    monkeypatch.setenv(base.THREADS_ENV, "3")
    assert base.free_cores() == 3
    for bad in ("0", "two", "-1"):
        monkeypatch.setenv(base.THREADS_ENV, bad)
        with pytest.raises(VocError, match=f"{base.THREADS_ENV} must be a positive integer; got '{bad}'"):
            base.free_cores()
