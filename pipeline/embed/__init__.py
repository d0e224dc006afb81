"""Sentence embeddings behind one small interface: `embed(texts) -> float32 (n, d)`, L2-normalised."""

from pipeline.embed.base import Embedder, EmbedderName
from pipeline.embed.cache import EmbeddingCache, embed_cached
from pipeline.embed.registry import get_embedder

__all__ = ["Embedder", "EmbedderName", "EmbeddingCache", "embed_cached", "get_embedder"]
