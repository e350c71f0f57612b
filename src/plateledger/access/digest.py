"""A digest of what a search returned, for the audit entry."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable


def result_digest(read_ids: Iterable[uuid.UUID]) -> str:
    """SHA-256 over the returned read ids in order (hex); the same page gives the same digest."""
    h = hashlib.sha256()
    for read_id in read_ids:
        h.update(read_id.bytes)
    return h.hexdigest()
