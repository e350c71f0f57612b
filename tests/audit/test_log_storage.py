"""AuditLog on real databases: appends, reads, roots and proofs against the reference."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
import rfc8785
from sqlalchemy import Engine, create_engine

from plateledger.audit import (
    AuditLog,
    EntryError,
    LogRangeError,
    NoteSigner,
    verify_checkpoint,
    verify_consistency,
    verify_inclusion,
)
from plateledger.audit.schema import metadata
from plateledger.audit.verification import verify_log
from tests.audit import reference
from tests.audit.conftest import search
from tests.factories import period_stamp


def check_against_reference(log: AuditLog) -> None:
    size = log.size()
    records = log.entries(0, size)
    hashes = [reference.leaf(r.entry_bytes) for r in records]
    assert [r.leaf_hash for r in records] == hashes
    root = reference.mth(hashes)
    assert log.root_hash() == root
    for index in range(size):
        proof = log.inclusion_proof(index, size)
        assert proof == reference.path(index, hashes)
        verify_inclusion(index, size, hashes[index], proof, root)
    for old in range(size + 1):
        proof = log.consistency_proof(old, size)
        assert proof == reference.consistency(old, hashes)
        assert log.root_hash(old) == reference.mth(hashes[:old])
        verify_consistency(old, size, proof, log.root_hash(old), root)


def test_append_returns_consecutive_indexes_and_the_tree_matches_the_reference(
    log: AuditLog,
) -> None:
    assert [log.append(search(n)) for n in range(5)] == [0, 1, 2, 3, 4]
    assert log.append_many([search(n) for n in range(5, 22)]) == list(range(5, 22))
    assert log.size() == 22
    check_against_reference(log)


def test_stored_entry_is_canonical_json_with_version_time_and_position(log: AuditLog) -> None:
    log.append({"type": "export", "format": "csv", "rows": 3, "agency": "ca-sfpd"})
    record = log.entry(0)
    assert record.entry_bytes == rfc8785.dumps(record.entry)
    assert record.entry["v"] == 1 and record.entry["log_index"] == 0
    assert record.entry["time"] == record.time and record.time.endswith("Z")
    assert json.loads(record.entry_bytes)["format"] == "csv"


@pytest.mark.parametrize(
    "bad",
    [
        {"no_type": 1},
        {"type": ""},
        {"type": "search", "log_index": 3},
        {"type": "search", "v": 0},
        {"type": "search", "n": 2**60},  # beyond what I-JSON numbers carry exactly
        {"type": "search", "x": float("nan")},
    ],
)
def test_invalid_entry_is_refused_and_nothing_of_its_batch_is_appended(
    log: AuditLog, bad: dict[str, object]
) -> None:
    log.append(search(0))
    with pytest.raises(EntryError):
        log.append_many([search(1), bad, search(2)])
    assert log.size() == 1
    assert verify_log(log).ok


@pytest.mark.parametrize(
    ("call", "args"),
    [
        ("inclusion_proof", (3, 3)),
        ("inclusion_proof", (0, 4)),
        ("inclusion_proof", (-1, 2)),
        ("consistency_proof", (2, 1)),
        ("consistency_proof", (1, 4)),
        ("root_hash", (4,)),
        ("entry", (3,)),
        ("entry", (-1,)),
    ],
)
def test_out_of_range_requests_raise_log_range_error(
    log: AuditLog, call: str, args: tuple[int, ...]
) -> None:
    log.append_many([search(n) for n in range(3)])
    with pytest.raises(LogRangeError):
        getattr(log, call)(*args)


def test_entries_page_is_in_order_and_bounded(log: AuditLog) -> None:
    log.append_many([search(n) for n in range(10)])
    assert [r.index for r in log.entries(7, 100)] == [7, 8, 9]
    assert [r.index for r in log.entries(2, 3)] == [2, 3, 4]
    assert log.entries(10, 5) == []


def test_checkpoint_is_signed_and_names_the_current_head(log: AuditLog, signer: NoteSigner) -> None:
    log.append_many([search(n) for n in range(6)])
    checkpoint = verify_checkpoint(log.checkpoint(), signer.verifier_key())
    assert (checkpoint.origin, checkpoint.size) == (signer.name, 6)
    assert checkpoint.root_hash == log.root_hash()


def test_writers_on_separate_connections_never_interleave(
    sqlite_engine: Engine, signer: NoteSigner
) -> None:
    url = sqlite_engine.url
    logs = [AuditLog(create_engine(url), signer=signer) for _ in range(3)]
    logs[0].create_tables()
    indexes: list[list[int]] = [[] for _ in logs]

    def write(each: AuditLog) -> None:
        k = logs.index(each)
        for n in range(15):
            indexes[k].extend(each.append_many([search(n, writer=k), search(n, writer=k)]))

    at_once(logs, write)
    merged = sorted(i for batch in indexes for i in batch)
    assert merged == list(range(90))
    log = AuditLog(sqlite_engine, signer=signer)
    assert verify_log(log).ok
    # each batch of two landed next to each other: appends are serialised whole
    for k in range(len(logs)):
        assert all(b - a == 1 for a, b in zip(indexes[k][::2], indexes[k][1::2], strict=True))


def test_rotating_the_key_logs_the_rotation_signed_by_the_old_key(
    log: AuditLog, signer: NoteSigner, data_dir: Path
) -> None:
    log.append(search(0))
    new = log.rotate_key(data_dir)
    record = log.entry(1)
    assert record.entry["type"] == "log_key_rotation"
    assert record.entry["old_key"] == signer.verifier_key()
    assert record.entry["new_key"] == new.verifier_key()
    assert NoteSigner.load(data_dir).verifier_key() == new.verifier_key()
    verify_checkpoint(log.checkpoint(), new.verifier_key())


@pytest.mark.postgres
def test_the_log_works_the_same_on_postgresql(postgres_engine: Engine) -> None:
    metadata.create_all(postgres_engine)
    log = AuditLog(postgres_engine, signer=NoteSigner.generate("pg.example/audit"))
    log.create_tables()
    log.append_many([search(n) for n in range(9)])
    log.append(search(9))
    check_against_reference(log)
    assert verify_log(log).ok


@pytest.mark.postgres
def test_postgresql_writers_on_separate_connections_never_interleave(
    postgres_engine: Engine,
) -> None:
    signer = NoteSigner.generate("pg.example/audit")
    log = AuditLog(postgres_engine, signer=signer)
    log.create_tables()

    def write(each: AuditLog) -> None:
        for n in range(10):
            each.append(search(n))

    at_once(postgres_writers(postgres_engine, signer), write)
    assert log.size() == 30
    assert verify_log(log).ok


def _schema(engine: Engine) -> str:
    with engine.connect() as conn:
        return str(conn.exec_driver_sql("SELECT current_schema()").scalar_one())


def postgres_writers(engine: Engine, signer: NoteSigner, n: int = 3) -> list[AuditLog]:
    """``n`` logs over ``engine``'s schema, each on its own engine (as processes are)."""
    options = {"options": f"-csearch_path={_schema(engine)}"}
    return [AuditLog(create_engine(engine.url, connect_args=options), signer=signer)
            for _ in range(n)]


