"""Fixtures shared by every test package.

chDB runs one embedded server per process, on one data directory at a time: the whole
test session shares one store directory, and each test that needs a clean store empties it.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from hypothesis import settings

from plateledger.store import ReadStore

# The servers tests start (here or as subprocesses, which inherit this) write no scheduled
# reports, nor their audit entries, a minute after they start: a test that wants the
# schedule turns it on (tests/transparency/test_scheduler.py).
os.environ.setdefault("PLATELEDGER_REPORTS_SCHEDULE", "false")
# ... and publish the hot-list hits they withhold at the end of each second, not of each
# day (docs/audit.md): a test reads a withheld hit's entry within a second or two of it.
os.environ.setdefault("PLATELEDGER_WITHHELD_PUBLISH_SECONDS", "1")

# No test depends on timing, property tests included: Hypothesis's per-example deadline
# (200 ms by default) is off everywhere. (A pure Arrow property test failed once on a busy
# two-core machine and passed on every rerun.)
settings.register_profile("plateledger", deadline=None)
settings.load_profile("plateledger")


@pytest.fixture(scope="session")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("chdb-store")


def _empty(store: ReadStore) -> None:
    for table in ("reads", "plates", "plate_variants", "read_candidates", "read_details"):
        store.engine.command(f"TRUNCATE TABLE IF EXISTS {store.db}.{table}")


@pytest.fixture
def store(store_path: Path) -> Iterator[ReadStore]:
    """An empty embedded read store (the session's one chDB directory)."""
    read_store = ReadStore.open(data_dir=store_path)
    _empty(read_store)
    try:
        yield read_store
    finally:
        read_store.close()


@pytest.fixture(scope="session")
def postgres_url() -> str:
    return os.environ.get(
        "PLATELEDGER_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )


@dataclass
class LiveServer:
    """A real `plateledger serve` process over a seeded demo catalog, second factors on."""

    url: str
    data_dir: Path
    camera_key: str
    camera_id: str
    password: str
    process: subprocess.Popen[bytes]
    port: int
    totp_secrets: dict[str, str] = field(default_factory=dict)
    _tokens: dict[str, str] = field(default_factory=dict)

    def token(self, username: str) -> str:
        """A token of ``username``, logged in once (a one-time code is refused the second
        time it is used, so later calls reuse the first token)."""
        if username not in self._tokens:
            from plateledger.catalog.totp import totp_code

            secret = self.totp_secrets.get(username)
            code = totp_code(secret, datetime.now(UTC)) if secret else None
            response = httpx.post(
                f"{self.url}/v1/auth/token",
                json={"username": username, "password": self.password, "totp": code},
                timeout=30,
            )
            response.raise_for_status()
            self._tokens[username] = str(response.json()["access_token"])
        return self._tokens[username]

    def stop(self, *, kill: bool = False) -> None:
        if self.process.poll() is None:
            if kill:
                self.process.kill()
            else:
                self.process.terminate()
            self.process.wait(timeout=60)

    def start(self) -> None:
        self.process = _spawn(self.data_dir, self.port)
        _wait_ready(self.url, self.process)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _spawn(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PLATELEDGER_INGEST_BATCH_SECONDS": "0.2"}
    with (data_dir / "server.log").open("ab") as log:  # the child keeps its own copy
        return subprocess.Popen(
            [sys.executable, "-m", "plateledger.cli.main", "serve", "--data-dir",
             str(data_dir), "--port", str(port)],
            stdout=log, stderr=subprocess.STDOUT, env=env,
        )


def _wait_ready(url: str, process: subprocess.Popen[bytes], timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with code {process.returncode}")
        try:
            if httpx.get(f"{url}/v1/audit/checkpoint", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError("the server did not start in time")


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A running server with the demo city's catalog (no reads loaded)."""
    from plateledger.catalog import open_catalog
    from plateledger.demo import DEMO_PASSWORD, seed_catalog
    from plateledger.settings import Settings
    from plateledger.sim import City, default_plan

    data_dir = tmp_path_factory.mktemp("live-server")
    settings = Settings(data_dir=data_dir)
    catalog = open_catalog(settings)
    accounts = seed_catalog(catalog, City(default_plan(vehicles=2_000)).plan)
    catalog.engine.dispose()
    port = _free_port()
    server = LiveServer(
        url=f"http://127.0.0.1:{port}", data_dir=data_dir, camera_key=accounts.camera_key,
        camera_id=accounts.camera_id, password=DEMO_PASSWORD, process=_spawn(data_dir, port),
        port=port, totp_secrets=accounts.totp_secrets,
    )
    try:
        _wait_ready(server.url, server.process)
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def s3_url() -> Iterator[str]:
    """A bucket on an S3-compatible server (moto's) listening on localhost, as an
    ``images_url``; credentials for it are in the environment while it runs."""
    import boto3
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("AWS_ACCESS_KEY_ID", "plateledger-test")
        env.setenv("AWS_SECRET_ACCESS_KEY", "plateledger-test")
        boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").create_bucket(
            Bucket="crops")
        try:
            yield f"s3://crops/city/images?endpoint={endpoint}&region=us-east-1"
        finally:
            server.stop()
