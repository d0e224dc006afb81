"""Emerging-issue backtest on generated data: flags and false alarms over every period, month and week.

Usage:
    .venv/bin/voc demo                       # or: voc generate data/sample && voc run
    .venv/bin/python benchmarks/bench_emerging.py --database data/voc.duckdb --sample-dir data/sample

Scans every period that has at least two earlier ones, for every category and every topic (the topic ids
stored in `clauses`), with the flow's default settings. A flag is a false alarm when it is still
significant after the rows carrying a planted effect (the OTA surge and the P0 cluster, from the
generator's ground truth) are removed from the data.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import duckdb
import pandas as pd

import harness  # noqa: E402,F401  (puts the repository on sys.path)

from pipeline import attribute  # noqa: E402
from pipeline.discover.emerging import period_counts, scan_periods, unexplained_flags  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--database", type=Path, required=True, help="DuckDB written by the daily flow on generated data")
    ap.add_argument("--sample-dir", type=Path, required=True, help="folder with ground_truth.parquet")
    args = ap.parse_args()
    with duckdb.connect(str(args.database), read_only=True) as con:
        feedback = con.execute("SELECT feedback_id, created_at FROM feedback").df()
        mentions = con.execute("SELECT feedback_id, category_id, polarity FROM mentions").df()
        clauses = con.execute("SELECT feedback_id, topic_id, clause_polarity FROM clauses").df()
    gt = pd.read_parquet(args.sample_dir / "ground_truth.parquet")
    gt = gt[gt["surge_injected"] | (gt["p0_planted"] != "")]
    planted = set(gt["source"] + ":" + gt["source_id"])
    pd.set_option("display.width", 200)
    for grain in ("month", "week"):
        fb = attribute.add_period(feedback, grain)
        counts, volume = period_counts(fb, mentions, clauses)
        scan = scan_periods(counts, volume)
        flags = scan[scan["is_emerging"]]
        false_alarms = unexplained_flags(flags, fb, mentions, clauses, planted)
        print(f"{grain}: {scan['period'].nunique()} periods tested, {len(scan)} tests, {len(flags)} flagged, "
              f"{len(false_alarms)} false alarms {false_alarms or ''}")
        print(flags[["period", "kind", "key", "count", "baseline_count", "growth", "dispersion", "q_value"]].to_string(index=False))


if __name__ == "__main__":
    main()
