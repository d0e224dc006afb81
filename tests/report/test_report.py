"""The HTML report: self-contained (plotly.js embedded, no CDN), and its charts really draw in a
headless Chromium (checked from the rendered DOM: plotly's svg roots with traces inside); Chinese headers,
the period of every section, and links from a category's count to the texts behind it."""

import html
import re
import shutil
import subprocess

import pytest

from pipeline import attribute
from pipeline.alerts import new_alerts
from pipeline.attribute.config import load_economics, load_leaderboard
from pipeline.report.examples import category_examples
from pipeline.report.html import annual_loss, build_report
from pipeline.report.periods import period_label


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
    return {**tables, **attribute.dimension_tables(taxonomy), "alerts": new_alerts(fb, mentions, taxonomy)[0],
            "examples": category_examples(fb, mentions)}


def screenshot(path, out, height: int = 2600) -> None:
    """A PNG of the rendered page (headless Chromium, 1400 px wide)."""
    cmd = [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
           "--virtual-time-budget=20000", f"--window-size=1400,{height}", f"--screenshot={out}", path.resolve().as_uri()]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0 and out.exists(), proc.stderr[-2000:]


@pytest.fixture(scope="module")
def rendered(report_tables, tmp_path_factory):
    """The report page, its path and its DOM after Chromium ran the scripts."""
    page = build_report(report_tables, {"run": "run-test"})
    path = tmp_path_factory.mktemp("report") / "report.html"
    path.write_text(page, encoding="utf-8")
    return page, path, render_dom(path)


def _section(dom: str, key: str) -> str:
    part = dom[dom.index(f'<section id="{key}">'):]
    return part[:part.index("</section>")]


def _text(fragment: str) -> str:
    """What a reader sees: tags dropped, entities decoded (a feedback's literal "<br>" is shown as text)."""
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment)).strip())


@pytest.mark.slow
def test_report_charts_draw_in_headless_chromium(rendered):
    page, path, dom = rendered
    assert not re.search(r"<script[^>]*src=[\"']?https?:", page)  # no script from a CDN: works offline
    assert page.count("Plotly.newPlot") == 5 and len(page) > 3_000_000  # plotly.js embedded once
    charts = [part.split("<h2>")[0] for part in dom.split('<div class="chart">')[1:]]
    assert len(charts) == 5
    for chart in charts:
        # Each chart rendered plotly's svg root and at least one trace group inside it.
        assert 'class="main-svg"' in chart and re.search(r'class="trace (scatter|bars)', chart), chart[:300]
    assert len(re.findall(r'class="trace scatter', dom)) == 8  # one line per top category
    assert "踩刹车" in dom or "刹车" in dom  # the alerts table lists red-line texts
    assert "刹车失灵" in dom


@pytest.mark.slow
def test_report_headers_periods_and_example_links_in_the_dom(rendered, report_tables, tmp_path):
    _, path, dom = rendered
    periods = sorted(report_tables["fact_category_counts"]["period"].unique())
    latest, previous = period_label(periods[-1]), period_label(periods[-2])
    # Every section states its period, and each states the right one.
    stated = {}
    for key in ("changes", "redline", "categories", "trends", "leaderboard", "nps", "loss", "benchmark", "examples"):
        m = re.search(r'<p class="period">统计期间 Period: ([^<]+)</p>', _section(dom, key))
        assert m and m.group(1).strip(), key
        stated[key] = m.group(1)
    assert latest in stated["leaderboard"] and previous not in stated["leaderboard"]
    assert latest in stated["changes"] and previous in stated["changes"] and latest in stated["nps"]
    for key in ("trends", "loss", "benchmark", "categories"):
        assert f"{period_label(periods[0])} 至 {latest}" in stated[key], key
    assert "年化" in stated["loss"]
    # Chinese headers first, English on the second line.
    heads = [_text(h) for h in re.findall(r"<th>(.*?)</th>", dom)]
    for zh in ("问题类别 category", "本期 this period", "上期 last period", "排名 rank", "部门 department",
               "榜单 list", "NPS 损失(分)", "合计 万元/年", "期间损失 万元"):
        assert any(h.startswith(zh) for h in heads), zh
    assert not any(h in heads for h in ("category_id", "weighted_complaints", "list", "total_loss"))
    # The leaderboard says 黑榜 / 红榜 in words; no red/black codes, and the honour list is not painted red.
    board = _section(dom, "leaderboard")
    assert "黑榜 (警示)" in board and not re.search(r">\s*(red|black)\s*<", board)
    assert "rgb(214, 39, 40)" not in board
    ranks = [int(x) for x in re.findall(r"<tr><td>(\d+)</td>", board)]
    assert ranks == sorted(ranks) and ranks[0] == 1
    loss = _section(dom, "loss")
    assert "合计 total" in _text(loss) and "万元" in loss
    # A category's count links to the texts behind it: the target exists once and holds that category's texts.
    cats = _section(dom, "categories")
    links = re.findall(r'<a class="to-examples" href="#([^"]+)"[^>]*>([\d,]+)</a>', cats)
    assert len(links) >= 10
    ex = report_tables["examples"]
    mentions = report_tables["examples"].merge(report_tables["fact_category_counts"][["category_id"]].drop_duplicates())
    for target, _ in links[:6]:
        assert dom.count(f'id="{target}"') == 1, target
        block = dom[dom.index(f'id="{target}"'):]
        block = block[:block.index("</div>")]
        cid = re.search(r"<small>([\w.]+)</small>", block).group(1)
        items = [_text(li) for li in re.findall(r"<li>(.*?)</li>", block, re.S)]
        texts = ex.loc[ex["category_id"] == cid, "text"].tolist()
        assert items and len(items) == len(texts) and all(t in i for t, i in zip(texts, items)), cid
    assert len(mentions)
    # The first link's number is the category's latest-period count.
    cc = report_tables["fact_category_counts"]
    first_row = re.search(r"<tr><td>([^<]+)</td><td>[^<]*</td><td><a[^>]*>([\d,]+)</a>", cats)
    names = dict(zip(report_tables["dim_category"]["name"], report_tables["dim_category"]["category_id"]))
    cid = names[first_row.group(1)]
    assert int(first_row.group(2).replace(",", "")) == cc[(cc["category_id"] == cid) & (cc["period"] == periods[-1])][
        "complaints"].sum()
    # Opening the link scrolls to the texts; the page draws (a screenshot of it, for the docs see
    # scripts/report_screenshot.py).
    out = tmp_path / "report.png"
    screenshot(path, out)
    assert out.stat().st_size > 50_000


def test_annual_loss_weights_periods_by_their_days():
    import pandas as pd

    loss = pd.DataFrame({"period": ["a", "a", "b"], "n_days": [30, 30, 10], "category_id": ["x", "y", "x"],
                         "churn_loss": [40.0, 4.0, 0.0], "claim_loss": [0.0, 0.0, 80.0], "labour_loss": 0.0,
                         "pr_loss": 0.0, "total_loss": [40.0, 4.0, 80.0]})
    out = annual_loss(loss, "category_id").set_index("category_id")["total_loss"]
    # x: 40 per year over 30 days and 80 per year over 10 days -> (40*30 + 80*10) / 40 = 50
    assert out["x"] == pytest.approx(50.0) and out["y"] == pytest.approx(3.0)
