"""Read, canonicalise and reconcile every source of a source mapping in one go."""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipeline.errors import DuplicateFeedbackIdError, RowCountMismatchError
from pipeline.ingest.canonical import canonicalize
from pipeline.ingest.mapping import SourcesConfig
from pipeline.ingest.readers import read_source, resolve_path
from pipeline.schema import FEEDBACK_COLUMNS, QUARANTINE_COLUMNS

COUNT_COLUMNS = ["source", "file", "file_sha256", "input_rows", "accepted", "quarantined"]


def file_sha256(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes: tells one delivery of a file from the next at the same path."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@dataclass(frozen=True)
class IngestResult:
    """Everything one ingest run produced.

    Attributes:
        feedback: accepted rows, schema.FEEDBACK_COLUMNS.
        quarantine: rejected rows with reasons, schema.QUARANTINE_COLUMNS.
        counts: one row per source, COUNT_COLUMNS; input_rows == accepted + quarantined.
    """

    feedback: pd.DataFrame
    quarantine: pd.DataFrame
    counts: pd.DataFrame


def _concat(frames: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    frames = [f for f in frames if len(f)] or frames[:1]
    return pd.concat(frames, ignore_index=True)[columns]


def ingest_sources(
    config: SourcesConfig,
    *,
    base_dir: str | Path | None = None,
    seen_ids: Collection[str] = (),
) -> IngestResult:
    """Read every source, canonicalise it and check that every input row is accounted for.

    Args:
        config: the validated source mapping (see `load_sources`).
        base_dir: folder for relative source paths (`load_sources` already made them absolute).
        seen_ids: feedback_ids accepted by earlier batches; repeats are quarantined as duplicate_id.

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
    for spec in config.sources:
        file = str(resolve_path(spec, base_dir))
        raw = read_source(spec, base_dir)
        fingerprint = file_sha256(file)
        accepted, rejected = canonicalize(raw, spec, file, seen_ids=seen, file_sha256=fingerprint)
        if len(accepted) + len(rejected) != len(raw):
            raise RowCountMismatchError(spec.name, len(raw), len(accepted), len(rejected))
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
