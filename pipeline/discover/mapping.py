"""Topic -> taxonomy category mapping; topics no category explains are listed as emerging."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.discover.topics import OUTLIER, TopicModel
from pipeline.schema import require_columns

MIN_CONFIDENCE = 0.5  # share of the topic's categorised clauses that carry the top category
MIN_COVERAGE = 0.2  # share of the topic's clauses that carry any category at all
# An unnamed topic is put to analysts as a possible new issue only when complaints are a real part of it:
# clustering also gathers neutral narrative ("说几句心里话", "销售顾问说...") into large topics, and those
# are not issues, however large.
MIN_COMPLAINT_SHARE = 1 / 3

TOPIC_COLUMNS = [
    "topic_id", "label", "keywords", "size", "category_id", "polarity", "confidence", "coverage", "status",
    "is_emerging", "representative_clauses",
]


def describe_topics(
    model: TopicModel, clauses: pd.DataFrame, mentions: pd.DataFrame, sims: np.ndarray, n_examples: int = 3
) -> pd.DataFrame:
    """One row per topic: label, keywords, size, mapped category and confidence, examples.

    A topic maps to the category (and polarity) most of its categorised clauses carry: confidence
    is that category's share of the categorised clauses, coverage the share of the topic's clauses
    that carry any category. A topic with confidence >= MIN_CONFIDENCE and coverage >=
    MIN_COVERAGE is mapped; otherwise it is unmapped, and an unmapped topic at least
    MIN_COMPLAINT_SHARE of whose clauses are complaints (and most not praise) is flagged `is_emerging`:
    something the taxonomy does not yet name.

    Args:
        model: the fitted or loaded topic model.
        clauses: clause table with clause_id, clause, topic_id, clause_polarity.
        mentions: mentions table (clause_id, category_id, polarity).
        sims: (n_clauses,) similarity of each clause to its topic, aligned with `clauses`.
    """
    require_columns(clauses, ["clause_id", "clause", "topic_id", "clause_polarity"], "describe_topics")
    m = mentions[mentions["polarity"].isin(["complaint", "praise"])][["clause_id", "category_id", "polarity"]]
    joined = clauses[["clause_id", "topic_id"]].merge(m.drop_duplicates(), on="clause_id", how="left")
    sizes = clauses.groupby("topic_id").size()
    rows = []
    for tid in model.topic_ids_.tolist():
        size = int(sizes.get(tid, 0))
        in_topic = clauses["topic_id"].to_numpy() == tid
        cat, pol, conf, cover = None, None, 0.0, 0.0
        if size:
            tagged = joined[joined["topic_id"] == tid].dropna(subset=["category_id"])
            counts = tagged.groupby(["category_id", "polarity"])["clause_id"].nunique()
            if len(counts):
                (cat, pol), top = counts.idxmax(), counts.max()
                n_tagged = tagged["clause_id"].nunique()
                conf, cover = top / n_tagged, n_tagged / size
        status = "mapped" if conf >= MIN_CONFIDENCE and cover >= MIN_COVERAGE else "unmapped"
        polarity = clauses.loc[in_topic, "clause_polarity"]
        praise_share = (polarity == "praise").mean() if size else 0.0
        complaint_share = (polarity == "complaint").mean() if size else 0.0
        order = np.argsort(-sims[in_topic])
        examples = list(dict.fromkeys(clauses.loc[in_topic, "clause"].to_numpy()[order]))[:n_examples]
        rows.append({
            "topic_id": tid, "label": model.label(tid), "keywords": "|".join(model.keywords_.get(tid, [])),
            "size": size, "category_id": cat if status == "mapped" else None,
            "polarity": pol if status == "mapped" else None, "confidence": round(float(conf), 4),
            "coverage": round(float(cover), 4), "status": status, "is_emerging": bool(
                status == "unmapped" and size > 0 and praise_share < 0.5 and complaint_share >= MIN_COMPLAINT_SHARE),
            "representative_clauses": " | ".join(examples),
        })
    outliers = int(sizes.get(OUTLIER, 0))
    rows.append({
        "topic_id": OUTLIER, "label": model.label(OUTLIER), "keywords": "", "size": outliers,
        "category_id": None, "polarity": None, "confidence": 0.0, "coverage": 0.0, "status": "outlier",
        "is_emerging": False, "representative_clauses": "",
    })
    return pd.DataFrame(rows, columns=TOPIC_COLUMNS)
