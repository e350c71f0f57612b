"""Federation's promises (docs/federation.md) held against a hostile partner node, a
hostile list owner, and whoever sees their signed requests on the way. Each test is the
promise it tries to break; a promise that does not hold today is marked ``xfail``
(strict), with what leaks and why.

The owner is Union City's node (the whole app, `create_app`, over its own catalog, audit
log and read store), a small hub: it keeps the reads of Union City (``ucpd``) and of
Hayward (``hpd``, with no agreement with Fremont). Registered with it: Fremont's node
(``fpd``, under Union City's agreement) and a federal unit's node (``ice-ero-sf``). The
attackers are those nodes' keys and an unregistered one.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from plateledger.access.digest import result_digest
from plateledger.access.federated_exports import EXPORT_PATH
from plateledger.access.shared_hotlists import HITS_PATH, LISTS_PATH
from plateledger.api.app import create_app
from plateledger.audit import AuditLog, NoteSigner
from plateledger.audit.checkpoint import Checkpoint
from plateledger.audit.witness import CosignatureStore, Cosigner, split_note
from plateledger.catalog import Catalog, open_catalog
from plateledger.catalog.approvals import set_search_rules
from plateledger.catalog.passwords import FAST
from plateledger.catalog.shared_hotlists import shared_hit_outbox, shared_hotlists
from plateledger.federation import NodeKey, NodeRegistry, sign_request
from plateledger.federation.registry import operator
from plateledger.federation.witnessing import CrossWitness
from plateledger.hotlist.schema import hotlist_hits
from plateledger.settings import Settings
from tests.access.conftest import PASSWORD
from tests.audit.conftest import search as search_entry
from tests.federation.test_federation_attacks import fred_searches, fremont_with_partner

PATH = "/v1/federation/searches"
NO_FEDERAL = "ca-civ-1798.90.55b-no-federal"
CLOSED = "http://127.0.0.1:9"
"""Where the partners' nodes are registered: nothing listens (a push or a hit fails fast)."""
WARRANT = {"kind": "warrant", "number": "W-2026-88", "court": "Alameda County Superior Court"}

UC1 = (36.9011, -119.8131)
UC2 = (36.9211, -119.8331)
HW1 = (36.9411, -119.8531)
"""Camera places of this file's own (the read store is shared by every test of the run)."""

BASE = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
WINDOW = {
    "since": (BASE - timedelta(hours=1)).isoformat(),
    "until": (BASE + timedelta(hours=1)).isoformat(),
}
BBOX = {"south": 36.89, "west": -119.87, "north": 36.95, "east": -119.80}


def at(seconds: float) -> datetime:
    return BASE + timedelta(seconds=seconds)


def new_plate(prefix: str) -> str:
    return prefix + uuid.uuid4().hex[:5].upper().replace("0", "A").replace("O", "B")


def read(camera: str, where: tuple[float, float], plate: str, seconds: float) -> dict[str, Any]:
    return {
        "camera_id": camera,
        "ts": int(at(seconds).timestamp() * 1000),
        "plate": plate,
        "confidence": 0.9,
        "region": "CA",
        "lat": where[0],
        "lon": where[1],
        "vehicle": {"color": "white", "make": "Ford", "type": "pickup"},
    }


def body(plate: str | None, agency: str = "fpd", **changes: Any) -> dict[str, Any]:
    """A partner's search, as its node would send it."""
    return {
        "search_id": str(uuid.uuid4()),
        "kind": "exact",
        "params": {} if plate is None else {"plate": plate},
        "requester": {
            "user": "fred",
            "agency": agency,
            "agency_class": "municipal",
            "roles": ["investigator"],
        },
        "purpose": "stolen_vehicle",
        "offense_type": "240",
        "case_number": "FR-2026-0099",
        "reason": "stolen white pickup seen leaving the lot",
    } | changes


@dataclass
class Hub:
    client: TestClient
    settings: Settings
    fremont: NodeKey
    federal: NodeKey
    camera_keys: dict[str, str]
    ids: dict[str, int]
    _opened: list[Catalog] = field(default_factory=list)

    def catalog(self) -> Catalog:
        catalog = open_catalog(self.settings, password_hasher=FAST)
        self._opened.append(catalog)
        return catalog

    def log(self) -> AuditLog:
        return AuditLog(self.catalog().engine, signer=None)

    def entries(self, kind: str) -> list[dict[str, Any]]:
        log = self.log()
        return [r.entry for r in log.entries(0, log.size()) if r.entry["type"] == kind]

    def entry_of(self, search_id: str, kind: str = "search") -> list[dict[str, Any]]:
        return [e for e in self.entries(kind) if e.get("query", {}).get("search_id") == search_id]

    def plant(self, agency: str, reads: list[dict[str, Any]]) -> None:
        posted = self.client.post(
            "/v1/reads", json=reads, headers={"X-API-Key": self.camera_keys[agency]}
        )
        assert posted.status_code == 200, posted.text

    def ask(self, key: NodeKey, payload: Any, path: str = PATH, **kw: Any) -> Any:
        raw, headers = signed(key, payload, path=path, **kw)
        return self.client.post(path, content=raw, headers=headers)

    def bearer(self, username: str) -> dict[str, str]:
        token = self.client.post(
            "/v1/auth/token", json={"username": username, "password": PASSWORD}
        )
        assert token.status_code == 200, token.text
        return {"Authorization": f"Bearer {token.json()['access_token']}"}

    def close(self) -> None:
        for catalog in self._opened:
            catalog.close()


