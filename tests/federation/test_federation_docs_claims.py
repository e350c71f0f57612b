"""What docs/federation.md says the system does, held where no other test holds it.

The owner's side is Union City's node (`owner_node` of test_federation_attacks_2: the real
app, catalog, audit log and read store, answering signed requests through the test
client). The requesting side is Fremont's node (the real app here), its partners
registered at addresses that accept connections and never answer. Each test's docstring
quotes the sentence it holds.
"""

from __future__ import annotations

import base64
import hashlib
import json
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from plateledger.api.app import create_app
from plateledger.audit import AuditLog
from plateledger.catalog import open_catalog
from plateledger.catalog.approvals import set_search_rules
from plateledger.catalog.models import NodeNonce
from plateledger.catalog.nodes import remember_nonce
from plateledger.catalog.passwords import FAST
from plateledger.cli.main import app as cli
from plateledger.federation import NodeKey, NodeRegistry, sign_request
from plateledger.federation.registry import operator
from plateledger.settings import Settings
from tests.access.conftest import PASSWORD
from tests.conftest import _free_port, _spawn, _wait_ready
from tests.factories import unique_plate
from tests.federation.test_federation_attacks_2 import (
    PATH,
    WARRANT,
    Hub,
    body,
    owner_node,
    refused,
    signed,
)

STALE = 10 * 60
"""Seconds before now: outside the five-minute window."""


@pytest.fixture
def hub(tmp_path: Path, store_path: Path) -> Iterator[Hub]:
    with owner_node(tmp_path, store_path) as found:
        yield found


def logged_under(hub: Hub, search_id: str) -> list[dict[str, Any]]:
    return hub.entry_of(search_id)


def forged_under(key_id: str, raw: bytes, **kw: Any) -> dict[str, str]:
    """Headers signed by a key no node holds, naming ``key_id``."""
    headers = sign_request(NodeKey.generate(), "POST", f"http://testserver{PATH}", raw, **kw)
    named = headers["Signature-Input"].split('keyid="')[1].split('"')[0]
    headers["Signature-Input"] = headers["Signature-Input"].replace(named, key_id)
    return headers


# --- Nodes and keys ---------------------------------------------------------------------


def test_node_key_prints_the_public_key_and_its_fingerprint(tmp_path: Path) -> None:
    """ "`<data-dir>/keys/node.key` (the 32-byte seed in base64 …) … fingerprint: first 32
    hex digits of its SHA-256: the key id"."""
    shown = CliRunner().invoke(cli, ["node", "key", "--data-dir", str(tmp_path)])
    assert shown.exit_code == 0, shown.output
    lines = dict(
        line.split(":", 1)
        for line in shown.output.splitlines()
        if line.startswith(("public", "fin"))
    )
    public = lines["public key"].strip()
    raw = base64.b64decode(public, validate=True)
    assert len(raw) == 32
    fingerprint = lines["fingerprint"].strip()
    assert fingerprint == hashlib.sha256(raw).hexdigest()[:32]
    assert fingerprint == NodeKey.load_or_create(tmp_path).public.key_id
    seed = (tmp_path / "keys" / "node.key").read_text().strip()
    assert len(base64.b64decode(seed, validate=True)) == 32


# --- Signed requests --------------------------------------------------------------------


def test_the_owner_checks_in_the_documented_order(hub: Hub) -> None:
    """ "The owner checks, in this order, and refuses at the first failure": digest before
    the key id, revocation before the clock, the clock before the signature, the signature
    before the nonce, the nonce before the agency."""
    plate = unique_plate("7Q")
    # a changed body under a key id no node has: the digest is checked first
    raw = json.dumps(body(plate)).encode()
    headers = sign_request(
        NodeKey.generate(), "POST", f"http://testserver{PATH}", raw, created=int(time.time())
    )
    refused(hub.client.post(PATH, content=raw + b" ", headers=headers), 401, "digest_mismatch")
    # a stale request of a revoked node: refused as revoked
    stale = int(time.time()) - STALE
    raw, headers = signed(hub.federal, body(plate, agency="ice-ero-sf"), created=stale)
    catalog = hub.catalog()
    NodeRegistry(catalog, AuditLog(catalog.engine, signer=None)).revoke(operator(), "federal")
    refused(hub.client.post(PATH, content=raw, headers=headers), 403, "node_revoked")
    # a stale request signed by another key under Fremont's key id: refused by its time
    raw = json.dumps(body(plate)).encode()
    headers = forged_under(hub.fremont.public.key_id, raw, created=stale)
    refused(hub.client.post(PATH, content=raw, headers=headers), 401, "signature_expired")
    # a nonce Fremont spent, under a signature that does not verify: refused as invalid
    nonce = uuid.uuid4().hex
    raw, headers = signed(hub.fremont, body(plate), nonce=nonce)
    assert hub.client.post(PATH, content=raw, headers=headers).status_code == 200
    raw = json.dumps(body(plate)).encode()
    headers = forged_under(hub.fremont.public.key_id, raw, created=int(time.time()), nonce=nonce)
    refused(hub.client.post(PATH, content=raw, headers=headers), 401, "signature_invalid")
    # the spent nonce again, for an agency Fremont is not registered for: a replay
    raw, headers = signed(hub.fremont, body(plate, agency="hpd"), nonce=nonce)
    refused(hub.client.post(PATH, content=raw, headers=headers), 401, "replayed_request")


