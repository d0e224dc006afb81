"""Chinese preprocessing: normalisation, clause splitting, segmentation."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline.preprocess.clauses import CLAUSE_COLUMNS, split_clauses, to_clauses
from pipeline.preprocess.normalize import normalize_text
from pipeline.preprocess.segment import Segmenter, SegmenterBackend, stopwords, vehicle_names
from pipeline.schema import require_columns


def segment_clauses(clauses: pd.DataFrame, segmenter: Segmenter, cache_dir: str | Path | None = None) -> pd.DataFrame:
    """Add `tokens` (all jieba tokens, space-joined) and `topic_doc` (topic-model tokens, space-joined).

    Args:
        clauses: table with a `clause` column.
        segmenter: a Segmenter (loaded on first use).
        cache_dir: where tokens persist between runs (see SegmentCache); None cuts every distinct clause.
    """
    require_columns(clauses, ["clause"], "segment_clauses")
    # Feedback repeats itself (templates, agent boilerplate): cut each distinct clause once.
    codes, distinct = pd.factorize(clauses["clause"])
    if cache_dir is not None:
        from pipeline.preprocess.cache import SegmentCache

        tokens, topic_doc = SegmentCache(cache_dir).segment(list(distinct), segmenter)
    else:
        toks = segmenter.cut_many(list(distinct))
        tokens = [" ".join(t) for t in toks]
        topic_doc = [" ".join(segmenter.topic_tokens(t)) for t in toks]
    return clauses.assign(
        tokens=[tokens[i] for i in codes],
        topic_doc=[topic_doc[i] for i in codes],
    )


__all__ = [
    "CLAUSE_COLUMNS", "Segmenter", "SegmenterBackend", "normalize_text", "segment_clauses", "split_clauses", "stopwords",
    "to_clauses", "vehicle_names",
]
