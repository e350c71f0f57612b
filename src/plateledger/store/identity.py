"""Which reads of a batch may be added: a stored read is never replaced or changed.

A read's id is its client's id scoped to its owner (`plateledger.read.owner_read_id`) or
derived from camera, time and plate (a camera has one owner), so an agency's posts can only
name its own reads — whether another agency holds an id is never told — while a camera can
resend an id with other content. Before
a batch is written, the live rows that hold the batch's read ids are looked up: those of
clients' own ids whatever their plate (a skip index on ``stored_id`` keeps it from reading
every granule), those of derived ids by their plate and moment (`derived_positions`), and
each read of the batch is

* **new**: written;
* **already stored**, by the same owner with the same evidence (a retry): accepted and not
  written again, so the first copy stays exactly as it was;
* **refused**: its id is stored by another owner or with other evidence (another plate,
  camera or place included), or an earlier read of the same batch claimed it.

Evidence is what the camera saw and the owner (`EVIDENCE_COLUMNS`); the arrival time,
expiry and hit flag are the server's and may differ between a read and its retry, and a
retry sent without the image the stored copy has is still a retry (`retries`). An
expired row is not looked at, so an answer never depends on expired data.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pyarrow as pa

from plateledger.read import PlateRead, has_derived_id

EVIDENCE_COLUMNS: tuple[str, ...] = (
    "owner_id", "camera_id", "ts", "plate_raw", "plate", "region", "region_confidence",
    "confidence", "lat", "lon", "heading", "vehicle_color", "vehicle_make", "vehicle_model",
    "vehicle_type", "image_plate", "image_overview",
)
"""The columns two copies of one read must agree on. Derived columns (``plate_key``,
``origin_state``) and the server's (``received_at``, ``expires_at``, ``hit``) are left out."""

Key = uuid.UUID
Evidence = tuple[Any, ...]


@dataclass(frozen=True)
class Added:
    """What adding a batch did."""

    written: list[PlateRead] = field(default_factory=list)
    """The reads written now, in batch order (a read already stored is not among them)."""
    refused: frozenset[int] = frozenset()
    """Positions in the batch of reads refused: their id is taken."""


def lookup_sql(database: str, *, bounded: bool = False) -> str:
    """The live rows with the batch's read ids, whatever their plate, with their evidence;
    ``bounded``: only rows read between ``{lo}`` and ``{hi}`` (see `derived_positions`)."""
    columns = ", ".join(f"`{c}`" for c in EVIDENCE_COLUMNS)
    within = (
        "AND ts BETWEEN {lo:DateTime64(3, 'UTC')} AND {hi:DateTime64(3, 'UTC')} "
        if bounded else ""
    )
    # A client's id is never the one derived from its read (another namespace), so it is
    # kept in `stored_id`, whose skip index narrows the look-up; a derived id is computed.
    stored = "read_id" if bounded else "stored_id"
    return (
        f"SELECT toString(read_id) AS id, {columns} FROM {database}.reads "
        f"WHERE {stored} IN {{ids:Array(UUID)}} {within}"
        "AND expires_at > now()"
    )


def key_lookup_sql(database: str) -> str:
    """The live rows read at the plate and moment of a batch's reads with derived ids, with
    their evidence; ``{keys}`` names a table of the batch's ``(plate, ts)``. A stored copy
    of a derived id has its read's plate and moment, which head the sort key: the look-up
    reads only the granules of those plates, whatever the size of the history."""
    columns = ", ".join(f"`{c}`" for c in EVIDENCE_COLUMNS)
    return (
        f"SELECT toString(read_id) AS id, {columns} FROM {database}.reads "
        "WHERE (plate, ts) IN (SELECT plate, ts FROM {keys}) AND expires_at > now()"
    )


def derived_positions(reads: Sequence[PlateRead]) -> list[int]:
    """Positions of the reads whose id the server derived from camera, time and plate
    (`plateledger.read.derive_read_id`), not one the client sent.

    A derived id names its read's plate and moment, so a stored copy of it has the same
    plate and time: its look-up is by those (`key_lookup_sql`, the head of the sort key),
    so only the granules of the batch's plates are read (on an engine that cannot take the
    batch as a table, by id within the batch's time range; timed by hand at 20 M reads over
    24 months: 257 ms for 8,000 ids looked up everywhere, 44 ms within ten minutes). A
    client's own ids (stored scoped to their owner) are looked up everywhere. A client's
    id cannot be made to equal a derived one: its stored id is a SHA-1 name in another
    namespace, so that would take a second preimage."""
    return [
        i
        for i, r in enumerate(reads)
        if has_derived_id(r)
    ]


def evidence_rows(table: pa.Table) -> list[Evidence]:
    """Each row's `EVIDENCE_COLUMNS` in a comparable form (as the store keeps them)."""
    columns = [table.column(name).to_pylist() for name in EVIDENCE_COLUMNS]
    return [tuple(_comparable(v) for v in row) for row in zip(*columns, strict=True)]


def _comparable(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None  # unknown lat/lon are NaN, and NaN is unequal to itself
    if isinstance(value, datetime):
        return round(value.timestamp() * 1000)
    return value


def decide(
    keys: Sequence[Key],
    evidence: Sequence[Evidence],
    stored: dict[Key, set[Evidence]],
) -> tuple[list[int], frozenset[int]]:
    """Positions to write and positions refused, given the stored evidence per key.

    Among reads of the batch with one key, the first decides: later ones are accepted when
    identical to it (not written twice) and refused otherwise.
    """
    claimed: dict[Key, Evidence] = {}
    write: list[int] = []
    refused: set[int] = set()
    for position, (key, seen) in enumerate(zip(keys, evidence, strict=True)):
        if key in stored:
            if not all(retries(kept, seen) for kept in stored[key]):
                refused.add(position)
            continue
        first = claimed.get(key)
        if first is None:
            claimed[key] = seen
            write.append(position)
        elif not retries(first, seen):
            refused.add(position)
    return write, frozenset(refused)


_IMAGES = tuple(EVIDENCE_COLUMNS.index(c) for c in ("image_plate", "image_overview"))


def retries(kept: Evidence, posted: Evidence) -> bool:
    """Whether ``posted`` is a retry of the read whose evidence is ``kept``: the same in
    every column, but that a copy sent without an image (a webhook posted once with its
    frame, once as JSON alone) retries the copy with it. A copy with another image, or
    with one where the kept copy has none, is other evidence."""
    if kept == posted:
        return True
    return all(
        a == b or (i in _IMAGES and b == "")
        for i, (a, b) in enumerate(zip(kept, posted, strict=True))
    )
