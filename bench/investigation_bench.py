"""Investigative searches benchmark: timeline, stakeout, convoy, locate and vehicle
attributes on the embedded store against a PostgreSQL baseline on the same reads.

    python -m bench.investigation_bench --reads 1000000

Loads N simulated reads into the read store and into PostgreSQL (B-trees on (plate, ts),
(camera_id, ts) and ts), then runs the same questions on both: a timeline and a pattern of
life of the simulator's vehicles of interest, convoys of the planted convoy leaders over
the whole window, and stakeouts of three 300 m circles around reads, each ±1 h. Writes
``bench/results/investigations-<N>.json`` and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa

from bench.baselines import PostgresBaseline
from bench.store_bench import PG_DSN, build
from bench.timing import machine, percentile, write_result
from plateledger.search import Filters, OwnerLimit, Scope
from plateledger.search.attributes import Vehicle, search_attributes
from plateledger.search.convoy import Convoy, search_convoy
from plateledger.search.locate import search_locate
from plateledger.search.stakeout import Stakeout, search_stakeout
from plateledger.search.timeline import search_timeline
from plateledger.store import ReadStore

WINDOW_S = 120
SCENE_M = 300.0


def _summary(samples: list[float]) -> dict[str, float]:
    samples = sorted(samples)
    return {"n": len(samples), "p50_ms": round(percentile(samples, 50), 3),
            "p90_ms": round(percentile(samples, 90), 3)}


def _timed(calls: list[Any]) -> dict[str, float]:
    for call in calls[:2]:
        call()
    samples = []
    for call in calls:
        begin = time.perf_counter()
        call()
        samples.append((time.perf_counter() - begin) * 1000)
    return _summary(samples)


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
            "<= %s")
        params += [t - timedelta(hours=1), t + timedelta(hours=1), lat - dlat, lat + dlat,
                   lon - 2 * dlat, lon + 2 * dlat, lat, lat, lon, SCENE_M]
    return _pg(base,
               f"SELECT plate, count(DISTINCT area) AS k FROM ({' UNION ALL '.join(parts)}) x "
               "GROUP BY plate HAVING count(DISTINCT area) >= 2 ORDER BY k DESC, plate "
               "LIMIT 100", tuple(params))


def _pg_convoy(base: PostgresBaseline, plate: str, since: datetime, until: datetime) -> int:
    s = base.schema
    return _pg(base,
               f"WITH t AS (SELECT camera_id, ts FROM {s}.reads WHERE plate = %s "
               "AND ts BETWEEN %s AND %s AND expires_at > now()) "
               "SELECT c.plate, count(DISTINCT c.camera_id) AS places, count(*) AS co "
               f"FROM t JOIN {s}.reads c ON c.camera_id = t.camera_id "
               "AND c.ts BETWEEN t.ts - make_interval(secs => %s) "
               "AND t.ts + make_interval(secs => %s) "
               "WHERE c.plate <> %s AND c.expires_at > now() GROUP BY c.plate "
               "HAVING count(DISTINCT c.camera_id) >= 2 ORDER BY places DESC, co DESC LIMIT 100",
               (plate, since, until, WINDOW_S, WINDOW_S, plate))


def _pg_timeline(base: PostgresBaseline, plate: str, since: datetime, until: datetime) -> int:
    return _pg(base,
               f"SELECT * FROM {base.schema}.reads WHERE plate = %s AND ts BETWEEN %s AND %s "
               "AND expires_at > now() ORDER BY ts LIMIT 1000", (plate, since, until))


def _pg_locate(base: PostgresBaseline, plate: str, since: datetime, until: datetime) -> int:
    return _pg(base,
               "SELECT camera_id, extract(hour FROM ts AT TIME ZONE 'UTC') AS h, "
               "extract(isodow FROM ts AT TIME ZONE 'UTC') AS d, count(*), avg(lat), avg(lon) "
               f"FROM {base.schema}.reads WHERE plate = %s AND ts BETWEEN %s AND %s "
               "AND expires_at > now() GROUP BY 1, 2, 3", (plate, since, until))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reads", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=20)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--days", type=float, default=30.0)
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--work", type=Path, default=None)
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="plateledger-inv-bench-"))
    result: dict[str, Any] = {"reads": args.reads, "machine": machine(),
                              "window_seconds": WINDOW_S, "scene_meters": SCENE_M}
    city, batches, start = build(args.reads, args.seed, args.days,
                                 keep=not args.skip_baseline)
    until = start + timedelta(days=args.days)
    store = ReadStore.open(data_dir=work / "store")
    rng = random.Random(args.seed)
    scenes_pool: list[tuple[float, float, datetime]] = []
    load_s = 0.0
    for batch in batches:
        begin = time.perf_counter()
        store.insert_arrow(batch)
        load_s += time.perf_counter() - begin
        sample = batch.take(pa.array(rng.sample(range(batch.num_rows), 30)))
        scenes_pool += [
            (float(la), float(lo), t) for la, lo, t in zip(
                sample.column("lat").to_pylist(), sample.column("lon").to_pylist(),
                sample.column("ts").to_pylist(), strict=True) if la == la]
    result["store_load_reads_per_s"] = round(args.reads / load_s)
    store.optimize()
    truth = city.ground_truth()
    owners = Scope({a.id: OwnerLimit() for a in city.plan.agencies})
    window = Filters(since=start, until=until, limit=100)
    month = Filters(since=max(start, until - timedelta(days=30)), until=until, limit=100)
    tracked = [v.plate for v in truth.vehicles_of_interest] or [g[0] for g in truth.convoys]
    targets = [tracked[i % len(tracked)] for i in range(args.queries)]
    leaders = [g[0] for g in truth.convoys]
    convoy_targets = [leaders[i % len(leaders)] for i in range(args.queries)]
    stakeouts = [rng.sample(scenes_pool, 3) for _ in range(args.queries)]

    def stakeout_of(scenes: list[tuple[float, float, datetime]]) -> Stakeout:
        return Stakeout.model_validate({"areas": [
            {"shape": "circle", "lat": la, "lon": lo, "meters": SCENE_M,
             "since": t - timedelta(hours=1), "until": t + timedelta(hours=1)}
            for la, lo, t in scenes], "min_areas": 2})

    convoy = Convoy(window_seconds=WINDOW_S, min_places=2)
    found = sum(
        any(c.plate in g[1:] for c in search_convoy(store, g[0], convoy, owners,
                                                     month).companions[:3])
        for g in truth.convoys[: args.queries])
    result["convoy_followers_found"] = f"{found}/{min(len(truth.convoys), args.queries)}"
    result["store_queries"] = {
        "timeline": _timed([lambda p=p: search_timeline(store, p, owners, window)
                            for p in targets]),
        "stakeout": _timed([lambda s=s: search_stakeout(store, stakeout_of(s), owners,
                                                        Filters(limit=100))
                            for s in stakeouts]),
        "convoy": _timed([lambda p=p: search_convoy(store, p, convoy, owners, month)
                          for p in convoy_targets]),
        "locate": _timed([lambda p=p: search_locate(store, p, owners, window)
                          for p in targets]),
        "attributes": _timed([lambda c=c: search_attributes(
            store, Vehicle(color=c), owners,
            Filters(since=until - timedelta(days=1), until=until, limit=100))
            for c in ["red", "white", "black", "silver"] * (args.queries // 4 + 1)]),
    }
    store.close()
    if not args.skip_baseline:
        base = PostgresBaseline(PG_DSN, schema="bench_investigations")
        begin = time.perf_counter()
        base.load(batches)
        pg_load = time.perf_counter() - begin
        base.build_indexes()
        with base.conn.cursor() as cur:
            cur.execute(f"CREATE INDEX ON {base.schema}.reads (ts)")
            cur.execute(f"ANALYZE {base.schema}.reads")
        result["postgresql"] = {
            "load_reads_per_s": round(args.reads / pg_load),
            "queries": {
                "timeline": _timed([lambda p=p: _pg_timeline(base, p, start, until)
                                    for p in targets]),
                "stakeout": _timed([lambda s=s: _pg_stakeout(base, s) for s in stakeouts]),
                "convoy": _timed([lambda p=p: _pg_convoy(base, p, month.since or start, until)
                                  for p in convoy_targets]),
                "locate": _timed([lambda p=p: _pg_locate(base, p, start, until)
                                  for p in targets]),
            },
        }
        base.close()
    path = write_result(f"investigations-{args.reads}", result)
    print(markdown(result))
    print(f"\nwritten to {path}")


def markdown(r: dict[str, Any]) -> str:
    lines = [f"Investigative searches at {r['reads']:,} reads (p50 / p90 ms)", "",
             "| kind | plateledger | PostgreSQL | ratio (p50) |", "|---|---|---|---|"]
    pg = r.get("postgresql", {}).get("queries", {})
    for kind, q in r["store_queries"].items():
        b = pg.get(kind)
        base = f"{b['p50_ms']} / {b['p90_ms']}" if b else "—"
        ratio = f"{b['p50_ms'] / q['p50_ms']:.1f}×" if b and q["p50_ms"] else "—"
        lines.append(f"| {kind} | {q['p50_ms']} / {q['p90_ms']} | {base} | {ratio} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
