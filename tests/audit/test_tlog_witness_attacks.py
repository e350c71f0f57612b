"""Attacks on the log's outward surfaces: tiles, proofs, cosignatures, the witness, and the
verification CLI.

The promise attacked: every read access is recorded in a Merkle log whose checkpoints
are signed, cross-witnessed and verifiable by anyone; no one can make a node, a witness or
an auditor accept a rewritten or rolled-back log, forge or replay a cosignature, roll a
witness back, exhaust a node through its unauthenticated tlog endpoints, or get a 500 out
of them. Everything runs over the real app, real SQLite logs and the real CLI; a lying
server is the real app with one route answered otherwise.

What was found (each first as a strict xfail, then fixed):

- a checkpoint signed with a size past 2**63 − 1 (a 20-digit size, as ``tree_size``
  allowed) made ``POST /v1/witness/add-checkpoint`` answer 500: SQLite cannot hold it;
- both tlog POST routes read the whole body into memory before checking its 64 KiB
  limit: an unauthenticated client could make a node buffer any amount;
- anyone could replay a witness's older cosignature of the current checkpoint and the log
  replaced the newer one with it;
- ``plateledger audit verify --url`` took leaf hashes that are not 32 bytes: a server
  that re-splits two leaf hashes' bytes passed with leaves the log never had;
- a relayer could send a witnessed log's honest checkpoint with a bogus consistency proof,
  and the witness kept it as a conflict (``proof_rejected``): a failing proof is kept as
  evidence now only from a request the log's own node signed (RFC 9421);
- anyone could relay an older signed checkpoint of a witnessed log, which lowered the
  witness's "size last shown", the sign a truncated log gives: that size now falls only
  for a request the log's own node signed (a truncated log's own push), and only grows
  for anyone else's.

Attacks that broke nothing stay as guards below.
"""

from __future__ import annotations

import asyncio
import base64
import warnings
from collections.abc import Iterator, MutableMapping
from pathlib import Path
from typing import Annotated, Any

import pytest
from fastapi import FastAPI, Query
from sqlalchemy import Engine, delete, update
from starlette.exceptions import StarletteDeprecationWarning
from typer.testing import CliRunner

from plateledger.access.audit_reads import entries_page
from plateledger.audit import AuditLog, NoteSigner, verify_checkpoint
from plateledger.audit.schema import audit_entries, audit_head
from plateledger.audit.witness import (
    CatalogWitnessState,
    CosignatureStore,
    Cosigner,
    WitnessService,
    add_checkpoint_body,
    split_note,
)
from plateledger.cli.audit import app as audit_cli
from tests.audit.conftest import OTHER, search
from tests.audit.tlog_server import serving, tlog_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

ZERO = base64.b64encode(bytes(32)).decode()
runner = CliRunner()


@pytest.fixture
def client(log: AuditLog, data_dir: Path) -> Iterator[TestClient]:
    with TestClient(tlog_app(log, data_dir), raise_server_exceptions=False) as test_client:
        yield test_client


def witnessing(data_dir: Path, other: AuditLog) -> None:
    """Make the app's witness witness ``other``."""
    assert other.signer is not None
    directory = data_dir / "witness"
    WitnessService(directory, Cosigner.load_or_create(directory, "audit.test.example/w")).add_log(
        other.signer.verifier_key()
    )


def add(client: TestClient, body: str | bytes) -> tuple[int, str]:
    content = body.encode() if isinstance(body, str) else body
    response = client.post("/v1/witness/add-checkpoint", content=content)
    return response.status_code, response.text


def text_of(note: str) -> str:
    return split_note(note)[0]


# -- (e) tiles and proofs: bad input is a 4xx, never a 500 ------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "-1/000",
        "0/abc",
        "0/-01",
        "0/../../etc/passwd",
        "0/%2e%2e/%2e%2e/000",
        "..%2f..%2f000",
        "0/000.p/0",
        "0/000.p/256",
        "0/000.p/-1",
        "0/000.p/%D9%A3",
        "0/000.p/01",
        "0/000.p/" + "9" * 40,
        "0/000.p/1.p/1",
        "0/x000/000",
        "0/x001/x000/000",
        "00/000",
        "64/000",
        "99999999999999999999/000",
        "0/%ff",
        "0/%00",
        "0/000/",
        "0//000",
        "0/",
        "0/" + "x999/" * 38 + "999",
        "63/" + "x999/" * 38 + "999",
        "0/" + "x999/" * 60 + "999",
        "entries/../0/000",
        "entries/-1",
        "entries/x000/000",
    ],
)
def test_bad_tile_paths_are_refused_without_a_500(
    client: TestClient, log: AuditLog, path: str
) -> None:
    log.append_many([search(n) for n in range(3)])
    response = client.get("/v1/audit/tlog/tile/" + path)
    assert response.status_code in (401, 404, 422), (path, response.text)


