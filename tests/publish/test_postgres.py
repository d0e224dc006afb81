"""PostgreSQL output against a real server: the same run gives the same tables as DuckDB, a re-run of
a period changes no row count, a failed write leaves nothing behind."""

import datetime as dt

import duckdb
import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from pipeline import publish
from pipeline.store.sql_store import read_table
from pipeline.views import VIEWS
from tests.publish.conftest import LINEAGE


def _normal(df: pd.DataFrame) -> pd.DataFrame:
    """Backend-neutral values: dates and timestamps as datetime64, numbers as float, text as str."""
    out = {}
    for c in df.columns:
        s = df[c]
        first = s.dropna().iloc[0] if s.notna().any() else None
        if isinstance(first, (dt.date, pd.Timestamp)) or pd.api.types.is_datetime64_any_dtype(s):
            out[c] = pd.to_datetime(s).astype("datetime64[us]")
        elif pd.api.types.is_bool_dtype(s) or isinstance(first, (bool, np.bool_)):
            out[c] = s.astype("float64")
        elif pd.api.types.is_numeric_dtype(s) or isinstance(first, (int, float, np.number)):
            out[c] = pd.to_numeric(s).astype("float64")
        else:
            out[c] = s.astype(object).where(s.notna(), None)
    df = pd.DataFrame(out)[sorted(df.columns)]
    keys = [c for c in df.columns if df[c].dtype == object or "datetime" in str(df[c].dtype)] or list(df.columns)
    return df.sort_values(keys + [c for c in df.columns if c not in keys]).reset_index(drop=True)


def _duck(db, name):
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(f'SELECT * FROM "{name}"').df()