def signed(
    key: NodeKey,
    payload: Any,
    *,
    path: str = PATH,
    created: int | None = None,
    nonce: str | None = None,
) -> tuple[bytes, dict[str, str]]:
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    headers = sign_request(
        key,
        "POST",
        f"http://testserver{path}",
        raw,
        created=created or int(time.time()),
        nonce=nonce,
    )
    return raw, headers


def refused(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code, response.text
    assert "results" not in response.json()


@contextmanager
def owner_node(
    tmp_path: Path,
    store_path: Path,
    *,
    actions: tuple[str, ...] = ("search", "export", "receive_alert"),
    cap: int | None = None,
) -> Iterator[Hub]:
    settings = Settings(
        data_dir=tmp_path / "unioncity",
        store_path=store_path,
        secret_key="k" * 32,
        require_totp=False,
        federation_timeout_seconds=5.0,
        public_url="http://testserver",  # the URL its partners reach it at (the test client)
    )
    catalog = open_catalog(settings, password_hasher=FAST)
    fremont, federal = NodeKey.generate(), NodeKey.generate()
    try:
        ucpd = catalog.add_agency("Union City PD", "ucpd", "municipal", "CA")
        hpd = catalog.add_agency("Hayward PD", "hpd", "municipal", "CA")
        fpd = catalog.add_agency("Fremont PD", "fpd", "municipal", "CA")
        ice = catalog.add_agency("ICE ERO San Francisco", "ice-ero-sf", "federal", "CA")
        catalog.add_agreement(
            ucpd.id,
            fpd.id,
            actions=list(actions),
            purposes=["stolen_vehicle"],
            created_by="chief",
            result_cap=cap,
        )
        catalog.add_user(ucpd.id, "sam", PASSWORD, ["supervisor"])
        catalog.add_camera("uc-1", ucpd.id, lat=UC1[0], lon=UC1[1])
        catalog.add_camera("uc-2", ucpd.id, lat=UC2[0], lon=UC2[1])
        catalog.add_camera("hw-1", hpd.id, lat=HW1[0], lon=HW1[1])
        keys = {
            "ucpd": catalog.issue_api_key(ucpd.id, label="camera"),
            "hpd": catalog.issue_api_key(hpd.id, label="camera"),
        }
        registry = NodeRegistry(catalog, AuditLog(catalog.engine, signer=None))
        registry.add(operator(), "fremont", CLOSED, fremont.public.text(), ["fpd"])
        registry.add(operator(), "federal", CLOSED, federal.public.text(), ["ice-ero-sf"])
        ids = {"ucpd": ucpd.id, "hpd": hpd.id, "fpd": fpd.id, "ice-ero-sf": ice.id}
    finally:
        catalog.close()
    with TestClient(create_app(settings)) as client:
        hub = Hub(client, settings, fremont, federal, keys, ids)
        try:
            yield hub
        finally:
            hub.close()


@pytest.fixture
def hub(tmp_path: Path, store_path: Path) -> Iterator[Hub]:
    with owner_node(tmp_path, store_path) as found:
        yield found


def without_ids(response: Any) -> dict[str, Any]:
    """An answer less what differs from one search to the next (its UUID and entry)."""
    assert response.status_code == 200, response.text
    answer = dict(response.json())
    answer.pop("search_id")
    answer.pop("audit_index")
    return answer


# --- what a signature spends ---------------------------------------------------------------


def test_a_tampered_copy_sent_first_spends_neither_the_nonce_nor_the_search_uuid(
    hub: Hub,
) -> None:
    """Whoever sees Fremont's signed request on the way sends altered copies of it first:
    the body changed, or the same bytes to another route. Each is refused before its nonce
    or search UUID is taken, and the original is still answered, once."""
    plate = new_plate("8T")
    hub.plant("ucpd", [read("uc-1", UC1, plate, 10)])
    payload = body(plate)
    raw, headers = signed(hub.fremont, payload)
    changed = json.dumps(payload | {"purpose": "immigration"}).encode()
    refused(hub.client.post(PATH, content=changed, headers=headers), 401, "digest_mismatch")
    refused(hub.client.post(EXPORT_PATH, content=raw, headers=headers), 401, "signature_invalid")
    answered = hub.client.post(PATH, content=raw, headers=headers)
    assert answered.status_code == 200, answered.text
    assert [r["plate"] for r in answered.json()["results"]] == [plate]
    refused(hub.client.post(PATH, content=raw, headers=headers), 401, "replayed_request")
    assert len(hub.entry_of(payload["search_id"])) == 1
    assert hub.entries("export") == []


def test_a_nonce_is_spent_for_every_route_and_body_its_key_signs(hub: Hub) -> None:
    """A node that signs a second request — another search, a list push — with a nonce it
    used already is refused as a replay; another node's same nonce is its own."""
    plate = new_plate("8N")
    nonce = "attacker-chosen-nonce-01"
    first = hub.ask(hub.fremont, body(plate), nonce=nonce)
    assert first.status_code == 200, first.text
    refused(hub.ask(hub.fremont, body(plate), nonce=nonce), 401, "replayed_request")
    pushed = {
        "list_id": 5,
        "agency": "fpd",
        "change": "share",
        "version": 1,
        "name": "stolen",
        "category": "stolen_vehicle",
        "entries": [{"id": 1, "plate": plate}],
    }
    refused(hub.ask(hub.fremont, pushed, path=LISTS_PATH, nonce=nonce), 401, "replayed_request")
    with hub.catalog().engine.connect() as conn:
        assert list(conn.execute(select(shared_hotlists))) == []
    other = hub.ask(hub.federal, body(plate, agency="ice-ero-sf"), nonce=nonce)
    assert other.status_code == 200, other.text
    assert len(hub.entries("search")) == 2


def node_request(path: str, plate: str, agency: str = "fpd") -> dict[str, Any]:
    """A request of ``agency``'s node for ``path``: a search, an export, a list, a hit."""
    if path == LISTS_PATH:
        return {
            "list_id": 9,
            "agency": agency,
            "change": "share",
            "version": 1,
            "name": f"list-{plate}",
            "category": "stolen_vehicle",
            "entries": [{"id": 1, "plate": plate, "reason": "stolen", "case_number": "FR-1"}],
        }
    if path == HITS_PATH:
        return forged_hit(1, plate, read_owner=agency)
    extra = {"max_rows": 10} if path == EXPORT_PATH else {}
    return body(plate, agency=agency) | extra


ROUTES = [PATH, EXPORT_PATH, LISTS_PATH, HITS_PATH]


def nothing_taken(hub: Hub, plate: str) -> None:
    assert hub.entries("search") == [] and hub.entries("export") == []
    assert hub.entries("shared_hotlist_change") == []
    assert hub.entries("shared_hit_received") == []
    with hub.catalog().engine.connect() as conn:
        assert list(conn.execute(select(shared_hotlists))) == []
        assert list(conn.execute(select(hotlist_hits))) == []


@pytest.mark.parametrize("path", ROUTES)
def test_a_key_revoked_after_signing_is_refused_on_every_node_route(hub: Hub, path: str) -> None:
    plate = new_plate("8R")
    hub.plant("ucpd", [read("uc-1", UC1, plate, 20)])
    raw, headers = signed(hub.fremont, node_request(path, plate), path=path)
    NodeRegistry(hub.catalog(), hub.log()).revoke(operator(), "fremont")
    response = hub.client.post(path, content=raw, headers=headers)
    refused(response, 403, "node_revoked")
    assert plate not in response.text
    nothing_taken(hub, plate)


@pytest.mark.parametrize("path", ROUTES)
def test_an_unregistered_key_is_refused_on_every_node_route(hub: Hub, path: str) -> None:
    plate = new_plate("8U")
    hub.plant("ucpd", [read("uc-1", UC1, plate, 20)])
    response = hub.ask(NodeKey.generate(), node_request(path, plate), path=path)
    refused(response, 401, "unknown_node")
    assert plate not in response.text
    nothing_taken(hub, plate)


@pytest.mark.parametrize("path", [PATH, EXPORT_PATH, LISTS_PATH])
def test_a_registered_key_cannot_speak_for_another_nodes_agency_on_any_route(
    hub: Hub, path: str
) -> None:
    """The federal unit's key, its request claiming Fremont's agency (whose agreement
    opens Union City), or this node's own."""
    plate = new_plate("8A")
    hub.plant("ucpd", [read("uc-1", UC1, plate, 20)])
    for agency in ("fpd", "ucpd"):
        response = hub.ask(hub.federal, node_request(path, plate, agency=agency), path=path)
        refused(response, 403, "agency_not_registered")
        assert plate not in response.text
    nothing_taken(hub, plate)


# --- the remote principal ---------------------------------------------------------------


def test_a_remote_user_named_as_a_local_user_is_logged_as_the_nodes(hub: Hub) -> None:
    """Fremont's node names its user `sam` (a Union City supervisor), then `sam@unioncity`:
    the owner's log names each as Fremont's, of Fremont's agency."""
    plate = new_plate("8S")
    ids = []
    for name in ("sam", "sam@unioncity"):
        payload = body(plate)
        payload["requester"] |= {"user": name, "roles": ["supervisor"]}
        assert hub.ask(hub.fremont, payload).status_code == 200
        ids.append((name, payload["search_id"]))
    for name, search_id in ids:
        [entry] = hub.entry_of(search_id)
        assert entry["user"] == f"{name}@fremont"
        assert entry["agency"] == "fpd" and entry["requested_by_agency"] == "fpd"
        assert entry["requesting_node"] == "fremont"
        assert set(entry["agency_facts"]) == {"fpd"}


# --- what the owner's policy allows -----------------------------------------------------


def test_an_agreement_for_exact_lookups_opens_no_other_kind(
    tmp_path: Path, store_path: Path
) -> None:
    """Union City shares exact lookups only (`search_exact`). Fremont's node asks for the
    same plate by every other kind: each is decided as its own action and denied, with no
    read and no plate of Union City's in the answer."""
    with owner_node(tmp_path, store_path, actions=("search_exact",)) as hub:
        plate = new_plate("8E")
        hub.plant("ucpd", [read("uc-1", UC1, plate, 100), read("uc-2", UC2, plate, 400)])
        exact = hub.ask(hub.fremont, body(plate, params=WINDOW | {"plate": plate}))
        assert exact.status_code == 200, exact.text
        assert [r["plate"] for r in exact.json()["results"]] == [plate, plate]
        asked: dict[str, dict[str, Any]] = {
            "wildcard": {"params": {"plate": plate[:-2] + "*"}},
            "fuzzy": {"params": {"plate": plate}},
            "timeline": {"params": WINDOW | {"plate": plate}},
            "area": {"params": WINDOW | {"plate": plate, "bbox": BBOX}},
            "attributes": {"params": WINDOW | {"plate": plate}, "vehicle": {"color": "white"}},
            "locate": {"params": {"plate": plate}, "legal_basis": WARRANT},
            "convoy": {"params": WINDOW | {"plate": plate}, "convoy": {"window_seconds": 60}},
        }
        for kind, extra in asked.items():
            response = hub.ask(hub.fremont, body(plate, kind=kind) | extra)
            assert response.status_code == 200, (kind, response.text)
            answer = response.json()
            [union_city] = [o for o in answer["owners"] if o["agency"] == "ucpd"]
            assert not union_city["allowed"] and union_city["returned"] == 0, kind
            assert answer["results"] == [] and answer["total"] == 0, kind
            assert plate not in response.text, kind


def test_a_deep_window_takes_no_more_than_the_agreements_cap(
    tmp_path: Path, store_path: Path
) -> None:
    """Union City caps Fremont at 2 reads a search. Fremont's node asks for a window of
    10,000 (a page deeper than the API's), for a window from a later offset, and for a
    stakeout's window past one page: the cap holds, and the windows that are not answered
    take nothing (their UUID is still Fremont's to use)."""
    with owner_node(tmp_path, store_path, cap=2) as hub:
        plate = new_plate("8W")
        hub.plant("ucpd", [read("uc-1", UC1, plate, 100 + i) for i in range(5)])
        deep = body(plate, window=10_000)
        response = hub.ask(hub.fremont, deep)
        assert response.status_code == 200, response.text
        answer = response.json()
        assert len(answer["results"]) == 2 and answer["total"] == 2
        later = body(plate, params={"plate": plate, "offset": 2}, window=10_000)
        refused(hub.ask(hub.fremont, later), 422, "page_too_deep")
        ranked = body(
            None,
            kind="stakeout",
            params={"limit": 10},
            window=2_000,
            stakeout={
                "areas": [
                    {"shape": "circle", "lat": UC1[0], "lon": UC1[1], "meters": 300} | WINDOW
                ],
                "min_areas": 1,
            },
        )
        refused(hub.ask(hub.fremont, ranked), 422, "page_too_deep")
        assert hub.entry_of(later["search_id"]) == [] and hub.entry_of(ranked["search_id"]) == []
        retried = hub.ask(hub.fremont, later | {"window": None, "params": {"plate": plate}})
        assert retried.status_code == 200, retried.text
        assert len(retried.json()["results"]) == 2


def test_the_owners_entry_records_what_it_answered(hub: Hub) -> None:
    """The owner's entry for a partner's window: the page asked (the window as its limit),
    the reads released per owner, their count and the digest of exactly the reads in the
    answer, under the partner's UUID, with its node and entry index."""
    plate = new_plate("8D")
    hub.plant("ucpd", [read("uc-1", UC1, plate, 200 + i) for i in range(3)])
    hub.plant("hpd", [read("hw-1", HW1, plate, 210)])
    payload = body(plate, window=1_500, requester_audit_index=41)
    response = hub.ask(hub.fremont, payload)
    assert response.status_code == 200, response.text
    answer = response.json()
    [entry] = hub.entry_of(payload["search_id"])
    assert entry["query"]["limit"] == 1_500
    assert entry["result_digest"] == result_digest(
        uuid.UUID(r["read_id"]) for r in answer["results"]
    )
    assert entry["returned"] == len(answer["results"]) == 3
    assert entry["result_count"] == answer["total"] == 3
    assert entry["returned_by_owner"] == {"ucpd": 3}
    assert entry["owners_allowed"] == ["ucpd"]
    assert [d["agency"] for d in entry["owners_denied"]] == ["hpd"]
    assert entry["requesting_node"] == "fremont" and entry["requesting_audit_index"] == 41
    assert answer["audit_index"] == hub.log().size() - 1


# --- what a denied answer says ------------------------------------------------------------


def kinds_of(plate: str) -> dict[str, dict[str, Any]]:
    """Every kind but those with a test of their own for a denied owner's reads
    (tests/federation/test_searches.py), asked of ``plate`` over this file's cameras."""
    return {
        "area": {"params": WINDOW | {"plate": plate, "bbox": BBOX}},
        "attributes": {"params": WINDOW | {"plate": plate}, "vehicle": {"color": "white"}},
        "convoy": {"params": WINDOW | {"plate": plate}, "convoy": {"window_seconds": 60}},
        "stakeout": {
            "params": {"limit": 1000},
            "stakeout": {
                "areas": [
                    {"shape": "circle", "lat": UC1[0], "lon": UC1[1], "meters": 300} | WINDOW,
                    {"shape": "circle", "lat": HW1[0], "lon": HW1[1], "meters": 300} | WINDOW,
                ],
                "min_areas": 2,
            },
        },
        "locate": {"params": {"plate": plate}, "legal_basis": WARRANT},
    }


def test_a_denied_owners_reads_change_nothing_in_a_ranked_or_counted_answer(hub: Hub) -> None:
    """Non-interference for the kinds that rank or count: Hayward (no agreement with
    Fremont) reading Fremont's plate, its companion and a plate seen by both owners'
    cameras changes nothing in Fremont's answer — no companion, stakeout plate, count or
    place of Hayward's."""
    target, companion, both = new_plate("8C"), new_plate("8K"), new_plate("8B")
    hub.plant(
        "ucpd",
        [
            read("uc-1", UC1, target, 600),
            read("uc-1", UC1, companion, 610),
            read("uc-2", UC2, target, 900),
            read("uc-1", UC1, both, 700),
        ],
    )

    def asked(kind: str) -> dict[str, Any]:
        plate = both if kind == "stakeout" else target
        return without_ids(hub.ask(hub.fremont, body(plate, kind=kind) | kinds_of(plate)[kind]))

    before = {kind: asked(kind) for kind in kinds_of(target)}
    assert before["locate"]["pattern"] is not None
    assert [c["plate"] for c in before["convoy"]["companions"]] == []  # one place: no convoy
    hub.plant(
        "hpd",
        [
            read("hw-1", HW1, target, 1200),
            read("hw-1", HW1, companion, 1210),
            read("hw-1", HW1, both, 1300),
        ],
    )
    for kind in kinds_of(target):
        after = asked(kind)
        assert after == before[kind], kind
        assert "hw-1" not in json.dumps(after), kind
        [hayward] = [o for o in after["owners"] if o["agency"] == "hpd"]
        assert not hayward["allowed"] and hayward["returned"] == 0, kind


@pytest.mark.parametrize(
    "kind", ["exact", "wildcard", "fuzzy", "timeline", "area", "attributes", "convoy", "locate"]
)
def test_a_denied_answer_is_the_same_whether_the_plate_was_read_or_not(hub: Hub, kind: str) -> None:
    """The federal unit (denied by the California pack) and Fremont asking of Hayward's
    reads (no agreement) learn nothing from the answer: it is the same, byte for byte
    but for its UUID and entry, for a plate read here and for one never read anywhere."""
    read_here, never = new_plate("8P"), new_plate("8Q")
    hub.plant(
        "ucpd",
        [read("uc-1", UC1, read_here, 1500), read("uc-2", UC2, read_here, 1800)],
    )
    hub.plant("hpd", [read("hw-1", HW1, read_here, 1600)])

    def params(plate: str) -> dict[str, Any]:
        shapes = kinds_of(plate) | {
            "exact": {"params": {"plate": plate}},
            "wildcard": {"params": {"plate": plate[:-1] + "?"}},
            "fuzzy": {"params": {"plate": plate}},
            "timeline": {"params": WINDOW | {"plate": plate}},
        }
        return body(plate, kind=kind) | shapes[kind]

    federal = [
        without_ids(
            hub.ask(
                hub.federal,
                params(p) | {"requester": params(p)["requester"] | {"agency": "ice-ero-sf"}},
            )
        )
        for p in (read_here, never)
    ]
    assert federal[0] == federal[1]
    assert all(not o["allowed"] for o in federal[0]["owners"])
    fremont = [without_ids(hub.ask(hub.fremont, params(p))) for p in (read_here, never)]
    hayward = [{o["agency"]: o for o in f["owners"]}["hpd"] for f in fremont]
    assert hayward[0] == hayward[1] and not hayward[0]["allowed"]
    assert "hw-1" not in json.dumps(fremont[0])


# --- fail closed: no entry in the owner's log, nothing answered or stored ---------------


@contextmanager
def refusing(hub: Hub, marker: str) -> Iterator[None]:
    """The owner's log refuses every entry holding ``marker`` (a trigger in its own
    database): an append that fails."""
    engine = hub.catalog().engine
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "CREATE TRIGGER refuse_marked BEFORE INSERT ON audit_entries "
            f"WHEN instr(CAST(NEW.entry AS TEXT), '{marker}') > 0 "
            "BEGIN SELECT RAISE(ABORT, 'refused'); END"
        )
    try:
        yield
    finally:
        with engine.begin() as connection:
            connection.exec_driver_sql("DROP TRIGGER refuse_marked")


