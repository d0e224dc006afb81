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
    publish.write(db, {"fact_category_counts": pd.concat([fact(sep, 3), fact(octo, 2)])}, LINEAGE)
    rows = publish.write(db, {"fact_category_counts": fact(octo, 4)}, {**LINEAGE, "run_id": "r2"})
    assert rows["fact_category_counts"] == 3 + 4
    again = publish.write(db, {"fact_category_counts": fact(octo, 4)}, {**LINEAGE, "run_id": "r3"})
    assert again == rows
    with duckdb.connect(str(db)) as con:
        by_run = dict(con.execute("SELECT run_id, count(*) FROM fact_category_counts GROUP BY 1").fetchall())
        assert by_run == {"r1": 3, "r3": 4}
        assert con.execute("SELECT count(*) FROM fact_category_counts WHERE taxonomy_version = 'tx-1'").fetchone()[0] == 7


def test_failure_mid_write_leaves_database_unchanged(tmp_path):
    db = tmp_path / "o.duckdb"
    sep = dt.date(2026, 9, 1)
    publish.write(db, {"fact_category_counts": fact(sep, 3)}, LINEAGE)
    bad = pd.DataFrame({"period": [sep], "category_id": ["x"], "complaints": ["many"]})
    with pytest.raises(duckdb.Error):
        # The first table is written, then the second fails: the whole run must roll back.
        publish.write(db, {"fact_topic_counts": fact(sep, 5), "fact_category_counts": bad}, LINEAGE)
    with duckdb.connect(str(db)) as con:
        assert con.execute("SELECT count(*) FROM fact_category_counts").fetchone()[0] == 3
        tables = {r[0] for r in con.execute("SHOW TABLES").fetchall()}
        assert "fact_topic_counts" not in tables


def test_unknown_table_is_refused(tmp_path):
    with pytest.raises(ValueError, match="no replacement rule"):
        publish.write(tmp_path / "o.duckdb", {"mystery": fact(dt.date(2026, 9, 1), 1)}, LINEAGE)


def test_parquet_export_matches_table(tmp_path):
    db = tmp_path / "o.duckdb"
    publish.write(db, {"fact_category_counts": fact(dt.date(2026, 9, 1), 3)}, LINEAGE)
    paths = publish.export(db, tmp_path / "out", ["fact_category_counts"])
    df = pd.read_parquet(paths["fact_category_counts"])
    assert len(df) == 3 and set(publish.LINEAGE) <= set(df.columns)


def test_new_columns_are_added_to_existing_tables(tmp_path):
    db = tmp_path / "o.duckdb"
    sep, octo = dt.date(2026, 9, 1), dt.date(2026, 10, 1)
    publish.write(db, {"fact_category_counts": fact(sep, 2)}, LINEAGE)
    publish.write(db, {"fact_category_counts": fact(octo, 2).assign(praise=7)}, LINEAGE)
    with duckdb.connect(str(db)) as con:
        rows = con.execute("SELECT period, praise FROM fact_category_counts ORDER BY period").fetchall()
    assert [r[1] for r in rows] == [None, None, 7, 7]


def _details(ids, day, category="product.cockpit.lag"):
    """Minimal detail tables for feedback `ids` created on `day`, each complaining about `category`."""
    period = dt.date(day.year, day.month, 1)
    feedback = pd.DataFrame({
        "feedback_id": ids, "created_at": pd.Timestamp(day), "channel": "nps", "vehicle_model": "远航S7",
        "region": "华东", "nps": pd.array([5] * len(ids), dtype="Int64"), "period": period,
    })
    clauses = pd.DataFrame({"clause_id": [f"{i}#0" for i in ids], "feedback_id": ids, "topic_id": 0, "period": period})
    mentions = pd.DataFrame({"clause_id": [f"{i}#0" for i in ids], "feedback_id": ids, "category_id": category,
                             "polarity": "complaint", "period": period})
    return {"feedback": feedback, "clauses": clauses, "mentions": mentions}