@pytest.mark.slow
def test_same_run_gives_identical_tables_in_duckdb_and_postgres(small_run, postgres_url, tmp_path):
    tables, derive = small_run
    db = tmp_path / "o.duckdb"
    rows_duck = publish.write(db, tables, LINEAGE, derive=derive)
    rows_pg = publish.write(postgres_url, tables, LINEAGE, derive=derive)
    assert rows_pg == rows_duck
    assert rows_duck["fact_nps_drivers"] > 0 and rows_duck["fact_nps_change"] > 0
    with duckdb.connect(str(db), read_only=True) as con:
        views = {r[0] for r in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
    assert {"v_category_counts", "v_nps", "v_nps_drivers", "dim_channel", "dim_calendar", "v_loss_by_period"} <= views
    for name in [*sorted(rows_duck), *sorted(views & set(VIEWS))]:
        a, b = _normal(_duck(db, name)), _normal(read_table(postgres_url, name))
        assert list(a.columns) == list(b.columns), name
        pd.testing.assert_frame_equal(a, b, check_dtype=False, rtol=1e-5, obj=name)
    # Re-running the same period replaces it: no table grows (runs is a log and gets one more row).
    again = publish.write(postgres_url, tables, {**LINEAGE, "run_id": "run-2"}, derive=derive)
    assert {k: v for k, v in again.items() if k != "runs"} == {k: v for k, v in rows_pg.items() if k != "runs"}
    assert again["runs"] == rows_pg["runs"] + 1
    # The report and the loss printout read PostgreSQL as they read DuckDB.
    from pipeline.report.html import write_report

    pages = [write_report(t, tmp_path / name, {"run_id": "r"}).read_text(encoding="utf-8")
             for name, t in (("duck", db), ("pg", postgres_url))]
    assert pages[0].count("Plotly.newPlot") == pages[1].count("Plotly.newPlot") >= 4
    nps = read_table(postgres_url, "v_nps")
    total = nps[["promoters", "detractors", "nps_responses"]].sum()
    assert total["nps_responses"] == tables["feedback"]["nps"].notna().sum()


def test_failed_write_leaves_postgres_unchanged(postgres_url):
    sep = dt.date(2026, 9, 1)
    good = pd.DataFrame({"period": [sep] * 3, "category_id": ["a", "b", "c"], "complaints": [1, 2, 3]})
    publish.write(postgres_url, {"fact_category_counts": good}, LINEAGE)
    bad = pd.DataFrame({"period": [sep], "category_id": ["x"], "complaints": ["many"]})
    with pytest.raises(Exception):
        publish.write(postgres_url, {"fact_topic_counts": good, "fact_category_counts": bad}, LINEAGE)
    assert len(read_table(postgres_url, "fact_category_counts")) == 3
    engine = sa.create_engine(postgres_url)
    with engine.connect() as conn:
        tabs = {r[0] for r in conn.execute(sa.text("SELECT table_name FROM information_schema.tables")).fetchall()}
    engine.dispose()
    assert "fact_topic_counts" not in tabs


def test_parquet_export_from_postgres(postgres_url, tmp_path):
    good = pd.DataFrame({"period": [dt.date(2026, 9, 1)], "category_id": ["a"], "complaints": [4]})
    publish.write(postgres_url, {"fact_category_counts": good}, LINEAGE)
    paths = publish.export(postgres_url, tmp_path / "out", ["fact_category_counts"])
    df = pd.read_parquet(paths["fact_category_counts"])
    assert df["complaints"].tolist() == [4] and df["run_id"].tolist() == ["run-1"]


@pytest.mark.slow
def test_a_window_rerun_replaces_exactly_that_window_in_both_backends(small_run, postgres_url, tmp_path):
    from pipeline.windows import Window

    tables, derive = small_run
    db = tmp_path / "w.duckdb"
    fb = tables["feedback"]
    window = Window(dt.date(2026, 9, 1), dt.date(2026, 10, 1))
    lo, hi = window.bounds()
    inside = fb[(fb["created_at"] >= lo) & (fb["created_at"] < hi)]
    gone = inside["feedback_id"].iloc[0]  # e.g. a row now quarantined: the re-run no longer has it
    rerun = {
        "feedback": inside[inside["feedback_id"] != gone],
        "clauses": tables["clauses"][tables["clauses"]["feedback_id"].isin(inside["feedback_id"])
                                     & (tables["clauses"]["feedback_id"] != gone)],
        "mentions": tables["mentions"][tables["mentions"]["feedback_id"].isin(inside["feedback_id"])
                                       & (tables["mentions"]["feedback_id"] != gone)],
    }
    sources = sorted(fb["source"].unique())
    for target in (db, postgres_url):
        publish.write(target, tables, LINEAGE, derive=derive)
        for _ in range(2):  # twice: a window re-run is idempotent
            rows = publish.write(target, rerun, {**LINEAGE, "run_id": "run-w"}, derive=derive,
                                 replace_window=(window, sources))
        assert rows["feedback"] == len(fb) - 1
        stored = publish.read(target, "feedback")
        assert gone not in set(stored["feedback_id"]) and stored["feedback_id"].is_unique
        assert (publish.read(target, "mentions")["feedback_id"] != gone).all()
    sep = lambda t: _normal(publish.read(t, "fact_category_counts").drop(columns=["run_id"]))  # noqa: E731
    pd.testing.assert_frame_equal(sep(db), sep(postgres_url), check_dtype=False, rtol=1e-5)


def test_runs_on_one_postgres_database_cannot_interleave(postgres_url):
    import threading

    from flows.resume import RunLockedError, run_lock

    held, release = threading.Event(), threading.Event()

    def first():
        with run_lock(postgres_url, timeout_s=5):
            held.set()
            release.wait(30)

    t = threading.Thread(target=first)
    t.start()
    try:
        assert held.wait(30)
        with pytest.raises(RunLockedError, match="another run is writing"):
            with run_lock(postgres_url, timeout_s=1):
                pass
    finally:
        release.set()
        t.join(30)
    with run_lock(postgres_url, timeout_s=5):
        pass


@pytest.mark.slow
def test_a_rerun_of_the_same_data_keeps_the_facts_in_postgres_too(small_run, postgres_url, tmp_path):
    from tests.publish.test_derivations import Counting, _key

    tables, derive = small_run
    counted, db = Counting(derive), tmp_path / "o.duckdb"
    first = publish.write(postgres_url, tables, LINEAGE, derive=counted, derive_key=_key())
    again = publish.write(postgres_url, tables, {**LINEAGE, "run_id": "run-2"}, derive=counted, derive_key=_key())
    assert counted.calls == 1 and again == {**first, "runs": 2}  # runs is a log: one row per run
    assert set(read_table(postgres_url, "fact_nps_drivers")["run_id"]) == {"run-2"}
    for lineage in (LINEAGE, {**LINEAGE, "run_id": "run-2"}):  # the same two runs in DuckDB, each derived
        publish.write(db, tables, lineage, derive=derive)
    for name in sorted(again):
        a, b = _normal(read_table(postgres_url, name)), _normal(_duck(db, name))
        pd.testing.assert_frame_equal(a, b, check_dtype=False, rtol=1e-5, obj=name)
    kept = read_table(postgres_url, "derivations")
    assert len(kept) == tables["feedback"]["period"].nunique() and set(kept["run_id"]) == {"run-2"}
    # One changed score: derived again.
    fb = tables["feedback"]
    who = fb.index[fb["nps"].notna()][0]
    changed = {**tables, "feedback": fb.assign(nps=fb["nps"].where(fb.index != who, 10 - fb.loc[who, "nps"]))}
    publish.write(postgres_url, changed, {**LINEAGE, "run_id": "run-3"}, derive=counted, derive_key=_key())
    assert counted.calls == 2
