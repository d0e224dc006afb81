"""Rules: negation scope, proximity, exclusions, multi-label, praise, red-line phrasing."""

import pandas as pd
import pytest

from pipeline.classify import Classifier, RuleMatcher, example_failures
from pipeline.taxonomy import load_taxonomy


@pytest.fixture(scope="module")
def tax():
    return load_taxonomy("taxonomies/automotive_v1.yaml")


@pytest.fixture(scope="module")
def matcher(tax):
    return RuleMatcher(tax)


def complaints(matcher, text):
    return {h.category_id for h in matcher.match(text) if h.kind == "complaint" and h.state is None}


@pytest.mark.parametrize(
    "text,state",
    [
        ("开了一年没有任何异响", "negated"),
        ("从来没出现过异响", "negated"),
        ("车机从来没卡过", "negated"),
        ("修完之后不再异响", "resolved"),
        ("再也没有异响了", "resolved"),
        ("上次黑屏的问题更新后没再出现", "resolved"),
        ("之前漏水的问题已经修好了", "resolved"),
        ("换了密封条以后风噪就没了", "resolved"),
        ("漏水修了三次还没修好了", None),  # not resolved
        ("车机卡顿一直没解决", None),
        ("没多久就异响了", None),  # 没多久 is not a negation
        ("动不动就卡顿", None),
        ("不到一年就有异响", None),
        ("别的都好就是异响", None),
        ("空调不制冷", None),  # the negation is part of the complaint term
    ],
)
def test_negation_scope(matcher, text, state):
    hits = [h for h in matcher.match(text) if h.kind == "complaint"]
    assert hits, text
    assert hits[0].state == state


def test_proximity_needs_terms_within_window(matcher):
    assert "product.cockpit.lag" in complaints(matcher, "车机又卡了")
    assert "product.cockpit.lag" not in complaints(matcher, "车机是新款的，外观漂亮内饰豪华座椅舒服，前面那辆车卡在路口")


def test_exclusion_lane_and_false_friends(matcher):
    assert complaints(matcher, "信用卡积分兑换的卡券用不了") == set()
    # 风噪 belongs to wind noise, and excludes abnormal noise
    assert complaints(matcher, "高速风噪响声很大") == {"product.nvh.wind_noise"}


def test_multi_label_clause_and_praise(matcher):
    found = {(h.category_id, h.kind) for h in matcher.match("车机很流畅，但是有异响")}
    assert ("product.cockpit.lag", "praise") in found
    assert ("product.nvh.abnormal_noise", "complaint") in found


@pytest.mark.parametrize(
    "text,cat",
    [
        ("踩刹车没反应差点追尾", "safety.brake_failure"),
        ("刹车踩到底都刹不住", "safety.brake_failure"),
        ("车突然没动力了", "safety.power_loss"),
        ("高速上突然断电", "safety.power_loss"),
        ("电池包冒烟", "safety.fire_smoke"),
        ("机舱冒白烟", "safety.fire_smoke"),
    ],
)
def test_red_line_indirect_phrasing(matcher, text, cat):
    assert cat in complaints(matcher, text)


def test_every_taxonomy_example_behaves(tax, matcher):
    assert example_failures(tax, matcher) == []


def test_example_check_reports_examples_the_rules_get_wrong(tmp_path):
    text = """\
version: t
departments: {d: {name: 部门}}
categories:
  noise:
    name: 异响
    owners: {d: 1.0}
    rules: {any: [异响]}
    examples: {match: [底盘异响, 底盘咯吱咯吱], no_match: [异响很大, 没有任何异响]}
"""
    (tmp_path / "t.yaml").write_text(text, encoding="utf-8")
    assert example_failures(load_taxonomy(tmp_path / "t.yaml")) == [
        ("noise", "底盘咯吱咯吱", "should match but does not"),
        ("noise", "异响很大", "should not match but does"),
    ]


def test_classifier_mentions_and_polarity(tax):
    clauses = pd.DataFrame({
        "clause_id": ["f1#0", "f1#1", "f2#0", "f3#0", "f4#0"],
        "feedback_id": ["f1", "f1", "f2", "f3", "f4"],
        "clause": ["异响很大", "车机也卡", "开了一年没有任何异响", "请问保养多少钱？", "修完之后不再异响"],
    })
    out, m = Classifier(tax, semantic_threshold=None).fit().classify(clauses)
    assert out["clause_polarity"].tolist() == ["complaint", "complaint", "praise", "question", "neutral"]
    f1 = m[m["feedback_id"] == "f1"]
    assert set(f1["category_id"]) == {"product.nvh.abnormal_noise", "product.cockpit.lag"}
    assert set(f1["polarity"]) == {"complaint"} and set(f1["method"]) == {"rule"}
    assert m[m["feedback_id"] == "f2"]["polarity"].tolist() == ["praise"]
    assert m[m["feedback_id"] == "f2"]["negation"].tolist() == ["negated"]
    assert m[m["feedback_id"] == "f4"]["polarity"].tolist() == ["neutral"]
    assert (m["polarity"] == "complaint").sum() == 2


def test_classifier_remembers_each_distinct_text_across_calls(tax):
    """A worker's classifier matches a text once, even when it comes back in a later partition."""
    clf = Classifier(tax, semantic_threshold=None).fit()
    first = pd.DataFrame({"clause_id": ["a#0", "a#1", "b#0"], "feedback_id": ["a", "a", "b"],
                          "clause": ["车机很卡", "异响很大", "车机很卡"]})
    _, m1 = clf.classify(first)
    assert len(clf.rule_memo_) == 2
    second = first.assign(clause_id=["c#0", "c#1", "d#0"], feedback_id=["c", "c", "d"])
    _, m2 = clf.classify(second)
    assert len(clf.rule_memo_) == 2
    cols = ["category_id", "polarity", "method", "matched_terms"]
    assert m1[cols].reset_index(drop=True).equals(m2[cols].reset_index(drop=True))
    assert set(m2["feedback_id"]) == {"c", "d"} and len(m2) == 3
    assert clf.fit().rule_memo_ == {}  # a refit (e.g. after a taxonomy edit) starts afresh
