"""Counts for dashboards: complaint and praise mentions per period x channel x vehicle x region x
category, split onto owning departments by their shares."""

from __future__ import annotations

from enum import Enum

import logging

import pandas as pd

from pipeline.schema import require_columns
from pipeline.taxonomy import Taxonomy

DIMENSIONS = ["period", "channel", "vehicle_model", "region"]


class Period(str, Enum):
    """Reporting grain."""

    day = "day"
    week = "week"
    month = "month"


def add_period(feedback: pd.DataFrame, grain: Period | str = Period.month) -> pd.DataFrame:
    """Add `period`: the first day of the created_at's day, ISO week or month (a date)."""
    require_columns(feedback, ["created_at"], "add_period")
    ts = pd.to_datetime(feedback["created_at"])
    grain = Period(grain)
    if grain is Period.day:
        start = ts.dt.normalize()
    elif grain is Period.week:
        start = (ts - pd.to_timedelta(ts.dt.weekday, unit="D")).dt.normalize()
    else:
        start = ts.dt.to_period("M").dt.start_time
    return feedback.assign(period=start.dt.date)


def _known(df: pd.DataFrame) -> pd.DataFrame:
    """DIMENSIONS with missing values shown as 未知: a row without a model or region still counts."""
    return df[DIMENSIONS].astype(object).where(df[DIMENSIONS].notna(), "未知")


def feedback_categories(mentions: pd.DataFrame) -> pd.DataFrame:
    """A feedback's categories are the union of its clauses': one row per (feedback, category, polarity)."""
    require_columns(mentions, ["feedback_id", "category_id", "polarity"], "feedback_categories")
    return mentions[["feedback_id", "category_id", "polarity"]].drop_duplicates().reset_index(drop=True)


def category_counts(feedback: pd.DataFrame, mentions: pd.DataFrame) -> pd.DataFrame:
    """Feedback counts per dimensions x category: complaints, praise and resolved (neutral) mentions.

    Args:
        feedback: feedback with `period` and the DIMENSIONS columns.
        mentions: clause mentions (feedback_id, category_id, polarity).

    Returns:
        DIMENSIONS + [category_id, complaints, praise, resolved]; a feedback counts at most once per
        category and polarity however many of its clauses mention it.
    """
    require_columns(feedback, ["feedback_id", *DIMENSIONS], "category_counts")
    fc = feedback_categories(mentions).merge(feedback[["feedback_id", *DIMENSIONS]], on="feedback_id")
    fc = fc.assign(**_known(fc))
    wide = (
        fc.assign(n=1)
        .pivot_table(index=[*DIMENSIONS, "category_id"], columns="polarity", values="n", aggfunc="sum", fill_value=0)
        .reset_index()
    )
    for col in ("complaint", "praise", "neutral"):
        if col not in wide.columns:
            wide[col] = 0
    wide.columns.name = None
    out = wide.rename(columns={"complaint": "complaints", "neutral": "resolved"})
    return out[[*DIMENSIONS, "category_id", "complaints", "praise", "resolved"]].astype(
        {"complaints": "int64", "praise": "int64", "resolved": "int64"}
    )


log = logging.getLogger(__name__)
_WARNED: set[tuple] = set()


def owner_table(taxonomy: Taxonomy, category_ids) -> pd.DataFrame:
    """category_id, department_id, share for each given category's owners.

    Stored mentions may hold categories an analyst has since removed from the taxonomy (the periods before
    an incremental window, classified with the earlier version). They keep their category counts but have
    no owner in this taxonomy, so they go to no department; a warning names them.
    """
    ids = list(category_ids)
    retired = sorted(c for c in ids if c not in taxonomy.categories)
    if retired and (taxonomy.version, tuple(retired)) not in _WARNED:  # once per process, not per fact table
        _WARNED.add((taxonomy.version, tuple(retired)))
        log.warning("%d categor%s in stored mentions %s not in taxonomy %s (%s%s): counted, owned by no "
                    "department; re-run their windows (--replace-window) to classify them with this version",
                    len(retired), "y" if len(retired) == 1 else "ies", "is" if len(retired) == 1 else "are",
                    taxonomy.version, ", ".join(retired[:5]), " ..." if len(retired) > 5 else "")
    return pd.DataFrame([(c, d, s) for c in ids if c in taxonomy.categories for d, s in taxonomy.owners(c).items()],
                        columns=["category_id", "department_id", "share"])


