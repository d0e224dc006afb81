"""The run summary's lines: red line first, then what changed since the last period (largest rise
first, with counts and change), totals, and the stage times as one readable line; `voc summary` prints
them with Chinese headers (English with --lang en)."""

import datetime as dt

import pandas as pd
from typer.testing import CliRunner

from pipeline import attribute, publish
from pipeline.report.headline import change_lines, embedding_line, stage_line

SEP, OCT = dt.date(2026, 9, 1), dt.date(2026, 10, 1)
NAMES = {"product.nvh.abnormal_noise": "异响", "product.cockpit.lag": "车机卡顿", "service.sales.attitude": "销售态度"}


def _counts():
    rows = [(SEP, "product.nvh.abnormal_noise", 50), (OCT, "product.nvh.abnormal_noise", 40),
            (SEP, "product.cockpit.lag", 10), (OCT, "product.cockpit.lag", 35), (OCT, "service.sales.attitude", 4)]
    return pd.DataFrame(rows, columns=["period", "category_id", "complaints"])


def test_change_lines_put_the_largest_rise_first_with_counts_and_change():
    deps = pd.DataFrame({"period": [SEP, OCT], "department_id": ["rnd_cockpit"] * 2, "weighted_complaints": [8.0, 28.0]})
    lines = change_lines(_counts(), deps, NAMES, {"rnd_cockpit": "智能座舱研发"})
    assert lines[0] == "本期 2026年10月 对比 上期 2026年9月"
    assert lines[1].endswith("上升最多的问题：车机卡顿 35 (+25, +250%)，销售态度 4 (+4)")
    assert "异响" not in lines[1]  # fell: not among the rising
    assert lines[2].endswith("智能座舱研发 28.0 (+20.0, +250%)")
    en = change_lines(_counts(), pd.DataFrame(), NAMES, {}, lang="en")
    assert en[0] == "this period 2026-10 vs the last (2026-09)" and len(en) == 2


def test_stage_seconds_and_embedding_counts_read_as_sentences():
    line = stage_line({"ingest": 1.234, "embed_classify": 40.0, "publish": 2.0})
    assert line == "用时 43.2 秒：读取 1.2 · 嵌入+分类 40.0 · 写库 2.0"
    assert "{" not in line
    assert embedding_line({"distinct": 900, "embedded": 900, "cached": 0}) == "嵌入 900 条不同文本：本次新算 900 条，之前运行的缓存 0 条"


def test_voc_summary_leads_with_red_line_then_changes_with_chinese_headers(tmp_path, taxonomy):
    from voc.cli import app

    counts = _counts().assign(channel="app", vehicle_model="远航E6", region="华东", praise=0, resolved=0)
    counts = pd.concat([counts, pd.DataFrame([{"period": OCT, "category_id": "safety.brake_failure", "complaints": 2,
                                               "channel": "app", "vehicle_model": "远航E6", "region": "华东",
                                               "praise": 0, "resolved": 0}])])
    db = tmp_path / "o.duckdb"
    lineage = {"run_id": "r", "taxonomy_version": "t", "embedder_id": "e", "topic_model_version": "none"}
    publish.write(db, {"fact_category_counts": counts,
                              "fact_department_counts": attribute.department_counts(counts, taxonomy),
                              **attribute.dimension_tables(taxonomy)}, lineage)
    out = CliRunner().invoke(app, ["summary", "--database", str(db)])
    assert out.exit_code == 0, out.output
    text = out.output
    assert text.index("红线 P0 投诉反馈 2 条") < text.index("本期 2026年10月 对比 上期 2026年9月") < text.index("投诉最多的问题")
    assert "问题类别" in text and "投诉反馈" in text and "负责部门" in text and "category_id" not in text.split("\n")[3]
    en = CliRunner().invoke(app, ["summary", "--database", str(db), "--lang", "en"]).output
    assert "this period 2026-10 vs the last (2026-09)" in en and "complaints" in en and "问题类别" not in en


def test_voc_loss_shows_departments_in_wan_yuan_with_a_total(tmp_path, taxonomy):
    from voc.cli import app

    rows = [{"period": p, "category_id": "product.nvh.abnormal_noise", "department_id": d, "share": s, "n_days": n,
             "annualise": 365 / n, "complaints": 10, "social_complaints": 2, "extra_detractor_share": 0.001,
             "clv": 200000.0, "churn_loss": 1e6 * s, "claim_loss": 2e5 * s, "labour_loss": 5e4 * s, "pr_loss": 0.0,
             "total_loss": 1.25e6 * s}
            for p, n in ((SEP, 30), (OCT, 31)) for d, s in (("manufacturing", 0.6), ("rnd_chassis", 0.4))]
    db = tmp_path / "o.duckdb"
    lineage = {"run_id": "r", "taxonomy_version": "t", "embedder_id": "e", "topic_model_version": "none"}
    publish.write(db, {"fact_loss": pd.DataFrame(rows), **attribute.dimension_tables(taxonomy)}, lineage)
    out = CliRunner().invoke(app, ["loss", "--database", str(db)])
    assert out.exit_code == 0, out.output
    table = out.output[out.output.index("各部门年化损失"):]
    assert "万元/年" in table and "部门" in table
    total = next(ln for ln in table.splitlines() if "合计 total" in ln).split("│")
    assert total[-2].strip() == "125"  # 1.25 million CNY per year = 125 万元
