"""Partitions never split a feedback, and recombine to exactly the input."""

import numpy as np
import pandas as pd
import pytest

from pipeline.partitions import Scored, combine, partition_by_feedback


def _clauses(sizes):
    rows = [(f"f{i}", f"f{i}#{j}") for i, n in enumerate(sizes) for j in range(n)]
    return pd.DataFrame(rows, columns=["feedback_id", "clause_id"])


def test_partitions_keep_each_feedback_whole_and_recombine_in_order():
    clauses = _clauses([3, 1, 4, 1, 5, 9, 2, 6])
    parts = partition_by_feedback(clauses, 5)
    # cuts at the first feedback boundary at or past 5 clauses since the last cut
    assert [len(p) for p in parts] == [8, 6, 9, 8]
    for p in parts:
        assert not set(p["feedback_id"]) & set(clauses.drop(p.index)["feedback_id"])
    assert pd.concat(parts).equals(clauses)
    # a cut only where the running size reached the target
    assert all(len(p) >= 5 for p in parts[:-1])


def test_one_partition_when_the_target_exceeds_the_data():
    clauses = _clauses([2, 2])
    assert len(partition_by_feedback(clauses, 100)) == 1


def test_scattered_feedback_is_refused():
    clauses = pd.DataFrame({"feedback_id": ["a", "b", "a"], "clause_id": ["a#0", "b#0", "a#1"]})
    with pytest.raises(ValueError, match="adjacent"):
        partition_by_feedback(clauses, 1)


def test_combine_stacks_rows_and_sums_counts():
    def scored(texts, start):
        n = len(texts)
        c = pd.DataFrame({"clause_id": [f"c{start + i}" for i in range(n)], "clause": texts})
        emb = np.array([[start + sum(map(ord, t)) % 7, len(t), 1] for t in texts], np.float32)
        return Scored.of(c, c.assign(category_id="x"), emb, {"texts": n, "embedded": 1})

    a, b = scored(["车机卡顿", "异响"], 0), scored(["异响", "车机卡顿", "异响"], 10)
    assert len(b.vectors) == 2 and b.rows.tolist() == [0, 1, 0]  # each distinct text stored once
    out = combine([a, b])
    assert out.clauses["clause_id"].tolist() == ["c0", "c1", "c10", "c11", "c12"]
    expected = np.vstack([a.embeddings, b.embeddings])
    assert out.embeddings.shape == (5, 3) and np.array_equal(out.embeddings, expected)
    assert out.embeddings[2, 0] == 10 + sum(map(ord, "异响")) % 7
    assert out.stats == {"texts": 5, "embedded": 2}
    with pytest.raises(ValueError, match="2 embeddings for 3 clauses"):
        Scored.of(b.clauses, b.mentions, expected[:2], {})

def test_texts_embedded_by_an_earlier_partition_of_the_run_are_not_cache_hits():
    def scored(texts, stats):
        c = pd.DataFrame({"clause_id": [f"{t}{i}" for i, t in enumerate(texts)], "clause": texts})
        return Scored.of(c, c.assign(category_id="x"), np.ones((len(texts), 2), np.float32), stats)

    # Empty cache: partition 1 embeds both texts; partition 2 finds 异响 "cached" (by partition 1) and embeds 顿挫.
    a = scored(["车机卡顿", "异响"], {"texts": 2, "distinct": 2, "cached": 0, "embedded": 2})
    b = scored(["异响", "顿挫"], {"texts": 2, "distinct": 2, "cached": 1, "embedded": 1})
    assert combine([a, b]).stats == {"texts": 4, "distinct": 3, "cached": 0, "embedded": 3}
