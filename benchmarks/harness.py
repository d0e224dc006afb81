"""What every benchmark shares: data-path arguments, timing with the machine's load, peak memory, a table.

    from harness import add_data_args, Timer, load_average, peak_rss_mb, print_table

    ap = argparse.ArgumentParser(); add_data_args(ap); args = ap.parse_args()
    with Timer() as t:
        work()
    print_table([{"what": "work", "seconds": t.seconds, "load": t.load}])

Timings on a shared machine are noisy, so each one carries the load average before and after it.
Importing this module puts the repository on sys.path (`flows` is not installed) and turns off progress
bars and Prefect's telemetry before Prefect is imported.
"""

from __future__ import annotations

import argparse
import os
import resource
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DATA = REPO.parent / "shared" / "data"  # the real data sets beside the checkout, never inside it
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
os.environ.setdefault("VOC_PROGRESS", "0")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
# Thread-pool sizes given by the person running the benchmark; `import pipeline` sets the others for
# this process from its free cores, and a child process should choose its own (see `child_env`).
_GIVEN_THREADS = {v for v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS") if v in os.environ}


def half_a(rows: int, seed: int = 0) -> "list[bool]":
    """Which rows of the complaint dev set are half "a", the half whose texts may be read while tuning; the
    other half is held out, and benchmarks print only its figures, never its texts."""
    import numpy as np

    return (np.random.default_rng(seed).permutation(rows) < rows // 2).tolist()


def child_env(**extra: str) -> dict[str, str]:
    """The environment for a measured child process: this one's, minus thread-pool sizes this process
    chose for itself, plus `extra`."""
    env = {k: v for k, v in os.environ.items()
           if k not in {"OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"} - _GIVEN_THREADS}
    return {**env, **extra}


def add_data_args(ap: argparse.ArgumentParser, ccf: bool = True, complaints: bool = True) -> None:
    """--ccf and --complaints: the real data folders (default: ../shared/data/<name> beside the checkout)."""
    if ccf:
        ap.add_argument("--ccf", type=Path, default=_default(DATA / "ccf_bdci2018"),
                        help="CCF BDCI 2018 folder (train_by_content.csv, train.csv)")
    if complaints:
        ap.add_argument("--complaints", type=Path, default=_default(DATA / "complaints_dev"),
                        help="complaints dev folder (complaints_dev.csv)")


def _default(path: Path) -> Path | None:
    return path if path.exists() else None


def data_file(folder_or_file: Path, name: str) -> Path:
    """`folder/name` when given a folder, else the file itself; a one-line error when missing."""
    path = folder_or_file / name if folder_or_file.is_dir() else folder_or_file
    if not path.is_file():
        sys.exit(f"error: {path}: no such file (expected the data set's {name})")
    return path


def load_average() -> str:
    """The 1-, 5- and 15-minute load averages, e.g. '1.2/0.9/0.8'."""
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def peak_rss_mb(children: bool = False) -> int:
    """Peak resident memory of this process (or of its waited-for children), in MB."""
    who = resource.RUSAGE_CHILDREN if children else resource.RUSAGE_SELF
    return round(resource.getrusage(who).ru_maxrss / 1024)  # KB on Linux


class Timer:
    """Wall seconds of a block, and the load average before -> after it."""

    def __enter__(self) -> Timer:
        self._before = load_average()
        self._t = time.perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        self.seconds = round(time.perf_counter() - self._t, 2)
        self.load = f"{self._before} -> {load_average()}"


def print_table(rows: Sequence[dict], columns: Sequence[str] | None = None, title: str | None = None) -> None:
    """Rows of dicts as an aligned text table (columns: the union of keys, in order of appearance)."""
    if title:
        print(title)
    if not rows:
        print("  (no rows)")
        return
    cols = list(columns or dict.fromkeys(k for r in rows for k in r))
    cells = [[_cell(r.get(c)) for c in cols] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(cols)]
    print("  " + "  ".join(c.ljust(w) for c, w in zip(cols, widths)))
    print("  " + "  ".join("-" * w for w in widths))
    for row in cells:
        print("  " + "  ".join(v.ljust(w) for v, w in zip(row, widths)), flush=True)


def _cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:,.2f}" if abs(v) < 100 else f"{v:,.0f}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


@contextmanager
def prefect_server(home: Path, timeout: float = 180) -> Iterator[str]:
    """A Prefect server (`prefect server start`, SQLite under `home`) for the block; yields its API URL.

    Runs measured against it pay no temporary-server start, as scheduled runs do in production.
    """
    home.mkdir(parents=True, exist_ok=True)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    api = f"http://127.0.0.1:{port}/api"
    env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_API_URL": api,
           "PREFECT_API_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{home}/prefect.db"}
    log = open(home / "server.log", "w")  # noqa: SIM115 - open for the server's life
    proc = subprocess.Popen([sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
                             "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        import httpx

        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                sys.exit(f"error: the Prefect server exited; see {home / 'server.log'}")
            try:
                if httpx.get(f"{api}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                sys.exit(f"error: the Prefect server did not answer within {timeout:.0f} s; see {home / 'server.log'}")
            time.sleep(0.5)
        yield api
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
