"""Audit entries: their types, their canonical bytes, and a stored record.

An entry is a JSON object with at least ``type`` (what happened) and ``v`` (the
version of that type's fields). The log adds ``time`` (UTC, RFC 3339, unless given)
and ``log_index`` (its position, so a moved entry no longer hashes to its place) and
stores the RFC 8785 canonical JSON bytes; the leaf hash is over exactly those bytes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import rfc8785

from plateledger.audit.errors import EntryError

RESERVED_KEYS = frozenset({"log_index"})
"""Keys the log sets itself; an entry given to ``append`` must not carry them."""


class EntryType(StrEnum):
    """The kinds of event the platform logs (``type`` of an entry)."""

    SEARCH = "search"
    EXPORT = "export"
    ALERT_DELIVERY = "alert_delivery"
    POLICY_CHANGE = "policy_change"
    AGREEMENT_CHANGE = "agreement_change"
    USER_CHANGE = "user_change"
    KEY_CHANGE = "key_change"
    LAW_PACK_CHANGE = "law_pack_change"
    RETENTION_RUN = "retention_run"
    LEGAL_HOLD = "legal_hold"
    LOG_KEY_ROTATION = "log_key_rotation"
    AUDIT_READ = "audit_read"
    IMAGE_VIEW = "image_view"


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One stored entry: its position, content, canonical bytes and leaf hash."""

    index: int
    entry: dict[str, Any]
    entry_bytes: bytes
    leaf_hash: bytes
    time: str


def utc_now() -> str:
    """Return the current UTC time as RFC 3339 with milliseconds, e.g. ``...T07:35:25.123Z``."""
    return rfc3339(datetime.now(UTC))


def rfc3339(moment: datetime) -> str:
    """``moment`` as the log writes times: UTC, RFC 3339, milliseconds (a naive one is
    taken as UTC)."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_entry(entry_type: EntryType | str, /, **fields: Any) -> dict[str, Any]:
    """Return an entry of ``entry_type`` (version 1 unless ``v`` is given) with ``fields``."""
    return {"type": str(entry_type), "v": 1, **fields}


def search_entry(
    *,
    user: str,
    agency: str,
    requested_by_agency: str,
    purpose: str,
    case_number: str | None,
    kind: str,
    query: Mapping[str, Any],
    owners_allowed: list[str],
    owners_denied: list[Mapping[str, Any]],
    result_count: int,
    result_digest: str,
    policy_set_hash: str,
) -> dict[str, Any]:
    """Return a ``search`` entry with the fields DESIGN.md lists for a search.

    ``owners_denied`` items are ``{"agency": ..., "policy_ids": [...]}``.
    """
    return new_entry(
        EntryType.SEARCH,
        user=user,
        agency=agency,
        requested_by_agency=requested_by_agency,
        purpose=purpose,
        case_number=case_number,
        kind=kind,
        query=dict(query),
        owners_allowed=list(owners_allowed),
        owners_denied=[dict(d) for d in owners_denied],
        result_count=result_count,
        result_digest=result_digest,
        policy_set_hash=policy_set_hash,
    )


def canonical_entry(entry: Mapping[str, Any], index: int, now: str) -> tuple[dict[str, Any], bytes]:
    """Return the entry as it will be stored at ``index``, and its canonical bytes.

    Requires a mapping with a non-empty string ``type``; ``v`` defaults to 1 and
    ``time`` to ``now``. Raises ``EntryError`` for anything RFC 8785 cannot encode.
    """
    if not isinstance(entry, Mapping):
        raise EntryError(f"an audit entry must be a mapping, not `{type(entry).__name__}`")
    entry_type = entry.get("type")
    if not isinstance(entry_type, str) or not entry_type:
        raise EntryError("an audit entry needs a non-empty string `type`")
    reserved = RESERVED_KEYS.intersection(entry)
    if reserved:
        raise EntryError(f"an audit entry must not set `{sorted(reserved)[0]}`: the log sets it")
    version = entry.get("v", 1)
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise EntryError(f"entry version `{version!r}` is not a positive integer")
    stored = {**entry, "v": version, "time": entry.get("time", now), "log_index": index}
    if not isinstance(stored["time"], str):
        raise EntryError("entry `time` must be an RFC 3339 string")
    try:
        data = rfc8785.dumps(stored)
    except Exception as exc:  # rfc8785 raises several unrelated types for bad values
        raise EntryError(f"entry of type `{entry_type}` is not canonical JSON: {exc}") from exc
    return json.loads(data), data
