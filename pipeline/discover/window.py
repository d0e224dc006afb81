"""Which clauses a discovery run fits on, and the topic documents rebuilt from stored tokens."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd

from pipeline.preprocess import Segmenter
from pipeline.schema import require_columns


def fit_window(
    clauses: pd.DataFrame,
    mentions: pd.DataFrame,
    as_of: datetime,
    window_days: int = 90,
    unclaimed_only: bool = False,
    claimed_score: float = 0.8,
) -> pd.DataFrame:
    """Clauses created in the `window_days` up to `as_of`, optionally only those no category claimed.

    Args:
        clauses: clause_id, created_at (of its feedback).
        mentions: clause_id, polarity, score.
        as_of: end of the window (inclusive).
        unclaimed_only: keep only clauses without a complaint or praise mention scoring >= claimed_score:
            what the taxonomy does not already explain confidently is where new issues hide.

    Returns:
        The selected rows of `clauses` (same columns).
    """
    require_columns(clauses, ["clause_id", "created_at"], "fit_window")
    ts = pd.to_datetime(clauses["created_at"])
    sel = clauses[(ts > pd.Timestamp(as_of) - timedelta(days=window_days)) & (ts <= pd.Timestamp(as_of))]
    if unclaimed_only:
        require_columns(mentions, ["clause_id", "polarity", "score"], "fit_window")
        claimed = mentions[mentions["polarity"].isin(["complaint", "praise"]) & (mentions["score"] >= claimed_score)]
        sel = sel[~sel["clause_id"].isin(claimed["clause_id"])]
    return sel


def topic_docs(tokens: pd.Series, segmenter: Segmenter) -> list[str]:
    """Topic documents (space-joined topic tokens) from stored space-joined jieba tokens.

    Args:
        tokens: (n,) space-joined tokens as stored in the `clauses` table.
        segmenter: supplies the stop words and car names to drop.
    """
    codes, distinct = pd.factorize(tokens.fillna(""))
    docs = [" ".join(segmenter.topic_tokens(t.split())) for t in distinct]
    return [docs[i] for i in codes]
