"""`voc taxonomy lint/test/diff/suggest/schema` and `voc explain` on a small fixture."""

import json

import pytest
from typer.testing import CliRunner

from voc.cli import app

runner = CliRunner()
FIX = "tests/taxonomy/fixtures"
BASE = "taxonomies/automotive_v1.yaml"


def test_explain_shows_clauses_rules_negation_and_departments():
    r = runner.invoke(app, ["explain", "过减速带底盘咯吱咯吱响，但是修完之后不再异响", "--no-semantic", "--json",
                               "-t", BASE])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    first, second = out["clauses"]
    assert "减速带" in first["tokens"]
    assert first["rule_hits"][0]["terms"] == ["咯吱"]
    m = first["mentions"][0]
    assert m["category_id"] == "product.nvh.abnormal_noise" and m["counts_as_issue"]
    assert m["departments"] == {"制造": 0.6, "底盘研发": 0.3, "采购/供应商质量": 0.1}
    assert second["mentions"][0]["negation"] == "resolved" and not second["mentions"][0]["counts_as_issue"]


def test_taxonomy_test_reports_per_category_scores_and_confusions():
    r = runner.invoke(app, ["taxonomy", "test", BASE, "--labelled", f"{FIX}/labelled.csv", "--no-semantic"])
    assert r.exit_code == 0, r.output
    assert "(all)" in r.output and "precision" in r.output
    # cooling: 3 examples + 空调不制冷 found; 空调出风口一股霉味 (labelled cooling) goes to odor instead
    row = [c.strip() for c in next(ln for ln in r.output.splitlines() if "product.hvac.cooling " in ln).split("│")]
    assert row[3:9] == ["1.00", "0.80", "0.89", "5", "4", "0"]
    pair = next(ln for ln in r.output.splitlines() if "│ product.hvac.cooling │ product.hvac.odor" in ln)
    assert pair.split("│")[3].strip() == "1"
    assert "修完之后不再异响" not in r.output  # a resolved issue is not counted: the no_match example passes


def test_diff_moves_counts_to_the_new_category_and_its_departments():
    r = runner.invoke(app, ["taxonomy", "diff", BASE, f"{BASE},{FIX}/wiper_overlay.yaml",
                            "--data", f"{FIX}/feedback.csv", "--no-semantic"])
    assert r.exit_code == 0, r.output
    row = next(ln for ln in r.output.splitlines() if "product.body.wiper" in ln).split("│")
    assert [c.strip() for c in row[3:6]] == ["0", "4", "4"]  # f9, f10, f11, f15
    dept = next(ln for ln in r.output.splitlines() if "rnd_body" in ln).split("│")
    assert [c.strip() for c in dept[3:6]] == ["0.0", "2.4", "2.4"]  # 4 x 0.6


def test_suggest_lists_terms_of_uncategorised_clauses():
    r = runner.invoke(app, ["taxonomy", "suggest", BASE, "--data", f"{FIX}/feedback.csv", "--no-semantic"])
    assert r.exit_code == 0, r.output
    assert "8 of 24 clauses uncategorised" in r.output
    row = [c.strip() for c in next(ln for ln in r.output.splitlines() if "雨刮器" in ln).split("│")]
    assert row[2] == "2"  # f9 and f11; f10's 雨刮器有异响 is categorised as 异响


def test_lint_prints_every_error_with_file_and_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: x\ndepartments: {a: {name: A}}\ncategories:\n  c1: {name: C1, parent: zz, rules: {any: [x]}}\n"
                   "  c2: {name: C2, owners: {b: 1.0}, rules: {any: [y]}}\n", encoding="utf-8")
    r = runner.invoke(app, ["taxonomy", "lint", str(bad)])
    assert r.exit_code == 1
    assert f"{bad}:4: field 'categories.c1.parent': unknown parent category 'zz'" in r.output
    assert f"{bad}:5: field 'categories.c2.owners.b': unknown department 'b'" in r.output
    r = runner.invoke(app, ["taxonomy", "lint", "--compose", BASE, f"{FIX}/wiper_overlay.yaml"])
    assert r.exit_code == 0, r.output


