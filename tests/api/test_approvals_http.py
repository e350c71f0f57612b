"""The legal-basis gate of pattern-of-life (locate) searches over the API, end to end:
Minnesota data waits for a supervisor of the requester's agency, who approves or refuses;
the approval is used once, by its requester, for its plate and kind; nothing about the
reads is answered before; the legal basis is in the audit entries."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text, update

from plateledger.api.app import create_app
from plateledger.catalog import new_totp_secret, open_catalog
from plateledger.catalog.approvals import search_approvals
from plateledger.catalog.passwords import FAST
from plateledger.settings import Settings
from tests.api.conftest import PASSWORD, Seed, code, login
from tests.factories import make_read

NOW = datetime.now(UTC).replace(microsecond=0)
BASIS = {"kind": "warrant", "number": "27-CR-25-1180", "court": "Hennepin County District Court"}
LOCATE = {
    "kind": "locate", "params": {"plate": "MN1234"}, "purpose": "warrant",
    "case_number": "25-004417", "offense_type": "120", "legal_basis": BASIS,
    "reason": "arrest warrant for the registered owner of the robbery getaway car",
}


@dataclass(frozen=True)
class Mn:
    mpd_id: int
    secrets: dict[str, str]


@pytest.fixture
def mn(settings: Settings, seed: Seed) -> Mn:
    catalog = open_catalog(settings, password_hasher=FAST)
    try:
        mpd = catalog.add_agency("Minneapolis PD", "mpd", "municipal", "MN")
        secrets: dict[str, str] = {}
        for agency, name, roles in (
            (mpd.id, "mia", ["investigator"]), (mpd.id, "max", ["investigator"]),
            (mpd.id, "sam", ["supervisor"]), (mpd.id, "sue", ["supervisor"]),
            (mpd.id, "aud", ["auditor"]), (seed.ucpd_id, "ursula", ["supervisor"]),
        ):
            secrets[name] = new_totp_secret()
            catalog.add_user(agency, name, PASSWORD, roles, totp_secret=secrets[name])
        catalog.add_user(mpd.id, "mpd-admin", PASSWORD, ["admin"])
        return Mn(mpd.id, secrets)
    finally:
        catalog.close()


@pytest.fixture
def api(settings: Settings, seed: Seed, mn: Mn) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        test_client.app.state.store.insert_reads([  # type: ignore[attr-defined]
            make_read("MN1234", camera=f"mn-cam-{i % 2}", owner=mn.mpd_id, state="MN",
                      minutes_ago=60 * 24 * i + 30, now=NOW, lat=44.97, lon=-93.26)
            for i in range(5)
        ])
        yield test_client


def as_(client: TestClient, mn: Mn, name: str) -> dict[str, str]:
    return login(client, name, code(mn.secrets[name]) if name in mn.secrets else None)


def entries(client: TestClient) -> list[dict[str, Any]]:
    log = client.app.state.audit_log  # type: ignore[attr-defined]
    return [r.entry for r in log.entries(0, log.size())]


def _pending(client: TestClient, headers: dict[str, str], body: dict[str, Any]) -> Any:
    response = client.post("/v1/searches", headers=headers, json=body)
    assert response.status_code == 202, response.text
    return response.json()


def _approve(client: TestClient, headers: dict[str, str], approval_id: str) -> Any:
    response = client.post(f"/v1/approvals/{approval_id}/approve", headers=headers,
                           json={"note": "warrant checked against the court record"})
    assert response.status_code == 200, response.text
    return response.json()


def test_a_locate_of_minnesota_data_waits_then_runs_once_approved(
    api: TestClient, mn: Mn
) -> None:
    mia, sam = as_(api, mn, "mia"), as_(api, mn, "sam")
    pending = _pending(api, mia, LOCATE)
    assert pending["status"] == "pending"
    assert "supervisor of `mpd`" in pending["waits_for"]
    assert any("13.824" in b for b in pending["because"])
    assert "results" not in pending and "total" not in pending and "pattern" not in pending
    request = entries(api)[pending["request_index"]]
    assert request["type"] == "search_approval_request"
    assert (request["legal_basis_number"], request["legal_basis_court"]) == (
        BASIS["number"], BASIS["court"])
    assert "result_count" not in request

    listed = api.get("/v1/approvals", headers=sam)
    assert [a["id"] for a in listed.json()] == [pending["id"]]
    assert entries(api)[-1] == {**entries(api)[-1], "type": "approval_read", "user": "sam",
                                "approvals": [pending["id"]]}
    own = api.get("/v1/approvals", headers=mia).json()
    assert [(a["id"], a["status"]) for a in own] == [(pending["id"],
                                                                "pending")]
    early = api.post("/v1/searches", headers=mia,
                     json={**LOCATE, "approval_id": pending["id"]})
    assert early.status_code == 409 and early.json()["error"]["code"] == "approval_pending"
    approved = _approve(api, sam, pending["id"])
    assert (approved["status"], approved["decided_by"]) == ("approved", "sam")
    decision = entries(api)[approved["decision_index"]]
    assert (decision["type"], decision["decision"], decision["user"]) == (
        "search_approval_decision", "approved", "sam")
    assert decision["note"] == "warrant checked against the court record"

    done = api.post("/v1/searches", headers=mia,
                    json={**LOCATE, "approval_id": pending["id"]})
    assert done.status_code == 200, done.text
    data = done.json()
    assert data["total"] == 5 and sum(data["pattern"]["by_weekday"]) == 5
    assert sum(data["pattern"]["by_hour"]) == 5
    assert {p["camera_id"] for p in data["pattern"]["places"]} == {"mn-cam-0", "mn-cam-1"}
    entry = entries(api)[data["audit_index"]]
    assert entry["type"] == "search" and entry["kind"] == "locate"
    assert entry["query"]["legal_basis"] == BASIS
    assert entry["query"]["approval_id"] == pending["id"]
    assert entry["query"]["approved_by"] == "sam"

    again = api.post("/v1/searches", headers=mia,
                     json={**LOCATE, "approval_id": pending["id"]})
    assert again.status_code == 409 and again.json()["error"]["code"] == "approval_used"
    unknown = api.post("/v1/searches", headers=mia,
                       json={**LOCATE, "approval_id": "00000000-0000-0000-0000-000000000000"})
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "approval_not_found"


def test_an_export_never_runs_a_pattern_of_life(api: TestClient, mn: Mn) -> None:
    response = api.post("/v1/exports", headers=as_(api, mn, "mia"), json=LOCATE)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "locate_not_here"
    assert "mn-cam" not in response.text


def test_without_an_approval_nothing_says_whether_the_plate_was_ever_read(
    api: TestClient, mn: Mn
) -> None:
    mia = as_(api, mn, "mia")
    seen = _pending(api, mia, LOCATE)
    never = _pending(api, mia, {**LOCATE, "params": {"plate": "ZZZ9999"}})
    volatile = ("id", "request_index", "created_at", "expires_at", "plate",
                "next_step")
    assert {k: v for k, v in seen.items() if k not in volatile} == {
        k: v for k, v in never.items() if k not in volatile}
    pending_on_board = api.get("/v1/approvals", headers=as_(api, mn, "sam")).json()
    assert "MN1234" in str(pending_on_board)  # what was asked, never what was found
    for answer in (seen, never):
        request = entries(api)[answer["request_index"]]
        assert set(request) & {"result_count", "result_digest", "owners_allowed"} == set()


def test_a_refused_approval_gives_a_clear_error_and_no_data(api: TestClient, mn: Mn) -> None:
    mia, sam = as_(api, mn, "mia"), as_(api, mn, "sam")
    pending = _pending(api, mia, LOCATE)
    refused = api.post(f"/v1/approvals/{pending['id']}/refuse", headers=sam,
                       json={"note": "the warrant names another vehicle"})
    assert refused.status_code == 200 and refused.json()["status"] == "refused"
    response = api.post("/v1/searches", headers=mia,
                        json={**LOCATE, "approval_id": pending["id"]})
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "approval_refused" and "another vehicle" in error["message"]
    assert "pattern" not in response.text and "mn-cam" not in response.text
    twice = api.post(f"/v1/approvals/{pending['id']}/approve", headers=sam, json={})
    assert twice.status_code == 409


def test_an_approval_is_bound_to_its_plate_kind_basis_and_user(api: TestClient, mn: Mn) -> None:
    mia, max_, sam = as_(api, mn, "mia"), as_(api, mn, "max"), as_(api, mn, "sam")
    pending = _pending(api, mia, {**LOCATE, "params": {"plate": "ZZZ9999"}})
    _approve(api, sam, pending["id"])
    approval = {"approval_id": pending["id"]}
    other_plate = api.post("/v1/searches", headers=mia, json={**LOCATE, **approval})
    assert other_plate.status_code == 403, other_plate.text
    assert other_plate.json()["error"]["code"] == "approval_mismatch"
    assert "plate" in other_plate.json()["error"]["message"]
    assert "mn-cam" not in other_plate.text
    other_basis = api.post("/v1/searches", headers=mia, json={
        **LOCATE, "params": {"plate": "ZZZ9999"}, **approval,
        "legal_basis": {**BASIS, "number": "27-CR-25-9999"}})
    assert other_basis.json()["error"]["code"] == "approval_mismatch"
    other_user = api.post("/v1/searches", headers=max_, json={
        **LOCATE, "params": {"plate": "ZZZ9999"}, **approval})
    assert other_user.status_code == 403
    assert other_user.json()["error"]["code"] == "approval_not_yours"
    # None of the failed tries used it up: its requester can still run it, once.
    own = api.post("/v1/searches", headers=mia,
                   json={**LOCATE, "params": {"plate": "ZZZ9999"}, **approval})
    assert own.status_code == 200 and own.json()["total"] == 0


def test_only_a_supervisor_of_the_same_agency_other_than_the_requester_decides(
    api: TestClient, mn: Mn
) -> None:
    sam, sue = as_(api, mn, "sam"), as_(api, mn, "sue")
    pending = _pending(api, sam, LOCATE)  # a supervisor may search, and ask
    path = f"/v1/approvals/{pending['id']}/approve"
    own = api.post(path, headers=sam, json={})
    assert own.status_code == 403 and own.json()["error"]["code"] == "own_request"
    ursula = as_(api, mn, "ursula")
    foreign = api.post(path, headers=ursula, json={})
    assert foreign.status_code == 404  # another agency's approval does not exist for it
    for name in ("mia", "aud"):  # an investigator, an auditor
        response = api.post(path, headers=as_(api, mn, name), json={})
        assert response.status_code == 403, (name, response.text)
        assert response.json()["error"]["code"] == "not_a_supervisor"
    admin = api.post(path, headers=login(api, "mpd-admin"), json={})
    assert admin.status_code == 403
    assert api.get("/v1/approvals", headers=ursula).json() == []
    assert _approve(api, sue, pending["id"])["decided_by"] == "sue"


def test_an_expired_approval_is_gone(api: TestClient, mn: Mn) -> None:
    mia, sam = as_(api, mn, "mia"), as_(api, mn, "sam")
    pending = _pending(api, mia, LOCATE)
    _approve(api, sam, pending["id"])
    catalog = api.app.state.catalog  # type: ignore[attr-defined]
    with catalog.engine.begin() as conn:
        conn.execute(update(search_approvals)
                     .where(search_approvals.c.id == pending["id"])
                     .values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    response = api.post("/v1/searches", headers=mia,
                        json={**LOCATE, "approval_id": pending["id"]})
    assert response.status_code == 410
    assert response.json()["error"]["code"] == "approval_expired"


@pytest.mark.parametrize(("change", "needle"), [
    ({"legal_basis": None}, "legal_basis"),
    ({"legal_basis": {"kind": "subpoena", "number": "1", "court": "X"}}, "legal_basis"),
    ({"legal_basis": {"kind": "warrant", "number": " ", "court": "X"}}, "number"),
    ({"offense_type": None}, "/v1/offense-types"),
])
def test_a_locate_without_its_legal_basis_or_offense_is_422(
    api: TestClient, mn: Mn, change: dict[str, Any], needle: str
) -> None:
    response = api.post("/v1/searches", headers=as_(api, mn, "mia"), json={**LOCATE, **change})
    assert response.status_code == 422, response.text
    assert needle in response.text and "mn-cam" not in response.text


def test_an_agency_setting_makes_its_locates_wait_and_checks_case_numbers(
    client: TestClient, seed: Seed
) -> None:
    ivy = login(client, "ivy", code(seed.investigator_totp))
    admin = login(client, "ucpd-admin")
    body = {**LOCATE, "params": {"plate": "7ABC123"}, "purpose": "stolen_vehicle",
            "case_number": "UC-2026-0042", "offense_type": "240"}
    ran = client.post("/v1/searches", headers=ivy, json=body)
    assert ran.status_code == 200, ran.text  # California data: no approval by default
    assert ran.json()["pattern"]["by_hour"] == [0] * 24
    bad = client.put("/v1/admin/search-rules", headers=admin,
                     json={"case_number_pattern": "^(\\d+)+$"})
    assert bad.status_code == 422 and "exponential" in bad.text
    broken = client.put("/v1/admin/search-rules", headers=admin,
                        json={"case_number_pattern": "^[0-9"})
    assert broken.status_code == 422 and "regular expression" in broken.text
    empty = client.put("/v1/admin/search-rules", headers=admin,
                       json={"case_number_pattern": ".*"})
    assert empty.status_code == 422 and "empty case number" in empty.text
    rules = client.put("/v1/admin/search-rules", headers=admin, json={
        "case_number_pattern": r"^\d{2}-\d{4,6}$", "locate_approval_required": True})
    assert rules.status_code == 200, rules.text
    assert client.get("/v1/admin/search-rules", headers=admin).json()[
        "locate_approval_required"] is True
    change = entries(client)[-1]
    assert (change["type"], change["change"], change["after"]["case_number_pattern"]) == (
        "policy_change", "search_rules", r"^\d{2}-\d{4,6}$")

    wrong = client.post("/v1/searches", headers=ivy, json={
        "kind": "exact", "params": {"plate": "7ABC123"}, "purpose": "stolen_vehicle",
        "case_number": "UC-2026-0042", "offense_type": "240", "reason": "stolen grey van"})
    assert wrong.status_code == 422
    assert wrong.json()["error"]["code"] == "case_number_format"
    assert re.search(r"\^\\d\{2\}-\\d\{4,6\}\$", wrong.json()["error"]["message"])
    right = client.post("/v1/searches", headers=ivy, json={
        "kind": "exact", "params": {"plate": "7ABC123"}, "purpose": "stolen_vehicle",
        "case_number": "26-00042", "offense_type": "240", "reason": "stolen grey van"})
    assert right.status_code == 200, right.text
    pending = client.post("/v1/searches", headers=ivy, json={**body, "case_number": "26-00042"})
    assert pending.status_code == 202, pending.text
    assert "`ucpd` has every pattern-of-life search" in str(pending.json()["because"])


def _drop_log(client: TestClient) -> None:
    with client.app.state.catalog.engine.begin() as conn:  # type: ignore[attr-defined]
        conn.execute(text("DROP TABLE audit_entries"))


def _statuses(client: TestClient) -> dict[str, str]:
    with client.app.state.catalog.engine.connect() as conn:  # type: ignore[attr-defined]
        rows = conn.execute(select(search_approvals.c.id, search_approvals.c.status))
        return {row.id: row.status for row in rows}


def test_a_request_the_log_cannot_record_is_not_made(api: TestClient, mn: Mn) -> None:
    mia = as_(api, mn, "mia")
    _drop_log(api)
    response = api.post("/v1/searches", headers=mia, json=LOCATE)
    assert response.status_code == 503 and "mn-cam" not in response.text
    assert _statuses(api) == {}


def test_a_decision_the_log_cannot_record_is_not_made(api: TestClient, mn: Mn) -> None:
    mia, sam = as_(api, mn, "mia"), as_(api, mn, "sam")
    pending = _pending(api, mia, LOCATE)
    _drop_log(api)
    response = api.post(f"/v1/approvals/{pending['id']}/approve", headers=sam,
                        json={"note": "ok"})
    assert response.status_code == 503
    assert _statuses(api) == {pending["id"]: "pending"}


def test_an_approved_search_the_log_cannot_record_keeps_its_approval(
    api: TestClient, mn: Mn
) -> None:
    mia, sam = as_(api, mn, "mia"), as_(api, mn, "sam")
    pending = _pending(api, mia, LOCATE)
    _approve(api, sam, pending["id"])
    _drop_log(api)
    response = api.post("/v1/searches", headers=mia,
                        json={**LOCATE, "approval_id": pending["id"]})
    assert response.status_code == 503 and "pattern" not in response.text
    assert _statuses(api) == {pending["id"]: "approved"}


def test_the_query_form_never_runs_a_pattern_of_life(api: TestClient, mn: Mn) -> None:
    response = api.get("/v1/searches", headers=as_(api, mn, "mia"), params={
        "kind": "locate", "plate": "MN1234", "purpose": "warrant", "offense_type": "120",
        "case_number": "25-004417", "reason": str(LOCATE["reason"])})
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "legal_basis_required"
    assert "mn-cam" not in response.text
