"""A webhook receiver on loopback for delivery tests: records every POST (path, query, headers, JSON
body) and can be slow, late (answers after the client's timeout) or failing."""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.parse
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Receiver:
    """Answers 200 (with `answer` as body) after `delay` seconds, or `fail_status` while `failing`."""

    def __init__(self, port: int | None = None, delay: float = 0.0, answer: dict | None = None) -> None:
        self.port = port or free_port()
        self.delay, self.failing, self.fail_status = delay, False, 503
        self.answer = answer or {}
        self.posts: list[dict] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                url = urllib.parse.urlsplit(self.path)
                with receiver.lock:
                    receiver.posts.append({
                        "path": url.path, "query": dict(urllib.parse.parse_qsl(url.query)),
                        "key": self.headers.get("Idempotency-Key"), "headers": dict(self.headers),
                        "body": json.loads(raw.decode("utf-8")), "failing": receiver.failing,
                    })
                time.sleep(receiver.delay)
                try:
                    self.send_response(receiver.fail_status if receiver.failing else 200)
                    out = json.dumps(receiver.answer).encode()
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(out)))
                    self.end_headers()
                    self.wfile.write(out)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting; the request was still received

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def keys(self) -> Counter:
        """POSTs per Idempotency-Key (including failed ones)."""
        return Counter(p["key"] for p in self.posts)

    def accepted(self) -> Counter:
        """Successful POSTs per key."""
        return Counter(p["key"] for p in self.posts if not p["failing"])

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> Receiver:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
