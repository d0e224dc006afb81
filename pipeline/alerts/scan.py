"""Categorise new feedback for the red line: normalise, split into clauses, taxonomy rules.

The red-line scan runs every few minutes on small batches, so it uses the rules lane only (no
embedder to load); the P0 rules are written to catch indirect phrasing (踩刹车没反应, 车突然没动力了).
"""

from __future__ import annotations

import pandas as pd

from pipeline.classify import Classifier
from pipeline.preprocess import to_clauses
from pipeline.taxonomy import Taxonomy


def scan_mentions(feedback: pd.DataFrame, taxonomy: Taxonomy, classifier: Classifier | None = None) -> pd.DataFrame:
    """Rule mentions of every category in `feedback` (feedback_id, text).

    Args:
        feedback: at least feedback_id and text.
        taxonomy: the taxonomy whose rules apply.
        classifier: a fitted rules-only Classifier to reuse between batches.

    Returns:
        The mentions table (clause_id, feedback_id, category_id, polarity, ..., matched_terms).
    """
    _, clauses = to_clauses(feedback)
    clf = classifier or Classifier(taxonomy, semantic_threshold=None).fit()
    return clf.classify(clauses)[1]
