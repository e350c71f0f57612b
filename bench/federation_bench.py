"""Federated exact search over local nodes, against a local search of the same reads.

    python -m bench.federation_bench --nodes 5 --reads 20000 --searches 300

Starts ``--nodes`` nodes, each a `plateledger serve` process with its own data directory
(catalog, read store, audit log, node key) on this machine, each holding one agency's
reads; the first node's investigator searches, and the first node sends each exact search
to the other nodes (signed, in parallel), each of which decides it under its own
agreement, logs it and answers. A further node, one process, holds the same reads of all
the agencies with the same agreements: the same searches there are the local baseline.

Both are timed in this process, over HTTP, interleaved search by search (federated, then
local, same plate), so that the machine's noise falls on both alike. The plates are shared
by every node's reads, and each answer is checked: every partner answered and allowed,
and the federated answer holds the same reads as the local one. A third figure is one
partner's part alone: the same search, signed with the first node's key, sent straight
to the second node (verified, decided, searched, logged and answered). Writes
``bench/results/federation-<nodes>nodes.json`` and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.timing import machine, percentile, write_result
from plateledger.access.federated import SEARCH_PATH
from plateledger.audit import AuditLog
from plateledger.catalog import open_catalog
from plateledger.catalog.passwords import FAST
from plateledger.federation import NodeClient, NodeKey, NodeRegistry
from plateledger.federation.registry import operator
from plateledger.settings import Settings

PASSWORD = "bench-password-not-secret"
LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"
SEARCH = {
    "kind": "exact",
    "purpose": "stolen_vehicle",
    "offense_type": "240",
    "case_number": "BN-2026-0001",
    "reason": "stolen white pickup seen leaving the lot",
}


@dataclass
class Node:
    name: str
    data_dir: Path
    port: int
    agencies: list[str]
    """slugs of the agencies whose reads this node keeps"""
    camera_keys: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def slug(i: int) -> str:
    return f"city{i}"


def seed(node: Node, count: int) -> None:
    """The node's catalog: every agency (California cities), the cameras and keys of its
    own, an investigator of the first agency, and each other agency's agreement with the
    first (owners keep the agreements: a node holds those of its own agencies)."""
    catalog = open_catalog(
        Settings(data_dir=node.data_dir, require_totp=False), password_hasher=FAST
    )
    try:
        ids = {
            slug(i): catalog.add_agency(f"City {i} PD", slug(i), "municipal", "CA").id
            for i in range(1, count + 1)
        }
        for name in node.agencies:
            catalog.add_camera(f"{name}-cam", ids[name], lat=37.6, lon=-122.0)
            node.camera_keys[name] = catalog.issue_api_key(ids[name], label="bench camera")
            if name != slug(1):
                catalog.add_agreement(
                    ids[name],
                    ids[slug(1)],
                    actions=["search"],
                    purposes=["stolen_vehicle"],
                    created_by="bench",
                )
        if slug(1) in node.agencies:
            catalog.add_user(ids[slug(1)], "investigator", PASSWORD, ["investigator"])
    finally:
        catalog.close()


def register(nodes: list[Node]) -> None:
    """The first node registers every other for its agency; each other registers the first."""
    keys = {n.name: NodeKey.load_or_create(n.data_dir).public.text() for n in nodes}
    first, others = nodes[0], nodes[1:]

    def add(at: Node, partner: Node) -> None:
        catalog = open_catalog(Settings(data_dir=at.data_dir, require_totp=False))
        try:
            NodeRegistry(catalog, AuditLog(catalog.engine, signer=None)).add(
                operator(), partner.name, partner.url, keys[partner.name], partner.agencies
            )
        finally:
            catalog.close()

    for other in others:
        add(first, other)
        add(other, first)


def start(node: Node) -> None:
    env = {
        **os.environ,
        "PLATELEDGER_REQUIRE_TOTP": "false",
        "PLATELEDGER_REPORTS_SCHEDULE": "false",
        # a partner slow on a loaded machine is waited for, not dropped: every answer is
        # checked, and a search with a partner left behind stops the run
        "PLATELEDGER_FEDERATION_TIMEOUT_SECONDS": "30",
    }
    with (node.data_dir / "server.log").open("ab") as log:
        node.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "plateledger.cli.main",
                "serve",
                "--data-dir",
                str(node.data_dir),
                "--port",
                str(node.port),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )


def wait_ready(node: Node) -> None:
    assert node.process is not None
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if node.process.poll() is not None:
            raise RuntimeError(f"node {node.name} exited; see {node.data_dir}/server.log")
        try:
            if httpx.get(f"{node.url}/v1/audit/checkpoint", timeout=2).is_success:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"node {node.name} did not start")


def plate(k: int) -> str:
    middle = LETTERS[k % 23] + LETTERS[(k // 23) % 23] + LETTERS[(k // 529) % 23]
    return f"{k % 9 + 1}{middle}{k % 1000:03d}"


def reads_of(agency: str, count: int, plates: int, rng: random.Random) -> list[dict[str, Any]]:
    """``count`` reads of ``agency``'s camera over the last day, of ``plates`` plates
    shared by every agency."""
    now = int(time.time() * 1000)
    return [
        {
            "camera_id": f"{agency}-cam",
            "ts": now - rng.randrange(86_400_000),
            "plate": plate(rng.randrange(plates)),
            "confidence": 0.9,
            "region": "CA",
        }
        for _ in range(count)
    ]


def post_reads(node: Node, agency: str, reads: list[dict[str, Any]]) -> None:
    with httpx.Client(timeout=300, headers={"X-API-Key": node.camera_keys[agency]}) as http:
        for i in range(0, len(reads), 2000):
            response = http.post(f"{node.url}/v1/reads", json=reads[i : i + 2000])
            if response.status_code != 200 or response.json()["errors"]:
                raise RuntimeError(f"ingest failed: {response.text[:300]}")


def token(node: Node) -> str:
    response = httpx.post(
        f"{node.url}/v1/auth/token",
        json={"username": "investigator", "password": PASSWORD},
        timeout=60,
    )
    response.raise_for_status()
    return str(response.json()["access_token"])


def summary(samples: list[float]) -> dict[str, float]:
    return {
        "n": len(samples),
        "p50_ms": round(statistics.median(samples), 2),
        "p99_ms": round(percentile(samples, 99), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=5)
    parser.add_argument("--reads", type=int, default=20_000, help="reads per node")
    parser.add_argument(
        "--plates", type=int, default=2_000, help="plates the reads are of (shared by every node)"
    )
    parser.add_argument("--searches", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    base = Path(tempfile.mkdtemp(prefix="plateledger-federation-bench-"))
    nodes = [
        Node(f"node{i}", base / f"node{i}", free_port(), [slug(i)])
        for i in range(1, args.nodes + 1)
    ]
    single = Node(
        "single", base / "single", free_port(), [slug(i) for i in range(1, args.nodes + 1)]
    )
    for node in [*nodes, single]:
        node.data_dir.mkdir(parents=True)
        seed(node, args.nodes)
    register(nodes)
    everything = [*nodes, single]
    try:
        for node in everything:
            start(node)
        for node in everything:
            wait_ready(node)
        print(f"{len(everything)} nodes up; loading {args.reads:,} reads per agency", flush=True)
        for i, node in enumerate(nodes, 1):
            reads = reads_of(slug(i), args.reads, args.plates, rng)
            post_reads(node, slug(i), reads)
            post_reads(single, slug(i), reads)
        fed_http = httpx.Client(
            base_url=nodes[0].url,
            timeout=60,
            headers={"Authorization": f"Bearer {token(nodes[0])}"},
        )
        local_http = httpx.Client(
            base_url=single.url, timeout=60, headers={"Authorization": f"Bearer {token(single)}"}
        )
        owner = NodeClient(NodeKey.load_or_create(nodes[0].data_dir), httpx.Client(timeout=60))
        fed: list[float] = []
        local: list[float] = []
        partner: list[float] = []
        returned: list[int] = []
        for n in range(args.warmup + args.searches):
            body = SEARCH | {"params": {"plate": plate(rng.randrange(args.plates)), "limit": 1000}}
            begin = time.perf_counter()
            fed_page = fed_http.post("/v1/searches", json=body)
            fed_ms = (time.perf_counter() - begin) * 1000
            begin = time.perf_counter()
            local_page = local_http.post("/v1/searches", json=body)
            local_ms = (time.perf_counter() - begin) * 1000
            # What one partner does for each fan-out: a signed request, verified, decided,
            # searched, logged and answered (sent here as the first node sends it).
            direct = {
                "search_id": str(uuid.uuid4()),
                "kind": "exact",
                "params": body["params"],
                "requester": {
                    "user": "investigator",
                    "agency": slug(1),
                    "agency_class": "municipal",
                    "roles": ["investigator"],
                },
            } | {k: SEARCH[k] for k in ("purpose", "offense_type", "case_number", "reason")}
            begin = time.perf_counter()
            answer = owner.post(nodes[1].url, SEARCH_PATH, direct)
            partner_ms = (time.perf_counter() - begin) * 1000
            if answer.outcome != "answered":
                raise RuntimeError(f"the partner refused: {answer.code}")
            if fed_page.status_code != 200 or local_page.status_code != 200:
                raise RuntimeError(f"search failed: {fed_page.text[:300]} {local_page.text[:300]}")
            got, want = fed_page.json(), local_page.json()
            remote = got["remote_owners"]
            if len(remote) != args.nodes - 1 or any(o["status"] != "allowed" for o in remote):
                raise RuntimeError(f"a partner did not answer: {json.dumps(remote)[:500]}")
            key = sorted((r["plate"], r["ts"]) for r in got["results"])
            if key != sorted((r["plate"], r["ts"]) for r in want["results"]):
                raise RuntimeError("the federated answer differs from the local one")
            if n >= args.warmup:
                fed.append(fed_ms)
                local.append(local_ms)
                partner.append(partner_ms)
                returned.append(len(got["results"]))
        fed_http.close()
        local_http.close()
        owner.http.close()
    finally:
        for node in everything:
            if node.process is not None and node.process.poll() is None:
                node.process.terminate()
        for node in everything:
            if node.process is not None:
                node.process.wait(timeout=60)
    federated, baseline, one = summary(fed), summary(local), summary(partner)
    result: dict[str, Any] = {
        "machine": machine(),
        "nodes": args.nodes,
        "reads_per_node": args.reads,
        "plates": args.plates,
        "searches": args.searches,
        "reads_per_answer_median": statistics.median(returned),
        "federated": federated,
        "local": baseline,
        "one_partner_signed_request": summary(partner),
        "overhead_ratio_p50": round(federated["p50_ms"] / baseline["p50_ms"], 2),
        "overhead_ratio_p99": round(federated["p99_ms"] / baseline["p99_ms"], 2),
        "overhead_ms_p50": round(federated["p50_ms"] - baseline["p50_ms"], 2),
        "target_p50_ms": 50,
    }
    write_result(f"federation-{args.nodes}nodes", result)
    print(
        f"\n| exact search, {args.nodes} nodes ({args.nodes - 1} partners), p50 / p99 ms | "
        f"local, one node, same reads, p50 / p99 ms | fan-out overhead (p50 ratio) | "
        f"one partner's signed search alone, p50 / p99 ms |\n"
        f"|---|---|---|---|\n"
        f"| {federated['p50_ms']} / {federated['p99_ms']} | "
        f"{baseline['p50_ms']} / {baseline['p99_ms']} | ×{result['overhead_ratio_p50']} "
        f"(+{result['overhead_ms_p50']} ms) | {one['p50_ms']} / {one['p99_ms']} |"
    )


if __name__ == "__main__":
    main()
