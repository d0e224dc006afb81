"""Small tables that tell an operator what a run did (shown as Prefect artifacts and in logs)."""

from __future__ import annotations

import pandas as pd

from pipeline.schema import require_columns
from pipeline.taxonomy import Taxonomy


def channel_volumes(feedback: pd.DataFrame, counts: pd.DataFrame, quarantine: pd.DataFrame) -> list[dict]:
    """Per source: rows read, accepted, quarantined, and accepted rows inside this run's window.

    Args:
        feedback: the run's accepted feedback inside its window (source, channel).
        counts: ingest counts per source (source, input_rows, accepted, quarantined).
        quarantine: quarantined rows (source).

    Returns:
        one dict per source, sorted by source.
    """
    require_columns(feedback, ["source", "channel"], "run summary")
    require_columns(counts, ["source", "input_rows", "accepted", "quarantined"], "run summary")
    inside = feedback.groupby("source").size()
    channel = feedback.groupby("source")["channel"].first()
    rows = []
    for r in counts.sort_values("source").itertuples():
        rows.append({
            "source": r.source, "channel": channel.get(r.source, ""), "input_rows": int(r.input_rows),
            "accepted": int(r.accepted), "quarantined": int(r.quarantined), "in_window": int(inside.get(r.source, 0)),
        })
    return rows


def top_categories(mentions: pd.DataFrame, taxonomy: Taxonomy, n: int = 10) -> list[dict]:
    """The n categories with the most complaining feedback in this run, with their owning departments."""
    require_columns(mentions, ["feedback_id", "category_id", "polarity"], "run summary")
    complaints = mentions[mentions["polarity"] == "complaint"].drop_duplicates(["feedback_id", "category_id"])
    praise = mentions[mentions["polarity"] == "praise"].drop_duplicates(["feedback_id", "category_id"])
    top = complaints.groupby("category_id").size().sort_values(ascending=False).head(n)
    pr = praise.groupby("category_id").size()
    depts = taxonomy.departments
    out = []
    for cid, count in top.items():
        cat = taxonomy.categories[cid]
        owners = "，".join(f"{depts[d].name} {share:.0%}" for d, share in taxonomy.owners(cid).items())
        out.append({"category_id": cid, "category": cat.name, "severity": taxonomy.severity(cid).value,
                    "complaining_feedback": int(count), "praise": int(pr.get(cid, 0)), "owners": owners})
    return out


def quarantine_reasons(quarantine: pd.DataFrame, examples: int = 2) -> list[dict]:
    """Quarantined rows per source and reason, with the first few locations to look at."""
    require_columns(quarantine, ["source", "file", "source_line", "reason"], "run summary")
    out = []
    for (source, reason), g in quarantine.groupby(["source", "reason"], sort=True):
        lines = ", ".join(str(x) for x in g["source_line"].head(examples))
        out.append({"source": source, "reason": reason, "rows": len(g), "file": g["file"].iloc[0],
                    "first_lines": lines})
    return out
