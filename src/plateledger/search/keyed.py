"""A page's rows made into the results a search shows (`read_outs`)."""

from __future__ import annotations

import uuid
from datetime import datetime

import pyarrow as pa
import pyarrow.compute as pc

from plateledger.read import derived_read_id
from plateledger.search.result import ReadOut
from plateledger.search.scope import Scope
from plateledger.store.arrow import _as_utc, _as_uuid

SHOWN = (
    "stored_id",
    "owner_id",
    "origin_state",
    "camera_id",
    "ts",
    "plate",
    "plate_raw_kept",
    "region",
    "confidence_pct",
    "lat",
    "lon",
    "heading",
    "vehicle_color",
    "vehicle_make",
    "vehicle_model",
    "vehicle_type",
    "image_plate",
    "image_overview",
)
"""The columns a result shows (`read_outs`): a search that makes its page from its own
query's rows selects these instead of ``*`` (five columns fewer to read and convert:
~14 % of a stakeout's reads query at 100 M reads, ~9 % of a convoy's candidates').
The id, the raw plate and the confidence are selected as the table keeps them and made
here (`read_ids`): naming the computed ``read_id`` costs each query ~2 ms to plan
(`plateledger.store.schema`)."""

SHOWN_SQL = ", ".join(SHOWN)


def _place(value: float | None) -> float | None:
    return None if value is None or value != value else round(value, 6)


_NIL = bytes(16)


def read_ids(rows: pa.Table) -> list[uuid.UUID]:
    """The id of each row (with ``stored_id``, ``camera_id``, ``ts`` and ``plate``): the
    stored one, or where it is nil the one the store derives (`derive_read_id` of the
    exact millisecond, as ClickHouse computes it). Columns are read as plain values (the
    ids' bytes, the times' milliseconds): ~3 µs a row instead of ~12 through objects."""
    column = rows.column("stored_id").combine_chunks()
    if isinstance(column, pa.ExtensionArray):
        column = column.storage
    stored = column.to_pylist()
    times = pc.cast(pc.cast(rows.column("ts"), pa.timestamp("ms", tz="UTC")), pa.int64())
    cameras = rows.column("camera_id").to_pylist()
    plates = rows.column("plate").to_pylist()
    out: list[uuid.UUID] = []
    for kept, camera, millis, plate in zip(stored, cameras, times.to_pylist(), plates,
                                           strict=True):
        if isinstance(kept, uuid.UUID):
            kept = kept.bytes
        if kept != _NIL:
            out.append(uuid.UUID(bytes=kept) if isinstance(kept, bytes) else _as_uuid(kept))
        else:
            out.append(derived_read_id(camera, millis, plate))
    return out


def read_outs(rows: pa.Table, scope: Scope) -> list[ReadOut]:
    """Each row (with the `SHOWN` columns) as a search shows it: what
    ``ReadOut.from_read(rows_to_reads(rows)[i], images=…)`` gives, built from the columns
    without the `PlateRead` in between (a page of 1,000 reads made 4,000 models; now
    1,000), images only where ``scope`` allows them and the owner still keeps them."""
    if not rows.num_rows:
        return []
    names = set(rows.column_names)
    # rows of `SHOWN`, or of every read column (`plateledger.store.schema.READ_SELECT`)
    col = {name: rows.column(name).to_pylist() for name in SHOWN if name in names}
    if "read_id" in names:
        ids = [i if isinstance(i, uuid.UUID) else _as_uuid(i)
               for i in rows.column("read_id").to_pylist()]
    else:
        ids = read_ids(rows)
    raw = (rows.column("plate_raw").to_pylist() if "plate_raw" in names
           else [k or p for k, p in zip(col["plate_raw_kept"], col["plate"], strict=True)])
    confidences = ([c / 100 for c in col["confidence_pct"]] if "confidence_pct" in col
                   else rows.column("confidence").to_pylist())
    places: dict[float | None, float | None] = {}
    for value in col["lat"] + col["lon"]:
        if value not in places:
            places[value] = _place(value)
    out: list[ReadOut] = []
    for i in range(rows.num_rows):
        owner = int(col["owner_id"][i])
        ts = col["ts"][i]
        ts = ts if isinstance(ts, datetime) and ts.tzinfo else _as_utc(ts)
        read_id = ids[i]
        heading = col["heading"][i]
        images = scope.images_shown(owner, ts, col["plate"][i], read_id)
        out.append(
            ReadOut.model_construct(
                read_id=read_id,
                owner_id=owner,
                origin_state=col["origin_state"][i],
                camera_id=col["camera_id"][i],
                ts=ts,
                plate=col["plate"][i],
                plate_raw=raw[i],
                region=col["region"][i],
                confidence=round(float(confidences[i]), 4),
                lat=places[col["lat"][i]],
                lon=places[col["lon"][i]],
                heading=None if heading is None or heading < 0 else float(heading),
                vehicle_color=col["vehicle_color"][i],
                vehicle_make=col["vehicle_make"][i],
                vehicle_model=col["vehicle_model"][i],
                vehicle_type=col["vehicle_type"][i],
                image_plate=col["image_plate"][i] if images else "",
                image_overview=col["image_overview"][i] if images else "",
                distance=None,
            )
        )
    return out
