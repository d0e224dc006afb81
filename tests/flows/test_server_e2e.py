"""End to end through a real Prefect server, with the README's commands: `prefect server start`,
`voc deploy`, `voc serve`, `prefect worker start --pool voc-process`. Deployments registered with
their schedules and pull steps, runs triggered over the API and executed by `voc serve`, one of them
killed midway and run again, a run created by a schedule, a run executed by a worker started in
another folder."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import httpx
import pytest
import yaml

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
TERMINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}
# Prefect 3.8.8's scheduler with SQLAlchemy 2.1 logs this every loop and creates no scheduled run.
SCHEDULER_BROKEN = "Can't evaluate bulk DML statement"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(predicate, timeout: float, what: str, step: float = 1.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def _stop(proc: subprocess.Popen, sig=signal.SIGTERM) -> None:
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(30)


@pytest.fixture(scope="module")
def server_home(tmp_path_factory):
    return tmp_path_factory.mktemp("prefect-home")


@pytest.fixture(scope="module")
def server(server_home):
    """A real Prefect server (SQLite) on loopback, in its own process group, started as the README says
    (`prefect server start --host 127.0.0.1 --port N`), its scheduler looping every 5 s."""
    home = server_home
    port = _free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {
        **os.environ,
        "PREFECT_HOME": str(home),
        "PREFECT_API_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{home}/prefect.db",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_API_URL": api,
        "PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": "5",
        "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""),
        "VOC_PROGRESS": "0",
    }
    log = open(home / "server.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )

    def healthy():
        if proc.poll() is not None:
            raise AssertionError("Prefect server exited:\n" + (home / "server.log").read_text()[-3000:])
        try:
            return httpx.get(f"{api}/health", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        _wait(healthy, 180, "the Prefect server to answer /api/health")
        yield api, env
    finally:
        _stop(proc)
        log.close()


def _http(method: str, url: str, **kwargs) -> httpx.Response:
    """One API call, tried again while the server answers 503: its SQLite database is busy for a moment
    on a loaded machine (the scheduler, `voc serve` re-registering, a run reporting states)."""
    for attempt in range(8):
        r = httpx.request(method, url, timeout=30, **kwargs)
        if r.status_code != 503:
            return r
        time.sleep(1 + attempt)
    return r


def _deployment(api: str, flow_name: str, name: str) -> dict | None:
    r = _http("GET", f"{api}/deployments/name/{flow_name}/{name}")
    return r.json() if r.status_code == 200 else None


def _trigger(api: str, deployment_id: str, params: dict) -> str:
    r = _http("POST", f"{api}/deployments/{deployment_id}/create_flow_run", json={"parameters": {"params": params}})
    r.raise_for_status()
    return r.json()["id"]


def _state(api: str, run_id: str) -> str:
    return _http("GET", f"{api}/flow_runs/{run_id}").json()["state"]["type"]


def _task_runs(api: str, run_id: str) -> list[dict]:
    r = _http("POST", f"{api}/task_runs/filter", json={"flow_runs": {"id": {"any_": [run_id]}}, "limit": 200})
    r.raise_for_status()
    return r.json()


def _serve(env: dict, log: Path, *args: str) -> subprocess.Popen:
    """`voc serve`, by default of the daily deployment only: the red-line scan scheduled every 5 minutes
    would otherwise run with its default parameters, on the checkout's data folder."""
    return subprocess.Popen([sys.executable, "-m", "voc", "serve", *(args or ("--only", "daily"))],
                            cwd=REPO, env=env, stdout=open(log, "a"), stderr=subprocess.STDOUT, start_new_session=True)


def _prefect_cli() -> list[str]:
    """The `prefect` command of this environment (`.venv/bin/prefect` in the README)."""
    exe = Path(sys.executable).with_name("prefect")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "prefect"]


def _flow_runs(api: str, deployment_id: str) -> list[dict]:
    r = _http("POST", f"{api}/flow_runs/filter", json={
        "deployments": {"id": {"any_": [deployment_id]}}, "sort": "EXPECTED_START_TIME_ASC", "limit": 50, "offset": 0})
    r.raise_for_status()
    return r.json()


def _state_names(api: str, run_id: str) -> list[str]:
    r = _http("GET", f"{api}/flow_run_states/", params={"flow_run_id": run_id})
    r.raise_for_status()
    return [s["name"] for s in sorted(r.json(), key=lambda s: s["timestamp"])]


