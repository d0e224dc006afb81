"""Wall time of one red-line scan of 500 new feedback under a Prefect server, with delivery to a
loopback receiver, and of the next scan (nothing new: the every-5-minutes steady state).

Usage: .venv/bin/python benchmarks/bench_redline_scan.py [--rows 500] [--seed 42] [--workdir /tmp/voc-bench-redline]

Target (issue: red line): a scan of 500 new feedback completes in under 10 s on this machine when a
Prefect server is running. The server is Prefect's temporary one (started before the clock runs);
timings exclude its start-up. Nothing is asserted; figures vary on shared machines.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import harness  # noqa: E402,F401  (puts the repository on sys.path)
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=500)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/voc-bench-redline"))
    args = ap.parse_args()

    from prefect.testing.utilities import prefect_test_harness

    from flows.redline import RedlineParams, redline_flow
    from pipeline.sample_data import write_sample

    shutil.rmtree(args.workdir, ignore_errors=True)
    args.workdir.mkdir(parents=True)
    write_sample(args.workdir / "sample", n_rows=args.rows, seed=args.seed)
    posts = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            posts.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *a):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    params = RedlineParams(sources=args.workdir / "sample/sources.yaml", database=str(args.workdir / "voc.duckdb"),
                           webhook_url=f"http://127.0.0.1:{server.server_port}/hook")
    with prefect_test_harness(server_startup_timeout=120):
        t = time.perf_counter()
        first = redline_flow(params)
        t_first = time.perf_counter() - t
        t = time.perf_counter()
        second = redline_flow(params)
        t_second = time.perf_counter() - t
    server.shutdown()
    print(json.dumps({
        "rows": args.rows, "scanned": first["scanned"], "new_alerts": first["new_alerts"],
        "folded": first["duplicates"], "posts": len(posts), "first_scan_s": round(t_first, 2),
        "next_scan_s": round(t_second, 2), "next_scan_new_alerts": second["new_alerts"],
    }, ensure_ascii=False))


if __name__ == "__main__":
    main()
