"""Convoy: vehicles that travelled with a target plate, ranked by co-occurrence."""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel, ConfigDict, Field

from plateledger.plates import normalize_plate
from plateledger.search.filters import MAX_PAGE, Filters
from plateledger.search.keyed import SHOWN_SQL, read_outs
from plateledger.search.result import ReadOut, SearchPage
from plateledger.search.scope import Scope
from plateledger.store import ReadStore
from plateledger.store.arrow import rows_to_reads
from plateledger.store.schema import READ_IDENTITY, READ_SELECT, TIE

MAX_WINDOW = timedelta(days=31)
MAX_TARGET_READS = 5_000
CANDIDATE_CAP = 200_000
"""Up to this many reads in the target's places and buckets, the companions are paired and
grouped here from one query of whole rows; beyond it, the engine groups them and a second
query fetches the page's rows."""


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


TIME = "DateTime64(3, 'UTC')"

EXCLUSION_STEPS = 5000
"""Index checks ClickHouse may spend per part on a key condition it cannot read as one
range. The companions' set names the projection's key, but the planner also analyses the
main key ``(plate, ts, …)`` against it, which without a budget took ~195 ms of ~210 at
100 M reads; with 5,000 steps the projection still narrows to the same granules. A budget
only ever widens what is read, never the answer."""


def bucket_seconds(around: timedelta) -> int:
    """The width of the time buckets companions are looked up by: a minute for windows up
    to five minutes, ten minutes beyond (at most ~13 buckets a target read)."""
    return 60 if around <= timedelta(minutes=5) else 600


