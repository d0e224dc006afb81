"""JSON Schema of taxonomy files, generated from the pydantic model (editors validate and autocomplete)."""

from __future__ import annotations

import json
from pathlib import Path

from pipeline.taxonomy.model import TaxonomyFile


def taxonomy_schema() -> dict:
    """The JSON Schema (draft 2020-12) of one taxonomy file."""
    schema = TaxonomyFile.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "VoC taxonomy file"
    return schema


def write_schema(path: str | Path) -> Path:
    path = Path(path)
    path.write_text(json.dumps(taxonomy_schema(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path
