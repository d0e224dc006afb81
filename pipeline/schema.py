"""Column contracts shared by the stages, and the check each stage runs on entry."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from pipeline.errors import MissingColumnsError

# Canonical feedback table (output of ingest).
FEEDBACK_COLUMNS = [
    "feedback_id",  # "<source>:<id in source>", unique over all sources
    "source",  # name of the source in the source mapping
    "source_line",  # 1-based line (CSV/JSONL) or row number (Parquet) in the source file
    "channel",  # nps | call_center | dealer | social | app
    "created_at",  # pandas Timestamp, naive, Asia/Shanghai wall time
    "text",  # PII-masked original text
    "vehicle_model",
    "region",
    "dealer",
    "brand",
    "nps",  # Int64 0..10, <NA> where the channel has no score
    "vehicle_id",  # "veh-<hash>" of the VIN: same vehicle, same id; the VIN itself is never stored
    "work_order_status",  # open | closed (lower case), <NA> where the source has no work orders
    "closed_at",  # when the work order was closed (Shanghai wall time), NaT if open or unknown
]

# Quarantine table (rows that could not be accepted, with why).
QUARANTINE_COLUMNS = [
    "source",
    "file",
    "source_line",
    "raw_id",
    "reason",  # machine-readable code, e.g. empty_text, bad_date, nps_out_of_range, duplicate_id
    "detail",  # human-readable explanation naming the column and the offending value
    "raw",  # the original row as JSON, PII-masked
    "file_sha256",  # fingerprint of the file's bytes: a file overwritten in place is another delivery
]

CHANNELS = ("nps", "call_center", "dealer", "social", "app")


def require_columns(df: pd.DataFrame, columns: Iterable[str], stage: str) -> None:
    """Raise MissingColumnsError naming every column `stage` needs but `df` lacks."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise MissingColumnsError(stage, missing, list(df.columns))
