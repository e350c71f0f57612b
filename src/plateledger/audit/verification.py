"""Checking a whole log: recompute the tree from what is stored and compare.

``verify_log`` on a local ``AuditLog`` re-hashes every stored entry, checks each is
canonical JSON recording its own position, rebuilds every stored subtree hash and the
head, and checks checkpoints: the log's own, and one saved earlier by the caller
(signature, then consistency). On a ``RemoteLog`` it can only use what the public
sees: it rebuilds the tree from the served leaf hashes and checks them against the
signed checkpoint and the saved one. The report names the first bad entry.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

import rfc8785
from sqlalchemy import Connection, select

from plateledger.audit.checkpoint import Checkpoint, verify_checkpoint
from plateledger.audit.compact import CompactRange, node_id
from plateledger.audit.errors import AuditError, NoteError, ProofError
from plateledger.audit.hashing import leaf_hash
from plateledger.audit.log import AuditLog
from plateledger.audit.remote import RemoteLog
from plateledger.audit.schema import audit_entries, audit_nodes
from plateledger.audit.verify import verify_consistency

PAGE = 1000


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem: the entries concerned (``index`` to ``last_index``; none: the log)."""

    index: int | None
    problem: str
    last_index: int | None = None

    def __str__(self) -> str:
        if self.index is None:
            return self.problem
        if self.last_index is None or self.last_index == self.index:
            return f"entry {self.index}: {self.problem}"
        return f"entries {self.index}–{self.last_index}: {self.problem}"


@dataclass
class LogReport:
    """What ``verify_log`` found: the recomputed head and every problem, first first."""

    size: int = 0
    root_hash: bytes = b""
    checkpoint: Checkpoint | None = None
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def first_bad(self) -> Finding | None:
        """The finding about the lowest entry index (log-wide findings come after)."""
        entry_findings = [f for f in self.findings if f.index is not None]
        if entry_findings:
            return min(entry_findings, key=lambda f: f.index or 0)
        return self.findings[0] if self.findings else None


def verify_log(
    log: AuditLog | RemoteLog,
    *,
    verifier_key: str | None = None,
    saved_checkpoint: str | None = None,
) -> LogReport:
    """Verify ``log`` end to end; see the module docstring for what is checked.

    ``verifier_key`` defaults to the local log's own key; it is required for a remote
    log and for checking ``saved_checkpoint`` (a signed note kept from earlier).
    """
    if isinstance(log, RemoteLog):
        if verifier_key is None:
            raise AuditError("verifying a remote log needs its verifier key")
        return _verify_remote(log, verifier_key, saved_checkpoint)
    return _verify_local(log, verifier_key, saved_checkpoint)


def _saved(report: LogReport, note: str | None, key: str | None) -> Checkpoint | None:
    if note is None:
        return None
    if key is None:
        report.findings.append(Finding(None, "no verifier key to check the saved checkpoint"))
        return None
    try:
        return verify_checkpoint(note, key)
    except NoteError as exc:
        report.findings.append(Finding(None, f"saved checkpoint rejected: {exc}"))
        return None


def _verify_local(log: AuditLog, key: str | None, saved_note: str | None) -> LogReport:
    report = LogReport()
    if key is None and log.signer is not None:
        key = log.signer.verifier_key()
    saved = _saved(report, saved_note, key)
    head_size, head_root = log.head()
    tree = CompactRange()
    root_at_saved: bytes | None = None
    broken = False
    with log.engine.connect() as conn:
        last = -1
        while not broken:
            rows = conn.execute(
                select(audit_entries)
                .where(audit_entries.c.log_index > last)
                .order_by(audit_entries.c.log_index)
                .limit(PAGE)
            ).all()
            if not rows:
                break
            completed: list[tuple[int, int, int, bytes]] = []  # first leaf, level, index, hash
            for row in rows:
                index = int(row.log_index)
                last = index
                problem = _entry_problem(tree.size, index, bytes(row.entry), bytes(row.leaf_hash))
                if problem is None and index >= head_size:
                    problem = f"lies beyond the tree head (size {head_size})"
                if problem is not None:
                    report.findings.append(Finding(tree.size, problem))
                    broken = True
                    break
                if saved is not None and tree.size == saved.size:
                    root_at_saved = tree.root()
                for level, node_index, digest in tree.append(bytes(row.leaf_hash)):
                    completed.append((node_index << level, level, node_index, digest))
            mismatch = _stored_nodes_mismatch(conn, completed)
            if mismatch is not None:
                report.findings.append(mismatch)
                broken = True
    if saved is not None and tree.size == saved.size:
        root_at_saved = tree.root()
    report.size, report.root_hash = tree.size, tree.root()
    if broken:
        return report
    if tree.size != head_size:
        report.findings.append(
            Finding(tree.size, f"missing: the tree head says {head_size} entries", head_size - 1)
        )
    elif tree.root() != head_root:
        report.findings.append(Finding(None, "stored tree head root differs from the entries"))
    if log.signer is not None and key is not None:
        try:
            report.checkpoint = verify_checkpoint(log.checkpoint(), key)
        except NoteError as exc:
            report.findings.append(Finding(None, f"the log's checkpoint is rejected: {exc}"))
    if saved is not None:
        size = tree.size
        _check_saved(report, saved, root_at_saved, lambda: log.consistency_proof(saved.size, size))
    return report


