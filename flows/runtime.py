"""The Prefect API a `voc` command reports its flow runs to when no server is configured.

Without `PREFECT_API_URL`, Prefect 3.8.8 starts a temporary server for each process that runs a flow:
a second Python process that imports Prefect's server and runs uvicorn. On this 2-core machine that
costs 7 to 35 s per command and, when the machine is busy, exceeds Prefect's 20 s start-up limit
(`Timed out while attempting to connect to ephemeral Prefect API server`). There is no way to run
flows and tasks without an API: every run and task state goes through it.

`ensure_prefect_api()` starts that temporary server inside the `voc` process instead, on a thread,
once per process, and points the process's Prefect settings at it. It serves the same API on
loopback with the same database (`PREFECT_HOME/prefect.db`), without the second interpreter start
and its imports. Child processes (Dask workers) are given its address too. With `PREFECT_API_URL`
set nothing changes: flows report to that server.
"""

from __future__ import annotations

import os
import socket
import threading
import time

from pipeline.errors import VocError

START_TIMEOUT_S = 120.0  # at least this, or PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS if larger (default 20 s)


class PrefectApiError(VocError):
    """The temporary Prefect API could not be started."""


class InProcessServer:
    """Prefect's temporary API server (the app `SubprocessASGIServer` runs), on a thread of this process."""

    def __init__(self) -> None:
        self.port: int | None = None
        self.running = False
        self._server = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def address(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.address}/api"

    def start(self, timeout: float | None = None) -> None:
        with self._lock:
            if self.running:
                return
            import uvicorn
            from prefect.server.api.server import create_app

            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                self.port = s.getsockname()[1]
            app = create_app(ephemeral=True)
            self._server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port,
                                                         log_level="error", lifespan="on"))
            self._thread = threading.Thread(target=self._server.run, name="prefect-api", daemon=True)
            self._thread.start()
            from prefect.settings import PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS

            limit = max(timeout or PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS.value(), START_TIMEOUT_S)
            deadline = time.monotonic() + limit
            while not self._server.started:
                if not self._thread.is_alive() or time.monotonic() > deadline:
                    self._server.should_exit = True
                    raise PrefectApiError(
                        f"the temporary Prefect API did not start within {limit:.0f} s (the machine is busy): start "
                        "a server (`prefect server start`) and set PREFECT_API_URL=http://127.0.0.1:4200/api, or "
                        "raise PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS")
                time.sleep(0.05)
            self.running = True
            # No stop at exit: the thread serves Prefect's last logs and events while atexit handlers
            # flush them, and ends with the interpreter. A graceful uvicorn shutdown at that point waits
            # on executors Python has already shut down (5 to 10 s for nothing); SQLite's journal keeps
            # the database consistent either way, as when Prefect's own temporary server is terminated.

    def stop(self, timeout: float = 10) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout)
        self.running = False


_SERVER = InProcessServer()


def ensure_prefect_api() -> str:
    """The Prefect API flows of this process report to: PREFECT_API_URL when set, else a temporary
    API started on a thread of this process (once; later calls reuse it).

    Raises:
        PrefectApiError: the temporary API did not start within START_TIMEOUT_S.
    """
    from prefect.context import refresh_global_settings_context
    from prefect.settings import PREFECT_API_URL

    if url := PREFECT_API_URL.value():
        return url
    # Offline by default: the server's telemetry service stays off (read from these settings by its thread).
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    refresh_global_settings_context()
    _SERVER.start()
    # The process's settings (and the processes it starts, such as Dask workers) now name this API.
    os.environ["PREFECT_API_URL"] = _SERVER.api_url
    refresh_global_settings_context()
    return _SERVER.api_url
