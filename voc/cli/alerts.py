"""`voc alerts`: the red-line review loop. List alerts with their deadlines, acknowledge, confirm,
dismiss, record owner actions. Every action is an event in `alert_events` (dismissals are kept: they
are the detector's false alarms); `alert_status` is rewritten with it."""

from __future__ import annotations

import getpass
import sys
from datetime import datetime, timezone

import typer
from rich.console import Console
from rich.table import Table

alerts_app = typer.Typer(help="Red-line alerts: list, acknowledge, confirm, dismiss.", no_args_is_help=True)
console = Console(width=None if sys.stdout.isatty() else 160)

DB = typer.Option(None, "--database", help="DuckDB file or SQLAlchemy URL [default: <workspace>/voc.duckdb]")
BY = typer.Option(None, "--by", help="who acts (default: the login name)")
NOTE = typer.Option(None, "--note", help="what was done or why")
STEPS = {"action": "owner_action", "facts": "facts_reported", "report": "report_filed"}


def register(app: typer.Typer) -> None:
    app.add_typer(alerts_app, name="alerts")


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _fail(msg: str) -> None:
    console.print(f"[bold red]error:[/] {msg}")
    raise typer.Exit(2)


def _db(database: str | None) -> str:
    """The database to use: the one given (a URL's password moves to the environment), else the workspace's."""
    from pipeline.store.urls import secret_free_url
    from pipeline.workspace import workspace_path

    if not database:
        return str(workspace_path("database"))
    return secret_free_url(database) if "://" in database else database


def _read(database: str):
    from pipeline import publish

    alerts = publish.read(database, "alerts")
    if not len(alerts):
        _fail(f"no alerts in {publish.display_target(database)}: run the red-line scan first (voc redline)")
    events = publish.read(database, "alert_events")
    dims = publish.read(database, "dim_category")
    names = dict(zip(dims["category_id"], dims["name"])) if len(dims) else {}
    return alerts, (events if len(events) else None), names


def _resolve(alerts, alert_id: str) -> str:
    """A full alert id from an id, its 8-character short form, or any unique prefix."""
    key = alert_id if alert_id.startswith("alert-") else "alert-" + alert_id
    ids = sorted(set(alerts["alert_id"]))
    hits = [a for a in ids if a == key] or [a for a in ids if a.startswith(key)]
    if len(hits) != 1:
        _fail(f"alert {alert_id!r}: " + ("no such alert (see voc alerts list)" if not hits
                                         else f"ambiguous, matches {', '.join(hits[:5])}"))
    return hits[0]


@alerts_app.command("list")
def list_alerts(
    database: str | None = DB,
    all_: bool = typer.Option(False, "--all", help="include confirmed and dismissed alerts"),
    limit: int = typer.Option(50, help="rows to show"),
) -> None:
    """Alerts with status and deadlines (Beijing time), overdue first."""
    from pipeline.report.redline import alert_board

    database = _db(database)
    alerts, events, names = _read(database)
    board = alert_board(alerts, events, names, _now(), include_closed=all_, limit=limit)
    t = Table(title=f"红线预警 ({len(board)} shown; voc alerts ack|confirm|dismiss <编号>)", title_justify="left")
    cols = [c for c in board.columns if c != "alert_id"]
    for c in cols:
        t.add_column(c, overflow="fold")
    for row in board[cols].itertuples(index=False):
        style = "bold red" if row[cols.index("逾期")] else None
        t.add_row(*[str(v) for v in row], style=style)
    console.print(t)


def _record(database: str, alert_id: str, event: str, by: str | None, note: str | None) -> None:
    import duckdb
    import pandas as pd

    from flows.resume import RunLockedError, run_lock
    from pipeline import publish
    from pipeline.alerts.lifecycle import alert_status, review_event

    database = _db(database)
    try:
        # The same lock as the red-line scan: a DuckDB file takes one writing process at a time.
        with run_lock(database, 60, name="redline"):
            alerts, events, _ = _read(database)
            aid = _resolve(alerts, alert_id)
            now = _now()
            ev = review_event(aid, event, by or getpass.getuser(), note, now)
            every = pd.concat([events, ev], ignore_index=True) if events is not None else ev
            row = alerts[alerts["alert_id"] == aid].iloc[0]
            lineage = {"run_id": "review-" + now.strftime("%Y%m%dT%H%M%S"),
                       "taxonomy_version": str(row.get("taxonomy_version", "")), "embedder_id": "none",
                       "topic_model_version": "none"}
            publish.write(database, {"alert_events": ev, "alert_status": alert_status(alerts, every, now)}, lineage)
    except RunLockedError as exc:
        _fail(str(exc))
    except duckdb.IOException as exc:  # a DuckDB file another process is writing (a daily run)
        if "lock" not in str(exc).lower():
            raise
        _fail(f"{publish.display_target(database)} is being written by another process; nothing was recorded, "
              "try again in a minute")
    status = alert_status(alerts[alerts["alert_id"] == aid], every, now).iloc[0]
    overdue = f"; still overdue: {status['overdue']}" if isinstance(status["overdue"], str) else ""
    console.print(f"[green]✓[/] {aid} {event} by {ev['by'].iloc[0]}: status {status['status']}{overdue}")


@alerts_app.command()
def ack(alert_id: str = typer.Argument(..., help="alert id, short id or unique prefix"), by: str = BY,
        note: str = NOTE, database: str = DB) -> None:
    """Acknowledge an alert: someone has it (meets the acknowledgement deadline)."""
    _record(database, alert_id, "acknowledged", by, note)


@alerts_app.command()
def confirm(alert_id: str = typer.Argument(..., help="alert id, short id or unique prefix"), by: str = BY,
            note: str = NOTE, database: str = DB) -> None:
    """Confirm an alert as a real safety incident (meets the acknowledgement and owner-action deadlines)."""
    _record(database, alert_id, "confirmed", by, note)


@alerts_app.command()
def dismiss(alert_id: str = typer.Argument(..., help="alert id, short id or unique prefix"), by: str = BY,
            note: str = NOTE, database: str = DB) -> None:
    """Dismiss a false alarm; it stays recorded so the detector can be evaluated on it."""
    _record(database, alert_id, "dismissed", by, note)


@alerts_app.command()
def act(alert_id: str = typer.Argument(..., help="alert id, short id or unique prefix"),
        step: str = typer.Option("action", help="action (first owner action) | facts (regulator facts sent) | "
                                                "report (full report filed)"),
        by: str = BY, note: str = NOTE, database: str = DB) -> None:
    """Record an owner action, or for an EV fire incident the regulator facts or full report."""
    if step not in STEPS:
        _fail(f"--step: expected one of {', '.join(STEPS)}; got {step!r}")
    _record(database, alert_id, STEPS[step], by, note)


P0_TABLES = ("fact_category_counts", "dim_category", "alerts", "alert_events")


def p0_lines(database, tables: dict | None = None) -> list[str]:
    """The run summary's first lines: P0 complaints per category and alerts by status (any database).

    `tables`: P0_TABLES already read (by the caller, over its one connection); read here otherwise.
    """
    from pipeline import publish
    from pipeline.report.redline import p0_headline

    tables = tables if tables is not None else publish.read_many(str(database), list(P0_TABLES))
    events = tables["alert_events"]
    return p0_headline(tables["fact_category_counts"], tables["dim_category"], tables["alerts"],
                       events if len(events) else None, _now())
