"""The daily flow on inputs too small for topic discovery, or with no acceptable row at all."""

import duckdb
import pytest

from tests.conftest import params_for

pytestmark = pytest.mark.slow

SOURCES = """\
sources:
  - name: tiny
    path: tiny.csv
    format: csv
    channel: nps
    columns: {feedback_id: 问卷编号, created_at: 提交时间, text: 您的建议, nps: 推荐意愿}
"""


def write_source(tmp_path, rows):
    (tmp_path / "tiny.csv").write_text("问卷编号,提交时间,推荐意愿,您的建议\n" + "".join(rows), encoding="utf-8")
    (tmp_path / "sources.yaml").write_text(SOURCES, encoding="utf-8")
    return tmp_path / "sources.yaml"


def test_too_few_clauses_for_topics_still_categorises_and_counts(tmp_path, prefect_harness):
    from flows.daily import NO_TOPIC_MODEL, daily

    src = write_source(tmp_path, [
        "A1,2026-09-01 10:00:00,3,车机卡顿严重，异响很大\n",
        "A2,2026-09-02 10:00:00,9,车机很流畅\n",
        "A3,2026-09-03 10:00:00,11,销售态度差\n",
    ])
    summary = daily(params_for(src, tmp_path))
    assert (summary["accepted"], summary["quarantined"]) == (2, 1)
    assert summary["topic_model_version"] == NO_TOPIC_MODEL and summary["topics"] == 0
    with duckdb.connect(str(tmp_path / "voc.duckdb"), read_only=True) as con:
        cats = dict(con.execute("SELECT category_id, sum(complaints) FROM fact_category_counts GROUP BY 1").fetchall())
        assert cats == {"product.cockpit.lag": 1, "product.nvh.abnormal_noise": 1}
        assert con.execute("SELECT DISTINCT topic_id FROM clauses").fetchall() == [(-1,)]
    assert not (tmp_path / "models" / "LATEST").exists()


def test_a_run_where_every_row_is_bad_records_the_quarantine(tmp_path, prefect_harness):
    from flows.daily import daily

    src = write_source(tmp_path, ["B1,2026-13-01 10:00:00,3,车机卡顿\n", "B2,2026-09-02 10:00:00,9,\n"])
    summary = daily(params_for(src, tmp_path))
    assert (summary["input_rows"], summary["accepted"], summary["quarantined"]) == (2, 0, 2)
    with duckdb.connect(str(tmp_path / "voc.duckdb"), read_only=True) as con:
        reasons = sorted(r[0] for r in con.execute("SELECT reason FROM quarantine").fetchall())
        assert reasons == ["bad_date", "empty_text"]
        assert con.execute("SELECT count(*) FROM feedback").fetchone()[0] == 0


def test_changing_the_period_grain_of_a_database_is_refused(tmp_path, prefect_harness):
    from flows.daily import daily
    from pipeline.attribute import Period
    from pipeline.errors import InputError

    src = write_source(tmp_path, ["A1,2026-09-01 10:00:00,3,车机卡顿严重\n"])
    params = params_for(src, tmp_path)
    daily(params)
    with pytest.raises(InputError, match="holds \\['month'\\] periods"):
        daily(params.replace(period=Period.week))
