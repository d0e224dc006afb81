"""`voc deployments` and `voc runs`: what the Prefect server holds, listed through its REST API.

Prefect 3.8.8's own list commands (`prefect deployment ls`, `prefect flow-run ls`, `prefect work-pool ls`)
answer HTTP 422 against its server on the fastapi versions that install here: they send `limit: null`
(and `sort: null`), which the server refuses. These send every field of the filter explicitly.
"""

from __future__ import annotations

import sys
from datetime import datetime

import typer
from rich.console import Console
from rich.table import Table

from voc.cli.app import require_api_url

console = Console(width=None if sys.stdout.isatty() else 150)
PAGE = 200  # rows per request to the filter endpoints


def _api():
    """An HTTP client on PREFECT_API_URL, or exit 2 with what to do when it is not set."""
    import httpx
    from prefect.settings import PREFECT_API_AUTH_STRING, PREFECT_API_KEY

    url = require_api_url()
    headers = {"Authorization": f"Bearer {PREFECT_API_KEY.value()}"} if PREFECT_API_KEY.value() else {}
    auth = tuple(PREFECT_API_AUTH_STRING.value().split(":", 1)) if PREFECT_API_AUTH_STRING.value() else None
    return httpx.Client(base_url=url.rstrip("/") + "/", headers=headers, auth=auth, timeout=30)


def _filter(client, endpoint: str, body: dict, limit: int | None = None) -> list[dict]:
    """Every row of a `/…/filter` endpoint (or the first `limit`), page by page with explicit limit/offset."""
    import httpx

    rows: list[dict] = []
    while limit is None or len(rows) < limit:
        page = PAGE if limit is None else min(PAGE, limit - len(rows))
        try:
            r = client.post(endpoint, json={**body, "limit": page, "offset": len(rows)})
            r.raise_for_status()
        except httpx.HTTPError as exc:
            console.print(f"[bold red]error:[/] Prefect API {client.base_url}{endpoint}: {exc}")
            raise typer.Exit(2) from None
        rows += r.json()
        if len(r.json()) < page:
            break
    return rows


def _flow_names(client, flow_ids) -> dict[str, str]:
    ids = sorted(set(flow_ids))
    if not ids:
        return {}
    flows = _filter(client, "flows/filter", {"flows": {"id": {"any_": ids}}, "sort": "NAME_ASC"})
    return {f["id"]: f["name"] for f in flows}


def _schedule_text(s: dict) -> str:
    sch = s["schedule"]
    if "cron" in sch:
        text = f"cron {sch['cron']}"
    elif "interval" in sch:
        text = f"every {sch['interval']:g} s"
    else:
        text = f"rrule {sch.get('rrule')}"
    return f"{text} ({sch.get('timezone') or 'UTC'})" + ("" if s.get("active", True) else " inactive")


def _time(value: str | None) -> str:
    """A time of the API (UTC) in China time, as the schedules are."""
    from pipeline.windows import TIMEZONE

    return datetime.fromisoformat(value).astimezone(TIMEZONE).strftime("%Y-%m-%d %H:%M:%S") if value else ""


def deployments() -> None:
    """List the deployments on the Prefect server: work pool, schedules, paused or not."""
    with _api() as client:
        rows = _filter(client, "deployments/filter", {"sort": "NAME_ASC"})
        flows = _flow_names(client, [d["flow_id"] for d in rows])
    t = Table(title=f"{len(rows)} deployments", title_justify="left")
    for c in ("deployment", "work pool", "schedules", "paused", "tags"):
        t.add_column(c)
    for d in sorted(rows, key=lambda d: (flows.get(d["flow_id"], ""), d["name"])):
        t.add_row(f"{flows.get(d['flow_id'], d['flow_id'])}/{d['name']}", d.get("work_pool_name") or "(served)",
                  "; ".join(_schedule_text(s) for s in d.get("schedules") or []) or "none",
                  "yes" if d.get("paused") else "no", ", ".join(d.get("tags") or []))
    console.print(t)


def runs(
    deployment: str = typer.Option(None, help="only runs of this deployment, FLOW/DEPLOYMENT (e.g. voc-daily/daily)"),
    state: list[str] = typer.Option(None, help="only runs in this state type (COMPLETED, FAILED, SCHEDULED, ...)"),
    limit: int = typer.Option(20, min=1, help="newest runs shown"),
) -> None:
    """List the newest flow runs on the Prefect server: deployment, state, start and duration."""
    body: dict = {"sort": "EXPECTED_START_TIME_DESC"}
    with _api() as client:
        if deployment:
            flow_name, _, dep_name = deployment.partition("/")
            r = client.get(f"deployments/name/{flow_name}/{dep_name}")
            if r.status_code != 200:
                console.print(f"[bold red]error:[/] no deployment {deployment!r} on {client.base_url} "
                              "(`voc deployments` lists them)")
                raise typer.Exit(2)
            body["deployments"] = {"id": {"any_": [r.json()["id"]]}}
        if state:
            body["flow_runs"] = {"state": {"type": {"any_": [s.upper() for s in state]}}}
        rows = _filter(client, "flow_runs/filter", body, limit=limit)
        deps = {d["id"]: d["name"] for d in _filter(client, "deployments/filter", {"sort": "NAME_ASC"})}
        flows = _flow_names(client, [r["flow_id"] for r in rows])
    t = Table(title=f"{len(rows)} newest flow runs", title_justify="left")
    for c in ("run", "deployment", "state", "expected start (China)", "started", "seconds", "id"):
        t.add_column(c)
    for r in rows:
        dep = deps.get(r.get("deployment_id"), "(none)" if not r.get("deployment_id") else "(deleted)")
        t.add_row(r["name"], f"{flows.get(r['flow_id'], '?')}/{dep}", (r.get("state") or {}).get("name", ""),
                  _time(r.get("expected_start_time")), _time(r.get("start_time")),
                  f"{r.get('total_run_time') or 0:.1f}", r["id"])
    console.print(t)


def register(app: typer.Typer) -> None:
    """Add `voc deployments` and `voc runs` to the main command."""
    app.command("deployments")(deployments)
    app.command("runs")(runs)
