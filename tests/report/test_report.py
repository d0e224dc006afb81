"""The HTML report: self-contained (plotly.js embedded, no CDN), and its charts really draw in a
headless Chromium (checked from the rendered DOM: plotly's svg roots with traces inside)."""

import re
import shutil
import subprocess

import pytest

from pipeline import attribute
from pipeline.alerts import new_alerts
from pipeline.attribute.config import load_economics, load_leaderboard
from pipeline.report.html import annual_loss, build_report


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    pytest.fail("headless Chromium not found: install it with `bash scripts/services.sh` (apt-get install chromium)",
                pytrace=False)


def render_dom(path) -> str:
    """The DOM after scripts ran, from headless Chromium."""
    cmd = [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
           "--virtual-time-budget=20000", "--dump-dom", path.resolve().as_uri()]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


@pytest.fixture(scope="module")
def report_tables(seed42, taxonomy):
    fb, mentions = seed42["feedback"], seed42["mentions"]
    clauses = seed42["clauses"].merge(fb[["feedback_id", "period"]], on="feedback_id").assign(topic_id=-1)
    tables = attribute.fact_tables({"feedback": fb, "clauses": clauses, "mentions": mentions}, taxonomy,
                                   load_economics("taxonomies/economics.yaml"),
                                   load_leaderboard("taxonomies/leaderboard.yaml"), "远航")
    return {**tables, **attribute.dimension_tables(taxonomy), "alerts": new_alerts(fb, mentions, taxonomy)[0]}


@pytest.mark.slow
def test_report_charts_draw_in_headless_chromium(report_tables, tmp_path):
    page = build_report(report_tables, {"run": "run-test"})
    assert not re.search(r"<script[^>]*src=[\"']?https?:", page)  # no script from a CDN: works offline
    assert page.count("Plotly.newPlot") == 5 and len(page) > 3_000_000  # plotly.js embedded once
    path = tmp_path / "report.html"
    path.write_text(page, encoding="utf-8")
    dom = render_dom(path)
    charts = [part.split("<h2>")[0] for part in dom.split('<div class="chart">')[1:]]
    assert len(charts) == 5
    for chart in charts:
        # Each chart rendered plotly's svg root and at least one trace group inside it.
        assert 'class="main-svg"' in chart and re.search(r'class="trace (scatter|bars)', chart), chart[:300]
    assert len(re.findall(r'class="trace scatter', dom)) == 8  # one line per top category
    assert "踩刹车" in dom or "刹车" in dom  # the alerts table lists red-line texts
    assert "刹车失灵" in dom


def test_annual_loss_weights_periods_by_their_days():
    import pandas as pd

    loss = pd.DataFrame({"period": ["a", "a", "b"], "days": [30, 30, 10], "category_id": ["x", "y", "x"],
                         "churn_loss": [40.0, 4.0, 0.0], "claim_loss": [0.0, 0.0, 80.0], "labour_loss": 0.0,
                         "pr_loss": 0.0, "total_loss": [40.0, 4.0, 80.0]})
    out = annual_loss(loss, "category_id").set_index("category_id")["total_loss"]
    # x: 40 per year over 30 days and 80 per year over 10 days -> (40*30 + 80*10) / 40 = 50
    assert out["x"] == pytest.approx(50.0) and out["y"] == pytest.approx(3.0)
