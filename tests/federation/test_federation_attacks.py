"""Attacks on federation's promises (docs/federation.md), each written as the promise it
tries to break: a test that passes is a promise that held; one that fails is a hole.

The owner is Union City's node (the whole app, `create_app`, over its own catalog, audit
log and read store). Registered with it: Fremont's node (a California city with an
agreement), a federal unit's node, and Hayward's node (a California city with no
agreement). The attackers are those nodes' keys, and whoever sees their signed requests
on the way. Union City has every pattern of life of its data approved by a supervisor
(`locate_approval_required`).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from plateledger.access.federated_exports import EXPORT_PATH
from plateledger.access.shared_hotlists import HITS_PATH, LISTS_PATH
from plateledger.api.app import create_app
from plateledger.audit import AuditLog, NoteSigner
from plateledger.audit.witness import (
    CatalogWitnessState,
    WitnessRefusal,
    WitnessService,
    add_checkpoint_body,
    split_note,
)
from plateledger.catalog import open_catalog
from plateledger.catalog.approvals import set_search_rules
from plateledger.catalog.passwords import FAST
from plateledger.catalog.shared_hotlists import shared_hit_outbox, shared_hotlists
from plateledger.federation import NodeKey, NodeRegistry, NodeVerifier, sign_request
from plateledger.federation.errors import RequestRefused
from plateledger.federation.registry import operator
from plateledger.federation.signatures import request_parts
from plateledger.federation.witnessing import partner_log_keys, witness_cosigner
from plateledger.settings import Settings
from tests.access.conftest import PASSWORD
from tests.audit.conftest import search as search_entry
from tests.federation.test_searches import body

PATH = "/v1/federation/searches"
URL = f"http://testserver{PATH}"
NO_FEDERAL = "ca-civ-1798.90.55b-no-federal"
CLOSED = "http://127.0.0.1:9"
"""Where the partners' nodes are registered: nothing listens (a push or hit fails fast)."""
WARRANT = {"kind": "warrant", "number": "W-2026-17", "court": "Alameda County Superior Court"}


def new_plate(prefix: str) -> str:
    return prefix + uuid.uuid4().hex[:5].upper().replace("0", "A").replace("O", "B")


@dataclass
class Owner:
    client: TestClient
    settings: Settings
    plate: str
    camera_key: str
    fremont: NodeKey
    federal: NodeKey
    hayward: NodeKey
    _opened: list[Any] = field(default_factory=list)

    def catalog(self) -> Any:
        catalog = open_catalog(self.settings, password_hasher=FAST)
        self._opened.append(catalog)
        return catalog

    def log(self) -> AuditLog:
        return AuditLog(self.catalog().engine, signer=None)

    def entries(self, kind: str) -> list[dict[str, Any]]:
        log = self.log()
        return [r.entry for r in log.entries(0, log.size()) if r.entry["type"] == kind]

    def read(self, plate: str) -> None:
        read = {
            "camera_id": "uc-1",
            "ts": int(time.time() * 1000) - 60_000,
            "plate": plate,
            "confidence": 0.9,
            "region": "CA",
        }
        posted = self.client.post("/v1/reads", json=[read], headers={"X-API-Key": self.camera_key})
        assert posted.status_code == 200, posted.text

    def close(self) -> None:
        for catalog in self._opened:
            catalog.close()


@pytest.fixture
def owner(tmp_path: Path, store_path: Path) -> Iterator[Owner]:
    settings = Settings(
        data_dir=tmp_path / "owner",
        store_path=store_path,
        secret_key="k" * 32,
        require_totp=False,
        federation_timeout_seconds=5.0,
        public_url="http://testserver",  # the URL its partners reach it at (the test client)
    )
    catalog = open_catalog(settings, password_hasher=FAST)
    fremont, federal, hayward = NodeKey.generate(), NodeKey.generate(), NodeKey.generate()
    try:
        ucpd = catalog.add_agency("Union City PD", "ucpd", "municipal", "CA")
        fpd = catalog.add_agency("Fremont PD", "fpd", "municipal", "CA")
        catalog.add_agency("ICE ERO San Francisco", "ice-ero-sf", "federal", "CA")
        catalog.add_agency("Hayward PD", "hpd", "municipal", "CA")
        catalog.add_agreement(
            ucpd.id,
            fpd.id,
            actions=["search", "export", "receive_alert"],
            purposes=["stolen_vehicle"],
            created_by="chief",
        )
        catalog.add_user(ucpd.id, "sam", PASSWORD, ["supervisor"])
        catalog.add_camera("uc-1", ucpd.id, lat=37.59, lon=-122.02)
        key = catalog.issue_api_key(ucpd.id, label="camera")
        registry = NodeRegistry(catalog, AuditLog(catalog.engine, signer=None))
        registry.add(operator(), "fremont", CLOSED, fremont.public.text(), ["fpd"])
        registry.add(operator(), "federal", CLOSED, federal.public.text(), ["ice-ero-sf"])
        registry.add(operator(), "hayward", CLOSED, hayward.public.text(), ["hpd"])
        with catalog.engine.begin() as conn:
            set_search_rules(
                conn,
                ucpd.id,
                case_number_pattern=None,
                locate_approval_required=True,
                now=datetime.now(UTC),
            )
    finally:
        catalog.close()
    plate = new_plate("7A")
    with TestClient(create_app(settings)) as client:
        found = Owner(client, settings, plate, key, fremont, federal, hayward)
        found.read(plate)
        try:
            yield found
        finally:
            found.close()


