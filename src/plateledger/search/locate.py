"""Pattern of life: where and when one plate is usually seen."""

from __future__ import annotations

from dataclasses import dataclass

from plateledger.plates import normalize_plate
from plateledger.search.filters import Filters
from plateledger.search.scope import Scope
from plateledger.store import ReadStore
from plateledger.store.schema import READ_IDENTITY, TIE

MAX_PLACES = 50


@dataclass(frozen=True)
class Place:
    camera_id: str
    lat: float | None
    lon: float | None
    reads: int


@dataclass(frozen=True)
class Pattern:
    """Reads of one plate by UTC hour of day, by weekday (Monday = 0), and by camera."""

    total: int
    by_hour: list[int]
    by_weekday: list[int]
    places: list[Place]


def search_locate(store: ReadStore, plate: str, scope: Scope, filters: Filters) -> Pattern:
    """The plate's pattern of life over the reads in scope and window (one query)."""
    target = normalize_plate(plate)
    if not target or scope.is_empty():
        return Pattern(total=0, by_hour=[0] * 24, by_weekday=[0] * 7, places=[])
    params: dict[str, object] = {"l_plate": target}
    where = f"plate = {{l_plate:String}} AND {scope.sql(params)} AND {filters.sql(params)}"
    # A capped owner counts with its first reads only (`Scope.capped`), as a timeline's.
    order = f"ts, {TIE}"
    reads = scope.capped(
        f"SELECT camera_id, ts, lat, lon, owner_id, stored_id FROM {{db}}.reads WHERE {where} "
        f"ORDER BY {order} LIMIT 1 BY {READ_IDENTITY}", order, params)
    rows = store.query(
        "SELECT camera_id, toHour(ts) AS h, toDayOfWeek(ts) - 1 AS d, count() AS n, "
        f"avg(lat) AS lat, avg(lon) AS lon FROM ({reads}) GROUP BY camera_id, h, d",
        params,
    )
    by_hour, by_weekday = [0] * 24, [0] * 7
    places: dict[str, list[float]] = {}
    for camera, hour, day, n, lat, lon in zip(
        *(rows.column(c).to_pylist() for c in ("camera_id", "h", "d", "n", "lat", "lon")),
        strict=True,
    ):
        by_hour[int(hour)] += int(n)
        by_weekday[int(day)] += int(n)
        place = places.setdefault(camera, [0.0, lat, lon])
        place[0] += int(n)
    ranked = sorted(places.items(), key=lambda item: (-item[1][0], item[0]))[:MAX_PLACES]
    return Pattern(
        total=sum(by_hour),
        by_hour=by_hour,
        by_weekday=by_weekday,
        places=[
            Place(camera, None if lat != lat else round(lat, 6),
                  None if lon != lon else round(lon, 6), int(n))
            for camera, (n, lat, lon) in ranked
        ],
    )
