"""The temporary Prefect API of a `voc` command without PREFECT_API_URL: on a thread of its own process."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def test_a_configured_server_is_used_as_it_is():
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from flows import runtime

    with temporary_settings({PREFECT_API_URL: "http://127.0.0.1:4200/api"}):
        assert runtime.ensure_prefect_api() == "http://127.0.0.1:4200/api"
    assert not runtime._SERVER.running


@pytest.mark.slow
def test_voc_redline_without_a_server_runs_on_an_api_in_its_own_process(tmp_path):
    from samplegen import write_sample

    write_sample(tmp_path / "sample", n_rows=500, seed=5)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API_")}
    env.update(PREFECT_HOME=str(tmp_path / "prefect-home"), VOC_PROGRESS="0",
               PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    out = subprocess.run([sys.executable, "-m", "voc", "redline", "--sources",
                          str(tmp_path / "sample/sources.yaml"), "--database", str(tmp_path / "voc.duckdb")],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    text = out.stdout + out.stderr
    assert out.returncode == 0, text[-4000:]
    assert "scanned " in out.stdout and "Completed()" in text
    # not Prefect's temporary server process (which announces itself), and nothing failed on the way out
    assert "Starting temporary server" not in text and "Traceback" not in text and "ERROR" not in text, text[-4000:]
    assert (tmp_path / "prefect-home/prefect.db").exists()  # the same database Prefect's own would use
