"""Audit log benchmark: durable appends per second and proof latency at a given size.

    python -m bench.audit_bench --entries 1000000            # default: 1 M entries
    python -m bench.audit_bench --entries 10000000 --db /big/audit.sqlite --keep

The log lives in a SQLite file (synchronous=FULL: every commit is durable). With
``--db`` and ``--keep`` a log that is already large is reused and only topped up to
``--entries``, so a 10 M log can be built once and measured many times. Results go to
``bench/results/audit.json`` and are printed as a Markdown table (medians, p99).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event

from bench.timing import RESULTS as RESULTS_DIR
from plateledger.audit import AuditLog, NoteSigner
from plateledger.audit.hashing import leaf_hash
from plateledger.audit.verify import verify_consistency, verify_inclusion

RESULTS = RESULTS_DIR / "audit.json"


def sqlite_engine(path: Path, journal: str) -> Engine:
    engine = create_engine(f"sqlite:///{path}")

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA journal_mode={journal}")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()

    return engine


def entry(n: int) -> dict[str, Any]:
    return {
        "type": "search", "v": 1, "user": f"officer{n % 500}", "agency": "ca-oakland-pd",
        "requested_by_agency": "ca-oakland-pd", "purpose": "stolen_vehicle",
        "case_number": f"24-{n:08d}", "kind": "fuzzy", "query": {"plate": f"7AB{n % 99999:05d}"},
        "owners_allowed": ["ca-oakland-pd", "ca-berkeley-pd", "ca-alameda-so"],
        "owners_denied": [{"agency": "wa-seattle-pd", "policy_ids": ["wa.no_out_of_state"]}],
        "result_count": n % 40, "result_digest": f"sha256:{n:064x}",
        "policy_set_hash": "sha256:" + "ab" * 32,
    }  # fmt: skip


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=1000, help="entries per append_many")
    parser.add_argument("--single", type=int, default=300, help="single appends to time")
    parser.add_argument("--proofs", type=int, default=1000, help="proofs of each kind")
    parser.add_argument("--journal", choices=["wal", "delete"], default="wal")
    parser.add_argument("--db", type=Path, help="SQLite file to use (default: temporary)")
    parser.add_argument("--keep", action="store_true", help="reuse and keep --db")
    args = parser.parse_args()

    workdir = tempfile.TemporaryDirectory()
    path = args.db or Path(workdir.name) / "audit.sqlite"
    if path.exists() and not args.keep:
        path.unlink()
    engine = sqlite_engine(path, args.journal)
    log = AuditLog(engine, signer=NoteSigner.generate("bench.example/audit"))
    log.create_tables()

    single: list[float] = []
    for n in range(args.single):
        start = time.perf_counter()
        log.append(entry(n))
        single.append(time.perf_counter() - start)

    batch_rates: list[float] = []
    built_start, built = time.perf_counter(), 0
    while (size := log.size()) < args.entries:
        count = min(args.batch, args.entries - size)
        start = time.perf_counter()
        log.append_many([entry(size + i) for i in range(count)])
        batch_rates.append(count / (time.perf_counter() - start))
        built += count
    build_seconds = time.perf_counter() - built_start

    size = log.size()
    root = log.root_hash()
    rng = random.Random(6962)
    inclusion: list[float] = []
    for _ in range(args.proofs):
        index = rng.randrange(size)
        start = time.perf_counter()
        proof = log.inclusion_proof(index, size)
        inclusion.append(time.perf_counter() - start)
        verify_inclusion(index, size, leaf_hash(log.entry(index).entry_bytes), proof, root)
    consistency: list[float] = []
    for _ in range(args.proofs):
        old = rng.randrange(1, size + 1)
        start = time.perf_counter()
        proof = log.consistency_proof(old, size)
        consistency.append(time.perf_counter() - start)
        verify_consistency(old, size, proof, log.root_hash(old), root)

    results = {
        "entries": size,
        "journal_mode": args.journal,
        "synchronous": "FULL",
        "single_appends_timed": len(single),
        "single_append_per_s_median": 1 / statistics.median(single),
        "batch_size": args.batch,
        "batched_append_per_s_median": statistics.median(batch_rates) if batch_rates else None,
        "entries_appended_in_batches": built,
        "build_seconds": round(build_seconds, 1),
        "inclusion_ms_p50": percentile(inclusion, 0.5) * 1000,
        "inclusion_ms_p99": percentile(inclusion, 0.99) * 1000,
        "consistency_ms_p50": percentile(consistency, 0.5) * 1000,
        "consistency_ms_p99": percentile(consistency, 0.99) * 1000,
        "proofs_timed": args.proofs,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"| measure ({size:,} entries, SQLite {args.journal}, synchronous=FULL) | value |")
    print("|---|---|")
    print(f"| single durable appends/s (median of {len(single)}) "
          f"| {results['single_append_per_s_median']:,.0f} |")  # fmt: skip
    if batch_rates:
        print(f"| batched durable appends/s (batch {args.batch}, median) "
              f"| {results['batched_append_per_s_median']:,.0f} |")  # fmt: skip
    for kind in ("inclusion", "consistency"):
        print(f"| {kind} proof p50 / p99 (ms) | {results[f'{kind}_ms_p50']:.2f} / "
              f"{results[f'{kind}_ms_p99']:.2f} |")  # fmt: skip
    engine.dispose()
    workdir.cleanup()


if __name__ == "__main__":
    main()