def signed(
    key: NodeKey,
    payload: Any,
    *,
    url: str = URL,
    method: str = "POST",
    created: int | None = None,
    nonce: str | None = None,
    content_type: str = "application/json",
) -> tuple[bytes, dict[str, str]]:
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    headers = sign_request(
        key,
        method,
        url,
        raw,
        created=created or int(time.time()),
        nonce=nonce,
        content_type=content_type,
    )
    return raw, headers


def send(owner: Owner, key: NodeKey, payload: Any, path: str = PATH, **kw: Any) -> Any:
    raw, headers = signed(key, payload, url=f"http://testserver{path}", **kw)
    return owner.client.post(path, content=raw, headers=headers)


def refused(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code, response.text
    assert "results" not in response.json()


# --- what the signature binds ---------------------------------------------------------


def test_a_request_signed_for_another_nodes_authority_is_refused(owner: Owner) -> None:
    """Fremont signs a search for Hayward's node. Hayward (or anyone on the path to it:
    its TLS-terminating proxy) relays it, byte for byte, to Union City, keeping the
    `Host` it was signed for. Union City has never seen its nonce nor its search UUID:
    if it answers, Hayward gets Union City's reads released to Fremont, and Union City's
    log says Fremont asked."""
    payload = body(owner.plate)
    raw, headers = signed(owner.fremont, payload, url=f"https://hayward.example{PATH}")
    response = owner.client.post(PATH, content=raw, headers=headers | {"Host": "hayward.example"})
    assert owner.plate not in response.text
    refused(response, 401, "signature_invalid")


def test_a_changed_query_string_is_refused(owner: Owner) -> None:
    raw, headers = signed(owner.fremont, body(owner.plate))
    refused(
        owner.client.post(PATH + "?limit=1000", content=raw, headers=headers),
        401,
        "signature_invalid",
    )
    raw, headers = signed(owner.fremont, body(owner.plate), url=URL + "?a=1")
    refused(owner.client.post(PATH, content=raw, headers=headers), 401, "signature_invalid")


def test_a_request_signed_for_another_method_is_refused(owner: Owner) -> None:
    raw, headers = signed(owner.fremont, body(owner.plate), method="PUT")
    refused(owner.client.post(PATH, content=raw, headers=headers), 401, "signature_invalid")


def test_a_changed_content_type_is_refused(owner: Owner) -> None:
    raw, headers = signed(owner.fremont, body(owner.plate))
    changed = headers | {"Content-Type": "application/json; charset=latin-1"}
    refused(owner.client.post(PATH, content=raw, headers=changed), 401, "signature_invalid")


def test_a_search_signature_is_refused_on_the_export_route(owner: Owner) -> None:
    """A search is not an export: a signed search relayed to the export route (a separate
    action, which the agreement may not grant) is refused."""
    raw, headers = signed(owner.fremont, body(owner.plate) | {"max_rows": 10})
    refused(owner.client.post(EXPORT_PATH, content=raw, headers=headers), 401, "signature_invalid")
    assert owner.entries("export") == []


@pytest.mark.parametrize("order", ["signed_last", "tampered_last"])
def test_a_second_content_digest_header_does_not_smuggle_a_changed_body(
    owner: Owner, order: str
) -> None:
    payload = body(owner.plate)
    _raw, headers = signed(owner.fremont, payload)
    tampered = json.dumps(
        body(owner.plate, agency="fpd", search_id=payload["search_id"], purpose="immigration")
    ).encode()
    from plateledger.federation.signatures import content_digest

    digests = [content_digest(tampered), headers["Content-Digest"]]
    if order == "tampered_last":
        digests.reverse()
    listed = [(k, v) for k, v in headers.items() if k != "Content-Digest"]
    listed += [("Content-Digest", d) for d in digests]
    response = owner.client.post(PATH, content=tampered, headers=listed)
    assert response.status_code == 401, response.text
    assert owner.entries("search") == []


def test_a_replayed_request_is_refused_and_logged_once(owner: Owner) -> None:
    raw, headers = signed(owner.fremont, body(owner.plate))
    assert owner.client.post(PATH, content=raw, headers=headers).status_code == 200
    refused(owner.client.post(PATH, content=raw, headers=headers), 401, "replayed_request")
    assert len(owner.entries("search")) == 1


def test_a_request_from_the_future_is_never_accepted_twice(owner: Owner) -> None:
    """A request made 5 minutes ahead of the owner's clock is good for 10 minutes; its
    nonce must be remembered for all of them. Checked with the owner's verifier at the
    edges of the window (the clock given, not waited for)."""
    verifier = NodeVerifier(owner.catalog().engine)
    start = datetime.now(UTC).replace(microsecond=0)
    raw, headers = signed(owner.fremont, body(owner.plate), created=int(start.timestamp()) + 300)
    fields = {k.lower(): v for k, v in headers.items()}
    parts = request_parts("POST", URL)
    assert verifier.verify(parts, fields, raw, now=start).name == "fremont"
    for later in (1, 299, 300, 599, 600):
        # another node's request at that time purges what is old
        other_raw, other = signed(
            owner.hayward, body(owner.plate, agency="hpd"), created=int(start.timestamp()) + later
        )
        verifier.verify(
            parts,
            {k.lower(): v for k, v in other.items()},
            other_raw,
            now=start + timedelta(seconds=later),
        )
        with pytest.raises(RequestRefused) as caught:
            verifier.verify(parts, fields, raw, now=start + timedelta(seconds=later))
        assert caught.value.code == "replayed_request", later
    for later in (601, 900, 3600):
        with pytest.raises(RequestRefused) as caught:
            verifier.verify(parts, fields, raw, now=start + timedelta(seconds=later))
        assert caught.value.code == "signature_expired", later
        # (it was signed 300 s ahead of `start`)
        assert f"made {later - 300} s ago" in caught.value.message, caught.value.message
    with pytest.raises(RequestRefused) as caught:  # a clock ahead: said as it is
        verifier.verify(parts, fields, raw, now=start - timedelta(seconds=900))
    assert "made 1200 s in the future" in caught.value.message, caught.value.message


def test_a_signature_with_a_revoked_key_is_refused_even_if_fresh(owner: Owner) -> None:
    raw, headers = signed(owner.fremont, body(owner.plate))  # signed before the revocation
    registry = NodeRegistry(owner.catalog(), owner.log())
    registry.revoke(operator(), "fremont")
    refused(owner.client.post(PATH, content=raw, headers=headers), 403, "node_revoked")
    assert owner.entries("search") == []


def test_a_node_cannot_ask_for_an_agency_it_is_not_registered_for(owner: Owner) -> None:
    for agency in ("fpd", "ucpd", "no-such-agency"):
        response = send(owner, owner.federal, body(owner.plate, agency=agency))
        refused(response, 403, "agency_not_registered")
        assert owner.plate not in response.text
    assert owner.entries("search") == []


# --- the remote principal --------------------------------------------------------------


def test_the_class_and_roles_a_node_claims_do_not_open_a_california_owner_to_a_federal_unit(
    owner: Owner,
) -> None:
    payload = body(owner.plate, agency="ice-ero-sf")
    payload["requester"] |= {
        "agency_class": "municipal",
        "roles": ["supervisor", "investigator", "admin", "auditor"],
    }
    response = send(owner, owner.federal, payload)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["results"] == [] and owner.plate not in response.text
    assert NO_FEDERAL in answer["owners"][0]["policy_ids"]
    [entry] = owner.entries("search")
    assert entry["agency_facts"]["ice-ero-sf"]["class"] == "federal"


def test_a_node_without_an_agreement_gets_nothing_whatever_purpose_it_claims(
    owner: Owner,
) -> None:
    for purpose in ("stolen_vehicle", "amber_alert", "homicide"):
        response = send(owner, owner.hayward, body(owner.plate, agency="hpd", purpose=purpose))
        assert response.status_code == 200, response.text
        assert response.json()["results"] == [] and owner.plate not in response.text


def locate(plate: str, **changes: Any) -> dict[str, Any]:
    return body(plate, kind="locate", legal_basis=WARRANT, **changes)


def test_a_supervisor_role_claimed_does_not_skip_the_owners_approval(owner: Owner) -> None:
    payload = locate(owner.plate)
    payload["requester"] |= {"roles": ["supervisor"]}
    response = send(owner, owner.fremont, payload)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["results"] == [] and answer["pattern"] is None
    assert [o["code"] for o in answer["owners"]] == ["approval_required"]


def approval(plate: str, approval_id: str | None = None, **changes: Any) -> dict[str, Any]:
    return {
        "approval_id": approval_id or str(uuid.uuid4()),
        "approved_by": "sgt-fran",
        "decided_at": datetime.now(UTC).isoformat(),
        "plate": plate,
        "legal_basis": WARRANT,
        "decision_audit_index": 12,
    } | changes


def test_a_vouched_approval_is_bound_to_its_plate_and_legal_basis_and_used_once(
    owner: Owner,
) -> None:
    other = {"kind": "court_order", "number": "CO-9", "court": "Alameda County Superior Court"}
    for wrong in (approval(new_plate("7Z")), approval(owner.plate, legal_basis=other)):
        refused(
            send(owner, owner.fremont, locate(owner.plate, approval=wrong)),
            422,
            "approval_mismatch",
        )
    refused(
        send(owner, owner.fremont, body(owner.plate, approval=approval(owner.plate))),
        422,
        "approval_mismatch",
    )
    granted = approval(owner.plate)
    first = send(owner, owner.fremont, locate(owner.plate, approval=granted))
    assert first.status_code == 200, first.text
    assert first.json()["owners"][0]["allowed"] is True
    refused(send(owner, owner.fremont, locate(owner.plate, approval=granted)), 409, "approval_used")


def test_a_vouched_approval_does_not_open_an_owner_the_decision_denies(owner: Owner) -> None:
    """An approval only lifts the wait for a supervisor: a federal unit with one (forged,
    as any node can vouch for its own) still gets nothing from a California owner."""
    payload = locate(owner.plate, agency="ice-ero-sf", approval=approval(owner.plate))
    response = send(owner, owner.federal, payload)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["results"] == [] and answer["total"] == 0
    pattern = answer["pattern"]
    assert pattern is None or (
        pattern["places"] == [] and not any(pattern["by_hour"]) and not any(pattern["by_weekday"])
    )
    assert owner.plate not in response.text
    assert NO_FEDERAL in answer["owners"][0]["policy_ids"]


# --- search UUIDs -----------------------------------------------------------------------


def test_a_search_uuid_is_answered_once_per_node(owner: Owner) -> None:
    payload = body(owner.plate)
    assert send(owner, owner.fremont, payload).status_code == 200
    refused(send(owner, owner.fremont, payload), 409, "search_id_reused")
    refused(
        send(owner, owner.fremont, payload | {"max_rows": 5}, path=EXPORT_PATH),
        409,
        "search_id_reused",
    )
    assert len(owner.entries("search")) == 1 and owner.entries("export") == []


def test_another_nodes_use_of_a_search_uuid_neither_blocks_nor_joins_it(owner: Owner) -> None:
    """The federal unit, having seen Fremont's search UUID, uses it first: Fremont's search
    is still answered, and the two entries name their own nodes."""
    shared = str(uuid.uuid4())
    federal = send(owner, owner.federal, body(owner.plate, agency="ice-ero-sf", search_id=shared))
    assert federal.status_code == 200, federal.text
    fremont = send(owner, owner.fremont, body(owner.plate, search_id=shared))
    assert fremont.status_code == 200, fremont.text
    assert [r["plate"] for r in fremont.json()["results"]] == [owner.plate]
    nodes = {
        e["requesting_node"] for e in owner.entries("search") if e["query"]["search_id"] == shared
    }
    assert nodes == {"federal", "fremont"}


# --- bad input on the signed routes --------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        b"\xff\xfe not utf-8",
        b"[1, 2, 3]",
        b"{" * 5000,
        b'{"search_id": NaN}',
        b"",
    ],
)
def test_a_malformed_signed_body_is_a_4xx_never_a_500(owner: Owner, raw: bytes) -> None:
    response = send(owner, owner.fremont, raw)
    assert 400 <= response.status_code < 500, response.text
    assert "Traceback" not in response.text


