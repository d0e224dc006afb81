"""Prefect artifacts: what a run did, visible on its page in the Prefect UI."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from prefect import get_run_logger
from prefect.artifacts import create_link_artifact, create_markdown_artifact, create_table_artifact

from pipeline import publish, run_summary
from pipeline.taxonomy import Taxonomy

# Tables other stages write, shown when present: (table, artifact key, description, ORDER BY).
_OPTIONAL = [
    ("alerts", "voc-alerts", "Red-line (P0) alerts on this run's feedback (raised by the red-line scan)",
     "created_at DESC"),
    ("emerging", "voc-emerging", "Emerging issues (latest period vs baseline)", "period DESC"),
]


def _stored_rows(df: pd.DataFrame, run_id: str, order: str, feedback_ids: set, limit: int = 50) -> list[dict] | None:
    """Rows of a stored table about this run's feedback (else written by this run); None when there is no table."""
    if df.empty and not len(df.columns):
        return None
    if "feedback_id" in df.columns:
        df = df[df["feedback_id"].isin(feedback_ids)]
    elif "run_id" in df.columns:
        df = df[df["run_id"] == run_id]
    col, _, desc = order.partition(" ")
    if col in df.columns:
        df = df.sort_values(col, ascending=desc.strip().upper() != "DESC")
    return df.head(limit).astype(str).to_dict("records")


def publish_artifacts(summary: dict, feedback: pd.DataFrame, ingest_result, mentions: pd.DataFrame,
                      taxonomy: Taxonomy, target) -> list[str]:
    """Create the run's artifacts; returns their keys. Artifacts are a view: failing to create one
    (an old server, a network blip) is logged and never fails a run whose data is already written."""
    log = get_run_logger()
    run_id = summary["run_id"]
    made: list[str] = []

    def make(kind, key: str, **kwargs) -> None:
        try:
            kind(key=key, **{k: v() if callable(v) else v for k, v in kwargs.items()})
            made.append(key)
        except Exception as exc:  # noqa: BLE001 - see docstring
            log.warning("artifact %s not created: %s", key, exc)

    reconciled = summary["input_rows"] == summary["accepted"] + summary["quarantined"]
    make(create_markdown_artifact, "voc-run-summary", markdown="\n".join([
        f"### Run `{run_id}`",
        f"- window **{summary['window']}**; taxonomy `{summary['taxonomy_version']}`, "
        f"embedder `{summary['embedder_id']}`, topic model `{summary['topic_model_version']}`",
        f"- input rows {summary['input_rows']:,} = accepted {summary['accepted']:,} + quarantined "
        f"{summary['quarantined']:,} ({'reconciled' if reconciled else '**NOT reconciled**'}); "
        f"{summary['in_window']:,} accepted rows inside the window, {summary['outside_window']:,} outside",
        f"- {summary['clauses']:,} clauses, {summary['complaint_mentions']:,} complaint mentions, "
        f"{summary['topics']} topics",
        f"- database `{summary['database']}`, Parquet `{summary['parquet_dir']}`",
    ]), description="What this run read, accepted, quarantined and wrote")
    make(create_table_artifact, "voc-channel-volumes",
         table=lambda: run_summary.channel_volumes(feedback, ingest_result.counts, ingest_result.quarantine),
         description="Rows per source: read, accepted, quarantined, inside the window")
    make(create_table_artifact, "voc-top-categories", table=lambda: run_summary.top_categories(mentions, taxonomy),
         description="Categories with the most complaining feedback in this run")
    reasons = run_summary.quarantine_reasons(ingest_result.quarantine)
    if reasons:
        make(create_table_artifact, "voc-quarantine", table=reasons,
             description="Quarantined rows per source and reason (see the quarantine table)")
    stored = publish.read_many(target, [table for table, *_ in _OPTIONAL])  # one connection for both
    for table, key, description, order in _OPTIONAL:
        rows = _stored_rows(stored[table], run_id, order, set(feedback["feedback_id"]))
        if rows is not None:
            make(create_table_artifact, key, table=rows or [{"note": "none in this run"}], description=description)
    report = summary.get("report")
    if report:
        make(create_link_artifact, "voc-report", link=Path(report).resolve().as_uri(),
             link_text="HTML report of this run", description="Static report (open from the machine that ran it)")
    return made
