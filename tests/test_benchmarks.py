"""Every benchmark script still starts: it imports what it uses and parses its options.

Nothing runs the benchmarks in CI (they take minutes and need data outside the repository), so without
this a refactor breaks one unnoticed until the next measurement.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SCRIPTS = sorted(p.name for p in (REPO / "benchmarks").glob("*.py") if p.name != "harness.py")


def test_every_benchmark_is_checked():
    assert len(SCRIPTS) >= 15 and "bench_throughput.py" in SCRIPTS


@pytest.mark.parametrize("script", SCRIPTS)
def test_the_benchmark_starts_and_says_how_to_use_it(script, tmp_path):
    proc = subprocess.run([sys.executable, str(REPO / "benchmarks" / script), "--help"], capture_output=True,
                          text=True, timeout=300, cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.lstrip().startswith("usage:"), proc.stdout[:500]