def places_and_buckets(
    targets: list[tuple[str, datetime]], around: timedelta
) -> tuple[list[str], list[datetime]]:
    """Every (camera, time bucket) a companion read must fall in: the buckets that overlap
    ``±around`` of a target read, at its camera; as two parallel lists, sorted."""
    width = bucket_seconds(around)
    found: set[tuple[str, datetime]] = set()
    for camera, ts in targets:
        lo = (ts - around).timestamp()
        first = int(lo // width) * width
        last = (ts + around).timestamp()
        while first <= last:
            found.add((camera, datetime.fromtimestamp(first, UTC)))
            first += width
    ordered = sorted(found)
    return [c for c, _ in ordered], [b for _, b in ordered]


def search_convoy(
    store: ReadStore, plate: str, convoy: Convoy, scope: Scope, filters: Filters,
    *, rows_offset: int = 0,
) -> ConvoyResult:
    """Plates read at the target's cameras within ``window_seconds`` of the target at at
    least ``min_places`` distinct cameras, ranked by places then co-occurrences (pairs of a
    companion's read and a target read at one camera within the window).

    The target's reads come from the plate index (the sort key). The companions' reads are
    fetched only in the (camera, time bucket) pairs around the target's reads
    (`places_and_buckets`): an IN set over the ``(camera_id, ts)`` projection's key, read
    from the projection itself (`ReadStore.by_camera`), so the engine reads those granules
    only. They are paired with the target's reads for the exact time check. Only reads of
    owners in scope count, on both sides; retried copies count once. The page's rows are
    the companions' reads at the shared places (those of the page's companions that paired
    with a target read), companion by companion in rank order, then by time: `MAX_PAGE` of
    them from ``rows_offset`` (an export pages through a companion with more reads than one
    page holds).
    """
    if filters.since is None or filters.until is None:
        raise ConvoyError("a convoy search needs both `since` and `until`")
    if filters.until - filters.since > MAX_WINDOW:
        raise ConvoyError("a convoy search window may be at most 31 days")
    target = normalize_plate(plate)
    empty = ConvoyResult(
        page=SearchPage(
            kind="convoy", total=0, limit=filters.limit, offset=filters.offset, results=[]
        ),
        companions=[],
        total=0,
    )
    if not target or scope.is_empty():
        return empty
    params: dict[str, object] = {
        "c_plate": target,
        "dt": convoy.window_seconds * 1000,
        "k": convoy.min_places,
        "tcap": MAX_TARGET_READS,
        "lim": filters.limit,
        "off": filters.offset,
    }
    scope_sql = scope.sql(params)
    t_where = f"plate = {{c_plate:String}} AND {scope_sql} AND {filters.sql(params)}"
    targets = store.query(
        f"SELECT camera_id, ts, owner_id, stored_id FROM {{db}}.reads WHERE {t_where} "
        f"ORDER BY ts, {TIE} LIMIT 1 BY {READ_IDENTITY} LIMIT {{tcap:UInt32}}",
        params,
    )
    # A capped owner's reads count against its cap on both sides: its first reads of the
    # target, then its first companions' reads (time order), up to the cap in all.
    targets = scope.within_caps(targets)
    if not targets.num_rows:
        return empty
    t_cams = [str(c) for c in targets.column("camera_id").to_pylist()]
    t_times = targets.column("ts").to_pylist()
    params["t_cams"] = t_cams
    params["t_ts"] = t_times
    around = timedelta(seconds=convoy.window_seconds)
    by_camera: dict[str, list[datetime]] = {}
    for camera, ts in zip(t_cams, t_times, strict=True):
        by_camera.setdefault(camera, []).append(ts)
    for times in by_camera.values():
        times.sort()
    params["w_cams"], params["w_buckets"] = places_and_buckets(
        list(zip(t_cams, t_times, strict=True)), around
    )
    # Key ranges of the (camera_id, ts) projection: the set of (camera, bucket) pairs.
    width = bucket_seconds(around)
    near = (
        f"(camera_id, toStartOfInterval(ts, INTERVAL {width} SECOND)) IN (SELECT "
        f"arrayJoin(arrayZip({{w_cams:Array(String)}}, arrayMap(b -> toStartOfInterval("
        f"b, INTERVAL {width} SECOND), {{w_buckets:Array({TIME})}}))))"
    )
    # The target's reads as a table: (camera_id, ts) pairs from two parallel arrays.
    t_sql = (
        f"SELECT tupleElement(p, 1) AS camera_id, tupleElement(p, 2) AS ts FROM "
        f"(SELECT arrayJoin(arrayZip({{t_cams:Array(String)}}, "
        f"{{t_ts:Array({TIME})}})) AS p)"
    )
    budget = store.settings_clause(merge_tree_generic_exclusion_search_max_steps=EXCLUSION_STEPS)
    source = store.by_camera()
    params["ccap"] = CANDIDATE_CAP + 1
    candidates = store.query(
        f"SELECT {SHOWN_SQL} FROM {source} WHERE {near} "
        f"AND plate != {{c_plate:String}} AND expires_at > now() AND {scope_sql} "
        f"ORDER BY ts, {TIE} LIMIT 1 BY {READ_IDENTITY} LIMIT {{ccap:UInt32}}{budget}",
        params,
    )
    if candidates.num_rows <= CANDIDATE_CAP:
        used = Counter(targets.column("owner_id").to_pylist())
        return _paired(scope.within_caps(candidates, used), targets, convoy, scope, filters,
                       empty, rows_offset)
    if scope.caps():
        raise ConvoyError(
            f"more than {CANDIDATE_CAP} reads lie around the target's and an owner caps its "
            "reads per search: narrow the window")
    grouped = (
        f"WITH t AS ({t_sql}), c AS (SELECT plate, camera_id, ts FROM {source} "
        f"WHERE {near} AND plate != {{c_plate:String}} AND expires_at > now() "
        f"AND {scope_sql} LIMIT 1 BY {READ_IDENTITY}) "
        "SELECT c.plate AS plate, uniqExact(c.camera_id) AS places, count() AS co, "
        "min(c.ts) AS first_seen, max(c.ts) AS last_seen, count() OVER () AS companions_total "
        "FROM c INNER JOIN t ON c.camera_id = t.camera_id "
        "WHERE abs(toUnixTimestamp64Milli(c.ts) - toUnixTimestamp64Milli(t.ts)) <= {dt:UInt32} "
        "GROUP BY c.plate HAVING places >= {k:UInt32}"
    )
    rows = store.query(
        f"{grouped} ORDER BY places DESC, co DESC, plate LIMIT {{lim:UInt32}} "
        f"OFFSET {{off:UInt32}}{budget}",
        params,
    )
    if not rows.num_rows:
        if not filters.offset:
            return empty
        # A page past the last companion: the total still counts them all.
        counted = store.query(f"SELECT count() AS n FROM ({grouped}){budget}", params)
        total = int(counted.column("n")[0].as_py())
        return ConvoyResult(
            page=empty.page.model_copy(update={"total": total}), companions=[], total=total
        )
    total = int(rows.column("companions_total")[0].as_py())
    companions = [
        Companion(plate=p, places=int(pl), co_occurrences=int(co), first_seen=f, last_seen=la)
        for p, pl, co, f, la in zip(
            *(
                rows.column(c).to_pylist()
                for c in ("plate", "places", "co", "first_seen", "last_seen")
            ),
            strict=True,
        )
    ]
    page = SearchPage(
        kind="convoy",
        total=total,
        limit=filters.limit,
        offset=filters.offset,
        results=_companion_reads(store, companions, near, scope, params, by_camera, around,
                                 skip=rows_offset),
        candidates=[c.plate for c in companions],
    )
    return ConvoyResult(page=page, companions=companions, total=total)


def _paired(
    candidates: pa.Table,
    targets: pa.Table,
    convoy: Convoy,
    scope: Scope,
    filters: Filters,
    empty: ConvoyResult,
    rows_offset: int,
) -> ConvoyResult:
    """The convoy from the companions' candidate reads (the key and camera of every read
    in the target's places and buckets, in time order) and the target's reads: each
    candidate is paired with the target reads at its camera within the window by binary
    search over (camera, time) keys, and the paired reads are grouped by plate, ranked and
    paged as the engine would (`search_convoy`)."""
    dt = convoy.window_seconds * 1000
    places = pa.array(sorted(set(targets.column("camera_id").cast(pa.string()).to_pylist())))
    t_code = pc.index_in(targets.column("camera_id").cast(pa.string()), value_set=places)
    t_ms = targets.column("ts").cast(pa.int64()).to_numpy()
    c_cams = candidates.column("camera_id").cast(pa.string())
    c_code = pc.index_in(c_cams, value_set=places)
    c_ms = candidates.column("ts").cast(pa.int64()).to_numpy()
    known = np.asarray(c_code.is_valid().to_numpy(zero_copy_only=False), dtype=np.bool_)
    base = int(min(t_ms.min(), c_ms.min() if len(c_ms) else t_ms.min())) - dt
    span = int(max(t_ms.max(), c_ms.max() if len(c_ms) else t_ms.max())) - base + dt + 1
    t_keys = np.sort(
        np.asarray(t_code.to_numpy(zero_copy_only=False), np.int64) * span + (t_ms - base)
    )
    c_keys = np.asarray(c_code.fill_null(0).to_numpy(zero_copy_only=False), np.int64) * span + (
        c_ms - base
    )
    pairs = np.searchsorted(t_keys, c_keys + dt, side="right") - np.searchsorted(
        t_keys, c_keys - dt, side="left"
    )
    pairs[~known] = 0
    paired_at = np.flatnonzero(pairs > 0)
    # Grouped on the four columns it needs; the whole rows are taken for the page only.
    at = pa.array(paired_at)
    paired = pa.table(
        {
            "plate": candidates.column("plate").take(at),
            "camera_id": c_cams.take(at),
            "ts": candidates.column("ts").take(at),
            "pairs": pa.array(pairs[paired_at], pa.int64()),
        }
    )
    ranked = paired.group_by("plate", use_threads=False).aggregate(
        [("camera_id", "count_distinct"), ("pairs", "sum"), ("ts", "min"), ("ts", "max")]
    )
    ranked = pa.table(
        {
            "plate": ranked.column("plate"),
            "places": ranked.column("camera_id_count_distinct"),
            "co": ranked.column("pairs_sum"),
            "first_seen": ranked.column("ts_min"),
            "last_seen": ranked.column("ts_max"),
        }
    )
    ranked = ranked.filter(pc.greater_equal(ranked.column("places"), convoy.min_places))
    ranked = ranked.sort_by(
        [("places", "descending"), ("co", "descending"), ("plate", "ascending")]
    )
    total = ranked.num_rows
    if not total:
        return empty
    page = ranked.slice(filters.offset, filters.limit)
    if not page.num_rows:
        return ConvoyResult(
            page=empty.page.model_copy(update={"total": total}), companions=[], total=total
        )
    companions = [
        Companion(plate=p, places=int(pl), co_occurrences=int(co), first_seen=f, last_seen=la)
        for p, pl, co, f, la in zip(
            *(
                page.column(c).to_pylist()
                for c in ("plate", "places", "co", "first_seen", "last_seen")
            ),
            strict=True,
        )
    ]
    # The page's rows: its companions' paired reads, companion by companion in rank order,
    # then in time order (the candidates' order), at most MAX_PAGE.
    rank = pc.index_in(paired.column("plate"), value_set=page.column("plate"))
    on_page = np.flatnonzero(np.asarray(rank.is_valid().to_numpy(zero_copy_only=False)))
    ranks = np.asarray(rank.fill_null(0).to_numpy(zero_copy_only=False))[on_page]
    chosen = on_page[np.lexsort((on_page, ranks))][rows_offset : rows_offset + MAX_PAGE]
    rows = candidates.take(pa.array(paired_at[chosen]))
    return ConvoyResult(
        page=SearchPage(
            kind="convoy",
            total=total,
            limit=filters.limit,
            offset=filters.offset,
            results=read_outs(rows, scope),
            candidates=[c.plate for c in companions],
        ),
        companions=companions,
        total=total,
    )


def _companion_reads(
    store: ReadStore,
    companions: list[Companion],
    near: str,
    scope: Scope,
    params: dict[str, object],
    targets: dict[str, list[datetime]],
    around: timedelta,
    *,
    skip: int = 0,
) -> list[ReadOut]:
    """The reads of ``companions`` (one page of them) that paired with a target read
    (``targets``: each camera's target read times, sorted), at most `MAX_PAGE` after the
    first ``skip``: by plate (the sort key) inside the windows, each checked against the
    target's reads."""
    params["page_plates"] = [c.plate for c in companions]
    rows = store.query(
        f"SELECT {READ_SELECT} FROM {{db}}.reads WHERE plate IN {{page_plates:Array(String)}} "
        f"AND {near} "
        f"AND expires_at > now() AND {scope.sql(params)} "
        f"ORDER BY indexOf({{page_plates:Array(String)}}, plate), ts, {TIE} "
        f"LIMIT 1 BY {READ_IDENTITY}"
        + store.settings_clause(merge_tree_generic_exclusion_search_max_steps=EXCLUSION_STEPS),
        params,
    )
    out: list[ReadOut] = []
    for read in rows_to_reads(rows) if rows.num_rows else []:
        times = targets.get(read.camera_id, [])
        i = bisect_left(times, read.ts - around)
        if i < len(times) and times[i] <= read.ts + around:
            if skip:
                skip -= 1
                continue
            out.append(ReadOut.from_read(read, images=scope.shows_images_of(read)))
            if len(out) == MAX_PAGE:
                break
    return out
