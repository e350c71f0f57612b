"""The tampering table of docs/audit.md, performed: each of eleven tamperings with the
log's database, and whether it is caught by the offline check alone, with a checkpoint
the verifier saved earlier, and with a witness's cosignature required."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, delete

from plateledger.audit import AuditLog, NoteSigner
from plateledger.audit.schema import audit_entries, audit_head, audit_nodes
from plateledger.audit.verification import verify_log
from plateledger.audit.witness import Cosigner, WitnessRefusal, WitnessService, add_checkpoint_body
from tests.audit import test_tampering as edits
from tests.audit.conftest import search

DOC = Path(__file__).resolve().parents[2] / "docs" / "audit.md"
BACKUP_AT = 15  # the log is copied (a backup) at this size, then grows to edits.SIZE


@pytest.fixture
def engines(tmp_path: Path) -> Iterator[list[Engine]]:
    made: list[Engine] = []
    yield made
    for engine in made:
        engine.dispose()


def copy_database(source: Path, target: Path) -> None:
    """Copy a SQLite database with SQLite's online backup."""
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)


class World:
    """The log at ``edits.SIZE`` entries, a backup of it at ``BACKUP_AT``, a verifier's
    saved checkpoint, and a witness that has cosigned every checkpoint it was shown."""

    def __init__(self, log: AuditLog, signer: NoteSigner, tmp: Path,
                 engines: list[Engine]) -> None:  # fmt: skip
        self.log, self.signer, self.tmp, self.engines = log, signer, tmp, engines
        self.witness = WitnessService(tmp / "witness",
                                      Cosigner.load_or_create(tmp / "witness", "w.example/w"))
        self.witness.add_log(signer.verifier_key())
        log.append_many([search(n) for n in range(BACKUP_AT)])
        self.cosign(log)
        self.backup = self.copy(tmp / "backup.sqlite")
        self.early_checkpoint = log.checkpoint()
        log.append_many([search(n) for n in range(BACKUP_AT, edits.SIZE)])
        self.cosign(log)
        self.saved = log.checkpoint()

    def copy(self, path: Path) -> Path:
        database = self.log.engine.url.database
        assert database is not None
        copy_database(Path(database), path)
        return path

    def open(self, path: Path) -> AuditLog:
        engine = create_engine(f"sqlite:///{path}")
        self.engines.append(engine)
        return AuditLog(engine, signer=self.signer)

    def cosign(self, view: AuditLog) -> bool:
        """Ask the witness to cosign ``view``'s checkpoint as a log would; return whether
        it did."""
        latest = self.witness.latest(self.signer.name)
        old = 0 if latest is None else latest.size
        try:
            proof = view.consistency_proof(old, view.size()) if old <= view.size() else []
            self.witness.add_checkpoint(add_checkpoint_body(old, proof, view.checkpoint()))
        except WitnessRefusal:
            return False
        return True

    def stored_entries(self, count: int) -> list[dict[str, Any]]:
        entries = []
        for record in self.log.entries(0, count):
            entry = json.loads(record.entry_bytes)
            entry.pop("log_index")
            entries.append(entry)
        return entries

    def rebuild(self, entries: list[dict[str, Any]]) -> None:
        """Rewrite the whole log from ``entries``: every hash recomputed, consistent."""
        with self.log.engine.begin() as conn:
            for table in (audit_entries, audit_nodes, audit_head):
                conn.execute(delete(table))
        self.log.create_tables()
        self.log.append_many(entries)


def in_the_database(edit: Callable[[Any], None]) -> Callable[[World], AuditLog]:
    def tamper(world: World) -> AuditLog:
        with world.log.engine.begin() as conn:
            edit(conn)
        return world.log
    tamper.__name__ = edit.__name__
    return tamper


def truncate_the_tail(world: World) -> AuditLog:
    world.rebuild(world.stored_entries(edits.SIZE - 3))
    return world.log


def rewrite_consistently(world: World) -> AuditLog:
    entries = world.stored_entries(edits.SIZE)
    entries[edits.VICTIM]["purpose"] = "immigration"
    world.rebuild(entries)
    return world.log


def roll_back_to_a_backup(world: World) -> AuditLog:
    return world.open(world.backup)


def fork_a_second_view(world: World) -> AuditLog:
    path = world.tmp / "fork.sqlite"
    copy_database(world.backup, path)
    view = world.open(path)  # the backup grown otherwise: a second branch, same key
    view.append_many([search(n, purpose="immigration") for n in range(BACKUP_AT, edits.SIZE)])
    return view


KINDS: dict[str, Callable[[World], AuditLog]] = {
    "edit_bytes": in_the_database(edits.edit_bytes),
    "edit_bytes_and_leaf_hash": in_the_database(edits.edit_bytes_and_leaf_hash),
    "delete_entry": in_the_database(edits.delete_entry),
    "delete_and_renumber": in_the_database(edits.delete_and_renumber),
    "swap_with_next": in_the_database(edits.swap_with_next),
    "insert_forged_in_the_middle": in_the_database(edits.insert_forged_in_the_middle),
    "edit_a_stored_node": in_the_database(edits.edit_a_stored_node),
    "truncate_the_tail": truncate_the_tail,
    "rewrite_consistently": rewrite_consistently,
    "roll_back_to_a_backup": roll_back_to_a_backup,
    "fork_a_second_view": fork_a_second_view,
}


def documented() -> dict[str, tuple[bool, bool, bool]]:
    """The rows of the table under the `tampering-table` marker of docs/audit.md."""
    text = DOC.read_text(encoding="utf-8")
    start = text.index("<!-- tampering-table")
    rows: dict[str, tuple[bool, bool, bool]] = {}
    for line in text[start:].splitlines()[1:]:
        if not line.startswith("|"):
            if rows:
                break
            continue
        cells = [c.strip() for c in line.strip("|").split("|")]
        found = re.fullmatch(r"`(\w+)`.*", cells[0])
        if found is None:
            continue
        marks = [c.split()[0].lower() for c in cells[1:4]]
        assert all(m in ("yes", "no") for m in marks), line
        rows[found.group(1)] = (marks[0] == "yes", marks[1] == "yes", marks[2] == "yes")
    return rows


def test_the_table_lists_the_eleven_tamperings() -> None:
    assert list(documented()) == list(KINDS)
    table = documented()
    assert sum(row[0] for row in table.values()) == 7  # the figure docs/audit.md states
    assert sum(row[1] for row in table.values()) == 10
    assert sum(row[2] for row in table.values()) == 11


@pytest.mark.parametrize("kind", list(KINDS))
def test_each_tampering_is_caught_as_the_table_says(
    kind: str, log: AuditLog, signer: NoteSigner, tmp_path: Path, engines: list[Engine]
) -> None:
    world = World(log, signer, tmp_path, engines)
    view = KINDS[kind](world)
    offline = not verify_log(view).ok
    saved_note = world.early_checkpoint if kind == "fork_a_second_view" else world.saved
    with_saved = not verify_log(view, saved_checkpoint=saved_note).ok
    with_witness = offline or not world.cosign(view)
    assert (offline, with_saved, with_witness) == documented()[kind]


def test_entries_appended_at_the_end_are_caught_by_none(
    log: AuditLog, signer: NoteSigner, tmp_path: Path, engines: list[Engine]
) -> None:
    """An append is what the log allows: forged entries added at the end pass every check,
    and stay in the log for good."""
    world = World(log, signer, tmp_path, engines)
    log.append_many([search(n, purpose="immigration") for n in range(3)])
    assert verify_log(log).ok
    assert verify_log(log, saved_checkpoint=world.saved).ok
    assert world.cosign(log)