@pytest.mark.parametrize("kind", ["exact", "export", "locate_waiting", "locate_approved"])
def test_a_partners_search_the_owner_cannot_log_returns_nothing(hub: Hub, kind: str) -> None:
    plate = new_plate("8F")
    hub.plant("ucpd", [read("uc-1", UC1, plate, 2000)])
    path, payload = PATH, body(plate)
    if kind == "export":
        path, payload = EXPORT_PATH, payload | {"max_rows": 10}
    elif kind.startswith("locate"):
        with hub.catalog().engine.begin() as conn:
            set_search_rules(
                conn,
                hub.ids["ucpd"],
                case_number_pattern=None,
                locate_approval_required=True,
                now=datetime.now(UTC),
            )
        payload = payload | {"kind": "locate", "legal_basis": WARRANT}
        if kind == "locate_approved":
            payload["approval"] = {
                "approval_id": str(uuid.uuid4()),
                "approved_by": "sgt-fran",
                "decided_at": datetime.now(UTC).isoformat(),
                "plate": plate,
                "legal_basis": WARRANT,
                "decision_audit_index": 7,
            }
    with refusing(hub, '"requesting_node":"fremont"'):
        response = hub.ask(hub.fremont, payload, path=path)
    assert response.status_code == 503, response.text
    assert plate not in response.text and "uc-1" not in response.text
    assert "results" not in response.json() and "owners" not in response.json()
    assert hub.entry_of(payload["search_id"]) == []
    assert hub.entry_of(payload["search_id"], "export") == []


