"""Read-store benchmark: the embedded store against PostgreSQL and SQLite baselines.

    python -m bench.store_bench --reads 10000000        # the documented default
    python -m bench.store_bench --reads 100000000 --skip-baselines --name store_100m

Builds N simulated reads, loads them in bulk, then answers the same workload of exact,
wildcard, fuzzy and camera-window searches on each store. Writes
``bench/results/store.json`` and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import resource
import shutil
import tempfile
import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa

from bench.baselines import COLUMNS, PostgresBaseline, SQLiteBaseline
from bench.timing import RESULTS, latencies_ms, machine, write_result
from plateledger.search import (
    Filters,
    OwnerLimit,
    Scope,
    search_area,
    search_exact,
    search_fuzzy,
    search_wildcard,
)
from plateledger.search.stakeout import Stakeout, search_stakeout
from plateledger.sim import City, default_plan
from plateledger.store import ReadStore

PG_DSN = "postgresql://postgres@127.0.0.1:5432/test"
SCENE_M = 300.0  # a stakeout's circles, as in the investigation benchmark
Scene = tuple[float, float, datetime]


def sample_scenes(batch: pa.Table, rng: random.Random, k: int = 30) -> list[Scene]:
    """Places and moments of ``k`` of a batch's reads: the stakeouts' scenes."""
    sample = batch.take(pa.array(rng.sample(range(batch.num_rows), min(k, batch.num_rows))))
    return [
        (float(la), float(lo), t)
        for la, lo, t in zip(sample.column("lat").to_pylist(), sample.column("lon").to_pylist(),
                             sample.column("ts").to_pylist(), strict=True)
        if la is not None and la == la
    ]


def stakeout_of(scenes: list[Scene]) -> Stakeout:
    """Three circles of 300 m, each an hour either side of its read: plates in two of them."""
    return Stakeout.model_validate({
        "areas": [{"shape": "circle", "lat": la, "lon": lo, "meters": SCENE_M,
                   "since": t - timedelta(hours=1), "until": t + timedelta(hours=1)}
                  for la, lo, t in scenes],
        "min_areas": 2,
    })


def peak_rss_mb() -> float:
    """This process's peak resident memory so far (chDB runs inside it), in MiB."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def disk_bytes(path: Path) -> int:
    """Every byte under the store's data directory: parts, logs and metadata."""
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def build(
    n: int, seed: int, days: float, *, keep: bool, vehicles: int | None = None
) -> tuple[City, Iterable[pa.Table], datetime]:
    """The city and its reads: kept in memory when the baselines will load the same
    batches, else generated while they are loaded (100 M reads do not fit in memory).
    ``vehicles``: the city's fleet, by default one vehicle for every 100 reads (a
    fleet's routes are built in memory: 10 M vehicles do not fit in 24 GiB)."""
    vehicles = vehicles or max(20_000, n // 100)
    city = City(default_plan(vehicles=vehicles))
    start = datetime.now(UTC) - timedelta(days=days)
    batches: Iterable[pa.Table] = city.generate(seed, n, start, days, batch_size=1_000_000)
    return city, (list(batches) if keep else batches), start


def store_workload(
    store: ReadStore, workload: list[dict[str, Any]], scope: Scope,
    stakeouts: list[list[Scene]] | None = None,
) -> dict[str, Any]:
    filters = Filters(limit=100)
    by_kind: dict[str, list[Any]] = {"exact": [], "wildcard": [], "fuzzy": [], "camera": []}
    by_kind["stakeout"] = [
        lambda s=stakeout_of(scenes): search_stakeout(store, s, scope, filters)
        for scenes in stakeouts or []
    ]
    for q in workload:
        kind = q["kind"]
        if kind == "exact":
            by_kind[kind].append(lambda q=q: search_exact(store, q["plate"], scope, filters))
        elif kind == "wildcard":
            by_kind[kind].append(lambda q=q: search_wildcard(store, q["pattern"], scope, filters))
        elif kind == "fuzzy":
            by_kind[kind].append(lambda q=q: search_fuzzy(store, q["plate"], scope, filters))
        elif kind == "camera":
            window = Filters(
                since=datetime.fromisoformat(q["start"]), until=datetime.fromisoformat(q["end"]),
                cameras=(q["camera_id"],), limit=100,
            )
            by_kind[kind].append(lambda w=window: search_area(store, scope, w))
    return {kind: latencies_ms(calls) for kind, calls in by_kind.items() if calls}


def raw_workload(store: ReadStore, workload: list[dict[str, Any]]) -> dict[str, Any]:
    """The baselines' own SQL for exact lookups and camera windows, run on the read store:
    the engine compared with the engines, without plateledger's search path (policy scope,
    duplicate collapse, totals and result models) that `store_workload` times."""
    by_kind: dict[str, list[Any]] = {"exact": [], "camera": []}
    # the baselines' columns (their tables hold no others), less the confusion key, which
    # no camera window shows and the camera projection does not hold
    columns = ", ".join(c for c in COLUMNS if c != "plate_key")
    for q in workload:
        if q["kind"] == "exact":
            by_kind["exact"].append(lambda q=q: store.query(
                f"SELECT {columns} FROM {{db}}.reads WHERE plate = {{p:String}} "
                "AND expires_at > now() "
                "ORDER BY ts DESC LIMIT 100", {"p": q["plate"]}).num_rows)
        elif q["kind"] == "camera":
            by_kind["camera"].append(lambda q=q: store.query(
                f"SELECT {columns} FROM {{db}}.reads WHERE camera_id = {{c:String}} AND ts BETWEEN "
                "{s:DateTime64(3, 'UTC')} AND {e:DateTime64(3, 'UTC')} AND expires_at > now() "
                "ORDER BY ts DESC LIMIT 100",
                {"c": q["camera_id"], "s": datetime.fromisoformat(q["start"]),
                 "e": datetime.fromisoformat(q["end"])}).num_rows)
    return {kind: latencies_ms(calls) for kind, calls in by_kind.items() if calls}


def baseline_workload(base: Any, workload: list[dict[str, Any]]) -> dict[str, Any]:
    by_kind: dict[str, list[Any]] = {"exact": [], "wildcard": [], "fuzzy": [], "camera": []}
    for q in workload:
        kind = q["kind"]
        if kind == "exact":
            by_kind[kind].append(lambda q=q: base.exact(q["plate"]))
        elif kind == "wildcard":
            by_kind[kind].append(lambda q=q: base.wildcard(q["pattern"]))
        elif kind == "fuzzy":
            by_kind[kind].append(lambda q=q: base.fuzzy(q["plate"]))
        elif kind == "camera":
            by_kind[kind].append(lambda q=q: base.camera_window(
                q["camera_id"], datetime.fromisoformat(q["start"]),
                datetime.fromisoformat(q["end"])))
    return {kind: latencies_ms(calls) for kind, calls in by_kind.items() if calls}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reads", type=int, default=10_000_000)
    parser.add_argument("--queries", type=int, default=400)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--days", type=float, default=30.0)
    parser.add_argument("--vehicles", type=int, default=None,
                        help="the simulated city's vehicles (default: one per 100 reads)")
    parser.add_argument("--skip-baselines", action="store_true")
    parser.add_argument("--work", type=Path, default=None, help="scratch directory")
    parser.add_argument("--name", default="store",
                        help="results file under bench/results (e.g. store_100m)")
    parser.add_argument("--requery", action="store_true",
                        help="with --skip-baselines and --work: run the searches again on the "
                             "store an earlier run left there, keeping its load figures")
    args = parser.parse_args()
    if args.requery:
        requery(args)
        return

    work = args.work or Path(tempfile.mkdtemp(prefix="plateledger-bench-"))
    shutil.rmtree(work / "store", ignore_errors=True)
    result: dict[str, Any] = {"reads": args.reads, "machine": machine()}
    if args.vehicles:
        result["vehicles"] = args.vehicles

    print(f"generating {args.reads:,} reads …", flush=True)
    city, batches, start = build(args.reads, args.seed, args.days, keep=not args.skip_baselines,
                                 vehicles=args.vehicles)
    workload = city.search_workload(args.seed + 1, args.queries, start=start, days=args.days)

    store = ReadStore.open(data_dir=work / "store")
    print("bulk loading the read store …", flush=True)
    load_s = gen_s = 0.0
    rng = random.Random(args.seed + 2)
    scenes: list[Scene] = []
    source = iter(batches)
    loaded = 0
    while True:
        begin = time.perf_counter()
        batch = next(source, None)
        gen_s += time.perf_counter() - begin
        if batch is None:
            break
        begin = time.perf_counter()
        store.insert_arrow(batch)
        load_s += time.perf_counter() - begin
        scenes += sample_scenes(batch, rng)
        loaded += batch.num_rows
        if loaded % 50_000_000 < batch.num_rows:
            print(f"  {loaded:,} reads loaded, {loaded / load_s:,.0f} reads/s", flush=True)
    result["peak_rss_mib_after_load"] = peak_rss_mb()
    if isinstance(batches, list):  # generated up front: time it again, alone
        begin = time.perf_counter()
        for _ in city.generate(args.seed, args.reads, start, args.days, batch_size=1_000_000):
            pass
        gen_s = time.perf_counter() - begin
    result["generate_reads_per_s"] = round(args.reads / gen_s)
    result["store_bulk_reads_per_s"] = round(args.reads / load_s)
    begin = time.perf_counter()
    store.optimize()
    result["store_optimize_s"] = round(time.perf_counter() - begin, 1)
    result["peak_rss_mib_after_optimize"] = peak_rss_mb()
    result["store_disk_bytes"] = disk_bytes(work / "store")
    usage = store.disk_usage()
    # reads of one camera, plate and millisecond are one read (their derived id is one)
    result["stored_reads"] = store.count(include_expired=True)
    result["store_bytes"] = usage
    result["store_bytes_per_read"] = round(usage.get("reads", 0) / args.reads, 2)
    result["store_bytes_per_read_with_dictionary"] = round(sum(usage.values()) / args.reads, 2)
    owners = {a.id: OwnerLimit() for a in city.plan.agencies}
    print("querying the read store …", flush=True)
    stakeouts = [rng.sample(scenes, 3) for _ in range(max(1, args.queries // 8))]
    result["store_queries"] = store_workload(store, workload, Scope(owners), stakeouts)
    result["store_raw_queries"] = raw_workload(store, workload)
    result["peak_rss_mib_after_queries"] = peak_rss_mb()
    store.close()

    if not args.skip_baselines:
        for base in (PostgresBaseline(PG_DSN), SQLiteBaseline(work / "baseline.sqlite")):
            print(f"loading the {base.name} baseline …", flush=True)
            begin = time.perf_counter()
            base.load(batches)
            load_s = time.perf_counter() - begin
            begin = time.perf_counter()
            base.build_indexes()
            index_s = time.perf_counter() - begin
            result[base.name] = {
                "load_reads_per_s": round(args.reads / load_s),
                "index_build_s": round(index_s, 1),
                "bytes_per_read": round(base.bytes_on_disk() / args.reads, 2),
                "queries": baseline_workload(base, workload),
            }
            base.close()
            gc.collect()

    path = write_result(args.name, result)
    print(markdown(result))
    print(f"\nwritten to {path}")


def requery(args: argparse.Namespace) -> None:
    """Time the searches again on a kept store (a quiet machine for the latency figures)."""
    if not (args.skip_baselines and args.work):
        raise SystemExit("--requery needs --skip-baselines and the --work of the earlier run")
    path = RESULTS / f"{args.name}.json"
    result = json.loads(path.read_text())
    if result["reads"] != args.reads:
        raise SystemExit(f"{path} is for {result['reads']:,} reads, not {args.reads:,}")
    city, _, start = build(args.reads, args.seed, args.days, keep=False, vehicles=args.vehicles)
    workload = city.search_workload(args.seed + 1, args.queries, start=start, days=args.days)
    store = ReadStore.open(data_dir=args.work / "store")
    stored = result.get("stored_reads", args.reads)
    if store.count(include_expired=True) != stored:
        raise SystemExit(f"the store under {args.work} does not hold {stored:,} reads")
    owners = {a.id: OwnerLimit() for a in city.plan.agencies}
    print("querying the read store …", flush=True)
    result["store_queries"] = store_workload(store, workload, Scope(owners))
    result["store_raw_queries"] = raw_workload(store, workload)
    result["queried"] = machine()
    store.close()
    write_result(args.name, result)
    print(markdown(result))


def markdown(r: dict[str, Any]) -> str:
    lines = [
        f"Read store, {r['reads']:,} simulated reads ({r['machine']['cpus']} CPUs, "
        f"{r['machine']['when']})",
        "",
        "| measure | plateledger (chDB) | PostgreSQL | SQLite |",
        "|---|---|---|---|",
    ]

    def base(name: str, key: str) -> str:
        return str(r.get(name, {}).get(key, "—"))

    lines.append(
        f"| bulk load, reads/s | {r['store_bulk_reads_per_s']:,} | "
        f"{base('postgresql', 'load_reads_per_s')} | {base('sqlite', 'load_reads_per_s')} |"
    )
    lines.append(
        f"| bytes per read on disk | {r['store_bytes_per_read']} "
        f"({r['store_bytes_per_read_with_dictionary']} with the fuzzy dictionary) | "
        f"{base('postgresql', 'bytes_per_read')} | {base('sqlite', 'bytes_per_read')} |"
    )
    for kind, label in (("exact", "exact lookup"), ("wildcard", "wildcard"),
                        ("fuzzy", "fuzzy"), ("camera", "camera window"),
                        ("stakeout", "stakeout, 3 circles of 300 m ± 1 h")):
        ours = r["store_queries"].get(kind)
        if not ours:
            continue
        cells = [f"{ours['p50_ms']} / {ours['p99_ms']}"]
        for name in ("postgresql", "sqlite"):
            other = r.get(name, {}).get("queries", {}).get(kind)
            if other:
                ratio = other["p50_ms"] / ours["p50_ms"] if ours["p50_ms"] else float("nan")
                cells.append(f"{other['p50_ms']} / {other['p99_ms']} (×{ratio:.2g})")
            else:
                cells.append("—")
        lines.append(f"| {label}, p50 / p99 ms | " + " | ".join(cells) + " |")
        raw = r.get("store_raw_queries", {}).get(kind)
        if raw:
            cells = [f"{raw['p50_ms']} / {raw['p99_ms']}"]
            for name in ("postgresql", "sqlite"):
                other = r.get(name, {}).get("queries", {}).get(kind)
                ratio = other["p50_ms"] / raw["p50_ms"] if other and raw["p50_ms"] else None
                cells.append("—" if ratio is None else f"(×{ratio:.2g})")
            lines.append(f"| {label}, the baselines' SQL on chDB | " + " | ".join(cells) + " |")
    lines.append(
        "\n×N: the baseline's median divided by plateledger's (higher means plateledger is "
        "faster). plateledger's rows time the whole search path (policy scope, duplicate "
        "collapse, totals, result models); the baselines run one SQL query without totals, "
        "and the 'baselines' SQL' rows run that same query on chDB. Baseline fuzzy search is "
        "what its indexes allow (trigram similarity or folded-key equality), not the same "
        "ranking."
    )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
