"""A witness: keep every checkpoint a log publishes and check each extends the last.

The witness directory holds ``verifier_key.txt`` (pinned on first use),
``checkpoints/<size>.txt`` (every checkpoint accepted) and ``latest.txt``. A new
checkpoint is accepted only if its signature verifies and a consistency proof shows
it extends the latest saved one; anything else is kept as ``conflict-<size>.txt``,
the evidence that the log was rewritten.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Protocol

import httpx
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy import Connection, Engine, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from plateledger.audit.checkpoint import Checkpoint, tree_size, verify_checkpoint
from plateledger.audit.entry import new_entry
from plateledger.audit.errors import AuditError, NoteError, ProofError
from plateledger.audit.hashing import EMPTY_ROOT
from plateledger.audit.log import AuditLog
from plateledger.audit.note import (
    SIGNATURE_PREFIX,
    NoteVerifier,
    b64decode_strict,
    check_key_name,
)
from plateledger.audit.remote import RemoteLog
from plateledger.audit.schema import witness_conflicts, witness_logs
from plateledger.audit.tiles import TileLog
from plateledger.audit.verify import verify_consistency

KEY_FILE = "verifier_key.txt"
LATEST_FILE = "latest.txt"


class WitnessStatus(StrEnum):
    FIRST = "first"  # nothing saved before: this checkpoint is now the baseline
    UNCHANGED = "unchanged"
    EXTENDED = "extended"
    REWRITTEN = "rewritten"  # inconsistent with the saved checkpoint: evidence kept
    BAD_SIGNATURE = "bad_signature"


@dataclass(frozen=True, slots=True)
class WitnessResult:
    """What one witness run saw: its verdict, the saved and the new checkpoint."""

    status: WitnessStatus
    current: Checkpoint | None
    previous: Checkpoint | None
    message: str
    key_pinned_now: bool = False

    @property
    def ok(self) -> bool:
        return self.status in (WitnessStatus.FIRST, WitnessStatus.UNCHANGED, WitnessStatus.EXTENDED)


Source = AuditLog | RemoteLog | TileLog


def _pinned_key(directory: Path, source: Source, given: str | None) -> tuple[str, bool]:
    path = directory / KEY_FILE
    if path.exists():
        pinned = path.read_text(encoding="utf-8").strip()
        if given is not None and given.strip() != pinned:
            raise AuditError(f"`{path}` pins another verifier key than the one given")
        return pinned, False
    if given is None:
        if isinstance(source, AuditLog):
            if source.signer is None:
                raise AuditError("the log has no key and no verifier key was given")
            given = source.signer.verifier_key()
        elif isinstance(source, TileLog):
            raise AuditError("a tlog-tiles log serves no key: give the log's verifier key")
        else:
            # trust on first use: a witness started later compares against this pin
            given = source.verifier_key()
    path.write_text(given.strip() + "\n", encoding="utf-8")
    return given.strip(), True


def witness(
    source: str | Source, directory: Path, *, verifier_key: str | None = None
) -> WitnessResult:
    """Fetch the current checkpoint of ``source`` (URL or log) and check it against ``directory``.

    ``verifier_key`` pins the key on first use; without it the log's own key (or for a
    URL, the server's ``/v1/audit/key``) is trusted once and pinned.
    """
    if isinstance(source, str):
        remote = RemoteLog.connect(source)
        try:
            return witness(remote, directory, verifier_key=verifier_key)
        finally:
            remote.close()
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "checkpoints").mkdir(exist_ok=True)
    key, pinned_now = _pinned_key(directory, source, verifier_key)
    note = source.checkpoint()
    try:
        current = verify_checkpoint(note, key)
    except NoteError as exc:
        _keep_conflict(directory, note, "bad-signature")
        return WitnessResult(WitnessStatus.BAD_SIGNATURE, None, None, str(exc), pinned_now)
    latest = directory / LATEST_FILE
    if not latest.exists():
        _save(directory, note, current)
        return WitnessResult(
            WitnessStatus.FIRST,
            current,
            None,
            f"saved first checkpoint at size {current.size}",
            pinned_now,
        )
    previous = verify_checkpoint(latest.read_text(encoding="utf-8"), key)
    if current.size == previous.size and current.root_hash == previous.root_hash:
        return WitnessResult(
            WitnessStatus.UNCHANGED,
            current,
            previous,
            f"unchanged at size {current.size}",
            pinned_now,
        )
    # a proof the log cannot serve (unreachable, an error) fails the run with AuditError but
    # is no evidence of a rewrite: only a proof that does not verify is kept as a conflict
    proof = (
        source.consistency_proof(previous.size, current.size)
        if current.size >= previous.size
        else []
    )
    try:
        verify_consistency(
            previous.size, current.size, proof, previous.root_hash, current.root_hash
        )
    except ProofError as exc:
        _keep_conflict(directory, note, str(current.size))
        return WitnessResult(
            WitnessStatus.REWRITTEN,
            current,
            previous,
            f"checkpoint at size {current.size} does not extend the saved one at size "
            f"{previous.size}: {exc}",
            pinned_now,
        )
    _save(directory, note, current)
    return WitnessResult(
        WitnessStatus.EXTENDED,
        current,
        previous,
        f"extended from size {previous.size} to {current.size}",
        pinned_now,
    )


def _save(directory: Path, note: str, checkpoint: Checkpoint) -> None:
    (directory / "checkpoints" / f"{checkpoint.size}.txt").write_text(note, encoding="utf-8")
    temporary = directory / (LATEST_FILE + ".tmp")
    temporary.write_text(note, encoding="utf-8")
    temporary.replace(directory / LATEST_FILE)  # atomic: a crash never leaves half a file


def _keep_conflict(directory: Path, note: str, label: str) -> None:
    (directory / f"conflict-{label}.txt").write_text(note, encoding="utf-8")


# -- cosigning (C2SP tlog-cosignature, tlog-witness) --------------------------------

COSIGNATURE_TYPE = b"\x04"  # Ed25519 cosignature/v1
COSIGNER_KEY_FILE = "cosigner.key"
LOG_KEYS_FILE = "logs.txt"


def cosigner_key_id(name: str, public_key: bytes) -> bytes:
    """Return ``SHA-256(name || 0x0A || 0x04 || public key)[:4]``: a cosigner's key ID."""
    return hashlib.sha256(name.encode() + b"\n" + COSIGNATURE_TYPE + public_key).digest()[:4]


