"""The map workspace in Chromium, at 1366×768, over a city with the demo's planted case: a
stakeout drawn with the mouse over three places finds the stolen car, a convoy from its
row lists the two vehicles that travelled with it, its timeline opens on the map, and a
read's detail shows its plate crop and overview through the image-view decision. Polygons
are drawn by clicks and finished with Enter; areas can be typed instead of drawn; the
camera list and map open for administrators only. Screenshots go to docs/screens/."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from plateledger.catalog import open_catalog
from plateledger.demo import DEMO_PASSWORD, load_reads, seed_catalog
from plateledger.settings import Settings
from plateledger.sim import City, default_plan
from plateledger.sim.planted import PlantedCase, plant_case
from plateledger.store import ReadStore
from plateledger.store.images import ImageStore
from tests.web.harness import SERVER, Browser, WebServer, free_port, wait_ready

SCREENS = Path(__file__).resolve().parents[2] / "docs" / "screens"
INVESTIGATOR = "ucpd.investigator"
EARTH = (0xE2, 0xDF, 0xDA)  # the "light" flavour's land colour in protomaps-leaflet 5.1.0


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _field(number: int, payload: bytes | int) -> bytes:
    if isinstance(payload, int):
        return _varint(number << 3) + _varint(payload)
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _earth_tile() -> bytes:
    """A vector tile (MVT 2) whose layer `earth` is one square over the whole tile."""
    def zigzag(n: int) -> int:
        return (n << 1) ^ (n >> 31)

    ring = [9, zigzag(0), zigzag(0), 26, zigzag(4096), zigzag(0), zigzag(0), zigzag(4096),
            zigzag(-4096), zigzag(0), 15]
    geometry = b"".join(_varint(v) for v in ring)
    feature = _field(1, 1) + _field(3, 3) + _field(4, geometry)
    layer = _field(15, 2) + _field(1, b"earth") + _field(2, feature) + _field(5, 4096)
    return _field(3, layer)


def pmtiles_of(tile: bytes) -> bytes:
    """A PMTiles 3 file (uncompressed) whose tiles at zoom 0 and 1 are all ``tile``: two
    directory entries, z0/0/0 and a run of the four z1 tiles, pointing at one copy."""
    directory = b"".join(_varint(v) for v in (
        2, 0, 1,            # entries; tile id deltas (z0/0/0 is 0, the z1 tiles 1..4)
        1, 4,               # run lengths
        len(tile), len(tile),
        1, 1))              # offsets + 1: both at the start of the tile data
    metadata = b"{}"
    root_offset = 127
    metadata_offset = root_offset + len(directory)
    data_offset = metadata_offset + len(metadata)
    header = b"PMTiles" + bytes([3]) + b"".join(v.to_bytes(8, "little") for v in (
        root_offset, len(directory), metadata_offset, len(metadata), data_offset, 0,
        data_offset, len(tile), 5, 2, 1))
    header += bytes([0, 1, 1, 1, 0, 1])  # not clustered; no compression; MVT; zooms 0..1
    header += b"".join(v.to_bytes(4, "little", signed=True) for v in (
        -1_800_000_000, -850_000_000, 1_800_000_000, 850_000_000))
    header += bytes([0]) + (0).to_bytes(4, "little") + (0).to_bytes(4, "little")
    assert len(header) == 127
    return header + directory + metadata + tile


@dataclass
class CaseServer:
    server: WebServer
    case: PlantedCase


@pytest.fixture(scope="module")
def case_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CaseServer]:
    """A server over the demo city with simulated traffic and the planted case."""
    data_dir = tmp_path_factory.mktemp("workspace-case")
    settings = Settings(data_dir=data_dir, require_totp=False)
    city = City(default_plan(vehicles=2000))
    catalog = open_catalog(settings)
    try:
        accounts = seed_catalog(catalog, city.plan)
    finally:
        catalog.engine.dispose()
    owner_ids = {a.id: accounts.agency_ids[a.slug] for a in city.plan.agencies}
    end = datetime.now(UTC)
    store = ReadStore.open(data_dir=settings.store_dir, partitioning=settings.partitioning)
    try:
        load_reads(store, city, reads=20_000, seed=11, days=3.0, owner_ids=owner_ids)
        case = plant_case(city.plan, end=end, owner_ids=owner_ids,
                          images=ImageStore(settings.images_dir))
        store.insert_reads(case.reads)
    finally:
        store.close()
    tiles = data_dir / "basemap.pmtiles"
    tiles.write_bytes(pmtiles_of(_earth_tile()))
    port = free_port()
    env = {**os.environ, "PLATELEDGER_REQUIRE_TOTP": "false",
           "PLATELEDGER_PMTILES_PATH": str(tiles)}
    with (data_dir / "server.log").open("ab") as log:
        process = subprocess.Popen([sys.executable, "-c", SERVER, str(data_dir), str(port)],
                                   stdout=log, stderr=subprocess.STDOUT, env=env)
    server = WebServer(url=f"http://127.0.0.1:{port}", password=DEMO_PASSWORD,
                       data_dir=data_dir)
    try:
        wait_ready(server.url, process)
        yield CaseServer(server, case)
    finally:
        process.terminate()
        process.wait(timeout=60)


def _signed_in(browser: Browser, server: WebServer, username: str, path: str) -> None:
    """Open ``path`` at 1366×768 with ``username``'s token in the tab's session storage."""
    browser.send("Emulation.setDeviceMetricsOverride", {
        "width": 1366, "height": 768, "deviceScaleFactor": 1, "mobile": False}, session=True)
    token = server.token(username)
    browser.goto(f"{server.url}/login")
    browser.evaluate(f"sessionStorage.setItem('plateledger.token', {json.dumps(token)})")
    browser.goto(f"{server.url}{path}")


def _fill(browser: Browser, case: PlantedCase, kind: str) -> None:
    values = {"purpose": "stolen_vehicle", "offense_type": "240",
              "reason": "stolen white pickup seen with two cars",
              "case_number": "UC-2026-0042",
              "since": case.since.strftime("%Y-%m-%dT%H:%M:%S"),
              "until": case.until.strftime("%Y-%m-%dT%H:%M:%S")}
    browser.evaluate(
        "(() => { const f = document.getElementById('ws-form');"
        f" for (const [k, v] of Object.entries({json.dumps(values)})) f[k].value = v;"
        f" f.querySelector('input[name=kind][value={kind}]').checked = true; }})()"
    )


def _click_at(browser: Browser, x: float, y: float) -> None:
    for event in ("mouseMoved", "mousePressed", "mouseReleased"):
        params: dict[str, Any] = {"type": event, "x": x, "y": y}
        if event != "mouseMoved":
            params.update(button="left", clickCount=1)
        browser.send("Input.dispatchMouseEvent", params, session=True)


def _screen_point(browser: Browser, lat: float, lon: float) -> tuple[float, float]:
    """Where (lat, lon) is in the window: the map's own projection plus its position."""
    point = browser.evaluate(
        "(() => { const m = window.plateledgerWorkspace.map;"
        f" const p = m.latLngToContainerPoint([{lat}, {lon}]);"
        " const r = m.getContainer().getBoundingClientRect();"
        " return [r.left + p.x, r.top + p.y]; })()"
    )
    return float(point[0]), float(point[1])


