"""The segmentation cache returns what jieba returns, cuts only texts it has not seen, and is keyed by
the segmenter's configuration."""

import pandas as pd
import pytest

from pipeline.preprocess import Segmenter, segment_clauses
from pipeline.preprocess.cache import SegmentCache, fingerprint

TEXTS = ["车机卡顿严重，导航经常死机", "刹车异响", "比亚迪汉的续航虚标", "刹车异响"]


def test_cached_tokens_equal_fresh_ones_and_are_not_cut_again(tmp_path, monkeypatch):
    clauses = pd.DataFrame({"clause": TEXTS})
    fresh = segment_clauses(clauses, Segmenter(["车机卡顿"]))
    first = segment_clauses(clauses, Segmenter(["车机卡顿"]), tmp_path)
    pd.testing.assert_frame_equal(first, fresh)
    assert "车机卡顿" in first.loc[0, "tokens"].split() and "比亚迪" not in first.loc[2, "topic_doc"]

    seg = Segmenter(["车机卡顿"])
    cut = []
    original = seg.cut_many
    monkeypatch.setattr(seg, "cut_many", lambda texts: cut.extend(texts) or original(texts))
    second = segment_clauses(pd.DataFrame({"clause": TEXTS + ["座椅加热不工作"]}), seg, tmp_path)
    assert cut == ["座椅加热不工作"]  # only the new distinct text
    pd.testing.assert_frame_equal(second.iloc[:4], fresh)
    assert len(list((tmp_path / "segments").glob("*/*.parquet"))) == 2  # one shard per run with new texts


@pytest.mark.parametrize("other", [Segmenter(["车机卡顿", "续航虚标"]), Segmenter(["车机卡顿"], backend="spacy")])
def test_another_configuration_has_its_own_cache(other):
    assert fingerprint(other) != fingerprint(Segmenter(["车机卡顿"]))
    assert fingerprint(Segmenter(["车机卡顿"])) == fingerprint(Segmenter(["车机卡顿"]))
