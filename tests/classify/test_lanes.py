"""New rule lanes, aspect polarity, filters, calibration and the supervised head."""

import textwrap

import numpy as np
import pandas as pd
import pytest

from pipeline.classify import Classifier, RuleMatcher, example_failures
from pipeline.classify.head import SupervisedHead, read_labelled, rule_hit_matrix
from pipeline.classify.report import count_mentions
from pipeline.classify.semantic import OFF, calibrate_thresholds
from pipeline.errors import InputError, MissingColumnsError
from pipeline.taxonomy import load_taxonomy

TAX = """\
version: lanes
departments:
  rnd: {name: 研发}
  mfg: {name: 制造}
  sales: {name: 销售}
synonyms:
  车机: [中控, 大屏]
categories:
  product:
    name: 产品
    owners: {rnd: 1.0}
  product.lag:
    name: 车机卡顿
    parent: product
    owners: {rnd: 0.7, mfg: 0.3}
    rules:
      near: [{terms: [车机, [卡, 慢]], window: 1, unit: tokens}]
  product.fuel:
    name: 油耗
    parent: product
    polarity: aspect
    rules:
      regex: ["[0-9一二三四五六七八九十]+个油"]
  product.recall:
    name: 召回
    parent: product
    scope: feedback
    rules: {any: [召回], none: [新闻]}
  service:
    name: 服务
    owners: {sales: 1.0}
    filters: {channel: [dealer]}
  service.attitude:
    name: 销售态度
    parent: service
    rules: {any: [态度差]}
"""


@pytest.fixture()
def tax(tmp_path):
    p = tmp_path / "t.yaml"
    p.write_text(TAX, encoding="utf-8")
    return load_taxonomy(p)


def hits(matcher, text, context=None):
    return {h.category_id for h in matcher.match(text, context) if h.kind == "complaint" and h.state is None}


def test_synonyms_and_token_proximity(tax):
    m = RuleMatcher(tax)
    assert hits(m, "中控很卡") == {"product.lag"}  # 中控 is a synonym of 车机; one token between
    assert hits(m, "大屏反应慢") == {"product.lag"}
    # five tokens apart: outside a window of 1 token, although only 9 characters apart
    assert hits(m, "车机的导航地图和音乐都卡") == set()


def test_regex_lane_and_feedback_scope(tax):
    m = RuleMatcher(tax)
    assert hits(m, "市区开九个油") == {"product.fuel"}
    assert hits(m, "这款车召回了") == {"product.recall"}
    # `none` looks at the whole feedback for a feedback-scoped category
    assert hits(m, "这款车召回了", context="看到一条新闻，这款车召回了") == set()
    assert hits(m, "这款车召回了", context="这款车召回了，赶紧去店里") == {"product.recall"}


def clauses_of(rows, **cols):
    df = pd.DataFrame(rows, columns=["feedback_id", "clause"])
    df.insert(0, "clause_id", [f"{f}#{i}" for i, f in enumerate(df["feedback_id"])])
    return df.assign(**cols)


def test_multi_label_polarity_and_filters(tax):
    clf = Classifier(tax, semantic_threshold=None).fit()
    df = clauses_of([("a", "车机很卡"), ("a", "一个月九个油挺省油的"), ("b", "销售态度差"), ("c", "销售态度差"),
                     ("d", "车机从来没卡过")], channel=["app", "app", "dealer", "app", "app"])
    out, m = clf.classify(df)
    got = {(r.clause_id, r.category_id, r.polarity) for r in m.itertuples()}
    assert ("a#0", "product.lag", "complaint") in got
    assert ("a#1", "product.fuel", "praise") in got  # aspect category: the tone decides
    assert ("b#2", "service.attitude", "complaint") in got
    assert not any(c == "c#3" for c, _, _ in got)  # filtered: the service branch is for dealer feedback
    assert ("d#4", "product.lag", "praise") in got  # negated issue
    assert set(m.loc[m.clause_id == "a#0", "method"]) == {"rule"}
    assert m.loc[m.clause_id == "a#0", "matched_terms"].item() == "车机|卡"
    assert list(out["clause_polarity"]) == ["complaint", "praise", "complaint", "neutral", "praise"]
    with pytest.raises(MissingColumnsError, match="channel"):
        clf.classify(df.drop(columns="channel"))


