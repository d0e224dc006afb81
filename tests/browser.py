"""Headless Chromium driven over the DevTools protocol: load a page, wait until it settled, read its DOM
and take a full-page screenshot.

Chromium's one-shot `--screenshot` fires at a fixed (virtual) time, which on a single-page app like the
Prefect UI catches CSS fade-ins half way on a loaded machine; here the shot waits until the page's own
condition holds and no animation runs any more.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
from websockets.sync.client import connect


def chromium() -> str | None:
    return next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)


class Page:
    """One browser tab; `with Page(url) as page:` starts Chromium and closes it after."""

    def __init__(self, url: str, width: int = 1400, height: int = 1000, timeout: float = 120):
        self.url, self.width, self.height, self.timeout = url, width, height, timeout
        self._ids = itertools.count(1)

    def __enter__(self) -> Page:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self._profile = tempfile.mkdtemp(prefix="voc-chromium-")
        self._proc = subprocess.Popen(
            [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
             f"--remote-debugging-port={port}", f"--user-data-dir={self._profile}",
             f"--window-size={self.width},{self.height}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        ws_url = self._until(lambda: self._page_target(port), "Chromium's DevTools endpoint")
        self._ws = connect(ws_url, max_size=None, open_timeout=30)
        self.call("Page.enable")
        self.call("Page.navigate", url=self.url)
        return self

    def __exit__(self, *exc) -> None:
        try:
            self._ws.close()
        finally:
            # The whole session: Chromium's helper processes (renderer, utility, crashpad) outlive the
            # main one by a moment and keep writing into the profile.
            for sig in (signal.SIGTERM, signal.SIGKILL):
                try:
                    os.killpg(self._proc.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    self._proc.wait(30)
                    break
                except subprocess.TimeoutExpired:
                    continue
            for _ in range(40):  # a helper still closing its files: "Directory not empty"
                try:
                    shutil.rmtree(self._profile)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.25)
            else:
                shutil.rmtree(self._profile, ignore_errors=True)

    @staticmethod
    def _page_target(port: int) -> str | None:
        try:
            targets = httpx.get(f"http://127.0.0.1:{port}/json", timeout=2).json()
        except httpx.HTTPError:
            return None
        return next((t["webSocketDebuggerUrl"] for t in targets if t.get("type") == "page"), None)

    def _until(self, predicate, what: str, step: float = 0.25):
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(step)
        raise AssertionError(f"timed out after {self.timeout:.0f} s waiting for {what}")

    def call(self, method: str, **params) -> dict:
        """One DevTools command; events that arrive meanwhile are skipped."""
        msg_id = next(self._ids)
        self._ws.send(json.dumps({"id": msg_id, "method": method, "params": params}))
        while True:
            reply = json.loads(self._ws.recv(timeout=self.timeout))
            if reply.get("id") == msg_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply["result"]

    def evaluate(self, expression: str):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        return result["result"].get("value")

    def wait_for(self, expression: str, what: str):
        """Wait until a JavaScript expression is truthy, then until no animation is running."""
        value = self._until(lambda: self.evaluate(expression), what)
        self._until(lambda: self.evaluate(
            "document.getAnimations().every(a => a.playState !== 'running')"), "animations to finish")
        return value

    def dom(self) -> str:
        return self.evaluate("document.documentElement.outerHTML")

    def screenshot(self, out: Path) -> tuple[int, int]:
        """A PNG of the whole content, however tall (the app scrolls inside an element, not the document)."""
        height = int(self.evaluate("Math.max(...[...document.querySelectorAll('*')].map(e => e.scrollHeight))"))
        self.call("Emulation.setDeviceMetricsOverride", width=self.width, height=height, deviceScaleFactor=1,
                  mobile=False)
        self._until(lambda: self.evaluate("document.getAnimations().every(a => a.playState !== 'running')"),
                    "animations to finish")
        png = base64.b64decode(self.call("Page.captureScreenshot", format="png")["data"])
        out.write_bytes(png)
        return self.width, height
