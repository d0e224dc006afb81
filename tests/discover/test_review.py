"""Review file and acceptance: a proposal becomes a taxonomy entry that loads and passes lint."""

import pandas as pd
import pytest
from typer.testing import CliRunner

from voc.cli import app
from pipeline.discover.emerging import EMERGING_COLUMNS
from pipeline.discover.review import ReviewFile, accept_proposal, build_proposals, read_review, write_review
from pipeline.errors import InputError
from pipeline.taxonomy import load_taxonomy

BASE = "taxonomies/automotive_v1.yaml"
runner = CliRunner()


def _emerging(rows):
    base = {"period": "2026-09-01", "period_feedback": 1000, "baseline_feedback": 4000, "dispersion": 1.0,
            "p_value": 1e-6, "baseline_periods": "a"}
    return pd.DataFrame([{**base, **r} for r in rows])[EMERGING_COLUMNS]


@pytest.fixture
def review_file(tmp_path):
    tax = load_taxonomy(BASE)
    emerging = _emerging([
        {"kind": "category", "key": "product.cockpit.lag", "count": 140, "rate": 0.14, "baseline_count": 160,
         "baseline_rate": 0.04, "growth": 3.5, "q_value": 1e-40, "is_emerging": True},
        {"kind": "topic", "key": "31", "count": 40, "rate": 0.04, "baseline_count": 8, "baseline_rate": 0.002,
         "growth": 20.0, "q_value": 1e-9, "is_emerging": True},
        {"kind": "topic", "key": "5", "count": 12, "rate": 0.012, "baseline_count": 40, "baseline_rate": 0.01,
         "growth": 1.2, "q_value": 0.5, "is_emerging": False},
    ])
    topics = pd.DataFrame([
        {"topic_id": 31, "label": "座椅·加热·不热·失灵", "keywords": "座椅|加热|不热|失灵|冬天", "category_id": None,
         "confidence": 0.2, "representative_clauses": "座椅加热不热 | 冬天座椅加热失灵了 | 主驾座椅加热开了没反应"},
        {"topic_id": 5, "label": "车机·卡顿", "keywords": "车机|卡顿", "category_id": "product.cockpit.lag",
         "confidence": 0.9, "representative_clauses": "车机卡顿"},
    ])
    props = build_proposals(emerging, topics, tax)
    path = write_review(tmp_path / "emerging-2026-09-01.yaml", ReviewFile(period="2026-09-01", topic_model_version="v", proposals=props))
    return path


def test_proposals_suggest_existing_or_draft_new(review_file):
    rf = read_review(review_file)
    assert [p.id for p in rf.proposals] == ["E1", "E2"]  # the non-emerging row is not proposed
    lag, seat = rf.proposals
    assert lag.suggestion == "existing" and lag.suggested_category == "product.cockpit.lag" and lag.proposed_category is None
    assert seat.suggestion == "new" and seat.growth == 20.0
    draft = seat.proposed_category
    assert set(draft.rules["any"]) <= {"座椅", "加热", "不热", "失灵", "冬天"} and "座椅" in draft.rules["any"]
    assert draft.examples["match"] and abs(sum(draft.owners.values()) - 1) < 1e-9
    assert draft.parent in load_taxonomy(BASE).categories


def test_accept_writes_a_category_that_loads_and_lints(review_file, tmp_path):
    out = tmp_path / "with_seat.yaml"
    tax = accept_proposal(review_file, "E2", BASE, out, category_id="product.hvac.seat_heating", name="座椅加热失灵",
                          parent="product.hvac", owners={"rnd_thermal": 0.6, "supplier_quality": 0.4})
    cat = tax.categories["product.hvac.seat_heating"]
    assert cat.name == "座椅加热失灵" and cat.owners == {"rnd_thermal": 0.6, "supplier_quality": 0.4}
    assert "product.hvac.seat_heating" in tax.leaf_ids and len(tax.categories) == len(load_taxonomy(BASE).categories) + 1
    assert read_review(review_file).proposals[1].decision == "accepted"
    result = runner.invoke(app, ["taxonomy", "lint", str(out)])
    assert result.exit_code == 0, result.output
    # Comments and the rest of the base file are kept as they were.
    base_text = open(BASE, encoding="utf-8").read()
    assert out.read_text(encoding="utf-8").startswith(base_text.split("version:")[0])


def test_accept_refuses_what_cannot_be_added(review_file, tmp_path):
    out = tmp_path / "x.yaml"
    with pytest.raises(InputError, match="nothing to add"):
        accept_proposal(review_file, "E1", BASE, out)
    with pytest.raises(InputError, match="no proposal 'E9'"):
        accept_proposal(review_file, "E9", BASE, out)
    with pytest.raises(InputError, match="already exists"):
        accept_proposal(review_file, "E2", BASE, out, category_id="product.cockpit.lag")
    with pytest.raises(InputError, match="contains any of the terms"):
        accept_proposal(review_file, "E2", BASE, out, terms=["天窗漏水"])  # no example contains it
    assert not out.exists()


def test_cli_review_and_accept(review_file, tmp_path):
    result = runner.invoke(app, ["topics", "review", str(review_file)])
    assert result.exit_code == 0 and "E2 [pending] topic 31" in result.output and "座椅加热不热" in result.output
    out = tmp_path / "cli.yaml"
    result = runner.invoke(app, ["topics", "accept", str(review_file), "E2", "--out", str(out), "--owner", "rnd_thermal=1",
                                 "--taxonomy", BASE])
    assert result.exit_code == 0, result.output
    assert "added product." in result.output and load_taxonomy(out)
    result = runner.invoke(app, ["topics", "accept", str(review_file), "E2", "--out", str(out), "--owner", "rnd_thermal",
                                 "--taxonomy", BASE])
    assert result.exit_code == 2 and "department=share" in result.output
