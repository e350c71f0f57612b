"""Two processes over real HTTP: the owner's node is a `plateledger serve` process with its
own data directory (catalog, read store, log); the partner signs in this process. The
signed authority is the real ``host:port``; a revocation made by another process (this
one, in the owner's catalog) is refused on the server's very next request."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from subprocess import Popen

import httpx
import pytest

from plateledger.audit import AuditLog
from plateledger.catalog import open_catalog
from plateledger.catalog.passwords import FAST
from plateledger.federation import NodeClient, NodeKey, NodeRegistry
from plateledger.federation.registry import operator
from plateledger.settings import Settings
from tests.conftest import _free_port, _spawn, _wait_ready
from tests.federation.test_searches import PATH, body

pytestmark = pytest.mark.slow


@dataclass
class Owner:
    url: str
    settings: Settings
    plate: str
    fremont: NodeKey
    federal: NodeKey


@pytest.fixture(scope="module")
def owner(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Owner]:
    data_dir = tmp_path_factory.mktemp("owner-node")
    settings = Settings(data_dir=data_dir, require_totp=False)
    catalog = open_catalog(settings, password_hasher=FAST)
    fremont, federal = NodeKey.generate(), NodeKey.generate()
    try:
        ucpd = catalog.add_agency("Union City PD", "ucpd", "municipal", "CA")
        fpd = catalog.add_agency("Fremont PD", "fpd", "municipal", "CA")
        catalog.add_agency("ICE ERO San Francisco", "ice-ero-sf", "federal", "CA")
        catalog.add_agreement(
            ucpd.id, fpd.id, actions=["search"], purposes=["stolen_vehicle"], created_by="chief"
        )
        catalog.add_camera("uc-1", ucpd.id, lat=37.59, lon=-122.02)
        key = catalog.issue_api_key(ucpd.id, label="camera")
        registry = NodeRegistry(catalog, AuditLog(catalog.engine, signer=None))
        registry.add(operator(), "fremont", "https://f.example", fremont.public.text(), ["fpd"])
        registry.add(
            operator(), "federal", "https://i.example", federal.public.text(), ["ice-ero-sf"]
        )
    finally:
        catalog.close()
    port = _free_port()
    process: Popen[bytes] = _spawn(data_dir, port)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, process)
        plate = "7L" + uuid.uuid4().hex[:5].upper().replace("0", "A").replace("O", "B")
        read = {
            "camera_id": "uc-1",
            "ts": int(time.time() * 1000) - 60_000,
            "plate": plate,
            "confidence": 0.9,
            "region": "CA",
        }
        posted = httpx.post(f"{url}/v1/reads", json=[read], headers={"X-API-Key": key}, timeout=60)
        assert posted.status_code == 200, posted.text
        yield Owner(url, settings, plate, fremont, federal)
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_a_partner_search_over_http_is_answered_and_the_federal_unit_denied(
    owner: Owner,
) -> None:
    with httpx.Client(timeout=30) as http:
        fremont = NodeClient(owner.fremont, http).post(owner.url, PATH, body(owner.plate))
        federal = NodeClient(owner.federal, http).post(
            owner.url, PATH, body(owner.plate, agency="ice-ero-sf")
        )
    assert fremont.outcome == "answered" and fremont.body is not None
    assert [r["plate"] for r in fremont.body["results"]] == [owner.plate]
    assert federal.outcome == "answered" and federal.body is not None
    assert federal.body["results"] == [] and owner.plate not in str(federal.body)
    assert "ca-civ-1798.90.55b-no-federal" in federal.body["owners"][0]["policy_ids"]


def test_a_revocation_by_another_process_holds_at_the_next_request(owner: Owner) -> None:
    catalog = open_catalog(owner.settings, password_hasher=FAST)
    try:
        with httpx.Client(timeout=30) as http:
            client = NodeClient(owner.federal, http)
            assert (
                client.post(owner.url, PATH, body(owner.plate, agency="ice-ero-sf")).outcome
                == "answered"
            )
            NodeRegistry(catalog, AuditLog(catalog.engine, signer=None)).revoke(
                operator(), "federal"
            )
            after = client.post(owner.url, PATH, body(owner.plate, agency="ice-ero-sf"))
    finally:
        catalog.close()
    assert (after.outcome, after.status, after.code) == ("refused", 403, "node_revoked")
