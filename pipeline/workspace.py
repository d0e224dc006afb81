"""The workspace: one folder that holds every output of a data set's runs.

The database, Parquet exports, reports, topic models, embedding cache, persisted stage results,
review files and sample data of one data set live under one folder, so two data sets never touch
each other and the topic model belongs to the data it was fitted on. Nothing is written into the
project checkout.

The folder is chosen, first match wins, by: an explicit `--workspace DIR` (or the flows' `workspace`
parameter), the environment variable `VOC_WORKSPACE`, a `voc.yaml` in the current folder with a
`workspace:` entry (relative to that file), and otherwise `./data` of the current folder.
"""

from __future__ import annotations

import os
from pathlib import Path

from pipeline.errors import InputError

ENV = "VOC_WORKSPACE"
CONFIG = "voc.yaml"
DEFAULT = "data"

# Where each output lives inside the workspace.
LAYOUT = {
    "database": "voc.duckdb",
    "parquet_dir": "out",
    "report_dir": "reports",
    "models_dir": "models",
    "cache_dir": "cache",
    "results_dir": "results",
    "review_dir": "review",
    "sample_dir": "sample",
    "head": "models/head.joblib",
}


def workspace_root(explicit: str | Path | None = None, cwd: Path | None = None) -> Path:
    """The absolute workspace folder (see the module doc for the order of precedence)."""
    cwd = Path(cwd or Path.cwd())
    if explicit:
        return (cwd / Path(explicit).expanduser()).resolve()
    if os.environ.get(ENV):
        return (cwd / Path(os.environ[ENV]).expanduser()).resolve()
    config = cwd / CONFIG
    if config.is_file():
        from pipeline.yamlio import LocatedYaml

        doc = LocatedYaml.load(config).data or {}
        if not isinstance(doc, dict):
            raise InputError("expected a mapping with a `workspace:` entry", file=config)
        if doc.get("workspace"):
            return (config.parent / Path(str(doc["workspace"])).expanduser()).resolve()
    return (cwd / DEFAULT).resolve()


def workspace_path(what: str, explicit: str | Path | None = None) -> Path:
    """The path of one output (a key of LAYOUT) inside the workspace."""
    return workspace_root(explicit) / LAYOUT[what]


def fill_paths(values: dict, fields: list[str], workspace: str | Path | None) -> dict:
    """`values` with every path field in `fields` that is empty set from the workspace layout.

    Args:
        values: parameter values (e.g. a pydantic model's dict); not changed.
        fields: names of LAYOUT entries to fill when None.
        workspace: the explicit workspace, or None for the default.

    Returns:
        A new dict, with `workspace` set to the absolute folder.
    """
    root = workspace_root(workspace)
    out = dict(values)
    out["workspace"] = root
    for f in fields:
        if out.get(f) is None:
            out[f] = root / LAYOUT[f]
    return out
