"""Taxonomy-guided topic discovery: clauses a category claims confidently pull towards that category."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.errors import VocError
from pipeline.schema import require_columns


def claimed_categories(clauses: pd.DataFrame, mentions: pd.DataFrame, min_score: float = 0.8) -> np.ndarray:
    """The one category that confidently claims each clause, or None.

    A clause is claimed when its mentions scoring at least `min_score` (every rule hit scores 1) all
    name the same category, whatever their polarity: the category says what the clause is about.
    Clauses with no such mention, or with confident mentions of two or more categories, stay
    unclaimed (None) and are left to the data.

    Args:
        clauses: (n rows) with clause_id.
        mentions: clause_id, category_id, score.
        min_score: mention score that counts as a confident claim.

    Returns:
        (n,) object array of category ids or None, aligned with `clauses`.
    """
    require_columns(clauses, ["clause_id"], "claimed_categories")
    require_columns(mentions, ["clause_id", "category_id", "score"], "claimed_categories")
    conf = mentions.loc[mentions["score"] >= min_score, ["clause_id", "category_id"]].drop_duplicates()
    single = conf.groupby("clause_id")["category_id"].agg(lambda s: s.iloc[0] if len(s) == 1 else None)
    return clauses["clause_id"].map(single).astype(object).where(lambda s: s.notna(), None).to_numpy()


def category_anchors(embeddings: np.ndarray, categories: np.ndarray) -> dict[str, np.ndarray]:
    """Per claimed category, the unit-length mean of its clauses' embeddings.

    Args:
        embeddings: float32 (n, d), L2-normalised.
        categories: (n,) category id or None per row.

    Returns:
        category id -> float32 (d,) unit vector.
    """
    cats = pd.Series(categories, dtype=object)
    out = {}
    for cat, idx in cats.dropna().groupby(cats.dropna()).groups.items():
        v = embeddings[np.asarray(idx)].mean(axis=0)
        out[str(cat)] = (v / max(float(np.linalg.norm(v)), 1e-9)).astype(np.float32)
    return out


def guide_vectors(embeddings: np.ndarray, categories: np.ndarray | None, anchors: dict[str, np.ndarray],
                  weight: float) -> np.ndarray:
    """Embeddings of claimed clauses moved towards their category's anchor; the rest unchanged.

    v' = normalise((1 - weight) * v + weight * anchor): clauses of one category move closer to each
    other, so topics follow the taxonomy where it speaks, while unclaimed clauses keep their own
    position and can form new topics. Categories without an anchor (unseen in the fit) are left alone.

    Args:
        embeddings: float32 (n, d), L2-normalised.
        categories: (n,) category id or None per row; None leaves every row as it is.
        anchors: from `category_anchors`.
        weight: in [0, 1); 0 switches guidance off.

    Returns:
        float32 (n, d), L2-normalised (a copy when anything moved).
    """
    if not 0 <= weight < 1:
        raise VocError(f"guide weight must be in [0, 1); got {weight}")
    if categories is None or weight == 0 or not anchors:
        return embeddings
    if len(categories) != len(embeddings):
        raise VocError(f"guide_vectors: {len(categories)} categories but {len(embeddings)} embeddings")
    cats = pd.Series(categories, dtype=object)
    out = embeddings.astype(np.float32, copy=True)
    for cat, idx in cats.dropna().groupby(cats.dropna()).groups.items():
        anchor = anchors.get(str(cat))
        if anchor is None:
            continue
        rows = np.asarray(idx)
        moved = (1 - weight) * out[rows] + weight * anchor[None, :]
        out[rows] = moved / np.linalg.norm(moved, axis=1, keepdims=True)
    return out