@pytest.mark.parametrize(
    "field_path",
    [("requester_audit_index",), ("approval", "decision_audit_index")],
)
def test_an_out_of_range_index_in_a_signed_body_is_refused_not_a_failed_audit(
    owner: Owner, field_path: tuple[str, ...]
) -> None:
    payload = locate(owner.plate, approval=approval(owner.plate))
    if field_path == ("requester_audit_index",):
        payload["requester_audit_index"] = 2**64
    else:
        payload["approval"]["decision_audit_index"] = 2**64
    response = send(owner, owner.fremont, payload)
    assert 400 <= response.status_code < 500, response.text
    assert owner.plate not in response.text


@pytest.mark.parametrize(
    "headers",
    [
        {
            "Signature-Input": 'sig1=("@method" "@authority" "@path" "@query" "content-digest" '
            '"content-type");created=abc;keyid="k";nonce="0123456789abcdef"',
            "Signature": "sig1=:AA==:",
        },
        {
            "Signature-Input": 'sig1=("@method" "@authority" "@path" "@query" "content-digest" '
            '"content-type");created=1;keyid="k";nonce="0123456789abcdef";created=2',
            "Signature": "sig1=:AA==:",
        },
        {
            "Signature-Input": 'sig1=("@method" "@authority" "@path" "@query" "content-digest" '
            '"content-type");created=1;keyid="k";nonce="0123456789abcdef"',
            "Signature": "sig2=:AA==:",
        },
        {"Signature-Input": 'sig1=("@method")' + ";x=1" * 5000, "Signature": "sig1=:AA==:"},
        {
            "Signature-Input": 'sig1=("@method" "@authority" "@path" "@query" "content-digest" '
            '"content-type");created=-999999999999999;keyid="k";nonce="0123456789abcdef"',
            "Signature": "sig1=:!!:",
        },
    ],
)
def test_odd_signature_headers_are_a_401_never_a_500(owner: Owner, headers: dict[str, str]) -> None:
    response = owner.client.post(
        PATH,
        content=json.dumps(body(owner.plate)).encode(),
        headers={"Content-Type": "application/json"} | headers,
    )
    assert response.status_code in (401, 403), response.text