def department_counts(cat_counts: pd.DataFrame, taxonomy: Taxonomy) -> pd.DataFrame:
    """Split each category's complaints onto its owner departments by share.

    Returns:
        DIMENSIONS + [category_id, department_id, share, complaints, weighted_complaints]; for every
        category row the weighted complaints over its departments add up to its complaints. A category
        the taxonomy no longer has (stored mentions of an earlier version) counts in no department.
    """
    require_columns(cat_counts, [*DIMENSIONS, "category_id", "complaints"], "department_counts")
    owners = owner_table(taxonomy, cat_counts["category_id"].unique())
    rows = cat_counts[cat_counts["complaints"] > 0][[*DIMENSIONS, "category_id", "complaints"]]
    out = rows.merge(owners, on="category_id", how="inner")  # a retired category has no owner here
    out["weighted_complaints"] = out["complaints"] * out["share"]
    return out[[*DIMENSIONS, "category_id", "department_id", "share", "complaints", "weighted_complaints"]]


def feedback_volume(feedback: pd.DataFrame) -> pd.DataFrame:
    """Feedback and NPS volumes per dimensions: the denominators for rates and NPS.

    Returns:
        DIMENSIONS + [feedback, nps_responses, promoters, passives, detractors].
    """
    require_columns(feedback, ["feedback_id", "nps", *DIMENSIONS], "feedback_volume")
    f = _known(feedback)
    nps = pd.to_numeric(feedback["nps"], errors="coerce").astype("float64")  # <NA> -> NaN: no bucket
    f = f.assign(
        feedback=1, nps_responses=nps.notna().astype(int), promoters=(nps >= 9).astype(int),
        passives=((nps >= 7) & (nps <= 8)).astype(int), detractors=(nps <= 6).astype(int),
    )
    return f.groupby(DIMENSIONS, as_index=False).sum()


def topic_counts(feedback: pd.DataFrame, clauses: pd.DataFrame) -> pd.DataFrame:
    """Clauses and distinct feedback per period x channel x topic."""
    require_columns(clauses, ["feedback_id", "topic_id"], "topic_counts")
    j = clauses[["feedback_id", "topic_id"]].merge(feedback[["feedback_id", "period", "channel"]], on="feedback_id")
    g = j.groupby(["period", "channel", "topic_id"])
    return g.agg(clauses=("feedback_id", "size"), feedback=("feedback_id", "nunique")).reset_index()


def dimension_tables(taxonomy: Taxonomy) -> dict[str, pd.DataFrame]:
    """dim_category, dim_department and dim_category_owner from the taxonomy."""
    cats = pd.DataFrame([
        {
            "category_id": cid, "name": c.name, "path": taxonomy.path_names(cid), "parent_id": c.parent,
            "level": len(taxonomy.ancestors(cid)) + 1, "is_leaf": cid in taxonomy.leaf_ids,
            "severity": taxonomy.severity(cid).value, "description": c.description,
        }
        for cid, c in taxonomy.categories.items()
    ])
    depts = pd.DataFrame([{"department_id": d, "name": v.name, "description": v.description} for d, v in taxonomy.departments.items()])
    owners = pd.DataFrame(
        [(cid, d, s) for cid in taxonomy.leaf_ids for d, s in taxonomy.owners(cid).items()],
        columns=["category_id", "department_id", "share"],
    )
    return {"dim_category": cats, "dim_department": depts, "dim_category_owner": owners}
