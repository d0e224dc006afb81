"""`python -m samplegen OUT`: the generator's own command, outside the library."""

import subprocess
import sys
from pathlib import Path

import pytest

from samplegen.__main__ import main

REPO = Path(__file__).resolve().parents[2]


def test_python_m_samplegen_writes_the_sample(tmp_path):
    out = subprocess.run([sys.executable, "-m", "samplegen", str(tmp_path / "s"), "--rows", "500", "--seed", "1"],
                         cwd=tmp_path, env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"}, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert (tmp_path / "s" / "sources.yaml").is_file() and "500 rows written" in out.stdout


def test_too_few_rows_is_one_error_line(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([str(tmp_path / "s"), "--rows", "200"])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and err.splitlines() == [
        "error: The 'n_rows' parameter of generate must be at least 500. Got 200 instead."]
    assert not (tmp_path / "s").exists()
