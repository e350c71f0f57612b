"""The requesting side of a federated exact search, between two real nodes.

Union City's node (the owner) is a `plateledger serve` process with its own data directory
(catalog, read store, audit log, key); Fremont's node (the requester) is the app in this
process, with its own catalog, store, log and key. Each registered the other. Fremont
also registered two partners that do not answer: Hayward's node, with nothing listening
at its address (stopped), and Newark's, which accepts a connection and never answers.

A Fremont investigator's exact search is decided here for Fremont's own reads, sent to
the partners under the search's own UUID, and answered with Union City's allowed reads
merged in; a federal unit's user of Fremont's node gets nothing of Union City's.
"""

from __future__ import annotations

import socket
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from subprocess import Popen
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from plateledger.access.federated import SEARCH_PATH, Partner, _merge_one
from plateledger.api.app import create_app
from plateledger.audit import AuditLog
from plateledger.catalog import open_catalog
from plateledger.catalog.nodes import remember_nonce
from plateledger.catalog.passwords import FAST
from plateledger.federation import NodeAnswer, NodeClient, NodeKey, NodeRegistry
from plateledger.federation.registry import operator
from plateledger.settings import Settings
from tests.access.conftest import PASSWORD
from tests.conftest import _free_port, _spawn, _wait_ready
from tests.federation.test_searches import body

pytestmark = pytest.mark.slow

TIMEOUT = 5.0
NO_FEDERAL = "ca-civ-1798.90.55b-no-federal"


def new_plate(prefix: str) -> str:
    return prefix + uuid.uuid4().hex[:5].upper().replace("0", "A").replace("O", "B")


def read(camera: str, plate: str) -> dict[str, Any]:
    return {
        "camera_id": camera,
        "ts": int(time.time() * 1000) - 60_000,
        "plate": plate,
        "confidence": 0.9,
        "region": "CA",
    }


@dataclass
class Owner:
    url: str
    settings: Settings
    camera_key: str
    key: NodeKey


@dataclass
class Nodes:
    owner: Owner
    requester: TestClient
    settings: Settings
    ucpd_id: int
    fpd_id: int
    camera_key: str
    key: NodeKey
    tokens: dict[str, str] = field(default_factory=dict)

    def token(self, username: str) -> str:
        if username not in self.tokens:
            response = self.requester.post(
                "/v1/auth/token", json={"username": username, "password": PASSWORD}
            )
            assert response.status_code == 200, response.text
            self.tokens[username] = str(response.json()["access_token"])
        return self.tokens[username]

    def search(self, username: str, plate: str) -> httpx.Response:
        payload = {
            "kind": "exact",
            "params": {"plate": plate},
            "purpose": "stolen_vehicle",
            "offense_type": "240",
            "case_number": "FR-2026-0042",
            "reason": "stolen white pickup seen leaving the lot",
        }
        return self.requester.post(
            "/v1/searches",
            json=payload,
            headers={"Authorization": f"Bearer {self.token(username)}"},
        )

    def plant(self, plate: str) -> None:
        """One read of ``plate`` in each node."""
        local = self.requester.post(
            "/v1/reads", json=[read("fr-1", plate)], headers={"X-API-Key": self.camera_key}
        )
        assert local.status_code == 200, local.text
        remote = httpx.post(
            f"{self.owner.url}/v1/reads",
            json=[read("uc-1", plate)],
            headers={"X-API-Key": self.owner.camera_key},
            timeout=60,
        )
        assert remote.status_code == 200, remote.text


def entries(settings: Settings, kind: str) -> list[tuple[int, dict[str, Any]]]:
    catalog = open_catalog(settings, password_hasher=FAST)
    try:
        log = AuditLog(catalog.engine, signer=None)
        return [(r.index, r.entry) for r in log.entries(0, log.size()) if r.entry["type"] == kind]
    finally:
        catalog.close()


