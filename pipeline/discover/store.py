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


def save_aligned(model, models_dir: str | Path, version: str, manifest: dict):
    """Align a new fit with the LATEST model, save it as `version` and point LATEST at it.

    Matched topics keep their ids (see `align_topics`); the lineage is saved beside the model as
    `lineage.csv` and returned for the `topic_lineage` table.

    Args:
        model: a freshly fitted TopicModel (its own ids).
        models_dir: folder of versioned models.
        version: the new version name (`new_version`).
        manifest: written to manifest.json, with `previous_version` added.

    Returns:
        (the aligned model, lineage table).
    """
    from pipeline.discover.align import align_topics
    from pipeline.discover.topics import TopicModel

    models_dir = Path(models_dir)
    previous = latest_version(models_dir)
    prev_model = TopicModel.load(models_dir / previous) if previous else None
    aligned, lineage = align_topics(prev_model, model, version, previous)
    aligned.save(models_dir / version, {**manifest, "previous_version": previous})
    lineage.to_csv(models_dir / version / "lineage.csv", index=False)
    set_latest(models_dir, version)
    return aligned, lineage
