"""Fixtures for recognition and the agent: one recogniser, an HTTP endpoint that answers
like the plateledger server's read intake, and a private Mosquitto broker."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from plateledger.recognize import Recognizer, load_recognizer


@pytest.fixture(scope="session")
def recognizer() -> Recognizer:
    return load_recognizer("rapidocr")


@pytest.fixture(scope="session")
def synthetic_recognizer() -> Recognizer:
    """The edge-localiser engine, tuned on the synthetic frames the agent tests send: the
    agent's plumbing is tested here, the default engine's accuracy on real photos in
    bench/recognition/real.py."""
    return load_recognizer("rapidocr-edge")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Intake:
    """An HTTP server speaking the read-intake protocol: 200 with accepted ids and
    per-item errors (plates equal to ``reject_plate`` are refused), or ``status`` when set."""

    port: int
    requests: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)
    status: int = 200
    reject_plate: str = "REJECT1"
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def reads(self) -> list[dict[str, object]]:
        """Every native read received, in arrival order (repeats included)."""
        out: list[dict[str, object]] = []
        for path, _, body in self.requests:
            if path == "/v1/reads":
                out.extend(json.loads(body))
        return out

    def start(self) -> None:
        intake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                intake.requests.append((self.path, dict(self.headers), body))
                if intake.status != 200:
                    self._answer(intake.status, {"detail": "unavailable"})
                    return
                items = json.loads(body)
                items = items if isinstance(items, list) else [items]
                accepted, errors = [], []
                for i, item in enumerate(items):
                    if item.get("plate") == intake.reject_plate:
                        errors.append({"index": i, "field": "plate", "message": "refused"})
                    else:
                        accepted.append(item.get("read_id", str(i)))
                self._answer(200, {"accepted": accepted, "errors": errors})

            def _answer(self, status: int, payload: object) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


@pytest.fixture
def intake() -> Iterator[Intake]:
    server = Intake(free_port())
    server.start()
    yield server
    server.stop()


@dataclass
class Mosquitto:
    """A broker of our own, so that restarting it disturbs no one else's tests."""

    port: int
    workdir: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        config = self.workdir / "mosquitto.conf"
        config.write_text(f"listener {self.port} 127.0.0.1\nallow_anonymous true\n")
        self.process = subprocess.Popen(
            [_mosquitto(), "-c", str(config)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("mosquitto did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


def _mosquitto() -> str:
    for candidate in ("mosquitto", "/usr/sbin/mosquitto"):
        found = shutil.which(candidate)
        if found:
            return found
    pytest.skip("mosquitto is not installed")
    raise AssertionError  # unreachable


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[Mosquitto]:
    broker = Mosquitto(free_port(), tmp_path)
    broker.start()
    yield broker
    broker.stop()


def wait_until(condition: object, timeout: float = 10.0) -> bool:
    """Poll ``condition()`` until it is true or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False
