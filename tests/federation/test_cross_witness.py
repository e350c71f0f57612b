"""Cross-witnessing between three nodes over real HTTP, each with its own catalog
(SQLite), audit log, log key, node key and witness key.

Union City's node is the whole server (`create_app`: the read store, the audit log, the
background jobs, cross-witnessing among them) served by uvicorn in this process; Fremont's
and Hayward's nodes are the audit and tlog routes over their own catalogs and logs,
served the same way. Each registered the other two with their log and witness keys
(Union City registers Hayward's with ``plateledger node log-key``). Each node's round of
cross-witnessing (`CrossWitness.run_once`, what the server's background thread calls) is
run by the test, never waited for.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy import delete
from typer.testing import CliRunner

from plateledger.api.app import create_app
from plateledger.api.errors import install_error_handlers
from plateledger.api.routes import audit, tlog
from plateledger.audit import AuditLog, NoteSigner, verify_checkpoint
from plateledger.audit.schema import audit_entries, audit_head, audit_nodes
from plateledger.audit.witness import (
    CatalogWitnessState,
    CosignatureStore,
    CosignerVerifier,
    add_checkpoint_body,
    split_note,
)
from plateledger.catalog import Catalog, open_catalog
from plateledger.catalog.passwords import FAST
from plateledger.cli.main import app as cli
from plateledger.federation import NodeKey, NodeRegistry
from plateledger.federation.registry import operator
from plateledger.federation.witnessing import CrossWitness, witness_cosigner, witness_status
from plateledger.settings import Settings
from tests.access.conftest import PASSWORD
from tests.audit.conftest import search

pytestmark = pytest.mark.slow

NEVER = 10.0**6  # minutes: the background thread never runs during the tests
AGENCIES = {"unioncity": "ucpd", "fremont": "fpd", "hayward": "hpd"}


@dataclass
class Node:
    name: str
    url: str
    settings: Settings
    catalog: Catalog
    log: AuditLog
    cross: CrossWitness
    node_key: NodeKey
    log_key: str
    witness_key: str

    def served(self) -> tuple[str, list[str]]:
        """The checkpoint this node serves: its text and its signature lines."""
        response = httpx.get(f"{self.url}/v1/audit/tlog/checkpoint", timeout=30)
        assert response.status_code == 200, response.text
        assert verify_checkpoint(response.text, self.log_key).size == self.log.size()
        return split_note(response.text)

    def cosigned_by(self, *partners: Node) -> set[str]:
        """The partners among ``partners`` whose cosignature on the served checkpoint
        verifies under their registered witness key."""
        text, lines = self.served()
        found = set()
        for partner in partners:
            verifier = CosignerVerifier.parse(partner.witness_key)
            if any(verifier.verify_line(text, line) is not None for line in lines):
                found.add(partner.name)
        return found


@dataclass
class Nodes:
    unioncity: Node
    fremont: Node
    hayward: Node

    def all(self) -> list[Node]:
        return [self.unioncity, self.fremont, self.hayward]


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """``app`` served by uvicorn in a thread, its lifespan run (the whole server opens its
    resources there)."""

    def __init__(self, app: FastAPI, port: int) -> None:
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 120
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the node did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=60)


def _settings(data_dir: Path, name: str, **extra: object) -> Settings:
    return Settings(
        data_dir=data_dir,
        secret_key="k" * 32,
        require_totp=False,
        audit_origin=f"{name}.example/audit",
        witness_every_minutes=NEVER,
        **extra,  # type: ignore[arg-type]
    )


def _keys(data_dir: Path, origin: str) -> tuple[NodeKey, str, str]:
    """The node key, log key and witness key, made as the server makes them."""
    signer = NoteSigner.load_or_create(data_dir, origin)
    witness = witness_cosigner(data_dir / "witness", origin)
    return NodeKey.load_or_create(data_dir), signer.verifier_key(), witness.verifier_key()


def _light_node(name: str, data_dir: Path) -> tuple[Node, Server]:
    port = _port()
    settings = _settings(data_dir, name, public_url=f"http://127.0.0.1:{port}")
    catalog = open_catalog(settings, password_hasher=FAST)
    node_key, log_key, witness_key = _keys(data_dir, settings.audit_origin)
    log = AuditLog(catalog.engine, signer=NoteSigner.load(data_dir))
    cosignatures = CosignatureStore(data_dir / "cosignatures")
    app = FastAPI()
    install_error_handlers(app)
    app.include_router(audit.router)
    app.include_router(tlog.router)
    app.state.settings = settings
    app.state.audit_log = log
    app.state.catalog = catalog
    app.state.tlog_cosignatures = cosignatures
    server = Server(app, port)
    # its requests signed with its node key, as a server's are (`create_app`)
    cross = CrossWitness(catalog, log, cosignatures, interval=timedelta(minutes=NEVER),
                         node_key=lambda: node_key)
    url = f"http://127.0.0.1:{port}"
    return Node(name, url, settings, catalog, log, cross, node_key, log_key, witness_key), server


@pytest.fixture(scope="module")
def nodes(tmp_path_factory: pytest.TempPathFactory, store_path: Path) -> Iterator[Nodes]:
    servers: list[Server] = []
    light: list[Node] = []
    try:
        data_dir = tmp_path_factory.mktemp("unioncity")
        port = _port()
        settings = _settings(data_dir, "unioncity", store_path=store_path,
                             public_url=f"http://127.0.0.1:{port}")
        node_key, log_key, witness_key = _keys(data_dir, settings.audit_origin)
        app = create_app(settings)
        servers.append(Server(app, port))
        unioncity = Node(
            "unioncity",
            f"http://127.0.0.1:{port}",
            settings,
            app.state.catalog,
            app.state.audit_log,
            app.state.cross_witness,
            node_key,
            log_key,
            witness_key,
        )
        fremont, server = _light_node("fremont", tmp_path_factory.mktemp("fremont"))
        servers.append(server)
        light.append(fremont)
        hayward, server = _light_node("hayward", tmp_path_factory.mktemp("hayward"))
        servers.append(server)
        light.append(hayward)
        every = Nodes(unioncity, fremont, hayward)
        for node in every.all():
            for agency in AGENCIES.values():
                node.catalog.add_agency(agency.upper(), agency, "municipal", "CA")
            registry = NodeRegistry(node.catalog, AuditLog(node.catalog.engine, signer=None))
            for other in every.all():
                if other is node:
                    continue
                keys = node is not unioncity or other is not hayward
                registry.add(
                    operator(),
                    other.name,
                    other.url,
                    other.node_key.public.text(),
                    [AGENCIES[other.name]],
                    log_key=other.log_key if keys else None,
                    witness_key=other.witness_key if keys else None,
                )
        ucpd = unioncity.catalog.agency_by_slug("ucpd")
        assert ucpd is not None
        unioncity.catalog.add_user(ucpd.id, "audrey", PASSWORD, ["auditor"])
        unioncity.catalog.add_user(ucpd.id, "ivan", PASSWORD, ["investigator"])
        set_keys = CliRunner().invoke(
            cli,
            ["node", "log-key", "hayward", hayward.log_key, "--witness-key",
             hayward.witness_key, "--data-dir", str(unioncity.settings.data_dir)],
        )  # fmt: skip
        assert set_keys.exit_code == 0, set_keys.output
        assert "witnessing log `hayward.example/audit`" in set_keys.output
        yield every
    finally:
        for server in reversed(servers):
            server.stop()
        for node in light:
            node.cross.stop()
            node.catalog.close()


def bearer(node: Node, username: str) -> dict[str, str]:
    response = httpx.post(
        f"{node.url}/v1/auth/token",
        json={"username": username, "password": PASSWORD},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def outcomes(node: Node) -> dict[str, tuple[str, int | None]]:
    return {s.node: (s.outcome, s.status) for s in node.cross.run_once()}


def held(node: Node) -> dict[str, tuple[int, int | None, int]]:
    """What ``node``'s witness holds per partner: (cosigned size, last seen, conflicts)."""
    return {
        s.node: (s.cosigned_size, s.seen_size, len(s.conflicts))
        for s in witness_status(node.catalog, AuditLog(node.catalog.engine, signer=None))
    }