def test_an_unsigned_malformed_body_is_refused_as_unsigned(owner: Owner) -> None:
    """The signature is checked before the body is read: an unsigned request learns
    nothing of how its body would be read."""
    response = owner.client.post(
        PATH, content=b"{not json", headers={"Content-Type": "application/json"}
    )
    refused(response, 401, "signature_missing")


# --- the requesting side, facing a partner that answers badly ---------------------------


class RoguePartner:
    """A partner node that answers every signed search with ``answer`` (made from the
    request's own search UUID): what an attacker's node, or a broken one, may send back."""

    def __init__(self, answer: Any) -> None:
        shape = answer

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                payload = json.loads(raw)
                out = json.dumps(shape(payload)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def answered(audit_index: int = 7, total: int = 1, lat: float = 37.6) -> Any:
    """An answer allowing Union City's agency, with one read of the plate searched."""

    def shape(payload: dict[str, Any]) -> dict[str, Any]:
        plate = payload["params"]["plate"]
        read = {
            "read_id": str(uuid.uuid4()),
            "owner_id": 1,
            "origin_state": "CA",
            "camera_id": "uc-1",
            "ts": datetime.now(UTC).isoformat(),
            "plate": plate,
            "plate_raw": plate,
            "region": "CA",
            "confidence": 0.9,
            "lat": lat,
            "lon": -122.0,
            "heading": None,
        }
        return {
            "search_id": payload["search_id"],
            "kind": payload["kind"],
            "audit_index": audit_index,
            "total": total,
            "results": [read],
            "owners": [{"agency": "ucpd", "owner_id": 1, "allowed": True, "returned": 1}],
        }

    return shape


def fremont_with_partner(
    tmp_path: Path, store_path: Path, partner_url: str, lat: float, lon: float
) -> tuple[Settings, str]:
    """Fremont's node, with its investigator ``fred`` and camera ``fr-1`` at ``lat, lon``,
    whose one partner, Union City's node, answers at ``partner_url``: its settings and
    the camera's key."""
    settings = Settings(
        data_dir=tmp_path / "fremont",
        store_path=store_path,
        secret_key="k" * 32,
        require_totp=False,
        federation_timeout_seconds=5.0,
    )
    catalog = open_catalog(settings, password_hasher=FAST)
    try:
        fpd = catalog.add_agency("Fremont PD", "fpd", "municipal", "CA")
        catalog.add_agency("Union City PD", "ucpd", "municipal", "CA")
        catalog.add_user(fpd.id, "fred", PASSWORD, ["investigator"])
        catalog.add_camera("fr-1", fpd.id, lat=lat, lon=lon)
        camera_key = catalog.issue_api_key(fpd.id, label="camera")
        NodeRegistry(catalog, AuditLog(catalog.engine, signer=None)).add(
            operator(), "unioncity", partner_url, NodeKey.generate().public.text(), ["ucpd"]
        )
    finally:
        catalog.close()
    return settings, camera_key


def fred_searches(client: TestClient, plate: str, case_number: str) -> Any:
    """Fremont's investigator's exact search for ``plate`` (federated to the partner)."""
    token = client.post("/v1/auth/token", json={"username": "fred", "password": PASSWORD})
    assert token.status_code == 200, token.text
    return client.post(
        "/v1/searches",
        json={
            "kind": "exact",
            "params": {"plate": plate},
            "purpose": "stolen_vehicle",
            "offense_type": "240",
            "case_number": case_number,
            "reason": "stolen pickup",
        },
        headers={"Authorization": f"Bearer {token.json()['access_token']}"},
    )


@pytest.mark.parametrize(
    ("answer", "sane"),
    [
        (answered(), True),
        (answered(audit_index=2**64), False),
        (answered(total=2**64), False),
        (answered(lat=float("nan")), False),
    ],
    ids=["sane", "huge_audit_index", "huge_total", "nan_coordinate"],
)
def test_a_partner_answering_out_of_range_numbers_does_not_sink_the_local_search(
    tmp_path: Path, store_path: Path, answer: Any, sane: bool
) -> None:
    """Docs: a refusing or broken partner is listed unavailable and the local results
    still come back. A partner whose answer carries a number the audit log cannot
    record, or JSON cannot carry, must not make every search of the requester's users
    fail."""
    rogue = RoguePartner(answer)
    settings, camera_key = fremont_with_partner(tmp_path, store_path, rogue.url, 37.55, -121.98)
    plate = new_plate("7F")
    try:
        with TestClient(create_app(settings)) as client:
            read = {
                "camera_id": "fr-1",
                "ts": int(time.time() * 1000) - 60_000,
                "plate": plate,
                "confidence": 0.9,
                "region": "CA",
            }
            posted = client.post("/v1/reads", json=[read], headers={"X-API-Key": camera_key})
            assert posted.status_code == 200, posted.text
            response = fred_searches(client, plate, "FR-1")
    finally:
        rogue.close()
    assert response.status_code == 200, response.text
    page = response.json()
    [union_city] = page["remote_owners"]
    if sane:  # the control: the partner's read is merged in
        assert union_city["status"] == "allowed"
        assert [r["plate"] for r in page["results"]] == [plate, plate]
    else:
        assert plate in [r["plate"] for r in page["results"]]


# --- hot lists across nodes -------------------------------------------------------------


def push(
    plates: list[str], list_id: int = 41, agency: str = "fpd", version: int = 1, **changes: Any
) -> dict[str, Any]:
    return {
        "list_id": list_id,
        "agency": agency,
        "change": "share",
        "version": version,
        "name": f"list-{list_id}-{agency}",
        "source": "partner",
        "category": "stolen_vehicle",
        "entries": [
            {"id": n + 1, "plate": p, "reason": "stolen", "case_number": "C-1"}
            for n, p in enumerate(plates)
        ],
    } | changes


def until(found: Any, what: str, wait: float = 20.0) -> Any:
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        value = found()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"no {what} within {wait} s")