def _pause_all_but(api: str, keep: set[str]) -> None:
    """Pause the schedules of every registered deployment not in `keep`, deleting their scheduled runs,
    so that a worker polling the pool runs only what the test triggers."""
    r = _http("POST", f"{api}/deployments/filter", json={"limit": 100, "offset": 0})
    r.raise_for_status()
    for d in r.json():
        if d["name"] not in keep:
            _http("PATCH", f"{api}/deployments/{d['id']}", json={"paused": True}).raise_for_status()


def _scheduler_ok(server_home: Path) -> None:
    log = (server_home / "server.log").read_text(errors="replace")
    if SCHEDULER_BROKEN in log:
        raise AssertionError(
            f"Prefect's scheduler fails ({SCHEDULER_BROKEN!r} in the server log): no scheduled run will ever be "
            "created. Prefect 3.8.8 needs SQLAlchemy < 2.1 (see pyproject.toml).\n" + log[-3000:])


def _count(db: Path, table: str) -> int:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(f'SELECT count(*) FROM "{table}"').fetchall()[0][0]


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    from pipeline.ingest import ingest_sources, load_sources
    from samplegen import write_sample

    out = tmp_path_factory.mktemp("e2e-sample")
    write_sample(out, n_rows=1500, seed=23)
    # what ingest accepts (the ground truth's bad rows, give or take the duplicate-id rule of upserts)
    return out, len(ingest_sources(load_sources(out / "sources.yaml")).feedback)


def _params(sample_dir: Path, work: Path) -> dict:
    return {
        "inputs": {"sources": str(sample_dir / "sources.yaml")},
        "outputs": {"workspace": str(work), "database": str(work / "voc.duckdb"), "parquet_dir": str(work / "out"),
                    "models_dir": str(work / "models"), "cache_dir": str(work / "cache"),
                    "results_dir": str(work / "results"), "report_dir": str(work / "reports")},
        "runtime": {"partition_rows": 600},
    }


def test_voc_deploy_registers_every_deployment_of_prefect_yaml_with_china_time_schedules(server):
    api, env = server
    deployed = subprocess.run([sys.executable, "-m", "voc", "deploy"], cwd=REPO, env=env,
                              capture_output=True, text=True, timeout=300)
    assert deployed.returncode == 0, deployed.stdout[-3000:] + deployed.stderr[-3000:]
    assert "voc-daily/daily" in deployed.stdout and "voc-backfill/backfill" in deployed.stdout

    from flows.deployments import deployment_specs

    from prefect.flows import load_flow_from_entrypoint

    for spec in deployment_specs():
        flow_name = load_flow_from_entrypoint(str(REPO / spec["entrypoint"])).name
        d = _deployment(api, flow_name, spec["name"])
        assert d is not None, f"deployment {spec['name']} not registered"
        assert d["work_pool_name"] == "voc-process"
        want = [(s["cron"], s["timezone"]) for s in spec.get("schedules") or []]
        got = [(s["schedule"]["cron"], s["schedule"]["timezone"]) for s in d["schedules"]]
        assert got == want
        # a worker starts each run in a temporary folder: the pull step of prefect.yaml takes it to the
        # project folder, where the entrypoint (relative to that folder) is found
        assert d["pull_steps"] == [{"prefect.deployments.steps.set_working_directory": {"directory": str(REPO)}}]
        assert d["entrypoint"] == spec["entrypoint"] and d["path"] is None
    daily = _deployment(api, "voc-daily", "daily")
    assert daily["schedules"][0]["schedule"] == {"cron": "0 2 * * *", "timezone": "Asia/Shanghai", "day_or": True}
    # the parameter form the UI shows is the pydantic model, with its fields and descriptions
    schema = daily["parameter_openapi_schema"]
    groups = schema["definitions"]["DailyParams"]["properties"]
    assert list(groups) == ["inputs", "window", "models", "outputs", "runtime"]  # one form section each
    assert {"start", "end", "incremental"} <= set(schema["definitions"]["RunWindow"]["properties"])
    assert {"runner", "dask_address"} <= set(schema["definitions"]["Runtime"]["properties"])
    # the UI the README points to is served by the same server
    ui = httpx.get(api.removesuffix("/api") + "/", timeout=30)
    assert ui.status_code == 200 and "<html" in ui.text.lower()


