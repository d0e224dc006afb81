"""A scoring result persisted for resuming names its vectors by cache key and gets them back from the cache."""

import base64
import pickle

import numpy as np
import pandas as pd
import pytest

from pipeline.partitions import Scored, combine


def _scored(model_id="usem3-test"):
    texts = ["车机卡顿", "异响", "车机卡顿", "刹车偏软"]
    clauses = pd.DataFrame({"clause_id": [f"c{i}" for i in range(len(texts))], "clause": texts})
    emb = np.random.default_rng(0).normal(size=(len(texts), 16)).astype(np.float32)
    emb[2] = emb[0]  # the same text, the same vector
    return Scored.of(clauses, clauses.assign(category_id="x"), emb, {"texts": 4}, model_id=model_id), emb


def test_the_persisted_result_holds_keys_not_vectors_and_reads_them_back(tmp_path):
    from flows.scoring import VectorFreeSerializer, restore_vectors
    from pipeline.embed import EmbeddingCache
    from pipeline.embed.cache import text_key

    scored, emb = _scored()
    assert scored.keys == tuple(text_key(t) for t in ["车机卡顿", "异响", "刹车偏软"])
    EmbeddingCache(tmp_path).save(scored.model_id, list(scored.keys), scored.vectors)

    blob = VectorFreeSerializer().dumps(scored)
    back = VectorFreeSerializer().loads(blob)
    assert back.vectors is None and back.keys == scored.keys and back.model_id == "usem3-test"
    whole = base64.b64encode(pickle.dumps(scored, protocol=pickle.HIGHEST_PROTOCOL))
    assert len(blob) <= len(whole) - scored.vectors.nbytes  # base64 of the vectors' bytes is gone
    with pytest.raises(ValueError, match="without its vectors"):
        back.embeddings
    with pytest.raises(ValueError, match="no vectors"):
        combine([back])

    restored = restore_vectors(back, EmbeddingCache(tmp_path))  # a new instance: read from the files
    np.testing.assert_array_equal(restored.embeddings, emb)
    pd.testing.assert_frame_equal(restored.clauses, scored.clauses)
    assert restore_vectors(scored, EmbeddingCache(tmp_path / "empty")) is scored  # in memory: as it is

    partial = EmbeddingCache(tmp_path / "partial")
    partial.save(scored.model_id, list(scored.keys[:2]), scored.vectors[:2])
    assert restore_vectors(back, partial) is None  # one vector lost: the caller must score it again
    other = Scored(**{**back.__dict__, "model_id": "other-model"})
    assert restore_vectors(other, EmbeddingCache(tmp_path)) is None  # another model's vectors are not these


def test_other_results_persist_whole():
    from flows.scoring import VectorFreeSerializer

    frame = pd.DataFrame({"a": [1, 2], "b": ["车", "机"]})
    s = VectorFreeSerializer()
    pd.testing.assert_frame_equal(s.loads(s.dumps((frame, 3)))[0], frame)


def test_prefect_reads_a_result_back_with_the_serializer_that_wrote_it():
    from prefect._internal.result_records import ResultRecord, ResultRecordMetadata

    from flows.scoring import VectorFreeSerializer

    scored, _ = _scored()
    record = ResultRecord(metadata=ResultRecordMetadata(serializer=VectorFreeSerializer(), storage_key="k"),
                          result=scored)
    back = ResultRecord.deserialize(record.serialize())
    assert isinstance(back.serializer, VectorFreeSerializer)
    assert back.result.vectors is None and back.result.keys == scored.keys
    pd.testing.assert_frame_equal(back.result.mentions, scored.mentions)
