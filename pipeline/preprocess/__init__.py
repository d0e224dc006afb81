"""Chinese preprocessing: normalisation, clause splitting, segmentation."""

from __future__ import annotations

import pandas as pd

from pipeline.preprocess.clauses import CLAUSE_COLUMNS, split_clauses, to_clauses
from pipeline.preprocess.normalize import normalize_text
from pipeline.preprocess.segment import Segmenter, SegmenterBackend, stopwords, vehicle_names
from pipeline.schema import require_columns


def segment_clauses(clauses: pd.DataFrame, segmenter: Segmenter) -> pd.DataFrame:
    """Add `tokens` (all jieba tokens, space-joined) and `topic_doc` (topic-model tokens, space-joined).

    Args:
        clauses: table with a `clause` column.
        segmenter: a Segmenter (loaded on first use).
    """
    require_columns(clauses, ["clause"], "segment_clauses")
    # Feedback repeats itself (templates, agent boilerplate): cut each distinct clause once.
    codes, distinct = pd.factorize(clauses["clause"])
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
