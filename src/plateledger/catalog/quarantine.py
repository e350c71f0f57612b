"""Ingest quarantine: items an authenticated client sent that could not be accepted.

Two tables of the catalog database (migration ``0019_ingest_quarantine``):
``ingest_quarantine``, one row per item kept — the agency, the credential that sent it
(its kind and prefix, never its secret), the format, content type and camera hint it came
with, the whole raw item, its reasons, and for a read refused as a conflict the read id and
the stored version — with its status (``held``, ``replayed``, ``discarded``) and who
resolved it when; and ``quarantine_credentials``, the credentials (API keys or ingest URLs)
whose refused items are kept.

Every function takes a ``Connection``, so a change commits with its audit entry.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    delete,
    func,
    insert,
    select,
    update,
)

from plateledger.catalog.models import NAMING
from plateledger.catalog.timeutil import UTCDateTime

__all__ = [
    "CREDENTIAL_KINDS",
    "STATUSES",
    "NewItem",
    "QuarantineItem",
    "add_items",
    "credential_quarantines",
    "list_items",
    "purge_items",
    "quarantine_item",
    "quarantine_metadata",
    "resolve_item",
    "set_credential_quarantine",
]

CREDENTIAL_KINDS = ("api_key", "ingest_url")
STATUSES = ("held", "replayed", "discarded")

quarantine_metadata = MetaData(naming_convention=NAMING)

ingest_quarantine = Table(
    "ingest_quarantine",
    quarantine_metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("agency_id", Integer, nullable=False, index=True),
    Column("credential_kind", String(16), nullable=False),
    Column("credential_prefix", String(16), nullable=False),
    Column("format", String(32), nullable=False),
    Column("content_type", String(200), nullable=False),
    Column("camera_hint", String(64), nullable=True),
    Column("item_index", Integer, nullable=False),
    Column("raw", Text, nullable=False),
    Column("reasons", Text, nullable=False),
    Column("read_id", String(36), nullable=True),
    Column("stored_version", Text, nullable=True),
    Column("status", String(12), nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
    Column("resolved_at", UTCDateTime, nullable=True),
    Column("resolved_by", String(200), nullable=True),
    Column("outcome", Text, nullable=True),
)

quarantine_credentials = Table(
    "quarantine_credentials",
    quarantine_metadata,
    Column("credential_kind", String(16), primary_key=True),
    Column("credential_prefix", String(16), primary_key=True),
    Column("agency_id", Integer, nullable=False),
    Column("enabled_at", UTCDateTime, nullable=False),
)


@dataclass(frozen=True)
class NewItem:
    """An item to keep: where it came from, the item itself and why it was refused."""

    format: str
    content_type: str
    camera_hint: str | None
    item_index: int
    raw: str
    reasons: list[str]
    read_id: str | None = None
    stored_version: dict[str, Any] | None = None


@dataclass(frozen=True)
class QuarantineItem:
    """One kept item as stored."""

    id: int
    agency_id: int
    credential_kind: str
    credential_prefix: str
    format: str
    content_type: str
    camera_hint: str | None
    item_index: int
    raw: str
    reasons: list[str]
    read_id: str | None
    stored_version: dict[str, Any] | None
    status: str
    received_at: datetime
    resolved_at: datetime | None
    resolved_by: str | None
    outcome: dict[str, Any] | None

    def summary(self) -> dict[str, Any]:
        """What a change entry records of the item (no raw content: the plate stays out
        of the log)."""
        return {
            "status": self.status,
            "format": self.format,
            "reasons": self.reasons,
            "credential": f"{self.credential_kind}:{self.credential_prefix}",
            "read_id": self.read_id,
        }


def _item(row: Any) -> QuarantineItem:
    values = {c.name: row[c.name] for c in ingest_quarantine.columns}
    values["reasons"] = json.loads(values["reasons"])
    for name in ("stored_version", "outcome"):
        values[name] = None if values[name] is None else json.loads(values[name])
    return QuarantineItem(**values)


def add_items(
    conn: Connection,
    *,
    agency_id: int,
    credential_kind: str,
    credential_prefix: str,
    items: list[NewItem],
    now: datetime,
) -> list[int]:
    """Keep ``items``; their ids."""
    ids: list[int] = []
    for item in items:
        result = conn.execute(
            insert(ingest_quarantine).values(
                agency_id=agency_id,
                credential_kind=credential_kind,
                credential_prefix=credential_prefix,
                format=item.format,
                content_type=item.content_type[:200],
                camera_hint=item.camera_hint,
                item_index=item.item_index,
                raw=item.raw,
                reasons=json.dumps(item.reasons),
                read_id=item.read_id,
                stored_version=None
                if item.stored_version is None
                else json.dumps(item.stored_version, default=str),
                status="held",
                received_at=now,
            )
        )
        key = result.inserted_primary_key
        assert key is not None
        ids.append(int(key[0]))
    return ids


def quarantine_item(conn: Connection, item_id: int) -> QuarantineItem | None:
    found = (
        conn.execute(select(ingest_quarantine).where(ingest_quarantine.c.id == item_id))
        .mappings()
        .first()
    )
    return None if found is None else _item(found)


def list_items(
    conn: Connection,
    agency_id: int,
    *,
    status: str | None = None,
    format: str | None = None,
    reason: str | None = None,
    credential: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[QuarantineItem], int]:
    """One page of ``agency_id``'s kept items, newest first, and the total; ``reason``
    matches part of a reason, ``credential`` a prefix."""
    where = [ingest_quarantine.c.agency_id == agency_id]
    if status is not None:
        where.append(ingest_quarantine.c.status == status)
    if format is not None:
        where.append(ingest_quarantine.c.format == format)
    if credential is not None:
        where.append(ingest_quarantine.c.credential_prefix == credential)
    if reason is not None:
        where.append(ingest_quarantine.c.reasons.contains(reason, autoescape=True))
    total = int(
        conn.execute(select(func.count()).select_from(ingest_quarantine).where(*where)).scalar_one()
    )
    rows = conn.execute(
        select(ingest_quarantine)
        .where(*where)
        .order_by(ingest_quarantine.c.id.desc())
        .limit(limit)
        .offset(offset)
    ).mappings()
    return [_item(r) for r in rows], total


def resolve_item(
    conn: Connection,
    item: QuarantineItem,
    *,
    status: str,
    by: str,
    now: datetime,
    outcome: dict[str, Any],
) -> QuarantineItem | None:
    """Move a held item to ``status``; ``None`` when a concurrent change resolved it."""
    done = conn.execute(
        update(ingest_quarantine)
        .where(ingest_quarantine.c.id == item.id, ingest_quarantine.c.status == "held")
        .values(
            status=status, resolved_by=by, resolved_at=now, outcome=json.dumps(outcome, default=str)
        )
    )
    if done.rowcount != 1:
        return None
    return quarantine_item(conn, item.id)


def credential_quarantines(conn: Connection, kind: str, prefix: str) -> bool:
    """Whether the credential's refused items are kept."""
    return (
        conn.execute(
            select(quarantine_credentials.c.agency_id).where(
                quarantine_credentials.c.credential_kind == kind,
                quarantine_credentials.c.credential_prefix == prefix,
            )
        ).first()
        is not None
    )


def set_credential_quarantine(
    conn: Connection, *, kind: str, prefix: str, agency_id: int, enabled: bool, now: datetime
) -> bool:
    """Turn quarantine on or off for a credential; whether it was on before."""
    before = credential_quarantines(conn, kind, prefix)
    if enabled and not before:
        conn.execute(
            insert(quarantine_credentials).values(
                credential_kind=kind, credential_prefix=prefix, agency_id=agency_id, enabled_at=now
            )
        )
    elif not enabled and before:
        conn.execute(
            delete(quarantine_credentials).where(
                quarantine_credentials.c.credential_kind == kind,
                quarantine_credentials.c.credential_prefix == prefix,
            )
        )
    return before


def purge_items(conn: Connection, agency_id: int, before: datetime) -> list[int]:
    """Delete ``agency_id``'s items received before ``before``; their ids."""
    ids = [
        int(i)
        for i in conn.execute(
            select(ingest_quarantine.c.id).where(
                ingest_quarantine.c.agency_id == agency_id,
                ingest_quarantine.c.received_at < before,
            )
        ).scalars()
    ]
    if ids:
        conn.execute(delete(ingest_quarantine).where(ingest_quarantine.c.id.in_(ids)))
    return ids