def test_a_run_fed_part_of_a_month_recomputes_the_month_from_all_stored_feedback(tmp_path):
    from functools import partial

    from pipeline import attribute
    from pipeline.taxonomy import load_taxonomy

    derive = partial(attribute.fact_tables, taxonomy=load_taxonomy("taxonomies/automotive_v1.yaml"))
    db = tmp_path / "o.duckdb"
    publish.write(db, _details(["a", "b"], dt.date(2026, 9, 3)), LINEAGE, derive=derive)
    second = publish.write(db, _details(["c"], dt.date(2026, 9, 20)), {**LINEAGE, "run_id": "r2"}, derive=derive)
    sql = "SELECT sum(complaints), sum(weighted_complaints) FROM fact_department_counts"
    with duckdb.connect(str(db)) as con:
        assert con.execute("SELECT sum(complaints) FROM fact_category_counts").fetchone()[0] == 3
        assert con.execute(sql).fetchone()[1] == pytest.approx(3.0)
        assert con.execute("SELECT sum(feedback) FROM fact_feedback_volume").fetchone()[0] == 3
    # The same day's file again: feedback c is replaced, not duplicated, and the month still counts 3.
    again = publish.write(db, _details(["c"], dt.date(2026, 9, 20), "product.nvh.abnormal_noise"),
                                 {**LINEAGE, "run_id": "r3"}, derive=derive)
    assert {t: again[t] for t in publish.DETAIL_TABLES} == {t: second[t] for t in publish.DETAIL_TABLES}
    with duckdb.connect(str(db)) as con:
        by_cat = dict(con.execute("SELECT category_id, sum(complaints) FROM fact_category_counts GROUP BY 1").fetchall())
        assert by_cat == {"product.cockpit.lag": 2, "product.nvh.abnormal_noise": 1}
        assert con.execute("SELECT count(*) FROM mentions WHERE feedback_id = 'c'").fetchone()[0] == 1


def test_calendar_dimension_and_loss_per_period_for_bi_tools(small_run, tmp_path):
    """dim_calendar labels every stored period (Chinese and ISO, latest flag); v_loss_by_period gives the money
    of each period, which sums over periods, beside the yearly rate, which does not; no keyword column names."""
    tables, derive = small_run
    db = tmp_path / "o.duckdb"
    publish.write(db, tables, LINEAGE, derive=derive)
    with duckdb.connect(str(db), read_only=True) as con:
        cal = con.execute("SELECT * FROM dim_calendar ORDER BY period").df()
        periods = sorted(r[0] for r in con.execute("SELECT DISTINCT period FROM feedback").fetchall())
        loss = con.execute("SELECT * FROM v_loss_by_period").df()
        fact = con.execute("SELECT * FROM fact_loss").df()
        keywords = {r[0] for r in con.execute("SELECT keyword_name FROM duckdb_keywords()").fetchall()}
        columns = con.execute("SELECT table_name, column_name FROM duckdb_columns() WHERE NOT internal").fetchall()
    assert [p.date() for p in pd.to_datetime(cal["period"])] == periods
    last = cal.iloc[-1]
    assert cal["is_latest"].tolist() == [False] * (len(cal) - 1) + [True] and cal["is_previous"].sum() == 1
    assert last["grain"] == "month" and last["label_zh"] == f"{last['year']}年{last['month']}月"
    assert last["month_iso"] == f"{last['year']}-{last['month']:02d}" and last["week_iso"].startswith(f"{last['iso_year']}-W")
    assert last["period_key"] == int(pd.Timestamp(last["period"]).strftime("%Y%m%d"))
    assert last["n_days"] == pd.Timestamp(last["period"]).days_in_month
    # The period's money = yearly rate x n_days / 365, and summing it over periods means something.
    assert "days" not in fact.columns and (fact["n_days"] > 0).all()
    assert fact["total_loss_period"].to_numpy() == pytest.approx((fact["total_loss"] * fact["n_days"] / 365).to_numpy())
    assert loss["total_loss_period"].sum() == pytest.approx(fact["total_loss_period"].sum())
    assert loss["total_loss_period_wan"].sum() == pytest.approx(fact["total_loss_period"].sum() / 1e4)
    assert (loss["total_loss_annual_rate"] >= loss["total_loss_period"]).all()
    bad = sorted(f"{t}.{c}" for t, c in columns if c.lower() in keywords and c.lower() in {"days", "day", "month",
                 "year", "week", "order", "group", "user", "value", "date", "time"})
    assert bad == [] or all(t.startswith("dim_calendar.") for t in bad), bad


def test_read_many_gives_what_read_gives_each_table(tmp_path):
    db = tmp_path / "o.duckdb"
    assert publish.read_many(db, ["fact_category_counts"])["fact_category_counts"].empty  # no file yet
    publish.write(db, {"fact_category_counts": fact(dt.date(2026, 9, 1), 3)}, LINEAGE)
    names = ["fact_category_counts", "runs", "no_such_table"]
    many = publish.read_many(db, names)
    assert list(many) == names
    for name in names:
        pd.testing.assert_frame_equal(many[name], publish.read(db, name))
    assert len(many["fact_category_counts"]) == 3 and many["no_such_table"].empty