def at_once(logs: list[AuditLog], work: Callable[[AuditLog], object]) -> None:
    """Run ``work`` on each of ``logs`` in its own thread at once; then close their engines."""
    threads = [threading.Thread(target=work, args=(each,)) for each in logs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for each in logs:
        each.engine.dispose()


@pytest.mark.postgres
def test_held_entries_are_appended_once_on_postgresql_whichever_writer_releases_them(
    postgres_engine: Engine,
) -> None:
    """docs/audit.md: a withheld hit's entry is held, then appended once at its period's
    end, whichever process releases it (here three writers on their own connections)."""
    signer = NoteSigner.generate("pg.example/audit")
    log = AuditLog(postgres_engine, signer=signer)
    log.create_tables()
    _, until = log.append_and_hold([search(0)], [{"type": "alert_withheld", "n": n}
                                                 for n in range(12)], timedelta(hours=1))
    assert log.size() == 1 and len(log.held()) == 12
    released: list[int] = []
    at_once(postgres_writers(postgres_engine, signer),
            lambda each: released.extend(each.release_held(until)))
    assert sorted(released) == list(range(1, 13)) and log.held() == []
    assert sorted(log.entry(i).entry["n"] for i in released) == list(range(12))
    assert {log.entry(i).entry["time"] for i in released} == {period_stamp(until)}
    assert verify_log(log).ok
