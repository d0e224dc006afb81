"""Identical results on DuckDB and PostgreSQL for the cross-run scenarios, and nothing lost on either."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.hostile.scenarios import SCENARIOS, runner
from tests.postgres_server import postgres_server, postgres_url  # noqa: F401

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_duckdb_and_postgresql_store_the_same(name: str, tmp_path: Path, postgres_url, prefect_harness, audit) -> None:  # noqa: F811
    scenario = SCENARIOS[name]
    duck = tmp_path / "duck"
    on_duckdb = scenario(duck, runner(duck, duck / "voc.duckdb"), duck / "voc.duckdb")
    pg = tmp_path / "pg"
    on_postgres = scenario(pg, runner(pg, postgres_url), postgres_url)
    for out in (on_duckdb, on_postgres):
        audit(rows_in=len(out.delivered), accepted=len(out.accepted & out.delivered),
              quarantined=len(out.quarantined - out.accepted), lost=out.lost)
    assert on_duckdb.snapshot == on_postgres.snapshot
