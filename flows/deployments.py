"""Deployments read from `prefect.yaml`, so `voc serve` and a work pool run exactly the same ones."""

from __future__ import annotations

import os
import re
from pathlib import Path

import yaml
from prefect.flows import load_flow_from_entrypoint
from prefect.runner.storage import LocalStorage
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


class ProjectPullSteps(LocalStorage):
    """The `pull:` steps of a prefect.yaml (see `pull_steps`), as registered with each deployment.

    A worker starts every flow run in a temporary folder and runs these steps first; for this project
    that is `set_working_directory` to the project folder, from which the entrypoint is then loaded.
    """

    def __init__(self, steps: list[dict], project_dir: Path):
        super().__init__(str(project_dir))
        self.steps = steps

    def to_pull_step(self) -> list[dict]:
        return self.steps


_ENV_TEMPLATE = re.compile(r"\{\{\s*\$(\w+)\s*\}\}")


def _resolve(value, project_dir: Path):
    if isinstance(value, dict):
        return {k: _resolve(v, project_dir) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, project_dir) for v in value]
    if isinstance(value, str):
        env = {**os.environ, "PWD": str(project_dir)}
        return _ENV_TEMPLATE.sub(lambda m: env.get(m.group(1), m.group(0)), value)
    return value


def pull_steps(path: Path = PREFECT_YAML) -> list[dict]:
    """The `pull:` steps of a prefect.yaml, with `{{ $PWD }}` standing for the folder of the file (where
    `prefect deploy` would be run from) and `{{ $NAME }}` for an environment variable, as `prefect deploy`
    resolves them; other templates (blocks, variables) are left for the worker to resolve."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    steps = doc.get("pull") or []
    if not isinstance(steps, list) or not all(isinstance(s, dict) and len(s) == 1 for s in steps):
        raise InputError("`pull:` must be a list of steps, each `- step.name: {arguments}`", file=path)
    return _resolve(steps, path.resolve().parent)


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
    steps = pull_steps(path)
    return [_deployment(spec, path, steps) for spec in specs if not only or spec["name"] in only]


def _deployment(spec: dict, path: Path, steps: list[dict], work_pool_name: str | None = None):
    """One RunnerDeployment of a prefect.yaml entry, the same for `voc serve` and `voc deploy`.

    With the file's pull steps as its storage and its entrypoint relative to the project folder: without
    storage Prefect registers `pull_steps: []` and an entrypoint relative to the folder the command runs
    in, which a worker (running each flow in a temporary folder) cannot find. Serving and deploying the
    same deployment one after the other therefore leave it runnable either way.
    """
    flow = load_flow_from_entrypoint(str(path.parent / spec["entrypoint"]))
    deployment = flow.to_deployment(
        name=spec["name"], description=spec.get("description"), tags=spec.get("tags"),
        schedules=_schedules(spec), parameters=dict(spec.get("parameters") or {}), work_pool_name=work_pool_name,
    )
    if steps:
        deployment.entrypoint = spec["entrypoint"]
        deployment.storage = ProjectPullSteps(steps, path.resolve().parent)
    return deployment


def register(path: Path = PREFECT_YAML, only: list[str] | None = None) -> list[str]:
    """Create or update the deployments of prefect.yaml on the server, in their work pools.

    The same as `prefect deploy --all` for this project's prefect.yaml (code on the worker's disk, no
    build or push): each deployment carries the file's `pull:` steps, with `{{ $PWD }}` standing for
    the folder of the prefect.yaml, and its entrypoint relative to that folder, so a worker started
    in any folder finds the code. Prefect 3.8.8's own `deploy` command fails after the first deployment against a
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
    steps = pull_steps(path)
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
            deployment = _deployment(spec, path, steps, work_pool_name=pool)
            deployment.apply()
            names.append(f"{deployment.flow_name}/{spec['name']}")
    return names
