"""`plateledger demo --federated`: the demo as three nodes, each its own process, data
directory, catalog, log and key, registered with each other; a search from the county's
node reaches Union City's node, which decides it under its own agreements, and both logs
hold the search under one UUID."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from plateledger.audit import AuditLog
from plateledger.catalog import open_catalog
from plateledger.catalog.totp import totp_code
from plateledger.cli.demo import NODES_FILE
from plateledger.demo import DEMO_PASSWORD, FEDERATED_NODES, DemoAccounts
from plateledger.settings import Settings

pytestmark = pytest.mark.slow

NO_FEDERAL = "ca-civ-1798.90.55b-no-federal"


def free_ports(count: int) -> int:
    """The first of ``count`` consecutive ports free on 127.0.0.1 now."""
    for _ in range(200):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base = int(probe.getsockname()[1])
        if base + count > 65535:
            continue
        held = []
        try:
            for port in range(base, base + count):
                sock = socket.socket()
                held.append(sock)
                sock.bind(("127.0.0.1", port))
        except OSError:
            continue
        finally:
            for sock in held:
                sock.close()
        return base
    raise RuntimeError("no consecutive free ports")


@dataclass
class Demo:
    process: subprocess.Popen[bytes]
    base: Path
    nodes: dict[str, dict[str, Any]]

    def login(self, node: str, username: str) -> str:
        accounts = DemoAccounts(**json.loads((self.base / node / "demo-accounts.json").read_text()))
        code = totp_code(accounts.totp_secrets[username], datetime.now(UTC))
        response = httpx.post(
            f"{self.nodes[node]['url']}/v1/auth/token",
            json={"username": username, "password": DEMO_PASSWORD, "totp": code},
            timeout=60,
        )
        assert response.status_code == 200, response.text
        return str(response.json()["access_token"])

    def search(self, node: str, username: str, plate: str) -> dict[str, Any]:
        response = httpx.post(
            f"{self.nodes[node]['url']}/v1/searches",
            json={
                "kind": "exact",
                "params": {"plate": plate},
                "purpose": "stolen_vehicle",
                "offense_type": "240",
                "case_number": "AC-2026-0042",
                "reason": "stolen white pickup seen leaving the lot",
            },
            headers={"Authorization": f"Bearer {self.login(node, username)}"},
            timeout=120,
        )
        assert response.status_code == 200, response.text
        page: dict[str, Any] = response.json()
        return page

    def entries(self, node: str) -> dict[int, dict[str, Any]]:
        catalog = open_catalog(Settings(data_dir=self.base / node))
        try:
            log = AuditLog(catalog.engine, signer=None)
            return {r.index: r.entry for r in log.entries(0, log.size())}
        finally:
            catalog.close()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    data_dir = tmp_path_factory.mktemp("demo-federated")
    port = free_ports(len(FEDERATED_NODES))
    env = {**os.environ, "PLATELEDGER_INGEST_BATCH_SECONDS": "0.2"}
    with (data_dir / "demo.log").open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "plateledger.cli.main", "demo", "--federated",
             "--data-dir", str(data_dir), "--reads", "6000", "--days", "1",
             "--port", str(port)],
            stdout=log, stderr=subprocess.STDOUT, env=env,
        )  # fmt: skip
    base = data_dir / "federated"
    listed = base / NODES_FILE
    try:
        deadline = time.monotonic() + 300
        while not listed.exists():
            assert process.poll() is None, (data_dir / "demo.log").read_text()
            assert time.monotonic() < deadline, "the federated demo did not start in time"
            time.sleep(0.2)
        nodes = {n["node"]: n for n in json.loads(listed.read_text())}
        yield Demo(process, base, nodes)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        process.wait(timeout=120)
    assert not listed.exists()
    for node in FEDERATED_NODES:  # every node's process stopped with the demo
        with pytest.raises(httpx.TransportError):
            httpx.get(f"{nodes[node.name]['url']}/v1/audit/checkpoint", timeout=5)


def test_the_demo_serves_each_node_on_consecutive_ports_with_its_partners_registered(
    demo: Demo,
) -> None:
    ports = [int(str(demo.nodes[n.name]["url"]).rsplit(":", 1)[1]) for n in FEDERATED_NODES]
    assert ports == list(range(ports[0], ports[0] + len(FEDERATED_NODES)))
    for node in FEDERATED_NODES:
        assert demo.nodes[node.name]["agencies"] == list(node.agencies)
        assert f"{node.agencies[0]}.investigator" in demo.nodes[node.name]["logins"]
        catalog = open_catalog(Settings(data_dir=demo.base / node.name))
        try:
            users = {u.username for u in catalog.users()}
            mine = {f"{slug}.investigator" for slug in node.agencies}
            assert mine <= users
            assert all(u.split(".")[0] in node.agencies for u in users)
        finally:
            catalog.close()
        changes = [e for e in demo.entries(node.name).values() if e["type"] == "node_change"]
        assert sorted(e["node"] for e in changes) == sorted(
            n.name for n in FEDERATED_NODES if n != node
        )
    assert "plateledger federated demo" in (demo.base.parent / "demo.log").read_text()


def test_a_search_from_the_county_reaches_union_city_under_its_own_policy(demo: Demo) -> None:
    plate = demo.nodes["unioncity"]["plate"]
    assert plate
    page = demo.search("alameda", "acso.investigator", plate)
    union_city = {o["agency"]: o for o in page["remote_owners"]}["ucpd"]
    assert union_city["node"] == "unioncity" and union_city["status"] == "allowed"
    assert union_city["returned"] >= 1
    assert any(r["plate"] == plate for r in page["results"])
    # Both logs hold the search, joined by its UUID and each other's leaf index.
    theirs = demo.entries("unioncity")[union_city["audit_index"]]
    assert theirs["type"] == "search" and theirs["query"]["search_id"] == page["search_id"]
    assert theirs["requesting_node"] == "alameda"
    assert theirs["requesting_audit_index"] == page["audit_index"]
    assert theirs["owners_allowed"] == ["ucpd"]
    mine = demo.entries("alameda")[page["federation_audit_index"]]
    assert mine["search_id"] == page["search_id"]
    asked = {n["node"]: n for n in mine["nodes"]}
    assert asked["unioncity"]["audit_index"] == union_city["audit_index"]


def test_the_federal_units_search_is_refused_by_every_california_node(demo: Demo) -> None:
    plate = demo.nodes["unioncity"]["plate"]
    page = demo.search("federal", "ice-ero-sf.investigator", plate)
    owners = {o["agency"]: o for o in page["remote_owners"]}
    assert set(owners) == {"ucpd", "acso", "fpd", "hpd"}
    for owner in owners.values():
        assert owner["status"] == "denied" and NO_FEDERAL in owner["policy_ids"]
    assert page["results"] == [] and plate not in json.dumps(page["remote_owners"])
    theirs = demo.entries("unioncity")[owners["ucpd"]["audit_index"]]
    assert theirs["query"]["search_id"] == page["search_id"]
    assert theirs["owners_allowed"] == [] and theirs["result_count"] == 0
