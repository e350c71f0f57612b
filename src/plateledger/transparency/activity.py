"""What the read store and the hit records hold of an agency's devices over a report's
period: when each reader collected (hours of the day in the agency's zone, days, reads),
how many distinct plates were read, and how many hits each device's reads gave.

The store keeps reads only as long as the retention policy allows: a report written after
the purge counts what is left, and says from which day the store holds the agency's reads
(`Holdings.note`). The hit records are the ``hotlist_hits`` table of the catalog database
(`plateledger.hotlist.schema`; read here by its name, as the store's reads are, and held
to that schema by tests/transparency/test_activity.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, inspect, text

from plateledger.store import ReadStore
from plateledger.store.schema import READ_IDENTITY, READS
from plateledger.transparency.figures import Figure
from plateledger.transparency.reports import Holdings, Period

__all__ = [
    "HIT_RECORDS_TABLE",
    "holdings",
    "hour_ranges",
    "matches_per_device",
    "readers_active",
]

HIT_RECORDS_TABLE = "hotlist_hits"

_WHERE = (
    "WHERE owner_id = {owner:UInt32} AND ts >= {since:DateTime64(3, 'UTC')} "
    "AND ts < {until:DateTime64(3, 'UTC')}"
)


def hour_ranges(hours: Iterable[int]) -> str:
    """Hours of the day as ranges of clock time, each end excluded:
    ``[0, 1, 2, 7, 23]`` → ``00:00-03:00, 07:00-08:00, 23:00-24:00``."""
    runs: list[list[int]] = []
    for h in sorted(set(hours)):
        if runs and runs[-1][1] == h:
            runs[-1][1] = h + 1
        else:
            runs.append([h, h + 1])
    return ", ".join(f"{a:02d}:00-{b:02d}:00" for a, b in runs)


def readers_active(store: ReadStore, owner_id: int, period: Period, zone: str) -> Figure:
    """Per camera of ``owner_id``: the hours of the day (in ``zone``) in which it recorded
    reads during ``period``, how many such hours, on how many days, and its reads."""
    since, until = period.bounds(zone)
    table = store.query(
        "SELECT camera_id, groupUniqArray(toHour(ts, {zone:String})) AS hours, "
        "uniqExact(toDate(ts, {zone:String})) AS days, "
        f"uniqExact({READ_IDENTITY}) AS reads FROM {{db}}.{READS} {_WHERE} "
        "GROUP BY camera_id ORDER BY camera_id",
        {"owner": owner_id, "since": since, "until": until, "zone": zone},
    )
    rows = tuple(
        (
            str(r["camera_id"]),
            hour_ranges(r["hours"]),
            len(set(r["hours"])),
            int(r["days"]),
            int(r["reads"]),
        )
        for r in table.to_pylist()
    )
    return Figure(
        "readers_active",
        f"Hours of the day each reader collected data ({zone})",
        ("camera", "hours_active", "hours", "days_active", "reads"),
        rows,
    )


def _plates(
    store: ReadStore, owner_id: int, period: Period, zone: str
) -> tuple[int, int, datetime | None]:
    """Distinct plates and reads of the period, and its first read's time (None: none)."""
    since, until = period.bounds(zone)
    table = store.query(
        f"SELECT uniqExact(plate) AS plates, uniqExact({READ_IDENTITY}) AS reads, "
        f"min(ts) AS first FROM {{db}}.{READS} {_WHERE}",
        {"owner": owner_id, "since": since, "until": until},
    )
    row = table.to_pylist()[0]
    first = row["first"] if row["reads"] else None
    if isinstance(first, datetime) and first.tzinfo is None:
        first = first.replace(tzinfo=UTC)
    return int(row["plates"]), int(row["reads"]), first


def _held_before(store: ReadStore, owner_id: int, period: Period, zone: str) -> bool:
    """Whether the store holds any read of ``owner_id`` from before the period (the scan
    stops at the first one found)."""
    since, _ = period.bounds(zone)
    table = store.query(
        f"SELECT count() AS n FROM (SELECT 1 FROM {{db}}.{READS} "
        "WHERE owner_id = {owner:UInt32} AND ts < {since:DateTime64(3, 'UTC')} LIMIT 1)",
        {"owner": owner_id, "since": since},
    )
    return bool(table.column("n")[0].as_py())


def matches_per_device(engine: Engine, owner_id: int, period: Period, zone: str) -> Figure:
    """Per camera of ``owner_id``: the hits on its reads delivered during ``period`` that
    the hit records still hold."""
    rows: tuple[tuple[str, int], ...] = ()
    if inspect(engine).has_table(HIT_RECORDS_TABLE):
        since, until = period.bounds(zone)
        with engine.connect() as conn:
            found = conn.execute(
                text(
                    f"SELECT camera_id, count(*) FROM {HIT_RECORDS_TABLE} "
                    "WHERE read_owner_id = :owner AND created_at >= :since "
                    "AND created_at < :until GROUP BY camera_id ORDER BY camera_id"
                ),
                {"owner": owner_id, "since": _millis(since), "until": _millis(until)},
            )
            rows = tuple((str(camera), int(n)) for camera, n in found)
    return Figure("matches_per_device", "Matches (hits) per device", ("camera", "matches"), rows)


def _millis(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _note(period: Period, zone: str, held_from: datetime | None) -> str | None:
    first, _ = period.bounds(zone)
    if held_from is None:
        return (
            "the read store holds no read of this agency from this period or before it: "
            "any reads of the period were deleted under the retention policy before this "
            "report and are not counted"
        )
    if held_from > first:
        day = held_from.astimezone(ZoneInfo(zone)).date().isoformat()
        return (
            f"the read store holds this agency's reads from {day} on: reads of the "
            "period before that, if any, were deleted under the retention policy and "
            "are not counted"
        )
    return None


def holdings(
    store: ReadStore, hits_engine: Engine, owner_id: int, period: Period, zone: str
) -> Holdings:
    """Everything a report takes from the read store and the hit records."""
    plates, reads, first = _plates(store, owner_id, period, zone)
    complete = _held_before(store, owner_id, period, zone)
    held_from = period.bounds(zone)[0] if complete else first
    return Holdings(
        readers=readers_active(store, owner_id, period, zone),
        plates=plates,
        reads=reads,
        held_from=held_from,
        note=_note(period, zone, held_from),
        matches_per_device=matches_per_device(hits_engine, owner_id, period, zone),
    )
