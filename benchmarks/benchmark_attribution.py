"""Speed of what this release adds: the red-line scan, the attribution fact tables, the PostgreSQL
write and the HTML report, on a written sample.

Usage: .venv/bin/python benchmarks/benchmark_attribution.py SAMPLE_DIR [--postgres URL]
       (SAMPLE_DIR holds sources.yaml, e.g. from `voc generate /tmp/s --rows 20000`)

Figures (nothing is asserted; timings vary on shared machines):
  red-line scan   ingest excluded: normalise, clauses, rules, alert detection with dedup; feedback/s.
  fact tables     all fact tables of every period from classified details (counts, NPS drivers and
                  decomposition, attribution, leaderboard, loss, benchmark).
  duckdb write    publish.write of the detail tables + derived facts + views, one transaction.
  postgres write  the same to --postgres (skipped without it).
  report          building the HTML report from the written tables.
The last line printed is the same figures as one JSON object.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from functools import partial
from pathlib import Path

import harness  # noqa: E402,F401  (puts the repository on sys.path)

from pipeline import attribute, publish  # noqa: E402
from pipeline.alerts import new_alerts, scan_mentions  # noqa: E402
from pipeline.attribute.config import load_economics, load_leaderboard  # noqa: E402
from pipeline.classify import Classifier  # noqa: E402
from pipeline.ingest import ingest_sources, load_sources  # noqa: E402
from pipeline.preprocess import Segmenter, segment_clauses, to_clauses  # noqa: E402
from pipeline.report.html import REPORT_TABLES, build_report  # noqa: E402
from pipeline.taxonomy import load_taxonomy  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("sample_dir", type=Path)
    ap.add_argument("--postgres", default=None, help="SQLAlchemy URL of an empty PostgreSQL database")
    args = ap.parse_args()
    tax = load_taxonomy(REPO / "taxonomies/automotive_v1.yaml")
    fb = ingest_sources(load_sources(args.sample_dir / "sources.yaml")).feedback
    out: dict[str, float] = {"feedback": len(fb)}

    t = time.perf_counter()
    alerts, dups = new_alerts(fb, scan_mentions(fb, tax), tax)
    out["redline_s"] = round(time.perf_counter() - t, 2)
    out["redline_feedback_per_s"] = round(len(fb) / out["redline_s"])
    out["alerts"], out["folded"] = len(alerts), len(dups)

    feedback, clauses = to_clauses(attribute.add_period(fb, "month"))
    clauses = segment_clauses(clauses, Segmenter(tax.all_terms()))
    clauses, mentions = Classifier(tax, semantic_threshold=None).fit().classify(clauses)
    clauses = clauses.merge(feedback[["feedback_id", "period"]], on="feedback_id").assign(topic_id=-1, topic_similarity=0.0)
    mentions = mentions.merge(clauses[["clause_id", "period"]], on="clause_id")
    derive = partial(attribute.fact_tables, taxonomy=tax, economics=load_economics(REPO / "taxonomies/economics.yaml"),
                     board=load_leaderboard(REPO / "taxonomies/leaderboard.yaml"))
    t = time.perf_counter()
    derive({"feedback": feedback, "clauses": clauses, "mentions": mentions})
    out["fact_tables_s"] = round(time.perf_counter() - t, 2)

    tables = {"feedback": feedback.drop(columns=["text_norm"]), "clauses": clauses.drop(columns=["topic_doc"]),
              "mentions": mentions, **attribute.dimension_tables(tax), "alerts": alerts}
    lineage = {"run_id": "bench", "taxonomy_version": tax.version, "embedder_id": "none", "topic_model_version": "none"}
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.duckdb"
        t = time.perf_counter()
        publish.write(db, tables, lineage, derive=derive)
        out["duckdb_write_s"] = round(time.perf_counter() - t, 2)
        if args.postgres:
            t = time.perf_counter()
            publish.write(args.postgres, tables, lineage, derive=derive)
            out["postgres_write_s"] = round(time.perf_counter() - t, 2)
        t = time.perf_counter()
        page = build_report({n: publish.read(db, n) for n in REPORT_TABLES})
        out["report_s"] = round(time.perf_counter() - t, 2)
        out["report_mb"] = round(len(page.encode("utf-8")) / 1e6, 1)
    for k, v in out.items():
        print(f"{k:24s} {v}")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
