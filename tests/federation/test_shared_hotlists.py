"""Hot lists across nodes, between two real nodes over real HTTP.

Fremont's node (the list owner) is a `plateledger serve` process with its own data
directory (catalog, read store, audit log, node key). Union City's node (the data owner:
its cameras, its reads) is the whole server (`create_app`) served by uvicorn in this
process. Each registered the other; Union City also registered a federal unit's node
(a key the test signs with) for a federal agency of California.

A Fremont supervisor shares a list with Union City; the list is pushed, signed, and held
there under Fremont's agency. A Union City read of a listed plate is decided by Union
City's gate and logged there; the allowed hit is delivered to Fremont's node, logged
there with Union City's entry index, and raised on Fremont's alert stream. The federal
unit's list matches the same kind of read and is refused by California's pack.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from subprocess import Popen
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy import select
from typer.testing import CliRunner

from plateledger.access.shared_hotlists import (
    HITS_PATH,
    LISTS_PATH,
    SharedHotlists,
)
from plateledger.api.app import create_app
from plateledger.audit import AuditLog
from plateledger.catalog import open_catalog
from plateledger.catalog.passwords import FAST
from plateledger.catalog.shared_hotlists import shared_hit_outbox, shared_hotlists
from plateledger.cli.main import app as cli
from plateledger.federation import NodeClient, NodeKey, NodeRegistry, sign_request
from plateledger.federation.registry import operator
from plateledger.hotlist.schema import hotlist_entries, hotlist_hits
from plateledger.plates import confusion_key
from plateledger.read import PlateRead
from plateledger.settings import Settings
from tests.access.conftest import PASSWORD
from tests.conftest import _free_port, _spawn, _wait_ready

pytestmark = pytest.mark.slow

NO_FEDERAL = "ca-civ-1798.90.55b-no-federal"
WAIT = 60.0
"""Seconds to wait for what another thread or process does (never a pause)."""


def new_plate(prefix: str) -> str:
    return prefix + uuid.uuid4().hex[:5].upper().replace("0", "A").replace("O", "B")


def until(found: Callable[[], Any], what: str) -> Any:
    """``found()`` once it is truthy; fail after `WAIT` seconds."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        value = found()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"no {what} within {WAIT} s")


class Server:
    """``app`` served by uvicorn in a thread, its lifespan run."""

    def __init__(self, app: FastAPI, port: int) -> None:
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        until(lambda: self.server.started or not self.thread.is_alive(), "server start")
        assert self.server.started, "the node did not start"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=60)


