"""The map workspace: its page, the read and camera pages, the vendored map libraries
served by this server, the offline basemap (only the caller's own agency's cameras), the
operator's PMTiles file in byte ranges, and the demo's planted case. The pages in Chromium
are tests/web/test_workspace_browser.py."""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from plateledger.api.routes.basemap import HEADING_METRES, convex_hull, facing
from plateledger.catalog import open_catalog
from plateledger.cli.demo import case_instructions, case_summary
from plateledger.demo import DEMO_PASSWORD, seed_catalog
from plateledger.settings import Settings
from plateledger.sim import City, default_plan
from plateledger.sim.planted import plant_case
from plateledger.sim.registrations import FORMATS
from plateledger.store.images import ImageStore
from plateledger.web import STATIC_DIR
from tests.web.harness import SERVER, WebServer, free_port, wait_ready

VENDOR = STATIC_DIR / "vendor"
MAP_ASSETS = [
    "/static/vendor/leaflet/leaflet.js",
    "/static/vendor/leaflet/leaflet.css",
    "/static/vendor/leaflet.markercluster/leaflet.markercluster.js",
    "/static/vendor/leaflet.markercluster/MarkerCluster.css",
    "/static/vendor/leaflet.markercluster/MarkerCluster.Default.css",
    "/static/workspace.js",
    "/static/workspace.css",
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
    for part in [
        'id="map"',
        'id="ws-form"',
        'value="stakeout"',
        'value="convoy"',
        'value="timeline"',
        'id="draw-circle"',
        'id="draw-box"',
        'id="purpose"',
        'id="reason"',
        'role="alert"',
        *MAP_ASSETS,
    ]:
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
    assert (
        "MIT" in (VENDOR / "leaflet.markercluster" / "MIT-LICENCE.txt").read_text()
        or "Permission is hereby granted"
        in (VENDOR / "leaflet.markercluster" / "MIT-LICENCE.txt").read_text()
    )
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
    versions = {
        name.removeprefix("node_modules/"): entry["version"]
        for name, entry in lock["packages"].items()
        if name
    }
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
        own = {
            c.camera_id for c in catalog.cameras(owner_id=agencies["ucpd"].id) if c.lat is not None
        }
        others = {c.camera_id for c in catalog.cameras() if c.camera_id not in own}
    finally:
        catalog.engine.dispose()
    assert own and others
    token = web_server.token("ucpd.investigator")
    data = httpx.get(
        f"{web_server.url}/v1/basemap", timeout=30, headers={"Authorization": f"Bearer {token}"}
    ).json()
    shown = {
        f["properties"]["camera_id"]
        for f in data["features"]
        if f["properties"]["kind"] == "camera"
    }
    assert shown == own
    assert not shown & others
    areas = [f for f in data["features"] if f["properties"]["kind"] == "agency_area"]
    assert len(areas) <= 1


def test_convex_hull_keeps_the_corners_only() -> None:
    square = [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0), (0.5, 0.5), (0.5, 0.0)]
    assert convex_hull(square) == [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)]
    assert convex_hull([(0.0, 0.0), (1.0, 1.0)]) == [(0.0, 0.0), (1.0, 1.0)]


def test_read_and_camera_pages_are_served(web_server: WebServer) -> None:
    read_id = "0b6f0e4e-9a43-4c55-9a0e-3f0f1f0d2c11"
    response = httpx.get(f"{web_server.url}/reads/{read_id}", timeout=30)
    assert response.status_code == 200
    assert f'"{read_id}"' in response.text and 'id="read-images-box"' in response.text
    assert 'id="offense_type"' in response.text and 'id="purpose"' in response.text
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert httpx.get(f"{web_server.url}/reads/not-a-read", timeout=30).status_code == 422
    cameras = httpx.get(f"{web_server.url}/cameras", timeout=30)
    assert cameras.status_code == 200
    assert 'id="camera-map"' in cameras.text and 'id="camera-table"' in cameras.text
    assert 'href="/cameras" aria-current="page"' in cameras.text
    for page in (response.text, cameras.text):
        assert "http://" not in page and "https://" not in page


def test_the_pmtiles_reader_is_vendored_pinned_and_served(web_server: WebServer) -> None:
    root = Path(__file__).resolve().parents[2]
    lock = json.loads((root / "package-lock.json").read_text())
    versions = {
        name.removeprefix("node_modules/"): entry["version"]
        for name, entry in lock["packages"].items()
        if name
    }
    assert versions["pmtiles"] == "4.5.0"
    assert versions["protomaps-leaflet"] == "5.1.0"
    assert (
        json.loads((VENDOR / "pmtiles" / "package.json").read_text())["license"] == "BSD-3-Clause"
    )
    for name in ("pmtiles", "protomaps-leaflet"):
        assert (
            "Redistribution and use in source and binary forms"
            in (VENDOR / name / "LICENSE").read_text()
        )
    html = httpx.get(f"{web_server.url}/workspace", timeout=30).text
    for asset in (
        "/static/vendor/pmtiles/pmtiles.js",
        "/static/vendor/protomaps-leaflet/protomaps-leaflet.js",
    ):
        assert asset in html
        response = httpx.get(f"{web_server.url}{asset}", timeout=30)
        assert response.status_code == 200 and "javascript" in response.headers["content-type"]