def test_repeated_texts_get_the_same_mentions_unless_the_feedback_differs(tax):
    """Each distinct text is matched once; filters and feedback-scoped rules still see every row."""
    clf = Classifier(tax, semantic_threshold=None).fit()
    df = clauses_of([("a", "这款车召回了"), ("a", "赶紧去店里"), ("b", "看到一条新闻"), ("b", "这款车召回了"),
                     ("c", "车机很卡"), ("d", "车机很卡"), ("e", "销售态度差"), ("f", "销售态度差")],
                    channel=["app", "app", "app", "app", "app", "dealer", "dealer", "app"])
    _, m = clf.classify(df)
    got = {(r.clause_id, r.category_id) for r in m.itertuples()}
    assert ("a#0", "product.recall") in got and ("b#3", "product.recall") not in got  # context decides
    assert ("c#4", "product.lag") in got and ("d#5", "product.lag") in got
    assert ("e#6", "service.attitude") in got and not any(c == "f#7" for c, _ in got)  # filter per row
    lag = m[m["category_id"] == "product.lag"].drop(columns=["clause_id", "feedback_id"])
    assert len(lag) == 2 and lag.iloc[0].equals(lag.iloc[1])


def test_department_shares_in_counts(tax):
    clf = Classifier(tax, semantic_threshold=None).fit()
    fb = pd.DataFrame({"feedback_id": ["1", "2", "3"], "text": ["车机很卡", "中控好卡，车机又卡", "销售态度差"],
                       "channel": ["app", "app", "dealer"]})
    cats, depts = count_mentions(clf, fb)
    assert cats.set_index("category_id")["feedback"].to_dict()["product.lag"] == 2  # one per feedback
    load = depts.set_index("department_id")["load"].to_dict()
    assert load == {"rnd": pytest.approx(1.4), "mfg": pytest.approx(0.6), "sales": pytest.approx(1.0)}


def test_examples_run_as_tests(tmp_path):
    p = tmp_path / "t.yaml"
    text = TAX + textwrap.indent("examples:\n  match: [车机卡顿严重]\n  no_match: [车机不卡]\n", "    ")
    p.write_text(text, encoding="utf-8")
    fails = example_failures(load_taxonomy(p))
    # The examples sit under service.attitude (the last category): neither matches its rules.
    assert fails == [("service.attitude", "车机卡顿严重", "should match but does not")]


def test_calibration_picks_the_threshold_with_the_best_f1():
    # three texts: nearest example of category a at 0.9 (is a), 0.7 (is a), 0.6 (is not a)
    sims = np.array([[0.9, 0.1], [0.7, 0.2], [0.6, 0.1], [0.1, 0.3]])
    thr = calibrate_thresholds(sims, ["a", "b"], [{"a"}, {"a"}, set(), set()], ["a", "b"], floor=0.5)
    assert thr["a"] == pytest.approx(0.7)
    assert thr["b"] == OFF  # b's nearest-example hits are never right


def test_supervised_head_trains_saves_and_adds_mentions(tax, tmp_path):
    csv = tmp_path / "lab.csv"
    rows = ["text,categories"] + [f"车机{w}卡,product.lag" for w in "总又老很好真"] + \
           [f"销售{w}态度差,service.attitude" for w in "总又老很好真"] + [f"{w}天气不错," for w in "今明后昨前大"]
    csv.write_text("\n".join(rows) + "\n", encoding="utf-8")
    lab = read_labelled(csv)
    assert lab["labels"].tolist()[0] == ["product.lag"] and lab["labels"].tolist()[-1] == []
    m = RuleMatcher(tax)
    head = SupervisedHead(threshold=0.5).fit(lab["text"].tolist(), lab["labels"].tolist(),
                                             rule_hits=rule_hit_matrix(m, lab["text"].tolist(), tax.leaf_ids),
                                             rule_categories=tax.leaf_ids)
    path = head.save(tmp_path / "head.joblib")
    clf = Classifier(tax, semantic_threshold=None, head=path).fit()
    _, mentions = clf.classify(clauses_of([("x", "这个车机怎么总是卡"), ("y", "今天天气不错")], channel="app"))
    sup = mentions[mentions["method"] == "supervised"]
    assert set(sup["category_id"]) == {"product.lag"} and (sup["score"] >= 0.5).all()
    bad = tmp_path / "bad.csv"
    bad.write_text("text,label\n车机卡,x\n", encoding="utf-8")
    with pytest.raises(InputError, match="lacks column"):
        read_labelled(bad)


