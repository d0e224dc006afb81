"""Issue topic discovery with BERTopic (UMAP + HDBSCAN, c-TF-IDF over jieba tokens)."""

from __future__ import annotations

import json
import logging
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.errors import ModelNotAvailableError, NotEnoughDataError, VocError

OUTLIER = -1


class TopicModel:
    """Fits issue topics on clause embeddings and assigns new clauses to them.

    Assignment is by cosine similarity to each topic's centroid, both for the clauses the model
    was fitted on and for new ones, so a clause gets the same topic whether it was in the fit or
    not; a clause below `min_similarity` to every centroid stays an outlier (-1).

    Args:
        min_topic_size: HDBSCAN min_cluster_size; default scales with the fit size (n / 400, >= 15).
        n_neighbors, n_components: UMAP settings.
        max_fit_docs: distinct clauses sampled for the fit; the rest are assigned.
        min_similarity: cosine similarity a clause needs to join a topic.
        top_n_words: keywords kept per topic.
        random_state: fixes UMAP and the sample, so a refit on the same data gives the same topics.
    """

    def __init__(
        self,
        min_topic_size: int | None = None,
        n_neighbors: int = 15,
        n_components: int = 5,
        max_fit_docs: int = 15000,
        min_similarity: float = 0.55,
        top_n_words: int = 8,
        random_state: int = 42,
    ) -> None:
        self.min_topic_size = min_topic_size
        self.n_neighbors = n_neighbors
        self.n_components = n_components
        self.max_fit_docs = max_fit_docs
        self.min_similarity = min_similarity
        self.top_n_words = top_n_words
        self.random_state = random_state
        self.bertopic_ = None
        self.centroids_: np.ndarray | None = None  # (k, d) float32, unit norm
        self.topic_ids_: np.ndarray | None = None  # (k,) int
        self.keywords_: dict[int, list[str]] = {}

    def fit(self, docs: list[str], embeddings: np.ndarray) -> TopicModel:
        """Fit topics.

        Args:
            docs: per clause, its topic tokens joined by spaces (no stop words or car names).
            embeddings: float32 (n, d), L2-normalised, aligned with `docs`.
        """
        from bertopic import BERTopic
        from hdbscan import HDBSCAN
        from sklearn.feature_extraction.text import CountVectorizer
        from umap import UMAP

        if len(docs) != len(embeddings):
            raise VocError(f"TopicModel.fit: {len(docs)} docs but {len(embeddings)} embeddings")
        # Fit on distinct token strings: repeated boilerplate would otherwise dominate the density.
        keep = pd.Series(docs).reset_index().drop_duplicates(0)
        keep = keep[keep[0].str.len() > 0]["index"].to_numpy()
        rng = np.random.default_rng(self.random_state)
        if len(keep) > self.max_fit_docs:
            keep = np.sort(rng.choice(keep, self.max_fit_docs, replace=False))
        if len(keep) < 50:
            raise NotEnoughDataError(f"TopicModel.fit needs at least 50 distinct non-empty clauses; got {len(keep)}")
        fit_docs = [docs[i] for i in keep]
        fit_emb = embeddings[keep]
        size = self.min_topic_size or max(15, len(keep) // 400)
        model = BERTopic(
            # Not "english": BERTopic would strip every non-ASCII character before c-TF-IDF.
            language="multilingual",
            umap_model=UMAP(
                n_neighbors=self.n_neighbors, n_components=self.n_components, min_dist=0.0,
                metric="cosine", random_state=self.random_state, low_memory=True,
            ),
            hdbscan_model=HDBSCAN(
                min_cluster_size=size, min_samples=max(5, size // 5), metric="euclidean",
                cluster_selection_method="eom", prediction_data=False,
            ),
            # Docs are pre-segmented by jieba: a token is whatever lies between spaces.
            vectorizer_model=CountVectorizer(token_pattern=r"[^ ]+", lowercase=False, min_df=2),
            top_n_words=self.top_n_words,
            calculate_probabilities=False,
        )
        topics, _ = model.fit_transform(fit_docs, embeddings=fit_emb)
        topics = np.asarray(topics)
        ids = sorted(t for t in set(topics.tolist()) if t != OUTLIER)
        if not ids:
            raise NotEnoughDataError("TopicModel.fit found no topic: every clause was an outlier; lower min_topic_size")
        cents = np.vstack([fit_emb[topics == t].mean(axis=0) for t in ids]).astype(np.float32)
        cents /= np.linalg.norm(cents, axis=1, keepdims=True)
        self.bertopic_ = model
        self.topic_ids_ = np.asarray(ids)
        self.centroids_ = cents
        # BERTopic pads short topics with empty strings; they are not keywords.
        self.keywords_ = {t: [w for w, _ in (model.get_topic(t) or []) if w] for t in ids}
        # Keep BERTopic's own view consistent with ours for anyone using it directly.
        outlier_vec = fit_emb[topics == OUTLIER].mean(axis=0) if (topics == OUTLIER).any() else np.zeros(cents.shape[1])
        model.topic_embeddings_ = np.vstack([outlier_vec, cents]) if OUTLIER in set(topics.tolist()) else cents
        return self

    def assign(self, embeddings: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Nearest topic per row.

        Args:
            embeddings: float32 (n, d), L2-normalised.

        Returns:
            (topic ids (n,) int with -1 for outliers, cosine similarity to that topic (n,) float32).
        """
        if self.centroids_ is None:
            raise VocError("TopicModel.assign called before fit or load")
        out_t = np.full(len(embeddings), OUTLIER, dtype=int)
        out_s = np.zeros(len(embeddings), dtype=np.float32)
        for lo in range(0, len(embeddings), 8192):
            sims = embeddings[lo : lo + 8192] @ self.centroids_.T
            best = sims.argmax(axis=1)
            score = sims[np.arange(len(best)), best]
            ok = score >= self.min_similarity
            out_t[lo : lo + 8192] = np.where(ok, self.topic_ids_[best], OUTLIER)
            out_s[lo : lo + 8192] = score
        return out_t, out_s

    def label(self, topic_id: int, n: int = 4) -> str:
        """Readable label: the topic's first keywords, e.g. "车机·卡顿·反应·导航"."""
        return "·".join(self.keywords_.get(topic_id, [])[:n]) if topic_id != OUTLIER else "(离群)"

    def save(self, path: str | Path, manifest: dict) -> Path:
        """Write the model (BERTopic safetensors + c-TF-IDF) and `manifest.json` into `path`."""
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        # No embedding model name in BERTopic's config: BERTopic.load would try to fetch it from a hub.
        # The embedder id lives in manifest.json, so BERTopic's warning about it is only noise here.
        with _quiet_bertopic():
            self.bertopic_.save(str(path / "bertopic"), serialization="safetensors", save_ctfidf=True,
                                save_embedding_model=False)
        np.save(path / "centroids.npy", self.centroids_)
        state = {
            "topic_ids": self.topic_ids_.tolist(),
            "keywords": {str(k): v for k, v in self.keywords_.items()},
            "params": {k: getattr(self, k) for k in (
                "min_topic_size", "n_neighbors", "n_components", "max_fit_docs", "min_similarity",
                "top_n_words", "random_state")},
        }
        (path / "topics_state.json").write_text(json.dumps(state, ensure_ascii=False, indent=1), encoding="utf-8")
        (path / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: str | Path, with_bertopic: bool = False) -> TopicModel:
        """Load a saved model; `with_bertopic` also restores the BERTopic object (hub switched off)."""
        path = Path(path)
        state_file = path / "topics_state.json"
        if not state_file.exists():
            raise ModelNotAvailableError(f"no topic model in '{path}' (missing topics_state.json); run a fit first")
        state = json.loads(state_file.read_text(encoding="utf-8"))
        model = cls(**state["params"])
        model.topic_ids_ = np.asarray(state["topic_ids"])
        model.keywords_ = {int(k): v for k, v in state["keywords"].items()}
        model.centroids_ = np.load(path / "centroids.npy")
        if with_bertopic:
            from bertopic import BERTopic

            with _quiet_bertopic():
                model.bertopic_ = BERTopic.load(str(path / "bertopic"))
        return model


@contextmanager
def _quiet_bertopic():
    logger = logging.getLogger("BERTopic")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def read_manifest(path: str | Path) -> dict:
    return json.loads((Path(path) / "manifest.json").read_text(encoding="utf-8"))