def test_a_list_the_owner_cannot_log_is_not_stored(hub: Hub) -> None:
    plate = new_plate("8L")
    with refusing(hub, '"type":"shared_hotlist_change"'):
        response = hub.ask(hub.fremont, node_request(LISTS_PATH, plate), path=LISTS_PATH)
    assert response.status_code >= 500, response.text
    with hub.catalog().engine.connect() as conn:
        assert list(conn.execute(select(shared_hotlists))) == []
    hub.plant("ucpd", [read("uc-1", UC1, plate, 2100)])
    assert hub.log().held() == []  # no withheld hit waiting for its period's end ...
    assert hub.entries("alert_delivery") == [] and hub.entries("alert_withheld") == []


def ucpd_list(hub: Hub, plate: str) -> tuple[int, dict[str, str]]:
    headers = hub.bearer("sam")
    made = hub.client.post(
        "/v1/hotlists",
        headers=headers,
        json={
            "name": f"uc-{uuid.uuid4().hex[:6]}",
            "source": "UCPD",
            "category": "stolen_vehicle",
            "entries": [{"plate": plate, "reason": "stolen", "case_number": "UC-1"}],
        },
    )
    assert made.status_code == 201, made.text
    list_id = int(made.json()["list_id"])
    shared = hub.client.post(
        f"/v1/hotlists/{list_id}/shares", headers=headers, json={"node": "fremont"}
    )
    assert shared.status_code == 201, shared.text
    return list_id, headers


