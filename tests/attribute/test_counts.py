"""Attribution counts: feedback-level union, share-weighted departments, volumes, periods."""

import pandas as pd
import pytest

from pipeline import attribute
from pipeline.taxonomy import load_taxonomy


@pytest.fixture(scope="module")
def tax():
    return load_taxonomy("taxonomies/automotive_v1.yaml")


@pytest.fixture()
def feedback():
    fb = pd.DataFrame({
        "feedback_id": ["a", "b", "c", "d"],
        "created_at": pd.to_datetime(["2026-09-03 10:00", "2026-09-30 23:59", "2026-10-01 00:00", "2026-10-02 08:00"]),
        "channel": ["nps", "nps", "app", "nps"],
        "vehicle_model": ["远航S7", "远航S7", None, "远航X5"],
        "region": ["华东", "华东", "华南", "华北"],
        "nps": pd.array([3, 10, pd.NA, 8], dtype="Int64"),
    })
    return attribute.add_period(fb, "month")


@pytest.fixture()
def mentions():
    return pd.DataFrame({
        "feedback_id": ["a", "a", "a", "b", "c", "d"],
        "clause_id": ["a#0", "a#1", "a#2", "b#0", "c#0", "d#0"],
        "category_id": ["product.cockpit.lag", "product.cockpit.lag", "product.nvh.abnormal_noise",
                        "product.cockpit.lag", "product.cockpit.lag", "product.nvh.abnormal_noise"],
        "polarity": ["complaint", "complaint", "complaint", "praise", "complaint", "praise"],
    })


def test_periods(feedback):
    assert [str(p) for p in feedback["period"]] == ["2026-09-01", "2026-09-01", "2026-10-01", "2026-10-01"]
    wk = attribute.add_period(feedback.drop(columns="period"), "week")
    assert str(wk["period"].iloc[0]) == "2026-08-31"  # the Monday


def test_category_counts_count_a_feedback_once_per_category(feedback, mentions):
    cc = attribute.category_counts(feedback, mentions)
    lag_sep = cc[(cc.category_id == "product.cockpit.lag") & (cc.period.astype(str) == "2026-09-01")]
    assert lag_sep["complaints"].sum() == 1  # feedback a mentions lag in two clauses
    assert lag_sep["praise"].sum() == 1  # feedback b
    assert cc["complaints"].sum() == 3  # a:lag, a:noise, c:lag
    assert "未知" in set(cc["vehicle_model"])  # missing dimension kept, not dropped


def test_department_counts_add_up_to_category_counts(feedback, mentions, tax):
    cc = attribute.category_counts(feedback, mentions)
    dc = attribute.department_counts(cc, tax)
    lag = dc[dc.category_id == "product.cockpit.lag"]
    assert set(lag.department_id) == {"rnd_cockpit", "rnd_software"}
    per_cat = dc.groupby("category_id")["weighted_complaints"].sum()
    expected = cc.groupby("category_id")["complaints"].sum()
    for cid, total in expected[expected > 0].items():
        assert per_cat[cid] == pytest.approx(total)
    assert dc["weighted_complaints"].sum() == pytest.approx(cc["complaints"].sum())
    noise = dc[dc.category_id == "product.nvh.abnormal_noise"].set_index("department_id")["weighted_complaints"]
    assert noise["manufacturing"] == pytest.approx(0.6)


def test_feedback_volume_nps_buckets(feedback):
    v = attribute.feedback_volume(feedback)
    assert v["feedback"].sum() == 4
    assert v["nps_responses"].sum() == 3
    assert (v["promoters"].sum(), v["passives"].sum(), v["detractors"].sum()) == (1, 1, 1)


def test_dimension_tables(tax):
    dims = attribute.dimension_tables(tax)
    cat = dims["dim_category"].set_index("category_id")
    assert cat.loc["safety.fire_smoke", "severity"] == "P0"
    assert cat.loc["product.cockpit.lag", "level"] == 3
    assert cat.loc["product.cockpit.lag", "path"] == "产品 / 智能座舱 / 车机卡顿"
    own = dims["dim_category_owner"].groupby("category_id")["share"].sum()
    assert (own.round(9) == 1).all()
