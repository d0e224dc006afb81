"""Stored classification results, reused when a partition is classified again with nothing changed.

`Classifier.classify` is a function of its inputs (the clause rows, the feedback rows its taxonomy
filters read, the clause vectors) and of the fitted classifier (taxonomy version, settings, thresholds,
the category examples' vectors, a supervised head's bytes), computed by this release's code. The key
hashes all of them, so a stored result is only read back where classifying again must give the same
rows: a re-run of the same input with every vector cached then skips the matching.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import uuid
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.classify.classifier import Classifier
from pipeline.code_version import code_key

# Libraries a classification computes with (rjieba: token windows of `near` rules).
CLASSIFYING_PACKAGES = ("numpy", "pandas", "rjieba", "scikit-learn")


def _frame(h, df: pd.DataFrame | None) -> None:
    if df is None:
        h.update(b"none")
        return
    h.update(json.dumps([len(df), [(str(c), str(t)) for c, t in df.dtypes.items()]]).encode("utf-8"))
    if len(df) and len(df.columns):
        h.update(pd.util.hash_pandas_object(df, index=False).to_numpy().tobytes())


def _array(h, a: np.ndarray | None) -> None:
    if a is None:
        h.update(b"none")
        return
    a = np.ascontiguousarray(a)
    h.update(f"{a.dtype}{a.shape}".encode("utf-8") + a.tobytes())


def classifier_key(clf: Classifier, context: str = "") -> str | None:
    """What a fitted classifier computes with; None when it cannot be named (a head given as an object)."""
    if clf.matcher_ is None or (clf.head is not None and not isinstance(clf.head, (str, Path))):
        return None
    h = hashlib.blake2b(digest_size=20)
    h.update(code_key(packages=CLASSIFYING_PACKAGES).encode("utf-8"))
    h.update(json.dumps([context, clf.taxonomy.version, str(clf.semantic_threshold), clf.located_threshold,
                         clf.semantic_floor, clf.head_decides, sorted(clf.thresholds_.items()),
                         clf.example_cats_, clf.example_texts_]).encode("utf-8"))
    _array(h, clf.example_vecs_)
    h.update(Path(clf.head).read_bytes() if clf.head is not None else b"no head")
    return h.hexdigest()


class ClassificationMemo:
    """Classification results under `<root>/<key>.pkl`, keyed by classifier and inputs.

    Args:
        root: folder (the embedding cache's folder holds it, beside the vectors it depends on).
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def classify(self, clf: Classifier, clauses: pd.DataFrame, embeddings: np.ndarray | None = None,
                 feedback: pd.DataFrame | None = None, context: str = "") -> tuple[pd.DataFrame, pd.DataFrame]:
        """`clf.classify(clauses, embeddings, feedback)`, read back when stored under the same key.

        `context` names anything else the caller knows the result depends on (e.g. thread settings).
        """
        name = classifier_key(clf, context)
        if name is None:
            return clf.classify(clauses, embeddings, feedback=feedback)
        h = hashlib.blake2b(name.encode("utf-8"), digest_size=20)
        _frame(h, clauses)
        _frame(h, feedback)
        _array(h, embeddings)
        path = self.root / f"{h.hexdigest()}.pkl"
        if path.exists():
            try:
                with open(path, "rb") as f:
                    polarity, mentions = pickle.load(f)
                return clauses.assign(clause_polarity=polarity), mentions
            except (OSError, EOFError, pickle.UnpicklingError, ValueError):
                pass  # unreadable: classify again and store it anew
        scored, mentions = clf.classify(clauses, embeddings, feedback=feedback)
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = self.root / f".{uuid.uuid4().hex}.tmp"
        with open(tmp, "wb") as f:
            pickle.dump((scored["clause_polarity"].tolist(), mentions), f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)  # written whole or not at all
        return scored, mentions
