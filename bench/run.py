"""Run every benchmark, one after the other, each in its own process.

    python -m bench.run            # the documented sizes (about an hour on 2 cores)
    python -m bench.run --quick    # small sizes, a few minutes: checks that all of them run
    python -m bench.run store policy   # only these

Each benchmark writes ``bench/results/<name>.json`` and prints its Markdown table;
`docs/benchmarks.md` quotes those files. Benchmarks run one at a time: on a 2-core machine
two at once measure each other.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

BENCHES: dict[str, tuple[list[str], list[str]]] = {
    # name: (module and arguments, --quick arguments)
    "sim": (["bench.sim_bench"], ["--reads", "300000"]),
    "store": (["bench.store_bench"], ["--reads", "300000", "--queries", "50"]),
    "http_ingest": (["bench.http_ingest_bench"], ["--batches", "30", "--runs", "1"]),
    "policy": (["bench.policy_bench"], []),
    "audit": (["bench.audit_bench"], ["--entries", "20000", "--single", "50",
                                      "--proofs", "100"]),
    "hotlist": (["bench.hotlist_bench"], ["--entries", "100000", "--repeat", "3",
                                          "--import-rows", "10000"]),
    "retention": (["bench.retention_bench"], ["--reads", "200000"]),
    "recognition": (["bench.recognition.run"], ["--n", "10"]),
    "investigations": (["bench.investigation_bench", "--reads", "10000000"],
                       ["--reads", "300000", "--queries", "8"]),
    "federation": (["bench.federation_bench"], ["--reads", "2000", "--searches", "30"]),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", choices=[[], *BENCHES], default=[],
                        help="benchmarks to run (default: all)")
    parser.add_argument("--quick", action="store_true", help="small sizes")
    args = parser.parse_args()
    names = args.names or list(BENCHES)
    env = dict(os.environ)
    if args.quick:  # small sizes are a check, not figures: keep them out of bench/results
        env["PLATELEDGER_BENCH_RESULTS"] = tempfile.mkdtemp(prefix="plateledger-quick-")
        print(f"quick run: results go to {env['PLATELEDGER_BENCH_RESULTS']}")
    failed = []
    for name in names:
        module, quick = BENCHES[name]
        command = [sys.executable, "-m", *module, *(quick if args.quick else [])]
        print(f"\n=== {name}: {' '.join(command[2:])}", flush=True)
        begin = time.perf_counter()
        if subprocess.run(command, check=False, env=env).returncode != 0:
            failed.append(name)
        print(f"=== {name}: {time.perf_counter() - begin:.0f} s", flush=True)
    if failed:
        sys.exit(f"failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