def test_tiles_past_the_tree_are_404_and_the_real_ones_served(
    client: TestClient, log: AuditLog
) -> None:
    log.append_many([search(n) for n in range(3)])
    assert client.get("/v1/audit/tlog/tile/0/000.p/3").content == b"".join(
        log.entry(i).leaf_hash for i in range(3)
    )
    for path in ("0/000.p/4", "0/000", "0/001.p/1", "1/000.p/1", "63/000.p/1"):
        assert client.get("/v1/audit/tlog/tile/" + path).status_code == 404, path


@pytest.mark.parametrize(
    "query",
    [
        f"consistency?from=1&to={2**63}",
        f"consistency?from={2**64}",
        "consistency?from=-1",
        "consistency?from=5&to=3",
        "consistency?from=x",
        f"consistency?from=0&to={2**62}",
        f"inclusion?index=0&size={2**70}",
        "inclusion?index=-1",
        "inclusion?index=5&size=3",
        "inclusion?index=0&size=0",
        f"inclusion?index={2**62}",
        "inclusion?index=%ff",
    ],
)
def test_proofs_for_absurd_sizes_are_refused_without_a_500(
    client: TestClient, log: AuditLog, query: str
) -> None:
    log.append_many([search(n) for n in range(3)])
    assert client.get("/v1/audit/proof/" + query).status_code in (400, 422), query


# -- (e) the witness: malformed requests --------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b"\xff\xfeold 0\n\n",
        b"old 0\n\n\xc3\x28\n",
        f"old {2**64}\n\n".encode(),
        b"old 0\r\n\r\nx\n",
        b"old 0\n" + b"AAAA\n" * 64 + b"\n",
        b"\n\n",
        b"old\n\nx\n",
        b"old 0\n\nother.example/log\n1\n" + ZERO.encode() + b"\n\n\xe2\x80\x94 x AAAA\n",
    ],
)
def test_malformed_add_checkpoint_bodies_are_4xx(
    client: TestClient, data_dir: Path, other_log: AuditLog, body: bytes
) -> None:
    witnessing(data_dir, other_log)
    assert 400 <= add(client, body)[0] < 500, body


def test_proof_lines_of_the_wrong_length_are_refused(
    client: TestClient, data_dir: Path, other_log: AuditLog
) -> None:
    witnessing(data_dir, other_log)
    other_log.append_many([search(n) for n in range(5)])
    assert add(client, add_checkpoint_body(0, [], other_log.checkpoint()))[0] == 200
    other_log.append_many([search(n) for n in range(8)])
    proof = other_log.consistency_proof(5, 13)
    for bad in ([proof[0][:31], *proof[1:]], [proof[0] + b"\0", *proof[1:]], [b""] * 3):
        assert add(client, add_checkpoint_body(5, bad, other_log.checkpoint()))[0] in (400, 422)
    latest = CatalogWitnessState(_engine(client)).latest(OTHER)
    assert latest is not None and latest.size == 5


def _engine(client: TestClient) -> Engine:
    log = client.app.state.audit_log  # type: ignore[attr-defined]
    assert isinstance(log, AuditLog)
    return log.engine


@pytest.mark.parametrize("size", [2**63, 2**64, 10**20 - 1])
def test_the_witness_refuses_sizes_past_int64_with_400(
    client: TestClient, data_dir: Path, other_log: AuditLog, size: int
) -> None:
    # a witnessed log's own key signs a tree size no log can have: refused, not a 500
    witnessing(data_dir, other_log)
    assert other_log.signer is not None
    note = other_log.signer.sign(f"{OTHER}\n{size}\n{ZERO}\n")
    assert add(client, add_checkpoint_body(0, [], note))[0] == 400
    assert add(client, add_checkpoint_body(size, [], note))[0] == 400


# -- (c) the witness does not roll back -------------------------------------------------