def test_train_saves_a_head_that_test_uses(tmp_path):
    out = tmp_path / "head.joblib"
    r = runner.invoke(app, ["taxonomy", "train", BASE, "--labelled", f"{FIX}/labelled.csv", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert out.exists() and "trained on 8 texts" in r.output
    assert "fewer than 5 labelled texts" in r.output and "product.cockpit.lag" in r.output
    r = runner.invoke(app, ["taxonomy", "test", BASE, "--labelled", f"{FIX}/labelled.csv", "--no-semantic",
                            "--head", str(out)])
    assert r.exit_code == 0, r.output
    assert "(all)" in r.output
    r = runner.invoke(app, ["taxonomy", "test", BASE, "--no-semantic", "--head", str(tmp_path / "missing.joblib")])
    assert r.exit_code == 2 and "supervised head file not found" in r.output


def test_run_composes_overlays_and_reports_their_errors_before_work(tmp_path):
    bad = tmp_path / "overlay.yaml"
    bad.write_text("version: o\ncategories:\n  product.body.wiper:\n    name: 雨刮\n    parent: product.bodyy\n"
                   "    rules: {any: [雨刮]}\n", encoding="utf-8")
    r = runner.invoke(app, ["run", "--sources", "tests/taxonomy/fixtures/missing_sources.yaml", "--overlay", str(bad)])
    assert r.exit_code == 2
    assert f"{bad}:5: field 'categories.product.body.wiper.parent': unknown parent category 'product.bodyy'" in \
        r.output.replace("\n", "")


@pytest.mark.slow
def test_explain_with_the_embedder_shows_neighbours_and_thresholds():
    r = runner.invoke(app, ["explain", "中控屏经常死机", "--json", "-t", BASE])
    assert r.exit_code == 0, r.output
    clause = json.loads(r.output)["clauses"][0]
    top = clause["neighbours"][0]
    assert top["example"] == "中控屏经常死机" and top["similarity"] == pytest.approx(1.0, abs=1e-3)
    assert top["category_id"] == "product.cockpit.crash"
    assert all(n["threshold"] is None or 0.5 <= n["threshold"] <= 1 for n in clause["neighbours"])
    assert [n["similarity"] for n in clause["neighbours"]] == sorted((n["similarity"] for n in clause["neighbours"]),
                                                                     reverse=True)


def test_diff_lists_the_texts_that_moved_with_before_after_and_reason(tmp_path):
    out = tmp_path / "moved.csv"
    r = runner.invoke(app, ["taxonomy", "diff", BASE, f"{BASE},{FIX}/wiper_overlay.yaml", "--data", f"{FIX}/feedback.csv",
                            "--no-semantic", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "改变类别的文本" in r.output and "原类别" in r.output and "新类别" in r.output
    import pandas as pd

    moved = pd.read_csv(out, encoding="utf-8-sig").set_index("text")
    # f9, f11, f15 gain 雨刮; f10 keeps 异响 and gains 雨刮.
    assert set(moved.index) == {"雨刮器刮不干净，下雨天视线模糊", "雨刮器老化太快，半年就要换", "雨刷刮不干净玻璃上都是水痕",
                                "雨刮器有异响而且刮不干净"}
    f10 = moved.loc["雨刮器有异响而且刮不干净"]
    assert (f10["before"], f10["after"], f10["added"]) == ("异响", "雨刮、异响", "product.body.wiper")
    assert "rule 雨刮" in f10["reason"] and "new category" in f10["reason"]
    f9 = moved.loc["雨刮器刮不干净，下雨天视线模糊"]
    assert (f9["before"], f9["after"], f9["removed"]) == ("—", "雨刮", None) or f9["before"] == "—"
    assert moved["feedback"].sum() == 4


def test_diff_counts_each_distinct_text_once_and_weights_it(tmp_path):
    import pandas as pd

    rows = pd.read_csv(f"{FIX}/feedback.csv")
    many = pd.concat([rows] * 3, ignore_index=True).assign(feedback_id=lambda d: [f"r{i}" for i in range(len(d))])
    data = tmp_path / "many.csv"
    many.to_csv(data, index=False)
    r = runner.invoke(app, ["taxonomy", "diff", BASE, f"{BASE},{FIX}/wiper_overlay.yaml", "--data", str(data),
                            "--no-semantic"])
    assert r.exit_code == 0, r.output
    assert "45 feedback, 15 distinct texts" in r.output  # classified once per distinct text
    row = next(ln for ln in r.output.splitlines() if "product.body.wiper" in ln).split("│")
    assert [c.strip() for c in row[3:6]] == ["0", "12", "12"]  # 4 texts x 3 copies


def test_suggest_drops_car_names_stop_words_and_boilerplate_and_shows_examples(tmp_path):
    import pandas as pd

    texts = ["远航S7车主来电，座椅加热不工作", "客户来电，远航S7座椅加热不工作，回电号码[手机号]", "车主反映远航X5座椅加热坏了",
             "远航S7车主来电，已记录", "回电客户，远航S7车主表示座椅加热不工作", "我的S7提车三个月了，座椅加热不工作",
             "过减速带底盘咯吱咯吱响"]
    data = tmp_path / "fb.csv"
    pd.DataFrame({"text": texts, "channel": "call_center"}).to_csv(data, index=False)
    r = runner.invoke(app, ["taxonomy", "suggest", BASE, "--data", str(data), "--no-semantic"])
    assert r.exit_code == 0, r.output
    table = r.output[r.output.index("候选词"):]
    terms = [ln.split("│")[1].strip() for ln in table.splitlines() if ln.startswith("│") and ln.split("│")[1].strip()]
    for word in ("远航S7", "远航", "S7", "X5", "车主", "回电", "来电", "客户", "三个", "手机号"):
        assert word not in terms, (word, terms)
    assert "座椅" in terms or "加热" in terms, terms
    line = next(ln for ln in table.splitlines() if ln.startswith("│") and ln.split("│")[1].strip() in ("座椅", "加热"))
    assert "座椅加热不工作" in line  # the candidate comes with example clauses


def test_candidate_tokens_drop_cars_amounts_and_boilerplate():
    from pipeline.classify.suggest import candidate_tokens
    from pipeline.preprocess import Segmenter

    seg = Segmenter()
    toks = candidate_tokens(seg.cut("远航S7车主说两句：提车三个月，客户来电回电，天窗漏风，Model Y 也一样"), seg)
    assert "天窗" in toks or "漏风" in toks
    assert not {"远航S7", "S7", "车主", "两句", "三个", "来电", "回电", "客户", "Model", "Y"} & set(toks), toks
