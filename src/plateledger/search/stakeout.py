"""Stakeout: plates seen in at least k of N area-and-time windows."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from plateledger.read import to_utc_millis
from plateledger.search.filters import MAX_PAGE, Filters
from plateledger.search.reads import fetch_page
from plateledger.search.result import ReadOut, SearchPage
from plateledger.search.scope import Scope
from plateledger.store import ReadStore
from plateledger.store.arrow import rows_to_reads
from plateledger.store.schema import READ_IDENTITY

MAX_AREAS = 10
MAX_AREA_WINDOW = timedelta(days=7)
MAX_PLATES = 10_000


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

    def sql(self) -> str:
        # A box around the circle first: two range checks on the float columns skip most
        # reads before the distance is computed (the box holds the whole circle).
        dlat = self.meters / 110_000 + 1e-4
        cos = math.cos(math.radians(self.lat))
        box = f"lat BETWEEN {self.lat - dlat!r} AND {self.lat + dlat!r} AND "
        if cos > 0.05:
            dlon = dlat / cos
            box += f"lon BETWEEN {self.lon - dlon!r} AND {self.lon + dlon!r} AND "
        return (f"{box}greatCircleDistance(lon, lat, {self.lon!r}, {self.lat!r}) "
                f"<= {self.meters!r}")


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

    def sql(self) -> str:
        return (f"lat BETWEEN {self.south!r} AND {self.north!r} "
                f"AND lon BETWEEN {self.west!r} AND {self.east!r}")


class Polygon(_Window):
    shape: Literal["polygon"]
    points: list[tuple[Annotated[float, Field(ge=-90, le=90)],
                       Annotated[float, Field(ge=-180, le=180)]]] = Field(
        min_length=3, max_length=200, description="[lat, lon] corners"
    )

    def sql(self) -> str:
        ring = ", ".join(f"({lon!r}, {lat!r})" for lat, lon in self.points)
        return f"pointInPolygon((toFloat64(lon), toFloat64(lat)), [{ring}])"


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
    return (f"(ts BETWEEN {{a{i}_s:DateTime64(3, 'UTC')}} AND {{a{i}_u:DateTime64(3, 'UTC')}} "
            f"AND {area.sql()})")


def search_stakeout(
    store: ReadStore, stakeout: Stakeout, scope: Scope, filters: Filters
) -> StakeoutResult:
    """Plates in scope read inside at least ``min_areas`` of the areas, ranked by the
    number of areas matched then plate; one grouping query, paged over plates. The page's
    rows are the reads of those plates inside the areas."""
    empty = StakeoutResult(
        page=SearchPage(kind="stakeout", total=0, limit=filters.limit,
                        offset=filters.offset, results=[]),
        plates=[], total=0,
    )
    if scope.is_empty():
        return empty
    params: dict[str, object] = {"k": stakeout.min_areas}
    conds = [_area_sql(a, i, params) for i, a in enumerate(stakeout.areas)]
    flags = ", ".join(f"if({c}, {i}, -1)" for i, c in enumerate(conds))
    where = f"{scope.sql(params)} AND expires_at > now() AND ({' OR '.join(conds)})"
    params["lim"] = filters.limit
    params["off"] = filters.offset
    grouped = (
        "SELECT plate, arraySort(groupUniqArrayArray(matched)) AS areas, count() AS n, "
        "count() OVER () AS plates_total FROM ("
        f"SELECT plate, arrayFilter(x -> x >= 0, [{flags}]) AS matched FROM {{db}}.reads "
        f"WHERE {where} LIMIT 1 BY {READ_IDENTITY}) "
        "GROUP BY plate HAVING length(areas) >= {k:UInt8}"
    )
    rows = store.query(
        f"{grouped} ORDER BY length(areas) DESC, plate LIMIT {{lim:UInt32}} "
        "OFFSET {off:UInt32}",
        params,
    )
    if not rows.num_rows:
        if not filters.offset:
            return empty
        # A page past the last plate: the total still counts them all.
        counted = store.query(f"SELECT count() AS n FROM ({grouped})", params)
        total = int(counted.column("n")[0].as_py())
        return StakeoutResult(page=empty.page.model_copy(update={"total": total}),
                              plates=[], total=total)
    total = int(rows.column("plates_total")[0].as_py())
    plates = [
        StakeoutPlate(plate=p, areas_matched=[int(x) for x in a], reads=int(n))
        for p, a, n in zip(rows.column("plate").to_pylist(), rows.column("areas").to_pylist(),
                           rows.column("n").to_pylist(), strict=True)
    ]
    params["page_plates"] = [p.plate for p in plates]
    # The areas' whole time span, implied by the area conditions: it narrows each plate's
    # range of the sort key (plate, ts) to the stakeout's hours.
    params["span_from"] = min(a.since for a in stakeout.areas)
    params["span_to"] = max(a.until for a in stakeout.areas)
    inside = Filters(limit=MAX_PAGE)
    read_rows, _ = fetch_page(
        store, scope, inside,
        f"plate IN {{page_plates:Array(String)}} AND ts BETWEEN "
        f"{{span_from:DateTime64(3, 'UTC')}} AND {{span_to:DateTime64(3, 'UTC')}} AND {where}",
        params, order="plate, ts, read_id, owner_id",
    )
    reads = rows_to_reads(read_rows) if read_rows.num_rows else []
    page = SearchPage(
        kind="stakeout", total=total, limit=filters.limit, offset=filters.offset,
        results=[ReadOut.from_read(r, images=scope.images_allowed(r.owner_id)) for r in reads],
        candidates=[p.plate for p in plates],
    )
    return StakeoutResult(page=page, plates=plates, total=total)
