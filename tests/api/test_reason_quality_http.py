"""Reason quality of every search: a required offense type from the closed NIBRS list, the
case-number format of the user's agency, and the vague-reason flag shown in the answer and
counted for supervisors."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from plateledger.catalog import new_totp_secret, open_catalog
from plateledger.catalog.passwords import FAST
from plateledger.settings import Settings
from tests.api.conftest import PASSWORD, Seed, code, login

ASK = {"kind": "exact", "params": {"plate": "7ABC123"}, "purpose": "stolen_vehicle",
       "case_number": "UC-2026-0042", "offense_type": "240",
       "reason": "white pickup reported stolen from the depot on 4th street"}


@pytest.fixture
def ivy(client: TestClient, seed: Seed) -> dict[str, str]:
    return login(client, "ivy", code(seed.investigator_totp))


@pytest.fixture
def dispatcher(settings: Settings, seed: Seed) -> str:
    catalog = open_catalog(settings, password_hasher=FAST)
    try:
        secret = new_totp_secret()
        catalog.add_user(seed.ucpd_id, "dot", PASSWORD, ["dispatcher"], totp_secret=secret)
        return secret
    finally:
        catalog.close()


def test_a_dispatchers_exact_lookup_to_confirm_a_hit_names_an_offense_too(
    dispatcher: str, client: TestClient
) -> None:
    dot = login(client, "dot", code(dispatcher))
    body = {**ASK, "reason": "confirming a stolen-vehicle hot-list hit"}
    missing = client.post("/v1/searches", headers=dot,
                          json={k: v for k, v in body.items() if k != "offense_type"})
    assert missing.status_code == 422 and "/v1/offense-types" in missing.text
    named = client.post("/v1/searches", headers=dot, json=body)
    assert named.status_code == 200, named.text


def size(client: TestClient) -> int:
    return int(client.app.state.audit_log.size())  # type: ignore[attr-defined]


@pytest.mark.parametrize("path", ["/v1/searches", "/v1/exports"])
@pytest.mark.parametrize("offense", [None, ""])
def test_a_search_or_export_without_an_offense_type_is_422_naming_the_list(
    client: TestClient, ivy: dict[str, str], path: str, offense: str | None
) -> None:
    before = size(client)
    body: dict[str, Any] = {k: v for k, v in ASK.items() if k != "offense_type"}
    if offense is not None:
        body["offense_type"] = offense
    response = client.post(path, headers=ivy, json=body)
    assert response.status_code == 422, response.text
    assert "offense_type" in response.text and "/v1/offense-types" in response.text
    assert size(client) == before  # refused before anything was decided or logged


def test_the_query_form_of_a_search_needs_an_offense_type_too(
    client: TestClient, ivy: dict[str, str]
) -> None:
    query: dict[str, str] = {"kind": "exact", "plate": "7ABC123", "purpose": "stolen_vehicle",
                             "reason": str(ASK["reason"]), "case_number": "UC-2026-0042"}
    missing = client.get("/v1/searches", headers=ivy, params=query)
    assert missing.status_code == 422 and "/v1/offense-types" in missing.text
    named = client.get("/v1/searches", headers=ivy, params={**query, "offense_type": "240"})
    assert named.status_code == 200, named.text


def test_an_offense_type_off_the_list_is_422(client: TestClient, ivy: dict[str, str]) -> None:
    response = client.post("/v1/searches", headers=ivy, json={**ASK, "offense_type": "999"})
    assert response.status_code == 422 and "/v1/offense-types" in response.text


def test_the_offense_type_is_in_the_entry(client: TestClient, ivy: dict[str, str]) -> None:
    data = client.post("/v1/searches", headers=ivy, json={**ASK, "offense_type": "09a"}).json()
    entry = client.app.state.audit_log.entry(data["audit_index"]).entry  # type: ignore[attr-defined]
    assert entry["query"]["offense_type"] == entry["offense_type"] == "09A"


def test_the_case_number_format_holds_for_exports_too(
    client: TestClient, ivy: dict[str, str]
) -> None:
    admin = login(client, "ucpd-admin")
    set_ = client.put("/v1/admin/search-rules", headers=admin,
                      json={"case_number_pattern": r"^UC-\d{4}-\d{4}$"})
    assert set_.status_code == 200, set_.text
    before = size(client)
    bad = client.post("/v1/exports", headers=ivy, json={**ASK, "case_number": "42"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "case_number_format"
    assert size(client) == before
    good = client.post("/v1/exports", headers=ivy, json=ASK)
    assert good.status_code == 200, good.text
    other = client.get("/v1/admin/search-rules", headers=login(client, "fpd-admin")).json()
    assert other["case_number_pattern"] is None  # one agency's rule is its own


def test_search_rules_are_for_admins(client: TestClient, ivy: dict[str, str]) -> None:
    response = client.put("/v1/admin/search-rules", headers=ivy,
                          json={"case_number_pattern": r"^\d+$"})
    assert response.status_code == 403


def test_a_vague_reason_is_flagged_in_the_answer_and_counted_for_supervisors(
    client: TestClient, seed: Seed, ivy: dict[str, str]
) -> None:
    for _ in range(3):
        data = client.post("/v1/searches", headers=ivy,
                           json={**ASK, "reason": "investigation"}).json()
        assert data["reason_flags"] == ["vague"]
    clear = client.post("/v1/searches", headers=ivy, json=ASK).json()
    assert clear["reason_flags"] == []
    audrey = login(client, "audrey", code(seed.auditor_totp))
    figures = client.get("/v1/supervision/operators", headers=audrey).json()
    ivy_figures = {o["user"]: o for o in figures["operators"]}["ivy"]
    assert ivy_figures["vague_reasons"] == 3 and ivy_figures["searches"] == 4
    assert "vague_reasons" in ivy_figures["flags"]