def test_voc_deployments_and_voc_runs_list_what_prefects_own_list_commands_refuse(server):
    api, env = server
    own = subprocess.run([*_prefect_cli(), "deployment", "ls"], cwd=REPO, env=env, capture_output=True, text=True,
                         timeout=300)
    assert own.returncode != 0 and "422" in own.stdout + own.stderr  # as docs/operations.md says

    def voc(*args: str) -> str:
        out = subprocess.run([sys.executable, "-m", "voc", *args], cwd=REPO, env=env, capture_output=True,
                             text=True, timeout=300)
        assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
        return out.stdout

    listed = voc("deployments")
    for name in ("voc-daily/daily", "voc-discover/weekly", "voc-redline/every-5-min", "voc-backfill/backfill"):
        assert name in listed
    assert "cron */5 * * * * (Asia/Shanghai)" in listed
    dep = _deployment(api, "voc-redline", "every-5-min")
    _wait(lambda: len(_flow_runs(api, dep["id"])) >= 3, 120, "the scheduler to create the red-line scan's runs")
    runs = voc("runs", "--deployment", "voc-redline/every-5-min", "--state", "scheduled", "--limit", "2")
    assert "2 newest flow runs" in runs and runs.count("voc-redline/every-5-min") == 2


def test_a_run_triggered_over_the_api_is_executed_by_voc_serve(server, sample, tmp_path):
    api, env = server
    sample_dir, accepted = sample
    serve = _serve(env, tmp_path / "serve.log")
    try:
        dep = _wait(lambda: _deployment(api, "voc-daily", "daily"), 180, "voc serve to register voc-daily/daily")
        run_id = _trigger(api, dep["id"], _params(sample_dir, tmp_path))
        state = _wait(lambda: (s := _state(api, run_id)) in TERMINAL and s, 600, "the flow run to finish", 2)
        assert state == "COMPLETED", (tmp_path / "serve.log").read_text()[-4000:]
    finally:
        _stop(serve)
    # served or deployed, in either order, a deployment keeps prefect.yaml's pull step
    assert _deployment(api, "voc-daily", "daily")["pull_steps"] == [
        {"prefect.deployments.steps.set_working_directory": {"directory": str(REPO)}}]
    db = tmp_path / "voc.duckdb"
    assert _count(db, "feedback") == accepted
    assert _count(db, "mentions") > accepted // 2
    assert _count(db, "fact_category_counts") > 0
    names = {t["name"].rsplit("-", 1)[0] for t in _task_runs(api, run_id)}
    assert {"ingest", "preprocess", "score-partition", "write_outputs"} <= names
    keys = {a["key"] for a in _http("POST", f"{api}/artifacts/filter", json={
        "artifacts": {"flow_run_id": {"any_": [run_id]}}}).json()}
    assert {"voc-run-summary", "voc-channel-volumes", "voc-top-categories", "voc-quarantine"} <= keys


def test_a_run_killed_midway_is_completed_by_a_rerun_with_exactly_the_expected_rows(server, sample, tmp_path):
    api, env = server
    sample_dir, accepted = sample
    params = _params(sample_dir, tmp_path)
    log = tmp_path / "serve.log"
    serve = _serve(env, log)
    try:
        dep = _wait(lambda: _deployment(api, "voc-daily", "daily"), 180, "voc serve to register voc-daily/daily")
        first = _trigger(api, dep["id"], params)

        def scored_one():
            runs = _task_runs(api, first)
            # a task run just created has no state yet
            return any(t["name"].startswith("score-partition") and (t["state"] or {}).get("type") == "COMPLETED"
                       for t in runs)

        _wait(scored_one, 600, "the first partition to be scored", 0.5)
    finally:
        _stop(serve, signal.SIGKILL)  # the machine dies: no clean-up code runs
    assert not (tmp_path / "voc.duckdb").exists() or _count(tmp_path / "voc.duckdb", "feedback") in (0, accepted)

    serve = _serve(env, log)
    try:
        dep = _wait(lambda: _deployment(api, "voc-daily", "daily"), 180, "voc serve to come back")
        second = _trigger(api, dep["id"], params)
        state = _wait(lambda: (s := _state(api, second)) in TERMINAL and s, 600, "the re-run to finish", 2)
        assert state == "COMPLETED", log.read_text()[-4000:]
    finally:
        _stop(serve)
    db = tmp_path / "voc.duckdb"
    assert _count(db, "feedback") == accepted
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) - count(DISTINCT feedback_id) FROM feedback").fetchall()[0][0] == 0
        assert con.execute("SELECT count(*) - count(DISTINCT clause_id || category_id || polarity) "
                           "FROM mentions").fetchall()[0][0] == 0
    # the stages the killed run finished were not done again
    states = {t["name"].rsplit("-", 1)[0]: t["state"]["name"] for t in _task_runs(api, second)}
    assert states["ingest"] == "Cached" and states["preprocess"] == "Cached"