def test_head_learns_aspect_polarity(tax):
    texts = [f"{w}个油{t}" for w in "五六七八九十" for t in ("真省", "太费了", "")]
    pols = ["praise", "complaint", "neutral"] * 6
    head = SupervisedHead(threshold=0.5).fit(texts, [["product.fuel"]] * len(texts))
    head.fit_polarity(texts, pols)
    clf = Classifier(tax, semantic_threshold=None, head=head).fit()
    _, m = clf.classify(clauses_of([("a", "三个油真省"), ("b", "三个油太费了")], channel="app"))
    assert m.set_index("clause_id")["polarity"].to_dict() == {"a#0": "praise", "b#1": "complaint"}
    assert set(m["method"]) == {"rule"}  # the rules found both; the head only gave the polarity
    with pytest.raises(ValueError, match="polarity must be"):
        head.fit_polarity(texts[:2], ["good", "bad"])


def test_filters_take_missing_columns_from_the_feedback_table(tax):
    clf = Classifier(tax, semantic_threshold=None).fit()
    df = clauses_of([("b", "销售态度差"), ("c", "销售态度差")])
    fb = pd.DataFrame({"feedback_id": ["b", "c"], "channel": ["dealer", "app"]})
    _, m = clf.classify(df, feedback=fb)
    assert m["feedback_id"].tolist() == ["b"]
    assert "channel" not in clf.classify(df, feedback=fb)[0].columns  # the clauses table is not widened


class CharBag:
    """A tiny deterministic embedder for tests: L2-normalised character counts."""

    model_id = "charbag"

    def embed(self, texts):
        texts = list(texts)
        vocab = {c: i for i, c in enumerate(sorted({c for t in "车机卡顿慢销售态度差油耗省费门窗" for c in t}))}
        out = np.zeros((len(texts), len(vocab)), dtype=np.float32)
        for i, t in enumerate(texts):
            for c in t:
                if c in vocab:
                    out[i, vocab[c]] += 1
        n = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(n == 0, 1, n)


def test_auto_thresholds_come_from_the_examples_and_gate_the_semantic_lane(tmp_path):
    text = TAX.replace("      near: [{terms: [车机, [卡, 慢]], window: 1, unit: tokens}]\n",
                       "      near: [{terms: [车机, [卡, 慢]], window: 1, unit: tokens}]\n"
                       "    examples: {match: [车机卡顿, 车机很慢, 车机卡死], no_match: [销售态度差]}\n")
    p = tmp_path / "t.yaml"
    p.write_text(text, encoding="utf-8")
    tax = load_taxonomy(p)
    emb = CharBag()
    clf = Classifier(tax, semantic_threshold="auto").fit(emb)
    # leave-one-out: each lag example's nearest other example is a lag example
    assert 0.5 <= clf.thresholds_["product.lag"] < 1.0
    df = clauses_of([("a", "机卡顿问题严重"), ("b", "机卡顿")], channel="app")
    _, m = clf.classify(df, emb.embed(df["clause"]))
    sem = m[m["method"] == "semantic"]
    assert sem["clause_id"].tolist() == ["a#0"]  # 机卡顿 alone has no complaint tone: issue categories stay silent
    assert sem["matched_terms"].item() in {"车机卡顿", "车机很慢", "车机卡死"}  # the nearest example is recorded
    assert sem["score"].item() >= clf.thresholds_["product.lag"]