def forged_hit(
    list_id: int, plate: str, *, entry_id: int = 1, read_owner: str = "fpd"
) -> dict[str, Any]:
    return {
        "hit_id": str(uuid.uuid4()),
        "list_id": list_id,
        "entry_id": entry_id,
        "agency": "ucpd",
        "read_owner": read_owner,
        "created_at": datetime.now(UTC).isoformat(),
        "category": "stolen_vehicle",
        "match_kind": "exact",
        "plate_listed": plate,
        "read": {
            "read_id": str(uuid.uuid4()),
            "camera_id": "fr-9",
            "ts": datetime.now(UTC).isoformat(),
            "plate": plate,
            "region": "CA",
        },
        "policy_ids": [],
        "audit_index": 3,
    }


def stored_hits(hub: Hub, hit_id: str) -> list[Any]:
    with hub.catalog().engine.connect() as conn:
        return list(conn.execute(select(hotlist_hits).where(hotlist_hits.c.hit_id == hit_id)))


def test_a_hit_the_list_owner_cannot_log_is_neither_stored_nor_raised(hub: Hub) -> None:
    plate = new_plate("8H")
    list_id, _headers = ucpd_list(hub, plate)
    entry_id = list_entry_id(hub, list_id)
    sent = forged_hit(list_id, plate, entry_id=entry_id)
    with refusing(hub, '"type":"shared_hit_received"'):
        response = hub.ask(hub.fremont, sent, path=HITS_PATH)
    assert response.status_code >= 500, response.text
    assert stored_hits(hub, sent["hit_id"]) == []
    # the same hit, once the log takes it, is taken: nothing of the failed try was kept
    again = hub.ask(hub.fremont, sent, path=HITS_PATH)
    assert again.status_code == 200, again.text
    assert again.json()["duplicate"] is False and len(stored_hits(hub, sent["hit_id"])) == 1


