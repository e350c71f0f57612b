"""A partner node's signed search, answered by the owner's node — the real app, catalog
(SQLite), audit log and read store (chDB). The partner's side is its key and the request
it signs; the owner's node is the app under test.

The owner, Union City (a California city), keeps its reads. Two partners are registered:
Fremont's node (a California city, under an agreement with Union City) and a federal
unit's node. Every attack is refused with its own code, no data and no 500; a refused
request leaves no search in the owner's log.
"""

from __future__ import annotations

import json
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

from plateledger.access.federated_exports import EXPORT_PATH
from plateledger.api.app import create_app
from plateledger.audit import AuditLog
from plateledger.catalog import open_catalog
from plateledger.catalog.passwords import FAST
from plateledger.federation import NodeKey, NodeRegistry, sign_request
from plateledger.federation.registry import operator
from plateledger.retention.holds import LegalHold, ReadSelection
from plateledger.settings import Settings
from tests.factories import make_read

PATH = "/v1/federation/searches"
URL = f"http://testserver{PATH}"


@dataclass
class World:
    client: TestClient
    settings: Settings
    plate: str
    fremont: NodeKey
    federal: NodeKey

    def log(self) -> AuditLog:
        catalog = open_catalog(self.settings, password_hasher=FAST)
        self._opened.append(catalog)
        return AuditLog(catalog.engine, signer=None)

    def registry(self) -> NodeRegistry:
        catalog = open_catalog(self.settings, password_hasher=FAST)
        self._opened.append(catalog)
        return NodeRegistry(catalog, AuditLog(catalog.engine, signer=None))

    def __post_init__(self) -> None:
        self._opened: list[Any] = []

    def close(self) -> None:
        for catalog in self._opened:
            catalog.close()


@pytest.fixture
def world(tmp_path: Path, store_path: Path) -> Iterator[World]:
    settings = Settings(
        data_dir=tmp_path / "owner",
        store_path=store_path,
        secret_key="k" * 32,
        require_totp=True,
        public_url="http://testserver",  # the URL its partners reach it at (the test client)
    )
    catalog = open_catalog(settings, password_hasher=FAST)
    fremont, federal = NodeKey.generate(), NodeKey.generate()
    try:
        ucpd = catalog.add_agency("Union City PD", "ucpd", "municipal", "CA")
        fpd = catalog.add_agency("Fremont PD", "fpd", "municipal", "CA")
        catalog.add_agency("ICE ERO San Francisco", "ice-ero-sf", "federal", "CA")
        catalog.add_agreement(
            ucpd.id, fpd.id, actions=["search", "export"], purposes=["stolen_vehicle"],
            created_by="chief",
        )
        catalog.add_camera("uc-1", ucpd.id, lat=37.59, lon=-122.02)
        key = catalog.issue_api_key(ucpd.id, label="camera")
        registry = NodeRegistry(catalog, AuditLog(catalog.engine, signer=None))
        registry.add(
            operator(), "fremont", "https://fremont.example", fremont.public.text(), ["fpd"]
        )
        registry.add(
            operator(), "federal", "https://ice.example", federal.public.text(), ["ice-ero-sf"]
        )
    finally:
        catalog.close()
    plate = "7F" + uuid.uuid4().hex[:5].upper().replace("0", "A").replace("O", "B")
    with TestClient(create_app(settings)) as client:
        read = {
            "camera_id": "uc-1",
            "ts": int(time.time() * 1000) - 60_000,
            "plate": plate,
            "confidence": 0.9,
            "region": "CA",
        }
        posted = client.post("/v1/reads", json=[read], headers={"X-API-Key": key})
        assert posted.status_code == 200, posted.text
        found = World(client, settings, plate, fremont, federal)
        try:
            yield found
        finally:
            found.close()


def body(plate: str, agency: str = "fpd", **changes: Any) -> dict[str, Any]:
    return {
        "search_id": str(uuid.uuid4()),
        "kind": "exact",
        "params": {"plate": plate},
        "requester": {
            "user": "fred",
            "agency": agency,
            "agency_class": "municipal",
            "roles": ["investigator"],
        },
        "purpose": "stolen_vehicle",
        "offense_type": "240",
        "case_number": "FR-2026-0042",
        "reason": "stolen white pickup seen leaving the lot",
    } | changes


