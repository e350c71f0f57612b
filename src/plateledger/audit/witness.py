"""A witness: keep every checkpoint a log publishes and check each extends the last.

The witness directory holds ``verifier_key.txt`` (pinned on first use),
``checkpoints/<size>.txt`` (every checkpoint accepted) and ``latest.txt``. A new
checkpoint is accepted only if its signature verifies and a consistency proof shows
it extends the latest saved one; anything else is kept as ``conflict-<size>.txt``,
the evidence that the log was rewritten.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from plateledger.audit.checkpoint import Checkpoint, verify_checkpoint
from plateledger.audit.errors import AuditError, NoteError, ProofError
from plateledger.audit.log import AuditLog
from plateledger.audit.remote import RemoteLog
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


def _pinned_key(
    directory: Path, source: AuditLog | RemoteLog, given: str | None
) -> tuple[str, bool]:
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
        else:
            # trust on first use: a witness started later compares against this pin
            given = source.verifier_key()
    path.write_text(given.strip() + "\n", encoding="utf-8")
    return given.strip(), True


def witness(
    source: str | AuditLog | RemoteLog, directory: Path, *, verifier_key: str | None = None
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
    try:
        proof = (
            source.consistency_proof(previous.size, current.size)
            if current.size >= previous.size
            else []
        )
        verify_consistency(
            previous.size, current.size, proof, previous.root_hash, current.root_hash
        )
    except (ProofError, AuditError) as exc:
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
