"""Regenerate docs/report.png: the HTML report of the seed-42, 20,000-row sample (rules-only run),
rendered by headless Chromium, top of the page (本期变化, 红线预警, 问题类别 with links to texts).

Usage: .venv/bin/python scripts/report_screenshot.py [--out docs/report.png] [--height 2600]

The same rendering is checked by tests/report/test_report.py (from the DOM); this script only writes
the picture, which the test suite must not do (nothing writes into the checkout).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=REPO / "docs/report.png")
    ap.add_argument("--height", type=int, default=2600)
    ap.add_argument("--rows", type=int, default=20000)
    args = ap.parse_args()

    from pipeline import attribute
    from pipeline.alerts import new_alerts
    from pipeline.attribute.config import load_economics, load_leaderboard
    from pipeline.evaluate import rules_only_run
    from pipeline.report.examples import category_examples
    from pipeline.report.html import build_report
    from samplegen import write_sample
    from pipeline.taxonomy import load_taxonomy
    from tests.report.test_report import screenshot

    taxonomy = load_taxonomy(REPO / "taxonomies/automotive_v1.yaml")
    with tempfile.TemporaryDirectory(prefix="voc-report-shot-") as tmp:
        work = Path(tmp)
        write_sample(work / "sample", n_rows=args.rows, seed=42)
        fb, clauses, mentions = rules_only_run(work / "sample", taxonomy)
        clauses = clauses.merge(fb[["feedback_id", "period"]], on="feedback_id").assign(topic_id=-1)
        tables = attribute.fact_tables({"feedback": fb, "clauses": clauses, "mentions": mentions}, taxonomy,
                                       load_economics(REPO / "taxonomies/economics.yaml"),
                                       load_leaderboard(REPO / "taxonomies/leaderboard.yaml"), "远航")
        tables = {**tables, **attribute.dimension_tables(taxonomy), "alerts": new_alerts(fb, mentions, taxonomy)[0],
                  "examples": category_examples(fb, mentions)}
        page = work / "report.html"
        page.write_text(build_report(tables, {"run_id": "sample-seed42", "taxonomy_version": taxonomy.version}),
                        encoding="utf-8")
        screenshot(page, args.out.resolve(), height=args.height)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