def send(
    world: World,
    key: NodeKey,
    payload: dict[str, Any],
    *,
    created: int | None = None,
    nonce: str | None = None,
    tamper: bytes | None = None,
    path: str = PATH,
) -> httpx.Response:
    raw = json.dumps(payload).encode()
    url = f"http://testserver{path}"
    headers = sign_request(key, "POST", url, raw, created=created or int(time.time()), nonce=nonce)
    return world.client.post(path, content=tamper if tamper is not None else raw, headers=headers)


def searches_logged(world: World) -> list[dict[str, Any]]:
    log = world.log()
    return [r.entry for r in log.entries(0, log.size()) if r.entry["type"] == "search"]


def refused(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    assert "results" not in response.json()


def test_a_registered_partner_search_is_answered_and_logged_under_its_uuid(
    world: World,
) -> None:
    payload = body(world.plate)
    response = send(world, world.fremont, payload)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["search_id"] == payload["search_id"]
    assert [r["plate"] for r in answer["results"]] == [world.plate]
    assert answer["owners"] == [
        {
            "agency": "ucpd",
            "owner_id": answer["results"][0]["owner_id"],
            "allowed": True,
            "policy_ids": answer["owners"][0]["policy_ids"],
            "reasons": answer["owners"][0]["reasons"],
            "returned": 1,
            "code": None,
        }
    ]
    entry = world.log().entry(answer["audit_index"]).entry
    assert entry["type"] == "search"
    assert entry["query"]["search_id"] == payload["search_id"]
    assert (entry["user"], entry["agency"], entry["requesting_node"]) == (
        "fred@fremont",
        "fpd",
        "fremont",
    )
    assert entry["agency_facts"]["fpd"]["class"] == "municipal"
    assert entry["requesting_key_id"] == world.fremont.public.key_id
    assert entry["owners_allowed"] == ["ucpd"]
    assert (entry["purpose"], entry["case_number"]) == ("stolen_vehicle", "FR-2026-0042")


def test_the_federal_unit_gets_no_plate_from_a_california_owner(world: World) -> None:
    # it claims to be a municipal agency: the owner's catalog says federal, and decides
    payload = body(world.plate, agency="ice-ero-sf", purpose="stolen_vehicle")
    response = send(world, world.federal, payload)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["results"] == [] and answer["total"] == 0
    [owner] = answer["owners"]
    assert owner["agency"] == "ucpd" and not owner["allowed"]
    assert "ca-civ-1798.90.55b-no-federal" in owner["policy_ids"]
    assert world.plate not in response.text
    entry = world.log().entry(answer["audit_index"]).entry
    assert entry["query"]["search_id"] == payload["search_id"]
    assert entry["agency_facts"]["ice-ero-sf"]["class"] == "federal"
    assert entry["owners_denied"][0]["agency"] == "ucpd"
    assert entry["result_count"] == 0


def test_an_unsigned_request_is_refused(world: World) -> None:
    response = world.client.post(PATH, json=body(world.plate))
    refused(response, 401, "signature_missing")


def test_a_user_token_is_not_a_node_signature(world: World) -> None:
    response = world.client.post(
        PATH, json=body(world.plate), headers={"Authorization": "Bearer anything"}
    )
    refused(response, 401, "signature_missing")


def test_a_bad_signature_is_refused(world: World) -> None:
    raw = json.dumps(body(world.plate)).encode()
    headers = sign_request(world.fremont, "POST", URL, raw, created=int(time.time()))
    signature = headers["Signature"]
    flipped = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]
    response = world.client.post(PATH, content=raw, headers=headers | {"Signature": flipped})
    refused(response, 401, "signature_invalid")


def test_a_signature_by_another_key_under_a_registered_key_id_is_refused(
    world: World,
) -> None:
    raw = json.dumps(body(world.plate)).encode()
    forged = sign_request(NodeKey.generate(), "POST", URL, raw, created=int(time.time()))
    key_id = world.fremont.public.key_id
    forged["Signature-Input"] = forged["Signature-Input"].replace(
        forged["Signature-Input"].split('keyid="')[1].split('"')[0], key_id
    )
    refused(world.client.post(PATH, content=raw, headers=forged), 401, "signature_invalid")


def test_a_request_signed_for_another_path_is_refused(world: World) -> None:
    raw = json.dumps(body(world.plate)).encode()
    headers = sign_request(
        world.fremont, "POST", "http://testserver/v1/other", raw, created=int(time.time())
    )
    refused(world.client.post(PATH, content=raw, headers=headers), 401, "signature_invalid")


