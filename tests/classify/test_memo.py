"""A partition classified again with the same classifier, rows and vectors is read back, identical; any
changed clause, vector or setting is classified again."""

import numpy as np
import pandas as pd
import pytest

from pipeline.classify import Classifier
from pipeline.classify.memo import ClassificationMemo
from pipeline.taxonomy import load_taxonomy

TEXTS = ["车机卡顿严重", "刹车有异响", "开了一年没有任何异响", "座椅很舒服", "什么时候能修好？", "底盘咯吱咯吱响", ""]


@pytest.fixture(scope="module")
def taxonomy():
    return load_taxonomy("taxonomies/automotive_v1.yaml")


def _clauses(texts=TEXTS):
    n = len(texts)
    return pd.DataFrame({"clause_id": [f"f{i // 2}#{i % 2}" for i in range(n)], "feedback_id": [f"f{i // 2}" for i in range(n)],
                         "clause": texts, "clause_no": np.arange(n) % 2})


def _vectors(n, seed=0):
    v = np.random.default_rng(seed).standard_normal((n, 16)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


class Counted(Classifier):
    calls = 0

    def classify(self, *args, **kwargs):
        Counted.calls += 1
        return super().classify(*args, **kwargs)


def test_a_second_classification_is_read_back_identical(taxonomy, tmp_path):
    memo, clf = ClassificationMemo(tmp_path), Counted(taxonomy).fit()
    Counted.calls = 0
    first = memo.classify(clf, _clauses(), _vectors(len(TEXTS)), context="threads=2")
    again = memo.classify(Counted(taxonomy).fit(), _clauses(), _vectors(len(TEXTS)), context="threads=2")
    assert Counted.calls == 1
    fresh = Classifier(taxonomy).fit().classify(_clauses(), _vectors(len(TEXTS)))
    for got in (first, again):
        pd.testing.assert_frame_equal(got[0], fresh[0], check_exact=True)
        pd.testing.assert_frame_equal(got[1], fresh[1], check_exact=True)
    assert len(fresh[1]) >= 3 and "complaint" in set(fresh[0]["clause_polarity"])


def test_any_change_classifies_again(taxonomy, tmp_path):
    memo = ClassificationMemo(tmp_path)
    Counted.calls = 0
    memo.classify(Counted(taxonomy).fit(), _clauses(), _vectors(len(TEXTS)))
    changed_text = _clauses([*TEXTS[:-2], "车机死机", ""])
    memo.classify(Counted(taxonomy).fit(), changed_text, _vectors(len(TEXTS)))
    memo.classify(Counted(taxonomy).fit(), _clauses(), _vectors(len(TEXTS), seed=1))  # other vectors
    memo.classify(Counted(taxonomy, located_threshold=None).fit(), _clauses(), _vectors(len(TEXTS)))  # a setting
    memo.classify(Counted(taxonomy).fit(), _clauses(), _vectors(len(TEXTS)), context="threads=1")
    feedback = pd.DataFrame({"feedback_id": ["f0", "f1", "f2", "f3"], "channel": "app"})
    memo.classify(Counted(taxonomy).fit(), _clauses(), _vectors(len(TEXTS)), feedback=feedback)
    assert Counted.calls == 6
    _, mentions = memo.classify(Counted(taxonomy).fit(), changed_text, _vectors(len(TEXTS)))
    assert Counted.calls == 6  # stored under its own key
    pd.testing.assert_frame_equal(mentions, Classifier(taxonomy).fit().classify(changed_text, _vectors(len(TEXTS)))[1])


def test_an_unreadable_entry_is_classified_again(taxonomy, tmp_path):
    memo = ClassificationMemo(tmp_path)
    memo.classify(Classifier(taxonomy).fit(), _clauses(), _vectors(len(TEXTS)))
    (entry,) = tmp_path.glob("*.pkl")
    entry.write_bytes(b"truncated")
    Counted.calls = 0
    scored, _ = memo.classify(Counted(taxonomy).fit(), _clauses(), _vectors(len(TEXTS)))
    assert Counted.calls == 1 and len(scored) == len(TEXTS)