def _key(browser: Browser, key: str) -> None:
    for kind in ("keyDown", "keyUp"):
        browser.send("Input.dispatchKeyEvent", {"type": kind, "key": key, "code": key,
                                                "windowsVirtualKeyCode": {"Enter": 13,
                                                                          "Escape": 27}[key]},
                     session=True)


def _click(browser: Browser, selector: str) -> None:
    browser.evaluate(f"document.querySelector({json.dumps(selector)}).click()")


def _wait_results(browser: Browser, kind: str) -> dict[str, Any]:
    state = browser.wait_for(
        "(() => { const s = window.plateledgerWorkspace.state();"
        f" return s && (s.kind === {json.dumps(kind)} && s.page || s.error) ? s : null; }})()"
    )
    assert "error" not in state, state.get("error")
    result: dict[str, Any] = state
    return result


def _column(browser: Browser, index: int) -> list[str]:
    values = browser.evaluate(
        "[...document.querySelectorAll('#ws-results tbody tr')]"
        f".map((tr) => tr.cells[{index}].textContent)"
    )
    return [str(v) for v in values]


def _row_button(browser: Browser, plate: str, cls: str) -> None:
    browser.evaluate(
        "[...document.querySelectorAll('#ws-results tbody tr')]"
        f".find((tr) => tr.textContent.includes({json.dumps(plate)}))"
        f".querySelector('button.{cls}').click()"
    )


