"""Department attribution, the loss model, the leaderboard and the competitor benchmark on small
tables whose answers are worked out by hand, plus the configuration files' located errors."""

import datetime as dt

import pandas as pd
import pytest

from pipeline.attribute.config import Economics, Leaderboard, load_economics, load_leaderboard
from pipeline.attribute.departments import department_attribution, loss_table, observed_days
from pipeline.attribute.leaderboard import competitor_benchmark, leaderboard, work_order_stats
from pipeline.errors import InputError

P1, P2 = dt.date(2026, 8, 1), dt.date(2026, 9, 1)
LAG, SALES = "product.cockpit.lag", "service.sales.attitude"  # owners: cockpit 0.7 / software 0.3; sales 1.0


def _counts(rows):
    return pd.DataFrame(rows, columns=["period", "channel", "vehicle_model", "region", "category_id", "complaints"])


def _drivers(rows):
    return pd.DataFrame(rows, columns=["period", "category_id", "impact_points", "extra_detractor_share"])


def test_attribution_splits_complaints_and_nps_loss_by_owner_share(taxonomy):
    cc = _counts([(P1, "nps", "远航S7", "华东", LAG, 60), (P1, "app", "远航S7", "华东", SALES, 40)])
    drv = _drivers([(P1, LAG, -6.0, 0.02), (P1, SALES, +2.0, 0.0)])  # sales *raises* NPS here: no loss
    a = department_attribution(cc, drv, taxonomy).set_index("department_id")
    assert a.loc["rnd_cockpit", "weighted_complaints"] == pytest.approx(42)
    assert a.loc["rnd_cockpit", "negative_share"] == pytest.approx(0.42)
    assert a.loc["sales", "negative_share"] == pytest.approx(0.40)
    assert a.loc["rnd_cockpit", "nps_loss_points"] == pytest.approx(4.2)
    assert a.loc["rnd_software", "nps_loss_share"] == pytest.approx(0.3) and a.loc["sales", "nps_loss_share"] == 0
    # KPI share: half complaints, half NPS loss.
    assert a.loc["rnd_cockpit", "kpi_share"] == pytest.approx(0.5 * 0.42 + 0.5 * 0.7)
    assert a[["negative_share", "nps_loss_share", "kpi_share"]].sum().tolist() == pytest.approx([1, 1, 1])


def test_loss_model_formula_by_hand(taxonomy):
    econ = load_economics("taxonomies/economics.yaml")
    cc = _counts([(P1, "social", "远航L9", "华东", LAG, 30), (P1, "nps", "远航Q3", "华东", LAG, 10)])
    drv = _drivers([(P1, LAG, -6.0, 0.02)])
    fb = pd.DataFrame({"period": [P1, P1], "created_at": pd.to_datetime(["2026-08-01 09:00", "2026-08-10 20:00"])})
    days = observed_days(fb)
    assert days[P1] == 10
    loss = loss_table(cc, drv, days, taxonomy, econ)
    cockpit = loss.set_index("department_id").loc["rnd_cockpit"]
    k = 365 / 10
    clv = (30 * 90000 + 10 * 45000) / 40  # complaint-weighted over 远航L9 and 远航Q3
    churn = 180000 * 0.02 * 0.25 * clv
    claims = 40 * k * 1.0 * 0.30 * 2000  # product: claim share 0.30; cockpit has no claim_cost -> default 2000
    labour = 40 * k * 2.5 * 220  # product: 2.5 h
    pr = 30 * k / 15 * 80000
    assert cockpit["clv"] == pytest.approx(clv)
    for col, want in (("churn_loss", churn), ("claim_loss", claims), ("labour_loss", labour), ("pr_loss", pr)):
        assert cockpit[col] == pytest.approx(0.7 * want), col
    assert loss["total_loss"].sum() == pytest.approx(churn + claims + labour + pr)


def test_leaderboard_lists_and_work_orders(taxonomy):
    attr = pd.DataFrame({
        "period": [P1, P1, P2, P2], "department_id": ["sales", "rnd_cockpit", "sales", "rnd_cockpit"],
        "weighted_complaints": [100.0, 50.0, 80.0, 90.0], "nps_loss_points": [1.0, 1.0, 0.5, 3.5],
        "nps_loss_share": [0.5, 0.5, 0.125, 0.875]})
    fb = pd.DataFrame({"feedback_id": ["w1", "w2", "w3", "w4"], "period": P2,
                       "created_at": pd.to_datetime(["2026-09-01"] * 4),
                       "work_order_status": ["closed", "closed", "open", "closed"],
                       "closed_at": pd.to_datetime(["2026-09-03", "2026-09-05", None, "2026-09-02"])})
    mentions = pd.DataFrame({"feedback_id": ["w1", "w2", "w3", "w4"], "category_id": [SALES, SALES, LAG, LAG],
                             "polarity": "complaint"})
    wo = work_order_stats(fb, mentions, taxonomy, within_days=4).set_index("department_id")
    assert wo.loc["sales", "resolution_rate"] == 1.0 and wo.loc["sales", "mean_days_to_close"] == pytest.approx(3.0)
    assert wo.loc["rnd_cockpit", "resolution_rate"] == pytest.approx(0.5)
    board = leaderboard(attr, work_order_stats(fb, mentions, taxonomy, 4), load_leaderboard("taxonomies/leaderboard.yaml"))
    sept = board[board["period"] == P2].set_index("department_id")
    assert sept.loc["rnd_cockpit", "rank"] == 1 and sept.loc["rnd_cockpit", "trend_pct"] == pytest.approx(80)
    assert sept.loc["rnd_cockpit", "list"] == "black"  # +80% complaints, 88% of the NPS loss, 50% resolved
    assert "resolution 50% < 85%" in sept.loc["rnd_cockpit", "reasons"]
    assert sept.loc["sales", "list"] == "red"  # complaints -20%, every work order closed
    assert board[board["period"] == P1]["list"].eq("black").sum() == 2  # each carries 50% of the NPS loss


