"""The witness's state in the catalog database, on SQLite and on PostgreSQL: a check and
its record are one compare-and-set (of many requests from one held checkpoint, one is
cosigned, in any number of services over one database); a conflicting checkpoint is kept
once, with its ``witness_conflict`` entry in the same transaction; checkpoints a
file-kept witness recorded are taken over. And the registration of a partner's log keys:
logged as a ``node_change``, checked, one origin per unrevoked node."""

from __future__ import annotations

import base64
import socket
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine
from typer.testing import CliRunner

from plateledger.audit import AuditLog, NoteSigner, verify_checkpoint
from plateledger.audit.witness import (
    CatalogWitnessState,
    CosignatureStore,
    Cosigner,
    FileWitnessState,
    WitnessRefusal,
    WitnessService,
    add_checkpoint_body,
    split_note,
)
from plateledger.catalog import Catalog, Conflict, NotFound, open_catalog
from plateledger.catalog.passwords import FAST
from plateledger.cli.main import app as cli
from plateledger.federation import FederationError, NodeKey, NodeRegistry
from plateledger.federation.registry import operator
from plateledger.federation.witnessing import CrossWitness, partner_log_keys, witness_cosigner
from plateledger.settings import Settings
from tests.audit.conftest import search
from tests.catalog.conftest import (  # noqa: F401  (fixtures used by name)
    _empty_postgres,
    catalog_url,
    postgres_catalog_url,
    settings,
)

ORIGIN = "partner.example/audit"


@pytest.fixture
def catalog(settings: Settings) -> Iterator[Catalog]:  # noqa: F811
    opened = open_catalog(settings, password_hasher=FAST)
    if opened.engine.dialect.name == "postgresql":
        _empty_postgres(opened)
    opened.add_agency("Fremont PD", "fpd", "municipal", "CA")
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def partner_log(tmp_path: Path) -> Iterator[AuditLog]:
    engine: Engine = create_engine(f"sqlite:///{tmp_path / 'partner.sqlite'}")
    log = AuditLog(engine, signer=NoteSigner.generate(ORIGIN))
    log.create_tables()
    yield log
    engine.dispose()


def witness(catalog: Catalog, tmp_path: Path, partner: AuditLog) -> WitnessService:
    assert partner.signer is not None
    log = AuditLog(catalog.engine, signer=None)
    service = WitnessService(
        tmp_path / "witness",
        witness_cosigner(tmp_path / "witness", "here.example/audit"),
        state=CatalogWitnessState(catalog.engine, log),
        log_keys_of=partner_log_keys(catalog.engine),
    )
    NodeRegistry(catalog, log).add(
        operator(),
        "partner",
        "https://partner.example",
        NodeKey.generate().public.text(),
        ["fpd"],
        log_key=partner.signer.verifier_key(),
    )
    return service


def test_of_many_requests_from_one_checkpoint_one_is_cosigned(
    catalog: Catalog, tmp_path: Path, partner_log: AuditLog
) -> None:
    """Eight services over one database (as eight API processes would be), eight
    checkpoints each extending size 3: one is cosigned, seven learn the new size (409)."""
    first = witness(catalog, tmp_path, partner_log)
    services = [first] + [
        WitnessService(
            tmp_path / "witness",
            Cosigner.load_or_create(tmp_path / "witness", None),
            state=CatalogWitnessState(catalog.engine),
            log_keys_of=partner_log_keys(catalog.engine),
        )
        for _ in range(7)
    ]
    partner_log.append_many([search(n) for n in range(3)])
    first.add_checkpoint(add_checkpoint_body(0, [], partner_log.checkpoint()))
    bodies = []
    for _ in range(8):
        partner_log.append(search(0))
        size = partner_log.size()
        bodies.append(add_checkpoint_body(3, partner_log.consistency_proof(3, size),
                                          partner_log.checkpoint()))  # fmt: skip

    def submit(pair: tuple[WitnessService, str]) -> int:
        try:
            pair[0].add_checkpoint(pair[1])
        except WitnessRefusal as refusal:
            assert refusal.size is not None and refusal.size > 3
            return refusal.status
        return 200

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(submit, zip(services, bodies, strict=True)))
    assert sorted(statuses) == [200] + [409] * 7
    latest = first.latest(ORIGIN)
    assert latest is not None and latest.size == 4 + statuses.index(200)
    [held] = CatalogWitnessState(catalog.engine).logs()
    assert (held.origin, held.size, held.conflicts) == (ORIGIN, latest.size, 0)