def outbox(owner: Owner) -> list[Any]:
    with owner.catalog().engine.connect() as conn:
        return list(conn.execute(select(shared_hit_outbox)))


def test_a_list_pushed_for_an_agency_the_node_is_not_registered_for_is_refused(
    owner: Owner,
) -> None:
    for agency in ("fpd", "ucpd"):
        response = send(
            owner, owner.federal, push([new_plate("7L")], agency=agency), path=LISTS_PATH
        )
        refused(response, 403, "agency_not_registered")
    with owner.catalog().engine.connect() as conn:
        assert list(conn.execute(select(shared_hotlists))) == []


def test_a_node_cannot_replace_or_end_another_nodes_shared_list(owner: Owner) -> None:
    plate = new_plate("7M")
    first = send(owner, owner.fremont, push([plate], list_id=41), path=LISTS_PATH)
    assert first.status_code == 200, first.text
    # Hayward pushes the same remote list id, a higher version, and then ends it
    for change in ("update", "unshare"):
        rival = push(
            [] if change == "unshare" else [new_plate("7N")],
            list_id=41,
            agency="hpd",
            version=9,
            change=change,
        )
        response = send(owner, owner.hayward, rival, path=LISTS_PATH)
        assert response.status_code in (200, 403, 404, 409), response.text
    with owner.catalog().engine.connect() as conn:
        rows = {r.node: r for r in conn.execute(select(shared_hotlists))}
    assert rows["fremont"].list_id is not None and rows["fremont"].version == 1
    assert rows["fremont"].unshared_at is None


