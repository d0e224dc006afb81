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
from pipeline.classify.negation import clause_negation
from pipeline.preprocess import to_clauses
from pipeline.taxonomy import Severity, Taxonomy


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
        mentions = clf.classify(clauses)[1]
    else:
        clf = classifier or Classifier(taxonomy).fit(embedder)
        vecs = embedder.embed(clauses["clause"].tolist())
        mentions = clf.classify(clauses, vecs)[1]
        extra = semantic_p0_mentions(clauses, vecs, clf, mentions)
        mentions = pd.concat([mentions, extra], ignore_index=True) if len(extra) else mentions
    return pd.concat([mentions, carried_over_p0(clauses, clf, mentions)], ignore_index=True)


def carried_over_p0(clauses: pd.DataFrame, classifier: Classifier, mentions: pd.DataFrame) -> pd.DataFrame:
    """P0 mentions of a clause that names no part, read with the part the feedback named just before:
    "方向盘是不是有问题？昨天开着突然转不动了", "气囊弹出来了，但是没充起来". Recall first; the clause_id is
    `<clause_id>+` and matched_terms start with the carried part."""
    facets = classifier.matcher_.facets_ if classifier.matcher_ is not None else None
    if facets is None or not len(clauses):
        return mentions.iloc[0:0]
    rows = []
    last: dict = {}
    for cid, fid, text in zip(clauses["clause_id"], clauses["feedback_id"], clauses["clause"]):
        comps = [t for t in facets.tokens(str(text)) if t.kind == "component"]
        if comps and clause_negation(str(text)) == "negated":
            last.pop(fid, None)  # 气囊没问题，故障灯也不亮: a part said to be fine carries no failure
        elif comps:
            last[fid] = comps[-1].term
        elif fid in last:
            rows.append((f"{cid}+", fid, f"{last[fid]}{text}"))
    if not rows:
        return mentions.iloc[0:0]
    found = classifier.classify(pd.DataFrame(rows, columns=["clause_id", "feedback_id", "clause"]))[1]
    p0 = {c for c in classifier.taxonomy.categories if classifier.taxonomy.severity(c) is Severity.P0}
    have = set(zip(mentions["feedback_id"], mentions["category_id"]))
    keep = [c in p0 and (f, c) not in have for f, c in zip(found["feedback_id"], found["category_id"])]
    return found[keep]
