"""A real server with the web pages installed, and headless Chromium driven from Python.

The server is a `uvicorn` process over a seeded demo catalog, built the way `plateledger
serve` builds it plus `plateledger.web.install`, so that the pages are tested whether or
not the app factory mounts them yet. Chromium is driven over its DevTools pipe (file
descriptors 3 and 4, NUL-separated JSON), which needs nothing beyond the standard library.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import select
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
    "--disable-dev-shm-usage", "--window-size=1280,1400",
)
# The account that must wait for the back-off message, and the one whose unlock logs an entry.
LOCKED_USER = "hpd.auditor"
UNLOCKED_USER = "fpd.auditor"

SERVER = """
import sys
import uvicorn
from pathlib import Path
from plateledger.api import create_app
from plateledger.cli.serving import settings_from
from plateledger.web import install

data_dir, port = Path(sys.argv[1]), int(sys.argv[2])
app = create_app(settings_from(data_dir, None, None, host="127.0.0.1", port=port))
install(app)
uvicorn.run(app, host="127.0.0.1", port=port, workers=1, log_level="warning")
"""


@dataclass
class WebServer:
    """A running server with the web pages, over the demo city's catalog (no reads)."""

    url: str
    password: str
    data_dir: Path

    def token(self, username: str) -> str:
        response = httpx.post(
            f"{self.url}/v1/auth/token",
            json={"username": username, "password": self.password, "totp": None}, timeout=30,
        )
        response.raise_for_status()
        return str(response.json()["access_token"])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(url: str, process: subprocess.Popen[bytes], timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with code {process.returncode}")
        try:
            if httpx.get(f"{url}/transparency", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError("the server did not start in time")


def lock(server: WebServer, username: str) -> None:
    """Fail enough logins from this address that it waits minutes (15 s, doubling)."""
    for _ in range(10):
        httpx.post(f"{server.url}/v1/auth/token",
                   json={"username": username, "password": "wrong", "totp": None}, timeout=30)


def seed_log(server: WebServer) -> None:
    """Append an entry the way an administrator would: lock an account, then unlock it."""
    lock(server, UNLOCKED_USER)
    admin = server.token("fpd.admin")
    response = httpx.post(
        f"{server.url}/v1/admin/users/{UNLOCKED_USER}/unlock",
        headers={"Authorization": f"Bearer {admin}"}, timeout=30,
    )
    response.raise_for_status()
    lock(server, LOCKED_USER)


class BrowserError(RuntimeError):
    """Chromium answered a DevTools command with an error, or stopped answering."""


class Browser:
    """One headless Chromium tab, driven over the DevTools pipe."""

    def __init__(self, profile: Path) -> None:
        to_child, self._commands = os.pipe()
        self._events, from_child = os.pipe()

        def descriptors_3_and_4() -> None:
            # Move both ends above 4 first, so that neither dup2 closes the other.
            high_in = fcntl.fcntl(to_child, fcntl.F_DUPFD, 10)
            high_out = fcntl.fcntl(from_child, fcntl.F_DUPFD, 10)
            os.dup2(high_in, 3)
            os.dup2(high_out, 4)

        self.process = subprocess.Popen(
            [str(CHROMIUM), *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
             "--remote-debugging-pipe", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=descriptors_3_and_4, close_fds=False,
        )
        os.close(to_child)
        os.close(from_child)
        # poll, not select: a test process that has run many tests holds more than
        # FD_SETSIZE (1024) descriptors (chDB keeps three a worker thread), and select()
        # refuses any descriptor past it.
        self._poll = select.poll()
        self._poll.register(self._events, select.POLLIN)
        self._next_id = 0
        self._buffer = b""
        try:
            target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
            self.session = self.send(
                "Target.attachToTarget", {"targetId": target, "flatten": True}
            )["sessionId"]
            self.send("Page.enable", session=True)
            self.send("Runtime.enable", session=True)
        except BaseException:
            self.close()  # no Chromium left running behind a failed start
            raise

    def _message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not self._poll.poll(left * 1000):
                raise BrowserError("Chromium did not answer in time")
            chunk = os.read(self._events, 1 << 16)
            if not chunk:
                raise BrowserError("Chromium closed its DevTools pipe")
            self._buffer += chunk
        raw, _, self._buffer = self._buffer.partition(b"\0")
        message: dict[str, Any] = json.loads(raw)
        return message

    def send(
        self, method: str, params: dict[str, Any] | None = None, *, session: bool = False,
        timeout: float = 60.0,
    ) -> dict[str, Any]:
        self._next_id += 1
        command: dict[str, Any] = {"id": self._next_id, "method": method,
                                   "params": params or {}}
        if session:
            command["sessionId"] = self.session
        os.write(self._commands, json.dumps(command).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            message = self._message(deadline)
            if message.get("id") != self._next_id:
                continue  # an event
            if "error" in message:
                raise BrowserError(f"{method}: {message['error']}")
            result: dict[str, Any] = message.get("result", {})
            return result

    def evaluate(self, expression: str, timeout: float = 60.0) -> Any:
        """The value of ``expression`` in the page (awaited when it is a promise)."""
        result = self.send(
            "Runtime.evaluate",
            {"expression": expression, "awaitPromise": True, "returnByValue": True},
            session=True, timeout=timeout,
        )
        if "exceptionDetails" in result:
            raise BrowserError(f"the page threw: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, condition: str, timeout: float = 60.0) -> Any:
        """Wait until the JavaScript ``condition`` is truthy in the page; return its value.

        The condition is polled inside the page, so a navigation in between (which
        destroys the page's context) is retried from here.
        """
        # The page gives up on its own just before the deadline (answering a marker), so a
        # condition that never holds says so, instead of reading as a Chromium that stopped
        # answering.
        gave_up = "__plateledger_wait_gave_up__"
        deadline = time.monotonic() + timeout
        while True:
            left = max(1.0, deadline - time.monotonic())
            poll = (
                "new Promise((resolve) => { const end = Date.now() + " + str(int(left * 1000))
                + " - 500; const check = () => { const v = (" + condition
                + "); if (v) resolve(v); else if (Date.now() > end) resolve("
                + json.dumps(gave_up) + "); else setTimeout(check, 50); }; check(); })"
            )
            try:
                value = self.evaluate(poll, timeout=left + 10.0)
            except BrowserError as exc:
                if time.monotonic() >= deadline or "did not answer" in str(exc):
                    raise
                time.sleep(0.1)  # the context was replaced by a navigation; ask again
                continue
            if value == gave_up:
                raise BrowserError(f"the page never met {condition!r} in {timeout:.0f} s")
            return value

    def goto(self, url: str) -> None:
        self.send("Page.navigate", {"url": url}, session=True)
        self.wait_for(
            f"location.href === {json.dumps(url)} && document.readyState === 'complete'"
        )

    def screenshot(self, path: Path) -> None:
        data = self.send("Page.captureScreenshot", {"format": "png"}, session=True)["data"]
        path.write_bytes(base64.b64decode(data))

    def close(self) -> None:
        with contextlib.suppress(BrowserError):  # it may close before it answers
            self.send("Browser.close", timeout=10)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=30)
        os.close(self._commands)
        os.close(self._events)




def chromium_missing() -> bool:
    return not CHROMIUM.exists() or shutil.which(str(CHROMIUM)) is None


NO_CHROMIUM = "needs Debian's Chromium at /usr/bin/chromium (apt-get install chromium)"
