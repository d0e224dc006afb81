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


def require_api_url() -> str:
    """PREFECT_API_URL, or one `error:` line on how to set it and exit status 2.

    `voc deploy`, `voc serve`, `voc deployments` and `voc runs` talk to a running server; the other
    commands start a temporary API of their own when none is set.
    """
    from prefect.settings import PREFECT_API_URL

    url = PREFECT_API_URL.value()
    if not url:
        console.print("[bold red]error:[/] PREFECT_API_URL is not set: start a server (`prefect server start`) and "
                      "run `prefect config set PREFECT_API_URL=http://127.0.0.1:4200/api`")
        raise typer.Exit(2)
    return url


def _ws(what: str) -> Path:
    """Default path of one output inside the current workspace."""
    from pipeline.workspace import workspace_path

    return workspace_path(what)


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:,.0f}" if v.is_integer() else f"{v:,.2f}"
    return f"{v:,}" if isinstance(v, int) else str(v)


def _decimals(values) -> int | None:
    """Decimals that show every float of a column (0 to 2), so a column reads 4,519.0 / 2,119.9, not
    4,519 / 2,119.90; None for a column that is not all floats."""
    floats = [v for v in values if isinstance(v, float) and v == v]
    if not floats or len(floats) < sum(v is not None for v in values):
        return None
    return next((d for d in (0, 1) if all(round(v, d) == round(v, 2) for v in floats)), 2)


def _table(title: str, df, columns: list[str] | None = None) -> Table:
    t = Table(title=title, title_justify="left")
    cols = columns or list(df.columns)
    decimals = {c: _decimals(df[c].tolist()) for c in cols}
    for c in cols:
        numeric = decimals[c] is not None or all(isinstance(v, int) for v in df[c].tolist())
        t.add_column(str(c), justify="right" if numeric and len(df) else "left")
    for _, row in df[cols].iterrows():
        t.add_row(*[f"{v:,.{decimals[c]}f}" if decimals[c] is not None and isinstance(v, float) and v == v
                    else _fmt(v) for c, v in zip(cols, row)])
    return t
