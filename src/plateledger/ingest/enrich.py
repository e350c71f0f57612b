"""Enrichment: a submission becomes a stored read with owner, origin state and expiry.

The owner always comes from the API key that sent the read, and the origin state from the
owner's catalog entry — never from the payload, so a camera cannot claim another agency's
reads or move its reads to a state with laxer rules.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from plateledger.policy.clocks import RetentionPolicy, expiry_for, searchable
from plateledger.read import PlateRead, ReadSubmission
from plateledger.store.schema import expiry_stamp


@dataclass(frozen=True)
class Owner:
    """The agency that owns reads sent with one key."""

    agency_id: int
    home_state: str
    retention: RetentionPolicy
    key_camera_id: str | None = None
    """Set when the key belongs to one camera: it may then send only that camera's reads."""


@dataclass(frozen=True)
class CameraInfo:
    camera_id: str
    owner_id: int
    lat: float | None
    lon: float | None


@dataclass(frozen=True)
class Rejection:
    index: int
    field: str
    message: str


CameraLookup = Callable[[str], CameraInfo | None]


def enrich(
    items: Sequence[tuple[int, ReadSubmission]],
    owner: Owner,
    cameras: CameraLookup,
    *,
    now: datetime | None = None,
) -> tuple[list[tuple[int, PlateRead]], list[Rejection]]:
    """Turn submissions into reads; reject those from cameras the owner does not run."""
    received = now or datetime.now(UTC)
    received = received.replace(microsecond=(received.microsecond // 1000) * 1000)
    policy = owner.retention
    reads: list[tuple[int, PlateRead]] = []
    rejected: list[Rejection] = []
    for index, sub in items:
        if owner.key_camera_id is not None and sub.camera_id != owner.key_camera_id:
            rejected.append(
                Rejection(index, "camera_id", f"this key may only send reads of camera "
                          f"`{owner.key_camera_id}`, not `{sub.camera_id}`")
            )
            continue
        camera = cameras(sub.camera_id)
        if camera is None or camera.owner_id != owner.agency_id:
            rejected.append(
                Rejection(index, "camera_id",
                          f"unknown camera '{sub.camera_id}'")
            )
            continue
        # A hit's longer clock is applied once the matcher has run (`retain`).
        if policy.non_hits_searchable:
            clock = expiry_for(sub.ts, False, policy)
            expires = expiry_stamp(clock)
            if clock <= received:
                rejected.append(
                    Rejection(index, "ts", "read is older than your agency's retention of "
                              f"{policy.non_hit.days} days for reads without a hit")
                )
                continue
        else:
            expires = expiry_stamp(expiry_for(sub.ts, False, policy, received_at=received))
        reads.append(
            (
                index,
                PlateRead.from_submission(
                    sub,
                    owner_id=owner.agency_id,
                    origin_state=owner.home_state,
                    received_at=received,
                    expires_at=expires,
                    lat=camera.lat,
                    lon=camera.lon,
                ),
            )
        )
    return reads, rejected


def retain(
    reads: Sequence[tuple[int, PlateRead]],
    hit_ids: AbstractSet[uuid.UUID],
    policies: Callable[[int], RetentionPolicy],
) -> tuple[list[tuple[int, PlateRead]], int]:
    """Tag hits (their own, longer clock) and drop what the law forbids keeping.

    Takes and returns reads with their item index. Returns the reads to store and how many
    were not kept: non-hits under a clock so short they may never become searchable (New
    Hampshire's three minutes) are matched against hot lists and then discarded, never
    written.
    """
    kept: list[tuple[int, PlateRead]] = []
    dropped = 0
    for index, read in reads:
        policy = policies(read.owner_id)
        hit = read.read_id in hit_ids
        if not searchable(policy, hit):
            dropped += 1
            continue
        if hit:
            read = read.model_copy(update={
                "hit": True, "expires_at": expiry_stamp(expiry_for(read.ts, True, policy)),
            })
        kept.append((index, read))
    return kept, dropped


class ZoneShape(Protocol):
    """A collection zone as ingest needs it (`plateledger.catalog.ActiveZone`)."""

    @property
    def rule_id(self) -> str: ...
    @property
    def bounds(self) -> tuple[float, float, float, float]: ...
    def contains(self, lat: float, lon: float) -> bool: ...


ZoneLookup = Callable[[int], Sequence[ZoneShape]]


def drop_in_zones(
    reads: Sequence[tuple[int, PlateRead]], zones: ZoneLookup
) -> tuple[list[tuple[int, PlateRead]], list[tuple[int, PlateRead]], dict[int, dict[str, int]]]:
    """Split ``reads`` (item index, read) into those to keep and those placed inside an
    active collection zone of their owner, which are never stored; and count the dropped
    reads per owner and rule id. A read without a position is kept (a fixed camera's
    position was filled in, and a camera is never registered inside a zone). Each zone's
    bounding box is tested before its exact shape."""
    kept: list[tuple[int, PlateRead]] = []
    dropped: list[tuple[int, PlateRead]] = []
    counts: dict[int, dict[str, int]] = {}
    by_owner: dict[int, Sequence[ZoneShape]] = {}
    for index, read in reads:
        owner_zones = by_owner.get(read.owner_id)
        if owner_zones is None:
            owner_zones = by_owner[read.owner_id] = zones(read.owner_id)
        rule = None
        if owner_zones and read.lat is not None and read.lon is not None:
            lat, lon = read.lat, read.lon
            for zone in owner_zones:
                south, west, north, east = zone.bounds
                if south <= lat <= north and west <= lon <= east and zone.contains(lat, lon):
                    rule = zone.rule_id
                    break
        if rule is None:
            kept.append((index, read))
            continue
        dropped.append((index, read))
        per_rule = counts.setdefault(read.owner_id, {})
        per_rule[rule] = per_rule.get(rule, 0) + 1
    return kept, dropped, counts


def zone_drop_fields(owner_slug: str, counts: Mapping[str, int]) -> dict[str, object]:
    """The fields of a ``zone_drop`` audit entry: the owner and how many reads each rule
    dropped — no plate, no read id, no position."""
    return {"owner_agency": owner_slug, "counts": dict(sorted(counts.items())),
            "reads": sum(counts.values())}