def test_the_server_runs_cross_witnessing_in_its_background_jobs(nodes: Nodes) -> None:
    cross = nodes.unioncity.cross
    assert isinstance(cross, CrossWitness)
    assert cross.interval == cross.first_delay == timedelta(minutes=NEVER)
    assert {n.name for n in cross.partners()} == {"fremont", "hayward"}


def test_each_node_cosigns_the_others_and_publishes_their_cosignatures(nodes: Nodes) -> None:
    for node in nodes.all():
        partners = [p for p in nodes.all() if p is not node]
        assert node.cosigned_by(*partners) == set()  # nothing before a round
        assert outcomes(node) == {p.name: ("cosigned", 200) for p in partners}
    for node in nodes.all():
        partners = [p for p in nodes.all() if p is not node]
        assert node.cosigned_by(*partners) == {p.name for p in partners}
        assert held(node) == {p.name: (p.log.size(), p.log.size(), 0) for p in partners}


def test_a_grown_log_is_cosigned_from_the_size_each_partner_holds(nodes: Nodes) -> None:
    fremont = nodes.fremont
    before = fremont.log.size()
    fremont.log.append_many([search(n) for n in range(300)])  # proofs across tiles
    assert outcomes(fremont) == {"unioncity": ("cosigned", 200), "hayward": ("cosigned", 200)}
    assert held(nodes.unioncity)["fremont"] == (before + 300, before + 300, 0)
    # a restarted node does not know what its partners hold: each answers 409 with its
    # size, and the node sends the proof from there
    fremont.log.append_many([search(n) for n in range(5)])
    restarted = CrossWitness(
        fremont.catalog, fremont.log, CosignatureStore(fremont.settings.data_dir / "cosignatures")
    )
    try:
        results = {s.node: (s.outcome, s.status) for s in restarted.run_once()}
    finally:
        restarted.stop()
    assert results == {"unioncity": ("cosigned", 200), "hayward": ("cosigned", 200)}
    assert fremont.cosigned_by(nodes.unioncity, nodes.hayward) == {"unioncity", "hayward"}
    assert held(nodes.hayward)["fremont"][0] == fremont.log.size()