@dataclass
class Nodes:
    fremont_url: str
    fremont_port: int
    fremont_dir: Path
    fremont_settings: Settings
    fremont_key: NodeKey
    unioncity_url: str
    unioncity_settings: Settings
    unioncity: FastAPI
    federal_key: NodeKey
    camera_key: str
    process: list[Popen[bytes]]
    tokens: dict[tuple[str, str], str] = field(default_factory=dict)

    @property
    def shared(self) -> SharedHotlists:
        shared = self.unioncity.state.shared_hotlists
        assert isinstance(shared, SharedHotlists)
        return shared

    @property
    def log(self) -> AuditLog:
        log = self.unioncity.state.audit_log
        assert isinstance(log, AuditLog)
        return log

    def token(self, url: str, username: str) -> dict[str, str]:
        if (url, username) not in self.tokens:
            response = httpx.post(
                f"{url}/v1/auth/token",
                json={"username": username, "password": PASSWORD},
                timeout=30,
            )
            assert response.status_code == 200, response.text
            self.tokens[url, username] = str(response.json()["access_token"])
        return {"Authorization": f"Bearer {self.tokens[url, username]}"}

    def fremont(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = self.token(self.fremont_url, "fran")
        return httpx.request(method, f"{self.fremont_url}{path}", headers=headers, timeout=60,
                             **kwargs)  # fmt: skip

    def read(self, plate: str) -> None:
        """One read of ``plate`` at Union City's camera."""
        read = {
            "camera_id": "uc-1",
            "ts": int(time.time() * 1000) - 60_000,
            "plate": plate,
            "confidence": 0.9,
            "region": "CA",
        }
        response = httpx.post(
            f"{self.unioncity_url}/v1/reads",
            json=[read],
            headers={"X-API-Key": self.camera_key},
            timeout=60,
        )
        assert response.status_code == 200, response.text

    def share(self, plates: list[str], name: str | None = None) -> int:
        """A Fremont list of ``plates``, shared with Union City; its id."""
        rows = [{"plate": p, "reason": "stolen pickup", "case_number": "FR-1"} for p in plates]
        made = self.fremont("POST", "/v1/hotlists", json={
            "name": name or f"stolen-{uuid.uuid4().hex[:6]}", "source": "Fremont PD",
            "category": "stolen_vehicle", "entries": rows,
        })  # fmt: skip
        assert made.status_code == 201, made.text
        list_id = int(made.json()["list_id"])
        shared = self.fremont("POST", f"/v1/hotlists/{list_id}/shares", json={"node": "unioncity"})
        assert shared.status_code == 201, shared.text
        assert all(p["outcome"] == "answered" for p in shared.json()["pushes"]), shared.text
        # pushed in the answer, or by the node's worker just before it
        until(lambda: self.fremont("GET", f"/v1/hotlists/{list_id}/shares").json()[0]["current"],
              "the partner holding the list")  # fmt: skip
        return list_id

    def fremont_entries(self, kind: str) -> list[tuple[int, dict[str, Any]]]:
        catalog = open_catalog(self.fremont_settings, password_hasher=FAST)
        try:
            log = AuditLog(catalog.engine, signer=None)
            return [(r.index, r.entry) for r in log.entries(0, log.size())
                    if r.entry["type"] == kind]  # fmt: skip
        finally:
            catalog.close()

    def fremont_hits(self, hit_id: str) -> int:
        catalog = open_catalog(self.fremont_settings, password_hasher=FAST)
        try:
            with catalog.engine.connect() as conn:
                return len(
                    list(
                        conn.execute(
                            select(hotlist_hits.c.hit_id).where(hotlist_hits.c.hit_id == hit_id)
                        )
                    )
                )
        finally:
            catalog.close()

    def entries(self, kind: str) -> list[tuple[int, dict[str, Any]]]:
        """Union City's entries of ``kind``."""
        log = self.log
        return [(r.index, r.entry) for r in log.entries(0, log.size())
                if r.entry["type"] == kind]  # fmt: skip

    def held(self, node: str, remote_list_id: int) -> Any:
        """Union City's record of a shared list."""
        engine = self.unioncity.state.catalog.engine
        with engine.connect() as conn:
            return conn.execute(select(shared_hotlists).where(
                shared_hotlists.c.node == node,
                shared_hotlists.c.remote_list_id == remote_list_id)).first()  # fmt: skip

    def start_fremont(self) -> None:
        with pytest.MonkeyPatch.context() as env:  # the child reads its settings from these
            env.setenv("PLATELEDGER_REQUIRE_TOTP", "false")
            env.setenv("PLATELEDGER_SECRET_KEY", "f" * 32)
            process = _spawn(self.fremont_dir, self.fremont_port)
        self.process.append(process)
        _wait_ready(self.fremont_url, process)

    def stop_fremont(self) -> None:
        for process in self.process:
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=30)


