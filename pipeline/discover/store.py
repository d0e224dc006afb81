"""Versioned topic models under `models/<version>/`, with a LATEST pointer."""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path


def new_version(embedder_id: str, taxonomy_version: str, n_docs: int) -> str:
    """A sortable, unique version name: topics-<UTC time>-<hash of what it was fitted on>."""
    stamp = datetime.utcnow().strftime("%Y%m%dT%H%M%S")
    h = hashlib.sha1(f"{embedder_id}|{taxonomy_version}|{n_docs}|{stamp}".encode()).hexdigest()[:6]
    return f"topics-{stamp}-{h}"


def latest_version(models_dir: str | Path) -> str | None:
    """The version LATEST points to, or None when no model was saved yet."""
    pointer = Path(models_dir) / "LATEST"
    if not pointer.exists():
        return None
    version = pointer.read_text(encoding="utf-8").strip()
    return version if (Path(models_dir) / version / "manifest.json").exists() else None


def set_latest(models_dir: str | Path, version: str) -> None:
    pointer = Path(models_dir) / "LATEST"
    tmp = pointer.with_suffix(".tmp")
    tmp.write_text(version + "\n", encoding="utf-8")
    tmp.replace(pointer)
