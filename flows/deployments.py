"""Deployments read from `prefect.yaml`, so `voc serve` and a work pool run exactly the same ones."""

from __future__ import annotations

from pathlib import Path

import yaml
from prefect.flows import load_flow_from_entrypoint
from prefect.schedules import Cron, Interval

from pipeline.errors import InputError

REPO = Path(__file__).resolve().parent.parent
PREFECT_YAML = REPO / "prefect.yaml"


def deployment_specs(path: Path = PREFECT_YAML) -> list[dict]:
    """The `deployments:` entries of a prefect.yaml, checked for what serving them needs."""
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(f"cannot read the deployments file: {exc}", file=path) from exc
    specs = (doc or {}).get("deployments") or []
    if not specs:
        raise InputError("no `deployments:` entries", file=path)
    for i, spec in enumerate(specs):
        for field in ("name", "entrypoint"):
            if not spec.get(field):
                raise InputError(f"deployments[{i}] has no `{field}`", file=path)
        for s in spec.get("schedules") or []:
            if "cron" in s and not s.get("timezone"):
                raise InputError(f"deployment '{spec['name']}': a cron schedule needs a timezone "
                                 "(Asia/Shanghai), or it runs in UTC", file=path)
    return specs


def _schedules(spec: dict) -> list:
    out = []
    for s in spec.get("schedules") or []:
        if "cron" in s:
            out.append(Cron(s["cron"], timezone=s["timezone"]))
        elif "interval" in s:
            out.append(Interval(s["interval"], timezone=s.get("timezone", "Asia/Shanghai")))
    return out


def runner_deployments(path: Path = PREFECT_YAML, only: list[str] | None = None):
    """RunnerDeployments for `prefect.serve`, one per entry of prefect.yaml (or those named in `only`).

    Args:
        path: the prefect.yaml.
        only: deployment names to serve; None serves all.
    """
    specs = deployment_specs(path)
    known = {s["name"] for s in specs}
    unknown = sorted(set(only or []) - known)
    if unknown:
        raise InputError(f"unknown deployment(s) {unknown}; prefect.yaml defines {sorted(known)}", file=path)
    out = []
    for spec in specs:
        if only and spec["name"] not in only:
            continue
        flow = load_flow_from_entrypoint(str(path.parent / spec["entrypoint"]))
        parameters = dict(spec.get("parameters") or {})
        out.append(flow.to_deployment(
            name=spec["name"], description=spec.get("description"), tags=spec.get("tags"),
            schedules=_schedules(spec), parameters=parameters,
        ))
    return out


def register(path: Path = PREFECT_YAML, only: list[str] | None = None) -> list[str]:
    """Create or update the deployments of prefect.yaml on the server, in their work pools.

    The same as `prefect deploy --all` for this project's prefect.yaml (code on the worker's disk, no
    build or push). Prefect 3.8.8's own `deploy` command fails after the first deployment against a
    server on the fastapi versions it runs with here (it sends limit/offset as null, which the server
    refuses with HTTP 422), so this registers them through the Python API instead. A missing work pool
    is created as a process pool.

    Returns:
        "flow/deployment" names registered.
    """
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectNotFound

    names = []
    with get_client(sync_client=True) as client:
        for spec in deployment_specs(path):
            if only and spec["name"] not in only:
                continue
            pool = (spec.get("work_pool") or {}).get("name")
            if not pool:
                raise InputError(f"deployment '{spec['name']}' has no work_pool.name", file=path)
            try:
                client.read_work_pool(pool)
            except ObjectNotFound:
                client.create_work_pool(WorkPoolCreate(name=pool, type="process"))
            flow = load_flow_from_entrypoint(str(path.parent / spec["entrypoint"]))
            deployment = flow.to_deployment(
                name=spec["name"], description=spec.get("description"), tags=spec.get("tags"),
                schedules=_schedules(spec), parameters=dict(spec.get("parameters") or {}), work_pool_name=pool,
            )
            deployment.apply()
            names.append(f"{flow.name}/{spec['name']}")
    return names
