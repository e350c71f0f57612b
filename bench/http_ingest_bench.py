"""Durable HTTP ingest: batches of 1,000 native reads posted to a real server.

    python -m bench.http_ingest_bench --batches 300 --clients 8

Every batch is acknowledged only after its INSERT (fsynced) returned, so the figure is
durable reads per second. Writes ``bench/results/http_ingest.json``.
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

from bench.timing import machine, write_result
from plateledger.catalog import open_catalog
from plateledger.demo import seed_catalog
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


def batches(camera_ids: list[str], n_batches: int, size: int) -> list[bytes]:
    """Pre-encoded bodies, so the client's own JSON work is not measured."""
    now = int(time.time() * 1000)
    out = []
    letters = "ABCDEFGHJKLMNPRSTUVWXYZ"
    for b in range(n_batches):
        items = []
        for i in range(size):
            k = b * size + i
            middle = letters[k % 23] + letters[(k // 23) % 23] + letters[(k // 529) % 23]
            plate = f"{k % 9 + 1}{middle}{k % 1000:03d}"
            items.append({"camera_id": camera_ids[k % len(camera_ids)], "ts": now - k,
                          "plate": plate, "confidence": 0.9, "region": "CA"})
        out.append(json.dumps(items).encode())
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--batches", type=int, default=300)
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--port", type=int, default=8099)
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="plateledger-http-bench-"))
    settings = Settings(data_dir=data_dir, require_totp=False)
    catalog = open_catalog(settings)
    accounts = seed_catalog(catalog, City(default_plan(vehicles=2_000)).plan)
    cameras = [c.camera_id for c in catalog.cameras(owner_id=accounts.agency_ids["ucpd"])]
    catalog.engine.dispose()
    server = start_server(data_dir, args.port)
    url = f"http://127.0.0.1:{args.port}/v1/reads"
    rates: list[float] = []
    latencies: list[float] = []
    try:
        for _run in range(args.runs):
            queue = batches(cameras, args.batches, args.size)
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
            print(f"run: {rates[-1]:,.0f} reads/s", flush=True)
    finally:
        server.terminate()
        server.wait(timeout=60)
    result: dict[str, Any] = {
        "machine": machine(), "batch_size": args.size, "batches": args.batches,
        "clients": args.clients, "runs": args.runs,
        "reads_per_s_median": round(statistics.median(rates)),
        "reads_per_s_runs": [round(r) for r in rates],
        "batch_latency_ms_p50": round(statistics.median(latencies), 1),
    }
    write_result("http_ingest", result)
    print(f"\n| durable HTTP ingest ({args.size}-read batches, {args.clients} clients) | "
          f"{result['reads_per_s_median']:,} reads/s (median of {args.runs}); batch p50 "
          f"{result['batch_latency_ms_p50']} ms |")


if __name__ == "__main__":
    main()
