"""`drop_in_zones`: reads inside an owner's active zone are split off and counted."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from plateledger.catalog.geometry import Area
from plateledger.catalog.zones import ActiveZone
from plateledger.ingest.enrich import drop_in_zones, zone_drop_fields
from plateledger.read import PlateRead

NOW = datetime(2026, 3, 1, tzinfo=UTC)
SCHOOL = ActiveZone(1, "wa-sb6002-sensitive-location",
                    Area(centre=(47.6, -122.3), radius_m=100))
COURT = ActiveZone(2, "agency-zone-2", Area(polygon=((47.7, -122.4), (47.7, -122.39),
                                                     (47.71, -122.39))))


def read(owner: int, lat: float | None, lon: float | None, plate: str = "ABC123") -> PlateRead:
    return PlateRead(
        read_id=uuid.uuid4(), owner_id=owner, origin_state="WA", camera_id="cam", ts=NOW,
        plate_raw=plate, plate=plate, plate_key=plate, region="WA", confidence=0.9,
        lat=lat, lon=lon, received_at=NOW, expires_at=NOW + timedelta(days=1),
    )


def test_reads_in_a_zone_of_their_own_owner_are_dropped_and_counted_per_rule() -> None:
    reads = list(enumerate([
        read(1, 47.6, -122.3), read(1, 47.7001, -122.3999), read(1, 47.65, -122.3),
        read(2, 47.6, -122.3), read(1, None, None),
    ]))
    kept, dropped, counts = drop_in_zones(reads, lambda owner: (SCHOOL, COURT)
                                          if owner == 1 else ())
    assert [i for i, _ in kept] == [2, 3, 4] and [i for i, _ in dropped] == [0, 1]
    assert counts == {1: {"wa-sb6002-sensitive-location": 1, "agency-zone-2": 1}}
    fields = zone_drop_fields("spd", counts[1])
    assert fields == {"owner_agency": "spd", "reads": 2, "counts": {
        "agency-zone-2": 1, "wa-sb6002-sensitive-location": 1}}