def cosigned_message(checkpoint_text: str, timestamp: int) -> bytes:
    """Return what a cosignature/v1 signs: two header lines, then the checkpoint text."""
    return f"cosignature/v1\ntime {timestamp}\n{checkpoint_text}".encode()


@dataclass(frozen=True, slots=True)
class CosignerVerifier:
    """A cosigner's verifier key ``<name>+<key ID hex>+base64(0x04 || public key)``."""

    name: str
    key_id: bytes
    public_key: bytes

    @classmethod
    def parse(cls, vkey: str) -> CosignerVerifier:
        parts = vkey.strip().split("+", 2)
        if len(parts) != 3:
            raise NoteError(f"cosigner key `{vkey}` is not `name+id+key`")
        name, id_hex, key_b64 = parts
        check_key_name(name)
        material = b64decode_strict(key_b64)
        if len(material) != 33 or material[:1] != COSIGNATURE_TYPE:
            raise NoteError("cosigner key is not an Ed25519 cosignature (type 0x04) key")
        if cosigner_key_id(name, material[1:]).hex() != id_hex:
            raise NoteError(f"key ID `{id_hex}` does not match the cosigner key and name")
        return cls(name, bytes.fromhex(id_hex), material[1:])

    def verify_line(self, checkpoint_text: str, line: str) -> int | None:
        """Return the timestamp of ``line`` if it is this key's valid cosignature of
        ``checkpoint_text``; ``None`` if the line is another key's; raise ``NoteError``
        if it is this key's and does not verify."""
        fields = line.removeprefix(SIGNATURE_PREFIX).split(" ")
        if not line.startswith(SIGNATURE_PREFIX) or len(fields) != 2:
            raise NoteError(f"`{line}` is not a signature line")
        blob = b64decode_strict(fields[1])
        if fields[0] != self.name or blob[:4] != self.key_id:
            return None
        if len(blob) != 4 + 8 + 64:
            raise NoteError(f"cosignature of `{self.name}` has {len(blob)} bytes, not 76")
        timestamp = int.from_bytes(blob[4:12], "big")
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(
                blob[12:], cosigned_message(checkpoint_text, timestamp)
            )
        except InvalidSignature as exc:
            raise NoteError(f"cosignature by `{self.name}` does not verify") from exc
        return timestamp