@pytest.fixture(scope="module")
def nodes(tmp_path_factory: pytest.TempPathFactory, store_path: Path) -> Iterator[Nodes]:
    fremont_dir = tmp_path_factory.mktemp("fremont")
    unioncity_dir = tmp_path_factory.mktemp("unioncity")
    fremont_key = NodeKey.load_or_create(fremont_dir)
    unioncity_key = NodeKey.load_or_create(unioncity_dir)
    federal_key = NodeKey.generate()
    fremont_port, unioncity_port = _free_port(), _free_port()
    fremont_url = f"http://127.0.0.1:{fremont_port}"
    unioncity_url = f"http://127.0.0.1:{unioncity_port}"

    fremont_settings = Settings(data_dir=fremont_dir, require_totp=False)
    catalog = open_catalog(fremont_settings, password_hasher=FAST)
    try:
        fpd = catalog.add_agency("Fremont PD", "fpd", "municipal", "CA")
        catalog.add_agency("Union City PD", "ucpd", "municipal", "CA")
        catalog.add_user(fpd.id, "fran", PASSWORD, ["supervisor"])
        NodeRegistry(catalog, AuditLog(catalog.engine, signer=None)).add(
            operator(), "unioncity", unioncity_url, unioncity_key.public.text(), ["ucpd"]
        )
    finally:
        catalog.close()

    unioncity_settings = Settings(
        data_dir=unioncity_dir,
        store_path=store_path,
        secret_key="k" * 32,
        require_totp=False,
        ingest_batch_seconds=0.2,
        public_url=unioncity_url,  # served below on its own port, not the default one
    )
    catalog = open_catalog(unioncity_settings, password_hasher=FAST)
    try:
        ucpd = catalog.add_agency("Union City PD", "ucpd", "municipal", "CA")
        fpd = catalog.add_agency("Fremont PD", "fpd", "municipal", "CA")
        ice = catalog.add_agency("ICE ERO San Francisco", "ice-ero-sf", "federal", "CA")
        for recipient in (fpd.id, ice.id):  # only the law stands between Union City and ICE
            catalog.add_agreement(ucpd.id, recipient, actions=["alert"],
                                  purposes=["stolen_vehicle"], created_by="chief",
                                  case_number_required=False)  # fmt: skip
        catalog.add_user(ucpd.id, "uma", PASSWORD, ["supervisor"])
        catalog.add_camera("uc-1", ucpd.id, lat=37.59, lon=-122.02)
        camera_key = catalog.issue_api_key(ucpd.id, label="camera")
        registry = NodeRegistry(catalog, AuditLog(catalog.engine, signer=None))
        registry.add(operator(), "fremont", fremont_url, fremont_key.public.text(), ["fpd"])
        registry.add(operator(), "federal", f"http://127.0.0.1:{_free_port()}",
                     federal_key.public.text(), ["ice-ero-sf"])  # fmt: skip
    finally:
        catalog.close()

    app = create_app(unioncity_settings)
    server = Server(app, unioncity_port)
    nodes = Nodes(
        fremont_url, fremont_port, fremont_dir, fremont_settings, fremont_key,
        unioncity_url, unioncity_settings, app, federal_key, camera_key, [],
    )  # fmt: skip
    try:
        nodes.start_fremont()
        yield nodes
    finally:
        nodes.stop_fremont()
        server.stop()


def push_body(list_id: int, agency: str, plates: list[str], version: int, **extra: Any
              ) -> dict[str, Any]:  # fmt: skip
    return {
        "list_id": list_id, "agency": agency, "change": "share", "version": version,
        "name": f"list-{list_id}", "source": "NCIC", "category": "stolen_vehicle",
        "entries": [{"id": i + 1, "plate": p} for i, p in enumerate(plates)], **extra,
    }  # fmt: skip


def signed_post(key: NodeKey, url: str, body: dict[str, Any] | bytes) -> httpx.Response:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = sign_request(key, "POST", url, raw, created=int(time.time()))
    return httpx.post(url, content=raw, headers=headers, timeout=60)


# --- sharing ---------------------------------------------------------------------------


