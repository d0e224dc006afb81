"""End to end through a real Prefect server: deployments registered, runs triggered over the API,
executed by `voc serve`, one of them killed midway and run again."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import httpx
import pandas as pd
import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
TERMINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


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
def server(tmp_path_factory):
    """A real Prefect server (SQLite) on loopback, in its own process group."""
    home = tmp_path_factory.mktemp("prefect-home")
    port = _free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {
        **os.environ,
        "PREFECT_HOME": str(home),
        "PREFECT_API_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{home}/prefect.db",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_API_URL": api,
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


def _deployment(api: str, flow_name: str, name: str) -> dict | None:
    r = httpx.get(f"{api}/deployments/name/{flow_name}/{name}", timeout=10)
    return r.json() if r.status_code == 200 else None


def _trigger(api: str, deployment_id: str, params: dict) -> str:
    r = httpx.post(f"{api}/deployments/{deployment_id}/create_flow_run",
                   json={"parameters": {"params": params}}, timeout=10)
    r.raise_for_status()
    return r.json()["id"]


def _state(api: str, run_id: str) -> str:
    return httpx.get(f"{api}/flow_runs/{run_id}", timeout=10).json()["state"]["type"]


def _task_runs(api: str, run_id: str) -> list[dict]:
    r = httpx.post(f"{api}/task_runs/filter",
                   json={"flow_runs": {"id": {"any_": [run_id]}}, "limit": 200}, timeout=10)
    r.raise_for_status()
    return r.json()


def _serve(env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "pipeline.cli", "serve"], cwd=REPO, env=env,
                            stdout=open(log, "a"), stderr=subprocess.STDOUT, start_new_session=True)


def _count(db: Path, table: str) -> int:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(f'SELECT count(*) FROM "{table}"').fetchall()[0][0]


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    from pipeline.sample_data import write_sample

    out = tmp_path_factory.mktemp("e2e-sample")
    write_sample(out, n_rows=1500, seed=23)
    gt = pd.read_parquet(out / "ground_truth.parquet")
    return out, int((~gt["is_bad_row"]).sum())


def _params(sample_dir: Path, work: Path) -> dict:
    return {
        "sources": str(sample_dir / "sources.yaml"), "database": str(work / "voc.duckdb"),
        "parquet_dir": str(work / "out"), "models_dir": str(work / "models"), "cache_dir": str(work / "cache"),
        "results_dir": str(work / "results"), "partition_rows": 600,
    }


def test_voc_deploy_registers_every_deployment_of_prefect_yaml_with_china_time_schedules(server):
    api, env = server
    deployed = subprocess.run([sys.executable, "-m", "pipeline.cli", "deploy"], cwd=REPO, env=env,
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
    daily = _deployment(api, "voc-daily", "daily")
    assert daily["schedules"][0]["schedule"] == {"cron": "0 2 * * *", "timezone": "Asia/Shanghai", "day_or": True}
    # the parameter form the UI shows is the pydantic model, with its fields and descriptions
    schema = daily["parameter_openapi_schema"]
    fields = schema["definitions"]["DailyParams"]["properties"]
    assert {"window_start", "window_end", "incremental", "runner", "dask_address"} <= set(fields)


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
    db = tmp_path / "voc.duckdb"
    assert _count(db, "feedback") == accepted
    assert _count(db, "mentions") > accepted // 2
    assert _count(db, "fact_category_counts") > 0
    names = {t["name"].rsplit("-", 1)[0] for t in _task_runs(api, run_id)}
    assert {"ingest", "preprocess", "score-partition", "write_outputs"} <= names
    keys = {a["key"] for a in httpx.post(f"{api}/artifacts/filter", json={
        "artifacts": {"flow_run_id": {"any_": [run_id]}}}, timeout=10).json()}
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
            return any(t["name"].startswith("score-partition") and t["state"]["type"] == "COMPLETED" for t in runs)

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
