"""C2SP tlog-witness and tlog-cosignature: this server as a witness of another log, a
log keeping its witnesses' cosignatures, and ``plateledger audit witness --cosign``."""

from __future__ import annotations

import base64
import hashlib
import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import delete
from starlette.exceptions import StarletteDeprecationWarning
from typer.testing import CliRunner

from plateledger.audit import AuditLog, NoteError, NoteSigner, verify_checkpoint
from plateledger.audit.schema import audit_entries, audit_head, audit_nodes
from plateledger.audit.witness import (
    CosignatureStore,
    Cosigner,
    CosignerVerifier,
    WitnessRefusal,
    WitnessService,
    add_checkpoint_body,
    split_note,
)
from plateledger.cli.audit import app as audit_cli
from tests.audit.conftest import ORIGIN, OTHER, search
from tests.audit.tlog_server import serving, tlog_app

with warnings.catch_warnings():
    # starlette 1.x warns at import that it prefers `httpx2`; plain httpx still works
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

SPEC_LINE = ("— witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWX"
             "EhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==")


def text_of(note: str) -> str:
    return split_note(note)[0]


def test_cosignatures_have_the_c2sp_layout() -> None:
    # the example of c2sp.org/tlog-cosignature: key ID, then the time 1679315147, then 64 bytes
    blob = base64.b64decode(SPEC_LINE.split(" ")[2])
    assert len(blob) == 76 and int.from_bytes(blob[4:12], "big") == 1679315147


def test_a_cosignature_verifies_and_commits_to_time_and_text(tmp_path: Path) -> None:
    cosigner = Cosigner.load_or_create(tmp_path, "witness.test.example/w1")
    vkey = cosigner.verifier_key()
    name, key_id, material = vkey.split("+", 2)
    raw = base64.b64decode(material)
    assert raw[0] == 0x04
    assert bytes.fromhex(key_id) == hashlib.sha256(name.encode() + b"\n\x04" + raw[1:]).digest()[:4]
    text = "log.example/a\n7\n" + base64.b64encode(bytes(32)).decode() + "\n"
    line = cosigner.cosign(text, timestamp=1679315147).rstrip("\n")
    verifier = CosignerVerifier.parse(vkey)
    assert verifier.verify_line(text, line) == 1679315147
    with pytest.raises(NoteError):
        verifier.verify_line(text.replace("\n7\n", "\n8\n"), line)
    blob = bytearray(base64.b64decode(line.split(" ")[2]))
    blob[11] ^= 1  # another time under the same signature
    forged = f"— {name} {base64.b64encode(bytes(blob)).decode()}"
    with pytest.raises(NoteError):
        verifier.verify_line(text, forged)
    assert verifier.verify_line(text, SPEC_LINE) is None  # another witness's line: ignored
    assert Cosigner.load_or_create(tmp_path, None).verifier_key() == vkey  # kept on disk
    assert (tmp_path / "cosigner.key").stat().st_mode & 0o777 == 0o600


# -- this server as a witness (POST /v1/witness/add-checkpoint) -----------------------


@pytest.fixture
def app(log: AuditLog, data_dir: Path) -> FastAPI:
    return tlog_app(log, data_dir)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


def post(client: TestClient, body: str) -> tuple[int, str, str]:
    response = client.post("/v1/witness/add-checkpoint", content=body.encode())
    return response.status_code, response.text, response.headers.get("content-type", "")


def witness_key(data_dir: Path) -> str:
    return (data_dir / "witness" / "cosigner.pub").read_text().strip()


def test_the_server_witnesses_another_log(
    client: TestClient, other_log: AuditLog, data_dir: Path
) -> None:
    assert other_log.signer is not None
    other_log.append_many([search(n) for n in range(5)])
    note5 = other_log.checkpoint()
    assert post(client, add_checkpoint_body(0, [], note5))[0] == 404  # not witnessed yet
    WitnessService(data_dir / "witness", Cosigner.load_or_create(
        data_dir / "witness", None)).add_log(other_log.signer.verifier_key())
    status, body, _ = post(client, add_checkpoint_body(0, [], note5))
    assert status == 200, body
    assert witness_key(data_dir).startswith(f"{ORIGIN}/witness+")  # made on first use
    verifier = CosignerVerifier.parse(witness_key(data_dir))
    assert body.startswith("— ") and body.endswith("\n") and body.count("\n") == 1
    assert verifier.verify_line(text_of(note5), body.rstrip("\n")) is not None

    # a stale old size: 409 with the size the witness holds, as text/x.tlog.size
    other_log.append_many([search(n) for n in range(8)])  # 13: not a power of two
    note13 = other_log.checkpoint()
    status, body, kind = post(client, add_checkpoint_body(0, [], note13))
    assert (status, body, kind) == (409, "5\n", "text/x.tlog.size")

    # a proof that does not verify: 422, and nothing is cosigned or recorded
    proof = other_log.consistency_proof(5, 13)
    bad = [proof[0][:-1] + bytes([proof[0][-1] ^ 1]), *proof[1:]]
    assert post(client, add_checkpoint_body(5, bad, note13))[0] == 422
    assert post(client, add_checkpoint_body(5, proof[:-1], note13))[0] == 422

    # the right proof: cosigned, and the witness now holds 13
    status, body, _ = post(client, add_checkpoint_body(5, proof, note13))
    assert status == 200, body
    assert verifier.verify_line(text_of(note13), body.rstrip("\n")) is not None
    assert post(client, add_checkpoint_body(5, proof, note13))[:2] == (409, "13\n")
    assert post(client, add_checkpoint_body(13, [], note13))[0] == 200  # same tree again

    # signed by a key the witness does not know, for the same origin: 403
    impostor = NoteSigner.generate(OTHER)
    forged = impostor.sign(text_of(note13))
    assert post(client, add_checkpoint_body(13, [], forged))[0] == 403

    # the same size with another root (a fork, signed by the log's own key): 409
    fork = other_log.signer.sign(text_of(note13).replace(
        text_of(note13).split("\n")[2], base64.b64encode(bytes(32)).decode()))
    assert post(client, add_checkpoint_body(13, [], fork))[:2] == (409, "13\n")


