"""A re-run whose detail rows are those its periods' facts were derived from keeps the facts (no NPS model is
fitted again), and leaves every table exactly as deriving them again would; any changed row derives again."""

import datetime as dt

import duckdb
import pandas as pd
import pytest

from pipeline import attribute, publish
from pipeline.store import derivation_periods
from pipeline.store.fingerprint import FINGERPRINTS
from tests.publish.conftest import LINEAGE

SECOND = {**LINEAGE, "run_id": "run-2"}


class Counting:
    """The derivation, counting its calls."""

    def __init__(self, derive):
        self.derive, self.calls = derive, 0

    def __call__(self, details):
        self.calls += 1
        return self.derive(details)


def _key(extra: str = "") -> str:
    from pipeline.taxonomy import load_taxonomy

    return attribute.derivation_key(load_taxonomy("taxonomies/automotive_v1.yaml")) + extra


def _every_table(db) -> dict[str, pd.DataFrame]:
    """Every table, rows in stored order, and every view, rows sorted (a view's SELECT DISTINCT or GROUP BY
    gives its rows in no particular order)."""
    with duckdb.connect(str(db), read_only=True) as con:
        names = con.execute("SELECT table_name, table_type FROM information_schema.tables ORDER BY 1").fetchall()
        out = {}
        for name, kind in names:
            df = con.execute(f'SELECT * FROM "{name}"').df()
            if kind == "VIEW" and len(df.columns):
                df = df.sort_values(list(df.columns), key=lambda c: c.astype(str), ignore_index=True)
            out[name] = df
        return out


def _same_database(a, b, tmp_path, exported: list[str]) -> None:
    ta, tb = _every_table(a), _every_table(b)
    assert list(ta) == list(tb)
    for name in ta:
        pd.testing.assert_frame_equal(ta[name], tb[name], check_exact=True, obj=name)
    pa, pb = publish.export(a, tmp_path / "a", exported), publish.export(b, tmp_path / "b", exported)
    for name in exported:
        assert pa[name].read_bytes() == pb[name].read_bytes(), name


def _full_rerun(db, tables, derive, lineage, key) -> dict:
    """A re-run that derives its periods' facts again (their stored fingerprints deleted first)."""
    with duckdb.connect(str(db)) as con:
        stored = [r[0] for r in con.execute("SELECT DISTINCT period FROM feedback").fetchall()]
        periods = pd.DataFrame({"period": derivation_periods(tables["feedback"]["period"], stored)[1]})
        con.execute(f"DELETE FROM {FINGERPRINTS} WHERE period IN (SELECT period FROM periods)")
    return publish.write(db, tables, lineage, derive=derive, derive_key=key)


def test_the_same_data_twice_keeps_the_facts_byte_for_byte(small_run, tmp_path):
    tables, derive = small_run
    kept, full = tmp_path / "kept.duckdb", tmp_path / "full.duckdb"
    counted = Counting(derive)
    for db in (kept, full):
        publish.write(db, tables, LINEAGE, derive=counted, derive_key=_key())
    assert counted.calls == 2
    rows = publish.write(kept, tables, SECOND, derive=counted, derive_key=_key())
    assert counted.calls == 2  # nothing changed: no derivation, no NPS model fitted
    assert _full_rerun(full, tables, counted, SECOND, _key()) == rows and counted.calls == 3
    assert rows["fact_nps_drivers"] > 0 and rows["fact_loss"] > 0
    _same_database(kept, full, tmp_path, sorted(rows))
    facts = publish.read(kept, "fact_nps_drivers")
    assert set(facts["run_id"]) == {"run-2"}  # stamped with the run that wrote the period, as a derivation would


def test_one_changed_row_derives_its_periods_again(small_run, tmp_path):
    tables, derive = small_run
    fb = tables["feedback"]
    latest = fb["period"].max()
    month = {
        "feedback": fb[fb["period"] == latest],
        **{t: tables[t][tables[t]["period"] == latest] for t in ("clauses", "mentions")},
    }
    # One respondent of the latest month now gives another score.
    who = month["feedback"].index[month["feedback"]["nps"].notna()][0]
    changed = {**month, "feedback": month["feedback"].assign(
        nps=month["feedback"]["nps"].where(month["feedback"].index != who, 10 - month["feedback"].loc[who, "nps"]))}
    kept, full = tmp_path / "kept.duckdb", tmp_path / "full.duckdb"
    counted = Counting(derive)
    for db in (kept, full):
        publish.write(db, tables, LINEAGE, derive=counted, derive_key=_key())
    publish.write(kept, month, SECOND, derive=counted, derive_key=_key())
    assert counted.calls == 3  # the month alone with the one before it: another derivation, run once
    publish.write(kept, month, SECOND, derive=counted, derive_key=_key())
    assert counted.calls == 3  # and the same month again keeps what that one derived
    before = publish.read(kept, "fact_nps_drivers")
    rows = publish.write(kept, changed, {**LINEAGE, "run_id": "run-3"}, derive=counted, derive_key=_key())
    assert counted.calls == 4
    publish.write(full, month, SECOND, derive=counted, derive_key=_key())
    assert _full_rerun(full, changed, counted, {**LINEAGE, "run_id": "run-3"}, _key()) == rows
    _same_database(kept, full, tmp_path, sorted(rows))
    after = publish.read(kept, "fact_nps_drivers")
    was, now = (d[pd.to_datetime(d["period"]) == pd.Timestamp(latest)] for d in (before, after))
    assert not was["nps"].equals(now["nps"])  # the change reached the facts
    assert set(now["run_id"]) == {"run-3"}


