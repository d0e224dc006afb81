"""Clause classification: taxonomy rules first, semantic similarity to category examples second."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from pipeline.classify.negation import clause_negation
from pipeline.classify.rules import RuleMatcher
from pipeline.embed import Embedder
from pipeline.schema import require_columns
from pipeline.taxonomy import Taxonomy

MENTION_COLUMNS = [
    "clause_id", "feedback_id", "category_id", "polarity", "method", "score", "matched_terms", "negation",
]
# Complaint-tone words: the semantic lane only speaks for clauses that sound like a complaint.
_COMPLAINT_TONE = re.compile(
    "差|慢|坏|烂|垃圾|失望|问题|故障|毛病|投诉|不好|不行|难用|离谱|坑|气人|无语|崩溃|受不了|太[^\\s，]{0,3}了|"
    "怎么回事|失灵|没反应|吓|危险|严重|一直|老是|总是|又|还是"
)
_QUESTION = re.compile(r"[？?]|吗$|呢$|^请问|^咨询|^想问|怎么办|如何|多少钱|能不能|是否")


class Classifier:
    """Clause-level, multi-label categorisation against a taxonomy.

    Rules decide first (negation-aware); a clause no rule claims and that sounds like a complaint
    is compared with each category's `match` examples, and categorised if the cosine similarity
    reaches `semantic_threshold`.

    Args:
        taxonomy: the loaded taxonomy.
        semantic_threshold: minimum cosine similarity to a category example (None switches the
            semantic lane off).
    """

    def __init__(self, taxonomy: Taxonomy, semantic_threshold: float | None = 0.80) -> None:
        self.taxonomy = taxonomy
        self.semantic_threshold = semantic_threshold
        self.matcher_: RuleMatcher | None = None
        self.example_vecs_: np.ndarray | None = None
        self.example_cats_: list[str] = []

    def fit(self, embedder: Embedder | None = None) -> Classifier:
        """Compile the rules and embed the category examples.

        Args:
            embedder: the same embedder that embeds the clauses; None switches the semantic lane off.
        """
        self.matcher_ = RuleMatcher(self.taxonomy)
        if embedder is not None and self.semantic_threshold is not None:
            texts, cats = [], []
            for cid in self.taxonomy.leaf_ids:
                for ex in self.taxonomy.categories[cid].examples.match:
                    texts.append(ex)
                    cats.append(cid)
            self.example_vecs_ = embedder.embed(texts) if texts else None
            self.example_cats_ = cats
        return self

    def classify(self, clauses: pd.DataFrame, embeddings: np.ndarray | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Categorise clauses.

        Args:
            clauses: table with clause_id, feedback_id, clause.
            embeddings: float32 (n_clauses, d) aligned with `clauses`, L2-normalised; needed for the
                semantic lane.

        Returns:
            (clauses with `clause_polarity` added, mentions table with MENTION_COLUMNS). polarity is
            complaint, praise or neutral (resolved issues); clause_polarity is complaint, praise,
            question or neutral.
        """
        require_columns(clauses, ["clause_id", "feedback_id", "clause"], "classify")
        if self.matcher_ is None:
            self.fit()
        rows: list[tuple] = []
        unclaimed: list[int] = []
        texts = clauses["clause"].tolist()
        cids, fids = clauses["clause_id"].tolist(), clauses["feedback_id"].tolist()
        for i, text in enumerate(texts):
            hits = self.matcher_.match(text)
            for h in hits:
                if h.kind == "praise":
                    rows.append((cids[i], fids[i], h.category_id, "praise", "rule", 1.0, "|".join(h.terms), None))
                elif h.state is None:
                    rows.append((cids[i], fids[i], h.category_id, "complaint", "rule", 1.0, "|".join(h.terms), None))
                else:
                    pol = "praise" if h.state == "negated" else "neutral"
                    rows.append((cids[i], fids[i], h.category_id, pol, "rule", 1.0, "|".join(h.terms), h.state))
            if not hits and text and _COMPLAINT_TONE.search(text):
                unclaimed.append(i)
        if unclaimed and embeddings is not None and self.example_vecs_ is not None:
            rows.extend(self._semantic(unclaimed, texts, cids, fids, embeddings))
        mentions = pd.DataFrame(rows, columns=MENTION_COLUMNS).astype(
            {"clause_id": object, "feedback_id": object, "category_id": object, "polarity": object, "score": float}
        )
        polarity = _clause_polarity(clauses["clause_id"], texts, mentions)
        return clauses.assign(clause_polarity=polarity), mentions

    def _semantic(self, idx: list[int], texts, cids, fids, embeddings: np.ndarray) -> list[tuple]:
        sims = embeddings[idx] @ self.example_vecs_.T  # (k, n_examples)
        best = sims.argmax(axis=1)
        rows = []
        for j, i in enumerate(idx):
            score = float(sims[j, best[j]])
            if score < self.semantic_threshold:
                continue
            # A denied complaint is not one, however similar it sounds.
            if clause_negation(texts[i]) is not None:
                continue
            cat = self.example_cats_[best[j]]
            rows.append((cids[i], fids[i], cat, "complaint", "semantic", round(score, 4), "", None))
        return rows


def _clause_polarity(clause_ids: pd.Series, texts: list[str], mentions: pd.DataFrame) -> list[str]:
    pol_by_clause: dict[str, set[str]] = {}
    for cid, pol in zip(mentions["clause_id"], mentions["polarity"]):
        pol_by_clause.setdefault(cid, set()).add(pol)
    out = []
    for cid, text in zip(clause_ids, texts):
        pols = pol_by_clause.get(cid, set())
        if "complaint" in pols:
            out.append("complaint")
        elif "praise" in pols:
            out.append("praise")
        elif text and _QUESTION.search(text):
            out.append("question")
        else:
            out.append("neutral")
    return out
