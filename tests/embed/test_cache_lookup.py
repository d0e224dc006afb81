"""A cache lookup reads the vectors of the row groups that hold the keys asked for, not the whole cache."""

import numpy as np
import pyarrow.parquet as pq
import pytest

from pipeline.embed import cache as cache_mod
from pipeline.embed.cache import EmbeddingCache

MODEL = "m-1"


@pytest.fixture
def row_groups_read(monkeypatch):
    """(shard file name, row groups) of every vector read."""
    reads = []
    real = pq.ParquetFile.read_row_groups

    def spy(self, groups, *args, **kwargs):
        reads.append((self.metadata.num_rows, tuple(groups)))
        return real(self, groups, *args, **kwargs)

    monkeypatch.setattr(pq.ParquetFile, "read_row_groups", spy)
    monkeypatch.setattr(cache_mod, "ROW_GROUP_ROWS", 4)
    return reads


def _vectors(n, seed):
    v = np.random.default_rng(seed).standard_normal((n, 8)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_a_lookup_reads_only_the_row_groups_holding_wanted_keys(tmp_path, row_groups_read):
    mine, others = [f"run-{i}" for i in range(10)], [f"other-{i}" for i in range(100)]
    va, vb = _vectors(10, 0), _vectors(100, 1)
    EmbeddingCache(tmp_path).save(MODEL, mine, va)  # 3 row groups of 4, 4, 2 vectors
    EmbeddingCache(tmp_path).save(MODEL, others, vb)  # a cache 10x larger than the run
    got = EmbeddingCache(tmp_path).lookup(MODEL, ["run-5", "run-9", "never-embedded", "run-5"])
    assert list(got) == ["run-5", "run-9"]
    np.testing.assert_array_equal(got["run-5"], va[5])
    np.testing.assert_array_equal(got["run-9"], va[9])
    assert row_groups_read == [(10, (1, 2))]  # the other run's 100 vectors were never read


def test_a_long_lived_lookup_reads_each_vector_once_and_sees_new_shards(tmp_path, row_groups_read):
    worker = EmbeddingCache(tmp_path)
    worker.save(MODEL, ["a", "b"], _vectors(2, 0))
    assert worker.lookup(MODEL, ["a", "b"]).keys() == {"a", "b"} and row_groups_read == []  # its own: in memory
    other = _vectors(3, 1)
    EmbeddingCache(tmp_path).save(MODEL, ["c", "a", "d"], other)  # another process, also holding `a`
    got = worker.lookup(MODEL, ["a", "c", "d"])
    np.testing.assert_array_equal(got["c"], other[0])
    assert not np.array_equal(got["a"], other[1])  # what this instance had stays
    assert row_groups_read == [(3, (0,))]
    worker.lookup(MODEL, ["c", "d"])
    assert len(row_groups_read) == 1


def test_a_key_in_two_shards_takes_the_first_shard_by_name(tmp_path):
    for seed in range(3):
        EmbeddingCache(tmp_path).save(MODEL, ["same", f"own-{seed}"], _vectors(2, seed))
    shards = sorted((tmp_path / MODEL).glob("*.parquet"))
    first = pq.read_table(shards[0]).to_pydict()
    expected = np.asarray(first["vec"][first["key"].index("same")], dtype=np.float32)
    np.testing.assert_array_equal(EmbeddingCache(tmp_path).lookup(MODEL, ["same"])["same"], expected)
    index, mat = EmbeddingCache(tmp_path).load(MODEL)
    assert len(index) == 4 and np.array_equal(mat[index["same"]], expected)
