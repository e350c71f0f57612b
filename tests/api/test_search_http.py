"""Searches through the real server: decided per owner by the law packs and agreements,
logged before the answer, and never showing a denied owner's data."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from plateledger.catalog import open_catalog
from plateledger.settings import Settings
from tests.conftest import LiveServer


def now_ms() -> int:
    return int(time.time() * 1000)


@pytest.fixture(scope="module")
def seen(live_server: LiveServer) -> dict[str, Any]:
    """The same plate read by Union City (ucpd) and Fremont (fpd) cameras, and by Reno PD."""
    settings = Settings(data_dir=live_server.data_dir, require_totp=False)
    catalog = open_catalog(settings)
    try:
        keys = {slug: catalog.issue_api_key(catalog.agency_by_slug(slug).id, label="test")
                for slug in ("fpd", "rpd")}  # type: ignore[union-attr]
        cameras = {slug: catalog.cameras(owner_id=catalog.agency_by_slug(slug).id)[0].camera_id
                   for slug in ("fpd", "rpd")}  # type: ignore[union-attr]
    finally:
        catalog.close()
    plate = "7S" + uuid.uuid4().hex[:4].upper().replace("0", "A").replace("O", "B")
    posts = [(live_server.camera_key, live_server.camera_id), (keys["fpd"], cameras["fpd"]),
             (keys["rpd"], cameras["rpd"])]
    for key, camera in posts:
        body = [{"camera_id": camera, "ts": now_ms() - 60_000, "plate": plate,
                 "confidence": 0.9, "region": "CA"}]
        for _ in range(2):  # a retried batch must not show twice
            response = httpx.post(f"{live_server.url}/v1/reads", json=body,
                                  headers={"X-API-Key": key}, timeout=60)
            assert response.status_code == 200, response.text
    return {"plate": plate, "cameras": [live_server.camera_id, cameras["fpd"],
                                        cameras["rpd"]]}


def params_for(kind: str, seen: dict[str, Any]) -> dict[str, Any]:
    """Parameters of a ``kind`` search that finds ``seen``'s reads."""
    plate = seen["plate"]
    if kind == "wildcard":
        return {"plate": plate[:2] + "*" + plate[-2:]}
    if kind == "fuzzy":
        return {"plate": plate[:-1] + ("8" if plate[-1] != "8" else "3")}  # one misread
    if kind == "area":
        now = datetime.now(UTC)
        return {"cameras": seen["cameras"], "since": (now - timedelta(minutes=30)).isoformat(),
                "until": now.isoformat(), "plate": plate}
    return {"plate": plate}


@pytest.mark.parametrize("kind", ["exact", "wildcard", "fuzzy", "area"])
def test_every_search_kind_is_decided_per_owner(
    live_server: LiveServer, seen: dict[str, Any], kind: str
) -> None:
    local = search(live_server, "ucpd.investigator", kind=kind, params=params_for(kind, seen))
    assert local.status_code == 200, local.text
    mine = [r for r in local.json()["results"] if r["plate"] == seen["plate"]]
    assert sorted(r["owner_id"] for r in mine) == [1, 2]  # Union City and Fremont, not Reno
    federal = search(live_server, "ice-ero-sf.investigator", kind=kind,
                     params=params_for(kind, seen))
    assert federal.status_code == 200, federal.text
    assert [r for r in federal.json()["results"] if r["plate"] == seen["plate"]] == []
    decided = owners(federal.json(), live_server)
    assert "ca-civ-1798.90.55b-no-federal" in decided[1]["policy_ids"]


def search(server: LiveServer, user: str, **body: Any) -> httpx.Response:
    payload = {"kind": "exact", "params": {}, "purpose": "stolen_vehicle", "offense_type": "240",
               "case_number": "UC-2026-0042", "reason": "stolen white pickup"} | body
    return httpx.post(f"{server.url}/v1/searches", json=payload, timeout=60,
                      headers={"Authorization": f"Bearer {server.token(user)}"})


def owners(page: dict[str, Any], server: LiveServer) -> dict[int, dict[str, Any]]:
    return {o["owner_id"]: o for o in page["owners"]}


