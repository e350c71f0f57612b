"""Fixtures for the web pages: a real server with the pages, and headless Chromium."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.web.harness import (
    CHROMIUM,
    CHROMIUM_FLAGS,
    NO_CHROMIUM,
    SERVER,
    Browser,
    WebServer,
    chromium_missing,
    free_port,
    seed_log,
    wait_ready,
)


@pytest.fixture(scope="session")
def web_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebServer]:
    from plateledger.catalog import open_catalog
    from plateledger.demo import DEMO_PASSWORD, seed_catalog
    from plateledger.settings import Settings
    from plateledger.sim import City, default_plan

    data_dir = tmp_path_factory.mktemp("web-server")
    catalog = open_catalog(Settings(data_dir=data_dir, require_totp=False))
    seed_catalog(catalog, City(default_plan(vehicles=500)).plan)
    catalog.engine.dispose()
    port = free_port()
    env = {**os.environ, "PLATELEDGER_REQUIRE_TOTP": "false"}
    with (data_dir / "server.log").open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-c", SERVER, str(data_dir), str(port)],
            stdout=log, stderr=subprocess.STDOUT, env=env,
        )
    server = WebServer(url=f"http://127.0.0.1:{port}", password=DEMO_PASSWORD,
                       data_dir=data_dir)
    try:
        wait_ready(server.url, process)
        seed_log(server)
        yield server
    finally:
        process.terminate()
        process.wait(timeout=60)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Browser]:
    """A headless Chromium tab; the test is skipped where Chromium is not installed."""
    if chromium_missing():
        pytest.skip(NO_CHROMIUM)
    tab = Browser(tmp_path / "profile")
    try:
        yield tab
    finally:
        tab.close()


DumpDom = Callable[[str], str]


@pytest.fixture
def dump_dom(tmp_path: Path) -> DumpDom:
    """``dump_dom(url)``: the DOM after the page's scripts ran (Chromium's ``--dump-dom``)."""
    if chromium_missing():
        pytest.skip(NO_CHROMIUM)

    def dump(url: str) -> str:
        done = subprocess.run(
            [str(CHROMIUM), *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'dump-profile'}",
             "--virtual-time-budget=15000", "--dump-dom", url],
            capture_output=True, timeout=120, check=True,
        )
        return done.stdout.decode()

    return dump
