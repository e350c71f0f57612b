"""Stakeout: plates seen in at least k of N area-and-time windows."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Literal, Self

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from plateledger.read import to_utc_millis
from plateledger.search.convoy import EXCLUSION_STEPS
from plateledger.search.filters import MAX_PAGE, Filters
from plateledger.search.keyed import SHOWN_SQL, read_outs
from plateledger.search.reads import fetch_page
from plateledger.search.result import ReadOut, SearchPage
from plateledger.search.scope import Scope
from plateledger.store import ReadStore, StoreError
from plateledger.store.arrow import rows_to_reads
from plateledger.store.schema import CAMERA_HOURS, READ_IDENTITY, TIE

MAX_AREAS = 10
MAX_AREA_WINDOW = timedelta(days=7)
MAX_PLATES = 10_000
READ_CAP = 200_000
"""Up to this many reads inside the areas, they are fetched whole in one query and
grouped here; beyond it, the engine groups them and a second query fetches the page's
rows."""


class StakeoutError(ValueError):
    """A stakeout the engine will not run."""


class _Window(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    since: datetime
    until: datetime

    @field_validator("since", "until", mode="before")
    @classmethod
    def _time(cls, value: object) -> datetime:
        return to_utc_millis(value)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.since > self.until:
            raise ValueError("since must not be after until")
        if self.until - self.since > MAX_AREA_WINDOW:
            raise ValueError("an area's window may be at most 7 days")
        return self


class Circle(_Window):
    shape: Literal["circle"]
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    meters: float = Field(gt=0, le=100_000)

    def bounds(self) -> tuple[float, float, float, float]:
        """South, north, west, east of a box that holds the whole circle (with a margin
        for the engine's approximate distance); the whole longitude range near a pole."""
        arc = self.meters / 6_371_000 * 1.05
        dlat = math.degrees(arc) + 1e-4
        cos = math.cos(math.radians(self.lat))
        if cos <= 0.05 or math.sin(arc) >= cos:
            return self.lat - dlat, self.lat + dlat, -180.0, 180.0
        dlon = math.degrees(math.asin(math.sin(arc) / cos)) * 1.05 + 1e-4
        return self.lat - dlat, self.lat + dlat, self.lon - dlon, self.lon + dlon

    def sql(self) -> str:
        # The box around the circle first: two range checks on the float columns skip most
        # reads before the distance is computed.
        return (
            f"{_box_sql(self.bounds())} AND greatCircleDistance(lon, lat, {self.lon!r}, "
            f"{self.lat!r}) <= {self.meters!r}"
        )


def _box_sql(bounds: tuple[float, float, float, float]) -> str:
    south, north, west, east = bounds
    return f"lat BETWEEN {south!r} AND {north!r} AND lon BETWEEN {west!r} AND {east!r}"


class Box(_Window):
    shape: Literal["box"]
    south: float = Field(ge=-90, le=90)
    west: float = Field(ge=-180, le=180)
    north: float = Field(ge=-90, le=90)
    east: float = Field(ge=-180, le=180)

    @model_validator(mode="after")
    def _box(self) -> Self:
        if self.south > self.north or self.west > self.east:
            raise ValueError("a box needs south <= north and west <= east")
        return self

    def bounds(self) -> tuple[float, float, float, float]:
        return self.south, self.north, self.west, self.east

    def sql(self) -> str:
        return _box_sql(self.bounds())


class Polygon(_Window):
    shape: Literal["polygon"]
    points: list[
        tuple[Annotated[float, Field(ge=-90, le=90)], Annotated[float, Field(ge=-180, le=180)]]
    ] = Field(min_length=3, max_length=200, description="[lat, lon] corners")

    def bounds(self) -> tuple[float, float, float, float]:
        lats = [lat for lat, _ in self.points]
        lons = [lon for _, lon in self.points]
        return min(lats), max(lats), min(lons), max(lons)

    def sql(self) -> str:
        ring = ", ".join(f"({lon!r}, {lat!r})" for lat, lon in self.points)
        return (
            f"{_box_sql(self.bounds())} AND "
            f"pointInPolygon((toFloat64(lon), toFloat64(lat)), [{ring}])"
        )


Area = Annotated[Circle | Box | Polygon, Field(discriminator="shape")]


class Stakeout(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    areas: list[Area] = Field(min_length=1, max_length=MAX_AREAS)
    min_areas: int = Field(ge=1)

    @model_validator(mode="after")
    def _k(self) -> Self:
        if self.min_areas > len(self.areas):
            raise ValueError("min_areas may be at most the number of areas")
        return self


@dataclass(frozen=True)
class StakeoutPlate:
    plate: str
    areas_matched: list[int]
    reads: int


@dataclass(frozen=True)
class StakeoutResult:
    page: SearchPage
    plates: list[StakeoutPlate]
    total: int


def _area_sql(area: Circle | Box | Polygon, i: int, params: dict[str, object]) -> str:
    params[f"a{i}_s"] = area.since
    params[f"a{i}_u"] = area.until
    return (
        f"(camera_id IN {{a{i}_cams:Array(String)}} AND ts BETWEEN "
        f"{{a{i}_s:DateTime64(3, 'UTC')}} AND {{a{i}_u:DateTime64(3, 'UTC')}} "
        f"AND {area.sql()})"
    )


def _cameras(store: ReadStore, areas: list[Area]) -> list[list[str]]:
    """For each area, the cameras that read something inside its box in its hours (from
    the camera-hours summary): every read inside the area is at one of them.

    The summary's rows of the areas' hours come by key (an ``IN`` list of hours: one
    range per area in the condition cost the planner more than the rows); each area's
    hours and box are checked here."""
    hours: set[int] = set()
    for area in areas:
        first = int(area.since.timestamp()) // 3600 * 3600
        hours.update(range(first, int(area.until.timestamp()) + 1, 3600))
    rows = store.query(
        "SELECT toUInt32(hour) AS h, camera_id, south, north, west, east "
        f"FROM {{db}}.{CAMERA_HOURS} WHERE hour IN {{ch_hours:Array(DateTime('UTC'))}}",
        {"ch_hours": sorted(hours)},
    )
    if not rows.num_rows:
        return [[] for _ in areas]
    cameras = np.asarray(rows.column("camera_id").cast(pa.string()).to_pylist(), dtype=object)
    hour = rows.column("h").to_numpy().astype(np.int64)
    # float64 so that each bound is compared exactly, as the engine compares it
    south, north, west, east = (
        rows.column(c).to_numpy().astype(np.float64) for c in ("south", "north", "west", "east")
    )
    found: list[list[str]] = []
    for area in areas:
        s, n, w, e = area.bounds()
        inside = (
            (hour >= int(area.since.timestamp()) // 3600 * 3600)
            & (hour <= area.until.timestamp())
            & (north >= s)
            & (south <= n)
            & (east >= w)
            & (west <= e)
        )
        found.append(sorted(set(cameras[inside].tolist())))
    return found


def _grouped(
    inside: pa.Table, stakeout: Stakeout, scope: Scope, filters: Filters, empty: StakeoutResult,
    rows_offset: int,
) -> StakeoutResult:
    """The stakeout from the reads inside some area (whole rows, one column ``area_<i>`` a
    flag per area, in plate then time order): grouped by plate, ranked and paged as the
    engine would (`search_stakeout`)."""
    areas = len(stakeout.areas)
    flags = [f"area_{i}" for i in range(areas)]
    grouped = inside.group_by("plate", use_threads=False).aggregate(
        [(f, "max") for f in flags] + [("plate", "count")]
    )
    matched = np.column_stack(
        [np.asarray(grouped.column(f"{f}_max").to_numpy(zero_copy_only=False)) > 0 for f in flags]
    )
    counts = matched.sum(axis=1)
    ranked = pa.table(
        {
            "plate": grouped.column("plate"),
            "k": pa.array(counts, pa.int64()),
            "n": grouped.column("plate_count"),
            "row": pa.array(np.arange(grouped.num_rows), pa.int64()),
        }
    )
    ranked = ranked.filter(pc.greater_equal(ranked.column("k"), stakeout.min_areas))
    ranked = ranked.sort_by([("k", "descending"), ("plate", "ascending")])
    total = ranked.num_rows
    if not total:
        return empty
    page = ranked.slice(filters.offset, filters.limit)
    if not page.num_rows:
        return StakeoutResult(
            page=empty.page.model_copy(update={"total": total}), plates=[], total=total
        )
    plates = [
        StakeoutPlate(
            plate=p, areas_matched=[int(i) for i in np.flatnonzero(matched[row])], reads=int(n)
        )
        for p, n, row in zip(
            page.column("plate").to_pylist(),
            page.column("n").to_pylist(),
            page.column("row").to_pylist(),
            strict=True,
        )
    ]
    # The page's rows: the reads of its plates inside the areas, plate by plate in rank
    # order, then by time (``inside`` is in plate then time order; the sort is stable).
    on_page = inside.filter(pc.is_in(inside.column("plate"), value_set=page.column("plate")))
    rank = pc.index_in(on_page.column("plate"), value_set=page.column("plate"))
    order = np.argsort(np.asarray(rank.to_numpy(zero_copy_only=False)), kind="stable")
    rows = on_page.take(pa.array(order)).slice(rows_offset, MAX_PAGE).drop_columns(flags)
    return StakeoutResult(
        page=SearchPage(
            kind="stakeout",
            total=total,
            limit=filters.limit,
            offset=filters.offset,
            results=read_outs(rows, scope),
            candidates=[p.plate for p in plates],
        ),
        plates=plates,
        total=total,
    )


def _query(store: ReadStore, sql: str, params: dict[str, object]) -> pa.Table:
    """``store.query``, with a polygon the engine refuses (edges that cross, a ring that
    winds the wrong way for its shape) said as the request's fault: `StakeoutError`."""
    try:
        return store.query(sql, params)
    except StoreError as exc:
        if "Polygon is not valid" in str(exc):
            raise StakeoutError("a polygon is not valid (its edges cross or it doubles back "
                                "on itself): draw it again") from None
        raise


def search_stakeout(
    store: ReadStore, stakeout: Stakeout, scope: Scope, filters: Filters, *, rows_offset: int = 0
) -> StakeoutResult:
    """Plates in scope read inside at least ``min_areas`` of the areas, ranked by the
    number of areas matched then plate; one grouping query, paged over plates. The page's
    rows are the reads of those plates inside the areas, plate by plate in rank order, then
    by time: `MAX_PAGE` of them from ``rows_offset`` (an export pages through a plate with
    more reads than one page holds).

    The cameras that were in each area come first, from the camera-hours summary
    (`_cameras`); the reads are then fetched by camera and time from the ``(camera_id,
    ts)`` projection and tested against the area's exact shape. An area no camera was in
    matches nothing, and the search ends early when fewer than ``min_areas`` areas had
    a camera in them."""
    empty = StakeoutResult(
        page=SearchPage(
            kind="stakeout", total=0, limit=filters.limit, offset=filters.offset, results=[]
        ),
        plates=[],
        total=0,
    )
    if scope.is_empty():
        return empty
    params: dict[str, object] = {"k": stakeout.min_areas}
    conds = [_area_sql(a, i, params) for i, a in enumerate(stakeout.areas)]
    cameras = _cameras(store, stakeout.areas)
    if sum(1 for c in cameras if c) < stakeout.min_areas:
        return empty
    for i, cams in enumerate(cameras):
        params[f"a{i}_cams"] = cams
    flags = ", ".join(f"if({c}, {i}, -1)" for i, c in enumerate(conds))
    where = (
        f"{scope.sql(params)} AND expires_at > now() AND "
        f"({' OR '.join(c for c, cams in zip(conds, cameras, strict=True) if cams)})"
    )
    source = store.by_camera()
    budget = store.settings_clause(
        # the order is the main key's: reading in it would pass over the projection
        optimize_read_in_order=0,
        merge_tree_generic_exclusion_search_max_steps=EXCLUSION_STEPS,
    )
    params["rcap"] = READ_CAP + 1
    inside = _query(store,
        f"SELECT {SHOWN_SQL}, "
        f"{', '.join(f'toUInt8({c}) AS area_{i}' for i, c in enumerate(conds))} "
        f"FROM {source} WHERE {where} ORDER BY plate, ts, {TIE} "
        f"LIMIT 1 BY {READ_IDENTITY} LIMIT {{rcap:UInt32}}{budget}",
        params,
    )
    if inside.num_rows <= READ_CAP:
        # a capped owner's first reads in this order are all the ranking sees of it
        return _grouped(scope.within_caps(inside), stakeout, scope, filters, empty,
                        rows_offset)
    if scope.caps():
        raise StakeoutError(
            f"more than {READ_CAP} reads lie in the areas and an owner caps its reads per "
            "search: narrow the areas or their windows")
    params["lim"] = filters.limit
    params["off"] = filters.offset
    grouped = (
        "SELECT plate, arraySort(groupUniqArrayArray(matched)) AS areas, count() AS n, "
        "count() OVER () AS plates_total FROM ("
        f"SELECT plate, arrayFilter(x -> x >= 0, [{flags}]) AS matched FROM {source} "
        f"WHERE {where} LIMIT 1 BY {READ_IDENTITY}) "
        "GROUP BY plate HAVING length(areas) >= {k:UInt8}"
    )
    rows = store.query(
        f"{grouped} ORDER BY length(areas) DESC, plate LIMIT {{lim:UInt32}} "
        f"OFFSET {{off:UInt32}}{budget}",
        params,
    )
    if not rows.num_rows:
        if not filters.offset:
            return empty
        # A page past the last plate: the total still counts them all.
        counted = store.query(f"SELECT count() AS n FROM ({grouped}){budget}", params)
        total = int(counted.column("n")[0].as_py())
        return StakeoutResult(
            page=empty.page.model_copy(update={"total": total}), plates=[], total=total
        )
    total = int(rows.column("plates_total")[0].as_py())
    plates = [
        StakeoutPlate(plate=p, areas_matched=[int(x) for x in a], reads=int(n))
        for p, a, n in zip(
            rows.column("plate").to_pylist(),
            rows.column("areas").to_pylist(),
            rows.column("n").to_pylist(),
            strict=True,
        )
    ]
    params["page_plates"] = [p.plate for p in plates]
    # The areas' whole time span, implied by the area conditions: it narrows each plate's
    # range of the sort key (plate, ts) to the stakeout's hours.
    params["span_from"] = min(a.since for a in stakeout.areas)
    params["span_to"] = max(a.until for a in stakeout.areas)
    inside = Filters(limit=MAX_PAGE, offset=rows_offset)
    read_rows, _ = fetch_page(
        store,
        scope,
        inside,
        f"plate IN {{page_plates:Array(String)}} AND ts BETWEEN "
        f"{{span_from:DateTime64(3, 'UTC')}} AND {{span_to:DateTime64(3, 'UTC')}} AND {where}",
        params,
        order="indexOf({page_plates:Array(String)}, plate), ts, " + TIE,
    )
    reads = rows_to_reads(read_rows) if read_rows.num_rows else []
    page = SearchPage(
        kind="stakeout",
        total=total,
        limit=filters.limit,
        offset=filters.offset,
        results=[ReadOut.from_read(r, images=scope.shows_images_of(r)) for r in reads],
        candidates=[p.plate for p in plates],
    )
    return StakeoutResult(page=page, plates=plates, total=total)
