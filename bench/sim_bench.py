"""How fast the synthetic city generates reads (median of three runs, one process).

    python -m bench.sim_bench --reads 5000000

Writes ``bench/results/sim.json`` and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from datetime import UTC, datetime

from bench.timing import RESULTS as RESULTS_DIR
from plateledger.sim import City, default_plan

RESULTS = RESULTS_DIR / "sim.json"
START = datetime(2025, 1, 6, tzinfo=UTC)


def run(reads: int, vehicles: int, batch_size: int, days: float) -> dict[str, object]:
    began = time.perf_counter()
    city = City(default_plan(vehicles=vehicles))
    build_s = time.perf_counter() - began
    rates: list[float] = []
    for seed in (1, 2, 3):
        began = time.perf_counter()
        rows = sum(t.num_rows for t in city.generate(seed, reads, START, days, batch_size))
        rates.append(rows / (time.perf_counter() - began))
    return {
        "reads": reads,
        "vehicles": vehicles,
        "days": days,
        "batch_size": batch_size,
        "city_build_s": round(build_s, 3),
        "reads_per_s_runs": [round(r) for r in rates],
        "reads_per_s_median": round(statistics.median(rates)),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reads", type=int, default=3_000_000)
    parser.add_argument("--vehicles", type=int, default=20_000)
    parser.add_argument("--batch-size", type=int, default=1_000_000)
    parser.add_argument("--days", type=float, default=30.0)
    args = parser.parse_args()
    result = run(args.reads, args.vehicles, args.batch_size, args.days)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print("| reads | vehicles | city build (s) | reads/s (median of 3) |")
    print("|---:|---:|---:|---:|")
    print(f"| {result['reads']:,} | {result['vehicles']:,} | {result['city_build_s']} "
          f"| {result['reads_per_s_median']:,} |")


if __name__ == "__main__":
    main()