def test_an_unknown_log_or_an_unknown_key_is_refused(nodes: Nodes, tmp_path: Path) -> None:
    catalog = open_catalog(Settings(data_dir=tmp_path), password_hasher=FAST)
    try:
        stranger = AuditLog(catalog.engine, signer=NoteSigner.generate("stranger.example/audit"))
        stranger.append_many([search(n) for n in range(3)])
        note = stranger.checkpoint()
    finally:
        catalog.close()
    url = f"{nodes.unioncity.url}/v1/witness/add-checkpoint"
    unknown = httpx.post(url, content=add_checkpoint_body(0, [], note))
    assert unknown.status_code == 404 and "stranger.example/audit" in unknown.text
    # Fremont's origin, signed by another key than the one registered
    impostor = NoteSigner.generate("fremont.example/audit")
    text = split_note(nodes.fremont.log.checkpoint())[0]
    forged = httpx.post(url, content=add_checkpoint_body(0, [], impostor.sign(text)))
    assert forged.status_code == 403
    assert "stranger.example/audit" not in {s.origin for s in witness_status(
        nodes.unioncity.catalog, nodes.unioncity.log)}  # fmt: skip


def test_a_revoked_partner_is_no_longer_witnessed_nor_asked(nodes: Nodes) -> None:
    unioncity, fremont = nodes.unioncity, nodes.fremont
    revoked = CliRunner().invoke(
        cli, ["node", "revoke", "fremont", "--data-dir", str(unioncity.settings.data_dir)]
    )
    assert revoked.exit_code == 0, revoked.output
    fremont.log.append(search(1))
    assert outcomes(fremont) == {"unioncity": ("refused", 404), "hayward": ("cosigned", 200)}
    assert fremont.cosigned_by(unioncity, nodes.hayward) == {"hayward"}
    assert outcomes(unioncity) == {"hayward": ("cosigned", 200)}  # Fremont is not asked
    assert unioncity.cosigned_by(fremont, nodes.hayward) == {"hayward"}
    status = CliRunner().invoke(
        cli, ["node", "witness-status", "--data-dir", str(unioncity.settings.data_dir)]
    )
    assert status.exit_code == 0, status.output
    [row] = [line for line in status.output.splitlines() if "fremont" in line]
    assert "yes" in row  # listed, revoked, with what was held when it was revoked