def test_a_local_investigator_sees_own_and_shared_data_once_each(
    live_server: LiveServer, seen: dict[str, Any]
) -> None:
    response = search(live_server, "ucpd.investigator", params={"plate": seen["plate"]})
    assert response.status_code == 200, response.text
    page = response.json()
    assert page["total"] == 2
    assert sorted(r["owner_id"] for r in page["results"]) == [1, 2]
    decided = owners(page, live_server)
    assert decided[1]["allowed"] and decided[2]["allowed"]
    assert not decided[6]["allowed"]  # Reno PD shares nothing with Union City
    assert isinstance(page["audit_index"], int)


def test_every_owner_in_an_answer_is_named_by_its_slug_and_name(
    live_server: LiveServer, seen: dict[str, Any]
) -> None:
    """An investigator reads which agencies allowed and denied by name, not by a catalog
    id: each owner outcome carries the agency's slug and name, as the catalog has them."""
    response = search(live_server, "ucpd.investigator", params={"plate": seen["plate"]})
    assert response.status_code == 200, response.text
    catalog = open_catalog(Settings(data_dir=live_server.data_dir, require_totp=False))
    try:
        expected = {a.id: (a.slug, a.name) for a in catalog.agencies()}
    finally:
        catalog.close()
    named = {o["owner_id"]: (o["agency"], o["agency_name"]) for o in response.json()["owners"]}
    assert named == expected
    assert named[2][0] == "fpd" and named[6][0] == "rpd"
    reasons = {o["owner_id"]: " ".join(o["reasons"]) for o in response.json()["owners"]}
    assert f"{expected[1][1]} (agency 1)'s own data" in reasons[1]
    assert f"{expected[2][1]} (agency 2) shares with {expected[1][1]} (agency 1)" in reasons[2]


def test_a_federal_immigration_unit_is_denied_california_data_by_statute(
    live_server: LiveServer, seen: dict[str, Any]
) -> None:
    response = search(live_server, "ice-ero-sf.investigator", params={"plate": seen["plate"]})
    assert response.status_code == 200
    page = response.json()
    assert page["results"] == [] and page["total"] == 0
    for owner_id in (1, 2, 3, 4, 5):
        decision = owners(page, live_server)[owner_id]
        assert not decision["allowed"]
    assert "ca-civ-1798.90.55b-no-federal" in owners(page, live_server)[1]["policy_ids"]


def test_a_local_officer_searching_for_the_federal_unit_is_denied_the_same_way(
    live_server: LiveServer, seen: dict[str, Any]
) -> None:
    response = search(live_server, "ucpd.investigator", params={"plate": seen["plate"]},
                      requested_by="ice-ero-sf")
    page = response.json()
    assert page["results"] == []
    assert "ca-civ-1798.90.55b-no-federal" in owners(page, live_server)[1]["policy_ids"]


def test_an_out_of_state_agency_is_denied_california_data(
    live_server: LiveServer, seen: dict[str, Any]
) -> None:
    page = search(live_server, "rpd.investigator", params={"plate": seen["plate"]}).json()
    assert [r["owner_id"] for r in page["results"]] == [6]  # only its own read
    assert "ca-civ-1798.90.55b-no-out-of-state" in owners(page, live_server)[1]["policy_ids"]


def test_an_immigration_reason_is_refused_for_california_data(
    live_server: LiveServer, seen: dict[str, Any]
) -> None:
    page = search(live_server, "ucpd.investigator", params={"plate": seen["plate"]},
                  reason="ICE detainer request").json()
    assert all(r["owner_id"] not in (1, 2) for r in page["results"])
    assert not owners(page, live_server)[2]["allowed"]


def test_a_shared_search_without_a_case_number_is_refused_by_the_agreement(
    live_server: LiveServer, seen: dict[str, Any]
) -> None:
    page = search(live_server, "ucpd.investigator", params={"plate": seen["plate"]},
                  case_number=None).json()
    assert [r["owner_id"] for r in page["results"]] == [1]
    assert not owners(page, live_server)[2]["allowed"]


def test_a_purpose_off_the_closed_list_is_refused(live_server: LiveServer) -> None:
    response = search(live_server, "ucpd.investigator", params={"plate": "7ABC123"},
                      purpose="curiosity")
    assert response.status_code == 422
    assert "closed list" in response.json()["error"]["message"]


