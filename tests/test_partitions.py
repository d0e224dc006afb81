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
    def scored(n, start):
        c = pd.DataFrame({"clause_id": [f"c{start + i}" for i in range(n)]})
        return Scored(c, c.assign(category_id="x"), np.full((n, 3), start, np.float32),
                      {"texts": n, "embedded": 1})

    out = combine([scored(2, 0), scored(3, 10)])
    assert out.clauses["clause_id"].tolist() == ["c0", "c1", "c10", "c11", "c12"]
    assert out.embeddings.shape == (5, 3) and out.embeddings[2, 0] == 10
    assert out.stats == {"texts": 5, "embedded": 2}