def test_a_conflict_is_kept_once_with_its_entry(
    catalog: Catalog, tmp_path: Path, partner_log: AuditLog
) -> None:
    assert partner_log.signer is not None
    service = witness(catalog, tmp_path, partner_log)
    partner_log.append_many([search(n) for n in range(5)])
    note = partner_log.checkpoint()
    service.add_checkpoint(add_checkpoint_body(0, [], note))
    text = split_note(note)[0]
    fork = partner_log.signer.sign(
        text.replace(text.split("\n")[2], base64.b64encode(bytes(32)).decode())
    )
    for _ in range(2):  # shown twice: kept once
        with pytest.raises(WitnessRefusal) as refused:
            service.add_checkpoint(add_checkpoint_body(5, [], fork))
        assert (refused.value.status, refused.value.size) == (409, 5)
    state = CatalogWitnessState(catalog.engine)
    [kept] = state.conflicts()
    assert (kept.origin, kept.size, kept.reason, kept.held_size) == (ORIGIN, 5, "fork", 5)
    assert kept.checkpoint == fork and kept.held_checkpoint == note
    assert kept.request == add_checkpoint_body(5, [], fork)  # the whole request
    # both are signed by the log's own key: the pair is the evidence of the fork
    key = partner_log.signer.verifier_key()
    assert verify_checkpoint(kept.checkpoint, key).root_hash == bytes(32)
    assert kept.held_checkpoint is not None
    assert verify_checkpoint(kept.held_checkpoint, key).size == 5
    log = AuditLog(catalog.engine, signer=None)
    assert kept.audit_index is not None
    entry = log.entry(kept.audit_index).entry
    assert (entry["type"], entry["origin"], entry["reason"]) == ("witness_conflict", ORIGIN, "fork")
    assert entry["checkpoint"] == fork and entry["held_checkpoint"] == note
    types = [log.entry(i).entry["type"] for i in range(log.size())]
    assert types.count("witness_conflict") == 1
    # a proof that does not verify from the held checkpoint: from anyone, refused and kept
    # as nothing (a relayer's proof is not the log's); from the log's own node (a request
    # it signed), kept too, as `proof_rejected`
    partner_log.append_many([search(n) for n in range(3)])
    bad = [bytes(32)] * len(partner_log.consistency_proof(5, 8))
    relayed = add_checkpoint_body(5, bad, partner_log.checkpoint())
    with pytest.raises(WitnessRefusal) as rejected:
        service.add_checkpoint(relayed)
    assert rejected.value.status == 422
    assert [c.reason for c in state.conflicts(ORIGIN)] == ["fork"]
    with pytest.raises(WitnessRefusal) as rejected:
        service.add_checkpoint(relayed, sent_by_log=ORIGIN)
    assert rejected.value.status == 422
    assert [c.reason for c in state.conflicts(ORIGIN)] == ["fork", "proof_rejected"]
    [status] = state.logs()
    assert (status.size, status.seen_size, status.conflicts) == (5, 8, 2)


def test_a_file_kept_state_is_taken_over(
    catalog: Catalog, tmp_path: Path, partner_log: AuditLog
) -> None:
    files = WitnessService(
        tmp_path / "old", Cosigner.load_or_create(tmp_path / "old", "w.example/w")
    )
    assert isinstance(files.state, FileWitnessState)
    assert partner_log.signer is not None
    files.add_log(partner_log.signer.verifier_key())
    partner_log.append_many([search(n) for n in range(4)])
    files.add_checkpoint(add_checkpoint_body(0, [], partner_log.checkpoint()))
    state = CatalogWitnessState(catalog.engine)
    assert state.import_files(tmp_path / "old") == 1
    assert state.import_files(tmp_path / "old") == 0  # once
    taken = state.latest(ORIGIN)
    assert taken is not None and taken.size == 4
    service = WitnessService(tmp_path / "old", files.cosigner, state=state)
    with pytest.raises(WitnessRefusal) as refused:  # not a first checkpoint: 4 is held
        service.add_checkpoint(add_checkpoint_body(0, [], partner_log.checkpoint()))
    assert (refused.value.status, refused.value.size) == (409, 4)