def test_a_request_signed_for_another_nodes_authority_takes_nothing_here(world: World) -> None:
    """Relayed with the ``Host`` it was signed for, a request for Hayward's node does not
    verify here, names the authority this node checks, and leaves its nonce and search
    UUID free: the same search, signed for this node, is answered."""
    payload = body(world.plate)
    raw = json.dumps(payload).encode()
    nonce = "relayed-0123456789"
    headers = sign_request(
        world.fremont, "POST", f"https://hayward.example{PATH}", raw,
        created=int(time.time()), nonce=nonce,
    )
    response = world.client.post(PATH, content=raw, headers=headers | {"Host": "hayward.example"})
    refused(response, 401, "signature_invalid")
    assert "`testserver`" in response.json()["error"]["message"]
    assert world.plate not in response.text
    assert searches_logged(world) == []
    assert send(world, world.fremont, payload, nonce=nonce).status_code == 200


def test_without_a_public_url_a_node_checks_the_address_it_is_served_at(world: World) -> None:
    """Unset, the public URL is ``http://HOST:PORT`` (127.0.0.1:8080 by default): a
    request signed for any other authority is refused, the message naming the one
    checked."""
    app: Any = world.client.app
    app.state.settings = world.settings.model_copy(update={"public_url": None})
    raw = json.dumps(body(world.plate)).encode()
    headers = sign_request(world.fremont, "POST", URL, raw, created=int(time.time()))
    response = world.client.post(PATH, content=raw, headers=headers)
    refused(response, 401, "signature_invalid")
    assert "`127.0.0.1:8080`" in response.json()["error"]["message"]
    served = f"http://127.0.0.1:8080{PATH}"
    headers = sign_request(world.fremont, "POST", served, raw, created=int(time.time()))
    assert world.client.post(PATH, content=raw, headers=headers).status_code == 200


@pytest.mark.parametrize("path", ["/v1/federation/hotlists", "/v1/federation/hits"])
def test_the_hot_list_routes_refuse_a_request_signed_for_another_node(
    world: World, path: str
) -> None:
    raw = b'{"list_id": 1}'
    headers = sign_request(
        world.fremont, "POST", f"https://hayward.example{path}", raw, created=int(time.time())
    )
    response = world.client.post(path, content=raw, headers=headers | {"Host": "hayward.example"})
    refused(response, 401, "signature_invalid")
    unsigned = world.client.post(
        path, content=b"{not json", headers={"Content-Type": "application/json"}
    )
    refused(unsigned, 401, "signature_missing")


def test_the_authority_checked_is_this_nodes_own_whatever_host_arrives(world: World) -> None:
    """A proxy in front of this node may rewrite ``Host``: a request signed for this
    node's public URL is answered whatever ``Host`` it arrives with."""
    raw = json.dumps(body(world.plate)).encode()
    headers = sign_request(world.fremont, "POST", URL, raw, created=int(time.time()))
    response = world.client.post(PATH, content=raw, headers=headers | {"Host": "10.0.0.7:8080"})
    assert response.status_code == 200, response.text
    assert [r["plate"] for r in response.json()["results"]] == [world.plate]


def test_a_body_changed_after_signing_is_refused(world: World) -> None:
    payload = body(world.plate)
    changed = json.dumps(
        body(world.plate, agency="ice-ero-sf") | {"search_id": payload["search_id"]}
    ).encode()
    response = send(world, world.fremont, payload, tamper=changed)
    refused(response, 401, "digest_mismatch")


def test_an_old_signature_is_refused(world: World) -> None:
    response = send(world, world.fremont, body(world.plate), created=int(time.time()) - 3600)
    refused(response, 401, "signature_expired")


def test_the_window_is_five_minutes_either_way(world: World) -> None:
    now = int(time.time())
    assert send(world, world.fremont, body(world.plate), created=now - 280).status_code == 200
    assert send(world, world.fremont, body(world.plate), created=now + 280).status_code == 200
    refused(
        send(world, world.fremont, body(world.plate), created=now - 320), 401, "signature_expired"
    )


def test_a_signature_from_the_future_is_refused(world: World) -> None:
    response = send(world, world.fremont, body(world.plate), created=int(time.time()) + 3600)
    refused(response, 401, "signature_expired")