def test_a_federal_lists_hit_on_a_california_read_is_withheld_and_never_queued(
    owner: Owner,
) -> None:
    plate = new_plate("7H")
    response = send(owner, owner.federal, push([plate], agency="ice-ero-sf"), path=LISTS_PATH)
    assert response.status_code == 200, response.text
    owner.read(plate)
    withheld = until(
        lambda: [e for e in owner.entries("alert_withheld") if e.get("list_node") == "federal"],
        "withheld entry",
    )
    assert NO_FEDERAL in json.dumps(withheld)
    assert plate not in json.dumps(withheld)
    assert outbox(owner) == []
    assert [e for e in owner.entries("alert_delivery") if e.get("list_node") == "federal"] == []


def test_an_allowed_hit_is_queued_for_the_list_owners_node_only(owner: Owner) -> None:
    """The control of the test above: Fremont's list (an agreement that lets Fremont
    receive alerts) gets the hit queued, for Fremont's node."""
    plate = new_plate("7K")
    response = send(owner, owner.fremont, push([plate], list_id=77), path=LISTS_PATH)
    assert response.status_code == 200, response.text
    owner.read(plate)
    rows = until(lambda: outbox(owner), "queued hit")
    assert {r.node for r in rows} == {"fremont"}


def test_a_partners_shared_list_is_not_shown_to_this_nodes_users(owner: Owner) -> None:
    plate = new_plate("7V")
    pushed = send(owner, owner.fremont, push([plate], list_id=55), path=LISTS_PATH)
    assert pushed.status_code == 200, pushed.text
    token = owner.client.post("/v1/auth/token", json={"username": "sam", "password": PASSWORD})
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    with owner.catalog().engine.connect() as conn:
        [row] = [r for r in conn.execute(select(shared_hotlists)) if r.node == "fremont"]
    listed = owner.client.get("/v1/hotlists", headers=headers)
    assert listed.status_code == 200 and plate not in listed.text
    entries = owner.client.get(f"/v1/hotlists/{row.list_id}/entries", headers=headers)
    assert entries.status_code == 404 and plate not in entries.text


