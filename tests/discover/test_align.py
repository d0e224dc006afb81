"""Stable topic ids: a refit on an overlapping window keeps the ids of topics both fits have."""

import numpy as np
import pandas as pd
import pytest

from pipeline.discover import OUTLIER, TopicModel
from pipeline.discover.guide import claimed_categories
from pipeline.discover.align import LINEAGE_COLUMNS, align_topics


def _toy(centroids, keywords, ids):
    m = TopicModel()
    c = np.asarray(centroids, dtype=np.float32)
    m.centroids_ = c / np.linalg.norm(c, axis=1, keepdims=True)
    m.topic_ids_ = np.asarray(ids)
    m.keywords_ = {t: list(k) for t, k in zip(ids, keywords)}
    m.keyword_weights_ = {t: dict(k) for t, k in zip(ids, keywords)}
    m.thresholds_ = np.full(len(ids), 0.5, dtype=np.float32)
    m.next_topic_id_ = max(ids) + 1
    return m


def test_matched_topics_keep_ids_new_ones_count_up_and_lineage_records_splits_and_merges():
    e = np.eye(6)
    prev = _toy([e[0], e[1], e[2], e[3] + e[4]], [{"卡顿": 1.0}, {"异响": 1.0}, {"漏水": 1.0}, {"销售": 1.0, "态度": 1.0}],
                [3, 7, 9, 12])
    prev.next_topic_id_ = 20  # ids 13-19 were used by earlier versions and are never reused
    # New fit (its own ids 0..4): lag and noise stay; leak is gone; sales split into two; a new topic on e5.
    new = _toy([e[1] + 0.05 * e[5], e[0], e[3] + 0.3 * e[4], e[4] + 0.3 * e[3], e[5]],
               [{"异响": 1.0}, {"卡顿": 1.0}, {"销售": 1.0, "态度": 0.5}, {"态度": 1.0, "销售": 0.5}, {"充电": 1.0}],
               [0, 1, 2, 3, 4])
    aligned, lineage = align_topics(prev, new, "v2", "v1", min_match=0.6, min_related=0.6)
    assert list(lineage.columns) == LINEAGE_COLUMNS
    assert aligned.topic_ids_[0] == 7 and aligned.topic_ids_[1] == 3  # swapped local ids, stable ids kept
    assert aligned.keywords_[7] == ["异响"]
    ev = lineage.set_index("topic_id")["event"]
    sales_ids = aligned.topic_ids_[2:4].tolist()
    assert 12 in sales_ids and ev[12] == "kept"
    other = [t for t in sales_ids if t != 12][0]
    assert other >= 20 and ev[other] == "split"
    assert lineage.set_index("topic_id").loc[other, "previous_topic_ids"] == "12"
    assert ev[aligned.topic_ids_[4]] == "new" and aligned.topic_ids_[4] >= 20
    assert ev[9] == "retired"
    assert aligned.next_topic_id_ == 22 and len(set(aligned.topic_ids_)) == 5
    # The assignment itself is unchanged by relabelling: same clusters, new names.
    x = np.asarray([e[0], e[5]], dtype=np.float32)
    t_new, _ = new.assign(x)
    t_al, _ = aligned.assign(x)
    assert t_al.tolist() == [dict(zip(new.topic_ids_, aligned.topic_ids_))[t] for t in t_new]


def test_merge_is_recorded():
    e = np.eye(4)
    prev = _toy([e[0], e[0] + 0.4 * e[1], e[2]], [{"卡顿": 1.0}, {"卡顿": 0.8, "死机": 0.6}, {"异响": 1.0}], [0, 1, 2])
    new = _toy([e[0] + 0.2 * e[1], e[2]], [{"卡顿": 1.0, "死机": 0.3}, {"异响": 1.0}], [0, 1])
    aligned, lineage = align_topics(prev, new, "v2", "v1")
    row = lineage[lineage["event"] == "merged"]
    assert len(row) == 1 and set(row["previous_topic_ids"].item().split("|")) == {"0", "1"}
    assert "retired" not in set(lineage["event"])


def test_first_fit_keeps_its_ids():
    m = _toy([[1, 0], [0, 1]], [{"a": 1.0}, {"b": 1.0}], [0, 1])
    aligned, lineage = align_topics(None, m, "v1")
    assert aligned.topic_ids_.tolist() == [0, 1] and set(lineage["event"]) == {"new"}


@pytest.mark.slow
def test_refit_on_an_overlapping_window_keeps_ids(processed):
    """Fit May-August and June-September; topics both fits have (same clauses, by membership) keep their id."""
    _, clauses, mentions, emb = processed
    month = pd.to_datetime(clauses["period"]).dt.month
    first, second = month.between(5, 8).to_numpy(), month.between(6, 9).to_numpy()
    docs = clauses["topic_doc"].to_numpy()
    claimed = claimed_categories(clauses, mentions)  # as the flows fit: guided, calibrated thresholds
    a = TopicModel(random_state=42).fit(docs[first].tolist(), emb[first], categories=claimed[first])
    b = TopicModel(random_state=42).fit(docs[second].tolist(), emb[second], categories=claimed[second])
    aligned, lineage = align_topics(a, b, "v2", "v1")
    # Ground truth from membership, independent of the matching: on the overlap (June-August),
    # topic pairs whose clause sets are each other's best match with Jaccard >= 0.5 exist in both fits.
    overlap = first & second
    ta, _ = a.assign(emb[overlap], claimed[overlap])
    tb, _ = b.assign(emb[overlap], claimed[overlap])
    stable_of = dict(zip(b.topic_ids_.tolist(), aligned.topic_ids_.tolist()))
    sets_a = {t: set(np.flatnonzero(ta == t)) for t in a.topic_ids_.tolist()}
    sets_b = {t: set(np.flatnonzero(tb == t)) for t in b.topic_ids_.tolist()}

    def jac(x, y):
        return len(x & y) / max(len(x | y), 1)

    both = []
    for t, s in sets_a.items():
        best_b = max(sets_b, key=lambda u: jac(s, sets_b[u]))
        best_a = max(sets_a, key=lambda u: jac(sets_a[u], sets_b[best_b]))
        if best_a == t and jac(s, sets_b[best_b]) >= 0.5:
            both.append((t, best_b))
    kept = [ta_ for ta_, tb_ in both if stable_of[tb_] == ta_]
    print(f"{len(a.topic_ids_)} and {len(b.topic_ids_)} topics; {len(both)} in both fits; {len(kept)} kept their id; "
          f"lineage {lineage['event'].value_counts().to_dict()}")
    assert len(both) >= 0.5 * min(len(a.topic_ids_), len(b.topic_ids_))  # the test is not vacuous
    assert len(kept) >= 0.9 * len(both)
    assert OUTLIER not in aligned.topic_ids_
