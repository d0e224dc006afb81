"""Wall time of one red-line scan of 500 new feedback against a running Prefect server, with delivery to a
loopback receiver, and of the next scan (nothing new: the every-5-minutes steady state).

Usage: .venv/bin/python benchmarks/bench_redline_scan.py [--rows 500] [--seed 42] [--workdir /tmp/voc-bench-redline]

Target (issue: red line): a scan of 500 new feedback completes in under 10 s on this machine when a
Prefect server is running. The server (`prefect server start`) is started before the clock runs.
Two measurements: the flow called in this process (imports and model loads paid before the clock), and
`voc redline` as its own process (everything a scheduled command pays: interpreter, imports, models).
Nothing is asserted; figures vary on shared machines, so each carries the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from harness import REPO, Timer, child_env, prefect_server, print_table  # noqa: E402  (puts the repository on sys.path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=500)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/voc-bench-redline"))
    args = ap.parse_args()

    from flows.redline import RedlineParams, redline_flow
    from samplegen import write_sample

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
    rows = []
    with prefect_server(args.workdir / "prefect") as api:
        os.environ["PREFECT_API_URL"] = api  # this process's flows and the `voc redline` processes
        from prefect.context import refresh_global_settings_context

        refresh_global_settings_context()  # Prefect read its settings when flows.redline imported it
        with Timer() as t1:
            first = redline_flow(params)
        with Timer() as t2:
            second = redline_flow(params)
        rows += [{"what": "flow in this process, first scan", "seconds": t1.seconds, "scanned": first["scanned"],
                  "new_alerts": first["new_alerts"], "folded": first["duplicates"], "posts": len(posts),
                  "load": t1.load},
                 {"what": "flow in this process, next scan", "seconds": t2.seconds, "scanned": second["scanned"],
                  "new_alerts": second["new_alerts"], "load": t2.load}]
        cmd = [sys.executable, "-m", "voc", "--workspace", str(args.workdir / "ws"), "redline",
               "--sources", str(params.inputs.sources), "--database", str(args.workdir / "voc-process.duckdb"),
               "--webhook", params.delivery.webhook_url]
        env = child_env(PYTHONPATH=str(REPO))
        for kind in ("first", "next"):
            with Timer() as t:
                proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=args.workdir)
            if proc.returncode != 0:
                raise SystemExit(f"voc redline failed ({proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
            rows.append({"what": f"`voc redline` process, {kind} scan", "seconds": t.seconds, "load": t.load})
    server.shutdown()
    print_table(rows, title=f"red-line scan of {args.rows} new feedback against a running Prefect server")
    print(json.dumps(rows, ensure_ascii=False))

if __name__ == "__main__":
    main()
