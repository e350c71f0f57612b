"""Convoy: vehicles that travelled with a target plate, ranked by co-occurrence."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field

from plateledger.plates import normalize_plate
from plateledger.search.filters import Filters
from plateledger.search.result import SearchPage
from plateledger.search.scope import Scope
from plateledger.store import ReadStore
from plateledger.store.schema import READ_IDENTITY

MAX_WINDOW = timedelta(days=31)
MAX_TARGET_READS = 5_000


class ConvoyError(ValueError):
    """A convoy search without the bounds that keep it from reading everything."""


class Convoy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    window_seconds: int = Field(default=120, ge=1, le=3600)
    min_places: int = Field(default=2, ge=1, le=1000)


@dataclass(frozen=True)
class Companion:
    plate: str
    places: int
    co_occurrences: int
    first_seen: datetime
    last_seen: datetime


@dataclass(frozen=True)
class ConvoyResult:
    page: SearchPage
    companions: list[Companion]
    total: int


def search_convoy(
    store: ReadStore, plate: str, convoy: Convoy, scope: Scope, filters: Filters
) -> ConvoyResult:
    """Plates read at the target's cameras within ``window_seconds`` of the target at at
    least ``min_places`` distinct cameras, ranked by places then co-occurrences.

    The target's reads come from the plate index; the companions' from the
    ``(camera_id, ts)`` projection, one join on camera with the time difference checked.
    Only reads of owners in scope count, on both sides.
    """
    if filters.since is None or filters.until is None:
        raise ConvoyError("a convoy search needs both `since` and `until`")
    if filters.until - filters.since > MAX_WINDOW:
        raise ConvoyError("a convoy search window may be at most 31 days")
    target = normalize_plate(plate)
    empty = ConvoyResult(
        page=SearchPage(kind="convoy", total=0, limit=filters.limit, offset=filters.offset,
                        results=[]),
        companions=[], total=0,
    )
    if not target or scope.is_empty():
        return empty
    params: dict[str, object] = {"c_plate": target, "dt": convoy.window_seconds * 1000,
                                 "k": convoy.min_places, "tcap": MAX_TARGET_READS,
                                 "lim": filters.limit, "off": filters.offset}
    scope_sql = scope.sql(params)
    t_where = f"plate = {{c_plate:String}} AND {scope_sql} AND {filters.sql(params)}"
    targets = store.query(
        f"SELECT DISTINCT camera_id, ts FROM {{db}}.reads WHERE {t_where} "
        "ORDER BY ts LIMIT {tcap:UInt32}",
        params,
    )
    if not targets.num_rows:
        return empty
    params["t_cams"] = sorted(set(targets.column("camera_id").to_pylist()))
    times = targets.column("ts").to_pylist()
    params["t_lo"] = min(times) - timedelta(seconds=convoy.window_seconds)
    params["t_hi"] = max(times) + timedelta(seconds=convoy.window_seconds)
    rows = store.query(
        "WITH t AS (SELECT camera_id, ts FROM {db}.reads WHERE " + t_where + " "
        "ORDER BY ts LIMIT {tcap:UInt32}), "
        "c AS (SELECT plate, camera_id, ts FROM {db}.reads WHERE "
        "camera_id IN {t_cams:Array(String)} "
        "AND ts BETWEEN {t_lo:DateTime64(3, 'UTC')} AND {t_hi:DateTime64(3, 'UTC')} "
        "AND plate != {c_plate:String} AND expires_at > now() AND " + scope_sql + " "
        f"LIMIT 1 BY {READ_IDENTITY}) "
        "SELECT c.plate AS plate, uniqExact(c.camera_id) AS places, count() AS co, "
        "min(c.ts) AS first_seen, max(c.ts) AS last_seen, count() OVER () AS companions_total "
        "FROM c INNER JOIN t ON c.camera_id = t.camera_id "
        "WHERE abs(toUnixTimestamp64Milli(c.ts) - toUnixTimestamp64Milli(t.ts)) <= {dt:UInt32} "
        "GROUP BY c.plate HAVING places >= {k:UInt32} "
        "ORDER BY places DESC, co DESC, plate LIMIT {lim:UInt32} OFFSET {off:UInt32}",
        params,
    )
    if not rows.num_rows:
        return empty
    total = int(rows.column("companions_total")[0].as_py())
    companions = [
        Companion(plate=p, places=int(pl), co_occurrences=int(co), first_seen=f, last_seen=la)
        for p, pl, co, f, la in zip(
            *(rows.column(c).to_pylist()
              for c in ("plate", "places", "co", "first_seen", "last_seen")),
            strict=True,
        )
    ]
    page = SearchPage(kind="convoy", total=total, limit=filters.limit, offset=filters.offset,
                      results=[], candidates=[c.plate for c in companions])
    return ConvoyResult(page=page, companions=companions, total=total)