def test_a_rewritten_log_is_caught_by_its_partners(nodes: Nodes) -> None:
    hayward, unioncity, fremont = nodes.hayward, nodes.unioncity, nodes.fremont
    hayward.log.append_many([search(n) for n in range(4)])
    assert outcomes(hayward) == {"unioncity": ("cosigned", 200), "fremont": ("cosigned", 200)}
    size = hayward.log.size()
    witnessed = hayward.log.checkpoint()
    # the log is rewritten whole, consistent on its own, at the same size, and re-signed
    with hayward.log.engine.begin() as conn:
        for table in (audit_entries, audit_nodes, audit_head):
            conn.execute(delete(table))
    hayward.log.create_tables()
    hayward.log.append_many([search(n + 100) for n in range(size)])
    assert hayward.log.size() == size and hayward.log.checkpoint() != witnessed
    assert outcomes(hayward) == {"unioncity": ("refused", 409), "fremont": ("refused", 409)}
    assert hayward.cosigned_by(unioncity, fremont) == set()  # no cosignature to show
    for partner in (unioncity, fremont):
        state = CatalogWitnessState(partner.catalog.engine)
        [conflict] = state.conflicts("hayward.example/audit")
        assert (conflict.reason, conflict.size, conflict.held_size) == ("fork", size, size)
        # the evidence: two checkpoints of one size, both signed by Hayward's own key
        assert conflict.checkpoint == hayward.log.checkpoint()
        assert conflict.held_checkpoint == witnessed
        assert verify_checkpoint(conflict.checkpoint, hayward.log_key).size == size
        assert conflict.audit_index is not None
        entry = partner.log.entry(conflict.audit_index).entry
        assert (entry["type"], entry["origin"]) == ("witness_conflict", "hayward.example/audit")
    # grown past the size its partners hold: no proof from their checkpoint verifies (422)
    hayward.log.append_many([search(n) for n in range(3)])
    assert outcomes(hayward) == {"unioncity": ("refused", 422), "fremont": ("refused", 422)}
    assert hayward.cosigned_by(unioncity, fremont) == set()
    assert held(unioncity)["hayward"] == (size, size + 3, 2)
    shown = CliRunner().invoke(
        cli,
        ["node", "witness-status", "--conflicts", "--data-dir", str(unioncity.settings.data_dir)],
    )
    assert shown.exit_code == 0, shown.output
    assert f"hayward: conflict at size {size} (fork)" in shown.output
    assert f"hayward: conflict at size {size + 3} (proof_rejected)" in shown.output
    assert hayward.log.checkpoint() in shown.output  # the signed checkpoint, printed whole
    # the same for auditors over HTTP: GET /v1/witness/status
    url = f"{unioncity.url}/v1/witness/status"
    assert httpx.get(url, timeout=30).status_code == 401
    assert httpx.get(url, headers=bearer(unioncity, "ivan"), timeout=30).status_code == 403
    answer = httpx.get(url, headers=bearer(unioncity, "audrey"), timeout=30)
    assert answer.status_code == 200, answer.text
    partners = {p["node"]: p for p in answer.json()["partners"]}
    assert set(partners) == {"fremont", "hayward"} and partners["fremont"]["revoked"]
    hay = partners["hayward"]
    assert (hay["origin"], hay["last_cosigned_size"], hay["last_seen_size"]) == (
        "hayward.example/audit",
        size,
        size + 3,
    )
    assert [(c["reason"], c["size"]) for c in hay["conflicts"]] == [
        ("fork", size),
        ("proof_rejected", size + 3),
    ]
    assert hay["conflicts"][1]["checkpoint"] == hayward.log.checkpoint()
    assert hay["conflicts"][0]["held_checkpoint"] == witnessed


def test_a_truncated_log_is_refused_and_caught_once_it_grows_past(nodes: Nodes) -> None:
    """Fremont's log (witnessed by Hayward) cut below the size Hayward holds: refused (409,
    with the size held: no proof from there can be sent); grown past it: the proof from
    Hayward's checkpoint fails (422), and the conflict is kept."""
    fremont, hayward = nodes.fremont, nodes.hayward
    assert outcomes(fremont)["hayward"] == ("cosigned", 200)  # its log grew since: entries
    held_size = held(hayward)["fremont"][0]  # of the conflicts it kept of Hayward's
    assert held_size == fremont.log.size()
    with fremont.log.engine.begin() as conn:
        for table in (audit_entries, audit_nodes, audit_head):
            conn.execute(delete(table))
    fremont.log.create_tables()
    fremont.log.append_many([search(n + 500) for n in range(held_size - 10)])
    assert outcomes(fremont)["hayward"] == ("refused", 409)
    assert held(hayward)["fremont"] == (held_size, held_size - 10, 0)
    fremont.log.append_many([search(n) for n in range(20)])
    assert outcomes(fremont)["hayward"] == ("refused", 422)
    assert fremont.cosigned_by(hayward) == set()
    [conflict] = CatalogWitnessState(hayward.catalog.engine).conflicts("fremont.example/audit")
    assert (conflict.reason, conflict.size, conflict.held_size) == (
        "proof_rejected",
        held_size + 10,
        held_size,
    )