def test_log_keys_are_registered_with_their_entry_and_checked(
    catalog: Catalog, tmp_path: Path
) -> None:
    log = AuditLog(catalog.engine, signer=None)
    registry = NodeRegistry(catalog, log)
    registry.add(operator(), "a", "https://a.example", NodeKey.generate().public.text(), ["fpd"])
    registry.add(operator(), "b", "https://b.example", NodeKey.generate().public.text(), ["fpd"])
    log_key = NoteSigner.generate(ORIGIN).verifier_key()
    witness_key = Cosigner.load_or_create(tmp_path / "w", f"{ORIGIN}/witness").verifier_key()
    record = registry.set_log_keys(operator(), "a", log_key, witness_key)
    assert (record.log_key, record.witness_key) == (log_key, witness_key)
    entry = log.entry(log.size() - 1).entry
    assert (entry["type"], entry["change"], entry["object_id"]) == ("node_change", "log_keys", "a")
    assert (entry["before"]["log_key"], entry["after"]["log_key"]) == (None, log_key)
    assert entry["after"]["witness_key"] == witness_key
    assert partner_log_keys(catalog.engine)(ORIGIN) == [log_key]
    with pytest.raises(FederationError, match="log key"):
        registry.set_log_keys(operator(), "b", "not-a-key")
    with pytest.raises(FederationError, match="witness key"):
        other = NoteSigner.generate("other.example/audit").verifier_key()
        registry.set_log_keys(operator(), "b", other, log_key)  # a note key, not a cosigner's
    with pytest.raises(Conflict, match="holds the log"):  # one origin, one unrevoked node
        registry.set_log_keys(operator(), "b", NoteSigner.generate(ORIGIN).verifier_key())
    with pytest.raises(NotFound):
        registry.set_log_keys(operator(), "nobody", log_key)
    size = log.size()
    registry.revoke(operator(), "a")
    assert partner_log_keys(catalog.engine)(ORIGIN) == []  # revoked: no longer witnessed
    with pytest.raises(Conflict, match="revoked"):
        registry.set_log_keys(operator(), "a", log_key)
    assert log.size() == size + 1  # the revoke's entry; no entry for a refused change


def test_a_partner_that_is_down_leaves_the_checkpoint_without_its_cosignature(
    catalog: Catalog, tmp_path: Path
) -> None:
    with socket.socket() as sock:  # a port with nothing listening
        sock.bind(("127.0.0.1", 0))
        down = f"http://127.0.0.1:{sock.getsockname()[1]}"
    log = AuditLog(catalog.engine, signer=NoteSigner.generate("here.example/audit"))
    witness_key = Cosigner.load_or_create(tmp_path / "w", "down.example/w").verifier_key()
    NodeRegistry(catalog, log).add(
        operator(), "down", down, NodeKey.generate().public.text(), ["fpd"],
        witness_key=witness_key,
    )  # fmt: skip
    store = CosignatureStore(tmp_path / "cosignatures")
    cross = CrossWitness(catalog, log, store)
    try:
        [result] = cross.run_once()
    finally:
        cross.stop()
    assert (result.node, result.outcome, result.message) == ("down", "unavailable", "unreachable")
    assert store.cosigned(log.checkpoint()) == log.checkpoint()


def test_the_node_commands_print_and_register_log_keys(tmp_path: Path) -> None:
    runner = CliRunner()
    partner = tmp_path / "partner"
    shown = runner.invoke(cli, ["node", "key", "--data-dir", str(partner)])
    assert shown.exit_code == 0, shown.output
    log_key = NoteSigner.load(partner).verifier_key()
    witness_key = (partner / "witness" / "cosigner.pub").read_text().strip()
    assert f"log key:     {log_key}\n" in shown.output
    assert f"witness key: {witness_key}\n" in shown.output
    assert witness_key.startswith(f"{log_key.split('+')[0]}/witness+")
    here = tmp_path / "here"
    catalog = open_catalog(Settings(data_dir=here), password_hasher=FAST)
    catalog.add_agency("Fremont PD", "fpd", "municipal", "CA")
    catalog.close()
    node_key = NodeKey.load_or_create(partner).public.text()
    added = runner.invoke(
        cli,
        ["node", "add", "partner", "--url", "https://p.example", "--key", node_key,
         "--agency", "fpd", "--log-key", log_key, "--witness-key", witness_key,
         "--data-dir", str(here)],
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    catalog = open_catalog(Settings(data_dir=here), password_hasher=FAST)
    try:
        [record] = NodeRegistry(catalog, AuditLog(catalog.engine, signer=None)).list()
    finally:
        catalog.close()
    assert (record.log_key, record.witness_key) == (log_key, witness_key)
    bad = runner.invoke(cli, ["node", "log-key", "partner", "nonsense", "--data-dir", str(here)])
    assert bad.exit_code == 1 and "log key" in bad.output
