"""The `voc` application object and what every command module shares: console, paths, table printing.

Command modules import from here and register on `app`; nothing here imports a command module, so
`voc.cli` can import them all without a cycle.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(help="Chinese Voice-of-Customer pipeline for car makers.", no_args_is_help=True)
taxonomy_app = typer.Typer(help="Taxonomy tools for analysts.", no_args_is_help=True)
app.add_typer(taxonomy_app, name="taxonomy")
# Piped output (CI logs, `| tee`) would otherwise be cut to 80 columns and wrap every table row.
console = Console(width=None if sys.stdout.isatty() else 150)
# The checkout: default taxonomy, alerting, economics and prefect.yaml files are read from here.
REPO = Path(__file__).resolve().parents[2]


@app.callback()
def _options(
    workspace: Path = typer.Option(
        None, "--workspace", "-w", envvar="VOC_WORKSPACE",
        help="folder for every output of a data set (default: voc.yaml's `workspace`, else ./data)"),
    debug: bool = typer.Option(False, "--debug", help="print the full traceback of an error"),
) -> None:
    """Chinese Voice-of-Customer pipeline for car makers."""
    if workspace is not None:
        # Every command and flow of this process resolves its default paths inside this folder.
        os.environ["VOC_WORKSPACE"] = str(workspace.expanduser().resolve())
    if debug:
        os.environ["VOC_DEBUG"] = "1"


def _ws(what: str) -> Path:
    """Default path of one output inside the current workspace."""
    from pipeline.workspace import workspace_path

    return workspace_path(what)


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:,.0f}" if v.is_integer() else f"{v:,.2f}"
    return f"{v:,}" if isinstance(v, int) else str(v)


def _table(title: str, df, columns: list[str] | None = None) -> Table:
    t = Table(title=title, title_justify="left")
    cols = columns or list(df.columns)
    for c in cols:
        t.add_column(str(c))
    for _, row in df[cols].iterrows():
        t.add_row(*[_fmt(v) for v in row])
    return t
