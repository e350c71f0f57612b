"""Later pages of a search, asked with its `page_token`: each decided and logged before it
is answered, as a page of that search (`page_of`), and not counted as a new search on the
agency's portal or reports. A token is good only for its user and its search, and only as
this node signed it."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from plateledger.access import continuation
from plateledger.access.errors import AccessDenied
from plateledger.access.searches import SearchCreate
from plateledger.audit import AuditLog
from plateledger.catalog import new_totp_secret, open_catalog
from plateledger.catalog.passwords import FAST
from plateledger.catalog.principals import Principal
from plateledger.catalog.totp import derived_key
from plateledger.settings import Settings
from tests.api.conftest import PASSWORD, Seed, code, login
from tests.factories import unique_plate

BODY = {"kind": "exact", "purpose": "stolen_vehicle", "offense_type": "240",
        "case_number": "C-77", "reason": "white pickup reported stolen on 4th street"}


@pytest.fixture
def world(settings: Settings, seed: Seed, client: TestClient) -> dict[str, Any]:
    """Twelve reads of one plate by a Union City camera, and a second investigator."""
    catalog = open_catalog(settings, password_hasher=FAST)
    try:
        camera = catalog.add_camera("ucpd-pages-cam", seed.ucpd_id, lat=37.6, lon=-122.0)
        key = catalog.issue_api_key(seed.ucpd_id, camera.camera_id)
        other = new_totp_secret()
        catalog.add_user(seed.ucpd_id, "ike", PASSWORD, ["investigator"], totp_secret=other)
    finally:
        catalog.close()
    plate = unique_plate("7P")
    now = int(time.time() * 1000)
    response = client.post("/v1/reads", headers={"X-API-Key": key}, json=[
        {"camera_id": camera.camera_id, "plate": plate, "confidence": 0.9,
         "ts": now - 60_000 * (i + 1)} for i in range(12)])
    assert response.status_code == 200, response.text
    return {"plate": plate, "ivy": login(client, "ivy", code(seed.investigator_totp)),
            "ike": login(client, "ike", code(other))}


def _search(client: TestClient, headers: dict[str, str], plate: str, offset: int,
            token: str | None = None, **extra: Any) -> Any:
    body = BODY | {"params": {"plate": plate, "limit": 5, "offset": offset}} | extra
    if token is not None:
        body["page_token"] = token
    return client.post("/v1/searches", json=body, headers=headers)


def _entry(client: TestClient, index: int) -> dict[str, Any]:
    log: AuditLog = client.app.state.audit_log  # type: ignore[attr-defined]
    return log.entries(index, 1)[0].entry


def test_pages_asked_with_the_token_are_logged_as_pages_of_the_search(
    client: TestClient, world: dict[str, Any],
) -> None:
    first = _search(client, world["ivy"], world["plate"], 0)
    assert first.status_code == 200, first.text
    page = first.json()
    assert page["total"] == 12 and page["page_of"] is None and page["page_token"]
    seen = [r["read_id"] for r in page["results"]]
    for offset in (5, 10):
        later = _search(client, world["ivy"], world["plate"], offset, page["page_token"])
        assert later.status_code == 200, later.text
        body = later.json()
        assert body["page_of"] == page["search_id"] and body["search_id"] != page["search_id"]
        seen += [r["read_id"] for r in body["results"]]
        entry = _entry(client, body["audit_index"])
        # logged before it was answered, decided again, and tied to its first page
        assert entry["type"] == "search" and entry["page_of"] == page["search_id"]
        assert entry["owners_allowed"] == ["ucpd"]
    assert len(seen) == len(set(seen)) == 12
    # the public summary says it is a later page, never of which search
    public = client.get("/v1/audit/entries", params={"start": body["audit_index"],
                                                     "limit": 1}).json()["entries"][0]
    assert public["summary"]["later_page"] is True
    assert page["search_id"] not in str(public)
    # the portal counts one search; without the token, each page would be one more
    portal = client.get("/v1/transparency/agencies/ucpd").json()
    assert portal["searches"] == 1
    again = _search(client, world["ivy"], world["plate"], 5)
    assert again.status_code == 200 and again.json()["page_of"] is None
    assert client.get("/v1/transparency/agencies/ucpd").json()["searches"] == 2


def test_a_token_serves_only_its_user_its_search_and_its_node(
    client: TestClient, world: dict[str, Any],
) -> None:
    """An officer cannot hide searches as pages: another officer's token, a token of
    another search (another plate, purpose or reason), an altered or forged token are each
    refused with 422 and nothing is searched or logged."""
    log: AuditLog = client.app.state.audit_log  # type: ignore[attr-defined]
    token = _search(client, world["ivy"], world["plate"], 0).json()["page_token"]
    size = log.size()
    refusals = {
        "page_token_mismatch": [
            _search(client, world["ike"], world["plate"], 5, token),
            _search(client, world["ivy"], unique_plate("7Q"), 0, token),
            _search(client, world["ivy"], world["plate"], 5, token, purpose="homicide"),
            _search(client, world["ivy"], world["plate"], 5, token, reason="another reason "
                    "for another search entirely"),
        ],
        "page_token_invalid": [
            _search(client, world["ivy"], world["plate"], 5, token[:-2] + "AA"),
            _search(client, world["ivy"], world["plate"], 5, "not-a-token"),
            _search(client, world["ivy"], world["plate"], 5, forged(token)),
        ],
    }
    for code_, answers in refusals.items():
        for answer in answers:
            assert answer.status_code == 422, answer.text
            assert answer.json()["error"]["code"] == code_, answer.text
            assert "run the search again" in answer.json()["error"]["message"]
    assert log.size() == size


def forged(token: str) -> str:
    """``token`` re-signed with a key derived from another secret."""
    payload, _ = token.split(".")
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    mac = hmac.new(derived_key("x" * 32, b"plateledger search page tokens"), raw,
                   hashlib.sha256).digest()
    return f"{payload}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


def test_an_expired_token_is_refused() -> None:
    """A token is good for one shift (`TOKEN_HOURS`); after, the search is run anew."""
    key = derived_key("k" * 32, b"plateledger search page tokens")
    ivy = Principal(1, "ivy", 1, "municipal", "CA", frozenset({"investigator"}))
    body = SearchCreate.model_validate(BODY | {"params": {"plate": "7ABC123", "limit": 5}})
    issued = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    token = continuation.issue(key, "0f8fad5b-d9cb-469f-a165-70867728950e", ivy, body, issued)
    later = body.model_copy(update={"params": body.params.model_copy(update={"offset": 5})})
    shift = timedelta(hours=continuation.TOKEN_HOURS)
    assert continuation.check(key, token, ivy, later, issued + shift).search_id \
        == "0f8fad5b-d9cb-469f-a165-70867728950e"
    with pytest.raises(AccessDenied) as refused:
        continuation.check(key, token, ivy, later, issued + shift + timedelta(seconds=1))
    assert refused.value.code == "page_token_expired"
