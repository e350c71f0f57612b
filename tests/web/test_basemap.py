"""The default basemap, without a PMTiles file, in Chromium: what the catalog knows and
nothing more. Union City PD's own cameras (with the way each faces), the area they span,
its collection zones in force and its seat are drawn and labelled as drawn from the
catalog, with no road; another agency's cameras and zones and a revoked zone are not; and
no request of the page leaves this server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from plateledger.catalog import open_catalog
from plateledger.demo import DEMO_PASSWORD, seed_catalog
from plateledger.settings import Settings
from plateledger.sim import City, default_plan
from tests.web.harness import SERVER, Browser, WebServer, free_port, wait_ready

SCREENS = Path(__file__).resolve().parents[2] / "docs" / "screens"


@dataclass
class World:
    server: WebServer
    cameras: set[str]  # Union City's cameras with a place
    facing: set[str]  # those with a heading
    zones: set[str]  # Union City's zones in force
    seat: str  # Union City's name


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    data_dir = tmp_path_factory.mktemp("basemap")
    settings = Settings(data_dir=data_dir, require_totp=False)
    catalog = open_catalog(settings)
    try:
        accounts = seed_catalog(catalog, City(default_plan(vehicles=300)).plan)
        ucpd, fpd = accounts.agency_ids["ucpd"], accounts.agency_ids["fpd"]
        placed = [c for c in catalog.cameras(owner_id=ucpd) if c.lat is not None]
        south = min(float(c.lat) for c in placed)  # type: ignore[arg-type]
        west = min(float(c.lon) for c in placed)  # type: ignore[arg-type]
        # Zones south of the cameras (a zone may not hold one of its agency's cameras).
        school = catalog.add_zone(
            ucpd, "Alvarado Elementary", "school", centre=(south - 0.01, west + 0.01), radius_m=150
        )
        church = catalog.add_zone(
            ucpd,
            "St Anne's",
            "place_of_worship",
            polygon=[
                (south - 0.012, west + 0.03),
                (south - 0.012, west + 0.034),
                (south - 0.009, west + 0.032),
            ],
        )
        revoked = catalog.add_zone(
            ucpd, "Closed clinic", "health_care", centre=(south - 0.02, west), radius_m=100
        )
        catalog.revoke_zone(revoked.id)
        catalog.add_zone(fpd, "Fremont library", "other", centre=(south - 0.03, west), radius_m=100)
        agency = catalog.update_agency(ucpd, lat=south - 0.005, lon=west + 0.02)
        result = (
            {c.camera_id for c in placed},
            {c.camera_id for c in placed if c.heading is not None},
            {school.name, church.name},
            agency.name,
        )
    finally:
        catalog.engine.dispose()
    port = free_port()
    env = {**os.environ, "PLATELEDGER_REQUIRE_TOTP": "false"}
    env.pop("PLATELEDGER_PMTILES_PATH", None)
    with (data_dir / "server.log").open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-c", SERVER, str(data_dir), str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
    server = WebServer(url=f"http://127.0.0.1:{port}", password=DEMO_PASSWORD, data_dir=data_dir)
    try:
        wait_ready(server.url, process)
        yield World(server, *result)
    finally:
        process.terminate()
        process.wait(timeout=60)


def test_the_basemap_holds_what_the_catalog_knows_of_the_users_agency(world: World) -> None:
    token = world.server.token("ucpd.investigator")
    data = httpx.get(
        f"{world.server.url}/v1/basemap", timeout=30, headers={"Authorization": f"Bearer {token}"}
    ).json()
    kinds: dict[str, list[dict[str, object]]] = {}
    for feature in data["features"]:
        kinds.setdefault(feature["properties"]["kind"], []).append(feature["properties"])
    assert set(kinds) == {"agency_area", "zone", "heading", "camera", "seat"}
    assert {p["camera_id"] for p in kinds["camera"]} == world.cameras
    assert {p["camera_id"] for p in kinds["heading"]} == world.facing
    assert {p["name"] for p in kinds["zone"]} == world.zones
    assert [p["name"] for p in kinds["seat"]] == [world.seat]
    assert "pmtiles" not in data
    # Another agency's user sees its own, none of Union City's.
    other = world.server.token("fpd.investigator")
    theirs = httpx.get(
        f"{world.server.url}/v1/basemap", timeout=30, headers={"Authorization": f"Bearer {other}"}
    ).json()
    names = {f["properties"].get("name") for f in theirs["features"]}
    assert names.isdisjoint(world.zones | {world.seat}) and "Fremont library" in names
    cameras = {f["properties"].get("camera_id") for f in theirs["features"]}
    assert cameras.isdisjoint(world.cameras)


def test_the_map_draws_the_catalogs_basemap_labelled_and_fetches_nothing_elsewhere(
    world: World, browser: Browser
) -> None:
    server = world.server
    browser.send(
        "Emulation.setDeviceMetricsOverride",
        {"width": 1366, "height": 768, "deviceScaleFactor": 1, "mobile": False},
        session=True,
    )
    token = server.token("ucpd.investigator")
    browser.goto(f"{server.url}/login")
    browser.evaluate(f"sessionStorage.setItem('plateledger.token', {json.dumps(token)})")
    browser.goto(f"{server.url}/workspace")
    browser.wait_for("document.getElementById('map').dataset.basemap === 'ready'")

    def count(cls: str) -> int:
        return int(browser.evaluate(f"document.querySelectorAll('#map path.{cls}').length"))

    assert count("basemap-camera") == len(world.cameras)
    assert count("basemap-heading") == len(world.facing)
    assert count("basemap-zone") == len(world.zones)
    assert count("basemap-seat") == 1
    assert count("basemap-area") == 1
    legend = browser.evaluate("document.getElementById('basemap-legend').textContent")
    assert "drawn from the catalog" in legend and "no road geometry" in legend
    assert "PLATELEDGER_PMTILES_PATH" in legend
    assert browser.evaluate("document.getElementById('map').dataset.pmtiles") is None
    # Every resource the page loaded came from this server.
    loaded = browser.evaluate(
        "[location.href, ...performance.getEntriesByType('resource').map((e) => e.name)]"
    )
    assert len(loaded) > 5
    assert all(url.startswith(f"{server.url}/") for url in loaded), loaded
    browser.evaluate("window.scrollTo(0, 0)")
    browser.wait_for("!window.plateledgerWorkspace.map._animatingZoom")
    browser.screenshot(SCREENS / "workspace-basemap.png")
