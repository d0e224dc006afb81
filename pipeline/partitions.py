"""Cutting clauses into partitions that can be scored anywhere, and putting the results back together."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from pipeline.embed.cache import text_key
from pipeline.schema import require_columns


@dataclass(frozen=True)
class Scored:
    """What scoring one partition produced.

    Feedback repeats itself, so the vectors are kept once per distinct clause text, and each is named
    by its embedding-cache key. What is persisted for resuming is `without_vectors()`: the vectors are
    in the embedding cache already, and a resumed run reads them back by key (`with_vectors`).

    Attributes:
        clauses: the partition's clauses with `clause_polarity` added.
        mentions: classify.MENTION_COLUMNS rows of the partition.
        vectors: float32 (m, d), one row per distinct clause text; None once dropped for persisting.
        rows: int (n_clauses,), the row of `vectors` (and of `keys`) for each clause.
        stats: embedding counts: texts, distinct, cached, embedded.
        keys: (m,) embedding-cache keys (`text_key`) of the distinct texts, aligned with `vectors`.
        model_id: the embedder whose vectors these are (the cache's folder for them).
    """

    clauses: pd.DataFrame
    mentions: pd.DataFrame
    vectors: np.ndarray | None
    rows: np.ndarray
    stats: dict[str, int]
    keys: tuple[str, ...] = ()
    model_id: str = ""

    @classmethod
    def of(cls, clauses: pd.DataFrame, mentions: pd.DataFrame, embeddings: np.ndarray,
           stats: dict[str, int], model_id: str = "") -> Scored:
        """Build from per-clause embeddings (n_clauses, d) aligned with `clauses`."""
        require_columns(clauses, ["clause"], "Scored")
        if len(embeddings) != len(clauses):
            raise ValueError(f"{len(embeddings)} embeddings for {len(clauses)} clauses")
        codes, uniques = pd.factorize(clauses["clause"].fillna("").astype(str), sort=False)
        first = np.zeros(len(uniques), dtype=np.int64)
        first[codes[::-1]] = np.arange(len(codes))[::-1]  # first clause of each distinct text
        vectors = np.asarray(embeddings, dtype=np.float32)[first] if len(codes) else embeddings[:0]
        keys = tuple(text_key(t) for t in uniques)
        return cls(clauses, mentions, vectors, codes.astype(np.int64), stats, keys, model_id)

    def without_vectors(self) -> Scored:
        """The same result naming its vectors by key only (what a resumable run persists)."""
        return replace(self, vectors=None)

    def with_vectors(self, vectors: np.ndarray) -> Scored:
        """The result with its vectors back: float32 (m, d), aligned with `keys`."""
        if len(vectors) != len(self.keys):
            raise ValueError(f"{len(vectors)} vectors for {len(self.keys)} distinct clause texts")
        return replace(self, vectors=np.asarray(vectors, dtype=np.float32))

    @property
    def embeddings(self) -> np.ndarray:
        """float32 (n_clauses, d), aligned with `clauses`."""
        if self.vectors is None:
            raise ValueError("this scoring result was persisted without its vectors; read them back from the "
                             "embedding cache by key first (flows.scoring restores them)")
        return self.vectors[self.rows]


def partition_by_feedback(clauses: pd.DataFrame, max_rows: int) -> list[pd.DataFrame]:
    """Consecutive slices of about `max_rows` clauses that never split one feedback's clauses.

    A feedback stays whole so that anything judged over a whole message sees all of it in one place.

    Args:
        clauses: table with feedback_id, ordered so that a feedback's clauses are adjacent.
        max_rows: target clauses per partition (a partition exceeds it only to finish a feedback).

    Returns:
        list of tables whose concatenation is `clauses` (same rows, same order).
    """
    require_columns(clauses, ["feedback_id"], "partition")
    if max_rows < 1:
        raise ValueError(f"partition size must be at least 1 clause, got {max_rows}")
    if len(clauses) == 0:
        return [clauses]
    fid = clauses["feedback_id"].to_numpy()
    # Positions where a new feedback starts: the only places a cut may go.
    starts = np.flatnonzero(np.r_[True, fid[1:] != fid[:-1]])
    if len(np.unique(fid)) != len(starts):
        raise ValueError("clauses of one feedback must be adjacent before partitioning (sort by feedback_id)")
    cuts, last = [0], 0
    for s in starts[1:]:
        if s - last >= max_rows:
            cuts.append(int(s))
            last = s
    cuts.append(len(clauses))
    return [clauses.iloc[a:b] for a, b in zip(cuts[:-1], cuts[1:])]


def combine(parts: list[Scored]) -> Scored:
    """Concatenate scored partitions (each with its vectors) in order; embedding counts are summed."""
    if not parts:
        raise ValueError("nothing to combine: no scored partitions")
    if any(p.vectors is None for p in parts):
        raise ValueError("a scored partition has no vectors: restore them before combining")
    keys = parts[0].stats.keys()
    offsets = np.cumsum([0] + [len(p.vectors) for p in parts[:-1]])
    return Scored(
        clauses=pd.concat([p.clauses for p in parts], ignore_index=True),
        mentions=pd.concat([p.mentions for p in parts], ignore_index=True),
        vectors=np.vstack([p.vectors for p in parts]).astype(np.float32, copy=False),
        rows=np.concatenate([p.rows + off for p, off in zip(parts, offsets)]).astype(np.int64),
        stats=_run_stats(parts, keys),
        keys=tuple(k for p in parts for k in p.keys),
        model_id=parts[0].model_id,
    )


def _run_stats(parts: list[Scored], keys) -> dict[str, int]:
    """Embedding counts of the whole run.

    A text embedded by one partition is a cache hit for the next partition of the same run; summed per
    partition, an empty cache would look half stale. Counted over the run instead: `distinct` texts of the
    run, `embedded` by this run, `cached` = found in the cache from earlier runs.
    """
    stats = {k: int(sum(p.stats.get(k, 0) for p in parts)) for k in keys}
    if len(parts) > 1 and {"distinct", "cached", "embedded"} <= set(stats):
        distinct = int(pd.concat([p.clauses["clause"] for p in parts if "clause" in p.clauses.columns]).nunique())
        stats["distinct"] = distinct
        stats["embedded"] = min(stats["embedded"], distinct)
        stats["cached"] = distinct - stats["embedded"]
    return stats