def _settled(browser: Browser) -> None:
    """The page is at its top and the map has ended its zoom animation (a screenshot taken
    during one is scaled)."""
    browser.evaluate("window.scrollTo(0, 0)")
    browser.wait_for("!window.plateledgerWorkspace.map._animatingZoom"
                     " && !window.plateledgerWorkspace.map._panAnim?._inProgress")


def _ready(browser: Browser) -> None:
    browser.wait_for("document.getElementById('map').dataset.basemap === 'ready'"
                     " && document.getElementById('offense_type').options.length > 1")


def test_stakeout_convoy_timeline_and_read_detail(
    case_server: CaseServer, browser: Browser
) -> None:
    server, case = case_server.server, case_server.case
    _signed_in(browser, server, INVESTIGATOR, "/workspace")
    _ready(browser)
    _fill(browser, case, "stakeout")
    places = json.dumps([[p.lat, p.lon] for p in case.places])
    browser.evaluate(
        f"void window.plateledgerWorkspace.map.fitBounds({places}, {{padding: [60, 60]}})")
    browser.wait_for("!window.plateledgerWorkspace.map._animatingZoom")
    for place in case.places:
        _click(browser, "#draw-circle")
        x, y = _screen_point(browser, place.lat, place.lon)
        _click_at(browser, x, y)
        _click_at(browser, x + 25, y)  # the edge: 25 px east of the centre
    areas = browser.evaluate("window.plateledgerWorkspace.areas")
    assert [a["shape"] for a in areas] == ["circle"] * 3
    assert browser.evaluate(
        "[...document.querySelectorAll('#map .area-label')].map((t) => t.textContent)"
    ) == ["Area 1", "Area 2", "Area 3"]
    for area, place in zip(areas, case.places, strict=True):
        assert abs(area["lat"] - place.lat) < 0.001 and abs(area["lon"] - place.lon) < 0.001
        assert 20 < area["meters"] < 2000
    browser.evaluate("document.getElementById('min_areas').value = '3'")
    _click(browser, "#ws-run")
    _wait_results(browser, "stakeout")
    plates = _column(browser, 0)
    assert case.stolen in plates
    assert set(case.companions) <= set(plates)
    assert case.decoy not in plates  # it passed one place only
    row = plates.index(case.stolen)
    assert _column(browser, 1)[row] == "1, 2, 3"
    _settled(browser)
    assert browser.evaluate("document.querySelectorAll('#map .marker-cluster').length") >= 1
    # A read's marker opens its detail.
    plate = browser.evaluate(
        "(() => { const m = window.plateledgerWorkspace.clusters.getLayers()[0];"
        " m.fire('click'); return document.getElementById('read-detail').hidden ? null"
        " : document.getElementById('read-detail-title').textContent; })()")
    assert plate and plate.removeprefix("Read of ") in plates
    _settled(browser)
    browser.screenshot(SCREENS / "workspace-stakeout.png")

    _row_button(browser, case.stolen, "row-convoy")
    state = _wait_results(browser, "convoy")
    assert state["plate"] == case.stolen
    companions = _column(browser, 0)
    assert companions[:2] and set(companions[:2]) == set(case.companions)
    assert case.decoy not in companions  # with the car at one place only: below min_places
    assert _column(browser, 1)[:2] == ["3", "3"]
    _settled(browser)
    browser.screenshot(SCREENS / "workspace-convoy.png")

    _row_button(browser, case.companions[0], "row-timeline")
    _wait_results(browser, "timeline")
    _row_button(browser, case.companions[0], "row-convoy")  # and back, from a row
    _wait_results(browser, "convoy")
    assert case.stolen in _column(browser, 0)

    _row_button(browser, case.stolen, "row-timeline")
    state = _wait_results(browser, "timeline")
    stolen_reads = sorted(r.ts for r in case.reads if r.plate == case.stolen)
    times = _column(browser, 1)
    assert len(times) == len(stolen_reads)
    assert times == sorted(times)  # the list is in time order
    assert browser.evaluate("document.querySelectorAll('path.timeline-path').length") == 1
    path = state["page"]["path"]
    labels = browser.evaluate(
        "[...document.querySelectorAll('.stop-label')].map((t) => t.textContent)")
    assert len(labels) == len(path)
    assert all(label.startswith(f"{i} · {stop['camera_id']} · ")
               for i, (label, stop) in enumerate(zip(labels, path, strict=True), 1))
    assert {p.camera_id for p in case.places} | {case.home.camera_id} == {
        p["camera_id"] for p in path}
    _settled(browser)
    browser.screenshot(SCREENS / "workspace-timeline.png")

    last = len(times) - 1
    browser.evaluate(f"document.querySelectorAll('#ws-results tbody tr')[{last}]"
                     ".querySelector('button.row-detail').click()")
    browser.wait_for("!document.getElementById('read-detail').hidden")
    assert case.places[-1].camera_id in _text(browser, "#read-facts")
    assert "Union City PD" in _text(browser, "#read-facts")  # the owner, by name
    _click(browser, "#read-images")
    sources = browser.wait_for(
        "(() => { const i = [...document.querySelectorAll('#read-images-box img')];"
        " return i.length === 2 && i.every((x) => x.complete && x.naturalWidth > 0)"
        " ? i.map((x) => x.src.slice(0, 23)) : null; })()"
    )
    assert sources == ["data:image/jpeg;base64,"] * 2
    browser.evaluate("document.getElementById('read-detail').scrollIntoView()")
    browser.screenshot(SCREENS / "workspace-read-detail.png")
    href = browser.evaluate("document.getElementById('read-page').getAttribute('href')")

    # The read's own page: the search that finds it and its images, decided and logged.
    browser.goto(f"{server.url}{href}")
    browser.wait_for("document.body.dataset.loaded === 'yes'")
    assert "Read of " + case.stolen == _text(browser, "#read-title")
    assert browser.evaluate("document.querySelectorAll('#read-images-box img').length") == 2
    browser.screenshot(SCREENS / "workspace-read-page.png")

    # Every step was decided and logged: the searches by kind, and the four image views
    # (two from the detail, two from the read page) of the read that was opened.
    auditor = {"Authorization": f"Bearer {server.token('ucpd.auditor')}"}
    size = httpx.get(f"{server.url}/v1/audit/entries", params={"start": 0, "limit": 1},
                     timeout=30).json()["size"]
    page = httpx.get(f"{server.url}/v1/audit/entries", timeout=30, headers=auditor,
                     params={"start": 0, "limit": min(size, 100), "full": 1}).json()
    mine = [e["entry"] for e in page["entries"]
            if e.get("entry", {}).get("user") == INVESTIGATOR]
    kinds = [e["kind"] for e in mine if e["type"] == "search"]
    assert kinds == ["stakeout", "convoy", "timeline", "convoy", "timeline", "exact"], kinds
    assert all(e["offense_type"] == "240" and e["case_number"] == "UC-2026-0042"
               for e in mine if e["type"] == "search")
    read_id = href.split("/")[2].split("?")[0]
    views = [e["query"]["image"] for e in mine
             if e["type"] == "image_view" and e["query"]["read_id"] == read_id]
    assert sorted(views) == ["overview", "overview", "plate", "plate"]


