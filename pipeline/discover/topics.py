"""Issue topic discovery with BERTopic (UMAP + HDBSCAN, c-TF-IDF over jieba tokens)."""

from __future__ import annotations

import copy
import json
import logging
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.discover.guide import category_anchors, guide_vectors
from pipeline.errors import ModelNotAvailableError, NotEnoughDataError, VocError

OUTLIER = -1
CALIBRATION_CEILING = 0.55  # a calibrated threshold is never stricter than the fixed default


class TopicModel:
    """Fits issue topics on clause embeddings and assigns new clauses to them.

    Assignment is by cosine similarity to each topic's centroid, both for the clauses the model
    was fitted on and for new ones, so a clause gets the same topic whether it was in the fit or
    not; a clause below its join threshold for every centroid stays an outlier (-1).

    Guidance (pass `categories` to `fit` and `assign`): a clause that a taxonomy category claims
    confidently is moved towards that category's anchor (the mean of its claimed clauses) by
    `guide_weight`, and UMAP sees the categories as partial labels (-1 = unclaimed). Topics then
    follow the taxonomy where it speaks, and unclaimed clauses still form new topics of their own.

    Args:
        min_topic_size: HDBSCAN min_cluster_size; default scales with the fit size (n / 400, >= 15).
        n_neighbors, n_components: UMAP settings.
        max_fit_docs: distinct clauses sampled for the fit; the rest are assigned.
        min_similarity: cosine similarity a clause needs to join a topic; None (the default)
            calibrates one threshold per topic from the fit (see `calibration_quantile`).
        calibration_quantile: with min_similarity None, a topic's threshold is this quantile of the
            similarities of the clauses HDBSCAN put in it: a clause joins when it is at least as close
            as (1 - q) of the topic's own members, clipped to [min_similarity_floor, 0.55]: never
            stricter than the fixed default, looser for topics whose members are spread out.
        min_similarity_floor: no calibrated threshold goes below this (keeps unrelated text out).
        top_n_words: keywords kept per topic.
        random_state: fixes UMAP and the sample, so a refit on the same vectors gives the same topics. The
            embedder's vectors differ in their last bits with its BLAS thread count (taken from the free
            cores), which a small fit can turn on; set VOC_EMBED_THREADS for refits that must repeat.
        guide_weight: how far a claimed clause moves towards its category's anchor (0 = unguided).
        target_weight: UMAP's weight of the partial labels against the data (UMAP's default 0.5).
    """

    def __init__(
        self,
        min_topic_size: int | None = None,
        n_neighbors: int = 15,
        n_components: int = 5,
        max_fit_docs: int = 15000,
        min_similarity: float | None = None,
        top_n_words: int = 8,
        random_state: int = 42,
        calibration_quantile: float = 0.1,
        min_similarity_floor: float = 0.35,
        guide_weight: float = 0.5,
        target_weight: float = 0.5,
    ) -> None:
        self.min_topic_size = min_topic_size
        self.n_neighbors = n_neighbors
        self.n_components = n_components
        self.max_fit_docs = max_fit_docs
        self.min_similarity = min_similarity
        self.top_n_words = top_n_words
        self.random_state = random_state
        self.calibration_quantile = calibration_quantile
        self.min_similarity_floor = min_similarity_floor
        self.guide_weight = guide_weight
        self.target_weight = target_weight
        self.anchors_: dict[str, np.ndarray] = {}  # claimed category -> unit anchor vector (guidance)
        self.bertopic_ = None
        self.centroids_: np.ndarray | None = None  # (k, d) float32, unit norm
        self.topic_ids_: np.ndarray | None = None  # (k,) int
        self.keywords_: dict[int, list[str]] = {}
        self.keyword_weights_: dict[int, dict[str, float]] = {}  # top c-TF-IDF words per topic, for alignment
        self.thresholds_: np.ndarray | None = None  # (k,) similarity a clause needs to join each topic
        self.local_ids_: np.ndarray | None = None  # (k,) BERTopic's own ids of the topics
        self.next_topic_id_: int = 0  # first id a later aligned fit may give a new topic

    def fit(self, docs: list[str], embeddings: np.ndarray, categories: np.ndarray | None = None) -> TopicModel:
        """Fit topics.

        Args:
            docs: per clause, its topic tokens joined by spaces (no stop words or car names).
            embeddings: float32 (n, d), L2-normalised, aligned with `docs`.
            categories: optional (n,) id of the category that confidently claims each clause, None
                where none does (`guide.claimed_categories`); guides the fit (see the class doc).
        """
        from bertopic import BERTopic
        from hdbscan import HDBSCAN
        from sklearn.feature_extraction.text import CountVectorizer
        from umap import UMAP

        if len(docs) != len(embeddings):
            raise VocError(f"TopicModel.fit: {len(docs)} docs but {len(embeddings)} embeddings")
        if categories is not None and len(categories) != len(docs):
            raise VocError(f"TopicModel.fit: {len(docs)} docs but {len(categories)} categories")
        self.anchors_ = category_anchors(embeddings, categories) if categories is not None and self.guide_weight else {}
        embeddings = guide_vectors(embeddings, categories, self.anchors_, self.guide_weight)
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
        fit_y = None
        if self.anchors_:  # partial labels for UMAP: category codes, -1 = unclaimed
            codes = {c: k for k, c in enumerate(sorted(self.anchors_))}
            fit_y = np.asarray([codes.get(categories[i], -1) for i in keep])
            fit_y = fit_y if (fit_y >= 0).any() else None
        size = self.min_topic_size or max(15, len(keep) // 400)
        model = BERTopic(
            # Not "english": BERTopic would strip every non-ASCII character before c-TF-IDF.
            language="multilingual",
            umap_model=UMAP(
                n_neighbors=self.n_neighbors, n_components=self.n_components, min_dist=0.0,
                metric="cosine", random_state=self.random_state, low_memory=True,
                target_weight=self.target_weight,
            ),
            hdbscan_model=HDBSCAN(
                min_cluster_size=size, min_samples=max(5, size // 5), metric="euclidean",
                cluster_selection_method="eom", prediction_data=False,
            ),
            # Docs are pre-segmented by jieba: a token is whatever lies between spaces.
            vectorizer_model=CountVectorizer(token_pattern=r"[^ ]+", lowercase=False, min_df=2),
            top_n_words=self.top_n_words,
            calculate_probabilities=False,
            ctfidf_model=_class_tfidf(),
        )
        topics, _ = model.fit_transform(fit_docs, embeddings=fit_emb, y=fit_y)
        topics = np.asarray(topics)
        ids = sorted(t for t in set(topics.tolist()) if t != OUTLIER)
        if not ids:
            raise NotEnoughDataError("TopicModel.fit found no topic: every clause was an outlier; lower min_topic_size")
        cents = np.vstack([fit_emb[topics == t].mean(axis=0) for t in ids]).astype(np.float32)
        cents /= np.linalg.norm(cents, axis=1, keepdims=True)
        self.bertopic_ = model
        self.topic_ids_ = np.asarray(ids)
        self.local_ids_ = np.asarray(ids)
        self.next_topic_id_ = int(max(ids)) + 1
        self.centroids_ = cents
        # BERTopic pads short topics with empty strings; they are not keywords.
        self.keywords_ = {t: [w for w, _ in (model.get_topic(t) or []) if w] for t in ids}
        self.keyword_weights_ = _top_ctfidf(model, ids, 30)
        self.thresholds_ = self._calibrate(fit_emb, topics, ids, cents)
        # Keep BERTopic's own view consistent with ours for anyone using it directly.
        outlier_vec = fit_emb[topics == OUTLIER].mean(axis=0) if (topics == OUTLIER).any() else np.zeros(cents.shape[1])
        model.topic_embeddings_ = np.vstack([outlier_vec, cents]) if OUTLIER in set(topics.tolist()) else cents
        return self

    def assign(self, embeddings: np.ndarray, categories: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Nearest topic per row.

        Args:
            embeddings: float32 (n, d), L2-normalised.
            categories: for a guided model, (n,) claimed category or None per row, found as for the
                fit; without them a guided model assigns on the unguided embeddings.

        Returns:
            (topic ids (n,) int with -1 for outliers, cosine similarity to that topic (n,) float32).
        """
        if self.centroids_ is None:
            raise VocError("TopicModel.assign called before fit or load")
        embeddings = guide_vectors(embeddings, categories, self.anchors_, self.guide_weight)
        out_t = np.full(len(embeddings), OUTLIER, dtype=int)
        out_s = np.zeros(len(embeddings), dtype=np.float32)
        for lo in range(0, len(embeddings), 8192):
            sims = embeddings[lo : lo + 8192] @ self.centroids_.T
            # Nearest topic among those whose threshold the clause passes; ties to thresholds are fine.
            passing = np.where(sims >= self.thresholds_[None, :], sims, -np.inf)
            best = passing.argmax(axis=1)
            ok = np.isfinite(passing[np.arange(len(best)), best])
            best = np.where(ok, best, sims.argmax(axis=1))
            score = sims[np.arange(len(best)), best]
            out_t[lo : lo + 8192] = np.where(ok, self.topic_ids_[best], OUTLIER)
            out_s[lo : lo + 8192] = score
        return out_t, out_s

    def _calibrate(self, emb: np.ndarray, topics: np.ndarray, ids: list[int], cents: np.ndarray) -> np.ndarray:
        """Per-topic join thresholds: fixed `min_similarity`, or a quantile of each topic's members."""
        if self.min_similarity is not None:
            return np.full(len(ids), self.min_similarity, dtype=np.float32)
        out = np.empty(len(ids), dtype=np.float32)
        for j, t in enumerate(ids):
            member_sims = emb[topics == t] @ cents[j]
            q = float(np.quantile(member_sims, self.calibration_quantile))
            out[j] = min(max(self.min_similarity_floor, q), CALIBRATION_CEILING)
        return out

    def relabeled(self, mapping: dict[int, int], next_topic_id: int) -> TopicModel:
        """A copy whose topics carry new ids (e.g. stable ids from `align_topics`); the fit is shared.

        Args:
            mapping: current topic id -> new id, for every topic.
            next_topic_id: first id not used by this or any earlier version.
        """
        missing = [int(t) for t in self.topic_ids_ if int(t) not in mapping]
        if missing:
            raise VocError(f"TopicModel.relabeled: no new id for topics {missing}")
        new = copy.copy(self)
        new.topic_ids_ = np.asarray([mapping[int(t)] for t in self.topic_ids_])
        new.keywords_ = {mapping[t]: v for t, v in self.keywords_.items()}
        new.keyword_weights_ = {mapping[t]: v for t, v in self.keyword_weights_.items()}
        new.next_topic_id_ = int(next_topic_id)
        return new

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
        anchor_ids = sorted(self.anchors_)
        if anchor_ids:
            np.save(path / "anchors.npy", np.vstack([self.anchors_[c] for c in anchor_ids]))
        state = {
            "topic_ids": self.topic_ids_.tolist(),
            "local_ids": self.local_ids_.tolist(),
            "next_topic_id": self.next_topic_id_,
            "thresholds": [round(float(x), 6) for x in self.thresholds_],
            "keywords": {str(k): v for k, v in self.keywords_.items()},
            "keyword_weights": {str(k): v for k, v in self.keyword_weights_.items()},
            "anchor_categories": anchor_ids,
            "params": {k: getattr(self, k) for k in (
                "min_topic_size", "n_neighbors", "n_components", "max_fit_docs", "min_similarity",
                "top_n_words", "random_state", "calibration_quantile", "min_similarity_floor", "guide_weight",
                "target_weight")},
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
        # Models saved before stable ids and calibration: their ids are BERTopic's, thresholds fixed.
        model.local_ids_ = np.asarray(state.get("local_ids", state["topic_ids"]))
        model.next_topic_id_ = int(state.get("next_topic_id", max(state["topic_ids"], default=-1) + 1))
        model.keyword_weights_ = {int(k): v for k, v in state.get("keyword_weights", {}).items()}
        anchor_ids = state.get("anchor_categories", [])
        model.anchors_ = dict(zip(anchor_ids, np.load(path / "anchors.npy"))) if anchor_ids else {}
        fixed = model.min_similarity if model.min_similarity is not None else 0.55
        model.thresholds_ = np.asarray(state.get("thresholds", [fixed] * len(model.topic_ids_)), dtype=np.float32)
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


def _top_ctfidf(model, ids: list[int], n: int) -> dict[int, dict[str, float]]:
    """The n highest c-TF-IDF words of each topic with their weights (BERTopic rows are id + offset)."""
    words = model.vectorizer_model.get_feature_names_out()
    mat = model.c_tf_idf_.tocsr()
    out = {}
    for t in ids:
        row = mat.getrow(t + model._outliers)
        order = np.argsort(-row.data)[:n]
        out[t] = {str(words[row.indices[i]]): round(float(row.data[i]), 6) for i in order}
    return out


def read_manifest(path: str | Path) -> dict:
    return json.loads((Path(path) / "manifest.json").read_text(encoding="utf-8"))


def _class_tfidf():
    """BERTopic's c-TF-IDF, safe for a one-word vocabulary.

    BERTopic 0.17 squeezes the document frequencies to a 0-d array when the vocabulary has one word,
    and scipy >= 1.17's `diags` then fails with "object of type 'numpy.float64' has no len()".
    """
    import scipy.sparse as sp
    from bertopic.vectorizers import ClassTfidfTransformer

    class _OneWordSafe(ClassTfidfTransformer):
        def fit(self, X, multiplier=None):  # noqa: N803 - sklearn's name
            if X.shape[1] != 1 or not self.use_idf:
                return super().fit(X, multiplier)
            df = float(X.sum())
            avg = int(X.sum(axis=1).mean())
            if self.bm25_weighting:
                idf = np.log(1 + ((avg - df + 0.5) / (df + 0.5)))
            else:
                idf = np.log((avg / df) + 1)
            if multiplier is not None:
                idf = idf * float(np.ravel(multiplier)[0])
            self._idf_diag = sp.csr_matrix(np.array([[idf]], dtype=np.float64))
            return self

    return _OneWordSafe()
