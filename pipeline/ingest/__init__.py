"""Ingest: source files -> canonical feedback table + quarantine table with reasons.

    config = load_sources("sources.yaml")
    result = ingest_sources(config)          # result.feedback, result.quarantine, result.counts

Each step is usable alone: `read_source` (I/O), `canonicalize` (pure), `mask_pii`.
"""

from pipeline.errors import DuplicateFeedbackIdError, RowCountMismatchError
from pipeline.ingest.batch import IngestResult, ingest_sources
from pipeline.ingest.canonical import REASONS, canonicalize
from pipeline.ingest.mapping import ColumnMap, SourceFormat, SourcesConfig, SourceSpec, load_sources
from pipeline.ingest.pii import mask_pii, mask_pii_series
from pipeline.ingest.readers import read_source

__all__ = [
    "REASONS",
    "ColumnMap",
    "DuplicateFeedbackIdError",
    "IngestResult",
    "RowCountMismatchError",
    "SourceFormat",
    "SourceSpec",
    "SourcesConfig",
    "canonicalize",
    "ingest_sources",
    "load_sources",
    "mask_pii",
    "mask_pii_series",
    "read_source",
]
