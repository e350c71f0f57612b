"""The tamper-evident audit log: an RFC 6962 Merkle log with C2SP signed checkpoints.

Every search, export, alert delivery and administrative change is appended here
before the platform answers; anyone holding a checkpoint can later prove the log
was only ever appended to.
"""

from __future__ import annotations

from plateledger.audit.checkpoint import Checkpoint, verify_checkpoint
from plateledger.audit.entry import AuditRecord, EntryType, new_entry, search_entry
from plateledger.audit.errors import (
    AppendConflictError,
    AuditError,
    EntryError,
    LogRangeError,
    NoteError,
    ProofError,
    TamperedLogError,
)
from plateledger.audit.log import AuditLog
from plateledger.audit.note import NoteSigner, NoteVerifier, open_note
from plateledger.audit.redaction import redact
from plateledger.audit.remote import RemoteLog
from plateledger.audit.verification import Finding, LogReport, verify_log
from plateledger.audit.verify import verify_consistency, verify_inclusion
from plateledger.audit.witness import WitnessResult, WitnessStatus, witness

__all__ = [
    "AppendConflictError",
    "AuditError",
    "AuditLog",
    "AuditRecord",
    "Checkpoint",
    "EntryError",
    "EntryType",
    "Finding",
    "LogRangeError",
    "LogReport",
    "NoteError",
    "NoteSigner",
    "NoteVerifier",
    "ProofError",
    "RemoteLog",
    "TamperedLogError",
    "WitnessResult",
    "WitnessStatus",
    "new_entry",
    "open_note",
    "redact",
    "search_entry",
    "verify_checkpoint",
    "verify_consistency",
    "verify_inclusion",
    "verify_log",
    "witness",
]