def _text(browser: Browser, selector: str) -> str:
    return str(browser.evaluate(f"document.querySelector({json.dumps(selector)})?.textContent")
               or "")


def test_polygon_by_clicks_and_enter_and_an_area_typed_by_keyboard(
    case_server: CaseServer, browser: Browser
) -> None:
    server, case = case_server.server, case_server.case
    _signed_in(browser, server, INVESTIGATOR, "/workspace")
    _ready(browser)
    _fill(browser, case, "stakeout")
    home = case.places[1]
    browser.evaluate(
        f"void window.plateledgerWorkspace.map.setView([{home.lat}, {home.lon}], 16)")
    browser.wait_for("!window.plateledgerWorkspace.map._animatingZoom")
    # Escape cancels a polygon half drawn.
    _click(browser, "#draw-polygon")
    x, y = _screen_point(browser, home.lat, home.lon)
    _click_at(browser, x - 40, y - 40)
    _click_at(browser, x + 40, y - 40)
    _key(browser, "Escape")
    assert browser.evaluate("window.plateledgerWorkspace.areas.length") == 0
    assert "cancelled" in _text(browser, "#ws-status")
    # And a circle or a box half drawn.
    for tool in ("#draw-circle", "#draw-box"):
        _click(browser, tool)
        _click_at(browser, x, y)
        _key(browser, "Escape")
        _click_at(browser, x + 30, y + 30)
        assert browser.evaluate("window.plateledgerWorkspace.areas.length") == 0
    # Enter with two corners asks for a third; with three it finishes.
    _click(browser, "#draw-polygon")
    _click_at(browser, x - 40, y - 40)
    _click_at(browser, x + 40, y - 40)
    _key(browser, "Enter")
    assert "at least three corners" in _text(browser, "#ws-status")
    _click_at(browser, x, y + 50)
    _key(browser, "Enter")
    areas = browser.evaluate("window.plateledgerWorkspace.areas")
    assert len(areas) == 1 and areas[0]["shape"] == "polygon" and len(areas[0]["points"]) == 3
    # A circle typed instead of drawn, over the last place.
    last = case.places[2]
    browser.evaluate(
        "(() => { document.getElementById('area-shape').value = 'circle';"
        f" document.getElementById('area-coords').value = '{last.lat}, {last.lon}';"
        " document.getElementById('area-radius').value = '120';"
        " document.getElementById('add-area').click(); })()")
    # A box with its corners the wrong way round is refused with a clear error.
    browser.evaluate(
        "(() => { document.getElementById('area-shape').value = 'box';"
        " document.getElementById('area-coords').value = '38, -122, 37, -121';"
        " document.getElementById('add-area').click(); })()")
    assert "south below north" in _text(browser, "#ws-error")
    # An area can be removed from the list.
    browser.evaluate(
        "(() => { document.getElementById('area-shape').value = 'box';"
        " document.getElementById('area-coords').value = '37, -122.2, 37.1, -122.1';"
        " document.getElementById('add-area').click(); })()")
    assert browser.evaluate("window.plateledgerWorkspace.areas.length") == 3
    _click(browser, "#area-list li:nth-child(3) button")
    areas = browser.evaluate("window.plateledgerWorkspace.areas")
    assert [a["shape"] for a in areas] == ["polygon", "circle"]
    browser.evaluate("document.getElementById('min_areas').value = '2'")
    _click(browser, "#ws-run")
    _wait_results(browser, "stakeout")
    plates = _column(browser, 0)
    assert case.stolen in plates and set(case.companions) <= set(plates)
    _settled(browser)
    browser.screenshot(SCREENS / "workspace-polygon.png")


