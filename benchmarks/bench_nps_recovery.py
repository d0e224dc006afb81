"""How closely the NPS driver model recovers the generator's planted 车机卡顿 effect, by sample size.

Usage: .venv/bin/python benchmarks/bench_nps_recovery.py [--sizes 20000,100000,200000,600000]
           [--seeds 42,7,1] [--pipeline-rows 100000] [--pipeline-seeds 42]

For every size x seed: generate the sample, fit nps_drivers per month on the TRUE complaint and praise
categories (ground_truth.parquet) and take excess_impact(车机卡顿, September): September's impact
beyond the category's mean impact in the other months. The planted figure is
planted_effects.json's ota_surge.nps.nps_effect_points: September's NPS with the surge minus the same
respondents' NPS without it. For --pipeline-rows, the same estimate from the pipeline's own rules-only
categorisation of the written sample (ingest, clauses, segmentation, rules), next to the truth-based one.

Nothing is asserted; the last line is every row as one JSON list.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

import harness  # noqa: E402,F401  (puts the repository on sys.path)

from pipeline import attribute  # noqa: E402
from pipeline.evaluate import rules_only_run, truth_tables  # noqa: E402
from samplegen import generate, write_sample  # noqa: E402
from pipeline.taxonomy import load_taxonomy  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
LAG = "product.cockpit.lag"
SEPT = dt.date(2026, 9, 1)


def row(n_rows: int, seed: int, categories: str, fb: pd.DataFrame, mentions: pd.DataFrame, planted: float,
        seconds: float) -> dict:
    est = attribute.excess_impact(attribute.nps_drivers(fb, mentions), LAG, SEPT)
    out = {"rows": n_rows, "seed": seed, "categories": categories, "planted": round(planted, 2),
           "estimate": round(est["excess"], 2), "error": round(est["excess"] - planted, 2),
           "ci": [round(est["ci_low"], 2), round(est["ci_high"], 2)],
           "covered": bool(est["ci_low"] <= planted <= est["ci_high"]), "seconds": round(seconds, 1)}
    print(f"{n_rows:>8,} seed {seed:>3} {categories:<8} planted {planted:7.2f}  estimate {est['excess']:7.2f}  "
          f"error {out['error']:+6.2f}  95% CI [{out['ci'][0]:.2f}, {out['ci'][1]:.2f}]  {seconds:5.1f} s", flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="20000,100000,200000,600000")
    ap.add_argument("--seeds", default="42,7,1")
    ap.add_argument("--pipeline-rows", type=int, default=100000, help="0 to skip the pipeline rows")
    ap.add_argument("--pipeline-seeds", default="42")
    args = ap.parse_args()
    results = []
    for n_rows in map(int, args.sizes.split(",")):
        for seed in map(int, args.seeds.split(",")):
            t0 = time.perf_counter()
            data = generate(n_rows, seed)
            results.append(row(n_rows, seed, "truth", *truth_tables(data.ground_truth),
                               data.planted["ota_surge"]["nps"]["nps_effect_points"], time.perf_counter() - t0))
        errors = np.array([r["error"] for r in results if r["rows"] == n_rows])
        print(f"{n_rows:>8,} rows: mean error {errors.mean():+.2f}, largest |error| {np.abs(errors).max():.2f}")
    if args.pipeline_rows:
        for seed in map(int, args.pipeline_seeds.split(",")):
            with tempfile.TemporaryDirectory() as tmp:
                t0 = time.perf_counter()
                write_sample(Path(tmp), n_rows=args.pipeline_rows, seed=seed)
                planted = json.loads((Path(tmp) / "planted_effects.json").read_text(encoding="utf-8"))
                effect = planted["ota_surge"]["nps"]["nps_effect_points"]
                gt = pd.read_parquet(Path(tmp) / "ground_truth.parquet")
                results.append(row(args.pipeline_rows, seed, "truth", *truth_tables(gt), effect, 0.0))
                fb, _, mentions = rules_only_run(Path(tmp), load_taxonomy(REPO / "taxonomies" / "automotive_v1.yaml"))
                results.append(row(args.pipeline_rows, seed, "pipeline", fb, mentions, effect,
                                   time.perf_counter() - t0))
    print(json.dumps(results, ensure_ascii=False))


if __name__ == "__main__":
    main()
