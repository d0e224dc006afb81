"""Read, canonicalise and reconcile every source of a source mapping in one go."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pipeline.errors import DuplicateFeedbackIdError, RowCountMismatchError
from pipeline.ingest.canonical import canonicalize
from pipeline.ingest.mapping import SourcesConfig
from pipeline.ingest.inbox import deliveries, file_sha256  # noqa: F401  (file_sha256 re-exported)
from pipeline.schema import FEEDBACK_COLUMNS, QUARANTINE_COLUMNS

COUNT_COLUMNS = ["source", "file", "file_sha256", "input_rows", "accepted", "quarantined"]


@dataclass(frozen=True)
class IngestResult:
    """Everything one ingest run produced.

    Attributes:
        feedback: accepted rows, schema.FEEDBACK_COLUMNS.
        quarantine: rejected rows with reasons, schema.QUARANTINE_COLUMNS.
        counts: one row per delivery (file, inbox file or database read), COUNT_COLUMNS;
            input_rows == accepted + quarantined.
        skipped: inbox files not ingested again: their content was ingested and stored before.
    """

    feedback: pd.DataFrame
    quarantine: pd.DataFrame
    counts: pd.DataFrame
    skipped: tuple[str, ...] = field(default=())


def _concat(frames: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    frames = [f for f in frames if len(f)] or frames[:1]
    if not frames:  # an empty inbox, or every file in it already ingested
        return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
    return pd.concat(frames, ignore_index=True)[columns]


def ingest_sources(
    config: SourcesConfig,
    *,
    base_dir: str | Path | None = None,
    seen_ids: Collection[str] = (),
    known_sha256: Collection[str] = (),
    stored_ids: Collection[str] = (),
) -> IngestResult:
    """Read every source, canonicalise it and check that every input row is accounted for.

    Args:
        config: the validated source mapping (see `load_sources`).
        base_dir: folder for relative source paths (`load_sources` already made them absolute).
        seen_ids: feedback_ids accepted by earlier batches; repeats are quarantined as duplicate_id.
        known_sha256: fingerprints of deliveries already ingested (the stored `ingest_counts`).
        stored_ids: feedback_ids already stored. An inbox file whose fingerprint is known and whose
            accepted rows are all stored is skipped (a re-delivery changes nothing); one with rows
            not stored yet (an earlier run's window left them out) is ingested again.

    Returns:
        IngestResult with feedback, quarantine and per-source counts.

    Raises:
        InputError: a source file cannot be read (see `read_source`).
        RowCountMismatchError, DuplicateFeedbackIdError: internal invariants broken (a bug).
    """
    feedback: list[pd.DataFrame] = []
    quarantine: list[pd.DataFrame] = []
    counts: list[dict[str, object]] = []
    seen = set(seen_ids)
    known, stored = set(known_sha256), set(stored_ids)
    skipped: list[str] = []
    if base_dir is not None:
        config = config.model_copy(update={"sources": [
            s.model_copy(update={"path": str(Path(base_dir) / s.path)}) if s.path else s for s in config.sources]})
    for delivery in (d for spec in config.sources for d in deliveries(spec)):
        spec, file, fingerprint = delivery.spec, delivery.label, delivery.sha256
        raw = delivery.read()
        accepted, rejected = canonicalize(raw, spec, file, seen_ids=seen, file_sha256=fingerprint)
        if len(accepted) + len(rejected) != len(raw):
            raise RowCountMismatchError(spec.name, len(raw), len(accepted), len(rejected))
        if delivery.inbox and fingerprint in known and stored.issuperset(accepted["feedback_id"]):
            skipped.append(file)
            continue
        seen.update(accepted["feedback_id"])
        feedback.append(accepted)
        quarantine.append(rejected)
        counts.append(
            {
                "source": spec.name,
                "file": file,
                "file_sha256": fingerprint,
                "input_rows": len(raw),
                "accepted": len(accepted),
                "quarantined": len(rejected),
            }
        )
    result = IngestResult(
        feedback=_concat(feedback, FEEDBACK_COLUMNS),
        quarantine=_concat(quarantine, QUARANTINE_COLUMNS),
        counts=pd.DataFrame(counts, columns=COUNT_COLUMNS).astype(
            {"source": "str", "file": "str", "file_sha256": "str", "input_rows": "int64", "accepted": "int64",
             "quarantined": "int64"}
        ),
        skipped=tuple(skipped),
    )
    duplicated = result.feedback["feedback_id"][result.feedback["feedback_id"].duplicated()]
    if len(duplicated):
        raise DuplicateFeedbackIdError(
            f"feedback_id(s) accepted twice: {sorted(set(duplicated))[:10]}"
        )
    total = int(result.counts["input_rows"].sum())
    if len(result.feedback) + len(result.quarantine) != total:
        raise RowCountMismatchError("(all)", total, len(result.feedback), len(result.quarantine))
    return result