def test_every_search_is_in_the_audit_log_and_the_public_view_hides_plates(
    live_server: LiveServer, seen: dict[str, Any]
) -> None:
    page = search(live_server, "ucpd.investigator", params={"plate": seen["plate"]}).json()
    index = page["audit_index"]
    entries = httpx.get(f"{live_server.url}/v1/audit/entries",
                        params={"start": index, "limit": 1}, timeout=30).json()
    text = json.dumps(entries)
    assert seen["plate"] not in text and "ucpd.investigator" not in text
    size = httpx.get(f"{live_server.url}/v1/audit/checkpoint", timeout=30).text.split("\n")[1]
    proof = httpx.get(f"{live_server.url}/v1/audit/proof/inclusion",
                      params={"index": index, "size": size}, timeout=30)
    assert proof.status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "exact", "params": {}},
        {"kind": "exact", "params": {"plate": "'; DROP TABLE reads"}},
        {"kind": "teleport", "params": {"plate": "7ABC123"}},
        {"kind": "area", "params": {"cameras": ["x"]}},
        {"kind": "exact", "params": {"plate": "7ABC123", "limit": 100000}},
        {"kind": "exact", "params": {"plate": "7ABC123", "since": "yesterday"}},
    ],
)
def test_bad_searches_get_a_4xx_with_a_message(
    live_server: LiveServer, body: dict[str, Any]
) -> None:
    response = search(live_server, "ucpd.investigator", **body)
    assert 400 <= response.status_code < 500, response.text
    assert response.json()["error"]["message"]


def test_searching_needs_a_login(live_server: LiveServer) -> None:
    response = httpx.post(f"{live_server.url}/v1/searches", json={}, timeout=30)
    assert response.status_code == 401


def test_sharing_partners_come_from_the_enforced_policy_set(live_server: LiveServer) -> None:
    response = httpx.get(f"{live_server.url}/v1/agencies/1/sharing", timeout=60)
    assert response.status_code == 200
    partners = {p["agency_id"] for p in response.json()["partners"]}
    # Union City's agreement with Reno PD and ICE exists in the catalog, but the California
    # pack forbids both: they are not partners.
    assert {2, 3, 4, 5} <= partners
    assert 6 not in partners and 7 not in partners


def test_an_auditor_can_explain_a_denial_with_the_cedar_requests(live_server: LiveServer) -> None:
    # as one of its own agency's users (another agency's users are not its to explain),
    # searching for the federal unit
    body = {"action": "search_exact", "purpose": "stolen_vehicle", "case_number": "X-1",
            "as_user": "ucpd.investigator", "requested_by": "ice-ero-sf", "owners": [1]}
    response = httpx.post(f"{live_server.url}/v1/policy/explain", json=body, timeout=60,
                          headers={"Authorization": f"Bearer {live_server.token('ucpd.auditor')}"})
    assert response.status_code == 200, response.text
    [owner] = response.json()["owners"]
    assert not owner["allowed"]
    assert "ca-civ-1798.90.55b-no-federal" in owner["policy_ids"]
    assert owner["cedar"] and owner["cedar"][0]["principal"]
    other = {**body, "as_user": "ice-ero-sf.investigator", "requested_by": None}
    response = httpx.post(f"{live_server.url}/v1/policy/explain", json=other, timeout=60,
                          headers={"Authorization": f"Bearer {live_server.token('ucpd.auditor')}"})
    assert response.status_code == 404, response.text


def test_an_investigator_cannot_explain(live_server: LiveServer) -> None:
    body = {"action": "search_exact", "purpose": "stolen_vehicle"}
    response = httpx.post(f"{live_server.url}/v1/policy/explain", json=body, timeout=60,
                          headers={"Authorization":
                                   f"Bearer {live_server.token('ucpd.investigator')}"})
    assert response.status_code == 403


def test_the_closed_list_of_purposes_is_published(live_server: LiveServer) -> None:
    values = [p["value"] for p in httpx.get(f"{live_server.url}/v1/policy/purposes").json()]
    assert "stolen_vehicle" in values and "immigration" not in " ".join(values)