@pytest.fixture(scope="module")
def owner(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Owner, Path]]:
    data_dir = tmp_path_factory.mktemp("union-city")
    requester_dir = tmp_path_factory.mktemp("fremont")
    requester_key = NodeKey.load_or_create(requester_dir)
    settings = Settings(data_dir=data_dir, require_totp=False)
    catalog = open_catalog(settings, password_hasher=FAST)
    try:
        ucpd = catalog.add_agency("Union City PD", "ucpd", "municipal", "CA")
        fpd = catalog.add_agency("Fremont PD", "fpd", "municipal", "CA")
        catalog.add_agency("ICE ERO San Francisco", "ice-ero-sf", "federal", "CA")
        catalog.add_agreement(
            ucpd.id, fpd.id, actions=["search"], purposes=["stolen_vehicle"], created_by="chief"
        )
        catalog.add_camera("uc-1", ucpd.id, lat=37.59, lon=-122.02)
        camera_key = catalog.issue_api_key(ucpd.id, label="camera")
        NodeRegistry(catalog, AuditLog(catalog.engine, signer=None)).add(
            operator(),
            "fremont",
            "https://fremont.example",
            requester_key.public.text(),
            ["fpd", "ice-ero-sf"],
        )
    finally:
        catalog.close()
    key = NodeKey.load_or_create(data_dir)
    port = _free_port()
    process: Popen[bytes] = _spawn(data_dir, port)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, process)
        yield Owner(url, settings, camera_key, key), requester_dir
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture(scope="module")
def silent() -> Iterator[str]:
    """An address that accepts connections and never answers."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(16)
        yield f"http://127.0.0.1:{server.getsockname()[1]}"


@pytest.fixture(scope="module")
def nodes(owner: tuple[Owner, Path], silent: str, store_path: Path) -> Iterator[Nodes]:
    union_city, data_dir = owner
    settings = Settings(
        data_dir=data_dir,
        store_path=store_path,
        secret_key="k" * 32,
        require_totp=False,
        federation_timeout_seconds=TIMEOUT,
    )
    catalog = open_catalog(settings, password_hasher=FAST)
    try:
        fpd = catalog.add_agency("Fremont PD", "fpd", "municipal", "CA")
        ice = catalog.add_agency("ICE ERO San Francisco", "ice-ero-sf", "federal", "CA")
        ucpd = catalog.add_agency("Union City PD", "ucpd", "municipal", "CA")
        catalog.add_agency("Hayward PD", "hpd", "municipal", "CA")
        catalog.add_agency("Newark PD", "npd", "municipal", "CA")
        catalog.add_user(fpd.id, "fred", PASSWORD, ["investigator"])
        catalog.add_user(ice.id, "ivan", PASSWORD, ["investigator"])
        catalog.add_camera("fr-1", fpd.id, lat=37.55, lon=-121.98)
        camera_key = catalog.issue_api_key(fpd.id, label="camera")
        registry = NodeRegistry(catalog, AuditLog(catalog.engine, signer=None))
        registry.add(
            operator(), "unioncity", union_city.url, union_city.key.public.text(), ["ucpd"]
        )
        registry.add(
            operator(),
            "hayward",
            f"http://127.0.0.1:{_free_port()}",
            NodeKey.generate().public.text(),
            ["hpd"],
        )
        registry.add(operator(), "newark", silent, NodeKey.generate().public.text(), ["npd"])
        ids = (ucpd.id, fpd.id)
    finally:
        catalog.close()
    key = NodeKey.load_or_create(data_dir)
    with TestClient(create_app(settings)) as client:
        yield Nodes(union_city, client, settings, ids[0], ids[1], camera_key, key)


def remote(page: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {o["agency"]: o for o in page["remote_owners"]}


def test_the_partners_allowed_reads_are_merged_and_counted(nodes: Nodes) -> None:
    plate = new_plate("7R")
    nodes.plant(plate)
    response = nodes.search("fred", plate)
    assert response.status_code == 200, response.text
    page = response.json()
    owners = {r["owner_id"] for r in page["results"]}
    assert [r["plate"] for r in page["results"]] == [plate, plate]
    assert owners == {nodes.fpd_id, nodes.ucpd_id}
    assert page["total"] == 2
    stamps = [r["ts"] for r in page["results"]]
    assert stamps == sorted(stamps, reverse=True)
    union_city = remote(page)["ucpd"]
    assert (union_city["node"], union_city["status"], union_city["returned"]) == (
        "unioncity",
        "allowed",
        1,
    )
    assert union_city["audit_index"] is not None
    ucpd_read = next(r for r in page["results"] if r["owner_id"] == nodes.ucpd_id)
    assert ucpd_read["image_plate"] == "" and ucpd_read["image_overview"] == ""


def test_a_stopped_or_silent_partner_is_unavailable_and_the_local_answer_comes_back(
    nodes: Nodes,
) -> None:
    plate = new_plate("7S")
    nodes.plant(plate)
    response = nodes.search("fred", plate)
    assert response.status_code == 200, response.text
    page = response.json()
    listed = remote(page)
    assert (listed["hpd"]["status"], listed["hpd"]["code"]) == ("unavailable", "unreachable")
    assert (listed["npd"]["status"], listed["npd"]["code"]) == ("unavailable", "timeout")
    assert listed["hpd"]["returned"] == 0 and listed["npd"]["returned"] == 0
    assert nodes.fpd_id in {r["owner_id"] for r in page["results"]}
    local = {o["owner_id"]: o for o in page["owners"]}
    assert local[nodes.fpd_id]["allowed"] is True


def test_a_federal_requester_denied_by_the_partners_pack_gets_nothing_of_it(
    nodes: Nodes,
) -> None:
    plate = new_plate("7D")
    nodes.plant(plate)
    response = nodes.search("ivan", plate)
    assert response.status_code == 200, response.text
    page = response.json()
    union_city = remote(page)["ucpd"]
    assert union_city["status"] == "denied" and NO_FEDERAL in union_city["policy_ids"]
    assert union_city["returned"] == 0
    assert all(r["owner_id"] != nodes.ucpd_id for r in page["results"])
    assert page["candidates"] == []
    assert plate not in str(page["remote_owners"])
    fanned = [
        e
        for _, e in entries(nodes.settings, "federated_search")
        if e["search_id"] == page["search_id"]
    ]
    assert fanned and fanned[0]["nodes"][-1]["node"] == "unioncity"
    assert fanned[0]["nodes"][-1]["owners_denied"] == [
        {"agency": "ucpd", "policy_ids": union_city["policy_ids"]}
    ]


def test_both_logs_carry_the_uuid_and_each_others_leaf_index(nodes: Nodes) -> None:
    plate = new_plate("7J")
    nodes.plant(plate)
    page = nodes.search("fred", plate).json()
    search_id = page["search_id"]
    mine = [
        (i, e)
        for i, e in entries(nodes.settings, "federated_search")
        if e["search_id"] == search_id
    ]
    assert [i for i, _ in mine] == [page["federation_audit_index"]]
    fanned = mine[0][1]
    assert fanned["search_audit_index"] == page["audit_index"]
    asked = {n["node"]: n for n in fanned["nodes"]}
    assert set(asked) == {"unioncity", "hayward", "newark"}
    assert (asked["hayward"]["outcome"], asked["hayward"]["code"]) == (
        "unavailable",
        "unreachable",
    )
    owner_index = asked["unioncity"]["audit_index"]
    assert owner_index == remote(page)["ucpd"]["audit_index"]
    theirs = [
        (i, e)
        for i, e in entries(nodes.owner.settings, "search")
        if e["query"].get("search_id") == search_id
    ]
    assert [i for i, _ in theirs] == [owner_index]
    entry = theirs[0][1]
    assert entry["requesting_node"] == "fremont"
    assert entry["requesting_audit_index"] == page["audit_index"]


def test_a_search_uuid_already_answered_is_refused(nodes: Nodes) -> None:
    plate = new_plate("7U")
    nodes.plant(plate)
    page = nodes.search("fred", plate).json()
    again = body(plate, search_id=page["search_id"])
    with httpx.Client(timeout=30) as http:
        replay = NodeClient(nodes.key, http).post(nodes.owner.url, SEARCH_PATH, again)
        fresh = NodeClient(nodes.key, http).post(nodes.owner.url, SEARCH_PATH, body(plate))
    assert (replay.outcome, replay.status, replay.code) == ("refused", 409, "search_id_reused")
    assert fresh.outcome == "answered"
    catalog = open_catalog(nodes.owner.settings, password_hasher=FAST)
    try:  # a purge of the nonces, ten years on, forgets no answered search UUID
        with catalog.engine.begin() as connection:
            later = datetime.now(UTC) + timedelta(days=3650)
            remember_nonce(connection, "purge", uuid.uuid4().hex, later, timedelta(minutes=5))
    finally:
        catalog.close()
    with httpx.Client(timeout=30) as http:
        later_replay = NodeClient(nodes.key, http).post(
            nodes.owner.url, SEARCH_PATH, body(plate, search_id=page["search_id"])
        )
    assert (later_replay.status, later_replay.code) == (409, "search_id_reused")
    logged = [
        e
        for _, e in entries(nodes.owner.settings, "search")
        if e["query"].get("search_id") == page["search_id"]
    ]
    assert len(logged) == 1


def test_only_the_registered_owners_allowed_reads_are_taken_from_an_answer(nodes: Nodes) -> None:
    """A partner's answer is read for the agencies it is registered for, and no further:
    another owner's reads, candidates, or an answer to another search are dropped."""
    plate = new_plate("7E")
    nodes.plant(plate)
    with httpx.Client(timeout=30) as http:
        answered = NodeClient(nodes.key, http).post(nodes.owner.url, SEARCH_PATH, body(plate))
    assert answered.outcome == "answered" and answered.body is not None
    reply = dict(answered.body)
    ucpd = reply["owners"][0]
    stray = dict(reply["results"][0], owner_id=ucpd["owner_id"] + 100, read_id=str(uuid.uuid4()))
    reply["results"] = [*reply["results"], stray]
    reply["owners"] = [*reply["owners"], dict(ucpd, agency="xpd", owner_id=stray["owner_id"])]
    reply["candidates"] = [plate]
    reply["pattern"] = {"by_hour": [1] + [0] * 23, "by_weekday": [1] + [0] * 6, "places": []}
    partner = Partner("unioncity", nodes.owner.url, "k", {"ucpd": nodes.ucpd_id})
    taken = _merge_one(partner, reply["search_id"], NodeAnswer("answered", 200, reply))
    assert [(r.owner_id, r.plate) for r in taken.page.reads] == [(nodes.ucpd_id, plate)]
    assert [(o.agency, o.status, o.returned) for o in taken.owners] == [("ucpd", "allowed", 1)]
    assert taken.page.total == 1
    assert taken.page.pattern is None  # it counts an owner not registered for that node
    refused = _merge_one(
        partner, reply["search_id"], NodeAnswer("refused", 403, None, "node_revoked")
    )
    assert [(o.status, o.code) for o in refused.owners] == [("unavailable", "node_revoked")]
    other = _merge_one(partner, str(uuid.uuid4()), NodeAnswer("answered", 200, reply))
    assert other.page.reads == [] and [(o.status, o.code) for o in other.owners] == [
        ("unavailable", "bad_answer")
    ]


def test_without_the_fan_out_entry_nothing_of_the_partners_is_returned(nodes: Nodes) -> None:
    """The requester's log refuses the fan-out entry (a trigger in its own database): the
    search answers 503, no read at all."""
    plate = new_plate("7F")
    nodes.plant(plate)
    catalog = open_catalog(nodes.settings, password_hasher=FAST)
    try:
        with catalog.engine.begin() as connection:
            connection.exec_driver_sql(
                "CREATE TRIGGER refuse_fan_out BEFORE INSERT ON audit_entries "
                'WHEN instr(CAST(NEW.entry AS TEXT), \'"type":"federated_search"\') > 0 '
                "BEGIN SELECT RAISE(ABORT, 'refused'); END"
            )
        try:
            response = nodes.search("fred", plate)
        finally:
            with catalog.engine.begin() as connection:
                connection.exec_driver_sql("DROP TRIGGER refuse_fan_out")
    finally:
        catalog.close()
    assert response.status_code == 503, response.text
    assert "results" not in response.json() and plate not in response.text
    after = nodes.search("fred", new_plate("7G"))
    assert after.status_code == 200 and after.json()["federation_audit_index"] is not None