def test_a_shared_list_is_held_by_the_partner_under_the_remote_agency_and_never_shown_there(
    nodes: Nodes,
) -> None:
    plates = [new_plate("7H"), new_plate("7H")]
    list_id = nodes.share(plates)
    [(_, shared)] = [e for e in nodes.fremont_entries("hotlist_share_change")
                     if e[1]["list_id"] == list_id]  # fmt: skip
    assert (shared["change"], shared["node"], shared["agency"]) == ("share", "unioncity", "fpd")
    assert shared["user"] == "fran" and shared["before"] is None
    held = nodes.held("fremont", list_id)
    assert held is not None and held.agency == "fpd" and held.version == 1
    [(_, stored)] = [e for e in nodes.entries("shared_hotlist_change")
                     if e[1]["remote_list_id"] == list_id]  # fmt: skip
    assert (stored["change"], stored["node"], stored["agency"]) == ("share", "fremont", "fpd")
    assert stored["after"]["entry_count"] == 2 and stored["list_id"] == held.list_id
    # Union City's supervisor sees neither the list nor its entries
    headers = nodes.token(nodes.unioncity_url, "uma")
    mine = httpx.get(f"{nodes.unioncity_url}/v1/hotlists", headers=headers, timeout=30)
    assert mine.status_code == 200 and mine.json() == []
    entries = httpx.get(
        f"{nodes.unioncity_url}/v1/hotlists/{held.list_id}/entries", headers=headers, timeout=30
    )
    assert entries.status_code == 404
    assert plates[0] not in mine.text + entries.text
    listed = nodes.fremont("GET", f"/v1/hotlists/{list_id}/shares")
    assert listed.status_code == 200
    assert [(s["node"], s["pushed_version"], s["current"]) for s in listed.json()] == [
        ("unioncity", 1, True)
    ]


def test_changes_of_a_shared_list_reach_the_partner_and_an_unshare_removes_it(
    nodes: Nodes,
) -> None:
    first, second = new_plate("7C"), new_plate("7C")
    list_id = nodes.share([first])
    added = nodes.fremont("POST", f"/v1/hotlists/{list_id}/entries", json={"plate": second})
    assert added.status_code == 201, added.text
    [entry] = [e for e in nodes.fremont("GET", f"/v1/hotlists/{list_id}/entries").json()
               if e["plate"] == first]  # fmt: skip
    expired = nodes.fremont("POST", f"/v1/hotlists/{list_id}/entries/{entry['id']}/expire",
                            json={})  # fmt: skip
    assert expired.status_code == 200, expired.text
    pushed = nodes.fremont("GET", f"/v1/hotlists/{list_id}/shares").json()
    if not pushed[0]["current"]:  # Fremont's worker may not have run yet: push as it would
        until(lambda: nodes.fremont("GET", f"/v1/hotlists/{list_id}/shares").json()[0]["current"],
              "push of the changed list")  # fmt: skip
    held = nodes.held("fremont", list_id)
    engine = nodes.unioncity.state.catalog.engine
    with engine.connect() as conn:
        rows = {
            r.plate: r.expires_at
            for r in conn.execute(
                select(hotlist_entries).where(hotlist_entries.c.list_id == held.list_id)
            )
        }
    assert set(rows) == {first, second}
    assert rows[first] is not None and rows[second] is None
    assert held.version >= 2
    ended = nodes.fremont("DELETE", f"/v1/hotlists/{list_id}/shares/unioncity")
    assert ended.status_code == 200, ended.text
    assert [p["change"] for p in ended.json()["pushes"]] in ([], ["unshare"])
    until(lambda: nodes.held("fremont", list_id).list_id is None, "the partner's unshare")
    with engine.connect() as conn:
        assert conn.execute(select(hotlist_entries).where(
            hotlist_entries.c.list_id == held.list_id)).first() is None  # fmt: skip
    changes = [e["change"] for _, e in nodes.entries("shared_hotlist_change")
               if e["remote_list_id"] == list_id]  # fmt: skip
    assert changes[0] == "share" and changes[-1] == "unshare" and "update" in changes
    again = nodes.fremont("DELETE", f"/v1/hotlists/{list_id}/shares/unioncity")
    assert (again.status_code, again.json()["error"]["code"]) == (404, "not_shared")