@pytest.mark.parametrize(
    "body",
    ["", "old 1\n", "old 01\n\nx\n", "old -1\n\nx\n", "new 0\n\nx\n", "old 0\n!!\n\nx\n",
     "old 99\n\nother.example/log\n3\nAAAA\n\n— x y\n"],
)
def test_malformed_requests_get_400_or_404(client: TestClient, body: str) -> None:
    status = post(client, body)[0]
    assert status in (400, 404), body


def test_old_size_above_the_checkpoint_is_400(
    client: TestClient, other_log: AuditLog, data_dir: Path
) -> None:
    assert other_log.signer is not None
    other_log.append_many([search(n) for n in range(3)])
    service = WitnessService(data_dir / "witness", Cosigner.load_or_create(
        data_dir / "witness", "witness.test.example/server"))
    service.add_log(other_log.signer.verifier_key())
    assert post(client, add_checkpoint_body(4, [], other_log.checkpoint()))[0] == 400


def test_the_witness_checks_and_records_atomically(tmp_path: Path, other_log: AuditLog) -> None:
    assert other_log.signer is not None
    service = WitnessService(tmp_path, Cosigner.load_or_create(tmp_path, "w.test.example/w"))
    service.add_log(other_log.signer.verifier_key())
    other_log.append_many([search(n) for n in range(4)])
    service.add_checkpoint(add_checkpoint_body(0, [], other_log.checkpoint()))
    other_log.append_many([search(n) for n in range(3)])
    with pytest.raises(WitnessRefusal) as refused:
        service.add_checkpoint(add_checkpoint_body(0, [], other_log.checkpoint()))
    assert (refused.value.status, refused.value.size) == (409, 4)
    # recorded on disk: a new service over the same directory holds size 4 too
    again = WitnessService(tmp_path, Cosigner.load_or_create(tmp_path, None))
    latest = again.latest(OTHER)
    assert latest is not None and latest.size == 4


# -- the log keeps its witnesses' cosignatures -----------------------------------------


def test_the_log_shows_trusted_cosignatures_on_its_checkpoint(
    client: TestClient, log: AuditLog, signer: NoteSigner, data_dir: Path, tmp_path: Path
) -> None:
    log.append_many([search(n) for n in range(6)])
    trusted = Cosigner.load_or_create(tmp_path / "a", "witness.test.example/a")
    stranger = Cosigner.load_or_create(tmp_path / "b", "witness.test.example/b")
    CosignatureStore(data_dir / "cosignatures").trust(trusted.verifier_key())
    note = log.checkpoint()
    text = text_of(note)
    refused = client.post("/v1/audit/tlog/cosignatures", content=note + stranger.cosign(text))
    assert refused.status_code == 403
    accepted = client.post("/v1/audit/tlog/cosignatures",
                           content=note + stranger.cosign(text) + trusted.cosign(text))
    assert accepted.status_code == 200
    assert accepted.text.startswith("— witness.test.example/a ") and accepted.text.count("\n") == 1
    served = client.get("/v1/audit/tlog/checkpoint").text
    assert served.startswith(note) and "witness.test.example/a" in served
    assert "witness.test.example/b" not in served
    assert verify_checkpoint(served, signer.verifier_key()).size == 6
    line = served.rstrip("\n").split("\n")[-1]
    assert CosignerVerifier.parse(trusted.verifier_key()).verify_line(text, line) is not None
    # a cosignature of a checkpoint this log never had (another root at its size)
    forged_text = text.replace(text.split("\n")[2], base64.b64encode(bytes(32)).decode())
    forged = signer.sign(forged_text) + trusted.cosign(forged_text)
    assert client.post("/v1/audit/tlog/cosignatures", content=forged).status_code == 400
    # the log grows: the new checkpoint carries no cosignature until a witness gives one
    log.append(search(7))
    assert client.get("/v1/audit/tlog/checkpoint").text == log.checkpoint()


