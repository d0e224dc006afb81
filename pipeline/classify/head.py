"""An optional supervised head: one-vs-rest logistic regression on character n-grams (+ embeddings).

Trained from a labelled CSV an analyst supplies (see `read_labelled`), saved to one file, and used by
the Classifier next to the rules and the semantic lane.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.errors import InputError

MIN_POSITIVES = 5  # fewer labelled texts than this: the head's view of a category is unreliable
LABELLED_COLUMNS = ["text", "categories"]  # categories: ids joined with '|'; empty = none applies


def read_labelled(path: str | Path) -> pd.DataFrame:
    """Read a labelled CSV (UTF-8): `text`, `categories` (ids joined with '|'), optional `polarity`.

    Returns:
        table with text, labels (list of category ids), polarity (or "" when absent).

    Raises:
        InputError: the file is missing, or lacks a column, or has an empty text (naming the line).
    """
    path = Path(path)
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError("file not found", file=path) from None
    missing = [c for c in LABELLED_COLUMNS if c not in df.columns]
    if missing:
        raise InputError(f"labelled CSV lacks column(s) {missing}; it has {list(df.columns)}; expected "
                         "`text` and `categories` (category ids joined with '|')", file=path, line=1)
    empty = df.index[df["text"].str.strip() == ""]
    if len(empty):
        raise InputError("empty text", file=path, line=int(empty[0]) + 2, column="text")
    labels = [[c.strip() for c in s.split("|") if c.strip()] for s in df["categories"]]
    pol = df["polarity"] if "polarity" in df.columns else pd.Series([""] * len(df))
    return pd.DataFrame({"text": df["text"].tolist(), "labels": labels, "polarity": pol.tolist()})


class SupervisedHead:
    """Multi-label text classifier with per-category thresholds.

    Args:
        C: inverse regularisation strength of each logistic regression.
        ngram_range: character n-gram lengths.
        use_embeddings: also use the clause embeddings as features.
        threshold: probability a category needs; None: tuned per category by 3-fold cross-validation.
        min_labels: 1 when every text is known to carry a category (e.g. aspect-labelled reviews):
            the most probable category is kept even below its threshold.
    """

    def __init__(self, C: float = 16.0, ngram_range: tuple[int, int] = (1, 3), use_embeddings: bool = False,
                 threshold: float | None = None, min_labels: int = 0) -> None:
        self.min_labels = min_labels
        self.C = C
        self.ngram_range = ngram_range
        self.use_embeddings = use_embeddings
        self.threshold = threshold

    def _features(self, texts, embeddings, rule_hits=None):
        from scipy.sparse import csr_matrix, hstack

        x = self.vectorizer_.transform(texts)
        if self.rule_categories_:
            if rule_hits is None:
                raise ValueError("this head was trained with rule features; pass rule_hits")
            x = hstack([x, csr_matrix(rule_hits.astype(np.float32))]).tocsr()
        if self.use_embeddings:
            if embeddings is None:
                raise ValueError("this head was trained with embeddings; pass them")
            x = hstack([x, csr_matrix(embeddings)]).tocsr()
        return x

    def fit(self, texts: list[str], labels: list[list[str]], embeddings: np.ndarray | None = None,
            rule_hits: np.ndarray | None = None, rule_categories: list[str] | None = None) -> SupervisedHead:
        """Train on texts and their category ids.

        Args:
            texts: n texts.
            labels: n lists of category ids (empty: no category).
            embeddings: float32 (n, d), needed when use_embeddings.
            rule_hits: optional 0/1 (n, len(rule_categories)): which categories the taxonomy's rules
                find in each text (see `rule_hit_matrix`); the head learns how far to trust each.
            rule_categories: the columns of rule_hits.
        """
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.model_selection import cross_val_predict
        from sklearn.multiclass import OneVsRestClassifier
        from sklearn.preprocessing import MultiLabelBinarizer

        self.binarizer_ = MultiLabelBinarizer().fit(labels)
        y = self.binarizer_.transform(labels)
        self.categories_ = list(self.binarizer_.classes_)
        self.vectorizer_ = TfidfVectorizer(analyzer="char", ngram_range=self.ngram_range, min_df=2, sublinear_tf=True)
        self.vectorizer_.fit(texts)
        self.rule_categories_ = list(rule_categories or []) if rule_hits is not None else []
        x = self._features(texts, embeddings, rule_hits)
        model = OneVsRestClassifier(LogisticRegression(C=self.C, solver="liblinear", max_iter=2000))
        # Categories with too few labelled texts are reported here instead of as sklearn warnings.
        self.sparse_categories_ = [c for c, n in zip(self.categories_, y.sum(axis=0)) if n < MIN_POSITIVES]
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Label not .* is present in all training examples")
            if self.threshold is None:
                proba = cross_val_predict(model, x, y, cv=3, method="predict_proba")
                self.thresholds_ = np.array([_best_threshold(proba[:, k], y[:, k]) for k in range(y.shape[1])])
            else:
                self.thresholds_ = np.full(y.shape[1], self.threshold)
            self.model_ = model.fit(x, y)
        return self

    def fit_polarity(self, texts: list[str], polarity: list[str], embeddings: np.ndarray | None = None,
                     rule_hits: np.ndarray | None = None) -> SupervisedHead:
        """Also learn the polarity of aspect mentions (complaint / praise / neutral / question) from labelled texts.

        Call after `fit` (the same features). Rows with an empty polarity are skipped.

        Args:
            texts: n texts (a text may repeat with different aspects' polarities).
            polarity: n labels.
        """
        from sklearn.linear_model import LogisticRegression

        keep = [i for i, p in enumerate(polarity) if p]
        bad = sorted({polarity[i] for i in keep} - {"complaint", "praise", "neutral", "question"})
        if bad:
            raise ValueError(f"polarity must be complaint, praise, neutral or question; got {bad}")
        x = self._features([texts[i] for i in keep], None if embeddings is None else embeddings[keep],
                           None if rule_hits is None else rule_hits[keep])
        self.polarity_model_ = LogisticRegression(C=self.C, max_iter=2000).fit(x, [polarity[i] for i in keep])
        return self

    def predict_polarity(self, texts: list[str], embeddings: np.ndarray | None = None,
                         rule_hits: np.ndarray | None = None) -> list[str] | None:
        """Polarity of each text, or None when the head learnt none."""
        if getattr(self, "polarity_model_", None) is None or not len(texts):
            return None
        return list(self.polarity_model_.predict(self._features(texts, embeddings, rule_hits)))

    def decide(self, proba: np.ndarray) -> np.ndarray:
        """Boolean (n, n_categories): the categories the head assigns, given `predict_proba` output."""
        out = proba >= self.thresholds_
        if self.min_labels and len(proba):
            out[np.arange(len(proba)), proba.argmax(axis=1)] = True
        return out

    def predict_proba(self, texts: list[str], embeddings: np.ndarray | None = None,
                      rule_hits: np.ndarray | None = None) -> np.ndarray:
        """Probabilities, float (n, n_categories), columns in `categories_` order."""
        if not len(texts):
            return np.zeros((0, len(self.categories_)))
        return self.model_.predict_proba(self._features(texts, embeddings, rule_hits))

    def save(self, path: str | Path) -> Path:
        import joblib

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        joblib.dump(self, path)
        return path

    @staticmethod
    def load(path: str | Path) -> SupervisedHead:
        import joblib

        if not Path(path).exists():
            raise InputError("supervised head file not found; train one with `voc taxonomy train`", file=path)
        head = joblib.load(path)
        if not isinstance(head, SupervisedHead):
            raise InputError(f"not a supervised head file (holds a {type(head).__name__})", file=path)
        return head


def rule_hit_matrix(matcher, texts: list[str], categories: list[str]) -> np.ndarray:
    """0/1 float32 (len(texts), len(categories)): the categories whose rules fire in each text (any
    negation state: the head learns what a denied mention means)."""
    col = {c: k for k, c in enumerate(categories)}
    out = np.zeros((len(texts), len(categories)), dtype=np.float32)
    for i, text in enumerate(texts):
        for h in matcher.match(text):
            if h.kind == "complaint" and h.category_id in col:
                out[i, col[h.category_id]] = 1.0
    return out


def _best_threshold(p: np.ndarray, y: np.ndarray) -> float:
    """Threshold in [0.15, 0.7] maximising F1 of `p >= t` against y."""
    best_t, best_f = 0.5, -1.0
    for t in np.arange(0.15, 0.71, 0.05):
        pred = p >= t
        tp = float((pred & (y == 1)).sum())
        f = 2 * tp / max(1.0, pred.sum() + y.sum())
        if f > best_f + 1e-9:
            best_t, best_f = float(t), f
    return round(best_t, 2)
