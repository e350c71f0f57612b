"""Errors raised by the audit log.

::

    AuditError
    ├── ProofError            a Merkle proof does not verify, or asks for impossible sizes
    ├── LogRangeError         an index or tree size outside the log (also a ValueError)
    ├── EntryError            an entry that cannot be logged (also a ValueError)
    ├── NoteError             a signed note or checkpoint that is malformed or not verified
    ├── AppendConflictError   another writer changed the log in the middle of an append
    └── TamperedLogError      stored entries do not match the stored tree
"""

from __future__ import annotations


class AuditError(Exception):
    """Base class of every error raised by ``plateledger.audit``."""


class ProofError(AuditError):
    """A Merkle inclusion or consistency proof does not verify."""


class LogRangeError(AuditError, ValueError):
    """An index or tree size outside what the log holds."""


class EntryError(AuditError, ValueError):
    """An entry that cannot be logged: not a JSON object, no type, reserved keys misused."""


class NoteError(AuditError):
    """A signed note or checkpoint that is malformed, or not signed by the expected key."""


class AppendConflictError(AuditError):
    """The stored tree head moved while an append held the writer lock (should not happen)."""


class TamperedLogError(AuditError):
    """Stored entry contents do not match the stored tree: the log was edited outside it."""
