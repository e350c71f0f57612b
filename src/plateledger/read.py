"""The plate read: what a camera saw, as submitted and as stored.

`ReadSubmission` is what a camera or adapter sends (the owner is never in it: it comes from
the API key). `PlateRead` is the stored read, enriched with the owner agency, its origin
state, the time it arrived and the time after which it must never be returned.

This module sits at the bottom of the package graph (beside `plates`): the store below
ingest needs the read's shape too.
"""

from __future__ import annotations

import hashlib
import math
import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from plateledger.plates import PlateError, confusion_key, normalize_plate

MAX_CLOCK_SKEW = timedelta(minutes=5)
"""How far in the future a read's time may lie (camera clocks drift)."""

READ_NAMESPACE = uuid.UUID("5b1f3f3e-3a53-4b8e-8f0b-6a1d2c7e9a10")
"""Namespace of the UUIDv5 read ids derived from camera, time and plate."""

OWNER_NAMESPACE = uuid.UUID("ef676038-a112-4780-9f2d-bf4db001cbfe")
"""Namespace of the UUIDv5 ids of reads whose client chose an id (`owner_read_id`)."""

Confidence = Annotated[float, Field(ge=0.0, le=1.0)]


_NAMESPACE_BYTES = READ_NAMESPACE.bytes
_V5_KEEP = 0xFFFFFFFF_FFFF_0FFF_3FFF_FFFFFFFFFFFF
"""The bits of a SHA-1 prefix a version-5 UUID keeps (version and variant cleared)…"""
_V5_SET = 0x00000000_0000_5000_8000_000000000000
"""…and the version (5) and RFC 4122 variant bits it sets."""


def derive_read_id(camera_id: str, ts: datetime, plate: str) -> uuid.UUID:
    """A stable read id, so that a retried submission without ids is recognised: the
    RFC 4122 version-5 UUID of ``camera\x1fmillis\x1fplate`` in `READ_NAMESPACE` (what
    ``uuid.uuid5`` gives, made without its per-call checks: it is computed for every read
    ingested, and the test suite holds it equal to ``uuid.uuid5``)."""
    return derived_read_id(camera_id, int(ts.timestamp() * 1000), plate)


def derived_read_id(camera_id: str, millis: int, plate: str) -> uuid.UUID:
    """`derive_read_id` of a time given in whole milliseconds since the epoch: what the
    store computes for a read whose id it derived (`plateledger.store.schema`)."""
    return _uuid5(_NAMESPACE_BYTES, f"{camera_id}\x1f{millis}\x1f{plate}")


def has_derived_id(read: PlateRead) -> bool:
    """Whether ``read``'s id is the one derived from its own camera, time and plate (its
    stored copy, if any, then has the same plate and moment)."""
    return read.read_id.version == 5 and read.read_id == derive_read_id(
        read.camera_id, read.ts, read.plate)


def _uuid5(namespace: bytes, name: str) -> uuid.UUID:
    """``uuid.uuid5`` of ``name`` in the namespace whose bytes are ``namespace``."""
    digest = hashlib.sha1(namespace + name.encode())
    return _uuid_of((int.from_bytes(digest.digest()[:16], "big") & _V5_KEEP) | _V5_SET)


def owner_read_id(owner_id: int, client_id: uuid.UUID) -> uuid.UUID:
    """The stored id of a read whose client sent ``client_id``: the version-5 UUID of
    ``owner\x1fclient id`` in `OWNER_NAMESPACE`.

    A client's id names a read within its owner's reads only. Ids are unique in the store,
    so were a client's id stored as sent, a post carrying an id another agency holds would
    be refused as taken — telling whoever holds an ingest credential that the other agency
    has that read (ids derived from camera, time and plate, and vendors' ids such as
    ``alprd``'s ``<site>-cam<n>-<epoch ms>``, can be guessed), and letting it claim the ids
    another agency's cameras will send next. Scoped to the owner, the same client id sent
    by two agencies names two reads; a retry by the same owner names the same one."""
    return _uuid5(OWNER_NAMESPACE.bytes, f"{owner_id}\x1f{client_id}")


def _uuid_of(value: int) -> uuid.UUID:
    """The UUID of a 128-bit ``value`` already holding its version and variant bits, set
    as ``uuid.UUID.__init__`` sets them (it re-checks the bits and the range per call)."""
    made = object.__new__(uuid.UUID)
    object.__setattr__(made, "int", value)
    object.__setattr__(made, "is_safe", uuid.SafeUUID.unknown)
    return made


EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(2299, 12, 31, 23, 59, 59, 999000, tzinfo=UTC)
"""The times the read store holds (ClickHouse's ``DateTime64``): a time outside them is
bad input, refused as such, never sent to the store."""


