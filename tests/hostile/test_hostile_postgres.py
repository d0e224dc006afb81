"""PostgreSQL parity on hostile data: NUL bytes, fact tables first written empty."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from pipeline import publish
from pipeline.store.sql_store import read_table
from tests.postgres_server import postgres_server, postgres_url  # noqa: F401

LINEAGE = {"run_id": "run-1", "taxonomy_version": "tx", "embedder_id": "none", "topic_model_version": "none"}
MAY = dt.date(2026, 5, 1)


def _feedback(texts: list[str]) -> pd.DataFrame:
    n = len(texts)
    return pd.DataFrame({
        "feedback_id": [f"s:{i}" for i in range(n)], "source": ["s"] * n, "text": texts,
        "created_at": [pd.Timestamp("2026-05-03 10:00")] * n, "period": [MAY] * n,
    })


def _drivers(empty: bool):
    def derive(details: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
        if empty:  # a source without an NPS column: no drivers, an untyped empty table
            df = pd.DataFrame({"period": pd.Series([], dtype=object), "category_id": pd.Series([], dtype=object),
                               "nps_delta": pd.Series([], dtype=object)})
        else:
            df = pd.DataFrame({"period": [MAY], "category_id": ["a"], "nps_delta": [-3.5]})
        return {"fact_nps_drivers": df}
    return derive


def test_nul_bytes_are_stripped_not_fatal(postgres_url) -> None:  # noqa: F811
    rows = publish.write(postgres_url, {"feedback": _feedback(["异响\x00很大", "正常"])}, LINEAGE)
    assert rows["feedback"] == 2
    assert sorted(read_table(postgres_url, "feedback")["text"]) == sorted(["异响很大", "正常"])


def test_fresh_database_without_nps_then_with_nps(postgres_url) -> None:  # noqa: F811
    fb = {"feedback": _feedback(["异响"]),
          "clauses": pd.DataFrame({"clause_id": ["s:0#0"], "feedback_id": ["s:0"], "clause": ["异响"], "period": [MAY]}),
          "mentions": pd.DataFrame({"clause_id": ["s:0#0"], "feedback_id": ["s:0"], "category_id": ["a"],
                                    "period": [MAY]})}
    publish.write(postgres_url, fb, LINEAGE, derive=_drivers(empty=True))
    publish.write(postgres_url, fb, {**LINEAGE, "run_id": "run-2"}, derive=_drivers(empty=True))
    rows = publish.write(postgres_url, fb, {**LINEAGE, "run_id": "run-3"}, derive=_drivers(empty=False))
    assert rows["fact_nps_drivers"] == 1
    stored = read_table(postgres_url, "fact_nps_drivers")
    assert stored["nps_delta"].tolist() == [-3.5]
    assert pd.to_datetime(stored["period"]).dt.date.tolist() == [MAY]


def test_a_retried_write_leaves_one_runs_row(postgres_url, tmp_path) -> None:  # noqa: F811
    runs = {"runs": pd.DataFrame([{"started_at": pd.Timestamp("2026-05-03 10:00"), "accepted": 1}])}
    for target in (postgres_url, tmp_path / "voc.duckdb"):
        for _ in range(3):  # the write committed, then the export failed and the task was retried
            rows = publish.write(target, {**runs, "feedback": _feedback(["异响"])}, LINEAGE)
        assert rows["runs"] == 1
        rows = publish.write(target, {**runs, "feedback": _feedback(["异响"])}, {**LINEAGE, "run_id": "run-2"})
        assert rows["runs"] == 2