def test_the_command_line_shares_lists_and_shows_each_partner(nodes: Nodes) -> None:
    made = nodes.fremont("POST", "/v1/hotlists", json={
        "name": f"cli-{uuid.uuid4().hex[:6]}", "category": "stolen_vehicle",
        "entries": [{"plate": new_plate("7L")}],
    })  # fmt: skip
    list_id = str(made.json()["list_id"])
    token = nodes.token(nodes.fremont_url, "fran")["Authorization"].removeprefix("Bearer ")
    where = ["--url", nodes.fremont_url, "--token", token]
    runner = CliRunner()
    shared = runner.invoke(cli, ["hotlist", "share", list_id, "--node", "unioncity", *where])
    assert shared.exit_code == 0, shared.output
    assert "with node `unioncity`" in shared.output
    until(lambda: nodes.held("fremont", int(list_id)), "the partner holding the list")
    listed = runner.invoke(cli, ["hotlist", "shares", list_id, *where])
    assert listed.exit_code == 0 and "unioncity" in listed.output
    ended = runner.invoke(cli, ["hotlist", "unshare", list_id, "--node", "unioncity", *where])
    assert ended.exit_code == 0 and "(unshared)" in ended.output
    refused = runner.invoke(cli, ["hotlist", "share", list_id, "--node", "nowhere", *where])
    assert refused.exit_code == 1 and "no node `nowhere`" in refused.output


def test_sharing_needs_a_registered_node_and_the_callers_own_list(nodes: Nodes) -> None:
    list_id = nodes.share([new_plate("7N")])
    unknown = nodes.fremont("POST", f"/v1/hotlists/{list_id}/shares", json={"node": "nowhere"})
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "unknown_node")
    twice = nodes.fremont("POST", f"/v1/hotlists/{list_id}/shares", json={"node": "unioncity"})
    assert (twice.status_code, twice.json()["error"]["code"]) == (409, "already_shared")
    other = nodes.fremont("POST", "/v1/hotlists/999999/shares", json={"node": "unioncity"})
    assert (other.status_code, other.json()["error"]["code"]) == (404, "unknown_list")


# --- hits ------------------------------------------------------------------------------


def test_a_hit_on_a_shared_list_is_decided_there_and_raised_on_the_list_owners_stream(
    nodes: Nodes,
) -> None:
    plate = new_plate("7A")
    list_id = nodes.share([plate])
    headers = nodes.token(nodes.fremont_url, "fran")
    seen: list[str] = []
    with httpx.stream("GET", f"{nodes.fremont_url}/v1/alerts/stream", headers=headers,
                      timeout=httpx.Timeout(WAIT, connect=10)) as response:  # fmt: skip
        assert response.status_code == 200
        lines = response.iter_lines()
        assert next(lines) == ": connected"
        nodes.read(plate)
        deadline = time.monotonic() + WAIT  # keep-alive comments come meanwhile
        for line in lines:
            seen.append(line)
            if line.startswith("data: ") or time.monotonic() > deadline:
                break
    assert "event: alert" in seen
    alert = json.loads(seen[-1].removeprefix("data: "))
    assert (alert["list_id"], alert["plate_listed"], alert["read"]["plate"]) == (
        list_id,
        plate,
        plate,
    )
    hit_id = alert["hit_id"]
    # Union City's entry: allowed, with the hit id and the list's node and agency
    [(sent_index, sent)] = [e for e in nodes.entries("alert_delivery") if e[1]["hit_id"] == hit_id]
    assert (sent["list_node"], sent["remote_list_id"], sent["agency"]) == (
        "fremont",
        list_id,
        "fpd",
    )
    assert sent["owner_agency"] == "ucpd" and sent["policy_ids"]
    # Fremont's entry: the receipt, with Union City's index; the alert names it
    [(received_index, received)] = [e for e in nodes.fremont_entries("shared_hit_received")
                                    if e[1]["hit_id"] == hit_id]  # fmt: skip
    assert received["sender_audit_index"] == sent_index
    assert (received["node"], received["agency"], received["owner_agency"]) == (
        "unioncity",
        "fpd",
        "ucpd",
    )
    assert alert["audit_index"] == received_index
    # Union City's outbox holds Fremont's index once Fremont's answer came back
    row = until(lambda: next((r for r in nodes.shared.lists.outbox()
                              if r["hit_id"] == hit_id and r["status"] == "delivered"), None),
                "delivered outbox row")  # fmt: skip
    assert (row["audit_index"], row["receipt_index"]) == (sent_index, received_index)
    hits = nodes.fremont("GET", "/v1/hits")
    assert [h["plate_listed"] for h in hits.json() if h["hit_id"] == hit_id] == [plate]


