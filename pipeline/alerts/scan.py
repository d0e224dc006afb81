"""Categorise new feedback for the red line: normalise, split into clauses, rules and facets (and, with an
embedder, the semantic P0 detector).

The red-line scan runs every few minutes on small batches, so by default it uses the rules and the
component x symptom facets only (no embedder to load); the daily flow, which has embeddings anyway, adds
the recall-first semantic detector through the same function (`semantic_p0_mentions`).
"""

from __future__ import annotations

import pandas as pd

from pipeline.alerts.detect import semantic_p0_mentions
from pipeline.classify import Classifier
from pipeline.preprocess import to_clauses
from pipeline.taxonomy import Taxonomy


def scan_mentions(feedback: pd.DataFrame, taxonomy: Taxonomy, classifier: Classifier | None = None,
                  embedder=None) -> pd.DataFrame:
    """Mentions of every category in `feedback` (feedback_id, text), P0 detectors included.

    Args:
        feedback: at least feedback_id and text.
        taxonomy: the taxonomy whose rules apply.
        classifier: a fitted Classifier to reuse between batches (rules-only unless fitted with `embedder`).
        embedder: optional; with it the clauses are embedded and the semantic P0 detector runs too.

    Returns:
        The mentions table (clause_id, feedback_id, category_id, polarity, method, ..., matched_terms).
    """
    _, clauses = to_clauses(feedback)
    if embedder is None:
        clf = classifier or Classifier(taxonomy, semantic_threshold=None).fit()
        return clf.classify(clauses)[1]
    clf = classifier or Classifier(taxonomy).fit(embedder)
    vecs = embedder.embed(clauses["clause"].tolist())
    mentions = clf.classify(clauses, vecs)[1]
    extra = semantic_p0_mentions(clauses, vecs, clf, mentions)
    return pd.concat([mentions, extra], ignore_index=True) if len(extra) else mentions