def test_a_request_replayed_to_a_sibling_process_is_refused(
    hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ "Nonces are kept in the catalog database (table `node_nonces`) …: a request
    replayed to a sibling process must be refused too." The sibling: a `plateledger
    serve` process of the same node (its catalog, its public URL)."""
    payload = body(unique_plate("7S"))
    raw, headers = signed(hub.fremont, payload)
    assert hub.client.post(PATH, content=raw, headers=headers).status_code == 200
    monkeypatch.setenv("PLATELEDGER_PUBLIC_URL", "http://testserver")
    port = _free_port()
    process = _spawn(hub.settings.data_dir, port)
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_ready(url, process)
        replayed = httpx.post(f"{url}{PATH}", content=raw, headers=headers, timeout=30)
        refused(replayed, 401, "replayed_request")
        fresh_raw, fresh = signed(hub.fremont, body(unique_plate("7S")))
        assert (
            httpx.post(f"{url}{PATH}", content=fresh_raw, headers=fresh, timeout=30).status_code
            == 200
        )
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert len(logged_under(hub, payload["search_id"])) == 1


def test_a_node_served_on_a_wildcard_address_refuses_every_partner(hub: Hub) -> None:
    """ "A node … served on a wildcard address (`0.0.0.0`) sets `PLATELEDGER_PUBLIC_URL`
    …: until it does, every partner's request is refused (401 `signature_invalid`, the
    message naming the authority this node checks)"."""
    served: Any = hub.client.app
    served.state.settings = hub.settings.model_copy(
        update={"public_url": None, "host": "0.0.0.0", "port": 8080}
    )
    raw = json.dumps(body(unique_plate("7W"))).encode()
    for url in (f"http://testserver{PATH}", f"http://0.0.0.0:8080{PATH}"):
        headers = sign_request(hub.fremont, "POST", url, raw, created=int(time.time()))
        response = hub.client.post(PATH, content=raw, headers=headers)
        refused(response, 401, "signature_invalid")
        assert "0.0.0.0:8080" in response.json()["error"]["message"]


# --- The owner's side -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"params": {}}, None),
        ({"kind": "area", "params": {}}, None),
        ({"kind": "stakeout", "params": {}}, None),
        ({"kind": "locate"}, "legal_basis_required"),
    ],
    ids=["no_plate", "unbounded_area", "no_stakeout", "locate_without_legal_basis"],
)
def test_what_a_local_search_refuses_the_owner_refuses_with_422_and_logs_nothing(
    hub: Hub, changes: dict[str, Any], code: str | None
) -> None:
    """ "What a local search of the kind refuses before anything is decided — no plate, no
    `stakeout`, an unbounded area, a locate without its legal basis
    (`legal_basis_required`) — is refused with the same code (422), and nothing is
    logged."""
    payload = body(unique_plate("7R"), **changes)
    response = hub.ask(hub.fremont, payload)
    assert response.status_code == 422, response.text
    if code is not None:
        assert response.json()["error"]["code"] == code
    assert "results" not in response.json()
    assert logged_under(hub, payload["search_id"]) == []


def test_a_search_uuid_is_kept_for_the_node_and_never_purged(hub: Hub) -> None:
    """ "the owner remembers the search UUID for the requesting node's key (in
    `node_nonces`, as `search:<uuid>`, never purged)"."""
    payload = body(unique_plate("7U"))
    assert hub.ask(hub.fremont, payload).status_code == 200
    kept = f"search:{payload['search_id']}"
    key_id = hub.fremont.public.key_id
    catalog = hub.catalog()
    with catalog.engine.begin() as connection:
        # a nonce remembered long after: every nonce older than twice the window is purged
        later = datetime.now(UTC) + timedelta(days=3650)
        assert remember_nonce(connection, key_id, uuid.uuid4().hex, later, timedelta(minutes=5))
        rows = connection.execute(select(NodeNonce.key_id).where(NodeNonce.nonce == kept)).all()
    assert [r.key_id for r in rows] == [key_id]
    refused(hub.ask(hub.fremont, payload), 409, "search_id_reused")


def test_the_owner_keeps_no_signature_of_the_request(hub: Hub) -> None:
    """ "The signature itself is not kept: afterwards the owner's log shows which
    registered key asked, not a signature a third party can check again."""
    payload = body(unique_plate("7K"))
    raw, headers = signed(hub.fremont, payload)
    assert hub.client.post(PATH, content=raw, headers=headers).status_code == 200
    [entry] = logged_under(hub, payload["search_id"])
    assert entry["requesting_key_id"] == hub.fremont.public.key_id
    written = json.dumps(entry)
    signature = headers["Signature"].split(":")[1]
    assert signature not in written
    assert headers["Signature-Input"].split("nonce=")[1].split(";")[0].strip('"') not in written


def test_the_owners_entry_records_when_the_vouched_approval_was_decided(hub: Hub) -> None:
    """ "its entry recording `approval_id`, `approved_by` (`supervisor@node`),
    `approval_index` …, `approval_node` and `approval_decided_at`"."""
    catalog = hub.catalog()
    with catalog.engine.begin() as connection:
        set_search_rules(
            connection,
            hub.ids["ucpd"],
            case_number_pattern=None,
            locate_approval_required=True,
            now=datetime.now(UTC),
        )
    plate = unique_plate("7D")
    decided = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=3)
    approval = {
        "approval_id": str(uuid.uuid4()),
        "approved_by": "sgt-fran",
        "decided_at": decided.isoformat(),
        "plate": plate,
        "legal_basis": WARRANT,
        "decision_audit_index": 12,
    }
    payload = body(plate, kind="locate", legal_basis=WARRANT, approval=approval)
    response = hub.ask(hub.fremont, payload)
    assert response.status_code == 200, response.text
    [entry] = logged_under(hub, payload["search_id"])
    query = entry["query"]
    assert (query["approval_id"], query["approved_by"], query["approval_index"]) == (
        approval["approval_id"],
        "sgt-fran@fremont",
        12,
    )
    assert query["approval_node"] == "fremont"
    assert datetime.fromisoformat(query["approval_decided_at"]) == decided


# --- The requesting side ----------------------------------------------------------------


@contextmanager
def silent_partner() -> Iterator[tuple[str, socket.socket]]:
    """An address that accepts connections and never answers."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(16)
        yield f"http://127.0.0.1:{server.getsockname()[1]}", server


@contextmanager
def fremont(
    tmp_path: Path, store_path: Path, partners: dict[str, tuple[str, str]], timeout: float = 3.0
) -> Iterator[TestClient]:
    """Fremont's node, its investigator ``fred``; ``partners``: name -> (URL, agency)."""
    settings = Settings(
        data_dir=tmp_path / "fremont",
        store_path=store_path,
        secret_key="k" * 32,
        require_totp=False,
        federation_timeout_seconds=timeout,
    )
    catalog = open_catalog(settings, password_hasher=FAST)
    try:
        fpd = catalog.add_agency("Fremont PD", "fpd", "municipal", "CA")
        catalog.add_user(fpd.id, "fred", PASSWORD, ["investigator"])
        registry = NodeRegistry(catalog, AuditLog(catalog.engine, signer=None))
        for name, (url, agency) in partners.items():
            catalog.add_agency(agency.upper(), agency, "municipal", "CA")
            registry.add(operator(), name, url, NodeKey.generate().public.text(), [agency])
        with catalog.engine.begin() as connection:
            set_search_rules(
                connection,
                fpd.id,
                case_number_pattern=None,
                locate_approval_required=True,
                now=datetime.now(UTC),
            )
    finally:
        catalog.close()
    with TestClient(create_app(settings)) as client:
        yield client


def fred_searches(client: TestClient, kind: str = "exact", **extra: Any) -> Any:
    token = client.post("/v1/auth/token", json={"username": "fred", "password": PASSWORD})
    assert token.status_code == 200, token.text
    return client.post(
        "/v1/searches",
        json={
            "kind": kind,
            "params": {"plate": unique_plate("7F")},
            "purpose": "stolen_vehicle",
            "offense_type": "240",
            "case_number": "FR-2026-0042",
            "reason": "stolen white pickup seen leaving the lot",
        }
        | extra,
        headers={"Authorization": f"Bearer {token.json()['access_token']}"},
    )


def fremont_entries(client: TestClient, kind: str) -> list[dict[str, Any]]:
    served: Any = client.app
    catalog = open_catalog(served.state.settings, password_hasher=FAST)
    try:
        log = AuditLog(catalog.engine, signer=None)
        return [r.entry for r in log.entries(0, log.size()) if r.entry["type"] == kind]
    finally:
        catalog.close()


def test_the_federation_timeout_is_three_seconds_by_default() -> None:
    """ "The search waits `PLATELEDGER_FEDERATION_TIMEOUT_SECONDS` (default 3) at most"."""
    assert Settings().federation_timeout_seconds == 3
    with pytest.MonkeyPatch.context() as env:
        env.setenv("PLATELEDGER_FEDERATION_TIMEOUT_SECONDS", "7.5")
        assert Settings().federation_timeout_seconds == 7.5


class Listening:
    """An address that accepts connections, notes when each came, and never answers."""

    def __init__(self) -> None:
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(16)
        self.server.settimeout(0.1)
        self.url = f"http://127.0.0.1:{self.server.getsockname()[1]}"
        self.came: list[float] = []
        self.held: list[socket.socket] = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                connection, _ = self.server.accept()
            except TimeoutError:
                continue
            self.came.append(time.monotonic())
            self.held.append(connection)

    def close(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=10)
        for connection in self.held:
            connection.close()
        self.server.close()


def test_the_partners_are_asked_in_parallel_and_a_silent_one_is_left_behind(
    tmp_path: Path, store_path: Path
) -> None:
    """ "the search is sent to each of those nodes **in parallel** … a node that has not
    answered by then is left behind", and the fan-out entry lists, per node, its
    `outcome`, `code` and `owners_unavailable`. Both partners are reached before either
    has had the time to answer: one after the other, the second would be reached only
    once the first was given up on."""
    timeout = 2.0
    union_city, hayward = Listening(), Listening()
    try:
        partners = {"unioncity": (union_city.url, "ucpd"), "hayward": (hayward.url, "hpd")}
        with fremont(tmp_path, store_path, partners, timeout=timeout) as client:
            response = fred_searches(client)
            entries = fremont_entries(client, "federated_search")
    finally:
        union_city.close()
        hayward.close()
    assert response.status_code == 200, response.text
    assert len(union_city.came) == len(hayward.came) == 1  # sent once each, never retried
    assert abs(union_city.came[0] - hayward.came[0]) < timeout / 2
    page = response.json()
    assert {(o["agency"], o["status"], o["code"]) for o in page["remote_owners"]} == {
        ("ucpd", "unavailable", "timeout"),
        ("hpd", "unavailable", "timeout"),
    }
    [entry] = [e for e in entries if e["search_id"] == page["search_id"]]
    nodes = {n["node"]: n for n in entry["nodes"]}
    assert nodes["unioncity"]["outcome"] == nodes["hayward"]["outcome"] == "unavailable"
    assert nodes["unioncity"]["code"] == "timeout"
    assert nodes["unioncity"]["owners_unavailable"] == ["ucpd"]
    assert nodes["hayward"]["owners_unavailable"] == ["hpd"]
    assert entry["result_count"] == 0


def test_a_pattern_of_life_waiting_for_a_supervisor_here_is_sent_to_no_partner(
    tmp_path: Path, store_path: Path
) -> None:
    """ "A pattern of life that waits for a supervisor here answers 202 before anything is
    sent."""
    with silent_partner() as (url, server):
        with fremont(tmp_path, store_path, {"unioncity": (url, "ucpd")}) as client:
            response = fred_searches(client, kind="locate", legal_basis=WARRANT)
            fanned = fremont_entries(client, "federated_search")
        assert response.status_code == 202, response.text
        server.setblocking(False)
        with pytest.raises(BlockingIOError):  # no connection was ever made to the partner
            server.accept()
    assert fanned == []


def test_with_no_node_registered_the_answer_is_the_local_one(
    tmp_path: Path, store_path: Path
) -> None:
    """ "With no node registered the answer is the local one (`remote_owners` and
    `federation_audit_index` null)."""
    with fremont(tmp_path, store_path, {}) as client:
        response = fred_searches(client)
        fanned = fremont_entries(client, "federated_search")
    assert response.status_code == 200, response.text
    page = response.json()
    assert page["remote_owners"] is None and page["federation_audit_index"] is None
    assert fanned == []


# --- Cross-witnessing -------------------------------------------------------------------


def test_checkpoints_are_sent_to_the_witnesses_every_five_minutes_by_default() -> None:
    """ "Every `PLATELEDGER_WITNESS_EVERY_MINUTES` (default 5 …), `plateledger serve` sends
    its latest checkpoint to each unrevoked partner with a witness key"."""
    assert Settings().witness_every_minutes == 5
    with pytest.MonkeyPatch.context() as env:
        env.setenv("PLATELEDGER_WITNESS_EVERY_MINUTES", "1")
        assert Settings().witness_every_minutes == 1