def test_competitor_benchmark_rates_per_thousand():
    fb = pd.DataFrame({"feedback_id": [f"f{i}" for i in range(7)], "period": P1,
                       "brand": ["远航"] * 4 + ["比亚迪"] * 2 + [None]})
    mentions = pd.DataFrame({"feedback_id": ["f0", "f1", "f4", "f6"], "category_id": LAG, "polarity": "complaint"})
    b = competitor_benchmark(fb, mentions, "远航").set_index("brand")
    assert b.loc["远航", "rate_per_1000"] == pytest.approx(500) and b.loc["比亚迪", "rate_per_1000"] == pytest.approx(500)
    assert b.loc["比亚迪", "brand_feedback"] == 2 and b.loc["比亚迪", "gap_per_1000"] == pytest.approx(0)
    assert bool(b.loc["远航", "is_own_brand"]) and not bool(b.loc["比亚迪", "is_own_brand"])


def test_config_errors_name_file_line_and_field(tmp_path):
    text = open("taxonomies/economics.yaml", encoding="utf-8").read().replace("churn_uplift: 0.25", "churn_uplift: 1.5")
    bad = tmp_path / "economics.yaml"
    bad.write_text(text, encoding="utf-8")
    line = next(i for i, t in enumerate(text.splitlines(), 1) if t.startswith("churn_uplift"))
    with pytest.raises(InputError, match=rf"economics.yaml:{line}: field 'churn_uplift'"):
        load_economics(bad)
    lb = tmp_path / "leaderboard.yaml"
    lb.write_text("kpi_weights:\n  complaints: 0.7\n  nps: 0.7\n", encoding="utf-8")
    with pytest.raises(InputError, match="leaderboard.yaml:1: field 'kpi_weights'.*sum to 1"):
        load_leaderboard(lb)
    assert isinstance(Leaderboard(), Leaderboard) and Economics.model_fields["customer_base"]


def test_young_work_orders_do_not_count_against_resolution(taxonomy):
    fb = pd.DataFrame({"feedback_id": ["old", "young"], "period": P2,
                       "created_at": pd.to_datetime(["2026-09-01", "2026-09-29"]),
                       "work_order_status": ["closed", "open"], "closed_at": pd.to_datetime(["2026-09-20", None])})
    mentions = pd.DataFrame({"feedback_id": ["old", "young"], "category_id": SALES, "polarity": "complaint"})
    wo = work_order_stats(fb, mentions, taxonomy, within_days=14).set_index("department_id")
    # old closed after 19 days: not within 14; young (opened 1 day before the newest data) is not judged yet.
    assert wo.loc["sales", "work_orders"] == 1 and wo.loc["sales", "resolution_rate"] == 0.0


def test_a_category_removed_from_the_taxonomy_counts_in_no_department(taxonomy, caplog):
    """Stored mentions of an earlier taxonomy version (an analyst removed the category since) must not stop
    the facts of an incremental run: they keep their counts and are owned by no department, and it is said."""
    from pipeline.attribute.counts import department_counts

    gone = "product.retired.rattle"
    cc = _counts([(P1, "nps", "远航S7", "华东", LAG, 60), (P1, "app", "远航S7", "华东", gone, 40)])
    drv = _drivers([(P1, LAG, -6.0, 0.02), (P1, gone, -3.0, 0.01)])
    with caplog.at_level("WARNING"):
        a = department_attribution(cc, drv, taxonomy).set_index("department_id")
        dc = department_counts(cc, taxonomy)
    assert set(a.index) == {"rnd_cockpit", "rnd_software"}
    assert a["weighted_complaints"].sum() == pytest.approx(60)
    assert gone not in set(dc["category_id"]) and dc["weighted_complaints"].sum() == pytest.approx(60)
    warned = [r.getMessage() for r in caplog.records if gone in r.getMessage()]
    assert len(warned) == 1 and "owned by no department" in warned[0]
