"""The alerts page in Chromium: a hit arrives over the live stream while the page is open,
and the officer dispositions it from the keyboard; the disposition is then in the API
and in the audit log."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from plateledger.catalog import open_catalog
from plateledger.recognize.synthetic import synthetic_frames
from plateledger.settings import Settings
from tests.web.harness import Browser, WebServer

SCREENS = Path(__file__).parents[2] / "docs" / "screens"
SUPERVISOR = "ucpd.supervisor"
PLATE = "7ALRT42"
EARLIER = "5QZW318"
NOTE = "plate and state checked by eye; vehicle parked, unit 12 notified"


def _camera_key(server: WebServer) -> tuple[str, str]:
    """A key and a fixed camera of Union City PD, the agency whose list is hit."""
    catalog = open_catalog(Settings(data_dir=server.data_dir, require_totp=False))
    try:
        agency = catalog.agency_by_slug("ucpd")
        assert agency is not None
        camera = next(c for c in catalog.cameras(agency.id) if c.lat is not None)
        return catalog.issue_api_key(agency.id, label="alerts page test"), camera.camera_id
    finally:
        catalog.close()


def _hot_list(server: WebServer, bearer: str, plate: str, case: str) -> None:
    response = httpx.post(
        f"{server.url}/v1/hotlists", headers={"Authorization": f"Bearer {bearer}"}, timeout=60,
        json={"name": "stolen vehicles (alerts page)", "category": "stolen_vehicle",
              "replace": False,
              "entries": [{"plate": plate, "region": "CA", "reason": "stolen grey sedan",
                           "case_number": case, "priority": 7}]},
    )
    assert response.status_code == 201, response.text


def _sign_in(browser: Browser, server: WebServer, username: str) -> None:
    bearer = server.token(username)
    browser.goto(f"{server.url}/login")
    browser.evaluate(
        "sessionStorage.setItem('plateledger.token', " + json.dumps(bearer) + ");"
        " sessionStorage.setItem('plateledger.expires_at', '')"
    )


def _post_read(server: WebServer, key: str, camera: str, plate: str) -> None:
    response = httpx.post(
        f"{server.url}/v1/reads", headers={"X-API-Key": key}, timeout=60,
        json=[{"camera_id": camera, "ts": datetime.now(UTC).isoformat(), "plate": plate,
               "region": "CA", "confidence": 0.93}],
    )
    assert response.status_code == 200, response.text
    assert len(response.json()["accepted"]) == 1, response.text


def _audit_entries(server: WebServer, bearer: str, start: int) -> list[dict[str, Any]]:
    response = httpx.get(
        f"{server.url}/v1/audit/entries", timeout=60,
        params={"start": start, "limit": 1000, "full": "true"},
        headers={"Authorization": f"Bearer {bearer}"},
    )
    assert response.status_code == 200, response.text
    return [item["entry"] for item in response.json()["entries"] if "entry" in item]


def _size(server: WebServer) -> int:
    checkpoint = httpx.get(f"{server.url}/v1/audit/checkpoint", timeout=30).text
    return int(checkpoint.split("\n")[1])


def test_a_hit_arrives_live_and_is_dispositioned_from_the_keyboard(
    web_server: WebServer, browser: Browser
) -> None:
    supervisor = web_server.token(SUPERVISOR)
    _hot_list(web_server, supervisor, PLATE, "UC-2026-4242")
    _hot_list(web_server, supervisor, EARLIER, "UC-2026-4241")
    key, camera = _camera_key(web_server)
    _post_read(web_server, key, camera, EARLIER)  # before the page opens
    browser.send("Emulation.setDeviceMetricsOverride", {
        "width": 1366, "height": 768, "deviceScaleFactor": 1, "mobile": False}, session=True)
    _sign_in(browser, web_server, SUPERVISOR)
    browser.goto(f"{web_server.url}/alerts")
    browser.wait_for("document.body.dataset.stream === 'live'")
    # What came while the page was closed is read from GET /v1/hits when the stream opens.
    earlier = f"document.querySelector('.alert-card[data-plate=\"{EARLIER}\"]')"
    assert browser.evaluate(f"{earlier} !== null")
    before = browser.evaluate("document.querySelectorAll('.alert-card').length")

    _post_read(web_server, key, camera, PLATE)  # the page is not reloaded
    card = "document.querySelector('.alert-card')"
    browser.wait_for(f"{card} && {card}.querySelector('h3 .plate').textContent === '{PLATE}'")
    assert browser.evaluate("document.querySelectorAll('.alert-card').length") == before + 1
    # j and k move between the alerts, newest first.
    browser.evaluate("document.activeElement.blur()")
    focused = "document.activeElement.dataset.plate"
    for key_name, plate in (("j", PLATE), ("j", EARLIER), ("k", PLATE)):
        browser.send("Input.dispatchKeyEvent", {"type": "keyDown", "key": key_name,
                                                "text": key_name}, session=True)
        assert browser.evaluate(focused) == plate
    text = str(browser.evaluate(f"{card}.textContent"))
    assert "stolen vehicles (alerts page)" in text and camera in text
    assert "UC-2026-4242" in text and "stolen grey sedan" in text
    hit_id = str(browser.evaluate(f"{card}.dataset.hit"))

    # An action on a hit nobody confirmed is refused, and the card says why.
    browser.evaluate(f"{card}.querySelector('select').value = 'arrest'")
    browser.evaluate(f"{card}.focus()")
    browser.send("Input.dispatchKeyEvent", {"type": "keyDown", "key": "m", "text": "m"},
                 session=True)
    error = browser.wait_for(f"!{card}.querySelector('.card-error').hidden"
                             f" && {card}.querySelector('.card-error').textContent")
    assert "not recorded" in error and "needs a confirmed hit" in error

    # The note is typed, then `c` confirms from the card.
    browser.evaluate(f"{card}.querySelector('select').value = 'none'")
    browser.evaluate(f"{card}.focus()")
    browser.send("Input.dispatchKeyEvent", {"type": "keyDown", "key": "e", "text": "e"},
                 session=True)
    assert browser.evaluate("document.activeElement.tagName") == "TEXTAREA"
    browser.send("Input.insertText", {"text": NOTE}, session=True)
    browser.send("Input.dispatchKeyEvent", {"type": "keyDown", "key": "Escape"}, session=True)
    assert browser.evaluate("document.activeElement.classList.contains('alert-card')")
    size = _size(web_server)
    browser.send("Input.dispatchKeyEvent", {"type": "keyDown", "key": "c", "text": "c"},
                 session=True)
    browser.wait_for(f"!document.querySelector('[data-hit=\"{hit_id}\"].alert-card')")
    row = browser.wait_for(
        f"document.querySelector('#history tr[data-hit=\"{hit_id}\"]')?.textContent")
    assert "Confirmed" in row and NOTE in row
    # Focus went to the next alert; `n` records it as not actioned.
    assert browser.evaluate(focused) == EARLIER
    browser.send("Input.dispatchKeyEvent", {"type": "keyDown", "key": "n", "text": "n"},
                 session=True)
    browser.wait_for(f"{earlier} === null")
    earlier_row = f"document.querySelector('#history tr[data-hit]:not([data-hit=\"{hit_id}\"])')"
    assert "Not actioned" in str(browser.wait_for(f"{earlier_row}?.textContent"))

    # The filters: confirmed hits of one plate.
    browser.evaluate(
        "(() => { const f = document.getElementById('history-form');"
        f" f.status.value = 'confirmed'; f.plate.value = '{PLATE}'; f.requestSubmit(); }})()")
    browser.wait_for("document.getElementById('history-status').textContent.includes('1 hit')")
    assert browser.evaluate(
        "[...document.querySelectorAll('#history tbody tr')].map((r) => r.dataset.hit)"
    ) == [hit_id]

    hit = httpx.get(f"{web_server.url}/v1/hits/{hit_id}", timeout=30,
                    headers={"Authorization": f"Bearer {supervisor}"}).json()
    assert (hit["disposition"], hit["action"], hit["disposed_by"], hit["disposition_note"]) == (
        "confirmed", "none", SUPERVISOR, NOTE)
    listed = httpx.get(f"{web_server.url}/v1/hits", timeout=30,
                       headers={"Authorization": f"Bearer {supervisor}"}).json()
    assert [h["disposition"] for h in listed if h["hit_id"] == hit_id] == ["confirmed"]
    entries = _audit_entries(web_server, web_server.token("ucpd.auditor"), size)
    [logged] = [e for e in entries if e.get("type") == "hit_disposition"
                and e.get("object_id") == hit_id]
    assert logged["user"] == SUPERVISOR and logged["before"] is None
    assert logged["after"] == {"disposition": "confirmed", "action": "none", "note": NOTE}


def test_history_filters_and_a_role_that_may_not_receive_alerts_is_told(
    web_server: WebServer, browser: Browser
) -> None:
    _sign_in(browser, web_server, "ucpd.auditor")
    browser.goto(f"{web_server.url}/alerts")
    message = browser.wait_for(
        "!document.getElementById('alerts-error').hidden"
        " && document.getElementById('alerts-error').textContent")
    assert "may not receive alerts" in message
    assert "needs the dispatcher, investigator or supervisor role" in message
    assert browser.evaluate("document.body.dataset.stream") == "off"
    # A start after the end is named, not sent.
    browser.evaluate(
        "(() => { const f = document.getElementById('history-form');"
        " f.since.value = '2026-05-02T10:00'; f.until.value = '2026-05-01T10:00';"
        " f.requestSubmit(); })()")
    text = browser.wait_for("!document.getElementById('history-error').hidden"
                            " && document.getElementById('history-error').textContent")
    assert "a start before the end" in text


def _post_photo(server: WebServer, key: str, camera: str, jpeg: bytes, ts: str) -> str:
    """A camera's photo through POST /v1/images: the plate the server read (with its crop)."""
    response = httpx.post(
        f"{server.url}/v1/images", headers={"X-API-Key": key}, timeout=300,
        files={"image": ("frame.jpg", jpeg, "image/jpeg")},
        data={"camera_id": camera, "ts": ts},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["accepted"], body
    best = max(body["recognitions"], key=lambda r: r["confidence"])
    return str(best["plate"])


def test_the_plate_crop_of_an_alert_opens_through_the_image_view_route_and_is_logged(
    web_server: WebServer, browser: Browser
) -> None:
    supervisor = web_server.token(SUPERVISOR)
    key, camera = _camera_key(web_server)
    jpeg = next(iter(synthetic_frames(1, 9001))).jpeg(quality=95)
    # The plate as the server reads it, so that the list holds exactly that plate.
    earlier = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    plate = _post_photo(web_server, key, camera, jpeg, earlier)
    _hot_list(web_server, supervisor, plate, "UC-2026-5151")
    browser.send("Emulation.setDeviceMetricsOverride", {
        "width": 1366, "height": 768, "deviceScaleFactor": 1, "mobile": False}, session=True)
    _sign_in(browser, web_server, SUPERVISOR)
    browser.goto(f"{web_server.url}/alerts")
    browser.wait_for("document.body.dataset.stream === 'live'")

    _post_photo(web_server, key, camera, jpeg, datetime.now(UTC).isoformat())
    card = f"document.querySelector('.alert-card[data-plate=\"{plate}\"]')"
    browser.wait_for(card)
    browser.evaluate(f"{card}.focus()")
    size = _size(web_server)
    browser.send("Input.dispatchKeyEvent", {"type": "keyDown", "key": "v", "text": "v"},
                 session=True)
    source = browser.wait_for(f"{card}.querySelector('.crop img')?.src")
    assert source.startswith("data:image/jpeg;base64,")
    assert browser.evaluate(f"{card}.querySelector('.crop img').naturalWidth") > 0
    SCREENS.mkdir(parents=True, exist_ok=True)
    browser.screenshot(SCREENS / "alerts.png")
    entries = _audit_entries(web_server, web_server.token("ucpd.auditor"), size)
    [viewed] = [e for e in entries if e.get("type") == "image_view"]
    assert viewed["user"] == SUPERVISOR and viewed["purpose"] == "stolen_vehicle"
    assert viewed["case_number"] == "UC-2026-5151" and viewed["returned"] == 1
    # `w`: the plate is another state's.
    hit_id = str(browser.evaluate(f"{card}.dataset.hit"))
    browser.send("Input.dispatchKeyEvent", {"type": "keyDown", "key": "w", "text": "w"},
                 session=True)
    row = browser.wait_for(
        f"document.querySelector('#history tr[data-hit=\"{hit_id}\"]')?.textContent"
        " .includes('Wrong state')")
    assert row is True