def test_a_federal_list_owner_gets_nothing_from_a_california_city(nodes: Nodes) -> None:
    plate = new_plate("7F")
    pushed = signed_post(nodes.federal_key, f"{nodes.unioncity_url}{LISTS_PATH}",
                         push_body(41, "ice-ero-sf", [plate], 1))  # fmt: skip
    assert pushed.status_code == 200, pushed.text
    before = len(nodes.shared.lists.outbox())
    count = len(nodes.entries("alert_withheld"))
    nodes.read(plate)
    withheld = until(lambda: [e for _, e in nodes.entries("alert_withheld")[count:]
                              if e.get("list_node") == "federal"], "withheld entry")  # fmt: skip
    [entry] = withheld
    assert NO_FEDERAL in entry["policy_ids"]
    assert (entry["list_owner"], entry["read_owner"], entry["remote_list_id"]) == (
        "ice-ero-sf",
        "ucpd",
        41,
    )
    assert entry["hit_id"] and plate not in json.dumps(entry)
    assert not [e for _, e in nodes.entries("alert_delivery") if e.get("list_node") == "federal"]
    assert len(nodes.shared.lists.outbox()) == before
    assert all(r["node"] != "federal" for r in nodes.shared.lists.outbox())
    assert not [e for _, e in nodes.fremont_entries("shared_hit_received")
                if plate in json.dumps(e)]  # fmt: skip


def test_a_hit_waits_while_the_list_owner_is_down_and_is_delivered_once(nodes: Nodes) -> None:
    plate = new_plate("7D")
    nodes.share([plate])
    nodes.stop_fremont()
    try:
        known = {r["hit_id"] for r in nodes.shared.lists.outbox()}
        nodes.read(plate)
        row = until(lambda: next((r for r in nodes.shared.lists.outbox()
                                  if r["hit_id"] not in known), None), "queued hit")  # fmt: skip
        with httpx.Client(timeout=5) as http:
            assert nodes.shared.lists.deliver_pending(nodes.shared.client(http)) == 0
        [waiting] = [r for r in nodes.shared.lists.outbox() if r["hit_id"] == row["hit_id"]]
        assert waiting["status"] == "pending" and waiting["attempts"] >= 1
        assert waiting["receipt_index"] is None
        assert waiting["next_attempt_at"] > int(time.time() * 1000)  # tried again later
    finally:
        nodes.start_fremont()
    later = datetime.now(UTC) + timedelta(hours=1)
    with httpx.Client(timeout=30) as http:
        nodes.shared.lists.deliver_pending(nodes.shared.client(http), now=later)
    [done] = [r for r in nodes.shared.lists.outbox() if r["hit_id"] == row["hit_id"]]
    assert done["status"] == "delivered" and done["receipt_index"] is not None
    # the same hit again (a retry whose answer was lost): taken once
    engine = nodes.unioncity.state.catalog.engine
    with engine.connect() as conn:
        body = conn.execute(select(shared_hit_outbox.c.body).where(
            shared_hit_outbox.c.hit_id == row["hit_id"])).scalar_one()  # fmt: skip
    with httpx.Client(timeout=30) as http:
        again = NodeClient(NodeKey.load_or_create(nodes.unioncity_settings.data_dir), http).post(
            nodes.fremont_url, HITS_PATH, json.loads(body)
        )
    assert again.outcome == "answered" and again.body is not None
    assert again.body["duplicate"] is True
    assert again.body["audit_index"] == done["receipt_index"]
    received = [e for _, e in nodes.fremont_entries("shared_hit_received")
                if e["hit_id"] == row["hit_id"]]  # fmt: skip
    assert len(received) == 1 and nodes.fremont_hits(row["hit_id"]) == 1