def test_without_a_pmtiles_file_the_tiles_route_says_so(web_server: WebServer) -> None:
    assert httpx.get(f"{web_server.url}/v1/basemap/tiles.pmtiles", timeout=30).status_code == 401
    headers = {"Authorization": f"Bearer {web_server.token('ucpd.investigator')}"}
    response = httpx.get(f"{web_server.url}/v1/basemap/tiles.pmtiles", headers=headers, timeout=30)
    assert response.status_code == 404
    assert "PLATELEDGER_PMTILES_PATH" in response.text
    basemap = httpx.get(f"{web_server.url}/v1/basemap", headers=headers, timeout=30).json()
    assert "pmtiles" not in basemap


def test_a_pmtiles_file_set_by_the_operator_is_served_in_byte_ranges(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    catalog = open_catalog(Settings(data_dir=data_dir, require_totp=False))
    try:
        seed_catalog(catalog, City(default_plan(vehicles=100)).plan)
    finally:
        catalog.engine.dispose()
    tiles = tmp_path / "city.pmtiles"
    content = b"PMTiles\x03" + bytes(range(256)) * 40
    tiles.write_bytes(content)
    port = free_port()
    env = {
        **os.environ,
        "PLATELEDGER_REQUIRE_TOTP": "false",
        "PLATELEDGER_PMTILES_PATH": str(tiles),
    }
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
        headers = {"Authorization": f"Bearer {server.token('ucpd.investigator')}"}
        basemap = httpx.get(f"{server.url}/v1/basemap", headers=headers, timeout=30).json()
        assert basemap["pmtiles"] == "/v1/basemap/tiles.pmtiles"
        url = f"{server.url}{basemap['pmtiles']}"
        part = httpx.get(url, headers={**headers, "Range": "bytes=0-126"}, timeout=30)
        assert part.status_code == 206
        assert part.content == content[:127]
        assert part.headers["content-range"] == f"bytes 0-126/{len(content)}"
        middle = httpx.get(url, headers={**headers, "Range": "bytes=5000-5099"}, timeout=30)
        assert middle.status_code == 206 and middle.content == content[5000:5100]
        whole = httpx.get(url, headers=headers, timeout=30)
        assert whole.status_code == 200 and whole.content == content
        assert whole.headers["accept-ranges"] == "bytes"
        assert httpx.get(url, timeout=30).status_code == 401
    finally:
        process.terminate()
        process.wait(timeout=60)


def test_the_planted_case_travels_together_past_three_places(tmp_path: Path) -> None:
    plan = default_plan(vehicles=100)
    end = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    case = plant_case(
        plan,
        end=end,
        owner_ids={a.id: a.id + 10 for a in plan.agencies},
        images=ImageStore(tmp_path / "images"),
    )
    assert len({p.camera_id for p in case.places}) == 3
    assert case.home.camera_id not in {p.camera_id for p in case.places}
    # A shape the simulated population never has: digit, two letters, four digits.
    shapes = {fmt.slots.replace("N", "D") for fmt in FORMATS}
    for plate in (case.stolen, *case.companions, case.decoy):
        shape = "".join("D" if c.isdigit() else "L" for c in plate)
        assert shape == "DLLDDDD" and shape not in shapes
    by_plate: dict[str, list[tuple[str, datetime]]] = {}
    for read in case.reads:
        by_plate.setdefault(read.plate, []).append((read.camera_id, read.ts))
        assert case.since <= read.ts <= case.until
        assert read.owner_id == plan.agencies[0].id + 10
        assert read.images.plate and read.images.overview
    assert case.until - case.since <= timedelta(days=7)
    for place in case.places:
        for companion in case.companions:
            seen = [ts for camera, ts in by_plate[companion] if camera == place.camera_id]
            assert len(seen) == 1 and timedelta(0) < seen[0] - place.ts <= timedelta(seconds=120)
    decoy_cameras = {camera for camera, _ in by_plate[case.decoy]}
    assert decoy_cameras == {case.places[0].camera_id}
    nights = [ts for camera, ts in by_plate[case.stolen] if camera == case.home.camera_id]
    assert len(nights) == 3
    store = ImageStore(tmp_path / "images")
    crop = store.get(case.reads[0].images.plate)
    assert crop is not None and crop[:2] == b"\xff\xd8"  # a JPEG


def test_the_demo_says_how_to_find_the_case() -> None:
    plan = default_plan(vehicles=100)
    case = plant_case(
        plan,
        end=datetime(2026, 6, 1, 12, 0, tzinfo=UTC),
        owner_ids={a.id: a.id for a in plan.agencies},
    )
    text = case_instructions(json.loads(json.dumps(case_summary(case))), "http://127.0.0.1:8080")
    assert "http://127.0.0.1:8080/workspace" in text
    assert case.stolen in text and all(c in text for c in case.companions)
    assert all(p.camera_id in text for p in case.places)
    assert case_instructions(None, "http://x") == ""


def test_the_demo_plants_the_case_and_heads_the_stolen_list_with_it(tmp_path: Path) -> None:
    from plateledger.catalog import open_catalog as catalog_at
    from plateledger.cli.demo import prepare
    from plateledger.hotlist.store import HotlistStore
    from plateledger.store import ReadStore

    settings = Settings(data_dir=tmp_path, require_totp=False)
    prepared = prepare(settings, reads=3000, seed=5, days=3.0)
    assert prepared.case is not None
    stolen = str(prepared.case["stolen"])
    companions = [str(c) for c in prepared.case["companions"]]  # type: ignore[attr-defined]
    assert prepared.hot[0][0] == stolen
    assert json.loads((tmp_path / "demo-case.json").read_text()) == prepared.case
    catalog = catalog_at(settings)
    try:
        hotlists = HotlistStore(catalog.engine)
        listed = {h.name: [e.entry.plate for e in hotlists.entries(h.id)] for h in hotlists.lists()}
    finally:
        catalog.engine.dispose()
    assert listed["stolen vehicles"][0] == stolen
    store = ReadStore.open(data_dir=settings.store_dir, partitioning=settings.partitioning)
    try:
        rows = store.query(
            "SELECT plate, count() AS n FROM {db}.reads WHERE plate IN "
            "{plates:Array(String)} GROUP BY plate",
            {"plates": [stolen, *companions]},
        )
        counts = dict(
            zip(rows.column("plate").to_pylist(), rows.column("n").to_pylist(), strict=True)
        )
    finally:
        store.close()
    assert counts == {stolen: 6, **dict.fromkeys(companions, 3)}
    # A second run keeps the data and the case.
    again = prepare(settings, reads=3000, seed=5, days=3.0)
    assert again.case == prepared.case and again.hot[0][0] == stolen


def test_basemap_draws_the_way_each_camera_faces_and_no_road(web_server: WebServer) -> None:
    token = web_server.token("ucpd.investigator")
    data = httpx.get(
        f"{web_server.url}/v1/basemap", timeout=30, headers={"Authorization": f"Bearer {token}"}
    ).json()
    cameras = {
        f["properties"]["camera_id"]: f
        for f in data["features"]
        if f["properties"]["kind"] == "camera"
    }
    strokes = [f for f in data["features"] if f["properties"]["kind"] == "heading"]
    assert strokes and {s["properties"]["camera_id"] for s in strokes} <= set(cameras)
    assert not [f for f in data["features"] if f["properties"]["kind"] == "road"]
    assert "no road geometry" in data["no_roads"] and "no roads" in data["drawn_from"]
    for stroke in strokes:
        (lon0, lat0), (lon1, lat1) = stroke["geometry"]["coordinates"]
        camera = cameras[stroke["properties"]["camera_id"]]
        lon, lat = camera["geometry"]["coordinates"]
        assert camera["properties"]["heading"] == stroke["properties"]["heading"]
        # from its camera, HEADING_METRES long
        assert abs(lon0 - lon) < 1e-6 and abs(lat0 - lat) < 1e-6
        dy = (lat1 - lat0) * 111_320.0
        dx = (lon1 - lon0) * 111_320.0 * math.cos(math.radians(lat))
        assert abs(math.hypot(dx, dy) - HEADING_METRES) < 1.0


def test_a_stroke_points_the_way_its_camera_faces() -> None:
    (lon0, lat0), (e_lon, e_lat) = facing(-122.0, 37.5, 90.0)  # facing east
    assert (lon0, lat0) == (-122.0, 37.5) and e_lat == 37.5 and e_lon > -122.0
    (_, _), (n_lon, n_lat) = facing(-122.0, 37.5, 0.0)  # facing north
    assert n_lon == -122.0 and n_lat > 37.5
    (_, _), (w_lon, _) = facing(-122.0, 37.5, 270.0)  # facing west
    assert w_lon < -122.0


def test_the_pmtiles_reader_fetches_nothing_from_outside() -> None:
    # What the two files hold that is never fetched: an error message's link, the
    # attribution links (the workspace turns attribution off), the SVG namespace, and the
    # base a relative address is parsed against.
    known = {
        "pmtiles/pmtiles.js": {"https://github.com/protomaps/PMTiles/tree/main/js"},
        "protomaps-leaflet/protomaps-leaflet.js": {
            "https://protomaps.com",
            "https://openstreetmap.org/copyright",
            "http://www.w3.org/2000/svg",
            "http://example.com",
        },
    }
    for name, allowed in known.items():
        text = (VENDOR / name).read_text(encoding="utf-8")
        found = set(re.findall(r"https?://[^\"' )`]+", text))
        assert found == allowed, name
    assert "attributionControl: false" in (STATIC_DIR / "workspace.js").read_text()