def test_a_replayed_request_is_refused(world: World) -> None:
    raw = json.dumps(body(world.plate)).encode()
    headers = sign_request(world.fremont, "POST", URL, raw, created=int(time.time()))
    first = world.client.post(PATH, content=raw, headers=headers)
    assert first.status_code == 200, first.text
    again = world.client.post(PATH, content=raw, headers=headers)
    refused(again, 401, "replayed_request")
    assert len(searches_logged(world)) == 1


def test_an_unknown_key_is_refused(world: World) -> None:
    refused(send(world, NodeKey.generate(), body(world.plate)), 401, "unknown_node")


def test_a_revoked_key_is_refused_from_the_next_request(world: World) -> None:
    assert send(world, world.fremont, body(world.plate)).status_code == 200
    world.registry().revoke(operator(), "fremont")
    refused(send(world, world.fremont, body(world.plate)), 403, "node_revoked")


def test_a_node_claiming_an_agency_it_is_not_registered_for_is_refused(world: World) -> None:
    response = send(world, world.federal, body(world.plate, agency="fpd"))
    refused(response, 403, "agency_not_registered")
    assert world.plate not in response.text


def test_refused_requests_leave_no_search_in_the_log(world: World) -> None:
    send(world, NodeKey.generate(), body(world.plate))
    send(world, world.fremont, body(world.plate), created=1)
    send(world, world.federal, body(world.plate, agency="fpd"))
    assert searches_logged(world) == []


def test_a_malformed_signed_body_is_a_clear_422(world: World) -> None:
    response = send(world, world.fremont, {"search_id": "not a uuid"})
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "invalid_request"


def test_a_signed_body_that_is_not_json_is_a_422_once_verified(world: World) -> None:
    raw = b"{not json"
    headers = sign_request(world.fremont, "POST", URL, raw, created=int(time.time()))
    refused(world.client.post(PATH, content=raw, headers=headers), 422, "invalid_request")


def test_an_unsigned_body_that_is_not_json_is_refused_as_unsigned(world: World) -> None:
    response = world.client.post(
        PATH, content=b"{not json", headers={"Content-Type": "application/json"}
    )
    refused(response, 401, "signature_missing")


@pytest.mark.parametrize("index", [2**53, 2**64, -1])
def test_an_index_the_log_cannot_write_is_a_422_that_takes_nothing(
    world: World, index: int
) -> None:
    """Indexes a request carries are at most 2**53 - 1 (RFC 8785 writes no larger integer
    exactly): a larger one is refused before the search UUID is taken or anything is
    logged; the same UUID with the largest index is then answered and recorded."""
    payload = body(world.plate, requester_audit_index=index)
    refused(send(world, world.fremont, payload), 422, "invalid_request")
    approval = {
        "approval_id": str(uuid.uuid4()),
        "approved_by": "sgt-fran",
        "decided_at": datetime.now(UTC).isoformat(),
        "plate": world.plate,
        "legal_basis": {"kind": "warrant", "number": "W-1", "court": "Alameda County"},
        "decision_audit_index": index,
    }
    refused(send(world, world.fremont, body(world.plate, approval=approval)), 422,
            "invalid_request")  # fmt: skip
    assert searches_logged(world) == []
    answered = send(world, world.fremont, payload | {"requester_audit_index": 2**53 - 1})
    assert answered.status_code == 200, answered.text
    [entry] = searches_logged(world)
    assert entry["requesting_audit_index"] == 2**53 - 1


