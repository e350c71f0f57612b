"""Investigative searches benchmark: timeline, stakeout, convoy, locate and vehicle
attributes on the embedded store against a PostgreSQL baseline on the same reads.

    python -m bench.investigation_bench --reads 1000000
    python -m bench.investigation_bench --reads 100000000 --work /tmp/inv --phase load
    python -m bench.investigation_bench --work /tmp/inv --phase load-pg
    python -m bench.investigation_bench --work /tmp/inv --phase query
    python -m bench.investigation_bench --work /tmp/inv --phase drop

Streams N simulated reads into the read store and the same reads (regenerated from the same
seed and start) into PostgreSQL (B-trees on (plate, ts), (camera_id, ts) and ts), then asks
both the same questions, each question on the store and then on PostgreSQL in turn: a
timeline and a pattern of life of the simulator's vehicles of interest, convoys of the
planted convoy leaders over 30 days, and stakeouts of three 300 m circles around reads,
each ±1 h. Writes ``bench/results/investigations-<N>.json`` (medians and p99) and prints a
Markdown table. Without ``--work`` the data lives in a temporary directory and is deleted
afterwards; with it, the phases can run apart (loading 100 M reads takes long) and
``--phase drop`` deletes the store and the PostgreSQL schema.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa

from bench.baselines import PostgresBaseline
from bench.store_bench import PG_DSN
from bench.timing import machine, percentile, write_result
from plateledger.search import Filters, OwnerLimit, Scope
from plateledger.search.attributes import Vehicle, search_attributes
from plateledger.search.convoy import Convoy, search_convoy
from plateledger.search.locate import search_locate
from plateledger.search.stakeout import Stakeout, search_stakeout
from plateledger.search.timeline import search_timeline
from plateledger.sim import City, default_plan
from plateledger.store import ReadStore

WINDOW_S = 120
SCENE_M = 300.0


def _pg_schema(reads: int) -> str:
    """One PostgreSQL schema per size, so that two loaded sizes can stand side by side."""
    return f"bench_investigations_{reads}"


def _summary(samples: list[float]) -> dict[str, float]:
    samples = sorted(samples)
    return {
        "n": len(samples),
        "p50_ms": round(statistics.median(samples), 3),
        "p99_ms": round(percentile(samples, 99), 3),
    }


def _pg(base: PostgresBaseline, sql: str, params: tuple[Any, ...]) -> int:
    with base.conn.cursor() as cur:
        cur.execute(sql, params)
        return len(cur.fetchall())


def _pg_stakeout(base: PostgresBaseline, scenes: list[tuple[float, float, datetime]]) -> int:
    s = base.schema
    parts, params = [], []
    for i, (lat, lon, t) in enumerate(scenes):
        dlat = SCENE_M / 111_000
        parts.append(
            f"SELECT plate, {i} AS area FROM {s}.reads WHERE ts BETWEEN %s AND %s "
            "AND lat BETWEEN %s AND %s AND lon BETWEEN %s AND %s AND expires_at > now() "
            "AND 6371000 * 2 * asin(sqrt(power(sin(radians(lat - %s) / 2), 2) + "
            "cos(radians(%s)) * cos(radians(lat)) * power(sin(radians(lon - %s) / 2), 2))) "
            "<= %s"
        )
        params += [
            t - timedelta(hours=1),
            t + timedelta(hours=1),
            lat - dlat,
            lat + dlat,
            lon - 2 * dlat,
            lon + 2 * dlat,
            lat,
            lat,
            lon,
            SCENE_M,
        ]
    return _pg(
        base,
        f"SELECT plate, count(DISTINCT area) AS k FROM ({' UNION ALL '.join(parts)}) x "
        "GROUP BY plate HAVING count(DISTINCT area) >= 2 ORDER BY k DESC, plate "
        "LIMIT 100",
        tuple(params),
    )


def _pg_convoy(base: PostgresBaseline, plate: str, since: datetime, until: datetime) -> int:
    s = base.schema
    return _pg(
        base,
        f"WITH t AS (SELECT camera_id, ts FROM {s}.reads WHERE plate = %s "
        "AND ts BETWEEN %s AND %s AND expires_at > now()) "
        "SELECT c.plate, count(DISTINCT c.camera_id) AS places, count(*) AS co "
        f"FROM t JOIN {s}.reads c ON c.camera_id = t.camera_id "
        "AND c.ts BETWEEN t.ts - make_interval(secs => %s) "
        "AND t.ts + make_interval(secs => %s) "
        "WHERE c.plate <> %s AND c.expires_at > now() GROUP BY c.plate "
        "HAVING count(DISTINCT c.camera_id) >= 2 ORDER BY places DESC, co DESC LIMIT 100",
        (plate, since, until, WINDOW_S, WINDOW_S, plate),
    )


def _pg_timeline(base: PostgresBaseline, plate: str, since: datetime, until: datetime) -> int:
    return _pg(
        base,
        f"SELECT * FROM {base.schema}.reads WHERE plate = %s AND ts BETWEEN %s AND %s "
        "AND expires_at > now() ORDER BY ts LIMIT 1000",
        (plate, since, until),
    )


def _pg_locate(base: PostgresBaseline, plate: str, since: datetime, until: datetime) -> int:
    return _pg(
        base,
        "SELECT camera_id, extract(hour FROM ts AT TIME ZONE 'UTC') AS h, "
        "extract(isodow FROM ts AT TIME ZONE 'UTC') AS d, count(*), avg(lat), avg(lon) "
        f"FROM {base.schema}.reads WHERE plate = %s AND ts BETWEEN %s AND %s "
        "AND expires_at > now() GROUP BY 1, 2, 3",
        (plate, since, until),
    )


def _timed_pair(
    store_calls: list[Any], pg_calls: list[Any] | None
) -> tuple[dict[str, float], dict[str, float] | None]:
    """Each question on the store and then on PostgreSQL, interleaved, so that both see the
    same moment of a shared machine; medians and p99 over every run."""
    for call in store_calls[:2] + (pg_calls or [])[:2]:
        call()
    store_ms: list[float] = []
    pg_ms: list[float] = []
    for i, call in enumerate(store_calls):
        begin = time.perf_counter()
        call()
        store_ms.append((time.perf_counter() - begin) * 1000)
        if pg_calls:
            begin = time.perf_counter()
            pg_calls[i]()
            pg_ms.append((time.perf_counter() - begin) * 1000)
    return _summary(store_ms), (_summary(pg_ms) if pg_calls else None)


def _meta_path(work: Path) -> Path:
    return work / "meta.json"


def _city(reads: int) -> City:
    return City(default_plan(vehicles=max(20_000, reads // 100)))


def load_store(work: Path, reads: int, seed: int, days: float) -> dict[str, Any]:
    """Generate ``reads`` reads (streamed, never all in memory) into a store under ``work``
    and note what the questions need: the window's start and scenes sampled from the
    reads."""
    city = _city(reads)
    start = (datetime.now(UTC) - timedelta(days=days)).replace(microsecond=0)
    store = ReadStore.open(data_dir=work / "store")
    rng = random.Random(seed)
    scenes: list[tuple[float, float, str]] = []
    load_s = 0.0
    for batch in city.generate(seed, reads, start, days, batch_size=1_000_000):
        begin = time.perf_counter()
        store.insert_arrow(batch)
        load_s += time.perf_counter() - begin
        sample = batch.take(pa.array(rng.sample(range(batch.num_rows), 30)))
        scenes += [
            (float(la), float(lo), t.isoformat())
            for la, lo, t in zip(
                sample.column("lat").to_pylist(),
                sample.column("lon").to_pylist(),
                sample.column("ts").to_pylist(),
                strict=True,
            )
            if la == la
        ]
    begin = time.perf_counter()
    store.optimize()
    optimize_s = time.perf_counter() - begin
    store.close()
    meta = {
        "reads": reads,
        "seed": seed,
        "days": days,
        "start": start.isoformat(),
        "scenes": scenes,
        "store_load_reads_per_s": round(reads / load_s),
        "store_optimize_s": round(optimize_s, 1),
    }
    _meta_path(work).write_text(json.dumps(meta))
    return meta


def load_postgres(meta: dict[str, Any]) -> dict[str, Any]:
    """The same reads (regenerated from the same seed and start) into PostgreSQL, with
    B-trees on (plate, ts), (camera_id, ts) and ts."""
    city = _city(meta["reads"])
    schema = _pg_schema(meta["reads"])
    base = PostgresBaseline(PG_DSN, schema=schema)
    begin = time.perf_counter()
    base.load(
        city.generate(
            meta["seed"],
            meta["reads"],
            datetime.fromisoformat(meta["start"]),
            meta["days"],
            batch_size=1_000_000,
        )
    )
    load_s = time.perf_counter() - begin
    begin = time.perf_counter()
    with base.conn.cursor() as cur:
        cur.execute(f"CREATE INDEX ON {schema}.reads (plate, ts)")
        cur.execute(f"CREATE INDEX ON {schema}.reads (camera_id, ts)")
        cur.execute(f"CREATE INDEX ON {schema}.reads (ts)")
        cur.execute(f"ANALYZE {schema}.reads")
    index_s = time.perf_counter() - begin
    base.conn.close()
    return {"load_reads_per_s": round(meta["reads"] / load_s), "index_s": round(index_s, 1)}


class _Postgres:
    """A connection to the loaded baseline (the schema is left as it is)."""

    def __init__(self, reads: int) -> None:
        import psycopg

        self.conn = psycopg.connect(PG_DSN, autocommit=True)
        self.schema = _pg_schema(reads)

    def close(self) -> None:
        self.conn.close()


def drop_postgres(reads: int) -> None:
    import psycopg

    with psycopg.connect(PG_DSN, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute(f"DROP SCHEMA IF EXISTS {_pg_schema(reads)} CASCADE")


def run_questions(
    work: Path, meta: dict[str, Any], queries: int, *, baseline: bool
) -> dict[str, Any]:
    reads, days = meta["reads"], meta["days"]
    start = datetime.fromisoformat(meta["start"])
    until = start + timedelta(days=days)
    city = _city(reads)
    rng = random.Random(meta["seed"])
    scenes_pool = [(la, lo, datetime.fromisoformat(t)) for la, lo, t in meta["scenes"]]
    begin = time.perf_counter()
    # A store loaded before the camera-hours summary existed is summarised on this open.
    store = ReadStore.open(data_dir=work / "store")
    open_s = time.perf_counter() - begin
    truth = city.ground_truth()
    owners = Scope({a.id: OwnerLimit() for a in city.plan.agencies})
    window = Filters(since=start, until=until, limit=100)
    month = Filters(since=max(start, until - timedelta(days=30)), until=until, limit=100)
    tracked = [v.plate for v in truth.vehicles_of_interest] or [g[0] for g in truth.convoys]
    targets = [tracked[i % len(tracked)] for i in range(queries)]
    leaders = [g[0] for g in truth.convoys]
    convoy_targets = [leaders[i % len(leaders)] for i in range(queries)]
    stakeouts = [rng.sample(scenes_pool, 3) for _ in range(queries)]

    def stakeout_of(scenes: list[tuple[float, float, datetime]]) -> Stakeout:
        return Stakeout.model_validate(
            {
                "areas": [
                    {
                        "shape": "circle",
                        "lat": la,
                        "lon": lo,
                        "meters": SCENE_M,
                        "since": t - timedelta(hours=1),
                        "until": t + timedelta(hours=1),
                    }
                    for la, lo, t in scenes
                ],
                "min_areas": 2,
            }
        )

    convoy = Convoy(window_seconds=WINDOW_S, min_places=2)
    result: dict[str, Any] = {
        "reads": reads,
        "machine": machine(),
        "window_seconds": WINDOW_S,
        "scene_meters": SCENE_M,
        "queries_per_kind": queries,
        "store_load_reads_per_s": meta.get("store_load_reads_per_s"),
        "store_optimize_s": meta.get("store_optimize_s"),
        "store_open_s": round(open_s, 1),
    }
    found = sum(
        any(
            c.plate in g[1:]
            for c in search_convoy(store, g[0], convoy, owners, month).companions[:3]
        )
        for g in truth.convoys[:queries]
    )
    result["convoy_followers_found"] = f"{found}/{min(len(truth.convoys), queries)}"
    base = _Postgres(reads) if baseline else None
    store_q: dict[str, Any] = {}
    pg_q: dict[str, Any] = {}

    def pair(kind: str, store_calls: list[Any], pg_calls: list[Any] | None) -> None:
        s, p = _timed_pair(store_calls, pg_calls if base is not None else None)
        store_q[kind] = s
        if p is not None:
            pg_q[kind] = p

    b: Any = base
    pair(
        "timeline",
        [lambda p=p: search_timeline(store, p, owners, window) for p in targets],
        [lambda p=p: _pg_timeline(b, p, start, until) for p in targets],
    )
    pair(
        "stakeout",
        [
            lambda s=s: search_stakeout(store, stakeout_of(s), owners, Filters(limit=100))
            for s in stakeouts
        ],
        [lambda s=s: _pg_stakeout(b, s) for s in stakeouts],
    )
    pair(
        "convoy",
        [lambda p=p: search_convoy(store, p, convoy, owners, month) for p in convoy_targets],
        [lambda p=p: _pg_convoy(b, p, month.since or start, until) for p in convoy_targets],
    )
    pair(
        "locate",
        [lambda p=p: search_locate(store, p, owners, window) for p in targets],
        [lambda p=p: _pg_locate(b, p, start, until) for p in targets],
    )
    pair(
        "attributes",
        [
            lambda c=c: search_attributes(
                store,
                Vehicle(color=c),
                owners,
                Filters(since=until - timedelta(days=1), until=until, limit=100),
            )
            for c in ["red", "white", "black", "silver"] * (queries // 4 + 1)
        ],
        None,
    )
    store.close()
    result["store_queries"] = store_q
    if base is not None:
        base.close()
        result["postgresql"] = {"queries": pg_q}
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reads", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=20)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--days", type=float, default=30.0)
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument(
        "--work",
        type=Path,
        default=None,
        help="data directory (kept); reused when it holds a loaded store",
    )
    parser.add_argument(
        "--phase", choices=["all", "load", "load-pg", "query", "drop"], default="all"
    )
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="plateledger-inv-bench-"))
    meta = json.loads(_meta_path(work).read_text()) if _meta_path(work).exists() else None
    if args.phase == "drop":
        drop_postgres(meta["reads"] if meta else args.reads)
        shutil.rmtree(work, ignore_errors=True)
        return
    if args.phase in ("all", "load") and meta is None:
        meta = load_store(work, args.reads, args.seed, args.days)
        print(f"store loaded: {meta['store_load_reads_per_s']:,} reads/s", flush=True)
    if meta is None:
        raise SystemExit(f"no loaded store under {work}: run --phase load first")
    baseline = not args.skip_baseline
    if baseline and args.phase in ("all", "load-pg") and not meta.get("postgresql"):
        meta["postgresql"] = load_postgres(meta)
        _meta_path(work).write_text(json.dumps(meta))
        print(f"PostgreSQL loaded: {meta['postgresql']}", flush=True)
    if args.phase not in ("all", "query"):
        return
    result = run_questions(work, meta, args.queries, baseline=baseline)
    if baseline:
        result["postgresql"].update(meta.get("postgresql") or {})
    path = write_result(f"investigations-{meta['reads']}", result)
    print(markdown(result))
    print(f"\nwritten to {path}")
    if args.work is None:
        if baseline:
            drop_postgres(meta["reads"])
        shutil.rmtree(work, ignore_errors=True)


def markdown(r: dict[str, Any]) -> str:
    lines = [
        f"Investigative searches at {r['reads']:,} reads (median / p99 ms)",
        "",
        "| kind | plateledger | PostgreSQL | PostgreSQL ÷ plateledger (median) |",
        "|---|---|---|---|",
    ]
    pg = r.get("postgresql", {}).get("queries", {})
    for kind, q in r["store_queries"].items():
        b = pg.get(kind)
        base = f"{b['p50_ms']} / {b['p99_ms']}" if b else "—"
        ratio = f"{b['p50_ms'] / q['p50_ms']:.1f}×" if b and q["p50_ms"] else "—"
        lines.append(f"| {kind} | {q['p50_ms']} / {q['p99_ms']} | {base} | {ratio} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