def test_a_one_minute_schedule_creates_a_run_that_voc_serve_completes(server, server_home, sample, tmp_path):
    """The scheduler, not the test, creates the run: nothing here calls create_flow_run."""
    api, env = server
    sample_dir, _ = sample
    deployments = tmp_path / "prefect.yaml"
    deployments.write_text(yaml.safe_dump({"deployments": [{
        "name": "every-minute", "entrypoint": str(REPO / "flows/redline.py") + ":redline_flow",
        "schedules": [{"interval": 60}], "tags": ["voc", "test"],
        "parameters": {"params": {"workspace": str(tmp_path), "sources": str(sample_dir / "sources.yaml"),
                                  "database": str(tmp_path / "voc.duckdb")}},
    }]}), encoding="utf-8")
    log = tmp_path / "serve.log"
    serve = _serve(env, log, "--prefect-yaml", str(deployments))
    try:
        dep = _wait(lambda: _deployment(api, "voc-redline", "every-minute"), 180, "voc serve to register the deployment")
        assert dep["schedules"][0]["schedule"]["interval"] == 60

        def completed_scheduled_run():
            _scheduler_ok(server_home)
            if serve.poll() is not None:
                raise AssertionError("voc serve exited:\n" + log.read_text()[-4000:])
            runs = _flow_runs(api, dep["id"])
            bad = [r for r in runs if r["state_type"] in TERMINAL - {"COMPLETED"}]
            assert not bad, f"a scheduled run ended {bad[0]['state_type']}:\n" + log.read_text()[-4000:]
            return next((r for r in runs if r["state_type"] == "COMPLETED"), None)

        # the scheduler creates runs within seconds; the first falls on the next minute; serve polls every 10 s
        run = _wait(completed_scheduled_run, 420, "a run created by the one-minute schedule to complete", 3)
    finally:
        _stop(serve)
    assert run["auto_scheduled"] is True and "auto-scheduled" in run["tags"]
    states = _state_names(api, run["id"])
    assert states[0] == "Scheduled" and states[-1] == "Completed", states
    assert _count(tmp_path / "voc.duckdb", "alerts") > 0  # the run did its work, on the test's files


def test_a_run_is_executed_by_a_worker_started_outside_the_project_folder(server, sample, tmp_path):
    """`voc deploy`, then `prefect worker start --pool voc-process` from another folder, as the README says."""
    api, env = server
    sample_dir, accepted = sample
    deployed = subprocess.run([sys.executable, "-m", "voc", "deploy"], cwd=REPO, env=env,
                              capture_output=True, text=True, timeout=300)
    assert deployed.returncode == 0, deployed.stdout[-3000:] + deployed.stderr[-3000:]
    _pause_all_but(api, keep={"daily"})  # only the run triggered here: no scan with default parameters
    dep = _deployment(api, "voc-daily", "daily")
    assert dep["work_pool_name"] == "voc-process"
    run_id = _trigger(api, dep["id"], _params(sample_dir, tmp_path))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    log = tmp_path / "worker.log"
    worker = subprocess.Popen([*_prefect_cli(), "worker", "start", "--pool", "voc-process"], cwd=elsewhere, env=env,
                              stdout=open(log, "a"), stderr=subprocess.STDOUT, start_new_session=True)
    try:
        def finished():
            if worker.poll() is not None:
                raise AssertionError("the worker exited:\n" + log.read_text()[-4000:])
            return (s := _state(api, run_id)) in TERMINAL and s

        state = _wait(finished, 600, "the worker to run the flow", 2)
        assert state == "COMPLETED", log.read_text()[-6000:]
    finally:
        _stop(worker)
    db = tmp_path / "voc.duckdb"
    assert _count(db, "feedback") == accepted
    assert _count(db, "fact_category_counts") > 0
    assert list((tmp_path / "out").glob("*.parquet")) and list((tmp_path / "reports").glob("*.html"))
    assert not list(elsewhere.iterdir())  # nothing written into the folder the worker was started in