def test_another_derivation_or_facts_written_directly_derive_again(small_run, tmp_path):
    tables, derive = small_run
    db = tmp_path / "o.duckdb"
    counted = Counting(derive)
    publish.write(db, tables, LINEAGE, derive=counted, derive_key=_key())
    publish.write(db, tables, SECOND, derive=counted, derive_key=_key("|other settings"))
    assert counted.calls == 2
    publish.write(db, tables, SECOND, derive=counted)  # no key: derived, and nothing recorded to keep
    publish.write(db, tables, SECOND, derive=counted, derive_key=_key())
    assert counted.calls == 4
    # Facts of a period written by hand are not what the derivation left: the next run derives again.
    period = tables["feedback"]["period"].min()
    publish.write(db, {"fact_category_counts": pd.DataFrame({"period": [period], "category_id": ["x"],
                                                             "complaints": [1]})}, SECOND)
    publish.write(db, tables, SECOND, derive=counted, derive_key=_key())
    assert counted.calls == 5
    assert "x" not in set(publish.read(db, "fact_category_counts")["category_id"])


def test_fingerprints_are_per_derivation_not_per_period(tmp_path):
    """September derived alone has no NPS change; with August before it, it has one: same rows, other facts."""
    from pipeline.taxonomy import load_taxonomy
    from tests.publish.test_duckdb import _details

    derive = Counting(lambda d: attribute.fact_tables(d, load_taxonomy("taxonomies/automotive_v1.yaml")))
    db = tmp_path / "o.duckdb"
    sep = _details(["a", "b"], dt.date(2026, 9, 3))
    publish.write(db, sep, LINEAGE, derive=derive, derive_key=_key())
    assert publish.read(db, "fact_nps_change").empty
    # A late August export: September, the stored period after it, is derived again with August before it.
    publish.write(db, _details(["c"], dt.date(2026, 8, 3)), LINEAGE, derive=derive, derive_key=_key())
    assert derive.calls == 2
    change = publish.read(db, "fact_nps_change")
    assert set(pd.to_datetime(change["period"]).dt.date) == {dt.date(2026, 9, 1)}
    publish.write(db, sep, SECOND, derive=derive, derive_key=_key())  # the same September again
    pd.testing.assert_frame_equal(publish.read(db, "fact_nps_change").drop(columns="run_id"),
                                  change.drop(columns="run_id"))


def _scored(ids, day, nps):
    from tests.publish.test_duckdb import _details

    d = _details(ids, day)
    return {**d, "feedback": d["feedback"].assign(nps=pd.array(nps, dtype="Int64"))}


@pytest.mark.parametrize("key", [None, "keyed"])
def test_a_run_into_the_latest_month_keeps_the_month_before_it_whole(tmp_path, key):
    """The month before a touched one is read for its NPS change, and keeps its own change from the month
    before it (a derivation that cannot see that month would have deleted it)."""
    from pipeline.taxonomy import load_taxonomy

    derive = Counting(lambda d: attribute.fact_tables(d, load_taxonomy("taxonomies/automotive_v1.yaml")))
    key = _key() if key else None
    db = tmp_path / "o.duckdb"
    months = [_scored(["a", "b"], dt.date(2026, 7, 3), [9, 10]), _scored(["c", "d"], dt.date(2026, 8, 3), [3, 10]),
              _scored(["e", "f"], dt.date(2026, 9, 3), [0, 2])]
    publish.write(db, {t: pd.concat([m[t] for m in months], ignore_index=True) for t in months[0]}, LINEAGE,
                  derive=derive, derive_key=key)
    before = publish.read(db, "fact_nps_change")
    by_period = before.groupby(pd.to_datetime(before["period"]).dt.date)["nps_change"].first()
    assert by_period.to_dict() == {dt.date(2026, 8, 1): -100.0, dt.date(2026, 9, 1): -100.0}
    publish.write(db, _scored(["g"], dt.date(2026, 9, 20), [10]), SECOND, derive=derive, derive_key=key)
    after = publish.read(db, "fact_nps_change")
    by_period = after.groupby(pd.to_datetime(after["period"]).dt.date)["nps_change"].first()
    assert by_period[dt.date(2026, 8, 1)] == -100.0  # August keeps its change from July
    assert by_period[dt.date(2026, 9, 1)] == pytest.approx(-100 / 3)  # September: (-100 + -100 + 100) / 3 - 0
    august = after[pd.to_datetime(after["period"]).dt.date == dt.date(2026, 8, 1)]
    assert set(august["run_id"]) == {LINEAGE["run_id"]}  # left as stored, not rewritten
