"""The `voc` process ends with the command's exit status after every exit handler has run."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

PROGRAM = """
import atexit, sys
atexit.register(lambda: print("exit handler ran", flush=True))
sys.argv = ["voc", *sys.argv[1:]]
from voc.cli import main
main()
print("never reached")
"""


def _voc(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-c", PROGRAM, *args], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=120)


@pytest.mark.parametrize("args, status, says", [
    (["--help"], 0, "Usage"),
    (["taxonomy", "lint", "taxonomies-that-do-not-exist.yaml"], 1, "taxonomies-that-do-not-exist.yaml"),
    (["nosuchcmd"], 2, "error: No such command 'nosuchcmd'. (see `voc --help`)"),
    (["run", "--bogus"], 2, "error: No such option: --bogus (see `voc run --help`)"),
    (["--workspace", "empty-ws", "summary"], 2, "empty-ws/voc.duckdb: no output database yet: run `voc run`"),
])
def test_exit_status_and_exit_handlers(tmp_path, args, status, says):
    proc = _voc(tmp_path, *args)
    assert proc.returncode == status, proc.stdout + proc.stderr
    assert says in proc.stdout + proc.stderr
    assert proc.stdout.rstrip().endswith("exit handler ran")
    assert "never reached" not in proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr


@pytest.mark.parametrize("command", ["deploy", "serve", "deployments", "runs"])
def test_server_commands_without_a_server_say_how_to_set_one(tmp_path, command):
    """The four commands that need a running Prefect server share one check and one error line."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "PREFECT_API_URL": ""}
    proc = subprocess.run([sys.executable, "-m", "voc", command], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=120)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = [ln for ln in (proc.stdout + proc.stderr).splitlines() if ln.strip()]
    assert lines == ["error: PREFECT_API_URL is not set: start a server (`prefect server start`) and run "
                     "`prefect config set PREFECT_API_URL=http://127.0.0.1:4200/api`"]
