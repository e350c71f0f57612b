"""Turning reads into Arrow batches in the store's layout, and back."""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pyarrow as pa

from plateledger.read import Images, PlateRead, Vehicle
from plateledger.store.schema import ARROW_SCHEMA, percents


def to_clickhouse_uuid_bytes(rfc_bytes: pa.Array) -> pa.Array:
    """Reorder RFC 4122 UUID bytes into ClickHouse's layout (two little-endian halves).

    ClickHouse reads a 16-byte binary as its in-memory UUID, whose halves are stored as
    little-endian 64-bit integers; without this the ids would come back scrambled.
    """
    if len(rfc_bytes) == 0:
        return rfc_bytes
    raw = np.frombuffer(rfc_bytes.buffers()[1], dtype=np.uint8, count=16 * len(rfc_bytes),
                        offset=rfc_bytes.offset * 16)
    swapped = raw.reshape(-1, 2, 8)[:, :, ::-1].copy()
    return pa.FixedSizeBinaryArray.from_buffers(
        pa.binary(16), len(rfc_bytes), [None, pa.py_buffer(swapped.tobytes())]
    )


def reads_to_arrow(reads: Sequence[PlateRead]) -> pa.Table:
    """Column-wise conversion of validated reads into `ARROW_SCHEMA` (RFC-order ids)."""
    nan = float("nan")
    columns: dict[str, Any] = {
        "read_id": [r.read_id.bytes for r in reads],
        "owner_id": [r.owner_id for r in reads],
        "origin_state": [r.origin_state for r in reads],
        "camera_id": [r.camera_id for r in reads],
        "ts": [r.ts for r in reads],
        "plate_raw": [r.plate_raw for r in reads],
        "plate": [r.plate for r in reads],
        "plate_key": [r.plate_key for r in reads],
        "region": [r.region for r in reads],
        "region_confidence": percents([r.region_confidence for r in reads]),
        "confidence": percents([r.confidence for r in reads]),
        "lat": [nan if r.lat is None else r.lat for r in reads],
        "lon": [nan if r.lon is None else r.lon for r in reads],
        "heading": [-1 if r.heading is None else round(r.heading) % 360 for r in reads],
        "vehicle_color": [r.vehicle.color for r in reads],
        "vehicle_make": [r.vehicle.make for r in reads],
        "vehicle_model": [r.vehicle.model for r in reads],
        "vehicle_type": [r.vehicle.type for r in reads],
        "image_plate": [r.images.plate for r in reads],
        "image_overview": [r.images.overview for r in reads],
        "received_at": [r.received_at for r in reads],
        "expires_at": [r.expires_at for r in reads],
        "hit": [1 if r.hit else 0 for r in reads],
    }
    return pa.table(columns, schema=ARROW_SCHEMA)


def _float_or_none(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) else number


def _as_uuid(value: Any) -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    if isinstance(value, bytes):
        return uuid.UUID(bytes=value)
    return uuid.UUID(str(value))


def _as_utc(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, int):  # ClickHouse DateTime arrives as epoch seconds
        return datetime.fromtimestamp(value, tz=UTC)
    raise TypeError(f"expected a datetime, got {type(value).__name__}")


def rows_to_reads(table: pa.Table) -> list[PlateRead]:
    """Rebuild `PlateRead`s from a query result that selected every read column."""
    out: list[PlateRead] = []
    for row in table.to_pylist():
        heading = row["heading"]
        out.append(
            PlateRead.model_construct(
                read_id=_as_uuid(row["read_id"]),
                owner_id=int(row["owner_id"]),
                origin_state=row["origin_state"],
                camera_id=row["camera_id"],
                ts=_as_utc(row["ts"]),
                plate_raw=row["plate_raw"],
                plate=row["plate"],
                plate_key=row["plate_key"],
                region=row["region"],
                region_confidence=float(row["region_confidence"]),
                confidence=float(row["confidence"]),
                lat=_float_or_none(row["lat"]),
                lon=_float_or_none(row["lon"]),
                heading=None if heading is None or heading < 0 else float(heading),
                vehicle=Vehicle.model_construct(
                    color=row["vehicle_color"],
                    make=row["vehicle_make"],
                    model=row["vehicle_model"],
                    type=row["vehicle_type"],
                ),
                images=Images.model_construct(
                    plate=row["image_plate"], overview=row["image_overview"]
                ),
                received_at=_as_utc(row["received_at"]),
                expires_at=_as_utc(row["expires_at"]),
                hit=bool(row["hit"]),
            )
        )
    return out
