"""Publishing: one transaction per run, re-running a period replaces it, lineage on every row."""

import datetime as dt

import duckdb
import pandas as pd
import pytest

from pipeline import publish

LINEAGE = {"run_id": "r1", "taxonomy_version": "tx-1", "embedder_id": "e", "topic_model_version": "t"}


def fact(period, n):
    return pd.DataFrame({"period": [period] * n, "category_id": [f"c{i}" for i in range(n)], "complaints": range(n)})


def test_rerun_replaces_the_period_and_keeps_others(tmp_path):
    db = tmp_path / "o.duckdb"
    sep, octo = dt.date(2026, 9, 1), dt.date(2026, 10, 1)
    publish.write_duckdb(db, {"fact_category_counts": pd.concat([fact(sep, 3), fact(octo, 2)])}, LINEAGE)
    rows = publish.write_duckdb(db, {"fact_category_counts": fact(octo, 4)}, {**LINEAGE, "run_id": "r2"})
    assert rows["fact_category_counts"] == 3 + 4
    again = publish.write_duckdb(db, {"fact_category_counts": fact(octo, 4)}, {**LINEAGE, "run_id": "r3"})
    assert again == rows
    with duckdb.connect(str(db)) as con:
        by_run = dict(con.execute("SELECT run_id, count(*) FROM fact_category_counts GROUP BY 1").fetchall())
        assert by_run == {"r1": 3, "r3": 4}
        assert con.execute("SELECT count(*) FROM fact_category_counts WHERE taxonomy_version = 'tx-1'").fetchone()[0] == 7


def test_failure_mid_write_leaves_database_unchanged(tmp_path):
    db = tmp_path / "o.duckdb"
    sep = dt.date(2026, 9, 1)
    publish.write_duckdb(db, {"fact_category_counts": fact(sep, 3)}, LINEAGE)
    bad = pd.DataFrame({"period": [sep], "category_id": ["x"], "complaints": ["many"]})
    with pytest.raises(duckdb.Error):
        # The first table is written, then the second fails: the whole run must roll back.
        publish.write_duckdb(db, {"fact_topic_counts": fact(sep, 5), "fact_category_counts": bad}, LINEAGE)
    with duckdb.connect(str(db)) as con:
        assert con.execute("SELECT count(*) FROM fact_category_counts").fetchone()[0] == 3
        tables = {r[0] for r in con.execute("SHOW TABLES").fetchall()}
        assert "fact_topic_counts" not in tables


def test_unknown_table_is_refused(tmp_path):
    with pytest.raises(ValueError, match="no replacement rule"):
        publish.write_duckdb(tmp_path / "o.duckdb", {"mystery": fact(dt.date(2026, 9, 1), 1)}, LINEAGE)


def test_parquet_export_matches_table(tmp_path):
    db = tmp_path / "o.duckdb"
    publish.write_duckdb(db, {"fact_category_counts": fact(dt.date(2026, 9, 1), 3)}, LINEAGE)
    paths = publish.export_parquet(db, tmp_path / "out", ["fact_category_counts"])
    df = pd.read_parquet(paths["fact_category_counts"])
    assert len(df) == 3 and set(publish.LINEAGE) <= set(df.columns)


def test_new_columns_are_added_to_existing_tables(tmp_path):
    db = tmp_path / "o.duckdb"
    sep, octo = dt.date(2026, 9, 1), dt.date(2026, 10, 1)
    publish.write_duckdb(db, {"fact_category_counts": fact(sep, 2)}, LINEAGE)
    publish.write_duckdb(db, {"fact_category_counts": fact(octo, 2).assign(praise=7)}, LINEAGE)
    with duckdb.connect(str(db)) as con:
        rows = con.execute("SELECT period, praise FROM fact_category_counts ORDER BY period").fetchall()
    assert [r[1] for r in rows] == [None, None, 7, 7]