def to_utc_millis(value: Any) -> datetime:
    """Parse a time given as ISO-8601 text, epoch milliseconds or a datetime, to UTC ms."""
    if isinstance(value, bool):
        raise ValueError("time must be ISO-8601 text or epoch milliseconds")
    if isinstance(value, int | float):
        if not math.isfinite(value):
            raise ValueError("time must be a finite number")
        seconds = value / 1000.0 if value > 1e11 else value  # ms: 1e11 s is millennia away
        try:
            dt = datetime.fromtimestamp(seconds, tz=UTC)
        except (OverflowError, OSError, ValueError):
            raise ValueError(f"time {value!r} is out of range (the read store holds "
                             f"{EARLIEST:%Y-%m-%d} to {LATEST:%Y-%m-%d})") from None
    elif isinstance(value, str):
        text = value.strip()
        if text.endswith("Z"):
            text = text[:-1] + "+00:00"
        try:
            dt = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(f"time `{value[:40]}` is not ISO-8601") from None
        if dt.tzinfo is None:
            raise ValueError(f"time `{value[:40]}` has no time zone (use Z for UTC)")
    elif isinstance(value, datetime):
        dt = value
        if dt.tzinfo is None:
            raise ValueError("time has no time zone")
    else:
        raise ValueError("time must be ISO-8601 text or epoch milliseconds")
    dt = dt.astimezone(UTC)
    if not EARLIEST <= dt <= LATEST:
        raise ValueError(f"time {dt.isoformat()} is outside the read store's range "
                         f"({EARLIEST:%Y-%m-%d} to {LATEST:%Y-%m-%d})")
    return dt.replace(microsecond=(dt.microsecond // 1000) * 1000)


class Vehicle(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    color: str = Field(default="", max_length=32)
    make: str = Field(default="", max_length=32)
    model: str = Field(default="", max_length=48)
    type: str = Field(default="", max_length=32)


class Images(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    plate: str = Field(default="", max_length=512, description="plate crop reference")
    overview: str = Field(default="", max_length=512, description="overview image reference")


def plate_text(value: str) -> str:
    """``value`` if it normalises to a plate; ValueError saying why not."""
    try:
        normalize_plate(value)
    except PlateError as exc:
        raise ValueError(str(exc)) from None
    return value


MAX_CANDIDATES = 10
"""Most candidate plates kept per read (``alprd``'s default ``topn``)."""


class PlateCandidate(BaseModel):
    """Another reading of the plate, with its probability (0–1)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    plate: str = Field(min_length=1, max_length=32)
    confidence: Confidence

    @field_validator("plate")
    @classmethod
    def _plate_is_plate(cls, value: str) -> str:
        return plate_text(value)


class PlateBox(BaseModel):
    """The plate's box in the camera's frame, in pixels from the top left."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    x: int = Field(ge=0, lt=2**31)
    y: int = Field(ge=0, lt=2**31)
    w: int = Field(ge=1, lt=2**31)
    h: int = Field(ge=1, lt=2**31)


class ReadSubmission(BaseModel):
    """One read as a camera submits it (native JSON; every adapter produces these)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    read_id: uuid.UUID | None = Field(
        default=None,
        description="the client's own id of the read, so that a retry is recognised; "
        "scoped to the owner: the read is stored under the id the answer lists as accepted "
        "(the same for every retry by the same agency, another for another agency)",
    )
    camera_id: str = Field(min_length=1, max_length=64)
    ts: datetime
    plate: str = Field(min_length=1, max_length=32, description="plate text as read")
    region: str = Field(default="", max_length=8, description="plate state/region, e.g. CA")
    region_confidence: Confidence = Field(
        default=0.0, description="0–1; kept to the whole percent, as `confidence`")
    confidence: Confidence = Field(
        description="the camera's confidence in the plate, 0–1; the store keeps it to the "
        "whole percent nearest (0.8749 is kept, and shown, as 0.87)")
    lat: float | None = Field(default=None, ge=-90.0, le=90.0)
    lon: float | None = Field(default=None, ge=-180.0, le=180.0)
    heading: float | None = Field(default=None, ge=0.0, lt=360.0)
    vehicle: Vehicle = Vehicle()
    images: Images = Images()
    candidates: tuple[PlateCandidate, ...] = Field(
        default=(), max_length=MAX_CANDIDATES,
        description="other readings of the plate (a recogniser's alternatives), most likely "
        "first: kept beside the read, so that an exact search for one of them finds it, "
        "marked as a candidate match",
    )
    plate_box: PlateBox | None = Field(
        default=None, description="the plate's box in the camera's frame, in pixels"
    )

    @field_validator("ts", mode="before")
    @classmethod
    def _parse_ts(cls, value: Any) -> datetime:
        return to_utc_millis(value)

    @field_validator("ts")
    @classmethod
    def _not_in_future(cls, value: datetime) -> datetime:
        if value > datetime.now(UTC) + MAX_CLOCK_SKEW:
            raise ValueError("time is more than 5 minutes in the future")
        return value

    @field_validator("plate")
    @classmethod
    def _plate_is_plate(cls, value: str) -> str:
        return plate_text(value)

    @field_validator("region")
    @classmethod
    def _region_upper(cls, value: str) -> str:
        region = value.strip().upper()
        if region.startswith("US-"):
            region = region[3:]
        if region and not (region.isascii() and region.isalnum()):
            raise ValueError(f"region `{value[:8]}` must be letters and digits")
        return region

    @field_validator("camera_id")
    @classmethod
    def _camera_printable(cls, value: str) -> str:
        if not value.isprintable() or not value.isascii():
            raise ValueError("camera_id must be printable ASCII")
        return value

    @model_validator(mode="after")
    def _both_coordinates(self) -> ReadSubmission:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("lat and lon must be given together")
        return self

    @property
    def plate_normalized(self) -> str:
        return normalize_plate(self.plate)

    def stable_id(self, owner_id: int, plate: str | None = None) -> uuid.UUID:
        """The id this read is stored under when ``owner_id`` sends it: the client's id
        scoped to the owner (`owner_read_id`), or one derived from camera, time and plate
        (a camera has one owner; ``plate``: the normalised plate, where the caller has it
        already)."""
        if self.read_id is not None:
            return owner_read_id(owner_id, self.read_id)
        return derive_read_id(self.camera_id, self.ts, plate or self.plate_normalized)


class PlateRead(BaseModel):
    """A stored read. Owner and origin state are set once, from the catalog, and never change."""

    model_config = ConfigDict(frozen=True)

    read_id: uuid.UUID
    owner_id: int = Field(ge=0, description="agency that owns the read (from the API key)")
    origin_state: str = Field(description="home state of the owner agency")
    camera_id: str
    ts: datetime
    plate_raw: str
    plate: str = Field(description="normalised plate")
    plate_key: str = Field(description="OCR-confusion key of the plate")
    region: str = ""
    region_confidence: float = 0.0
    confidence: float
    lat: float | None = None
    lon: float | None = None
    heading: float | None = None
    vehicle: Vehicle = Vehicle()
    images: Images = Images()
    received_at: datetime
    expires_at: datetime
    hit: bool = False

    @classmethod
    def from_submission(
        cls,
        sub: ReadSubmission,
        *,
        owner_id: int,
        origin_state: str,
        received_at: datetime,
        expires_at: datetime,
        lat: float | None = None,
        lon: float | None = None,
    ) -> PlateRead:
        """Enrich a submission. ``lat``/``lon`` are the fixed camera's position, used when
        the submission carries no GPS position of its own."""
        plate = sub.plate_normalized
        # Every field comes from a validated submission or the catalog: no re-validation
        # (it was a third of the ingest path's CPU), and not even `model_construct`'s
        # defaults pass (a third of what was left of building a read): `_assemble`.
        return cls._assemble(
            {
                "read_id": sub.stable_id(owner_id, plate),
                "owner_id": owner_id,
                "origin_state": origin_state,
                "camera_id": sub.camera_id,
                "ts": sub.ts,
                "plate_raw": sub.plate,
                "plate": plate,
                "plate_key": confusion_key(plate),
                "region": sub.region,
                "region_confidence": sub.region_confidence,
                "confidence": sub.confidence,
                "lat": sub.lat if sub.lat is not None else lat,
                "lon": sub.lon if sub.lon is not None else lon,
                "heading": sub.heading,
                "vehicle": sub.vehicle,
                "images": sub.images,
                "received_at": received_at,
                "expires_at": expires_at,
            }
        )

    @classmethod
    def _assemble(cls, fields: dict[str, Any]) -> PlateRead:
        """A read of trusted ``fields`` (every field but ``hit``), set as `model_construct`
        sets them — the same ``__dict__``, fields set, no extras, no private attributes —
        without its pass over the defaults; the test suite holds the two equal."""
        made = object.__new__(cls)
        fields["hit"] = False
        object.__setattr__(made, "__dict__", fields)
        object.__setattr__(made, "__pydantic_fields_set__", set(_ASSEMBLED))
        object.__setattr__(made, "__pydantic_extra__", None)
        object.__setattr__(made, "__pydantic_private__", None)
        return made


_ASSEMBLED = tuple(name for name in PlateRead.model_fields if name != "hit")
"""The fields `PlateRead.from_submission` sets (``hit`` keeps its default)."""