def test_replayed_and_forked_checkpoints_do_not_roll_the_witness_back(
    client: TestClient, data_dir: Path, other_log: AuditLog
) -> None:
    witnessing(data_dir, other_log)
    assert other_log.signer is not None
    other_log.append_many([search(n) for n in range(5)])
    note5 = other_log.checkpoint()
    assert add(client, add_checkpoint_body(0, [], note5))[0] == 200
    other_log.append_many([search(n) for n in range(8)])
    note13 = other_log.checkpoint()
    assert add(client, add_checkpoint_body(5, other_log.consistency_proof(5, 13), note13))[0] == 200
    state = CatalogWitnessState(_engine(client))
    for body in (
        add_checkpoint_body(0, [], note5),  # the older checkpoint again, from scratch
        add_checkpoint_body(5, [], note5),  # as if the witness still held 5
        add_checkpoint_body(13, [], note5),  # old above the checkpoint
        add_checkpoint_body(13, [], other_log.signer.sign(f"{OTHER}\n13\n{ZERO}\n")),  # fork
        add_checkpoint_body(5, [], other_log.signer.sign(f"{OTHER}\n5\n{ZERO}\n")),
    ):
        assert add(client, body)[0] in (400, 409)
        latest = state.latest(OTHER)
        assert latest is not None and (latest.size, latest.root_hash) == (
            13,
            verify_checkpoint(note13, other_log.signer.verifier_key()).root_hash,
        )


def cosigned_at_five_then_grown(client: TestClient, data_dir: Path, other_log: AuditLog) -> str:
    """The witness here cosigns the other log at 5 entries, which then grows to 13; the
    checkpoint at 5."""
    witnessing(data_dir, other_log)
    other_log.append_many([search(n) for n in range(5)])
    note5 = other_log.checkpoint()
    assert add(client, add_checkpoint_body(0, [], note5))[0] == 200
    other_log.append_many([search(n) for n in range(8)])
    return note5


def test_a_replayed_older_checkpoint_does_not_roll_back_the_size_last_shown(
    client: TestClient, data_dir: Path, other_log: AuditLog
) -> None:
    note5 = cosigned_at_five_then_grown(client, data_dir, other_log)
    assert add(client, add_checkpoint_body(5, other_log.consistency_proof(5, 13),
                                           other_log.checkpoint()))[0] == 200  # fmt: skip
    # anyone may relay the log's older, signed checkpoint: refused, and shown size stays 13
    assert add(client, add_checkpoint_body(0, [], note5))[0] == 409
    (held,) = CatalogWitnessState(_engine(client)).logs()
    assert (held.size, held.seen_size) == (13, 13)


def test_a_relayer_cannot_make_the_witness_keep_an_honest_checkpoint_as_a_conflict(
    client: TestClient, data_dir: Path, other_log: AuditLog
) -> None:
    cosigned_at_five_then_grown(client, data_dir, other_log)
    honest = other_log.checkpoint()
    bogus = [bytes([i]) * 32 for i in range(len(other_log.consistency_proof(5, 13)))]
    assert add(client, add_checkpoint_body(5, bogus, honest))[0] == 422
    assert CatalogWitnessState(_engine(client)).conflicts(OTHER) == []


# -- (b) cosignatures: forged, replayed, of another checkpoint --------------------------


def test_forged_and_foreign_cosignatures_are_refused(
    client: TestClient, log: AuditLog, signer: NoteSigner, data_dir: Path, tmp_path: Path
) -> None:
    log.append_many([search(n) for n in range(6)])
    trusted = Cosigner.load_or_create(tmp_path / "a", "witness.test.example/a")
    CosignatureStore(data_dir / "cosignatures").trust(trusted.verifier_key())
    note = log.checkpoint()
    text = text_of(note)
    line = trusted.cosign(text)
    name, blob = line.rstrip("\n").split(" ")[1:]
    raw = base64.b64decode(blob)
    impostor = Cosigner.load_or_create(tmp_path / "b", "witness.test.example/a")  # same name
    log.append(search(7))
    grown = log.checkpoint()
    cases: dict[str, tuple[str | bytes, int]] = {
        "short": (note + f"— {name} {base64.b64encode(raw[:75]).decode()}\n", 400),
        "long": (note + f"— {name} {base64.b64encode(raw + b'x').decode()}\n", 400),
        "flipped": (
            note + f"— {name} {base64.b64encode(raw[:-1] + bytes([raw[-1] ^ 1])).decode()}\n",
            400,
        ),
        "other time": (
            note
            + f"— {name} {base64.b64encode(raw[:11] + bytes([raw[11] ^ 1]) + raw[12:]).decode()}\n",
            400,
        ),
        "impostor": (note + impostor.cosign(text), 403),
        "replayed on the grown checkpoint": (grown + line, 400),
        "not base64": (note + f"— {name} ***\n", 400),
        "no log signature": (text + "\n" + line, 400),
        "another log key": (NoteSigner.generate(signer.name).sign(text) + line, 400),
        "non-UTF-8": (b"\xff" + note.encode(), 400),
        "size past int64": (signer.sign(f"{signer.name}\n{2**64}\n{ZERO}\n") + line, 400),
    }
    for label, (body, status) in cases.items():
        content = body if isinstance(body, bytes) else body.encode()
        response = client.post("/v1/audit/tlog/cosignatures", content=content)
        assert response.status_code == status, (label, response.text)
    assert client.get("/v1/audit/tlog/checkpoint").text == grown  # nothing kept