# --- hot lists across nodes ---------------------------------------------------------------


def list_entry_id(hub: Hub, list_id: int) -> int:
    entries = hub.client.get(f"/v1/hotlists/{list_id}/entries", headers=hub.bearer("sam"))
    assert entries.status_code == 200, entries.text
    listed = entries.json()
    rows = listed["entries"] if isinstance(listed, dict) else listed
    return int(rows[0]["id"])


@pytest.mark.parametrize("forgery", ["entry_not_on_the_list", "plate_not_listed"])
def test_a_hit_is_taken_only_for_an_entry_of_the_shared_list_and_its_plate(
    hub: Hub, forgery: str
) -> None:
    """Union City shares a list of one plate with Fremont. Fremont's node delivers a hit
    naming an entry the list never held, or the list's entry with another plate: neither
    is a hit on the list, and neither may be stored or raised on Union City's alerts."""
    listed, other = new_plate("8X"), new_plate("8Y")
    list_id, _headers = ucpd_list(hub, listed)
    entry_id = list_entry_id(hub, list_id)
    if forgery == "entry_not_on_the_list":
        sent = forged_hit(list_id, other, entry_id=entry_id + 1000)
    else:
        sent = forged_hit(list_id, other, entry_id=entry_id)
    response = hub.ask(hub.fremont, sent, path=HITS_PATH)
    assert stored_hits(hub, sent["hit_id"]) == []
    assert response.status_code in (404, 409, 422), response.text


