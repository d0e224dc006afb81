"""Hierarchical topics: which topics join into broader themes, from their centroids."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.cluster.hierarchy import linkage

from pipeline.discover.topics import TopicModel

HIERARCHY_COLUMNS = ["node_id", "label", "left_id", "right_id", "distance", "topic_ids", "size"]


def topic_hierarchy(model: TopicModel, sizes: dict[int, int] | None = None, n_words: int = 4) -> pd.DataFrame:
    """Average-linkage tree over topic centroids (cosine distance), one row per join.

    Leaves are the topics themselves (node id = topic id); a join gets node id "h<n>" and a label
    from the keywords its topics share most (weighted by c-TF-IDF), e.g. 车机·卡顿·导航·死机.

    Args:
        model: a fitted or loaded model with at least two topics.
        sizes: topic id -> clauses (for the size column); missing topics count 0.

    Returns:
        HIERARCHY_COLUMNS; k - 1 rows for k topics, the last row is the root.
    """
    ids = [int(t) for t in model.topic_ids_]
    if len(ids) < 2:
        return pd.DataFrame(columns=HIERARCHY_COLUMNS).astype(
            {"node_id": "string", "label": "string", "left_id": "string", "right_id": "string", "distance": "float64",
             "topic_ids": "string", "size": "int64"})
    sizes = sizes or {}
    z = linkage(model.centroids_.astype(np.float64), method="average", metric="cosine")
    nodes: list[tuple[str, list[int]]] = [(str(t), [t]) for t in ids]
    rows = []
    for n, (a, b, dist, _) in enumerate(z):
        left, right = nodes[int(a)], nodes[int(b)]
        members = left[1] + right[1]
        weights: dict[str, float] = {}
        for t in members:
            for w, v in (model.keyword_weights_.get(t) or {w: 1.0 for w in model.keywords_.get(t, [])}).items():
                weights[w] = weights.get(w, 0.0) + v * max(sizes.get(t, 1), 1)
        label = "·".join(sorted(weights, key=lambda w: -weights[w])[:n_words])
        node = (f"h{n}", members)
        nodes.append(node)
        rows.append({"node_id": node[0], "label": label, "left_id": left[0], "right_id": right[0],
                     "distance": round(float(dist), 4), "topic_ids": "|".join(map(str, sorted(members))),
                     "size": int(sum(sizes.get(t, 0) for t in members))})
    return pd.DataFrame(rows, columns=HIERARCHY_COLUMNS)
