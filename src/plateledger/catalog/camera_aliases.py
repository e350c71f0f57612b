"""Camera aliases: a vendor's name for a camera, mapped to a camera in the catalog.

One ``alprd`` posts every stream it watches to one address, naming each by its site and
camera id; Frigate names cameras by its own configuration, Rekor by agent and camera id.
``camera_aliases`` (migration ``0019_ingest_quarantine``) maps, per agency and source
format, the name an adapter gives (`plateledger.ingest.cameras.external_key`) to a
registered camera of that agency. Every function takes a ``Connection``, so a change
commits with its audit entry.
"""

from __future__ import annotations

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
    UniqueConstraint,
    delete,
    insert,
    select,
)

from plateledger.catalog.models import NAMING
from plateledger.catalog.timeutil import UTCDateTime

__all__ = [
    "CameraAlias",
    "add_alias",
    "alias_metadata",
    "aliases_of",
    "find_alias",
    "remove_alias",
]

alias_metadata = MetaData(naming_convention=NAMING)

camera_aliases = Table(
    "camera_aliases",
    alias_metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("agency_id", Integer, nullable=False),
    Column("source_format", String(32), nullable=False),
    Column("external_key", String(128), nullable=False),
    Column("camera_id", String(64), nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("agency_id", "source_format", "external_key"),
)


@dataclass(frozen=True)
class CameraAlias:
    id: int
    agency_id: int
    source_format: str
    external_key: str
    camera_id: str
    created_by: str
    created_at: datetime

    def values(self) -> dict[str, Any]:
        return {
            "source_format": self.source_format,
            "external_key": self.external_key,
            "camera_id": self.camera_id,
        }


def _alias(row: Any) -> CameraAlias:
    return CameraAlias(**{c.name: row[c.name] for c in camera_aliases.columns})


def find_alias(
    conn: Connection, agency_id: int, source_format: str, external_key: str
) -> CameraAlias | None:
    found = (
        conn.execute(
            select(camera_aliases).where(
                camera_aliases.c.agency_id == agency_id,
                camera_aliases.c.source_format == source_format,
                camera_aliases.c.external_key == external_key,
            )
        )
        .mappings()
        .first()
    )
    return None if found is None else _alias(found)


def aliases_of(
    conn: Connection, agency_id: int, source_format: str | None = None
) -> list[CameraAlias]:
    query = select(camera_aliases).where(camera_aliases.c.agency_id == agency_id)
    if source_format is not None:
        query = query.where(camera_aliases.c.source_format == source_format)
    query = query.order_by(camera_aliases.c.source_format, camera_aliases.c.external_key)
    return [_alias(r) for r in conn.execute(query).mappings()]


def add_alias(
    conn: Connection,
    *,
    agency_id: int,
    source_format: str,
    external_key: str,
    camera_id: str,
    by: str,
    now: datetime,
) -> CameraAlias:
    """Map ``external_key`` (the caller checks it is not mapped and the camera is the
    agency's)."""
    conn.execute(
        insert(camera_aliases).values(
            agency_id=agency_id,
            source_format=source_format,
            external_key=external_key,
            camera_id=camera_id,
            created_by=by,
            created_at=now,
        )
    )
    found = find_alias(conn, agency_id, source_format, external_key)
    assert found is not None
    return found


def remove_alias(conn: Connection, alias: CameraAlias) -> None:
    conn.execute(delete(camera_aliases).where(camera_aliases.c.id == alias.id))
