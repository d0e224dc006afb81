"""Clause classification: taxonomy rules, semantic similarity to category examples, an optional
supervised head, and polarity per mention."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.classify.head import SupervisedHead
from pipeline.classify.negation import clause_negation, denied_by_next, hearsay_leads
from pipeline.classify.polarity import QUESTION, clause_tone
from pipeline.classify.rules import RuleMatcher
from pipeline.classify.semantic import calibrate_thresholds
from pipeline.embed import Embedder
from pipeline.errors import InputError, MissingColumnsError
from pipeline.schema import require_columns
from pipeline.taxonomy import PolarityMode, Taxonomy

MENTION_COLUMNS = [
    "clause_id", "feedback_id", "category_id", "polarity", "method", "score", "matched_terms", "negation",
]
# Complaint-tone words: the semantic lane only speaks for clauses that sound like a complaint
# (for issue categories; aspect categories are not gated).
_COMPLAINT_TONE = re.compile(
    "差|慢|坏|烂|垃圾|失望|问题|故障|毛病|投诉|不好|不行|难用|离谱|坑|气人|无语|崩溃|受不了|太[^\\s，]{0,3}了|"
    "怎么回事|失灵|没反应|吓|危险|严重|一直|老是|总是|又|还是"
)
_QUESTION = QUESTION

# The located semantic lane (a clause names a component but no listed symptom) compares the clause only with
# that component's categories, so a lower similarity suffices than for the open lane. Chosen on half "a" of
# the complaint-title dev set (benchmarks/bench_complaints.py), reported on half "b".
LOCATED_THRESHOLD = 0.45
VAGUE_COMPONENT = "vehicle"
MEMO_LIMIT = 500_000  # distinct clause texts remembered per classifier (~ a few hundred MB at most)


class Classifier:
    """Clause-level, multi-label categorisation against a taxonomy.

    Rules decide first (negation-aware). A clause no rule claims is compared with each category's
    `match` examples and categorised when the cosine similarity reaches the category's threshold
    (issue categories only for clauses that sound like a complaint). An optional supervised head
    adds the categories it is confident of. Every mention records method, score and matched terms.

    Args:
        taxonomy: the loaded taxonomy.
        semantic_threshold: minimum cosine similarity to a category example; "auto" calibrates one
            threshold per category from the examples (leave-one-out) or from labelled texts given to
            `fit`; None switches the semantic lane off.
        head: a SupervisedHead, or the path of a saved one; None: no supervised lane.
        semantic_floor: lowest threshold "auto" may choose.
        head_decides: with a head, the categories it was trained on are decided by it alone (rule
            hits and example similarity become its evidence); otherwise the head only adds mentions.
    """

    def __init__(self, taxonomy: Taxonomy, semantic_threshold: float | str | None = 0.80,
                 head: SupervisedHead | str | Path | None = None, semantic_floor: float = 0.5,
                 head_decides: bool = False, located_threshold: float | None = LOCATED_THRESHOLD) -> None:
        self.taxonomy = taxonomy
        self.located_threshold = located_threshold
        self.semantic_threshold = semantic_threshold
        self.head = head
        self.head_decides = head_decides
        self.semantic_floor = semantic_floor
        self.matcher_: RuleMatcher | None = None
        self.example_vecs_: np.ndarray | None = None
        self.example_cats_: list[str] = []
        self.example_texts_: list[str] = []
        self.thresholds_: dict[str, float] = {}
        self.head_: SupervisedHead | None = None
        self.rule_memo_: dict[str, list[tuple]] = {}  # clause text -> rule hits with polarity (see classify)

    def fit(self, embedder: Embedder | None = None, labelled: pd.DataFrame | None = None,
            labelled_embeddings: np.ndarray | None = None) -> Classifier:
        """Compile the rules, embed the category examples and calibrate the semantic thresholds.

        Args:
            embedder: the same embedder that embeds the clauses; None switches the semantic lane off.
            labelled: optional table with `text` and `labels` (lists of category ids) to calibrate on.
            labelled_embeddings: float32 (len(labelled), d); embedded with `embedder` when absent.
        """
        self.matcher_ = RuleMatcher(self.taxonomy)
        self.rule_memo_ = {}
        leaves = self.taxonomy.leaf_ids
        if embedder is not None and self.semantic_threshold is not None:
            texts, cats = [], []
            for cid in leaves:
                for ex in self.taxonomy.categories[cid].examples.match:
                    texts.append(ex)
                    cats.append(cid)
            if self.taxonomy.generated:
                # Composed categories have no written examples: seed them with component x symptom phrases.
                from pipeline.taxonomy.facets import seed_phrases

                for ph, cid in seed_phrases(self.taxonomy.spec, self.taxonomy.generated):
                    texts.append(ph)
                    cats.append(cid)
            self.example_vecs_ = embedder.embed(texts) if texts else None
            self.example_cats_, self.example_texts_ = cats, texts
            if self.semantic_threshold == "auto" and texts:
                if labelled is not None:
                    vecs = labelled_embeddings if labelled_embeddings is not None else embedder.embed(labelled["text"])
                    truth = [set(x) for x in labelled["labels"]]
                    sims, self_ex = vecs @ self.example_vecs_.T, False
                else:
                    neg = [(ex, cid) for cid in leaves for ex in self.taxonomy.categories[cid].examples.no_match]
                    neg_vecs = embedder.embed([t for t, _ in neg]) if neg else np.zeros((0, self.example_vecs_.shape[1]))
                    vecs = np.vstack([self.example_vecs_, neg_vecs])
                    truth = [{c} for c in cats] + [set() for _ in neg]
                    sims, self_ex = vecs @ self.example_vecs_.T, True
                self.thresholds_ = calibrate_thresholds(
                    sims if not self_ex else _mask_self(sims, len(texts)), cats, truth, sorted(set(cats)),
                    floor=self.semantic_floor)
            elif self.semantic_threshold != "auto":
                self.thresholds_ = {c: float(self.semantic_threshold) for c in set(cats)}
        if self.head is not None:
            self.head_ = self.head if isinstance(self.head, SupervisedHead) else SupervisedHead.load(self.head)
            unknown = sorted(set(self.head_.categories_) - set(leaves))
            if unknown:
                raise InputError(f"the supervised head predicts categories the taxonomy has no leaf for: {unknown}",
                                 file=None if isinstance(self.head, SupervisedHead) else self.head)
        return self

    def _polarity(self, cid: str, text: str, state: str | None) -> str:
        if self.taxonomy.polarity_mode(cid) is PolarityMode.aspect:
            return clause_tone(text)
        if state is None:
            return "complaint"
        return "praise" if state == "negated" else "neutral"

    def classify(self, clauses: pd.DataFrame, embeddings: np.ndarray | None = None,
                 feedback: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Categorise clauses.

        Args:
            clauses: table with clause_id, feedback_id, clause (and channel / vehicle_model when the
                taxonomy filters on them).
            embeddings: float32 (n_clauses, d) aligned with `clauses`, L2-normalised; needed for the
                semantic lane and a head trained with embeddings.
            feedback: optional feedback table (feedback_id, channel, vehicle_model) from which the
                taxonomy's filters take the columns `clauses` lacks.

        Returns:
            (clauses with `clause_polarity` added, mentions table with MENTION_COLUMNS). polarity is
            complaint (counts as an issue), praise, neutral (e.g. resolved issues) or question;
            clause_polarity is complaint, praise, question or neutral.
        """
        require_columns(clauses, ["clause_id", "feedback_id", "clause"], "classify")
        if self.matcher_ is None:
            self.fit()
        texts = clauses["clause"].fillna("").astype(str).tolist()
        cids, fids = clauses["clause_id"].tolist(), clauses["feedback_id"].tolist()
        allowed = self._filter_mask(clauses, feedback)
        context = _feedback_context(fids, texts) if any(c.feedback_scope for c in self.matcher_.rules_.values()) else None
        rows: list[tuple] = []
        claimed: list[set[str]] = []
        unclaimed: list[int] = []
        # Feedback repeats itself ("车机卡顿", "希望尽快解决"): without feedback-scope rules a clause's
        # rule hits and their polarity depend on its text alone, so each distinct text is matched once,
        # also across calls (a worker classifies partition after partition with the same instance).
        memo = self.rule_memo_
        if len(memo) > MEMO_LIMIT:
            memo.clear()
        story = hearsay_leads(fids, texts)
        denied = denied_by_next(fids, texts)
        for i, text in enumerate(texts):
            found = memo.get(text) if context is None else None
            if found is None:
                found = [(h, "praise" if h.kind == "praise" else self._polarity(h.category_id, text, h.state))
                         for h in self.matcher_.match(text, context[fids[i]] if context else None)]
                if context is None:
                    memo[text] = found
            hits = [(h, pol) for h, pol in found if allowed is None or allowed(i, h.category_id)]
            # someone else's story told in the clauses before, or denied in the next: not a complaint
            state = "hearsay" if story[i] else "negated" if denied[i] else None
            if state is not None:
                hits = [(replace(h, state=state), self._polarity(h.category_id, text, state))
                        if h.kind == "complaint" and h.state is None else (h, pol) for h, pol in hits]
            for h, pol in hits:
                rows.append((cids[i], fids[i], h.category_id, pol, h.method, 1.0, "|".join(h.terms), h.state))
            claimed.append({h.category_id for h, _ in hits})
            if not hits and text and state is None:
                unclaimed.append(i)
        if unclaimed and embeddings is not None and self.example_vecs_ is not None:
            located, rows_located = self._located(unclaimed, texts, cids, fids, embeddings, allowed)
            rows.extend(rows_located)
            rest = [i for i in unclaimed if i not in located]
            rows.extend(self._semantic(rest, texts, cids, fids, embeddings, allowed))
        if self.head_ is not None:
            rows = self._supervised(rows, texts, cids, fids, embeddings, claimed, allowed)
        mentions = pd.DataFrame(rows, columns=MENTION_COLUMNS).astype(
            {"clause_id": object, "feedback_id": object, "category_id": object, "polarity": object, "score": float}
        )
        polarity = _clause_polarity(clauses["clause_id"], texts, mentions)
        return clauses.assign(clause_polarity=polarity), mentions

    def _filter_mask(self, clauses: pd.DataFrame, feedback: pd.DataFrame | None):
        filters = {cid: self.taxonomy.filters(cid) for cid in self.taxonomy.leaf_ids}
        filters = {cid: f for cid, f in filters.items() if f is not None and (f.channel or f.vehicle_model)}
        if not filters:
            return None
        need = sorted({col for f in filters.values() for col in ("channel", "vehicle_model") if getattr(f, col)})
        lacking = [c for c in need if c not in clauses.columns and feedback is not None and c in feedback.columns]
        if lacking:
            clauses = clauses[["feedback_id"]].merge(feedback[["feedback_id", *lacking]], on="feedback_id", how="left")
        missing = [c for c in need if c not in clauses.columns]
        if missing:
            raise MissingColumnsError("classify (taxonomy filters)", missing, list(clauses.columns))
        cols = {c: clauses[c].astype(str).tolist() for c in need}

        def allowed(i: int, cid: str) -> bool:
            f = filters.get(cid)
            if f is None:
                return True
            return all(not getattr(f, c) or cols[c][i] in getattr(f, c) for c in need)

        return allowed

    def _semantic(self, idx: list[int], texts, cids, fids, embeddings: np.ndarray, allowed) -> list[tuple]:
        sims = embeddings[idx] @ self.example_vecs_.T  # (k, n_examples)
        best = sims.argmax(axis=1)
        rows = []
        for j, i in enumerate(idx):
            score = float(sims[j, best[j]])
            cat = self.example_cats_[best[j]]
            if score < self.thresholds_.get(cat, 1.01) or (allowed is not None and not allowed(i, cat)):
                continue
            aspect = self.taxonomy.polarity_mode(cat) is PolarityMode.aspect
            if not aspect:
                # Issue categories: only clauses that sound like a complaint, and never a denied one.
                if not _COMPLAINT_TONE.search(texts[i]) or clause_negation(texts[i]) is not None:
                    continue
            pol = clause_tone(texts[i]) if aspect else "complaint"
            rows.append((cids[i], fids[i], cat, pol, "semantic", round(score, 4), self.example_texts_[best[j]], None))
        return rows

    def _located(self, idx: list[int], texts, cids, fids, embeddings: np.ndarray, allowed) -> tuple[set, list]:
        """The located semantic lane: a clause that names a component (变速箱) but no listed symptom
        ("变速箱冷车升挡困难") takes the most similar category of that component, when similar enough.

        Returns:
            (indices that got a mention, mention rows with method "semantic").
        """
        facets = self.matcher_.facets_ if self.matcher_ is not None else None
        if facets is None or self.located_threshold is None:
            return set(), []
        root = self.taxonomy.spec.facet_root
        cols_of: dict[str, np.ndarray] = {}
        done, rows = set(), []
        for i in idx:
            text = texts[i]
            toks = facets.tokens(text)
            comps = [t for t in toks if t.kind == "component"]
            if not comps or any(t.kind == "symptom" for t in toks) or clause_negation(text) is not None:
                continue
            system = comps[-1].ref[0]
            if system == VAGUE_COMPONENT:
                continue  # 车辆 names no location: nothing to compare against
            if system not in cols_of:
                prefix = f"{root}.{system}."
                cols_of[system] = np.array([j for j, c in enumerate(self.example_cats_) if c.startswith(prefix)], dtype=int)
            cols = cols_of[system]
            if not len(cols):
                continue
            sims = self.example_vecs_[cols] @ embeddings[i]
            k = int(sims.argmax())
            score, cat = float(sims[k]), self.example_cats_[cols[k]]
            if score < self.located_threshold or (allowed is not None and not allowed(i, cat)):
                continue
            done.add(i)
            rows.append((cids[i], fids[i], cat, "complaint", "semantic", round(score, 4),
                         f"{comps[-1].term}|{self.example_texts_[cols[k]]}", None))
        return done, rows

    def _supervised(self, rows, texts, cids, fids, embeddings, claimed, allowed) -> list[tuple]:
        from pipeline.classify.head import rule_hit_matrix

        head = self.head_
        hits = rule_hit_matrix(self.matcher_, texts, head.rule_categories_) if head.rule_categories_ else None
        proba = head.predict_proba(texts, embeddings, hits)
        chosen = head.decide(proba)
        learnt = head.predict_polarity(texts, embeddings, hits)
        row_of = {cid: i for i, cid in enumerate(cids)}

        def is_aspect(cat: str) -> bool:
            return self.taxonomy.polarity_mode(cat) is PolarityMode.aspect

        if learnt is not None:  # a learnt polarity replaces the lexicon's tone for aspect mentions
            rows = [r[:3] + (learnt[row_of[r[0]]],) + r[4:] if is_aspect(r[2]) else r for r in rows]
        if self.head_decides:
            # The head decides its categories: other lanes' mentions stay only where it agrees
            # (praise of an issue category is not the head's business).
            col = {c: k for k, c in enumerate(head.categories_)}
            kept = []
            for r in rows:
                k = col.get(r[2])
                if k is None or (r[3] == "praise" and not is_aspect(r[2])):
                    kept.append(r)
                elif chosen[row_of[r[0]], k]:
                    kept.append(r[:4] + (r[4] + "+supervised", round(float(proba[row_of[r[0]], k]), 4)) + r[6:])
            rows = kept
        have = {(r[0], r[2]) for r in rows}
        for i, k in zip(*np.nonzero(chosen)):
            cat = head.categories_[k]
            if cat in claimed[i] or (cids[i], cat) in have or (allowed is not None and not allowed(i, cat)):
                continue
            aspect = is_aspect(cat)
            if not aspect and clause_negation(texts[i]) is not None:
                continue  # a denied issue is not one, however sure the head is
            pol = (learnt[i] if learnt is not None else clause_tone(texts[i])) if aspect else "complaint"
            rows.append((cids[i], fids[i], cat, pol, "supervised", round(float(proba[i, k]), 4), "", None))
        return rows


def _mask_self(sims: np.ndarray, n_examples: int) -> np.ndarray:
    """Leave-one-out: an example may not be its own nearest neighbour."""
    sims = sims.copy()
    idx = np.arange(n_examples)
    sims[idx, idx] = -1.0
    return sims


def _feedback_context(fids: list, texts: list[str]) -> dict:
    joined: dict = {}
    for f, t in zip(fids, texts):
        joined.setdefault(f, []).append(t)
    return {f: "，".join(ts) for f, ts in joined.items()}


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
