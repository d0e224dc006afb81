"""Retries are for what may pass on a second try, never for bad input."""

import duckdb
import pytest
from prefect.states import Failed

from flows.daily import _transient
from pipeline.errors import InputError


@pytest.mark.parametrize(
    "exc,retry",
    [
        (InputError("cannot decode bytes", file="a.csv", line=3), False),
        (ValueError("a bug"), False),
        (ConnectionResetError("network share went away"), True),
        (duckdb.IOException("Could not set lock on file"), True),
    ],
)
def test_retry_condition(exc, retry):
    assert _transient(None, None, Failed(data=exc)) is retry
