"""The live alerts panel across a dropped stream, in Chromium against a real server that
is restarted while the page stays open: the page reconnects by itself and catches up from
the API, so the hit that arrived while it was disconnected shows once (as a card and in
the history), the hit another officer dispositioned meanwhile leaves the pending cards,
and the next live hit arrives once, on top."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from plateledger.catalog import open_catalog
from plateledger.demo import DEMO_PASSWORD, seed_catalog
from plateledger.settings import Settings
from plateledger.sim import City, default_plan
from tests.web.harness import SERVER, Browser, WebServer, free_port, wait_ready

SUPERVISOR = "ucpd.supervisor"
BEFORE, BETWEEN, AFTER = "4RCN101", "4RCN202", "4RCN303"


class Restartable:
    """A server process over one data directory and port, which a test can restart."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.server = WebServer(
            url=f"http://127.0.0.1:{self.port}", password=DEMO_PASSWORD, data_dir=data_dir
        )
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {**os.environ, "PLATELEDGER_REQUIRE_TOTP": "false"}
        with (self.data_dir / "server.log").open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-c", SERVER, str(self.data_dir), str(self.port)],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
            )
        wait_ready(self.server.url, self.process)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=60)
            self.process = None


@pytest.fixture(scope="module")
def restartable(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Restartable]:
    data_dir = tmp_path_factory.mktemp("alerts-reconnect")
    catalog = open_catalog(Settings(data_dir=data_dir, require_totp=False))
    try:
        seed_catalog(catalog, City(default_plan(vehicles=300)).plan)
    finally:
        catalog.engine.dispose()
    server = Restartable(data_dir)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _camera_key(server: WebServer) -> tuple[str, str]:
    catalog = open_catalog(Settings(data_dir=server.data_dir, require_totp=False))
    try:
        agency = catalog.agency_by_slug("ucpd")
        assert agency is not None
        camera = next(c for c in catalog.cameras(agency.id) if c.lat is not None)
        return catalog.issue_api_key(agency.id, label="reconnect test"), camera.camera_id
    finally:
        catalog.close()


def _post_read(server: WebServer, key: str, camera: str, plate: str) -> None:
    response = httpx.post(
        f"{server.url}/v1/reads",
        headers={"X-API-Key": key},
        timeout=60,
        json=[
            {
                "camera_id": camera,
                "ts": datetime.now(UTC).isoformat(),
                "plate": plate,
                "region": "CA",
                "confidence": 0.93,
            }
        ],
    )
    assert response.status_code == 200 and len(response.json()["accepted"]) == 1, response.text


def _count(browser: Browser, selector: str) -> int:
    return int(browser.evaluate(f"document.querySelectorAll({json.dumps(selector)}).length"))


def test_the_panel_reconnects_after_a_restart_and_shows_the_missed_hit_once(
    restartable: Restartable, browser: Browser
) -> None:
    server = restartable.server
    bearer = server.token(SUPERVISOR)
    headers = {"Authorization": f"Bearer {bearer}"}
    listed = httpx.post(
        f"{server.url}/v1/hotlists",
        headers=headers,
        timeout=60,
        json={
            "name": "stolen vehicles (reconnect)",
            "category": "stolen_vehicle",
            "replace": False,
            "entries": [
                {
                    "plate": p,
                    "region": "CA",
                    "reason": "stolen",
                    "case_number": "UC-77",
                    "priority": 5,
                }
                for p in (BEFORE, BETWEEN, AFTER)
            ],
        },
    )
    assert listed.status_code == 201, listed.text
    key, camera = _camera_key(server)

    browser.goto(f"{server.url}/login")
    browser.evaluate(f"sessionStorage.setItem('plateledger.token', {json.dumps(bearer)})")
    browser.goto(f"{server.url}/alerts")
    browser.wait_for("document.body.dataset.stream === 'live'")
    _post_read(server, key, camera, BEFORE)
    card = '.alert-card[data-plate="{}"]'
    browser.wait_for(f"document.querySelector({json.dumps(card.format(BEFORE))})")
    before_id = browser.evaluate(
        f"document.querySelector({json.dumps(card.format(BEFORE))}).dataset.hit"
    )

    # The stream drops with the server, and stays down while the next hit arrives: new
    # stream requests are refused by the browser until the hit is in.
    browser.send("Network.enable", session=True)
    browser.send("Network.setBlockedURLs", {"urls": ["*/v1/alerts/stream*"]}, session=True)
    restartable.stop()
    browser.wait_for("document.body.dataset.stream === 'retrying'")
    restartable.start()
    _post_read(server, key, camera, BETWEEN)
    # Meanwhile another officer dispositions the first hit.
    done = httpx.post(
        f"{server.url}/v1/hits/{before_id}/disposition",
        timeout=30,
        headers={"Authorization": f"Bearer {server.token('ucpd.investigator')}"},
        json={"disposition": "misread", "action": "none", "note": "not it"},
    )
    assert done.status_code == 200, done.text
    assert browser.evaluate("document.body.dataset.stream") != "live"
    assert _count(browser, card.format(BETWEEN)) == 0
    browser.send("Network.setBlockedURLs", {"urls": []}, session=True)

    browser.wait_for(
        "document.body.dataset.stream === 'live'"
        f" && document.querySelector({json.dumps(card.format(BETWEEN))})"
    )
    between_id = browser.evaluate(
        f"document.querySelector({json.dumps(card.format(BETWEEN))}).dataset.hit"
    )
    assert _count(browser, card.format(BETWEEN)) == 1
    assert _count(browser, f'#history tr[data-hit="{between_id}"]') == 1
    # The first hit left the pending cards; its history row says what was recorded.
    browser.wait_for(f"!document.querySelector({json.dumps(card.format(BEFORE))})")
    row = browser.evaluate(
        f"document.querySelector('#history tr[data-hit=\"{before_id}\"]')?.textContent"
    )
    assert row is not None and "Misread" in row

    # The next hit arrives live, once, on top.
    _post_read(server, key, camera, AFTER)
    browser.wait_for(f"document.querySelector({json.dumps(card.format(AFTER))})")
    plates = browser.evaluate(
        "[...document.querySelectorAll('.alert-card')].map((c) => c.dataset.plate)"
    )
    assert plates == [AFTER, BETWEEN]
    hits = browser.evaluate(
        "[...document.querySelectorAll('#history tr[data-hit]')].map((r) => r.dataset.hit)"
    )
    assert len(hits) == len(set(hits)) == 3
    assert browser.evaluate("document.getElementById('pending-count').textContent") == "2"