# --- refused requests --------------------------------------------------------------------


def test_unsigned_and_replayed_requests_are_refused(nodes: Nodes) -> None:
    body = json.dumps(push_body(51, "fpd", [new_plate("7U")], 1)).encode()
    url = f"{nodes.unioncity_url}{LISTS_PATH}"
    unsigned = httpx.post(url, content=body, headers={"Content-Type": "application/json"})
    assert (unsigned.status_code, unsigned.json()["error"]["code"]) == (401, "signature_missing")
    headers = sign_request(nodes.fremont_key, "POST", url, body, created=int(time.time()))
    first = httpx.post(url, content=body, headers=headers, timeout=30)
    assert first.status_code == 200, first.text
    replay = httpx.post(url, content=body, headers=headers, timeout=30)
    assert (replay.status_code, replay.json()["error"]["code"]) == (401, "replayed_request")
    hits = httpx.post(f"{nodes.fremont_url}{HITS_PATH}", json={"hit_id": str(uuid.uuid4())},
                      timeout=30)  # fmt: skip
    assert (hits.status_code, hits.json()["error"]["code"]) == (401, "signature_missing")
    # a node may push only for the agencies it is registered for
    other = signed_post(nodes.fremont_key, url, push_body(52, "ice-ero-sf", ["7ABC123"], 1))
    assert (other.status_code, other.json()["error"]["code"]) == (403, "agency_not_registered")


