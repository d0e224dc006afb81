"""How long a `voc` command waits for Prefect before its flow runs, without PREFECT_API_URL.

Usage: .venv/bin/python benchmarks/bench_prefect_startup.py [--repeat 3]

Each measurement is a fresh Python process that imports Prefect, then runs a one-task flow to
completion, timed from the flow call: either on Prefect's own temporary server (a second process,
`subprocess`) or on the API `flows.runtime.ensure_prefect_api()` starts on a thread of the process
(`in-process`, what `voc run`, `voc redline` and `voc discover` use). The two are alternated so load on
the machine falls on both alike. Both use a scratch PREFECT_HOME, migrated once before timing. Nothing
is asserted.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile

from harness import REPO  # noqa: E402

CHILD = r"""
import sys, time
from prefect import flow, task

@task
def one(x):
    return x + 1

@flow
def tiny():
    return one(1)

t = time.perf_counter()
if sys.argv[1] == "in-process":
    from flows.runtime import ensure_prefect_api
    ensure_prefect_api()
assert tiny() == 2
print(f"RESULT {time.perf_counter() - t:.2f}")
"""


def measure(mode: str, env: dict) -> float:
    out = subprocess.run([sys.executable, "-c", CHILD, mode], env=env, capture_output=True, text=True, timeout=600)
    for line in out.stdout.splitlines():
        if line.startswith("RESULT "):
            return float(line.split()[1])
    raise RuntimeError(f"{mode} failed:\n{out.stdout[-2000:]}\n{out.stderr[-3000:]}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as home:
        env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
        env.update(PREFECT_HOME=home, PREFECT_SERVER_ANALYTICS_ENABLED="false",
                   PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="300",  # measured, not failed, when slow
                   PYTHONPATH=str(REPO) + os.pathsep + env.get("PYTHONPATH", ""))
        measure("in-process", env)  # creates and migrates the database once
        times: dict[str, list[float]] = {"subprocess": [], "in-process": []}
        for _ in range(args.repeat):
            for mode in times:
                times[mode].append(measure(mode, env))
        load = os.getloadavg()[0]
    for mode, ts in times.items():
        print(f"{mode:>11}: median {statistics.median(ts):5.1f} s  (runs: {', '.join(f'{t:.1f}' for t in ts)})")
    print(f"load average at the end: {load:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
