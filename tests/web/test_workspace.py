"""The map workspace: its page, the vendored map libraries served by this server, the
offline basemap (only the caller's own agency's cameras), and the page in Chromium."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx

from plateledger.api.routes.basemap import convex_hull
from plateledger.catalog import open_catalog
from plateledger.settings import Settings
from plateledger.web import STATIC_DIR
from tests.web.harness import WebServer

VENDOR = STATIC_DIR / "vendor"
MAP_ASSETS = [
    "/static/vendor/leaflet/leaflet.js", "/static/vendor/leaflet/leaflet.css",
    "/static/vendor/leaflet.markercluster/leaflet.markercluster.js",
    "/static/vendor/leaflet.markercluster/MarkerCluster.css",
    "/static/vendor/leaflet.markercluster/MarkerCluster.Default.css",
    "/static/workspace.js", "/static/workspace.css",
]
# Absolute addresses the vendored libraries hold that are never fetched: the SVG
# namespace, bug links in comments, and Leaflet's own link in the attribution prefix
# (which the workspace turns off).
NOT_FETCHED = re.compile(
    r"https?://(www\.w3\.org/2000/svg|leafletjs\.com"
    r"|bugs\.chromium\.org/\S*|bugzilla\.mozilla\.org/\S*)"
)


def test_workspace_page_has_its_parts_and_loads_only_this_server(web_server: WebServer) -> None:
    response = httpx.get(f"{web_server.url}/workspace", timeout=30)
    assert response.status_code == 200
    html = response.text
    for part in ['id="map"', 'id="ws-form"', 'value="stakeout"', 'value="convoy"',
                 'value="timeline"', 'id="draw-circle"', 'id="draw-box"', 'id="purpose"',
                 'id="reason"', 'role="alert"', *MAP_ASSETS]:
        assert part in html, part
    assert "http://" not in html and "https://" not in html
    assert "default-src 'none'" in response.headers["content-security-policy"]


def test_map_libraries_are_served_with_their_licences(web_server: WebServer) -> None:
    for asset in MAP_ASSETS:
        response = httpx.get(f"{web_server.url}{asset}", timeout=30)
        assert response.status_code == 200, asset
        kind = "text/css" if asset.endswith(".css") else "javascript"
        assert kind in response.headers["content-type"], asset
    assert (VENDOR / "leaflet" / "LICENSE").read_text().startswith("BSD 2-Clause")
    assert "MIT" in (VENDOR / "leaflet.markercluster" / "MIT-LICENCE.txt").read_text() or \
        "Permission is hereby granted" in (VENDOR / "leaflet.markercluster" /
                                           "MIT-LICENCE.txt").read_text()
    for image in ("marker-icon.png", "marker-shadow.png", "layers.png"):
        response = httpx.get(f"{web_server.url}/static/vendor/leaflet/images/{image}", timeout=30)
        assert response.status_code == 200 and response.content[:4] == b"\x89PNG", image


def test_vendored_files_fetch_nothing_from_outside() -> None:
    files = [p for p in VENDOR.glob("leaflet*/*") if p.suffix in {".js", ".css"}]
    assert len(files) == 5
    for file in files:
        text = NOT_FETCHED.sub("", file.read_text(encoding="utf-8"))
        assert "http://" not in text and "https://" not in text, file.name
        assert "@import" not in text, file.name


def test_the_package_lock_pins_what_is_vendored() -> None:
    root = Path(__file__).resolve().parents[2]
    lock = json.loads((root / "package-lock.json").read_text())
    versions = {name.removeprefix("node_modules/"): entry["version"]
                for name, entry in lock["packages"].items() if name}
    assert versions["leaflet"] == "1.9.4"
    assert versions["leaflet.markercluster"] == "1.5.3"
    assert "Leaflet 1.9.4" in (VENDOR / "leaflet" / "leaflet.js").read_text()[:200]


def test_basemap_needs_a_signed_in_user(web_server: WebServer) -> None:
    response = httpx.get(f"{web_server.url}/v1/basemap", timeout=30)
    assert response.status_code == 401


def test_basemap_shows_only_the_callers_own_cameras(web_server: WebServer) -> None:
    catalog = open_catalog(Settings(data_dir=web_server.data_dir, require_totp=False))
    try:
        agencies = {a.slug: a for a in catalog.agencies()}
        own = {c.camera_id for c in catalog.cameras(owner_id=agencies["ucpd"].id)
               if c.lat is not None}
        others = {c.camera_id for c in catalog.cameras() if c.camera_id not in own}
    finally:
        catalog.engine.dispose()
    assert own and others
    token = web_server.token("ucpd.investigator")
    data = httpx.get(f"{web_server.url}/v1/basemap", timeout=30,
                     headers={"Authorization": f"Bearer {token}"}).json()
    shown = {f["properties"]["camera_id"] for f in data["features"]
             if f["properties"]["kind"] == "camera"}
    assert shown == own
    assert not shown & others
    areas = [f for f in data["features"] if f["properties"]["kind"] == "agency_area"]
    assert len(areas) <= 1


def test_convex_hull_keeps_the_corners_only() -> None:
    square = [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0), (0.5, 0.5), (0.5, 0.0)]
    assert convex_hull(square) == [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)]
    assert convex_hull([(0.0, 0.0), (1.0, 1.0)]) == [(0.0, 0.0), (1.0, 1.0)]