@pytest.mark.parametrize(
    ("remote_id", "change", "code"),
    [
        (61, {"entries": [{"id": 1, "plate": "!!"}]}, "invalid_entry"),
        (62, {"entries": [{"id": 1, "plate": "7GOOD11"}, {"id": 2, "plate": "7BAD#"}]},
         "invalid_entry"),
        (63, {"entries": [{"id": 1, "plate": "7GOOD11"}, {"id": 1, "plate": "7GOOD12"}]},
         "invalid_request"),
        (64, {"category": "not-a-category"}, "invalid_request"),
        (65, {"version": 0}, "invalid_request"),
        (66, {"change": "unshare"}, "invalid_request"),
        (67, {"surprise": True}, "invalid_request"),
        (68, {"entries": [{"id": 1, "plate": "7GOOD11", "expires_at": "soon"}]},
         "invalid_request"),
    ],
)  # fmt: skip
def test_a_malformed_list_push_is_refused_and_nothing_is_stored(
    nodes: Nodes, remote_id: int, change: dict[str, Any], code: str
) -> None:
    size = nodes.log.size()
    response = signed_post(
        nodes.fremont_key,
        f"{nodes.unioncity_url}{LISTS_PATH}",
        {**push_body(remote_id, "fpd", ["7GOOD10"], 1), **change},
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == code
    assert nodes.held("fremont", remote_id) is None
    assert nodes.log.size() == size


def test_a_stale_version_changes_nothing(nodes: Nodes) -> None:
    url = f"{nodes.unioncity_url}{LISTS_PATH}"
    plate = new_plate("7V")
    assert signed_post(nodes.fremont_key, url, push_body(71, "fpd", [plate], 3)).status_code == 200
    size = nodes.log.size()
    same = signed_post(nodes.fremont_key, url, push_body(71, "fpd", [plate], 3))
    assert same.status_code == 200 and same.json()["audit_index"] is None
    older = signed_post(nodes.fremont_key, url, push_body(71, "fpd", [], 2))
    assert (older.status_code, older.json()["error"]["code"]) == (409, "stale_version")
    assert nodes.log.size() == size and nodes.held("fremont", 71).version == 3


def test_a_hit_for_a_list_not_shared_with_the_sender_is_refused(nodes: Nodes) -> None:
    hit = {
        "hit_id": str(uuid.uuid4()), "list_id": 999999, "entry_id": 1, "agency": "fpd",
        "read_owner": "ucpd", "created_at": datetime.now(UTC).isoformat(),
        "category": "stolen_vehicle", "match_kind": "exact", "plate_listed": "7ABC123",
        "read": {"read_id": str(uuid.uuid4()), "camera_id": "uc-1",
                 "ts": datetime.now(UTC).isoformat(), "plate": "7ABC123"},
        "audit_index": 1,
    }  # fmt: skip
    unioncity_key = NodeKey.load_or_create(nodes.unioncity_settings.data_dir)
    refused = signed_post(unioncity_key, f"{nodes.fremont_url}{HITS_PATH}", hit)
    assert (refused.status_code, refused.json()["error"]["code"]) == (404, "not_shared")
    bad = signed_post(unioncity_key, f"{nodes.fremont_url}{HITS_PATH}", {**hit, "list_id": "x"})
    assert bad.status_code == 422


# --- revocation (last: it ends the partnership) ----------------------------------------


def test_revoking_the_list_owners_key_stops_list_updates_and_deliveries_at_once(
    nodes: Nodes,
) -> None:
    plate = new_plate("7R")
    list_id = nodes.share([plate])
    catalog = nodes.unioncity.state.catalog
    ucpd = catalog.agency_by_slug("ucpd")
    now = datetime.now(UTC)
    read = PlateRead(
        read_id=uuid.uuid4(), owner_id=ucpd.id, origin_state="CA", camera_id="uc-1", ts=now,
        plate_raw=plate, plate=plate, plate_key=confusion_key(plate), region="CA",
        confidence=0.9, received_at=now, expires_at=now + timedelta(days=1),
    )  # fmt: skip
    service = nodes.unioncity.state.hotlist.service
    assert service.deliverable_read_ids([read]) == {read.read_id}  # a hit keeps a read longer
    nodes.stop_fremont()  # so that the hit below waits in the outbox
    try:
        known = {r["hit_id"] for r in nodes.shared.lists.outbox()}
        nodes.read(plate)
        row = until(lambda: next((r for r in nodes.shared.lists.outbox()
                                  if r["hit_id"] not in known), None), "queued hit")  # fmt: skip
        catalog = open_catalog(nodes.unioncity_settings, password_hasher=FAST)
        try:
            NodeRegistry(catalog, AuditLog(catalog.engine, signer=None)).revoke(
                operator(), "fremont"
            )
        finally:
            catalog.close()
    finally:
        nodes.start_fremont()
    with httpx.Client(timeout=30) as http:
        sent = nodes.shared.lists.deliver_pending(
            nodes.shared.client(http), now=datetime.now(UTC) + timedelta(hours=1)
        )
    assert sent == 0
    [stopped] = [r for r in nodes.shared.lists.outbox() if r["hit_id"] == row["hit_id"]]
    assert (stopped["status"], stopped["last_error"]) == ("stopped", "node_revoked")
    assert nodes.fremont_hits(row["hit_id"]) == 0
    # a new read of the plate: matched, but nothing is decided, logged or queued for Fremont
    size, queued = nodes.log.size(), len(nodes.shared.lists.outbox())
    assert service.deliverable_read_ids([read]) == frozenset()  # nor kept longer as a hit
    report = service.process([read])
    assert (report.candidates, report.withdrawn, report.delivered, report.denied) == (1, 1, 0, 0)
    assert nodes.log.size() == size and len(nodes.shared.lists.outbox()) == queued
    # Fremont's changes are no longer taken
    added = nodes.fremont("POST", f"/v1/hotlists/{list_id}/entries", json={"plate": "7NEW111"})
    assert added.status_code == 201
    until(
        lambda: (
            "node_revoked"
            in nodes.fremont("GET", f"/v1/hotlists/{list_id}/shares").json()[0]["last_error"]
        ),
        "refused push",
    )
    refused = signed_post(nodes.fremont_key, f"{nodes.unioncity_url}{LISTS_PATH}",
                          push_body(list_id, "fpd", [plate], 99))  # fmt: skip
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "node_revoked")
    assert nodes.held("fremont", list_id).version == 1
