"""Exports across nodes: each owner's node decides ``export`` for its own reads under its
own packs and agreements, logs its own ``export`` entry and sends only what it allows;
the requesting node logs the fan-out before a byte of the file is written.

Union City's node (a server process) lets Fremont search *and export* its reads for
stolen vehicles. (That a search agreement alone does not let Fremont export is held in
`tests.federation.test_kinds`, whose nodes share for searches only.)
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from plateledger.access.digest import result_digest
from plateledger.access.exports import MAX_EXPORT_ROWS
from plateledger.access.federated_exports import EXPORT_PATH, FEDERATED_EXPORT
from plateledger.audit import AuditLog
from plateledger.catalog import open_catalog
from plateledger.catalog.passwords import FAST
from plateledger.federation import NodeClient, NodeKey, NodeRegistry
from plateledger.federation.registry import operator
from tests.conftest import _free_port
from tests.federation.test_fanout import NO_FEDERAL, entries, new_plate
from tests.federation.test_kinds import FR1, UC1, UC2, Pair, at, read, two_nodes

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory, store_path: Path) -> Iterator[Pair]:
    with two_nodes(tmp_path_factory, store_path, cap=None, actions=("search", "export")) as found:
        yield found


def rows(response: httpx.Response) -> list[dict[str, Any]]:
    return [json.loads(line) for line in response.text.splitlines()]


def owner_entry(pair: Pair, search_id: str) -> tuple[int, dict[str, Any]]:
    [found] = [
        (i, e) for i, e in entries(pair.owner_settings, "export")
        if e["query"].get("search_id") == search_id
    ]
    return found


def test_an_export_holds_the_partners_allowed_reads_and_both_logs_join(pair: Pair) -> None:
    plate = new_plate("8X")
    pair.plant(
        [read("uc-1", UC1, plate, 10), read("uc-2", UC2, plate, 30)],
        [read("fr-1", FR1, plate, 20)],
    )
    response = pair.export("fred", "exact", {"plate": plate}, format="ndjson")
    assert response.status_code == 200, response.text
    got = rows(response)
    # newest first across both nodes; Union City's reads under its id in this catalog,
    # with no reference to its image files
    assert [(r["camera_id"], r["owner_id"]) for r in got] == [
        ("uc-2", pair.ucpd_id), ("fr-1", pair.fpd_id), ("uc-1", pair.ucpd_id)
    ]
    assert all(r["image_plate"] == "" for r in got if r["owner_id"] == pair.ucpd_id)
    assert response.headers["x-exported-count"] == "3"
    assert response.headers["x-total-count"] == "3"
    denied = dict(d.split(":") for d in response.headers["x-owners-denied"].split(";") if d)
    assert str(pair.ucpd_id) not in denied  # (the federal unit here, with no agreement, is)
    assert response.headers["x-owners-unavailable"] == ""

    local_index = int(response.headers["x-audit-index"])
    fan_index = int(response.headers["x-federation-audit-index"])
    [(_, local)] = [(i, e) for i, e in entries(pair.settings, "export") if i == local_index]
    [(_, fan)] = [(i, e) for i, e in entries(pair.settings, FEDERATED_EXPORT) if i == fan_index]
    search_id = local["query"]["search_id"]
    index, owned = owner_entry(pair, search_id)
    # the owner decided `export` itself, for its own agency only, and logged it first
    assert owned["owners_allowed"] == ["ucpd"] and owned["returned"] == 2
    assert owned["requesting_node"] == "fremont"
    assert owned["requesting_audit_index"] == local_index
    # the requester's fan-out names the owner's entry and what the file holds
    assert fan["search_id"] == search_id and fan["export_audit_index"] == local_index
    [node] = fan["nodes"]
    assert (node["node"], node["outcome"], node["audit_index"]) == ("unioncity", "answered", index)
    assert node["owners_allowed"] == ["ucpd"] and node["returned"] == 2
    assert fan["file"]["returned_by_owner"] == {"fpd": 1, "ucpd": 2}
    assert fan["file"]["result_digest"] == result_digest(uuid.UUID(r["read_id"]) for r in got)
    # this node's own part is of its own owner only
    assert local["owners_allowed"] == ["fpd"] and local["returned"] == 1


def test_a_csv_export_lists_the_partners_reads_too(pair: Pair) -> None:
    plate = new_plate("8C")
    pair.plant([read("uc-1", UC1, plate, 40)], [])
    response = pair.export("fred", "exact", {"plate": plate})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(response.text)))
    assert [(r["plate"], r["owner_id"]) for r in table] == [(plate, str(pair.ucpd_id))]


def test_the_federal_unit_export_is_refused_by_the_partners_pack(pair: Pair) -> None:
    plate = new_plate("8F")
    pair.plant([read("uc-1", UC1, plate, 50)], [])
    response = pair.export("ivan", "exact", {"plate": plate}, format="ndjson")
    assert response.status_code == 200, response.text
    assert rows(response) == []
    denied = dict(d.split(":") for d in response.headers["x-owners-denied"].split(";") if d)
    assert NO_FEDERAL in denied[str(pair.ucpd_id)].split(",")
    local_index = int(response.headers["x-audit-index"])
    [local] = [e for i, e in entries(pair.settings, "export") if i == local_index]
    _, owned = owner_entry(pair, local["query"]["search_id"])
    assert owned["owners_allowed"] == [] and owned["result_count"] == 0
    assert plate not in json.dumps(owned["owners_denied"])


def test_an_export_past_the_partners_window_is_refused_before_anything_is_sent(
    pair: Pair,
) -> None:
    before = len(entries(pair.owner_settings, "export"))
    params = {"plate": new_plate("8D"), "offset": 5}
    response = pair.export("fred", "exact", params, max_rows=MAX_EXPORT_ROWS)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "export_too_deep"
    assert len(entries(pair.owner_settings, "export")) == before


def test_a_later_slice_is_cut_from_the_merged_order(pair: Pair) -> None:
    plate = new_plate("8S")
    pair.plant(
        [read("uc-1", UC1, plate, 60), read("uc-2", UC2, plate, 80)],
        [read("fr-1", FR1, plate, 70)],
    )
    params = {"plate": plate, "offset": 1}
    response = pair.export("fred", "exact", params, max_rows=1, format="ndjson")
    assert response.status_code == 200, response.text
    assert [r["camera_id"] for r in rows(response)] == ["fr-1"]
    assert response.headers["x-total-count"] == "3"


def test_a_stakeout_export_is_of_this_nodes_reads_and_says_so(pair: Pair) -> None:
    plate = new_plate("8K")
    pair.plant([read("uc-1", UC1, plate, 90)], [read("fr-1", FR1, plate, 95)])
    window = {"since": at(-600).isoformat(), "until": at(7200).isoformat()}
    stakeout = {
        "areas": [{"shape": "circle", "lat": FR1[0], "lon": FR1[1], "meters": 300} | window],
        "min_areas": 1,
    }
    response = pair.export("fred", "stakeout", {}, stakeout=stakeout, format="ndjson")
    assert response.status_code == 200, response.text
    assert response.headers["x-owners-unavailable"] == f"{pair.ucpd_id}:export_kind_local"
    assert "x-federation-audit-index" not in response.headers
    got = rows(response)
    assert plate in {r["plate"] for r in got}  # Fremont's own read of the plate is there
    assert all(r["owner_id"] == pair.fpd_id for r in got)


def test_a_replayed_export_uuid_is_refused_by_the_owner(pair: Pair) -> None:
    """The owner answers one export per UUID and node: a second request reusing the UUID
    (under a fresh signature and nonce) is refused, and logs nothing."""
    plate = new_plate("8R")
    pair.plant([read("uc-1", UC1, plate, 100)], [])
    client = NodeClient(pair.key, httpx.Client(timeout=30))
    body = {
        "search_id": "6f1c1d0e-5a55-4d6f-9b8e-000000000001",
        "kind": "exact",
        "params": {"plate": plate},
        "requester": {"user": "fred", "agency": "fpd", "roles": ["investigator"]},
        "max_rows": 10,
    } | {k: v for k, v in Pair.body("exact", {}).items() if k not in ("kind", "params")}
    try:
        first = client.post(pair.owner_url, EXPORT_PATH, body)
        again = client.post(pair.owner_url, EXPORT_PATH, body)
    finally:
        client.http.close()
    assert first.outcome == "answered" and first.body is not None
    assert [r["plate"] for r in first.body["results"]] == [plate]
    assert (again.outcome, again.code) == ("refused", "search_id_reused")
    logged = [e for _, e in entries(pair.owner_settings, "export")
              if e["query"].get("search_id") == body["search_id"]]
    assert len(logged) == 1


def test_a_partner_that_is_down_is_listed_unavailable_and_the_rest_is_exported(
    pair: Pair,
) -> None:
    """A node registered for another agency that does not answer: its owner is listed
    unavailable, Union City's and Fremont's reads are exported, the fan-out records it."""
    catalog = open_catalog(pair.settings, password_hasher=FAST)
    try:
        catalog.add_agency("Newark PD", "npd", "municipal", "CA")
        registry = NodeRegistry(catalog, AuditLog(catalog.engine, signer=None))
        registry.add(
            operator(), "newark", f"http://127.0.0.1:{_free_port()}",
            NodeKey.load_or_create(pair.settings.data_dir / "newark").public.text(), ["npd"],
        )
    finally:
        catalog.close()
    try:
        plate = new_plate("8U")
        pair.plant([read("uc-1", UC1, plate, 110)], [read("fr-1", FR1, plate, 120)])
        response = pair.export("fred", "exact", {"plate": plate}, format="ndjson")
        assert response.status_code == 200, response.text
        assert {r["camera_id"] for r in rows(response)} == {"uc-1", "fr-1"}
        owner, _, code = response.headers["x-owners-unavailable"].partition(":")
        assert code == "unreachable" and owner != str(pair.ucpd_id)
        fan_index = int(response.headers["x-federation-audit-index"])
        [fan] = [e for i, e in entries(pair.settings, FEDERATED_EXPORT) if i == fan_index]
        outcomes = {n["node"]: n["outcome"] for n in fan["nodes"]}
        assert outcomes == {"unioncity": "answered", "newark": "unavailable"}
    finally:
        catalog = open_catalog(pair.settings, password_hasher=FAST)
        try:
            NodeRegistry(catalog, AuditLog(catalog.engine, signer=None)).revoke(
                operator(), "newark"
            )
        finally:
            catalog.close()


def test_an_export_carrying_an_approval_is_refused(pair: Pair) -> None:
    """Only a pattern of life takes a supervisor's approval, and it is not exported: an
    export that carries one is refused before anything is decided or logged."""
    before = len(entries(pair.owner_settings, "export"))
    body = {
        "search_id": str(uuid.uuid4()),
        "kind": "exact",
        "params": {"plate": new_plate("8A")},
        "requester": {"user": "fred", "agency": "fpd", "roles": ["investigator"]},
        "approval": {"approval_id": "fr-1", "approved_by": "sara", "plate": "X",
                     "decided_at": "2026-12-04T00:00:00Z",
                     "legal_basis": {"kind": "warrant", "number": "W-1", "court": "C"}},
    } | {k: v for k, v in Pair.body("exact", {}).items() if k not in ("kind", "params")}
    client = NodeClient(pair.key, httpx.Client(timeout=30))
    try:
        answer = client.post(pair.owner_url, EXPORT_PATH, body)
    finally:
        client.http.close()
    assert (answer.outcome, answer.code) == ("refused", "approval_mismatch")
    assert len(entries(pair.owner_settings, "export")) == before
