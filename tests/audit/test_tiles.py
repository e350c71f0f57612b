"""The log served as C2SP tlog-tiles: paths, tile contents, and proofs rebuilt from tiles."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update
from starlette.exceptions import StarletteDeprecationWarning

from plateledger.audit import AuditLog, NoteSigner, ProofError, verify_checkpoint
from plateledger.audit.compact import node_id
from plateledger.audit.errors import LogRangeError
from plateledger.audit.hashing import leaf_hash
from plateledger.audit.schema import audit_entries, audit_nodes
from plateledger.audit.tiles import (
    Tile,
    TileLog,
    entry_bundle,
    parse_tile_path,
    split_entry_bundle,
    tile_for,
)
from plateledger.audit.verify import verify_consistency, verify_inclusion
from tests.audit.conftest import search
from tests.audit.tlog_server import tlog_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient


@pytest.fixture
def app(log: AuditLog, data_dir: Path) -> FastAPI:
    return tlog_app(log, data_dir)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def tiles(client: TestClient) -> TileLog:
    client.base_url = client.base_url.join("/v1/audit/tlog/")
    return TileLog(cast(httpx.Client, client))  # the test client speaks httpx's API


@pytest.mark.parametrize(
    ("tile", "path"),
    [
        (Tile(0, 0), "tile/0/000"),
        (Tile(0, 0, 1), "tile/0/000.p/1"),
        (Tile(1, 1234067), "tile/1/x001/x234/067"),  # the example of Go's sumdb/tlog
        (Tile(2, 1000, 255), "tile/2/x001/000.p/255"),
        (Tile(-1, 5, 3), "tile/entries/005.p/3"),
    ],
)
def test_tile_paths_round_trip(tile: Tile, path: str) -> None:
    assert tile.path() == path
    assert parse_tile_path(path) == tile


@pytest.mark.parametrize(
    "path",
    [
        "tile/0/1",
        "tile/0/x000/001",
        "tile/0/000.p/256",
        "tile/0/000.p/0",
        "tile/0/000.p/07",
        "tile/64/000",
        "tile/00/000",
        "tile/0",
        "tile/a/000",
        "tile/0/1234",
        "tile/0/001/002",
        # `str.isdigit` takes superscripts, which int() refuses: refused, never a 500
        "tile/0/00²",
        "tile/²/000",
        "tile/0/000.p/²",
    ],
)
def test_non_canonical_tile_paths_are_refused(path: str) -> None:
    with pytest.raises(LogRangeError):
        parse_tile_path(path)


def test_tiles_hold_the_leaf_and_subtree_hashes(client: TestClient, log: AuditLog) -> None:
    log.append_many([search(n) for n in range(300)])
    records = log.entries(0, 300)
    full = client.get("/v1/audit/tlog/tile/0/000")
    assert full.status_code == 200
    assert full.headers["content-type"] == "application/octet-stream"
    assert "immutable" in full.headers["cache-control"]
    assert full.content == b"".join(r.leaf_hash for r in records[:256])
    response = client.get("/v1/audit/tlog/tile/0/001.p/44")
    assert "immutable" in response.headers["cache-control"]  # a partial tile never changes
    partial = response.content
    assert partial == b"".join(r.leaf_hash for r in records[256:300])
    assert client.get("/v1/audit/tlog/tile/0/001.p/10").content == partial[: 10 * 32]
    level1 = client.get("/v1/audit/tlog/tile/1/000.p/1").content
    assert level1 == log.root_hash(256)  # the subtree of the first 256 leaves


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("tile/0/001.p/45", 404),
        ("tile/0/002", 404),
        ("tile/1/000.p/2", 404),
        ("tile/63/000.p/1", 404),
        ("tile/0/01", 404),
        ("tile/entries/000", 401),
        ("tile/entries/01", 404),
    ],
)
def test_tiles_beyond_the_tree_and_entry_bundles_are_not_served(
    client: TestClient, log: AuditLog, path: str, status: int
) -> None:
    log.append_many([search(n) for n in range(300)])
    response = client.get(f"/v1/audit/tlog/{path}")
    assert response.status_code == status
    assert response.text.strip()
    if status == 401:  # a bundle holds whole entries: never served without a login
        assert "auditor's" in response.text and "search" not in response.text


def test_the_tlog_checkpoint_is_the_signed_checkpoint(
    client: TestClient, log: AuditLog, signer: NoteSigner
) -> None:
    log.append_many([search(n) for n in range(5)])
    note = client.get("/v1/audit/tlog/checkpoint").text
    assert note == log.checkpoint()  # no witness has cosigned yet
    assert verify_checkpoint(note, signer.verifier_key()).size == 5


@pytest.mark.parametrize("size", [1, 2, 3, 7, 8, 13, 255, 256, 257, 300, 513])
def test_proofs_computed_from_tiles_match_the_log_and_verify(
    tiles: TileLog, log: AuditLog, size: int
) -> None:
    log.append_many([search(n) for n in range(size)])
    root = log.root_hash()
    assert tiles.root_hash(size) == root
    for old in sorted({1, size // 2, size - 1, 255, 256} & set(range(1, size + 1))):
        proof = tiles.consistency_proof(old, size)
        assert proof == log.consistency_proof(old, size)
        verify_consistency(old, size, proof, log.root_hash(old), root)
    for index in sorted({0, size // 3, size - 1}):
        proof = tiles.inclusion_proof(index, size)
        assert proof == log.inclusion_proof(index, size)
        verify_inclusion(index, size, tiles.leaf_hash(index, size), proof, root)


def test_a_tampered_tile_fails_the_proofs_built_from_it(tiles: TileLog, log: AuditLog) -> None:
    log.append_many([search(n) for n in range(300)])
    root = log.root_hash()
    verify_inclusion(299, 300, tiles.leaf_hash(299, 300), tiles.inclusion_proof(299, 300), root)
    tampered = TileLog(tiles._client)  # a fresh client: no tile kept from before
    with log.engine.begin() as conn:  # the subtree of leaves 0..255, served in tile/1/000
        conn.execute(update(audit_nodes).where(audit_nodes.c.node_id == node_id(8, 0))
                     .values(hash=bytes(32)))  # fmt: skip
    proof = tampered.inclusion_proof(299, 300)
    with pytest.raises(ProofError):
        verify_inclusion(299, 300, tampered.leaf_hash(299, 300), proof, root)
    assert tampered.root_hash(300) != root


def test_entry_bundles_round_trip_and_hash_to_the_level_0_tile(log: AuditLog) -> None:
    log.append_many([search(n) for n in range(5)])
    with log.engine.connect() as conn:
        entries = [
            bytes(e)
            for e in conn.execute(
                select(audit_entries.c.entry).order_by(audit_entries.c.log_index)
            ).scalars()
        ]
    bundle = entry_bundle(entries)
    assert bundle[:2] == len(entries[0]).to_bytes(2, "big")
    assert split_entry_bundle(bundle) == entries
    assert [leaf_hash(e) for e in split_entry_bundle(bundle)] == [
        r.leaf_hash for r in log.entries(0, 5)
    ]
    with pytest.raises(LogRangeError):
        split_entry_bundle(bundle[:-1])


def test_tile_for_picks_the_width_of_the_tree() -> None:
    assert tile_for(0, 10, 300) == Tile(0, 0)
    assert tile_for(0, 260, 300) == Tile(0, 1, 44)
    assert tile_for(1, 0, 300) == Tile(1, 0, 1)
    assert tile_for(1, 0, 256 * 256) == Tile(1, 0)