def hit(list_id: int, agency: str = "ucpd", read_owner: str = "fpd") -> dict[str, Any]:
    return {
        "hit_id": str(uuid.uuid4()),
        "list_id": list_id,
        "entry_id": 1,
        "agency": agency,
        "read_owner": read_owner,
        "created_at": datetime.now(UTC).isoformat(),
        "category": "stolen_vehicle",
        "match_kind": "exact",
        "plate_listed": "7XYZ123",
        "read": {
            "read_id": str(uuid.uuid4()),
            "camera_id": "fr-9",
            "ts": datetime.now(UTC).isoformat(),
            "plate": "7XYZ123",
            "region": "CA",
        },
        "policy_ids": [],
        "audit_index": 3,
    }


def uc_list(owner: Owner) -> tuple[int, dict[str, str]]:
    token = owner.client.post("/v1/auth/token", json={"username": "sam", "password": PASSWORD})
    assert token.status_code == 200, token.text
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    made = owner.client.post(
        "/v1/hotlists",
        headers=headers,
        json={
            "name": f"uc-{uuid.uuid4().hex[:6]}",
            "source": "UCPD",
            "category": "stolen_vehicle",
            "entries": [{"plate": "7XYZ123", "reason": "stolen", "case_number": "UC-1"}],
        },
    )
    assert made.status_code == 201, made.text
    return int(made.json()["list_id"]), headers


def test_hits_are_taken_only_on_a_list_shared_with_that_node_for_its_own_agencies(
    owner: Owner,
) -> None:
    list_id, headers = uc_list(owner)
    refused(send(owner, owner.fremont, hit(list_id), path=HITS_PATH), 404, "not_shared")
    shared = owner.client.post(
        f"/v1/hotlists/{list_id}/shares", headers=headers, json={"node": "fremont"}
    )
    assert shared.status_code == 201, shared.text
    # Hayward, not shared with, and Fremont for a read of an agency it does not answer for
    refused(
        send(owner, owner.hayward, hit(list_id, read_owner="hpd"), path=HITS_PATH),
        404,
        "not_shared",
    )
    refused(
        send(owner, owner.fremont, hit(list_id, read_owner="hpd"), path=HITS_PATH),
        403,
        "agency_not_registered",
    )
    refused(
        send(owner, owner.fremont, hit(list_id, read_owner="ucpd"), path=HITS_PATH),
        403,
        "agency_not_registered",
    )
    taken = send(owner, owner.fremont, hit(list_id), path=HITS_PATH)
    assert taken.status_code == 200, taken.text


def test_hits_on_a_list_whose_share_ended_are_refused(owner: Owner) -> None:
    """Docs: the list owner's node checks that the list is shared with that node (404
    `not_shared`). After the list owner ends the share, a partner's hit on it is still
    stored and raised as an alert."""
    list_id, headers = uc_list(owner)
    shared = owner.client.post(
        f"/v1/hotlists/{list_id}/shares", headers=headers, json={"node": "fremont"}
    )
    assert shared.status_code == 201, shared.text
    ended = owner.client.delete(f"/v1/hotlists/{list_id}/shares/fremont", headers=headers)
    assert ended.status_code == 200, ended.text
    refused(send(owner, owner.fremont, hit(list_id), path=HITS_PATH), 404, "not_shared")


# --- cross-witnessing -------------------------------------------------------------------

ORIGIN = "partner.example/audit"


@dataclass
class Witnessing:
    service: WitnessService
    log: AuditLog
    rewritten: AuditLog
    other: AuditLog
    registry: NodeRegistry