def test_a_denied_owner_reads_change_nothing_in_the_answer(world: World) -> None:
    """Non-interference: Hayward (an owner with no agreement with Fremont) reading the
    same plate changes nothing a Fremont search or export is answered, but the owners
    listed."""
    catalog = open_catalog(world.settings, password_hasher=FAST)
    try:
        hayward = catalog.add_agency("Hayward PD", "hpd", "municipal", "CA")
        catalog.add_camera("hw-1", hayward.id, lat=37.67, lon=-122.08)
        key = catalog.issue_api_key(hayward.id, label="camera")
    finally:
        catalog.close()

    kinds = {  # every kind that returns reads, each asked of the same plate
        "exact": {"plate": world.plate},
        "wildcard": {"plate": world.plate[:-1] + "?"},
        "fuzzy": {"plate": world.plate},
        "timeline": {"plate": world.plate},
    }

    def asked(kind: str = "exact", path: str = PATH) -> dict[str, Any]:
        payload = body(world.plate, kind=kind, params=kinds[kind])
        if path == EXPORT_PATH:
            payload["max_rows"] = 100
        response = send(world, world.fremont, payload, path=path)
        assert response.status_code == 200, response.text
        answer = dict(response.json())
        for varying in ("search_id", "audit_index"):
            answer.pop(varying)
        return answer

    before = {kind: asked(kind) for kind in kinds}
    exported = {kind: asked(kind, EXPORT_PATH) for kind in kinds}
    assert [r["camera_id"] for r in exported["exact"]["results"]] == ["uc-1"]
    read = {
        "camera_id": "hw-1",
        "ts": int(time.time() * 1000) - 30_000,
        "plate": world.plate,
        "confidence": 0.9,
        "region": "CA",
    }
    posted = world.client.post("/v1/reads", json=[read], headers={"X-API-Key": key})
    assert posted.status_code == 200, posted.text
    for kind in kinds:
        assert asked(kind) == before[kind], kind
        assert asked(kind, EXPORT_PATH) == exported[kind], f"export {kind}"
    after = asked("exact")
    denied = {o["agency"]: o for o in after["owners"]}["hpd"]
    assert not denied["allowed"] and denied["policy_ids"] and denied["returned"] == 0
    assert [r["camera_id"] for r in after["results"]] == ["uc-1"]


@pytest.mark.parametrize(
    "headers",
    [
        {"Signature-Input": "sig1=()", "Signature": "sig1=::"},
        {
            "Signature-Input": 'sig1=("@method");created=999999999999999;keyid="'
            + "k" * 500
            + '";nonce="'
            + "n" * 64
            + '"',
            "Signature": "sig1=:AA==:",
        },
        {
            "Signature-Input": 'sig1=("@target-uri" "@method" "@authority" "@path" "@query" '
            '"content-digest" "content-type");created=1;keyid="k";nonce="0123456789abcdef";'
            'tag="plateledger-federation"',
            "Signature": "sig1=:AA==:",
            "Content-Digest": "sha-512=:AA==:",
        },
        {
            "Signature-Input": 'sig1=("@method");created=1;keyid="k\u00e9";nonce="x"',
            "Signature": "sig1=:AA==:",
        },
    ],
)
def test_odd_signature_headers_are_refused_never_a_500(
    world: World, headers: dict[str, str]
) -> None:
    response = world.client.post(
        PATH,
        content=json.dumps(body(world.plate)).encode(),
        headers={"Content-Type": "application/json"} | {k: v.encode() for k, v in headers.items()},
    )
    assert response.status_code in (401, 403), response.text
    assert response.json()["error"]["code"].startswith(("signature_", "digest_"))


def test_a_remote_user_without_a_searching_role_is_denied_by_the_role_pack(
    world: World,
) -> None:
    payload = body(world.plate)
    payload["requester"] = payload["requester"] | {"roles": ["admin", "auditor"]}
    response = send(world, world.fremont, payload)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["results"] == [] and world.plate not in response.text
    assert "role-search" in answer["owners"][0]["policy_ids"]


def test_a_partners_case_number_reaches_no_held_copy_of_this_node(world: World) -> None:
    """A legal hold here keeps a Union City read for a case numbered as Fremont's case is:
    Fremont's search under that number is answered from the live reads only (a partner's
    case number names its own case, not this node's)."""
    state = world.client.app.state
    now = datetime.now(UTC)
    catalog = open_catalog(world.settings, password_hasher=FAST)
    try:
        ucpd = catalog.agency_by_slug("ucpd")
        assert ucpd is not None
    finally:
        catalog.close()
    kept = make_read(world.plate, camera="uc-1", owner=ucpd.id, minutes_ago=300, keep_days=0.1)
    state.store.insert_reads([kept])
    state.retention.holds.place(
        LegalHold(
            case_number="FR-2026-0042",
            reason="evidence in a robbery",
            approver="sgt. ramos",
            owner_agency=ucpd.id,
            selection=ReadSelection(plates=(world.plate,)),
            expires_at=now + timedelta(days=30),
        ),
        placed_by="ucpd-admin",
        now=now,
    )
    state.retention.run_once(now)  # the read's clock has passed: copied, then purged
    response = send(world, world.fremont, body(world.plate))
    assert response.status_code == 200, response.text
    answer = response.json()
    assert [r["read_id"] for r in answer["results"]] != [] and all(
        r["held_for"] is None for r in answer["results"]
    )
    assert str(kept.read_id) not in response.text