def outbox(hub: Hub) -> list[Any]:
    with hub.catalog().engine.connect() as conn:
        return list(conn.execute(select(shared_hit_outbox)))


def until(found: Any, what: str, wait: float = 20.0) -> Any:
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        value = found()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"no {what} within {wait} s")


def test_a_shared_lists_hit_on_an_owner_without_an_agreement_is_withheld(hub: Hub) -> None:
    """Fremont's list matches Hayward's read (no agreement lets Fremont receive Hayward's
    alerts) and then Union City's (its agreement does): Hayward's hit is withheld and
    logged without its plate; only Union City's is queued for Fremont's node."""
    plate = new_plate("8M")
    pushed = hub.ask(hub.fremont, node_request(LISTS_PATH, plate), path=LISTS_PATH)
    assert pushed.status_code == 200, pushed.text
    hub.plant("hpd", [read("hw-1", HW1, plate, 3000)])
    withheld = until(
        lambda: [e for e in hub.entries("alert_withheld") if e.get("list_node") == "fremont"],
        "withheld entry",
    )
    assert plate not in json.dumps(withheld)
    hub.plant("ucpd", [read("uc-1", UC1, plate, 3100)])
    rows = until(lambda: outbox(hub), "queued hit")
    assert [json.loads(r.body)["read_owner"] for r in rows] == ["ucpd"]
    assert "hw-1" not in json.dumps([json.loads(r.body) for r in rows])
    delivered = [e for e in hub.entries("alert_delivery") if e.get("list_node") == "fremont"]
    assert len(delivered) == 1


# --- the requesting side, facing a partner that redirects -------------------------------


