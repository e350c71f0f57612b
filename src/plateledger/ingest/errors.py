"""Errors of ingest: whole-body errors raised, per-item errors returned.

A body that cannot be read at all raises; an item of a readable batch that is not a valid
read comes back as an `ItemError`, so that the other items of the batch are kept::

    IngestError
    ├── UnknownFormat   no adapter for the path name or content type (also a LookupError)
    ├── MalformedBody   not JSON / CSV / multipart, or the wrong top-level type (also a ValueError)
    └── BatchTooLarge   more than `MAX_BATCH_ITEMS` items, or more than `MAX_BODY_BYTES` bytes

    ItemError           one bad item: its index in the batch, the bad field, what is wrong
"""

from __future__ import annotations

from dataclasses import dataclass


class IngestError(Exception):
    """Base class of the whole-body errors of ``plateledger.ingest``."""


class UnknownFormat(IngestError, LookupError):
    """No adapter is registered under the path name, or for the content type."""


class MalformedBody(IngestError, ValueError):
    """The body as a whole cannot be parsed: nothing of it is stored."""


class BatchTooLarge(IngestError):
    """The body holds more items, or more bytes, than one batch may."""


@dataclass(frozen=True)
class ItemError:
    """One item of a batch that is not a valid read; nothing of it is stored."""

    index: int
    """Position of the item in the batch (0-based)."""
    field: str
    """Dotted path of the bad field, e.g. ``results[0].plate`` or ``ts``; "" for the item."""
    message: str
    """What is wrong: lower-case, user input in backticks."""