@pytest.fixture
def witnessing(tmp_path: Path) -> Iterator[Witnessing]:
    from sqlalchemy import create_engine

    settings = Settings(data_dir=tmp_path / "witness-node", secret_key="k" * 32)
    catalog = open_catalog(settings, password_hasher=FAST)
    catalog.add_agency("Fremont PD", "fpd", "municipal", "CA")
    catalog.add_agency("Hayward PD", "hpd", "municipal", "CA")
    signer = NoteSigner.generate(ORIGIN)
    engines = [
        create_engine(f"sqlite:///{tmp_path / name}.sqlite")
        for name in ("log", "rewritten", "other")
    ]
    honest = AuditLog(engines[0], signer=signer)
    rewritten = AuditLog(engines[1], signer=signer)  # the same key, another history
    other = AuditLog(engines[2], signer=NoteSigner.generate("other.example/audit"))
    for log in (honest, rewritten, other):
        log.create_tables()
    own = AuditLog(catalog.engine, signer=None)
    registry = NodeRegistry(catalog, own)
    registry.add(
        operator(),
        "partner",
        CLOSED,
        NodeKey.generate().public.text(),
        ["fpd"],
        log_key=signer.verifier_key(),
    )
    assert other.signer is not None
    registry.add(
        operator(),
        "other",
        CLOSED,
        NodeKey.generate().public.text(),
        ["hpd"],
        log_key=other.signer.verifier_key(),
    )
    service = WitnessService(
        tmp_path / "witness",
        witness_cosigner(tmp_path / "witness", "here.example/audit"),
        state=CatalogWitnessState(catalog.engine, own),
        log_keys_of=partner_log_keys(catalog.engine),
    )
    try:
        yield Witnessing(service, honest, rewritten, other, registry)
    finally:
        catalog.close()
        for engine in engines:
            engine.dispose()


def status_of(service: WitnessService, request: str) -> int:
    try:
        service.add_checkpoint(request)
    except WitnessRefusal as refusal:
        return refusal.status
    return 200


def test_a_rewritten_log_gets_no_cosignature_whatever_old_size_it_claims(
    witnessing: Witnessing,
) -> None:
    w = witnessing
    w.log.append_many([search_entry(n) for n in range(5)])
    assert status_of(w.service, add_checkpoint_body(0, [], w.log.checkpoint())) == 200
    w.rewritten.append_many([search_entry(n + 100) for n in range(5)])
    fork = w.rewritten.checkpoint()
    attempts = [add_checkpoint_body(old, [], fork) for old in (0, 5)]
    attempts.append(add_checkpoint_body(3, w.rewritten.consistency_proof(3, 5), fork))
    w.rewritten.append_many([search_entry(n + 200) for n in range(4)])
    grown = w.rewritten.checkpoint()
    for old in (0, 3, 5, 9):
        proof = w.rewritten.consistency_proof(old, 9) if 0 < old < 9 else []
        attempts.append(add_checkpoint_body(old, proof, grown))
    # the honest log's proof, glued to the rewritten checkpoint
    w.log.append_many([search_entry(n + 300) for n in range(4)])
    attempts.append(add_checkpoint_body(5, w.log.consistency_proof(5, 9), grown))
    for attempt in attempts:
        assert status_of(w.service, attempt) in (400, 409, 422), attempt
    held = w.service.latest(ORIGIN)
    assert held is not None and held.size == 5
    assert held.root_hash == w.log.root_hash(5)
    # the honest history still grows, cosigned
    honest = add_checkpoint_body(5, w.log.consistency_proof(5, 9), w.log.checkpoint())
    assert status_of(w.service, honest) == 200


def test_a_partner_cannot_sign_checkpoints_of_another_partners_log(
    witnessing: Witnessing,
) -> None:
    w = witnessing
    w.log.append_many([search_entry(n) for n in range(3)])
    assert w.other.signer is not None
    text = split_note(w.log.checkpoint())[0]
    forged = w.other.signer.sign(text)  # origin partner.example/audit, the other's key
    assert status_of(w.service, add_checkpoint_body(0, [], forged)) == 403
    assert w.service.latest(ORIGIN) is None


def test_a_revoked_partners_log_is_no_longer_witnessed(witnessing: Witnessing) -> None:
    w = witnessing
    w.log.append_many([search_entry(n) for n in range(3)])
    w.registry.revoke(operator(), "partner")
    assert status_of(w.service, add_checkpoint_body(0, [], w.log.checkpoint())) == 404


@pytest.mark.parametrize("old", ["\u00b2", "1\u00b2", "\u0663", "99999999999999999999999", "-1"])
def test_an_odd_old_size_on_the_witness_route_is_a_4xx_never_a_500(owner: Owner, old: str) -> None:
    """A registered partner's signed checkpoint is public (`GET /v1/audit/checkpoint`):
    anyone may post it to this node's witness with an `old` line of their making."""
    from sqlalchemy import create_engine

    signer = NoteSigner.generate("fremont.example/audit")
    engine = create_engine(f"sqlite:///{owner.settings.data_dir / 'fremont-log.sqlite'}")
    partner = AuditLog(engine, signer=signer)
    partner.create_tables()
    partner.append_many([search_entry(n) for n in range(3)])
    NodeRegistry(owner.catalog(), owner.log()).set_log_keys(
        operator(), "fremont", signer.verifier_key()
    )
    request = f"old {old}\n\n{partner.checkpoint()}"
    try:
        response = owner.client.post("/v1/witness/add-checkpoint", content=request.encode())
    finally:
        engine.dispose()
    assert 400 <= response.status_code < 500 or (
        old == "\u0663" and response.status_code in (200, 409)
    ), response.text