def test_a_replayed_older_cosignature_does_not_replace_a_newer_one(
    client: TestClient, log: AuditLog, data_dir: Path, tmp_path: Path
) -> None:
    log.append_many([search(n) for n in range(4)])
    witness = Cosigner.load_or_create(tmp_path / "w", "witness.test.example/w")
    CosignatureStore(data_dir / "cosignatures").trust(witness.verifier_key())
    note = log.checkpoint()
    older, newer = (
        witness.cosign(text_of(note), timestamp=t) for t in (1_700_000_000, 1_700_000_600)
    )
    for line in (older, newer, older):  # the older one replayed last, by anyone
        assert client.post("/v1/audit/tlog/cosignatures", content=note + line).status_code == 200
    assert client.get("/v1/audit/tlog/checkpoint").text == note + newer


# -- (d) bodies are read only up to the limit --------------------------------------------


@pytest.mark.parametrize("path", ["/v1/audit/tlog/cosignatures", "/v1/witness/add-checkpoint"])
def test_a_huge_body_is_not_read_past_the_limit(log: AuditLog, data_dir: Path, path: str) -> None:
    app = tlog_app(log, data_dir)
    chunk, chunks = b"x" * 16384, 256  # 4 MiB offered, no Content-Length
    pulled = 0
    sent: list[MutableMapping[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal pulled
        pulled += 1
        return {"type": "http.request", "body": chunk, "more_body": pulled < chunks}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"content-type", b"text/plain")],
        "client": ("127.0.0.1", 1),
        "server": ("testserver", 80),
    }
    asyncio.run(app(scope, receive, send))
    assert sent[0]["status"] == 413
    assert pulled <= 64 * 1024 // len(chunk) + 1  # stopped once past 64 KiB


@pytest.mark.parametrize("path", ["/v1/audit/tlog/cosignatures", "/v1/witness/add-checkpoint"])
def test_a_declared_huge_body_is_refused_up_front(client: TestClient, path: str) -> None:
    response = client.post(path, content=b"x" * (64 * 1024 + 1))
    assert response.status_code == 413


# -- (a, f) the verification CLI against servers that lie -------------------------------


def _lying_app(log: AuditLog, data_dir: Path, leaves: dict[int, bytes]) -> FastAPI:
    """The real audit and tlog routes over ``log``, except that ``/v1/audit/entries``
    serves ``leaves`` (index: leaf hash) in place of the stored leaf hashes."""
    lying = FastAPI()

    @lying.get("/v1/audit/entries")
    def entries(start: Annotated[int, Query()] = 0, limit: Annotated[int, Query()] = 100
                ) -> dict[str, Any]:  # fmt: skip
        page = entries_page(log, start, limit)
        for item in page["entries"]:
            if item["index"] in leaves:
                item["leaf_hash"] = base64.b64encode(leaves[item["index"]]).decode()
        return page

    real = tlog_app(log, data_dir)
    lying.router.routes.extend(real.router.routes)
    lying.state.audit_log = log
    lying.state.settings = real.state.settings
    return lying


def test_verify_refuses_leaf_hashes_that_are_not_32_bytes(
    log: AuditLog, signer: NoteSigner, data_dir: Path
) -> None:
    log.append_many([search(n) for n in range(4)])
    l0, l1 = log.entry(0).leaf_hash, log.entry(1).leaf_hash
    # the same 64 bytes split 33/31: the tree hashes to the signed root all the same
    lies = {0: l0 + l1[:1], 1: l1[1:]}
    with serving(_lying_app(log, data_dir, lies)) as url:
        result = runner.invoke(audit_cli, ["verify", "--url", url, "--key", signer.verifier_key()])
    assert result.exit_code == 1 and "33 bytes, not 32" in result.output, result.output


