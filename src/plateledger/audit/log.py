"""``AuditLog``: the append-only Merkle log stored through SQLAlchemy (SQLite, PostgreSQL).

Appends are serialised twice: an in-process lock, and in the database by bumping the
head row as the first statement of every append transaction (SQLite then holds its
write lock, PostgreSQL a row lock) so that two processes cannot interleave. An index
is returned only after the transaction has committed.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import rfc8785
from sqlalchemy import (
    Connection,
    Engine,
    LargeBinary,
    bindparam,
    delete,
    func,
    insert,
    literal,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from plateledger.audit.checkpoint import Checkpoint
from plateledger.audit.compact import CompactRange, Node, fold, node_id, subtrees
from plateledger.audit.entry import (
    AuditRecord,
    EntryType,
    canonical_entry,
    new_entry,
    rfc3339,
    utc_now,
)
from plateledger.audit.errors import (
    AppendConflictError,
    AuditError,
    EntryError,
    LogRangeError,
    TamperedLogError,
)
from plateledger.audit.hashing import EMPTY_ROOT, leaf_hash
from plateledger.audit.note import KEY_FILE, VERIFIER_FILE, NoteSigner
from plateledger.audit.proof import consistency_ranges, inclusion_ranges, ranges_nodes
from plateledger.audit.schema import (
    HEAD_ID,
    audit_entries,
    audit_head,
    audit_held,
    audit_nodes,
    metadata,
)

_IN_CHUNK = 500  # keys per IN (...) list: well under every driver's parameter limit

# The statements of every append, built once: building them anew cost about as much as
# running them (SQLAlchemy's argument coercion and cache keys, ~0.7 ms an append).
_BUMP = (
    update(audit_head)
    .where(audit_head.c.id == HEAD_ID)
    .values(appends=audit_head.c.appends + 1)
)
_SIZE = select(audit_head.c.size)
_ADD_ENTRIES = insert(audit_entries)
_ADD_NODES = insert(audit_nodes)
_HOLD = insert(audit_held)
_DUE = select(audit_held.c.id).where(audit_held.c.release_at <= bindparam("at")).limit(1)
_MOVE_HEAD = (
    update(audit_head)
    .where(audit_head.c.id == HEAD_ID, audit_head.c.size == bindparam("from_size"))
    .values(
        size=bindparam("to_size"),
        root_hash=bindparam("to_root"),
        updated_at=bindparam("at"),
    )
)


def release_time(moment: datetime, period: timedelta) -> datetime:
    """The end of the ``period`` that holds ``moment``: periods are whole multiples of
    ``period`` counted from the Unix epoch, so a day's period ends at UTC midnight."""
    step = int(period.total_seconds() * 1000)
    if step <= 0:
        raise ValueError("a publication period must be positive")
    return _moment((_ms(moment) // step + 1) * step)


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _moment(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)



class AuditLog:
    """The audit log over ``engine``; ``signer`` signs checkpoints (``None``: read-only use)."""

    def __init__(self, engine: Engine, *, signer: NoteSigner | None) -> None:
        self._engine = engine
        self._signer = signer
        self._lock = threading.Lock()

    @property
    def engine(self) -> Engine:
        return self._engine

    @property
    def signer(self) -> NoteSigner | None:
        return self._signer

    def create_tables(self) -> None:
        """Create the audit tables and the head row if they do not exist."""
        metadata.create_all(self._engine)
        with self._engine.begin() as conn:
            self._ensure_head(conn)

    @staticmethod
    def _ensure_head(conn: Connection) -> None:
        """Insert the head row of the empty log unless it exists (race-free)."""
        values = {
            "id": HEAD_ID,
            "size": 0,
            "root_hash": EMPTY_ROOT,
            "appends": 0,
            "updated_at": utc_now(),
        }
        dialect = conn.dialect.name
        if dialect == "postgresql":
            conn.execute(pg_insert(audit_head).values(values).on_conflict_do_nothing())
        elif dialect == "sqlite":
            conn.execute(sqlite_insert(audit_head).values(values).on_conflict_do_nothing())
        elif conn.execute(select(audit_head.c.id)).first() is None:
            conn.execute(insert(audit_head).values(values))

    def check_contents(self) -> None:
        """Raise ``TamperedLogError`` unless every stored entry's content hashes to its leaf
        and the leaves, in order, rebuild the stored tree head.

        Run before serving or appending: an entry edited in the database while its stored
        leaf hash was left alone would otherwise be served, and appended on top of.
        """
        size, root = self.head()
        tree = CompactRange()
        with self._engine.connect() as conn:
            last = -1
            while True:
                rows = conn.execute(
                    select(audit_entries.c.log_index, audit_entries.c.entry)
                    .where(audit_entries.c.log_index > last)
                    .order_by(audit_entries.c.log_index)
                    .limit(_IN_CHUNK)
                ).all()
                if not rows:
                    break
                for row in rows:
                    last = int(row.log_index)
                    if last != tree.size:
                        raise TamperedLogError(f"audit log entry {tree.size} is missing")
                    tree.append(leaf_hash(bytes(row.entry)))
        if tree.size != size:
            raise TamperedLogError(
                f"audit log holds {tree.size} entries but its tree head says {size}"
            )
        if tree.root() != root:
            raise TamperedLogError(
                "audit log entry contents do not rebuild its tree head: "
                "an entry was edited outside the log"
            )

    # -- appending ---------------------------------------------------------------

    def append(self, entry: Mapping[str, Any], *, connection: Connection | None = None) -> int:
        """Append one entry; return its index once the append is committed (durable), or,
        with ``connection``, once it is written in that connection's transaction."""
        return self.append_many([entry], connection=connection)[0]

    def append_many(
        self, entries: Iterable[Mapping[str, Any]], *, connection: Connection | None = None
    ) -> list[int]:
        """Append entries in one transaction; return their indexes once committed.

        All or nothing: an invalid entry (``EntryError``) appends none of them. With
        ``connection`` (to this log's database, in a transaction), the entries are written
        in the caller's transaction and commit or roll back with what else it writes — a
        change and the entry that records it, together.
        """
        batch = list(entries)
        if not batch:
            return []
        # In the caller's transaction the head row's lock alone serialises the append: the
        # caller may hold the database's write lock already, and waiting for the in-process
        # lock then could wait on an append that waits on the caller.
        if connection is not None:
            return self._append(connection, batch)
        with self._lock, self._engine.begin() as conn:
            return self._append(conn, batch)

    def _append(self, conn: Connection, batch: list[Mapping[str, Any]]) -> list[int]:
        """Write ``batch`` after the head row's lock is taken on ``conn``."""
        return self._write(conn, self._take_writer_lock(conn), batch)

    def _write(self, conn: Connection, size: int, batch: list[Mapping[str, Any]]) -> list[int]:
        """Write ``batch`` at ``size``, the head row's lock held on ``conn``."""
        tree = CompactRange(size, self._hashes(conn, subtrees(0, size)))
        now = utc_now()
        entry_rows: list[dict[str, Any]] = []
        node_rows: list[dict[str, Any]] = []
        for offset, entry in enumerate(batch):
            stored, data = canonical_entry(entry, size + offset, now)
            leaf = leaf_hash(data)
            entry_rows.append(
                {
                    "log_index": size + offset,
                    "entry": data,
                    "leaf_hash": leaf,
                    "logged_at": stored["time"],
                }
            )
            for level, index, digest in tree.append(leaf):
                node_rows.append({"node_id": node_id(level, index), "hash": digest})
        conn.execute(_ADD_ENTRIES, entry_rows)
        if node_rows:
            conn.execute(_ADD_NODES, node_rows)
        moved = conn.execute(
            _MOVE_HEAD, {"from_size": size, "to_size": tree.size, "to_root": tree.root(), "at": now}
        )
        if moved.rowcount != 1:
            raise AppendConflictError(f"tree head moved away from size `{size}` mid-append")
        return list(range(size, size + len(batch)))

    # -- entries held for a fixed publication time ----------------------------------

    def append_and_hold(
        self, entries: Iterable[Mapping[str, Any]], held: Iterable[Mapping[str, Any]],
        period: timedelta,
    ) -> tuple[list[int], datetime]:  # fmt: skip
        """Append ``entries`` and keep ``held`` for `release_held` at the end of the current
        ``period`` (`release_time`), in one transaction (all or nothing); return the
        appended entries' indexes and when the held ones are due.

        A held entry is durable at once and checked as an appended one would be; it is
        appended after its period's end, with the period's last millisecond as its time,
        together with the period's others, in an order set by content. The period is read
        under the log's writer lock, which a release takes too: a release that came first
        has released only periods that had ended, and this one had not."""
        batch, kept = list(entries), [self._held_bytes(e) for e in held]
        with self._lock, self._engine.begin() as conn:
            size = self._take_writer_lock(conn)
            until = release_time(datetime.now(UTC), period)
            indexes = self._write(conn, size, batch) if batch else []
            if kept:
                conn.execute(_HOLD, [{"release_at": _ms(until), "entry": e} for e in kept])
        return indexes, until

    @staticmethod
    def _held_bytes(entry: Mapping[str, Any]) -> bytes:
        if "time" in entry:
            raise EntryError("a held entry must not set `time`: its release sets it")
        canonical_entry(entry, 0, utc_now())  # refused now, not at its release
        return rfc8785.dumps(dict(entry))

    def held(self) -> list[tuple[datetime, dict[str, Any]]]:
        """The entries held and not yet released, with the time each is due."""
        with self._engine.connect() as conn:
            rows = conn.execute(select(audit_held.c.release_at, audit_held.c.entry)
                                .order_by(audit_held.c.id)).all()  # fmt: skip
        return [(_moment(r.release_at), json.loads(bytes(r.entry))) for r in rows]

    def next_release(self) -> datetime | None:
        """When the earliest held entry is due, if any is held."""
        with self._engine.connect() as conn:
            due = conn.execute(select(func.min(audit_held.c.release_at))).scalar()
        return None if due is None else _moment(int(due))

    def release_held(self, now: datetime | None = None) -> list[int]:
        """Append every held entry due at ``now`` and forget it, in one transaction: each
        is appended once, whichever process releases it. Entries due at one time are
        appended together, ordered by content. Returns the new entries' indexes."""
        moment = _ms(now or datetime.now(UTC))
        with self._engine.connect() as conn:
            if conn.execute(_DUE, {"at": moment}).first() is None:
                return []
        with self._lock, self._engine.begin() as conn:
            size = self._take_writer_lock(conn)
            rows = sorted(conn.execute(select(audit_held.c.id, audit_held.c.release_at,
                                              audit_held.c.entry)
                                       .where(audit_held.c.release_at <= moment)),
                          key=lambda r: (r.release_at, bytes(r.entry)))  # fmt: skip
            if not rows:
                return []
            # timed in the period (its last millisecond), so counted on the period's day
            batch: list[Mapping[str, Any]] = [
                {**json.loads(bytes(r.entry)), "time": rfc3339(_moment(r.release_at - 1))}
                for r in rows]
            indexes = self._write(conn, size, batch)
            # the rows just read: a hold takes the writer lock, so none was added since
            conn.execute(delete(audit_held).where(audit_held.c.release_at <= moment))
        return indexes

    def _take_writer_lock(self, conn: Connection) -> int:
        """Bump the head row first thing in the transaction; return the tree size.

        Writing before reading makes SQLite take its write lock and PostgreSQL lock the
        row before the size is read, so the size cannot change until commit.
        """
        for _ in range(2):
            bumped = conn.execute(_BUMP)
            if bumped.rowcount == 1:
                return int(conn.execute(_SIZE).scalar_one())
            self._ensure_head(conn)
        raise AuditError("the audit log head row cannot be created")

    # -- reading -----------------------------------------------------------------

    def size(self) -> int:
        """Return the number of entries in the log (its tree size)."""
        with self._engine.connect() as conn:
            size = conn.execute(select(audit_head.c.size)).scalar()
        return int(size or 0)

    def head(self) -> tuple[int, bytes]:
        """Return the stored tree size and root hash, read together."""
        with self._engine.connect() as conn:
            row = conn.execute(select(audit_head.c.size, audit_head.c.root_hash)).first()
        return (0, EMPTY_ROOT) if row is None else (int(row.size), bytes(row.root_hash))

    def _check_size(self, size: int, current: int) -> None:
        if not 0 <= size <= current:
            raise LogRangeError(f"tree size `{size}` is not between 0 and `{current}`")

    def root_hash(self, size: int | None = None) -> bytes:
        """Return the root hash of the tree of ``size`` entries (default: all of them)."""
        current, root = self.head()
        if size is None or size == current:
            return root
        self._check_size(size, current)
        with self._engine.connect() as conn:
            return fold(self._hashes(conn, subtrees(0, size)))

    def entry(self, index: int) -> AuditRecord:
        """Return the entry at ``index``; requires ``0 <= index < size()``."""
        records = self.entries(index, 1)
        if not records or index < 0:
            raise LogRangeError(f"no entry at index `{index}`")
        return records[0]

    def entries(self, start: int, limit: int) -> list[AuditRecord]:
        """Return up to ``limit`` entries from index ``start`` on, in order."""
        if start < 0 or limit < 0:
            raise LogRangeError(f"bad page: start `{start}`, limit `{limit}`")
        size = self.size()
        end = min(start + limit, size)
        query = (
            select(audit_entries)
            .where(audit_entries.c.log_index >= start, audit_entries.c.log_index < end)
            .order_by(audit_entries.c.log_index)
        )
        with self._engine.connect() as conn:
            rows = conn.execute(query).all()
        for row in rows:
            if leaf_hash(bytes(row.entry)) != bytes(row.leaf_hash):
                raise TamperedLogError(
                    f"audit log entry {row.log_index}: content does not match its leaf hash"
                )
        return [
            AuditRecord(
                index=int(row.log_index),
                entry=json.loads(row.entry),
                entry_bytes=bytes(row.entry),
                leaf_hash=bytes(row.leaf_hash),
                time=row.logged_at,
            )
            for row in rows
        ]

    def containing(self, *fragments: bytes) -> list[AuditRecord]:
        """The entries whose stored bytes contain every one of ``fragments``, in order —
        found by the database (SQLite ``instr``, PostgreSQL ``LIKE`` on the stored bytes),
        not by reading the whole log here. On PostgreSQL a fragment is matched loosely
        (``%``, ``_`` and a backslash in it match any character): the caller checks the
        fields it wants exactly. Raises ``TamperedLogError`` for a found entry whose
        content does not hash to its leaf."""
        if not fragments:
            raise LogRangeError("name at least one fragment of the entries to find")
        column = audit_entries.c.entry
        if self._engine.dialect.name == "sqlite":
            found = [func.instr(column, literal(f, LargeBinary)) > 0 for f in fragments]
        else:
            found = [
                column.op("LIKE", is_comparison=True)(
                    literal(b"%" + f.replace(b"\\", b"_") + b"%", LargeBinary)
                )
                for f in fragments
            ]
        query = select(audit_entries).where(*found).order_by(audit_entries.c.log_index)
        with self._engine.connect() as conn:
            rows = conn.execute(query).all()
        return [self._record(row) for row in rows]

    @staticmethod
    def _record(row: Any) -> AuditRecord:
        if leaf_hash(bytes(row.entry)) != bytes(row.leaf_hash):
            raise TamperedLogError(
                f"audit log entry {row.log_index}: content does not match its leaf hash"
            )
        return AuditRecord(
            index=int(row.log_index),
            entry=json.loads(row.entry),
            entry_bytes=bytes(row.entry),
            leaf_hash=bytes(row.leaf_hash),
            time=row.logged_at,
        )

    # -- proofs ------------------------------------------------------------------

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        """Return the RFC 6962 audit path of entry ``index`` in the tree of ``size``."""
        self._check_size(size, self.size())
        return self._proof(ranges_nodes(inclusion_ranges(index, size)))

    def consistency_proof(self, old: int, new: int) -> list[bytes]:
        """Return the RFC 6962 consistency proof from tree size ``old`` to ``new``."""
        self._check_size(new, self.size())
        return self._proof(ranges_nodes(consistency_ranges(old, new)))

    def _proof(self, per_element: list[list[Node]]) -> list[bytes]:
        wanted = [node for nodes in per_element for node in nodes]
        with self._engine.connect() as conn:
            found = dict(zip(wanted, self._hashes(conn, wanted), strict=True))
        return [fold([found[node] for node in nodes]) for nodes in per_element]

    def _hashes(self, conn: Connection, nodes: Sequence[Node]) -> list[bytes]:
        """Return the stored hashes of ``nodes`` (leaves from entries), in order."""
        if not nodes:
            return []
        found: dict[int, bytes] = {}
        keys = [node_id(level, index) for level, index in nodes]
        for start in range(0, len(keys), _IN_CHUNK):
            chunk = keys[start : start + _IN_CHUNK]
            leaves = [key // 2 for key in chunk if key % 2 == 0]
            inner = [key for key in chunk if key % 2 == 1]
            parts = []
            if leaves:
                parts.append(
                    select(
                        (audit_entries.c.log_index * 2).label("key"), audit_entries.c.leaf_hash
                    ).where(audit_entries.c.log_index.in_(leaves))
                )
            if inner:
                parts.append(
                    select(audit_nodes.c.node_id.label("key"), audit_nodes.c.hash).where(
                        audit_nodes.c.node_id.in_(inner)
                    )
                )
            query = parts[0] if len(parts) == 1 else union_all(*parts)
            found.update((int(key), bytes(digest)) for key, digest in conn.execute(query))
        missing = [node for node, key in zip(nodes, keys, strict=True) if key not in found]
        if missing:
            level, index = missing[0]
            raise AuditError(f"stored tree lacks node level `{level}` index `{index}`")
        return [found[key] for key in keys]

    # -- checkpoints and keys ----------------------------------------------------

    def _require_signer(self) -> NoteSigner:
        if self._signer is None:
            raise AuditError("this audit log was opened without a signing key")
        return self._signer

    def checkpoint(self) -> str:
        """Return the signed C2SP checkpoint note of the current tree head."""
        signer = self._require_signer()
        size, root = self.head()
        return signer.sign(Checkpoint(signer.name, size, root).text())

    def rotate_key(self, data_dir: Path) -> NoteSigner:
        """Replace the log key under ``<data_dir>/keys/``; log a ``log_key_rotation`` entry.

        The entry names both verifier keys and carries the old key's signature over the
        new verifier key, so a witness pinned to the old key can follow the rotation.
        The old key file is kept as ``audit-log.key.<key id>.retired``.
        """
        old = self._require_signer()
        new = NoteSigner.generate(old.name)
        endorsement = base64.b64encode(old.signature(new.verifier_key())).decode()
        self.append(
            new_entry(
                EntryType.LOG_KEY_ROTATION,
                old_key=old.verifier_key(),
                new_key=new.verifier_key(),
                old_key_signature=endorsement,
            )
        )
        keys = data_dir / "keys"
        if (keys / KEY_FILE).exists():
            (keys / KEY_FILE).rename(keys / f"{KEY_FILE}.{old.key_id.hex()}.retired")
            (keys / VERIFIER_FILE).unlink(missing_ok=True)
        new.save(data_dir)
        self._signer = new
        return new
