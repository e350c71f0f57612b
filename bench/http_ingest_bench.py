"""Durable HTTP ingest: batches of 1,000 native reads posted to a real server.

    python -m bench.http_ingest_bench --batches 300 --clients 8 --hotlist-entries 1000000

Every batch is acknowledged only after its INSERT (fsynced) returned, so the figure is
durable reads per second. The server is run twice on fresh data: first with a hot list of
``--hotlist-entries`` plates loaded (one posted read in ``--hit-every`` is of a listed
plate, so each run raises hits and alerts as a real deployment does), then with no list,
the baseline of the same process; the hits stored are counted after each run. Writes
``bench/results/http_ingest.json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, func, select

from bench.timing import machine, write_result
from plateledger.catalog import open_catalog
from plateledger.demo import seed_catalog
from plateledger.hotlist import HotlistStore
from plateledger.hotlist.schema import hotlist_hits
from plateledger.settings import Settings
from plateledger.sim import City, default_plan


def start_server(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    env = {"PLATELEDGER_REQUIRE_TOTP": "false"}
    import os

    with (data_dir / "server.log").open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "plateledger.cli.main", "serve", "--data-dir", str(data_dir),
             "--port", str(port)],
            stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **env},
        )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/v1/audit/checkpoint", timeout=2).is_success:
                return process
        except httpx.TransportError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError("server did not start")


def plate_of(k: int) -> str:
    letters = "ABCDEFGHJKLMNPRSTUVWXYZ"
    middle = letters[k % 23] + letters[(k // 23) % 23] + letters[(k // 529) % 23]
    return f"{k % 9 + 1}{middle}{k % 1000:03d}"


def listed_plate(i: int) -> str:
    """The ``i``-th plate of the hot list: nine characters, two more than any posted plate,
    so that no posted plate is within the matcher's one edit of a listed one, and spread
    over the space of such plates (a multiplicative hash, one to one), so that a listed
    plate has hardly a listed neighbour: only the planted reads hit, and each about once.
    (With seven-character plates over half of the posted reads were one confusable edit
    from one of the million listed, and with consecutive ones each planted read hit ~45
    neighbours: the run measured alerting, not ingest.)"""
    letters = "ABCDEFGHJKLMNPRSTUVWXYZ"
    j = (i * 2_654_435_761) % (529 * 10_000_000)
    return f"{letters[j % 23]}{letters[(j // 23) % 23]}{j // 529:07d}"


def batches(camera_ids: list[str], n_batches: int, size: int, hit_every: int) -> list[bytes]:
    """Pre-encoded bodies, so the client's own JSON work is not measured; one read in
    ``hit_every`` is of a listed plate (none with 0)."""
    now = int(time.time() * 1000)
    out = []
    for b in range(n_batches):
        items = []
        for i in range(size):
            k = b * size + i
            hit = hit_every and k % hit_every == 0
            plate = listed_plate(k // hit_every) if hit else plate_of(k)
            items.append({"camera_id": camera_ids[k % len(camera_ids)], "ts": now - k,
                          "plate": plate, "confidence": 0.9, "region": "CA"})
        out.append(json.dumps(items).encode())
    return out


def load_hotlist(data_dir: Path, owner_id: int, entries: int) -> float:
    """``entries`` listed plates, one list of the owner's, imported before the server
    starts (it loads them into its index); the seconds the import took."""
    settings = Settings(data_dir=data_dir, require_totp=False)
    catalog = open_catalog(settings)
    try:
        store = HotlistStore(catalog.engine)
        rows = ({"plate": listed_plate(i), "region": "CA", "reason": "stolen"}
                for i in range(entries))
        begin = time.perf_counter()
        store.import_list(owner_id, "bench stolen vehicles", "local", "stolen_vehicle", rows)
        return time.perf_counter() - begin
    finally:
        catalog.engine.dispose()


def hits_stored(data_dir: Path) -> int:
    engine = create_engine(f"sqlite:///{data_dir / 'catalog.sqlite'}")
    try:
        with engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(hotlist_hits)).scalar_one())
    finally:
        engine.dispose()


def run_server(args: argparse.Namespace, hotlist_entries: int, hit_every: int) -> dict[str, Any]:
    """One server on fresh data (with a hot list of ``hotlist_entries`` plates), posted to
    ``args.runs`` times; its rates, batch latency and the hits it stored."""
    data_dir = Path(tempfile.mkdtemp(prefix="plateledger-http-bench-"))
    settings = Settings(data_dir=data_dir, require_totp=False)
    catalog = open_catalog(settings)
    accounts = seed_catalog(catalog, City(default_plan(vehicles=2_000)).plan)
    owner = accounts.agency_ids["ucpd"]
    cameras = [c.camera_id for c in catalog.cameras(owner_id=owner)]
    catalog.engine.dispose()
    import_s = load_hotlist(data_dir, owner, hotlist_entries) if hotlist_entries else 0.0
    started = time.perf_counter()
    server = start_server(data_dir, args.port)
    ready_s = time.perf_counter() - started
    url = f"http://127.0.0.1:{args.port}/v1/reads"
    rates: list[float] = []
    latencies: list[float] = []
    try:
        for _run in range(args.runs):
            queue = batches(cameras, args.batches, args.size, hit_every)
            lock = threading.Lock()
            failures: list[str] = []

            def client(queue: list[bytes] = queue, lock: threading.Lock = lock,
                       failures: list[str] = failures) -> None:
                with httpx.Client(headers={"X-API-Key": accounts.camera_key,
                                           "Content-Type": "application/json"},
                                  timeout=120) as http:
                    while True:
                        with lock:
                            if not queue:
                                return
                            body = queue.pop()
                        begin = time.perf_counter()
                        response = http.post(url, content=body)
                        latencies.append((time.perf_counter() - begin) * 1000)
                        if response.status_code != 200 or response.json()["errors"]:
                            failures.append(response.text[:200])

            threads = [threading.Thread(target=client) for _ in range(args.clients)]
            begin = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            seconds = time.perf_counter() - begin
            if failures:
                raise RuntimeError(f"{len(failures)} batches failed: {failures[0]}")
            rates.append(args.batches * args.size / seconds)
            print(f"run ({hotlist_entries:,} listed): {rates[-1]:,.0f} reads/s", flush=True)
    finally:
        server.terminate()
        server.wait(timeout=60)
    return {
        "hotlist_entries": hotlist_entries,
        "hotlist_import_s": round(import_s, 1),
        "server_ready_s": round(ready_s, 1),
        "reads_per_s_median": round(statistics.median(rates)),
        "reads_per_s_runs": [round(r) for r in rates],
        "batch_latency_ms_p50": round(statistics.median(latencies), 1),
        "planted_hits": (args.batches * args.size // hit_every) * args.runs if hit_every else 0,
        "hits_stored": hits_stored(data_dir),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--batches", type=int, default=300)
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--port", type=int, default=8099)
    parser.add_argument("--hotlist-entries", type=int, default=1_000_000)
    parser.add_argument("--hit-every", type=int, default=1000,
                        help="one posted read in this many is of a listed plate")
    args = parser.parse_args()

    listed = run_server(args, args.hotlist_entries, args.hit_every)
    baseline = run_server(args, 0, 0)
    result: dict[str, Any] = {
        "machine": machine(), "batch_size": args.size, "batches": args.batches,
        "clients": args.clients, "runs": args.runs,
        "reads_per_s_median": listed["reads_per_s_median"],
        "reads_per_s_runs": listed["reads_per_s_runs"],
        "batch_latency_ms_p50": listed["batch_latency_ms_p50"],
        "with_hotlist": listed,
        "baseline_no_hotlist": baseline,
        "ratio_to_baseline": round(
            listed["reads_per_s_median"] / baseline["reads_per_s_median"], 2
        ),
        "target_reads_per_s": 50_000,
    }
    write_result("http_ingest", result)
    print(f"\n| durable HTTP ingest ({args.size}-read batches, {args.clients} clients) | "
          f"with {args.hotlist_entries:,} listed plates | no hot list (baseline) |\n"
          f"|---|---|---|\n"
          f"| reads/s, median of {args.runs} | {listed['reads_per_s_median']:,} "
          f"(x{result['ratio_to_baseline']}) | {baseline['reads_per_s_median']:,} |\n"
          f"| batch p50 ms | {listed['batch_latency_ms_p50']} | "
          f"{baseline['batch_latency_ms_p50']} |\n"
          f"| hits stored / planted | {listed['hits_stored']:,} / {listed['planted_hits']:,} "
          f"| {baseline['hits_stored']} / 0 |")


if __name__ == "__main__":
    main()
