"""Go's own transparency-log code checks our checkpoints, tiles and proofs.

``tools/goverify`` uses ``golang.org/x/mod/sumdb/note`` to open the signed checkpoint and
``golang.org/x/mod/sumdb/tlog`` to read the hash tiles (each checked against the signed
root), recompute the tree hash, and check inclusion and consistency proofs, both those
it builds from the tiles and those the proof endpoints serve. It runs against a real
HTTP server. Without Go (Debian: golang-go, golang-golang-x-mod-dev) these tests skip.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, delete, update

from plateledger.audit import AuditLog, NoteSigner
from plateledger.audit.compact import node_id
from plateledger.audit.hashing import leaf_hash
from plateledger.audit.schema import audit_entries, audit_head, audit_nodes
from plateledger.audit.witness import CosignatureStore, Cosigner
from tests.audit.conftest import search
from tests.audit.tlog_server import serving, tlog_app

SOURCE = Path(__file__).resolve().parents[2] / "tools" / "goverify"
GOPATHS = ("/usr/share/gocode",)  # where Debian's golang-golang-x-mod-dev puts the source


def _gopath() -> str | None:
    candidates = [os.environ.get("GOPATH", ""), *GOPATHS]
    for path in candidates:
        if path and (Path(path) / "src/golang.org/x/mod/sumdb/tlog").is_dir():
            return path
    return None


@pytest.fixture(scope="module")
def goverify(tmp_path_factory: pytest.TempPathFactory) -> Path:
    go, gopath = shutil.which("go"), _gopath()
    if go is None or gopath is None:
        pytest.skip(
            "Go and golang.org/x/mod are needed to build tools/goverify: "
            "apt-get install golang-go golang-golang-x-mod-dev"
        )
    out = tmp_path_factory.mktemp("goverify")
    env = {
        **os.environ,
        "GO111MODULE": "off",
        "GOPATH": gopath,
        "GOPROXY": "off",
        "GOFLAGS": "",
        "GOCACHE": str(out / "cache"),
    }
    subprocess.run(
        [go, "build", "-o", str(out / "goverify"), "."],
        cwd=SOURCE,
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    return out / "goverify"


def run_go(binary: Path, url: str, key: str, *extra: str) -> tuple[int, str]:
    done = subprocess.run(
        [str(binary), "-url", f"{url}/v1/audit", "-key", key, *extra],
        capture_output=True,
        text=True,
        timeout=300,
    )
    return done.returncode, (done.stdout + done.stderr).strip()


@pytest.fixture
def url(log: AuditLog, data_dir: Path) -> Iterator[str]:
    with serving(tlog_app(log, data_dir)) as base:
        yield base


SIZES = [1, 2, 5, 8, 13, 256, 300, 517]


def test_go_verifies_checkpoints_tiles_and_proofs_at_many_sizes(
    goverify: Path, url: str, log: AuditLog, signer: NoteSigner, tmp_path: Path
) -> None:
    saved = tmp_path / "saved.txt"
    for size in SIZES:
        if saved.exists() is False and log.size():
            saved.write_text(log.checkpoint())
        log.append_many([search(n) for n in range(size - log.size())])
        extra = ("-saved", str(saved)) if saved.exists() else ()
        code, out = run_go(goverify, url, signer.verifier_key(), *extra)
        assert code == 0, out
        assert f"size={size} " in out
        saved.write_text(log.checkpoint())  # the next size must extend this one


def test_go_rejects_a_tampered_tile(
    goverify: Path, url: str, log: AuditLog, signer: NoteSigner
) -> None:
    log.append_many([search(n) for n in range(300)])
    assert run_go(goverify, url, signer.verifier_key())[0] == 0
    with log.engine.begin() as conn:  # the subtree of leaves 0..255: hash 0 of tile/1/000.p/1
        conn.execute(update(audit_nodes).where(audit_nodes.c.node_id == node_id(8, 0))
                     .values(hash=bytes(32)))  # fmt: skip
    code, out = run_go(goverify, url, signer.verifier_key())
    assert code == 1 and "inconsistent" in out, out


def test_go_rejects_a_leaf_rewritten_with_its_hash(
    goverify: Path, url: str, log: AuditLog, signer: NoteSigner
) -> None:
    log.append_many([search(n) for n in range(13)])
    record = log.entry(6)
    forged = record.entry_bytes.replace(b"stolen_vehicle", b"immigration___")
    with log.engine.begin() as conn:  # content and leaf hash changed together: tile 0 differs
        conn.execute(update(audit_entries).where(audit_entries.c.log_index == 6)
                     .values(entry=forged, leaf_hash=leaf_hash(forged)))  # fmt: skip
    code, out = run_go(goverify, url, signer.verifier_key())
    assert code == 1 and "FAIL" in out, out


def test_go_rejects_a_checkpoint_signed_by_another_key(
    goverify: Path, log: AuditLog, signer: NoteSigner, data_dir: Path
) -> None:
    log.append_many([search(n) for n in range(7)])
    impostor = AuditLog(log.engine, signer=NoteSigner.generate(signer.name))
    with serving(tlog_app(impostor, data_dir)) as base:
        assert run_go(goverify, base, impostor.signer.verifier_key() if impostor.signer
                      else "")[0] == 0  # fmt: skip
        code, out = run_go(goverify, base, signer.verifier_key())
    assert code == 1 and "checkpoint signature" in out, out


def test_go_rejects_a_rewritten_log_against_a_saved_checkpoint(
    goverify: Path, url: str, log: AuditLog, signer: NoteSigner, tmp_path: Path
) -> None:
    log.append_many([search(n) for n in range(11)])
    saved = tmp_path / "saved.txt"
    saved.write_text(log.checkpoint())
    with log.engine.begin() as conn:
        for table in (audit_entries, audit_nodes, audit_head):
            conn.execute(delete(table))
    log.create_tables()
    log.append_many([search(n, purpose="immigration") if n == 4 else search(n)
                     for n in range(14)])  # fmt: skip
    assert run_go(goverify, url, signer.verifier_key())[0] == 0  # consistent on its own
    code, out = run_go(goverify, url, signer.verifier_key(), "-saved", str(saved))
    assert code == 1 and "consistency 11->14" in out, out


def test_go_checks_a_witness_cosignature(
    goverify: Path, url: str, log: AuditLog, signer: NoteSigner, data_dir: Path, tmp_path: Path
) -> None:
    log.append_many([search(n) for n in range(9)])
    witness = Cosigner.load_or_create(tmp_path / "w", "witness.test.example/w1")
    other = Cosigner.load_or_create(tmp_path / "o", "witness.test.example/w2")
    CosignatureStore(data_dir / "cosignatures").trust(witness.verifier_key())
    note = log.checkpoint()
    text = note[: note.rfind("\n\n") + 1]
    answer = httpx.post(f"{url}/v1/audit/tlog/cosignatures", content=note + witness.cosign(text))
    assert answer.status_code == 200, answer.text
    code, out = run_go(goverify, url, signer.verifier_key(), "-witness", witness.verifier_key())
    assert code == 0, out
    code, out = run_go(goverify, url, signer.verifier_key(), "-witness", other.verifier_key())
    assert code == 1 and "no cosignature by witness.test.example/w2" in out, out


def test_go_verifies_the_real_server(goverify: Path, tmp_path: Path) -> None:
    """``plateledger serve`` itself, empty and after entries appended by another process."""
    from tests.conftest import _free_port, _spawn, _wait_ready

    data_dir = tmp_path / "served"
    data_dir.mkdir()
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    process = _spawn(data_dir, port)
    try:
        _wait_ready(base, process)
        key = httpx.get(f"{base}/v1/audit/key", timeout=30).text.strip()
        code, out = run_go(goverify, base, key)
        assert code == 0, out
        engine = create_engine(f"sqlite:///{data_dir / 'catalog.sqlite'}")
        try:
            AuditLog(engine, signer=None).append_many([search(n) for n in range(270)])
        finally:
            engine.dispose()
        code, out = run_go(goverify, base, key)
        assert code == 0, out
        assert "size=270 " in out or "size=271 " in out
        # An auditor of the agency every entry is of reads the entry bundles too: Go checks
        # that each entry hashes to its leaf. Another agency's auditor is refused them.
        olive, bert = auditors(data_dir, base)
        code, out = run_go(goverify, base, key, "-token", olive)
        assert code == 0, out
        assert "entries=270" in out, out
        code, out = run_go(goverify, base, key, "-token", bert)
        assert code == 1 and "403" in out and "bundle_not_full" in out, out
    finally:
        process.terminate()
        process.wait(timeout=60)


def auditors(data_dir: Path, base: str) -> tuple[str, str]:
    """Tokens of an auditor of `ca-oakland-pd` (whose users made every entry of `search`)
    and of another agency's auditor, added to the served catalog."""
    from plateledger.catalog import new_totp_secret, open_catalog, totp_code
    from plateledger.catalog.passwords import FAST
    from plateledger.settings import Settings

    catalog = open_catalog(Settings(data_dir=data_dir), password_hasher=FAST)
    secrets = {"olive": new_totp_secret(), "bert": new_totp_secret()}
    try:
        for slug, user in (("ca-oakland-pd", "olive"), ("ca-berkeley-pd", "bert")):
            agency = catalog.add_agency(slug, slug, "municipal", "CA")
            catalog.add_user(
                agency.id,
                user,
                "correct horse battery staple",
                ["auditor"],
                totp_secret=secrets[user],
            )
    finally:
        catalog.close()
    tokens = []
    for user, secret in secrets.items():
        answer = httpx.post(
            f"{base}/v1/auth/token",
            timeout=30,
            json={
                "username": user,
                "password": "correct horse battery staple",
                "totp": totp_code(secret, datetime.now(UTC)),
            },
        )
        assert answer.status_code == 200, answer.text
        tokens.append(str(answer.json()["access_token"]))
    return tokens[0], tokens[1]