class Cosigner:
    """A witness's Ed25519 cosigning key with its name."""

    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        check_key_name(name)
        self.name = name
        self._key = private_key
        self.public_key = private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.key_id = cosigner_key_id(name, self.public_key)

    def verifier_key(self) -> str:
        encoded = base64.b64encode(COSIGNATURE_TYPE + self.public_key).decode()
        return f"{self.name}+{self.key_id.hex()}+{encoded}"

    def cosign(self, checkpoint_text: str, timestamp: int | None = None) -> str:
        """Return the cosignature line (ending in a newline) of ``checkpoint_text``."""
        when = int(time.time()) if timestamp is None else timestamp
        signature = self._key.sign(cosigned_message(checkpoint_text, when))
        blob = base64.b64encode(self.key_id + when.to_bytes(8, "big") + signature).decode()
        return f"{SIGNATURE_PREFIX}{self.name} {blob}\n"

    @classmethod
    def load_or_create(cls, directory: Path, name: str | None) -> Cosigner:
        """Load ``<directory>/cosigner.key`` or create it (mode 0600) named ``name``."""
        path = directory / COSIGNER_KEY_FILE
        if path.exists():
            key_name, _, seed_b64 = path.read_text(encoding="utf-8").strip().partition(" ")
            if name is not None and name != key_name:
                raise AuditError(f"`{path}` holds the key of `{key_name}`, not `{name}`")
            return cls(key_name, Ed25519PrivateKey.from_private_bytes(b64decode_strict(seed_b64)))
        if name is None:
            raise AuditError(f"no cosigning key in `{directory}`: give a witness name")
        cosigner = cls(name, Ed25519PrivateKey.generate())
        directory.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        encoded = base64.b64encode(cosigner._key.private_bytes_raw()).decode()
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(f"{name} {encoded}\n")
        (directory / "cosigner.pub").write_text(cosigner.verifier_key() + "\n", encoding="utf-8")
        return cosigner


def split_note(note: str) -> tuple[str, list[str]]:
    """Return the text of a signed note and its signature lines (without newlines)."""
    split = note.rfind("\n\n")
    if split < 0 or not note.endswith("\n"):
        raise NoteError("note has no blank line before its signatures")
    return note[: split + 1], note[split + 2 : -1].split("\n")


# -- the log's side: cosignatures shown on its checkpoint ----------------------------


