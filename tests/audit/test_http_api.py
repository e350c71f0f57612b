"""The public audit endpoints, the HTTP client of them, remote verification and witnessing."""

from __future__ import annotations

import base64
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import delete
from starlette.exceptions import StarletteDeprecationWarning

from plateledger.api.errors import install_error_handlers
from plateledger.api.routes.audit import entries_page, router
from plateledger.audit import AuditError, AuditLog, NoteSigner, verify_checkpoint, verify_inclusion
from plateledger.audit.redaction import Reader
from plateledger.audit.remote import RemoteLog
from plateledger.audit.schema import audit_entries, audit_head, audit_nodes
from plateledger.audit.verification import verify_log
from plateledger.audit.witness import WitnessStatus, witness
from tests.audit.conftest import search

with warnings.catch_warnings():
    # starlette 1.x warns at import that it prefers `httpx2`; plain httpx still works
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient


@pytest.fixture
def client(log: AuditLog) -> Iterator[TestClient]:
    app = FastAPI()
    app.include_router(router)
    app.state.audit_log = log
    with TestClient(app) as test_client:
        yield test_client


def test_checkpoint_is_a_plain_text_signed_note(
    client: TestClient, log: AuditLog, signer: NoteSigner
) -> None:
    log.append_many([search(n) for n in range(4)])
    response = client.get("/v1/audit/checkpoint")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert verify_checkpoint(response.text, signer.verifier_key()).size == 4


def test_inclusion_proof_over_http_verifies(client: TestClient, log: AuditLog) -> None:
    log.append_many([search(n) for n in range(11)])
    body = client.get("/v1/audit/proof/inclusion", params={"index": 6, "size": 9}).json()
    proof = [base64.b64decode(h) for h in body["proof"]]
    verify_inclusion(6, 9, base64.b64decode(body["leaf_hash"]), proof, log.root_hash(9))


def test_public_entries_carry_leaf_hashes_and_redacted_summaries(
    client: TestClient, log: AuditLog
) -> None:
    log.append_many([search(n) for n in range(3)])
    body = client.get("/v1/audit/entries", params={"start": 1, "limit": 5}).json()
    assert [item["index"] for item in body["entries"]] == [1, 2]
    text = str(body)
    for secret in ("officer1", "7ABC001", "24-000001", "query", "case_number"):
        assert secret not in text
    assert body["entries"][0]["summary"]["purpose"] == "stolen_vehicle"
    full = entries_page(log, 1, 1, reader=Reader("ca-oakland-pd", 1))
    assert full["entries"][0]["entry"]["case_number"] == "24-000001"
    denied = entries_page(log, 1, 1, reader=Reader("wa-seattle-pd", 2))["entries"][0]
    assert denied["view"] == "denied" and "24-000001" not in str(denied)


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/v1/audit/proof/inclusion", {"index": 3, "size": 3}),
        ("/v1/audit/proof/inclusion", {"index": 0, "size": 99}),
        ("/v1/audit/proof/inclusion", {"index": "abc"}),
        ("/v1/audit/proof/inclusion", {"index": -1}),
        ("/v1/audit/proof/inclusion", {"index": 10**30}),
        ("/v1/audit/proof/inclusion", {}),
        ("/v1/audit/proof/consistency", {"from": 3, "to": 2}),
        ("/v1/audit/proof/consistency", {"from": 1, "to": 50}),
        ("/v1/audit/proof/consistency", {"from": "x"}),
        ("/v1/audit/entries", {"limit": 0}),
        ("/v1/audit/entries", {"limit": 100000}),
        ("/v1/audit/entries", {"start": -5}),
    ],
)
def test_bad_query_values_get_a_4xx_with_a_message(
    client: TestClient, log: AuditLog, path: str, params: dict[str, object]
) -> None:
    log.append_many([search(n) for n in range(3)])
    response = client.get(path, params=params)
    assert 400 <= response.status_code < 500
    assert response.json()["detail"]


def test_remote_verification_rebuilds_the_signed_root(
    client: TestClient, log: AuditLog, signer: NoteSigner
) -> None:
    log.append_many([search(n) for n in range(30)])
    remote = RemoteLog(client)
    saved = remote.checkpoint()
    log.append_many([search(n) for n in range(7)])
    report = verify_log(remote, verifier_key=signer.verifier_key(), saved_checkpoint=saved)
    assert report.ok, report.findings
    assert report.size == 37


def test_remote_verification_names_an_entry_whose_leaf_hash_was_changed(
    log: AuditLog, signer: NoteSigner
) -> None:
    log.append_many([search(n) for n in range(12)])
    with log.engine.begin() as conn:
        conn.execute(audit_entries.update().where(audit_entries.c.log_index == 5)
                     .values(leaf_hash=bytes(32)))  # fmt: skip
    # the server recomputes each leaf from the entry's content and refuses to serve it
    app = FastAPI()
    install_error_handlers(app)
    app.include_router(router)
    app.state.audit_log = log
    with (
        TestClient(app) as client,
        pytest.raises(AuditError, match="entry 5: content does not match its leaf hash"),
    ):
        verify_log(RemoteLog(client), verifier_key=signer.verifier_key())


def test_witness_accepts_growth_and_flags_a_rewrite(
    client: TestClient, log: AuditLog, tmp_path: Path
) -> None:
    remote, directory = RemoteLog(client), tmp_path / "witness"
    log.append_many([search(n) for n in range(9)])
    first = witness(remote, directory)
    assert (first.status, first.key_pinned_now) == (WitnessStatus.FIRST, True)
    assert witness(remote, directory).status is WitnessStatus.UNCHANGED
    log.append_many([search(n) for n in range(4)])
    assert witness(remote, directory).status is WitnessStatus.EXTENDED
    with log.engine.begin() as conn:
        for table in (audit_entries, audit_nodes, audit_head):
            conn.execute(delete(table))
    log.create_tables()
    log.append_many([search(n + 1) for n in range(20)])
    rewritten = witness(remote, directory)
    assert rewritten.status is WitnessStatus.REWRITTEN and not rewritten.ok
    assert (directory / "conflict-20.txt").exists()
    assert verify_checkpoint((directory / "latest.txt").read_text(), log.signer.verifier_key()
                             if log.signer else "").size == 13  # fmt: skip


def test_witness_rejects_a_checkpoint_from_another_key(
    client: TestClient, log: AuditLog, tmp_path: Path
) -> None:
    log.append(search(0))
    other = NoteSigner.generate("someone.else/log")
    result = witness(RemoteLog(client), tmp_path, verifier_key=other.verifier_key())
    assert result.status is WitnessStatus.BAD_SIGNATURE