def test_a_search_without_a_reason_says_what_is_missing(
    case_server: CaseServer, browser: Browser
) -> None:
    server, case = case_server.server, case_server.case
    _signed_in(browser, server, INVESTIGATOR, "/workspace")
    _ready(browser)
    _fill(browser, case, "timeline")
    browser.evaluate(f"(() => {{ const f = document.getElementById('ws-form');"
                     f" f.plate.value = {json.dumps(case.stolen)}; f.reason.value = ''; }})()")
    _click(browser, "#ws-run")
    assert _text(browser, "#ws-error") == "Give the reason for this search."
    browser.evaluate("document.getElementById('ws-form').reason.value = 'x'")
    browser.evaluate("document.getElementById('ws-form').purpose.value = 'not_a_purpose_'")
    _click(browser, "#ws-run")
    assert _text(browser, "#ws-error") == "Choose a purpose."
    # The server's own refusal is shown in its words: a stakeout area spans at most 7 days.
    _fill(browser, case, "stakeout")
    browser.evaluate(
        "(() => { const f = document.getElementById('ws-form');"
        " f.since.value = '2026-01-01T00:00:00'; f.until.value = '2026-01-20T00:00:00';"
        " document.getElementById('area-shape').value = 'circle';"
        f" document.getElementById('area-coords').value = '{case.home.lat}, {case.home.lon}';"
        " document.getElementById('add-area').click(); f.requestSubmit(); })()")
    message = browser.wait_for("!document.getElementById('ws-error').hidden"
                               " && document.getElementById('ws-error').textContent")
    assert "at most 7 days" in message