def _entry_problem(expected: int, index: int, data: bytes, stored_leaf: bytes) -> str | None:
    """Return what is wrong with the row stored at ``index`` when ``expected`` was due."""
    if index != expected:
        return "missing"
    if leaf_hash(data) != stored_leaf:
        return "entry bytes do not match the stored leaf hash"
    try:
        entry = json.loads(data)
        canonical = rfc8785.dumps(entry)
    except Exception:  # json and rfc8785 raise several types for bad input
        return "entry bytes are not JSON"
    if canonical != data or not isinstance(entry, dict):
        return "entry bytes are not a canonical JSON object"
    if entry.get("log_index") != index:
        return f"entry records log index `{entry.get('log_index')}`, not its position"
    return None


def _stored_nodes_mismatch(
    conn: Connection, completed: list[tuple[int, int, int, bytes]]
) -> Finding | None:
    """Compare recomputed subtree hashes ``(first leaf, level, index, hash)`` with stored ones."""
    stored: dict[int, bytes] = {}
    keys = [node_id(level, index) for _, level, index, _ in completed]
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        query = select(audit_nodes.c.node_id, audit_nodes.c.hash).where(
            audit_nodes.c.node_id.in_(chunk)
        )
        stored.update((int(k), bytes(h)) for k, h in conn.execute(query))
    for (first, level, _, digest), key in zip(completed, keys, strict=True):
        last = first + (1 << level) - 1
        if key not in stored:
            return Finding(first, f"stored subtree hash (level {level}) is missing", last)
        if stored[key] != digest:
            return Finding(first, f"stored subtree hash (level {level}) does not match", last)
    return None


def _check_saved(
    report: LogReport,
    saved: Checkpoint,
    root_at_saved: bytes | None,
    consistency_proof: Callable[[], list[bytes]],
) -> None:
    """Check the recomputed tree against a checkpoint saved earlier, and by proof."""
    if saved.size > report.size:
        report.findings.append(
            Finding(
                None,
                f"the log holds {report.size} entries, fewer than the {saved.size} "
                "of the saved checkpoint: entries were removed",
            )
        )
        return
    if root_at_saved != saved.root_hash:
        report.findings.append(
            Finding(
                None,
                f"the first {saved.size} entries do not match the saved checkpoint: "
                "the log was rewritten",
            )
        )
        return
    try:
        verify_consistency(
            saved.size, report.size, consistency_proof(), saved.root_hash, report.root_hash
        )
    except (ProofError, AuditError) as exc:
        report.findings.append(Finding(None, f"consistency proof from the saved checkpoint: {exc}"))


def _verify_remote(log: RemoteLog, key: str, saved_note: str | None) -> LogReport:
    report = LogReport()
    saved = _saved(report, saved_note, key)
    try:
        checkpoint = verify_checkpoint(log.checkpoint(), key)
    except NoteError as exc:
        report.findings.append(Finding(None, f"the server's checkpoint is rejected: {exc}"))
        return report
    report.checkpoint = checkpoint
    tree = CompactRange()
    root_at_saved: bytes | None = None
    while tree.size < checkpoint.size:
        page = log.entries(tree.size, min(PAGE, checkpoint.size - tree.size))
        if not page:
            break
        for leaf in page:
            problem = None
            if leaf.index != tree.size:
                problem = "missing"
            elif leaf.summary.get("log_index", leaf.index) != leaf.index:
                problem = "summary records another log index"
            if problem is not None:
                report.findings.append(Finding(tree.size, problem))
                report.size, report.root_hash = tree.size, tree.root()
                return report
            if saved is not None and tree.size == saved.size:
                root_at_saved = tree.root()
            tree.append(leaf.leaf_hash)
    if saved is not None and tree.size == saved.size:
        root_at_saved = tree.root()
    report.size, report.root_hash = tree.size, tree.root()
    if tree.size < checkpoint.size:
        report.findings.append(
            Finding(tree.size, f"missing: the signed checkpoint has {checkpoint.size} entries")
        )
        return report
    if tree.root() != checkpoint.root_hash:
        report.findings.append(
            Finding(None, "the served leaf hashes do not produce the signed root hash")
        )
        return report
    if saved is not None:
        size = tree.size
        _check_saved(report, saved, root_at_saved, lambda: log.consistency_proof(saved.size, size))
    return report
