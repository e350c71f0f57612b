"""Tampering directly in the database is detected, and the first bad entry is named."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import rfc8785
from sqlalchemy import Connection, delete, insert, select, update

from plateledger.audit import AuditLog, Checkpoint, NoteSigner
from plateledger.audit.hashing import leaf_hash
from plateledger.audit.schema import audit_entries, audit_head, audit_nodes
from plateledger.audit.verification import LogReport, verify_log
from tests.audit.conftest import search

SIZE = 20
VICTIM = 7
E = audit_entries.c


def row(conn: Connection, index: int) -> tuple[bytes, bytes, str]:
    found = conn.execute(select(E.entry, E.leaf_hash, E.logged_at).where(E.log_index == index))
    entry, leaf, logged_at = found.one()
    return bytes(entry), bytes(leaf), str(logged_at)


def put(conn: Connection, index: int, entry: bytes, leaf: bytes) -> None:
    conn.execute(
        update(audit_entries).where(E.log_index == index).values(entry=entry, leaf_hash=leaf)
    )


def edit_bytes(conn: Connection) -> None:
    entry, leaf, _ = row(conn, VICTIM)
    put(conn, VICTIM, entry.replace(b"stolen_vehicle", b"immigration___"), leaf)


def edit_bytes_and_leaf_hash(conn: Connection) -> None:
    entry, _, _ = row(conn, VICTIM)
    edited = entry.replace(b"stolen_vehicle", b"immigration___")
    put(conn, VICTIM, edited, leaf_hash(edited))


def delete_entry(conn: Connection) -> None:
    conn.execute(delete(audit_entries).where(E.log_index == VICTIM))


def delete_and_renumber(conn: Connection) -> None:
    conn.execute(delete(audit_entries).where(E.log_index == VICTIM))
    for index in range(VICTIM + 1, SIZE):
        conn.execute(update(audit_entries).where(E.log_index == index)
                     .values(log_index=index - 1))  # fmt: skip
    conn.execute(update(audit_head).values(size=SIZE - 1))


def swap_with_next(conn: Connection) -> None:
    first, second = row(conn, VICTIM), row(conn, VICTIM + 1)
    put(conn, VICTIM, second[0], second[1])
    put(conn, VICTIM + 1, first[0], first[1])


def insert_forged_in_the_middle(conn: Connection) -> None:
    for index in range(SIZE - 1, VICTIM - 1, -1):
        conn.execute(update(audit_entries).where(E.log_index == index)
                     .values(log_index=index + 1))  # fmt: skip
    forged = rfc8785.dumps({**search(99), "log_index": VICTIM, "time": "2026-01-01T00:00:00Z"})
    conn.execute(
        insert(audit_entries).values(
            log_index=VICTIM, entry=forged, leaf_hash=leaf_hash(forged), logged_at="x"
        )
    )
    conn.execute(update(audit_head).values(size=SIZE + 1))


def edit_a_stored_node(conn: Connection) -> None:
    # level 1, index 3 covers entries 6 and 7
    conn.execute(update(audit_nodes).where(audit_nodes.c.node_id == 13).values(hash=bytes(32)))


TAMPERING: list[tuple[Callable[[Connection], None], str]] = [
    (edit_bytes, "leaf hash"),
    (edit_bytes_and_leaf_hash, "subtree"),
    (delete_entry, "missing"),
    (delete_and_renumber, "log index"),
    (swap_with_next, "log index"),
    (insert_forged_in_the_middle, "subtree"),
    (edit_a_stored_node, "subtree"),
]


def names(report: LogReport, index: int) -> bool:
    first = report.first_bad
    assert first is not None and first.index is not None
    last = first.index if first.last_index is None else first.last_index
    return first.index <= index <= last


@pytest.mark.parametrize(("tamper", "problem"), TAMPERING, ids=[t.__name__ for t, _ in TAMPERING])
def test_tampering_with_a_stored_entry_names_it(
    log: AuditLog, tamper: Callable[[Connection], None], problem: str
) -> None:
    log.append_many([search(n) for n in range(SIZE)])
    assert verify_log(log).ok
    with log.engine.begin() as conn:
        tamper(conn)
    report = verify_log(log)
    assert not report.ok
    assert names(report, VICTIM)
    assert problem in str(report.first_bad)


def test_an_entry_written_past_the_head_is_named(log: AuditLog) -> None:
    log.append_many([search(n) for n in range(SIZE)])
    forged = rfc8785.dumps({**search(99), "log_index": SIZE, "time": "2026-01-01T00:00:00Z"})
    with log.engine.begin() as conn:
        conn.execute(
            insert(audit_entries).values(
                log_index=SIZE, entry=forged, leaf_hash=leaf_hash(forged), logged_at="x"
            )
        )
    report = verify_log(log)
    assert report.first_bad is not None and report.first_bad.index == SIZE
    assert "beyond the tree head" in str(report.first_bad)


def test_a_consistent_rewrite_is_caught_by_the_saved_checkpoint(
    log: AuditLog, signer: NoteSigner
) -> None:
    log.append_many([search(n) for n in range(SIZE)])
    saved = log.checkpoint()
    with log.engine.begin() as conn:
        for table in (audit_entries, audit_nodes, audit_head):
            conn.execute(delete(table))
    log.create_tables()
    log.append_many([search(n, purpose="immigration") if n == VICTIM else search(n)
                     for n in range(SIZE + 3)])  # fmt: skip
    assert verify_log(log).ok  # rewritten whole: only an outside copy can tell
    report = verify_log(log, saved_checkpoint=saved)
    assert not report.ok
    assert "rewritten" in str(report.findings[0])


def test_truncating_the_log_is_caught_by_the_saved_checkpoint(log: AuditLog) -> None:
    log.append_many([search(n) for n in range(SIZE)])
    saved = log.checkpoint()
    with log.engine.begin() as conn:
        conn.execute(delete(audit_entries).where(E.log_index >= SIZE - 2))
    report = verify_log(log, saved_checkpoint=saved)
    assert not report.ok
    assert report.first_bad is not None and report.first_bad.index == SIZE - 2


def test_a_saved_checkpoint_extended_honestly_passes(log: AuditLog) -> None:
    log.append_many([search(n) for n in range(SIZE)])
    saved = log.checkpoint()
    log.append_many([search(n) for n in range(5)])
    report = verify_log(log, saved_checkpoint=saved)
    assert report.ok, report.findings
    assert report.size == SIZE + 5


@pytest.mark.parametrize("forgery", ["other_key", "one_byte"])
def test_a_forged_saved_checkpoint_fails(log: AuditLog, signer: NoteSigner, forgery: str) -> None:
    log.append_many([search(n) for n in range(SIZE)])
    if forgery == "other_key":
        impostor = NoteSigner.generate(signer.name)
        saved = impostor.sign(Checkpoint(signer.name, SIZE, log.root_hash()).text())
    else:
        note = log.checkpoint()
        saved = note.replace(f"\n{SIZE}\n", f"\n{SIZE - 10}\n")
    report = verify_log(log, saved_checkpoint=saved)
    assert not report.ok
    assert "saved checkpoint rejected" in str(report.findings[0])