class Redirector:
    """A partner node that answers every request with a redirect to ``target``, and a
    ``target`` that records whatever reaches it."""

    def __init__(self) -> None:
        self.received: list[bytes] = []
        received = self.received

        class Sink(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                received.append(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args: Any) -> None:
                return

        self.sink = ThreadingHTTPServer(("127.0.0.1", 0), Sink)
        target = f"http://127.0.0.1:{self.sink.server_address[1]}"

        class Redirect(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                self.send_response(307)
                self.send_header("Location", target + self.path)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.threads = [
            threading.Thread(target=s.serve_forever, daemon=True) for s in (self.server, self.sink)
        ]
        for thread in self.threads:
            thread.start()

    def close(self) -> None:
        for server in (self.server, self.sink):
            server.shutdown()
            server.server_close()


def test_a_partners_redirect_is_not_followed_with_the_signed_search(
    tmp_path: Path, store_path: Path
) -> None:
    """Union City's node (hostile, or taken over) redirects Fremont's signed search to a
    place of its choosing: the search — its plate, user and case — is not sent there;
    Union City is listed unavailable and Fremont's own reads come back."""
    rogue = Redirector()
    settings, camera_key = fremont_with_partner(tmp_path, store_path, rogue.url, 36.80, -119.70)
    plate = new_plate("8G")
    try:
        with TestClient(create_app(settings)) as client:
            posted = client.post(
                "/v1/reads",
                json=[read("fr-1", (36.80, -119.70), plate, 4000)],
                headers={"X-API-Key": camera_key},
            )
            assert posted.status_code == 200, posted.text
            response = fred_searches(client, plate, "FR-7")
    finally:
        rogue.close()
    assert response.status_code == 200, response.text
    page = response.json()
    [union_city] = page["remote_owners"]
    assert union_city["status"] == "unavailable"
    assert [r["plate"] for r in page["results"]] == [plate]
    assert rogue.received == []


# --- cross-witnessing: the log's side -------------------------------------------------------


class CosigningWitness:
    """A partner's witness that answers every checkpoint with ``line`` — a cosignature by
    the partner's registered witness key, of whatever it chose to cosign."""

    def __init__(self) -> None:
        self.line = ""
        witness = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                answer = witness.line.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize("cosigned", ["this_checkpoint", "another_root"])
def test_a_cosignature_of_another_checkpoint_is_not_kept_with_this_one(
    tmp_path: Path, cosigned: str
) -> None:
    """A partner's witness, with its real key, cosigns a checkpoint of this log's origin
    and size but another root (a history the log never had), and hands it back for the
    log's own: it is not kept, and the log's checkpoint is served without it. (The
    control: a cosignature of the log's own checkpoint is kept.)"""
    settings = Settings(data_dir=tmp_path / "node", secret_key="k" * 32)
    catalog = open_catalog(settings, password_hasher=FAST)
    try:
        catalog.add_agency("Fremont PD", "fpd", "municipal", "CA")
        log = AuditLog(catalog.engine, signer=NoteSigner.generate("unioncity.example/audit"))
        log.append_many([search_entry(n) for n in range(4)])
        cosigner = Cosigner.load_or_create(tmp_path / "w", "fremont.example/witness")
        rogue = CosigningWitness()
        try:
            NodeRegistry(catalog, log).add(
                operator(), "fremont", rogue.url, NodeKey.generate().public.text(), ["fpd"],
                witness_key=cosigner.verifier_key(),
            )  # fmt: skip
            text = split_note(log.checkpoint())[0]  # the log as it is sent, the node added
            root = base64.b64encode(Checkpoint.parse(text).root_hash).decode()
            other = base64.b64encode(bytes(b ^ 0xFF for b in base64.b64decode(root))).decode()
            chosen = text if cosigned == "this_checkpoint" else text.replace(root, other)
            assert (chosen == text) == (cosigned == "this_checkpoint")
            rogue.line = cosigner.cosign(chosen)
            store = CosignatureStore(tmp_path / "cosignatures")
            cross = CrossWitness(catalog, log, store)
            try:
                [result] = cross.run_once()
            finally:
                cross.stop()
        finally:
            rogue.close()
        served = store.cosigned(log.checkpoint())
        if cosigned == "this_checkpoint":
            assert result.outcome == "cosigned" and served != log.checkpoint()
        else:
            assert (result.node, result.outcome) == ("fremont", "refused")
            assert served == log.checkpoint()
    finally:
        catalog.close()


def test_a_hit_raised_carries_the_list_owners_entry_not_the_partners_copy(hub: Hub) -> None:
    """Fremont's node delivers a hit on the right entry and plate, but with its own
    reason, case number, priority, state and category: the alert Union City raises says
    what Union City's entry says."""
    plate = new_plate("8R")
    list_id, _headers = ucpd_list(hub, plate)
    sent = forged_hit(list_id, plate, entry_id=list_entry_id(hub, list_id))
    sent.update(reason="armed and dangerous: stop on sight", case_number="FAKE-1",
                priority=9, region_listed="NV", category="wanted_person")
    taken = hub.ask(hub.fremont, sent, path=HITS_PATH)
    assert taken.status_code == 200, taken.text
    [row] = stored_hits(hub, sent["hit_id"])
    assert (row.reason, row.case_number, row.priority, row.category, row.plate_listed) == (
        "stolen", "UC-1", 0, "stolen_vehicle", plate)
    assert row.region_listed != "NV"


def test_a_node_that_names_a_new_user_for_each_denied_search_is_throttled_as_a_whole(
    hub: Hub,
) -> None:
    """Each remote user's denials are counted on their own, and a node's users together:
    the federal node, denied every search under California's law, cannot escape the
    throttle by sending each search in a new user's name. Fremont's users are not held
    back by it."""
    limit = hub.settings.node_throttle_denials
    plate = new_plate("8T")
    for i in range(limit):
        sent = body(plate, agency="ice-ero-sf")
        sent["requester"] = sent["requester"] | {"user": f"agent-{i}", "agency_class": "federal"}
        answered = hub.ask(hub.federal, sent)
        assert answered.status_code == 200, answered.text
        assert all(not o["allowed"] for o in answered.json()["owners"])
    fresh = body(plate, agency="ice-ero-sf")
    fresh["requester"] = fresh["requester"] | {"user": "agent-new", "agency_class": "federal"}
    refused = hub.ask(hub.federal, fresh)
    assert refused.status_code == 429, refused.text
    assert "results" not in refused.json()
    assert hub.entry_of(fresh["search_id"]) == []
    assert hub.ask(hub.fremont, body(plate)).status_code == 200
