"""Ingest: wire formats in, validated reads out (enrichment and batched writes beside).

Each wire format has one versioned adapter (`ADAPTERS`, chosen by `adapter_for`); in a
batch every item is accepted or refused on its own.
"""

from plateledger.ingest.adapters import ADAPTERS, adapter_for
from plateledger.ingest.batch import MAX_BATCH_ITEMS, MAX_BODY_BYTES, Adapter, AdapterResult
from plateledger.ingest.errors import (
    BatchTooLarge,
    IngestError,
    ItemError,
    MalformedBody,
    UnknownFormat,
)

__all__ = [
    "ADAPTERS",
    "MAX_BATCH_ITEMS",
    "MAX_BODY_BYTES",
    "Adapter",
    "AdapterResult",
    "BatchTooLarge",
    "IngestError",
    "ItemError",
    "MalformedBody",
    "UnknownFormat",
    "adapter_for",
]
