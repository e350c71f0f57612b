"""C2SP tlog-tiles entry bundles over HTTP: served whole to an auditor whose agency is
served every entry in the bundle in full — each entry's bytes hash to the leaf in the
level-0 tile — and logged first; refused to the public, to another agency's auditor, to
an investigator, and to anyone once the bundle holds another agency's entry."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from plateledger.audit import AuditLog, new_entry
from plateledger.audit.hashing import HASH_SIZE, leaf_hash
from plateledger.audit.tiles import Tile, split_entry_bundle
from plateledger.settings import Settings
from tests.api.conftest import Seed, code, login

SEARCH = {
    "kind": "exact",
    "params": {"plate": "7BUN123"},
    "purpose": "stolen_vehicle",
    "offense_type": "240",
    "case_number": "UC-2026-0042",
    "reason": "stolen grey van",
}


def size(client: TestClient) -> int:
    return int(client.get("/v1/audit/checkpoint").text.splitlines()[1])


def bundle_path(width: int) -> str:
    return "/v1/audit/tlog/" + Tile(-1, 0, width).path()


def searched(client: TestClient, seed: Seed) -> tuple[int, dict[str, str]]:
    """Union City's investigator searches twice (Fremont, without an agreement, denies);
    the log's size after, and her login."""
    ivy = login(client, "ivy", code(seed.investigator_totp))
    for _ in range(2):
        response = client.post("/v1/searches", json=SEARCH, headers=ivy)
        assert response.status_code == 200, response.text
    return size(client), ivy


def test_an_auditor_served_every_entry_in_full_gets_the_bundle_and_it_hashes_to_the_tile(
    client: TestClient, seed: Seed
) -> None:
    width, _ = searched(client, seed)
    audrey = login(client, "audrey", code(seed.auditor_totp))

    response = client.get(bundle_path(width), headers=audrey)

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/octet-stream"
    assert "no-store" in response.headers["cache-control"]
    entries = split_entry_bundle(response.content)
    tile = client.get(f"/v1/audit/tlog/{Tile(0, 0, width).path()}").content
    assert len(entries) == width
    assert [leaf_hash(e) for e in entries] == [
        tile[i * HASH_SIZE : (i + 1) * HASH_SIZE] for i in range(width)
    ]
    assert b"7BUN123" in response.content  # whole entries: the plate searched is there
    # the reading was logged before the bundle was served
    logged = client.get(
        "/v1/audit/entries", params={"start": width, "full": 1}, headers=audrey
    ).json()["entries"]
    readings = [e["entry"] for e in logged if "bundle" in e.get("entry", {})]
    assert [(r["type"], r["user"], r["bundle"]) for r in readings] == [("audit_read", "audrey", 0)]
    assert readings[0]["indexes"] == list(range(width))


@pytest.mark.parametrize("who", ["public", "fpd auditor", "investigator"])
def test_the_bundle_is_refused_to_anyone_not_served_every_entry_in_full(
    client: TestClient, seed: Seed, fay: str, who: str
) -> None:
    width, ivy = searched(client, seed)
    headers = {
        "public": lambda: {},
        "investigator": lambda: ivy,
        "fpd auditor": lambda: login(client, "fay", code(fay)),
    }[who]()
    before = size(client)

    response = client.get(bundle_path(width), headers=headers)

    assert response.status_code == {"public": 401, "fpd auditor": 403, "investigator": 403}[who], (
        response.text
    )
    assert b"7BUN123" not in response.content
    assert size(client) == before, "nothing served, nothing logged"


def test_one_entry_of_another_agency_makes_the_whole_bundle_unservable(
    client: TestClient, seed: Seed, settings: Settings
) -> None:
    width, _ = searched(client, seed)
    audrey = login(client, "audrey", code(seed.auditor_totp))
    assert client.get(bundle_path(width), headers=audrey).status_code == 200
    engine = create_engine(f"sqlite:///{settings.data_dir / 'catalog.sqlite'}")
    try:
        AuditLog(engine, signer=None).append(
            new_entry(
                "search",
                user="finn",
                agency="fpd",
                requested_by_agency="fpd",
                purpose="stolen_vehicle",
                query={"plate": "8FPD000"},
                owners_allowed=["fpd"],
            )
        )
    finally:
        engine.dispose()
    grown = size(client)

    refused = client.get(bundle_path(grown), headers=audrey)

    assert refused.status_code == 403, refused.text
    assert b"8FPD000" not in refused.content
    assert refused.json()["error"]["code"] == "bundle_not_full"
    # the bundle before that entry is still hers
    assert client.get(bundle_path(width), headers=audrey).status_code == 200


def test_a_bundle_the_log_has_not_filled_or_a_bad_path_is_not_found(
    client: TestClient, seed: Seed
) -> None:
    width, _ = searched(client, seed)
    audrey = login(client, "audrey", code(seed.auditor_totp))
    assert client.get(bundle_path(width + 50), headers=audrey).status_code == 404
    assert client.get("/v1/audit/tlog/tile/entries/000", headers=audrey).status_code == 404
    assert client.get("/v1/audit/tlog/tile/entries/0.p/1", headers=audrey).status_code == 404
    assert client.get("/v1/audit/tlog/tile/entries/000.p/0", headers=audrey).status_code == 404
