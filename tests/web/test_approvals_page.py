"""Pattern-of-life searches in Chromium, against a real server whose agency (Union City PD)
has every such search approved by a supervisor: the investigator's locate form answers
with a pending request; a supervisor approves it on the approvals page from the keyboard,
with a reason; the investigator sees it approved and runs it once from the map workspace,
which draws the places and the by-hour and by-weekday charts of the plate's reads. As an
attacker: a supervisor's approval of their own request is refused and the page says so;
an investigator decides nothing and sees nobody else's request; an auditor, another
agency's supervisor and a visitor without a token get no request at all.
Screenshots go to docs/screens/."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from plateledger.audit import AuditLog
from plateledger.catalog import open_catalog
from plateledger.catalog.approvals import search_approvals
from plateledger.demo import DEMO_PASSWORD, seed_catalog
from plateledger.settings import Settings
from plateledger.sim import City, default_plan
from plateledger.store import ReadStore
from tests.factories import make_read
from tests.web.harness import SERVER, Browser, WebServer, free_port, wait_ready

SCREENS = Path(__file__).resolve().parents[2] / "docs" / "screens"
PLATE = "7LOC123"
INVESTIGATOR = "ucpd.investigator"
SUPERVISOR = "ucpd.supervisor"
BASIS = {"kind": "warrant", "number": "UC-W-2026-0311", "court": "Alameda County Superior Court"}
WHY = "warrant names the registered owner; where the car is kept overnight"
DECISION = "warrant checked against the court's docket; scope matches"


@dataclass
class LocateServer:
    server: WebServer
    reads: list[datetime]  # the plate's read times
    cameras: dict[str, int]  # camera id → the plate's reads there
    now: datetime


@pytest.fixture(scope="module")
def locate_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocateServer]:
    data_dir = tmp_path_factory.mktemp("locate")
    settings = Settings(data_dir=data_dir, require_totp=False)
    catalog = open_catalog(settings)
    try:
        accounts = seed_catalog(catalog, City(default_plan(vehicles=300)).plan)
        ucpd = accounts.agency_ids["ucpd"]
        fixed = [c for c in catalog.cameras(owner_id=ucpd) if c.lat is not None]
    finally:
        catalog.engine.dispose()
    now = datetime.now(UTC).replace(microsecond=0)
    # Mornings at one camera, evenings at another, over the last days.
    planned = [(fixed[0], d, 8) for d in range(1, 6)] + [(fixed[1], d, 19) for d in (2, 4, 5)]
    reads = []
    for camera, days, hour in planned:
        ts = (now - timedelta(days=days)).replace(hour=hour, minute=20, second=0)
        reads.append(
            make_read(
                PLATE,
                camera=camera.camera_id,
                owner=ucpd,
                minutes_ago=(now - ts).total_seconds() / 60,
                now=now,
                lat=camera.lat,
                lon=camera.lon,
            )
        )
    store = ReadStore.open(data_dir=settings.store_dir, partitioning=settings.partitioning)
    try:
        store.insert_reads(reads)
    finally:
        store.close()
    port = free_port()
    env = {**os.environ, "PLATELEDGER_REQUIRE_TOTP": "false"}
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
        rules = httpx.put(
            f"{server.url}/v1/admin/search-rules",
            timeout=30,
            headers=_auth(server, "ucpd.admin"),
            json={"case_number_pattern": None, "locate_approval_required": True},
        )
        assert rules.status_code == 200, rules.text
        cameras: dict[str, int] = {}
        for camera, _, _ in planned:
            cameras[camera.camera_id] = cameras.get(camera.camera_id, 0) + 1
        yield LocateServer(server, [r.ts for r in reads], cameras, now)
    finally:
        process.terminate()
        process.wait(timeout=60)


def _auth(server: WebServer, username: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {server.token(username)}"}


def _as(browser: Browser, server: WebServer, username: str | None, path: str) -> None:
    browser.send(
        "Emulation.setDeviceMetricsOverride",
        {"width": 1366, "height": 768, "deviceScaleFactor": 1, "mobile": False},
        session=True,
    )
    browser.goto(f"{server.url}/login")
    if username is None:
        browser.evaluate("sessionStorage.clear()")
    else:
        token = server.token(username)
        browser.evaluate(f"sessionStorage.setItem('plateledger.token', {json.dumps(token)})")
    browser.goto(f"{server.url}{path}")


def _key(browser: Browser, key: str) -> None:
    codes = {"Tab": 9, "Enter": 13}
    down: dict[str, Any] = {
        "type": "keyDown",
        "key": key,
        "code": key,
        "windowsVirtualKeyCode": codes[key],
    }
    if key == "Enter":
        down["text"] = "\r"
    browser.send("Input.dispatchKeyEvent", down, session=True)
    browser.send(
        "Input.dispatchKeyEvent",
        {"type": "keyUp", "key": key, "code": key, "windowsVirtualKeyCode": codes[key]},
        session=True,
    )


def _locate_form(browser: Browser, window: tuple[datetime, datetime], *,
                 kind: str = "locate") -> None:
    browser.wait_for("document.getElementById('offense_type').options.length > 1")
    browser.evaluate(f"document.querySelector('input[name=kind][value={kind}]').click()")
    assert browser.evaluate("document.getElementById('legal-basis').hidden") is False
    values = {
        "plate": PLATE,
        "basis_kind": BASIS["kind"],
        "basis_number": BASIS["number"],
        "basis_court": BASIS["court"],
        "purpose": "warrant",
        "offense_type": "120",
        "case_number": "UC-2026-0311",
        "reason": WHY,
        "since": window[0].strftime("%Y-%m-%dT%H:%M:%S"),
        "until": window[1].strftime("%Y-%m-%dT%H:%M:%S"),
    }
    browser.evaluate(
        "(() => { const f = document.getElementById('ws-form');"
        f" for (const [k, v] of Object.entries({json.dumps(values)})) f[k].value = v; }})()"
    )


def _approval(server: WebServer, username: str, approval_id: str) -> dict[str, Any]:
    response = httpx.get(
        f"{server.url}/v1/approvals/{approval_id}", timeout=30, headers=_auth(server, username)
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def _pending_row(approval_id: str) -> str:
    return f"document.querySelector('#pending-table tr[data-approval=\"{approval_id}\"]')"


def test_locate_waits_is_approved_by_keyboard_and_runs_once_with_its_charts(
    locate_server: LocateServer, browser: Browser
) -> None:
    server, now = locate_server.server, locate_server.now
    window = (now - timedelta(days=7), now)
    _as(browser, server, INVESTIGATOR, "/workspace")
    # The basis is asked for before anything is sent.
    browser.wait_for("document.getElementById('offense_type').options.length > 1")
    browser.evaluate("document.querySelector('input[name=kind][value=locate]').click()")
    browser.evaluate("document.getElementById('plate').value = '" + PLATE + "'")
    browser.evaluate("document.getElementById('ws-run').click()")
    assert "warrant or court-order number" in browser.wait_for(
        "!document.getElementById('ws-error').hidden"
        " && document.getElementById('ws-error').textContent"
    )
    browser.evaluate("document.getElementById('basis_number').value = 'W-1'")
    browser.evaluate("document.getElementById('ws-run').click()")
    assert browser.evaluate("document.getElementById('ws-error').textContent") == (
        "Give the issuing court."
    )
    assert browser.evaluate("window.plateledgerWorkspace.state()") is None

    _locate_form(browser, window)
    browser.evaluate("document.getElementById('ws-run').click()")
    state = browser.wait_for(
        "window.plateledgerWorkspace.state()?.approval"
        " || window.plateledgerWorkspace.state()?.error"
    )
    assert isinstance(state, dict) and state["status"] == "pending", state
    approval_id = state["id"]
    text = browser.evaluate("document.getElementById('approval-text').textContent")
    assert "waits for a supervisor's approval" in text and approval_id in text
    assert "agency `ucpd`" in browser.evaluate(
        "document.getElementById('approval-because').textContent"
    )
    # Nothing about the reads: no places, no charts.
    assert browser.evaluate("document.getElementById('locate-pattern').hidden") is True
    assert browser.evaluate("document.querySelectorAll('path.locate-place').length") == 0
    browser.screenshot(SCREENS / "workspace-locate-pending.png")

    # The supervisor's page lists it with its requester, basis, court and case.
    _as(browser, server, SUPERVISOR, "/approvals")
    row = _pending_row(approval_id)
    browser.wait_for(row)
    cells = browser.evaluate(f"[...{row}.cells].map((c) => c.textContent)")
    assert cells[1] == INVESTIGATOR and cells[2] == PLATE
    assert cells[3].startswith("Pattern of life (locate)") and "expires" in cells[0]
    # what is approved: the window the request asked for, from its audit entry
    assert " to " in cells[3] and "not recorded" not in cells[3]
    assert "offense 120" in cells[6] and "agency `ucpd`" in cells[7]
    assert cells[4] == f"Warrant {BASIS['number']}" and cells[5] == BASIS["court"]
    assert cells[6].startswith("UC-2026-0311") and WHY in cells[7]
    browser.screenshot(SCREENS / "approvals.png")
    # A decision needs its reason; then, from the keyboard: type it, Tab to Approve, Enter.
    browser.evaluate(f"{row}.querySelector('button.approve').click()")
    said = browser.wait_for(
        f"!{row}.querySelector('.row-error').hidden"
        f" && {row}.querySelector('.row-error').textContent"
    )
    assert "Give the reason for approving" in said
    assert browser.evaluate("document.activeElement.tagName") == "TEXTAREA"
    browser.send("Input.insertText", {"text": DECISION}, session=True)
    _key(browser, "Tab")
    assert browser.evaluate("document.activeElement.textContent") == "Approve"
    _key(browser, "Enter")
    decided = browser.wait_for(
        f"{row}.dataset.status === 'approved' && {row}.querySelector('.decision').textContent"
    )
    assert f"Approved by {SUPERVISOR}" in decided
    stored = _approval(server, INVESTIGATOR, approval_id)
    assert (stored["status"], stored["decided_by"], stored["note"]) == (
        "approved",
        SUPERVISOR,
        DECISION,
    )

    # The requester sees it approved, and opens it in the workspace.
    _as(browser, server, INVESTIGATOR, "/approvals")
    mine = f"document.querySelector('#mine-table tr[data-approval=\"{approval_id}\"]')"
    browser.wait_for(mine)
    assert browser.evaluate(f"{mine}.dataset.status") == "approved"
    assert "Approved" in browser.evaluate(f"{mine}.textContent")
    assert browser.evaluate("document.getElementById('to-decide').hidden") is True
    href = browser.evaluate(f"{mine}.querySelector('a.run-approved').href")
    browser.goto(href)
    browser.wait_for(
        "document.getElementById('locate-approval').dataset.status === 'approved'"
        " && document.getElementById('basis_number').value"
    )
    assert browser.evaluate("document.getElementById('plate').value") == PLATE
    assert browser.evaluate("document.getElementById('basis_court').value") == BASIS["court"]
    filled = browser.evaluate(
        "['purpose', 'offense_type', 'case_number', 'reason']"
        ".map((n) => document.getElementById(n).value)"
    )
    assert filled == ["warrant", "120", "UC-2026-0311", WHY]
    browser.evaluate(
        "(() => { const f = document.getElementById('ws-form');"
        f" f.since.value = {json.dumps(window[0].strftime('%Y-%m-%dT%H:%M:%S'))};"
        f" f.until.value = {json.dumps(window[1].strftime('%Y-%m-%dT%H:%M:%S'))}; }})()"
    )
    browser.evaluate("document.getElementById('approval-run').click()")
    state = browser.wait_for(
        "(() => { const s = window.plateledgerWorkspace.state();"
        " return s && (s.kind === 'locate' && s.page || s.error) ? s : null; })()"
    )
    assert "error" not in state, state
    reads = locate_server.reads
    by_hour = [sum(1 for t in reads if t.hour == h) for h in range(24)]
    by_weekday = [sum(1 for t in reads if t.weekday() == d) for d in range(7)]
    assert state["page"]["total"] == len(reads)
    counts = "[...document.querySelectorAll('#by-hour .bars li')].map((li) => +li.dataset.count)"
    assert browser.evaluate(counts) == by_hour
    assert browser.evaluate(counts.replace("by-hour", "by-weekday")) == by_weekday
    # Each bar says its count in words, and the tallest is the tallest drawn.
    words = browser.evaluate(
        "[...document.querySelectorAll('#by-hour .bars li .sr')].map((s) => s.textContent)"
    )
    assert words[8] == f"08:00 to 08:59 UTC: {by_hour[8]} reads"
    heights = browser.evaluate(
        "[...document.querySelectorAll('#by-hour .bar')].map((b) => b.offsetHeight)"
    )
    assert heights.index(max(heights)) == by_hour.index(max(by_hour))
    # The places on the map, and in the table.
    assert browser.evaluate("document.querySelectorAll('path.locate-place').length") == len(
        locate_server.cameras
    )
    rows = browser.evaluate(
        "[...document.querySelectorAll('#ws-results tbody tr')]"
        ".map((tr) => [tr.cells[0].textContent, +tr.cells[2].textContent])"
    )
    assert dict(rows) == locate_server.cameras
    # One circle per camera, larger for more reads, labelled with the camera and its count.
    circles = browser.evaluate(
        "Object.values(window.plateledgerWorkspace.map._layers)"
        ".filter((l) => l.options?.className === 'locate-place')"
        ".map((l) => [l.getTooltip().getContent().textContent, l.getRadius()])"
    )
    radius = {text.split(":")[0]: r for text, r in circles}
    (most, _), (fewest, _) = sorted(locate_server.cameras.items(), key=lambda c: -c[1])
    assert radius[most] > radius[fewest]
    labels = browser.evaluate(
        "[...document.querySelectorAll('.place-label')].map((l) => l.textContent)"
    )
    assert sorted(labels) == sorted(f"{c} · {n}" for c, n in locate_server.cameras.items())
    browser.wait_for("document.getElementById('locate-approval').dataset.status === 'used'")
    assert browser.evaluate("document.getElementById('approval-run').hidden") is True
    browser.wait_for("!window.plateledgerWorkspace.map._animatingZoom")
    browser.evaluate("document.getElementById('locate-pattern').scrollIntoView({block: 'end'})")
    browser.screenshot(SCREENS / "workspace-locate.png")

    # Once: the same approval again is refused by the server.
    again = httpx.post(
        f"{server.url}/v1/searches",
        timeout=60,
        headers=_auth(server, INVESTIGATOR),
        json={
            "kind": "locate",
            "params": {"plate": PLATE},
            "purpose": "warrant",
            "offense_type": "120",
            "case_number": "UC-2026-0311",
            "reason": WHY,
            "legal_basis": BASIS,
            "approval_id": approval_id,
        },
    )
    assert again.status_code == 409 and again.json()["error"]["code"] == "approval_used"


def _request(server: WebServer, username: str, plate: str) -> str:
    response = httpx.post(
        f"{server.url}/v1/searches",
        timeout=60,
        headers=_auth(server, username),
        json={
            "kind": "locate",
            "params": {"plate": plate},
            "purpose": "warrant",
            "offense_type": "120",
            "case_number": "UC-2026-0312",
            "reason": WHY,
            "legal_basis": BASIS,
        },
    )
    assert response.status_code == 202, response.text
    return str(response.json()["id"])


def test_as_an_attacker_no_one_decides_their_own_or_reads_anothers_request(
    locate_server: LocateServer, browser: Browser
) -> None:
    server = locate_server.server
    own = _request(server, SUPERVISOR, "8OWN777")
    theirs = _request(server, INVESTIGATOR, "9REF555")

    # A supervisor's own request: the page lets them try; the server refuses, and says why.
    _as(browser, server, SUPERVISOR, "/approvals")
    row = _pending_row(own)
    browser.wait_for(row)
    assert "another supervisor decides" in browser.evaluate(f"{row}.cells[1].textContent")
    browser.evaluate(f"{row}.querySelector('textarea').value = 'approving my own'")
    browser.evaluate(f"{row}.querySelector('button.approve').click()")
    said = browser.wait_for(
        f"!{row}.querySelector('.row-error').hidden"
        f" && {row}.querySelector('.row-error').textContent"
    )
    assert said.startswith("The decision was not recorded")
    assert "cannot approve or refuse their own request" in said
    assert _approval(server, SUPERVISOR, own)["status"] == "pending"
    # The other request is refused, with its reason.
    other = _pending_row(theirs)
    browser.evaluate(f"{other}.querySelector('textarea').value = 'no nexus to the offense'")
    browser.evaluate(f"{other}.querySelector('button.refuse').click()")
    browser.wait_for(f"{other}.dataset.status === 'refused'")

    # The investigator decides nothing and sees only their own requests.
    _as(browser, server, INVESTIGATOR, "/approvals")
    browser.wait_for("document.body.dataset.loaded === 'true'")
    assert browser.evaluate("document.getElementById('to-decide').hidden") is True
    assert browser.evaluate("document.getElementById('not-supervisor').hidden") is False
    listed = browser.evaluate(
        "[...document.querySelectorAll('tr[data-approval]')].map((tr) => tr.dataset.approval)"
    )
    assert theirs in listed and own not in listed
    refused = f"document.querySelector('#mine-table tr[data-approval=\"{theirs}\"]')"
    assert browser.evaluate(f"{refused}.dataset.status") == "refused"
    assert "no nexus to the offense" in browser.evaluate(f"{refused}.textContent")
    assert browser.evaluate(f"{refused}.querySelector('a.run-approved')") is None
    forced = httpx.post(
        f"{server.url}/v1/approvals/{own}/approve",
        timeout=30,
        headers=_auth(server, INVESTIGATOR),
        json={"note": "forced"},
    )
    assert forced.status_code == 403 and forced.json()["error"]["code"] == "not_a_supervisor"

    # Roles and agencies that may see none: the auditor is told why; another agency's
    # supervisor sees none of Union City's; a visitor without a token gets the shell only.
    _as(browser, server, "ucpd.auditor", "/approvals")
    said = browser.wait_for(
        "!document.getElementById('approvals-error').hidden"
        " && document.getElementById('approvals-error').textContent"
    )
    assert "could not be loaded" in said and "pattern-of-life" in said
    assert browser.evaluate("document.querySelectorAll('tr[data-approval]').length") == 0
    _as(browser, server, "fpd.supervisor", "/approvals")
    browser.wait_for("document.body.dataset.loaded === 'true'")
    assert browser.evaluate("document.querySelectorAll('tr[data-approval]').length") == 0
    shell = httpx.get(f"{server.url}/approvals", timeout=30).text
    assert own not in shell and theirs not in shell and "8OWN777" not in shell
    _as(browser, server, None, "/approvals")
    assert browser.evaluate("document.getElementById('approvals-status').textContent").startswith(
        "Sign in"
    )
    assert browser.evaluate("document.querySelectorAll('tr[data-approval]').length") == 0


def test_check_the_status_follows_a_request_from_the_workspace(
    locate_server: LocateServer, browser: Browser
) -> None:
    server, now = locate_server.server, locate_server.now
    _as(browser, server, INVESTIGATOR, "/workspace")
    _locate_form(browser, (now - timedelta(days=2), now))
    browser.evaluate("document.getElementById('plate').value = '6NONE00'")
    browser.evaluate("document.getElementById('ws-run').click()")
    state = browser.wait_for("window.plateledgerWorkspace.state()?.approval")
    assert browser.evaluate("document.getElementById('approval-run').hidden") is True
    decided = httpx.post(
        f"{server.url}/v1/approvals/{state['id']}/approve",
        timeout=30,
        headers=_auth(server, SUPERVISOR),
        json={"note": "checked"},
    )
    assert decided.status_code == 200, decided.text
    assert browser.evaluate("document.getElementById('locate-approval').dataset.status") == (
        "pending"
    )
    browser.evaluate("document.getElementById('approval-check').click()")
    browser.wait_for("document.getElementById('locate-approval').dataset.status === 'approved'")
    assert "Decided by ucpd.supervisor: checked" in browser.evaluate(
        "document.getElementById('approval-text').textContent"
    )
    browser.evaluate("document.getElementById('approval-run').click()")
    result = browser.wait_for(
        "(() => { const s = window.plateledgerWorkspace.state();"
        " return s && (s.kind === 'locate' && s.page || s.error) ? s : null; })()"
    )
    assert "error" not in result and result["page"]["total"] == 0
    assert (
        browser.evaluate(
            "[...document.querySelectorAll('#by-weekday .bars li')].map((li) => +li.dataset.count)"
        )
        == [0] * 7
    )


def test_an_expired_request_reads_as_expired_and_cannot_be_run(
    locate_server: LocateServer, browser: Browser
) -> None:
    server = locate_server.server
    expired = _request(server, INVESTIGATOR, "5EXP404")
    catalog = open_catalog(Settings(data_dir=server.data_dir, require_totp=False))
    try:
        with catalog.engine.begin() as conn:
            conn.execute(
                update(search_approvals)
                .where(search_approvals.c.id == expired)
                .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
            )
    finally:
        catalog.close()
    _as(browser, server, INVESTIGATOR, "/approvals")
    row = f"document.querySelector('#mine-table tr[data-approval=\"{expired}\"]')"
    browser.wait_for(row)
    assert browser.evaluate(f"{row}.dataset.status") == "expired"
    assert browser.evaluate(f"{row}.cells[4].textContent") == "Expired"
    assert browser.evaluate(f"{row}.querySelector('a.run-approved')") is None
    _as(browser, server, INVESTIGATOR, f"/workspace?approval={expired}")
    browser.wait_for("document.getElementById('locate-approval').dataset.status === 'expired'")
    assert "expired before it ran" in browser.evaluate(
        "document.getElementById('approval-text').textContent"
    )
    assert browser.evaluate("document.getElementById('approval-run').hidden") is True


def test_a_timeline_names_its_warrant_from_the_workspace_and_the_log_records_it(
    locate_server: LocateServer, browser: Browser
) -> None:
    """A timeline for a warrant names it where the data's law asks (Minnesota's: Minn.
    Stat. 13.824 subd. 2): the legal-basis fields are offered for a timeline, optional,
    and what is filled in is sent and recorded in the search's audit entry."""
    server, now = locate_server.server, locate_server.now
    _as(browser, server, INVESTIGATOR, "/workspace")
    browser.wait_for("document.getElementById('offense_type').options.length > 1")
    browser.evaluate("document.querySelector('input[name=kind][value=timeline]').click()")
    assert browser.evaluate("document.getElementById('legal-basis').hidden") is False
    _locate_form(browser, (now - timedelta(days=7), now), kind="timeline")
    browser.evaluate("document.getElementById('ws-run').click()")
    state = browser.wait_for(
        "(() => { const s = window.plateledgerWorkspace.state();"
        " return s && (s.kind === 'timeline' && s.page || s.error) ? s : null; })()"
    )
    assert "error" not in state, state
    catalog = open_catalog(Settings(data_dir=server.data_dir, require_totp=False))
    try:
        entry = AuditLog(catalog.engine, signer=None).entry(state["page"]["audit_index"]).entry
    finally:
        catalog.close()
    assert entry["kind"] == "timeline" and entry["query"]["legal_basis"] == BASIS