class CosignatureStore:
    """Cosignatures of this log's checkpoints by the witnesses it trusts.

    ``<directory>/witnesses.txt`` lists the trusted cosigner keys, one a line; accepted
    cosignatures are kept in ``<directory>/<size>-<root hex>.txt``.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._lock = threading.Lock()

    def trusted(self) -> list[CosignerVerifier]:
        path = self.directory / "witnesses.txt"
        if not path.exists():
            return []
        lines = path.read_text(encoding="utf-8").splitlines()
        return [CosignerVerifier.parse(line) for line in lines if line.strip()]

    def trust(self, vkey: str) -> None:
        CosignerVerifier.parse(vkey)
        self.directory.mkdir(parents=True, exist_ok=True)
        with (self.directory / "witnesses.txt").open("a", encoding="utf-8") as handle:
            handle.write(vkey.strip() + "\n")

    def _file(self, checkpoint: Checkpoint) -> Path:
        return self.directory / f"{checkpoint.size}-{checkpoint.root_hash.hex()}.txt"

    def lines(self, checkpoint: Checkpoint) -> list[str]:
        """Return the kept cosignature lines of ``checkpoint`` (each ending in a newline)."""
        path = self._file(checkpoint)
        if not path.exists():
            return []
        return [line + "\n" for line in path.read_text(encoding="utf-8").splitlines() if line]

    def add(
        self,
        note: str,
        log_key: str,
        *,
        root_at: Callable[[int], bytes],
        also_trusted: Sequence[CosignerVerifier] = (),
    ) -> list[str]:
        """Keep the cosignatures on ``note`` (this log's checkpoint, signed by ``log_key``)
        that verify under a trusted witness key (``witnesses.txt``, and ``also_trusted``:
        the witnesses of registered partner nodes); return the lines kept.

        Raises ``NoteError`` if the note is not this log's signed checkpoint of its own
        tree (``root_at(size)`` gives the log's root), ``UnknownCosignerError`` if no line
        is by a trusted witness.
        """
        checkpoint = verify_checkpoint(note, log_key)
        if root_at(checkpoint.size) != checkpoint.root_hash:
            raise NoteError(f"the checkpoint of size {checkpoint.size} is not this log's")
        text, signatures = split_note(note)
        kept: dict[str, tuple[int, str]] = {}  # witness name: (time, line)
        for verifier in [*self.trusted(), *also_trusted]:
            for line in signatures:
                timestamp = verifier.verify_line(text, line)
                if timestamp is not None:
                    kept[verifier.name] = (timestamp, line + "\n")
                    break
        if not kept:
            raise UnknownCosignerError("no cosignature by a witness this log trusts")
        with self._lock:
            # per witness the latest cosignature: an older one handed in again (by anyone:
            # the route is open) does not replace it
            held = {_cosigner_name(line): (_cosigned_at(line), line)
                    for line in self.lines(checkpoint)}  # fmt: skip
            for name, (timestamp, line) in kept.items():
                if name not in held or held[name][0] <= timestamp:
                    held[name] = (timestamp, line)
            self.directory.mkdir(parents=True, exist_ok=True)
            temporary = self._file(checkpoint).with_suffix(".tmp")
            temporary.write_text("".join(line for _, line in held.values()), encoding="utf-8")
            temporary.replace(self._file(checkpoint))
        return [held[name][1] for name in kept]

    def cosigned(self, note: str) -> str:
        """Return ``note`` (this log's signed checkpoint) with its kept cosignatures."""
        checkpoint = Checkpoint.parse(split_note(note)[0])
        return note + "".join(self.lines(checkpoint))


def _cosigner_name(line: str) -> str:
    return line.split(" ")[1]


def _cosigned_at(line: str) -> int:
    """The time in a kept cosignature line (checked when it was kept)."""
    return int.from_bytes(base64.b64decode(line.split(" ")[2].strip())[4:12], "big")


class UnknownCosignerError(AuditError):
    """No cosignature on a note is by a witness the log trusts."""


# -- the witness's side: POST /add-checkpoint ----------------------------------------


class WitnessRefusal(AuditError):
    """An ``add-checkpoint`` request the witness refuses, with its HTTP status."""

    def __init__(self, status: int, message: str, *, size: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.size = size  # for 409: the size of the latest checkpoint cosigned


class WitnessState(Protocol):
    """Where a witness keeps, per log origin, the latest checkpoint it cosigned, and the
    checkpoints it refused as inconsistent with that one (the evidence of a rewrite)."""

    def hold(self) -> AbstractContextManager[None]:
        """Held while one request is checked and recorded (may do nothing, if `advance`
        itself refuses a change made meanwhile)."""
        ...

    def latest(self, origin: str) -> Checkpoint | None: ...

    def seen(self, origin: str, checkpoint: Checkpoint, *, lower: bool = False) -> None:
        """A checkpoint of ``origin`` signed by its key was shown (cosigned or not): the
        size last shown grows to its size, and falls to it only where ``lower`` (the log's
        own node sent it: an older checkpoint anyone relays says nothing of the log now)."""
        ...

    def advance(self, origin: str, held: Checkpoint | None, note: str, new: Checkpoint) -> bool:
        """Record ``new`` (signed ``note``) as the latest of ``origin`` if ``held`` still
        is; return whether it was recorded."""
        ...

    def keep_conflict(self, conflict: Conflict) -> None: ...


@dataclass(frozen=True, slots=True)
class Conflict:
    """A checkpoint signed by a witnessed log's key that does not extend the one held."""

    origin: str
    checkpoint: Checkpoint
    note: str  # as the log signed it
    request: str  # the whole add-checkpoint body (its consistency proof included)
    held: Checkpoint
    reason: str  # `fork`: same size, another root; `proof_rejected`: no valid proof


class FileWitnessState:
    """State in files: ``state/<sha256(origin) hex>.txt`` holds the latest checkpoint
    cosigned, ``state/conflict-<sha256(origin) hex>-<size>.txt`` each conflict; a file
    lock makes one request's check and record one step across processes of one host."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    @contextmanager
    def hold(self) -> Iterator[None]:
        path = self.directory / "state" / ".lock"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _name(self, origin: str) -> str:
        return hashlib.sha256(origin.encode()).hexdigest()

    def latest(self, origin: str) -> Checkpoint | None:
        path = self.directory / "state" / f"{self._name(origin)}.txt"
        return Checkpoint.parse(path.read_text(encoding="utf-8")) if path.exists() else None

    def seen(self, origin: str, checkpoint: Checkpoint, *, lower: bool = False) -> None:
        return None

    def advance(self, origin: str, held: Checkpoint | None, note: str, new: Checkpoint) -> bool:
        path = self.directory / "state" / f"{self._name(origin)}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".tmp")
        temporary.write_text(new.text(), encoding="utf-8")
        temporary.replace(path)  # persisted before answering
        return True

    def keep_conflict(self, conflict: Conflict) -> None:
        name = f"conflict-{self._name(conflict.origin)}-{conflict.checkpoint.size}.txt"
        path = self.directory / "state" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(conflict.note, encoding="utf-8")


def _now() -> str:
    return datetime.now(UTC).isoformat()


@dataclass(frozen=True, slots=True)
class WitnessedLog:
    """What the witness holds of one log: the latest checkpoint cosigned (size 0: none
    yet), when, the size of the last checkpoint shown to it, and its conflicts kept."""

    origin: str
    size: int
    cosigned_at: str | None
    seen_size: int | None
    seen_at: str | None
    conflicts: int


@dataclass(frozen=True, slots=True)
class KeptConflict:
    """One conflicting checkpoint kept as evidence, with the one held when it came."""

    origin: str
    size: int
    root_hash: bytes
    reason: str
    checkpoint: str
    held_size: int
    held_checkpoint: str | None
    request: str
    seen_at: str
    audit_index: int | None


class CatalogWitnessState:
    """State in the catalog database (tables ``witness_logs`` and ``witness_conflicts``),
    shared by every API process of a node. Recording is a compare-and-set on the row
    (``UPDATE … WHERE size = held AND root_hash = held``): of two requests from the same
    held checkpoint one wins, in any process, with no lock held across the check. A new
    conflict is kept with a ``witness_conflict`` entry in ``audit_log``, in one
    transaction; the same conflicting checkpoint shown again is kept once."""

    def __init__(self, engine: Engine, audit_log: AuditLog | None = None) -> None:
        self.engine = engine
        self.audit_log = audit_log

    @contextmanager
    def hold(self) -> Iterator[None]:
        yield

    def latest(self, origin: str) -> Checkpoint | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(witness_logs.c.size, witness_logs.c.checkpoint).where(
                    witness_logs.c.origin == origin
                )
            ).first()
        if row is None or row.size == 0 or row.checkpoint is None:
            return None
        return Checkpoint.parse(split_note(row.checkpoint)[0])

    def _ensure(self, conn: Connection, origin: str) -> None:
        try:
            with conn.begin_nested():
                conn.execute(
                    insert(witness_logs).values(origin=origin, size=0, root_hash=EMPTY_ROOT)
                )
        except IntegrityError:
            pass

    def seen(self, origin: str, checkpoint: Checkpoint, *, lower: bool = False) -> None:
        row = witness_logs.c
        with self.engine.begin() as conn:
            self._ensure(conn, origin)
            shown = update(witness_logs).where(row.origin == origin)
            if not lower:
                shown = shown.where(or_(row.seen_size.is_(None),
                                        row.seen_size <= checkpoint.size))  # fmt: skip
            conn.execute(shown.values(seen_size=checkpoint.size, seen_at=_now()))

    def advance(self, origin: str, held: Checkpoint | None, note: str, new: Checkpoint) -> bool:
        size, root = (0, EMPTY_ROOT) if held is None else (held.size, held.root_hash)
        with self.engine.begin() as conn:
            self._ensure(conn, origin)
            done = conn.execute(
                update(witness_logs)
                .where(
                    witness_logs.c.origin == origin,
                    witness_logs.c.size == size,
                    witness_logs.c.root_hash == root,
                )
                .values(size=new.size, root_hash=new.root_hash, checkpoint=note, cosigned_at=_now())
            )
            return done.rowcount == 1

    def _held_note(self, conn: Connection, origin: str) -> str | None:
        return conn.execute(
            select(witness_logs.c.checkpoint).where(witness_logs.c.origin == origin)
        ).scalar()

    def keep_conflict(self, conflict: Conflict) -> None:
        checkpoint = conflict.checkpoint
        with self.engine.begin() as conn:
            known = conn.execute(
                select(witness_conflicts.c.id).where(
                    witness_conflicts.c.origin == conflict.origin,
                    witness_conflicts.c.size == checkpoint.size,
                    witness_conflicts.c.root_hash == checkpoint.root_hash,
                )
            ).first()
            if known is not None:
                return
            held_note = self._held_note(conn, conflict.origin)
            index = None
            if self.audit_log is not None:
                entry = new_entry(
                    "witness_conflict",
                    origin=conflict.origin,
                    reason=conflict.reason,
                    size=checkpoint.size,
                    root_hash=base64.b64encode(checkpoint.root_hash).decode(),
                    held_size=conflict.held.size,
                    held_root_hash=base64.b64encode(conflict.held.root_hash).decode(),
                    checkpoint=conflict.note,
                    held_checkpoint=held_note,
                )
                index = self.audit_log.append(entry, connection=conn)
            conn.execute(
                insert(witness_conflicts).values(
                    origin=conflict.origin,
                    size=checkpoint.size,
                    root_hash=checkpoint.root_hash,
                    checkpoint=conflict.note,
                    request=conflict.request,
                    held_size=conflict.held.size,
                    held_checkpoint=held_note,
                    reason=conflict.reason,
                    seen_at=_now(),
                    audit_index=index,
                )
            )

    def import_files(self, directory: Path) -> int:
        """Take the latest checkpoints a file-kept witness recorded in ``directory``
        (``state/*.txt``) for the logs this database holds nothing of yet; return how
        many. (The files held the checkpoint's text, without its signature.)"""
        taken = 0
        for path in sorted((directory / "state").glob("*.txt")):
            if path.name.startswith("conflict-"):
                continue
            checkpoint = Checkpoint.parse(path.read_text(encoding="utf-8"))
            with self.engine.begin() as conn:
                try:
                    with conn.begin_nested():
                        conn.execute(insert(witness_logs).values(
                            origin=checkpoint.origin, size=checkpoint.size,
                            root_hash=checkpoint.root_hash, checkpoint=checkpoint.text() + "\n",
                            cosigned_at=_now()))  # fmt: skip
                    taken += 1
                except IntegrityError:
                    continue
        return taken

    def logs(self) -> list[WitnessedLog]:
        """Every log this witness was shown a signed checkpoint of, by origin."""
        counts = (
            select(witness_conflicts.c.origin, func.count().label("n"))
            .group_by(witness_conflicts.c.origin)
            .subquery()
        )
        query = (
            select(witness_logs, func.coalesce(counts.c.n, 0).label("conflicts"))
            .outerjoin(counts, counts.c.origin == witness_logs.c.origin)
            .order_by(witness_logs.c.origin)
        )
        with self.engine.connect() as conn:
            return [
                WitnessedLog(r.origin, r.size, r.cosigned_at, r.seen_size, r.seen_at, r.conflicts)
                for r in conn.execute(query)
            ]

    def conflicts(self, origin: str | None = None) -> list[KeptConflict]:
        query = select(witness_conflicts).order_by(witness_conflicts.c.id)
        if origin is not None:
            query = query.where(witness_conflicts.c.origin == origin)
        with self.engine.connect() as conn:
            return [
                KeptConflict(
                    r.origin,
                    r.size,
                    r.root_hash,
                    r.reason,
                    r.checkpoint,
                    r.held_size,
                    r.held_checkpoint,
                    r.request,
                    r.seen_at,
                    r.audit_index,
                )
                for r in conn.execute(query)
            ]


class WitnessService:
    """A tlog-witness witness over ``directory``: ``logs.txt`` (the verifier keys of
    the logs it witnesses, one a line), ``cosigner.key``, and its `WitnessState` (by
    default files: the latest checkpoint cosigned per log in
    ``state/<sha256(origin) hex>.txt``). ``log_keys_of`` adds the keys of an origin kept
    elsewhere (a node's registered partners), looked up on each request."""

    def __init__(
        self,
        directory: Path,
        cosigner: Cosigner,
        *,
        state: WitnessState | None = None,
        log_keys_of: Callable[[str], list[str]] | None = None,
    ) -> None:
        self.directory = directory
        self.cosigner = cosigner
        self.state: WitnessState = state if state is not None else FileWitnessState(directory)
        self.log_keys_of = log_keys_of
        self._lock = threading.Lock()

    def log_keys(self, origin: str) -> list[str]:
        keys: list[str] = []
        path = self.directory / LOG_KEYS_FILE
        if path.exists():
            lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
            keys = [key for key in lines if key and key.split("+", 1)[0] == origin]
        if self.log_keys_of is not None:
            keys += [key for key in self.log_keys_of(origin) if key not in keys]
        return keys

    def add_log(self, verifier_key: str) -> None:
        NoteVerifier.parse(verifier_key)
        self.directory.mkdir(parents=True, exist_ok=True)
        with (self.directory / LOG_KEYS_FILE).open("a", encoding="utf-8") as handle:
            handle.write(verifier_key.strip() + "\n")

    def latest(self, origin: str) -> Checkpoint | None:
        return self.state.latest(origin)

    def add_checkpoint(self, body: str, *, sent_by_log: str | None = None) -> str:
        """Answer one ``add-checkpoint`` request body; return the cosignature line(s).

        Raises ``WitnessRefusal`` with the status the protocol prescribes. A checkpoint
        signed by the log's key that does not extend the one held is kept as evidence
        (`WitnessState.keep_conflict`) before the refusal when the evidence is the log's
        own: the same size with another root (409: both signed by the log), or no valid
        consistency proof (422) in a request the log itself sent (``sent_by_log``: the
        origin of the log whose node signed the request, `plateledger.api.routes.tlog`).
        Anyone may relay a checkpoint, and a proof is not signed: a relayer's proof that
        does not verify is refused and kept as nothing, so it cannot make the witness
        hold an honest log's checkpoint as a conflict.
        """
        head, sep, note = body.partition("\n\n")
        if not sep:
            raise WitnessRefusal(400, "request has no empty line before the checkpoint")
        old_line, *proof_lines = head.split("\n")
        old = tree_size(old_line.removeprefix("old ")) if old_line.startswith("old ") else None
        if old is None:
            raise WitnessRefusal(400, f"`{old_line[:64]}` is not `old <size>`")
        if len(proof_lines) > 63:
            raise WitnessRefusal(400, "more than 63 consistency proof lines")
        try:
            proof = [b64decode_strict(line) for line in proof_lines]
            text = split_note(note)[0]
            origin = Checkpoint.parse(text).origin
        except NoteError as exc:
            raise WitnessRefusal(400, str(exc)) from exc
        keys = self.log_keys(origin)
        if not keys:
            raise WitnessRefusal(404, f"this witness does not witness `{origin}`")
        checkpoint = None
        for key in keys:
            try:
                checkpoint = verify_checkpoint(note, key)
                break
            except NoteError:
                continue
        if checkpoint is None:
            raise WitnessRefusal(403, f"no signature by a known key of `{origin}` verifies")
        if old > checkpoint.size:
            raise WitnessRefusal(400, f"old size {old} is above the checkpoint's size")
        self.state.seen(origin, checkpoint, lower=sent_by_log == origin)
        with self._lock, self.state.hold():
            latest = self.state.latest(origin)
            latest_size = 0 if latest is None else latest.size
            if old != latest_size:
                raise WitnessRefusal(409, f"the latest cosigned size is {latest_size}",
                                     size=latest_size)  # fmt: skip
            if latest is not None and old == checkpoint.size:
                if latest.root_hash != checkpoint.root_hash:
                    self.state.keep_conflict(
                        Conflict(origin, checkpoint, note, body, latest, "fork")
                    )
                    raise WitnessRefusal(409, "same size, another root hash", size=latest_size)
            else:
                if old == 0 and proof:
                    raise WitnessRefusal(422, "the proof must be empty from size 0")
                old_root = EMPTY_ROOT if latest is None else latest.root_hash
                try:
                    verify_consistency(old, checkpoint.size, proof, old_root,
                                       checkpoint.root_hash)  # fmt: skip
                except ProofError as exc:
                    if latest is not None and sent_by_log == origin:
                        self.state.keep_conflict(
                            Conflict(origin, checkpoint, note, body, latest, "proof_rejected")
                        )
                    raise WitnessRefusal(422, f"consistency proof rejected: {exc}") from exc
            if not self.state.advance(origin, latest, note, checkpoint):
                now = self.state.latest(origin)
                size = 0 if now is None else now.size
                raise WitnessRefusal(409, f"the latest cosigned size is {size}", size=size)
        return self.cosigner.cosign(checkpoint.text())


def add_checkpoint_body(old: int, proof: list[bytes], note: str) -> str:
    """Return a tlog-witness ``add-checkpoint`` request body."""
    lines = [f"old {old}", *(base64.b64encode(h).decode() for h in proof)]
    return "".join(f"{line}\n" for line in lines) + "\n" + note


def cosign_latest(directory: Path, cosigner: Cosigner) -> str:
    """Return the latest checkpoint saved in a witness ``directory`` with this witness's
    cosignature added (the log's own signature kept, other cosignatures dropped)."""
    note = (directory / LATEST_FILE).read_text(encoding="utf-8")
    text, signatures = split_note(note)
    origin = Checkpoint.parse(text).origin
    own = [line + "\n" for line in signatures if line.startswith(f"{SIGNATURE_PREFIX}{origin} ")]
    return f"{text}\n{''.join(own)}{cosigner.cosign(text)}"


def push_cosignature(prefix: str, note: str, *, timeout: float = 30.0) -> str:
    """Hand a cosigned checkpoint to the log at tlog ``prefix`` (``POST <prefix>/cosignatures``);
    return the lines it kept. Raises ``AuditError`` with the log's answer if it refuses."""
    try:
        response = httpx.post(
            prefix.rstrip("/") + "/cosignatures",
            content=note.encode(),
            headers={"Content-Type": "text/plain"},
            timeout=timeout,
        )
    except httpx.HTTPError as exc:
        raise AuditError(f"cannot reach the log: {exc}") from exc
    if response.status_code != 200:
        raise AuditError(
            f"the log refused the cosignature ({response.status_code}): "
            f"{response.text.strip()[:300]}"
        )
    return response.text
