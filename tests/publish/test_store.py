"""One Store interface, two backends: the same calls give the same stored rows in DuckDB and PostgreSQL."""

import datetime as dt

import pandas as pd
import pytest

from pipeline.store import Store, open_store
from pipeline.store.duckdb_store import DuckDBStore
from pipeline.store.sql_store import SQLStore
from tests.publish.conftest import LINEAGE


@pytest.fixture(params=["duckdb", "postgresql"])
def store(request, tmp_path) -> Store:
    if request.param == "duckdb":
        return open_store(tmp_path / "o.duckdb")
    return open_store(request.getfixturevalue("postgres_url"))


def test_the_target_names_the_backend(tmp_path):
    assert type(open_store(tmp_path / "o.duckdb")) is DuckDBStore
    assert type(open_store("postgresql+psycopg://voc@127.0.0.1:5432/voc")) is SQLStore
    assert open_store("postgresql+psycopg://voc:secret@db:5432/voc").display() == "postgresql+psycopg://voc:***@db:5432/voc"


def _outbox(status: str, *ids: str) -> pd.DataFrame:
    return pd.DataFrame({"message_id": list(ids), "alert_id": [f"a-{i}" for i in ids], "status": status})


def test_a_stored_outbox_row_is_never_rewritten(store):
    # A second scan queues the same message again: the row already sent must stay sent.
    store.write({"alert_outbox": _outbox("sent", "m1")}, LINEAGE)
    rows = store.write({"alert_outbox": _outbox("pending", "m1", "m2")}, {**LINEAGE, "run_id": "run-2"})
    stored = store.read("alert_outbox").set_index("message_id")
    assert rows == {"alert_outbox": 2}
    assert stored.loc["m1", "status"] == "sent" and stored.loc["m1", "run_id"] == "run-1"
    assert stored.loc["m2", "status"] == "pending" and stored.loc["m2", "run_id"] == "run-2"


def test_replace_all_keys_and_a_failed_write(store):
    fact = lambda period, n: pd.DataFrame({"period": [period] * n, "category_id": [f"c{i}" for i in range(n)],  # noqa: E731
                                           "complaints": range(n)})
    sep, octo = dt.date(2026, 9, 1), dt.date(2026, 10, 1)
    store.write({"fact_category_counts": pd.concat([fact(sep, 3), fact(octo, 2)]),
                 "dim_department": pd.DataFrame({"department_id": ["a", "b"], "name": ["甲", "乙"]})}, LINEAGE)
    rows = store.write({"fact_category_counts": fact(octo, 4),
                        "dim_department": pd.DataFrame({"department_id": ["c"], "name": ["丙"]})}, LINEAGE)
    assert rows == {"fact_category_counts": 7, "dim_department": 1}  # October replaced, September kept; "all"
    with pytest.raises(ValueError, match="no replacement rule for table 'mystery'"):
        store.write({"fact_category_counts": fact(sep, 1), "mystery": fact(sep, 1)}, LINEAGE)
    assert len(store.read("fact_category_counts")) == 7  # the failed write left nothing behind
    assert store.stored_values("fact_category_counts", "period") == {sep, octo}
    assert store.read("no_such_table").empty and store.stored_values("no_such_table", "period") == set()


def test_export_writes_one_parquet_per_table(store, tmp_path):
    store.write({"watermarks": pd.DataFrame({"stream": ["s"], "watermark": [dt.date(2026, 9, 3)]})}, LINEAGE)
    assert store.read_watermark("s") == dt.date(2026, 9, 3) and store.read_watermark("other") is None
    paths = store.export(tmp_path / "out", ["watermarks"])
    assert pd.read_parquet(paths["watermarks"])["stream"].tolist() == ["s"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["watermarks.parquet"]
