"""Stable topic ids across refits: match a new fit to the previous model and record the lineage."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

from pipeline.discover.topics import TopicModel

LINEAGE_COLUMNS = [
    "topic_model_version", "topic_id", "event", "previous_version", "previous_topic_ids", "similarity",
    "centroid_similarity", "keyword_similarity",
]
EVENTS = ("kept", "new", "split", "merged", "retired")
_DTYPES = {"topic_model_version": "string", "topic_id": "int64", "event": "string", "previous_version": "string",
           "previous_topic_ids": "string", "similarity": "float64", "centroid_similarity": "float64",
           "keyword_similarity": "float64"}


def _table(rows: list[dict]) -> pd.DataFrame:
    # Typed even when a column is all empty (a first fit has no previous version): DuckDB needs a type.
    return pd.DataFrame(rows, columns=LINEAGE_COLUMNS).astype(_DTYPES)


def topic_similarity(prev: TopicModel, new: TopicModel, centroid_weight: float = 0.7) -> tuple[np.ndarray, ...]:
    """Similarity of every new topic to every previous one.

    Combines the cosine of the topic centroids (what the clauses mean) with the cosine of their
    c-TF-IDF keyword weights (how analysts read them); the two fits have different vocabularies, so
    the keyword vectors are compared over the union of their top words.

    Args:
        prev, new: fitted or loaded topic models embedded with the same embedder.
        centroid_weight: weight of the centroid cosine; the keyword cosine gets the rest.

    Returns:
        (combined (k_new, k_prev), centroid cosine (k_new, k_prev), keyword cosine (k_new, k_prev)).
    """
    cent = np.clip(new.centroids_ @ prev.centroids_.T, 0.0, 1.0)
    vocab = sorted({w for m in (prev, new) for kw in m.keyword_weights_.values() for w in kw})
    pos = {w: i for i, w in enumerate(vocab)}

    def matrix(m: TopicModel) -> np.ndarray:
        out = np.zeros((len(m.topic_ids_), max(len(vocab), 1)), dtype=np.float32)
        for j, t in enumerate(m.topic_ids_):
            for w, v in m.keyword_weights_.get(int(t), {}).items():
                out[j, pos[w]] = v
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms > 0, norms, 1.0)

    kw = matrix(new) @ matrix(prev).T
    if not vocab:  # models saved without keyword weights: centroids alone decide
        return cent, cent, kw
    return centroid_weight * cent + (1 - centroid_weight) * kw, cent, kw


def align_topics(
    prev: TopicModel | None,
    new: TopicModel,
    version: str,
    previous_version: str | None = None,
    min_match: float = 0.6,
    min_related: float = 0.6,
) -> tuple[TopicModel, pd.DataFrame]:
    """Give a new fit's topics the ids of the previous model's topics they continue.

    An optimal one-to-one matching (Hungarian, on the combined similarity) pairs new and previous
    topics; a pair at or above `min_match` keeps the previous id. An unpaired new topic gets a fresh
    id (never reused: ids count up from the previous model's `next_topic_id_`) and is recorded as a
    `split` of a previous topic it resembles (>= `min_related`) whose id went to another new topic,
    else as `new`. A kept topic that also resembles an unpaired previous topic records a `merged`
    event; previous topics without a successor are `retired`.

    Args:
        prev: the previous model (None for the first fit: every topic is new, ids unchanged).
        new: the new fit, with its own ids.
        version: the new model's version name.
        previous_version: the previous model's version name.
        min_match, min_related: similarity thresholds (0-1) for keeping an id and for lineage links.

    Returns:
        (the new model relabelled with stable ids, lineage table with LINEAGE_COLUMNS).
    """
    new_ids = [int(t) for t in new.topic_ids_]
    if prev is None or prev.centroids_ is None or not len(prev.topic_ids_):
        rows = [_row(version, t, "new", None, [], 0.0, 0.0, 0.0) for t in new_ids]
        return new.relabeled({t: t for t in new_ids}, max(new_ids) + 1), _table(rows)
    combined, cent, kw = topic_similarity(prev, new)
    prev_ids = [int(t) for t in prev.topic_ids_]
    r, c = linear_sum_assignment(-combined)
    pairs = {i: j for i, j in zip(r, c) if combined[i, j] >= min_match}
    matched_prev = set(pairs.values())
    next_id = max(prev.next_topic_id_, max(prev_ids) + 1)
    mapping, rows = {}, []
    for i, t in enumerate(new_ids):
        if i in pairs:
            j = pairs[i]
            mapping[t] = prev_ids[j]
            # Previous topics that found no successor of their own but resemble this one merged into it.
            absorbed = [k for k in range(len(prev_ids)) if k not in matched_prev and combined[i, k] >= min_related]
            event = "merged" if absorbed else "kept"
            sources = [prev_ids[j], *(prev_ids[k] for k in absorbed)]
            rows.append(_row(version, prev_ids[j], event, previous_version, sources, combined[i, j], cent[i, j], kw[i, j]))
        else:
            mapping[t] = next_id
            next_id += 1
            j = int(np.argmax(combined[i]))
            if combined[i, j] >= min_related and j in matched_prev:
                rows.append(_row(version, mapping[t], "split", previous_version, [prev_ids[j]], combined[i, j], cent[i, j], kw[i, j]))
            else:
                rows.append(_row(version, mapping[t], "new", previous_version, [], combined[i, j], cent[i, j], kw[i, j]))
    merged_away = {s for row in rows if row["event"] == "merged" for s in row["previous_topic_ids"].split("|")[1:]}
    for j, p in enumerate(prev_ids):
        if j not in matched_prev and str(p) not in merged_away:
            i = int(np.argmax(combined[:, j]))
            rows.append(_row(version, p, "retired", previous_version, [p], combined[i, j], cent[i, j], kw[i, j]))
    return new.relabeled(mapping, next_id), _table(rows)


def _row(version, topic_id, event, prev_version, sources, sim, cent, kw) -> dict:
    return {
        "topic_model_version": version, "topic_id": int(topic_id), "event": event,
        "previous_version": prev_version, "previous_topic_ids": "|".join(str(s) for s in sources),
        "similarity": round(float(sim), 4), "centroid_similarity": round(float(cent), 4),
        "keyword_similarity": round(float(kw), 4),
    }