def test_cameras_page_lists_and_maps_an_admins_cameras_only(
    case_server: CaseServer, browser: Browser
) -> None:
    server = case_server.server
    admin = server.token("ucpd.admin")
    own = httpx.get(f"{server.url}/v1/admin/cameras", timeout=30,
                    headers={"Authorization": f"Bearer {admin}"}).json()
    _signed_in(browser, server, "ucpd.admin", "/cameras")
    browser.wait_for("document.querySelectorAll('#camera-table tbody tr').length > 0")
    shown = browser.evaluate(
        "[...document.querySelectorAll('#camera-table tbody tr')].map((r) => r.dataset.camera)")
    assert sorted(shown) == sorted(c["camera_id"] for c in own)
    fixed = sum(1 for c in own if c["lat"] is not None)
    assert browser.evaluate(
        "document.querySelectorAll('#camera-map path.leaflet-interactive').length") == fixed
    first = next(c["camera_id"] for c in own if c["lat"] is not None)
    browser.evaluate(f"document.querySelector('tr[data-camera={json.dumps(first)}] button')"
                     ".click()")
    assert browser.evaluate("document.querySelector('tr.selected').dataset.camera") == first
    browser.screenshot(SCREENS / "workspace-cameras.png")

    browser.evaluate("sessionStorage.setItem('plateledger.token', "
                     f"{json.dumps(server.token(INVESTIGATOR))})")
    browser.goto(f"{server.url}/cameras?again")
    message = browser.wait_for("!document.getElementById('cam-error').hidden"
                               " && document.getElementById('cam-error').textContent")
    assert "Only your agency's administrators" in message
    assert browser.evaluate("document.querySelectorAll('#camera-table tbody tr').length") == 0


def test_the_operators_pmtiles_basemap_is_drawn_under_the_results(
    case_server: CaseServer, browser: Browser
) -> None:
    _signed_in(browser, case_server.server, INVESTIGATOR, "/workspace")
    _ready(browser)
    assert browser.evaluate("document.getElementById('map').dataset.pmtiles") == "drawn"
    legend = browser.evaluate("document.getElementById('basemap-legend').textContent")
    assert legend.startswith("Street map: the operator's PMTiles file.")
    assert "no road" not in legend
    # The file's land, read in byte ranges and painted by the vendored renderer (the
    # flavour's background, #cccccc, is painted first, with or without data).
    seen = browser.wait_for(
        "(() => { const seen = [];"
        " for (const c of document.querySelectorAll('#map canvas')) { if (!c.width) continue;"
        " const d = c.getContext('2d').getImageData(c.width >> 1, c.height >> 1, 1, 1).data;"
        " seen.push([d[0], d[1], d[2], d[3]]); }"
        f" return seen.some((p) => p[3] === 255 && Math.abs(p[0] - {EARTH[0]}) <= 2"
        f" && Math.abs(p[1] - {EARTH[1]}) <= 2 && Math.abs(p[2] - {EARTH[2]}) <= 2) ? seen"
        " : null; })()", timeout=30)
    assert seen


def test_a_read_page_opened_without_a_reason_asks_for_one(
    case_server: CaseServer, browser: Browser
) -> None:
    server, case = case_server.server, case_server.case
    read = next(r for r in case.reads if r.plate == case.companions[0])
    query = urlencode({"plate": read.plate, "ts": read.ts.isoformat()})
    _signed_in(browser, server, INVESTIGATOR, f"/reads/{read.read_id}?{query}")
    browser.wait_for("!document.getElementById('read-why').hidden"
                     " && document.getElementById('offense_type').options.length > 1")
    assert browser.evaluate("document.getElementById('read-body').hidden") is True
    browser.evaluate(
        "(() => { const f = document.getElementById('read-why');"
        " f.purpose.value = 'stolen_vehicle'; f.offense_type.value = '240';"
        " f.reason.value = 'the car seen with the stolen pickup'; f.requestSubmit(); })()")
    browser.wait_for("document.body.dataset.loaded === 'yes'")
    assert _text(browser, "#read-title") == f"Read of {read.plate}"
    assert read.camera_id in _text(browser, "#read-facts")
    assert browser.evaluate(
        "[...document.querySelectorAll('#read-images-box img')].map((i) => i.alt)") == [
        f"Plate crop of {read.plate} at {read.camera_id}",
        f"Overview of {read.plate} at {read.camera_id}"]
