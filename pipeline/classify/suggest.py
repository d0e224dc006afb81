"""What the clauses no category claims talk about, as candidates an analyst can act on: frequent terms
(car and brand names, stop words and call-centre boilerplate dropped) with example clauses, clusters
of similar clauses with examples, and rule-term synonyms only where they are close."""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd

from pipeline.schema import require_columns

SYNONYM_MIN_SIMILARITY = 0.7  # below this the "nearest rule term" was noise on the sample (经销商 -> 销售态度 0.66)
MIN_LIFT = 2.0  # terms nearly as common in categorised clauses as in uncategorised ones are filler (提车 1.6)
# Counted amounts (三个, 几句, 两次, 一周): never an issue.
_AMOUNT = re.compile(r"^[零一二三四五六七八九十百千万两几半好多每]+[个句次周天年月份辆台件回遍点趟位]?$")


@lru_cache(maxsize=1)
def boilerplate() -> frozenset[str]:
    """Call-centre and work-order words (resources/boilerplate_zh.txt)."""
    text = resources.files("pipeline").joinpath("resources/boilerplate_zh.txt").read_text(encoding="utf-8")
    return frozenset(w.strip() for w in text.splitlines() if w.strip() and not w.startswith("#"))


def candidate_tokens(tokens: list[str], segmenter) -> list[str]:
    """Tokens that may name an issue: no car or brand names (nor words containing one), stop words,
    PII placeholders, numbers or boilerplate."""
    from pipeline.preprocess.segment import vehicle_names

    cars = [n.lower() for n in vehicle_names() if len(n) > 1]
    bp = boilerplate()
    return [t for t in segmenter.topic_tokens(tokens)
            if len(t) > 1 and t not in bp and not _AMOUNT.match(t) and not any(c in t.lower() for c in cars)
            and not (t.isascii() and any(ch.isdigit() for ch in t))]


def suggest_terms(clauses: pd.DataFrame, claimed: pd.Series, segmenter, top_terms: int = 20, min_count: int = 3,
                  examples: int = 3) -> tuple[pd.DataFrame, list[list[str]]]:
    """Frequent candidate terms of the uncategorised clauses, with lift and example clauses.

    Args:
        clauses: distinct clauses: clause, n (how many clauses carry the text).
        claimed: bool per row, True where a category claimed the clause.
        segmenter: a Segmenter (its dictionary knows the taxonomy's terms and car names).

    Returns:
        (term, clauses, lift, examples) largest first; and the candidate tokens of every row.
    """
    require_columns(clauses, ["clause", "n"], "taxonomy suggest")
    toks = [candidate_tokens(t, segmenter) for t in segmenter.cut_many(clauses["clause"].tolist())]
    n = clauses["n"].to_numpy()
    un, cl = Counter(), Counter()
    for i, ts in enumerate(toks):
        for t in set(ts):
            (cl if claimed.iloc[i] else un)[t] += int(n[i])
    n_un, n_cl = max(1, int(n[~claimed.to_numpy()].sum())), max(1, int(n[claimed.to_numpy()].sum()))
    rows = []
    for t, c in un.most_common():
        if c < min_count:
            break
        lift = (c / n_un) / ((cl[t] + 1) / n_cl)
        if lift >= MIN_LIFT or cl[t] == 0:  # never in a categorised clause: a candidate however few those are
            rows.append((t, c, round(lift, 2)))
        if len(rows) >= top_terms:
            break
    order = np.argsort(-n, kind="stable")
    unclaimed = [i for i in order if not claimed.iloc[i]]
    out = []
    for t, c, lift in rows:
        ex = [clauses["clause"].iloc[i] for i in unclaimed if t in toks[i]][:examples]
        out.append((t, c, lift, " / ".join(ex)))
    return pd.DataFrame(out, columns=["term", "clauses", "lift", "examples"]), toks


def cluster_unclaimed(vectors: np.ndarray, clauses: pd.DataFrame, toks: list[list[str]], idx: np.ndarray,
                      n_clusters: int = 5, samples: int = 3) -> list[dict]:
    """Clusters of uncategorised clauses (weighted by how often each text occurs), largest first.

    Args:
        vectors: (len(clauses), d) L2-normalised vectors of the distinct clauses.
        idx: rows to cluster (uncategorised clauses with at least one candidate token).

    Returns:
        dicts with size (clauses), terms (top candidate tokens) and samples (clauses nearest the centre).
    """
    from sklearn.cluster import KMeans

    if len(idx) < 2:
        return []
    k = min(n_clusters, len(idx))
    w = clauses["n"].to_numpy()[idx].astype(float)
    labels = KMeans(n_clusters=k, n_init=4, random_state=0).fit_predict(vectors[idx], sample_weight=w)
    out = []
    for c in range(k):
        members = idx[labels == c]
        if not len(members):
            continue
        words = Counter()
        for i in members:
            for t in set(toks[i]):
                words[t] += int(clauses["n"].iloc[i])
        centre = vectors[members].mean(axis=0)
        near = members[np.argsort(-(vectors[members] @ centre))]
        out.append({"size": int(clauses["n"].to_numpy()[members].sum()), "terms": [t for t, _ in words.most_common(5)],
                    "samples": clauses["clause"].iloc[near[:samples]].tolist()})
    return sorted(out, key=lambda d: -d["size"])


def synonyms(terms: list[str], taxonomy, embedder, min_similarity: float = SYNONYM_MIN_SIMILARITY) -> pd.DataFrame:
    """Candidate terms close to an existing rule term: term, nearest_rule_term, category_id, similarity."""
    cols = ["term", "nearest_rule_term", "category_id", "similarity"]
    owner: dict[str, str] = {}
    for cid in taxonomy.leaf_ids:
        for t in taxonomy.categories[cid].rules.any:
            if "*" not in t:
                owner.setdefault(t, cid)
    rule_terms = sorted(owner)
    if not terms or not rule_terms:
        return pd.DataFrame(columns=cols)
    sims = embedder.embed(terms) @ embedder.embed(rule_terms).T
    rows = []
    for i, t in enumerate(terms):
        j = int(sims[i].argmax())
        # A candidate inside its rule term (提车 in 提车等了) is broader than it: it would over-match.
        if sims[i, j] >= min_similarity and t not in owner and t not in rule_terms[j]:
            rows.append((t, rule_terms[j], owner[rule_terms[j]], round(float(sims[i, j]), 3)))
    return pd.DataFrame(rows, columns=cols).sort_values("similarity", ascending=False).reset_index(drop=True)