def test_verify_refuses_a_server_that_swaps_leaves(
    log: AuditLog, signer: NoteSigner, data_dir: Path
) -> None:
    log.append_many([search(n) for n in range(4)])
    lies = {0: log.entry(1).leaf_hash, 1: log.entry(0).leaf_hash}
    with serving(_lying_app(log, data_dir, lies)) as url:
        result = runner.invoke(audit_cli, ["verify", "--url", url, "--key", signer.verifier_key()])
    assert result.exit_code == 1 and "do not produce the signed root" in result.output


def test_verify_refuses_a_checkpoint_signed_by_another_key(
    log: AuditLog, data_dir: Path, tmp_path: Path
) -> None:
    log.append_many([search(n) for n in range(4)])
    published = NoteSigner.generate(log.signer.name if log.signer else "x").verifier_key()
    with serving(tlog_app(log, data_dir)) as url:
        result = runner.invoke(audit_cli, ["verify", "--url", url, "--key", published])
    assert result.exit_code == 1 and "rejected" in result.output


def test_verify_and_witness_refuse_a_log_rolled_back_below_a_saved_checkpoint(
    log: AuditLog, signer: NoteSigner, data_dir: Path, tmp_path: Path
) -> None:
    log.append_many([search(n) for n in range(6)])
    saved = tmp_path / "saved.txt"
    saved.write_text(log.checkpoint())
    state = tmp_path / "witness"
    key = signer.verifier_key()
    with serving(tlog_app(log, data_dir)) as url:
        first = runner.invoke(audit_cli, ["witness", "--url", url, "--dir", str(state),
                                          "--key", key])  # fmt: skip
        assert first.exit_code == 0, first.output
        root4 = log.root_hash(4)
        with log.engine.begin() as conn:  # roll back to 4 entries, re-signed by the real key
            conn.execute(delete(audit_entries).where(audit_entries.c.log_index >= 4))
            conn.execute(update(audit_head).values(size=4, root_hash=root4))
        assert verify_checkpoint(log.checkpoint(), key).size == 4
        verified = runner.invoke(audit_cli, ["verify", "--url", url, "--key", key,
                                             "--checkpoint", str(saved)])  # fmt: skip
        witnessed = runner.invoke(audit_cli, ["witness", "--url", url, "--dir", str(state),
                                              "--key", key])  # fmt: skip
    assert verified.exit_code == 1 and "fewer than the 6" in verified.output
    assert witnessed.exit_code == 1 and "rewritten" in witnessed.output
    assert verify_checkpoint((state / "latest.txt").read_text(), key).size == 6


@pytest.mark.parametrize(
    "path, answer",
    [
        ("/v1/audit/entries", "<html>not the log</html>"),
        ("/v1/audit/entries", [1, 2, 3]),
        ("/v1/audit/entries", {"entries": [{"index": 0}]}),
        ("/v1/audit/entries", {"entries": [{"index": "zero", "leaf_hash": "", "summary": {}}]}),
        ("/v1/audit/entries", {"entries": [{"index": 0, "leaf_hash": "", "summary": 7}]}),
        ("/v1/audit/entries", {"entries": 5}),
        ("/v1/audit/proof/consistency", {"proof": "AAAA"}),
        ("/v1/audit/proof/consistency", {"no": "proof"}),
    ],
)
def test_verify_says_what_is_wrong_with_an_answer_that_is_not_the_logs(
    log: AuditLog, signer: NoteSigner, data_dir: Path, tmp_path: Path, path: str, answer: Any,
) -> None:
    """A server answering with something else than the log's entries or proofs is
    refused with a message naming the route, never with a traceback."""
    log.append_many([search(n) for n in range(4)])
    saved = tmp_path / "saved.txt"
    saved.write_text(log.checkpoint())  # so that a consistency proof is asked for
    log.append_many([search(n + 10) for n in range(3)])
    lying = FastAPI()

    @lying.get(path)
    def wrong() -> Any:
        return answer

    real = tlog_app(log, data_dir)
    lying.router.routes.extend(real.router.routes)
    lying.state.audit_log = log
    lying.state.settings = real.state.settings
    with serving(lying) as url:
        result = runner.invoke(audit_cli, ["verify", "--url", url, "--key",
                                           signer.verifier_key(), "--checkpoint", str(saved)])
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    said = " ".join(result.output.split())  # the report wraps long lines
    assert f"GET {path}" in said and "did not answer with" in said
    assert "Traceback" not in said