# -- plateledger audit witness --cosign: a witness for another log ----------------------


def test_the_cli_witnesses_cosigns_and_hands_the_cosignature_to_the_log(
    log: AuditLog, signer: NoteSigner, data_dir: Path, tmp_path: Path
) -> None:
    state = tmp_path / "witness-state"
    cosigner = Cosigner.load_or_create(state, "witness.test.example/cli")
    CosignatureStore(data_dir / "cosignatures").trust(cosigner.verifier_key())
    runner = CliRunner()
    log.append_many([search(n) for n in range(7)])
    with serving(tlog_app(log, data_dir)) as url:
        args = ["witness", "--url", url, "--state", str(state), "--key", signer.verifier_key(),
                "--cosign", "witness.test.example/cli"]
        first = runner.invoke(audit_cli, args)
        assert first.exit_code == 0, first.output
        assert cosigner.verifier_key() in first.output
        assert (state / "cosigner.pub").read_text().strip() == cosigner.verifier_key()
        served = TestClient(tlog_app(log, data_dir)).get("/v1/audit/tlog/checkpoint").text
        assert "— witness.test.example/cli " in served

        log.append_many([search(n) for n in range(293)])  # 300: tiles of two levels
        grown = runner.invoke(audit_cli, args)
        assert grown.exit_code == 0 and "extended from size 7 to 300" in grown.output
        served = TestClient(tlog_app(log, data_dir)).get("/v1/audit/tlog/checkpoint").text
        assert verify_checkpoint(served, signer.verifier_key()).size == 300
        assert "— witness.test.example/cli " in served
        plain = runner.invoke(audit_cli, ["witness", "--url", url, "--dir", str(state)])
        assert plain.exit_code == 0 and "unchanged at size 300" in plain.output  # no cosigning

        with log.engine.begin() as conn:  # rewrite the log whole: consistent on its own
            for table in (audit_entries, audit_nodes, audit_head):
                conn.execute(delete(table))
        log.create_tables()
        log.append_many([search(n + 1) for n in range(310)])
        rewritten = runner.invoke(audit_cli, args)
        assert rewritten.exit_code == 1 and "rewritten" in rewritten.output
        assert (state / "conflict-310.txt").exists()
        served = TestClient(tlog_app(log, data_dir)).get("/v1/audit/tlog/checkpoint").text
        assert "witness.test.example/cli" not in served  # no cosignature for the rewrite


def test_a_log_that_cannot_serve_its_tiles_fails_the_run_without_a_conflict(
    log: AuditLog, signer: NoteSigner, data_dir: Path, tmp_path: Path
) -> None:
    state = tmp_path / "witness-state"
    cosigner = Cosigner.load_or_create(state, "witness.test.example/cli")
    log.append_many([search(n) for n in range(7)])
    with serving(tlog_app(log, data_dir)) as url:
        args = ["witness", "--url", url, "--state", str(state), "--key", signer.verifier_key(),
                "--cosign", "witness.test.example/cli"]
        untrusted = CliRunner().invoke(audit_cli, args)  # the log does not know this witness
        assert untrusted.exit_code == 1 and "refused the cosignature (403)" in untrusted.output
        CosignatureStore(data_dir / "cosignatures").trust(cosigner.verifier_key())
        assert CliRunner().invoke(audit_cli, args).exit_code == 0
        log.append_many([search(n) for n in range(293)])
        with log.engine.begin() as conn:  # a leaf the tile at 256..299 needs is gone: 503
            conn.execute(delete(audit_entries).where(audit_entries.c.log_index == 299))
        failed = CliRunner().invoke(audit_cli, args)
    assert failed.exit_code == 1 and "503" in failed.output
    assert not list(state.glob("conflict-*"))  # a failure to serve is not a rewrite
    assert (state / "latest.txt").read_text().split("\n")[1] == "7"


def test_concurrent_requests_for_one_old_size_are_cosigned_once(
    tmp_path: Path, other_log: AuditLog
) -> None:
    """Check and record are one step: of many requests from the same old size, one wins
    and every other learns the new size (409), whichever order they run in."""
    assert other_log.signer is not None
    service = WitnessService(tmp_path, Cosigner.load_or_create(tmp_path, "w.test.example/w"))
    service.add_log(other_log.signer.verifier_key())
    other_log.append_many([search(n) for n in range(3)])
    bodies = []
    for _ in range(8):
        other_log.append(search(0))
        bodies.append(add_checkpoint_body(0, [], other_log.checkpoint()))

    def submit(body: str) -> int:
        try:
            service.add_checkpoint(body)
        except WitnessRefusal as refusal:
            return refusal.status
        return 200

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(submit, bodies))
    assert sorted(statuses) == [200] + [409] * 7
    latest = service.latest(OTHER)
    assert latest is not None and latest.size == 4 + statuses.index(200)
