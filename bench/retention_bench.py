"""Purge time: partition drop (with in-place deletion of the rest) vs row deletion only.

    python -m bench.retention_bench --reads 2000000

Loads the synthetic city's reads over ``--days`` days ending now into a fresh store of
its own (weekly partitions, as a 21-day clock calls for) under two sets of clocks --
mixed (21 days for CHP, agency 5; 60 days for the others) and uniform (21 days for all)
-- and purges each three ways, reloading between them:

* ``purge``: `plateledger.retention.purge` — drops wholly expired partitions, deletes the
  rest with ``ALTER … DELETE IN PARTITION`` (mutation), prunes the plate dictionary,
  writes the receipt to an audit log;
* ``alter_delete``: one ``ALTER TABLE reads DELETE WHERE expires_at <= now`` mutation;
* ``lightweight_delete``: ``DELETE FROM reads WHERE …`` after switching the table's
  ``lightweight_mutation_projection_mode`` to ``rebuild`` (the schema does not set it).

Writes ``bench/results/retention.json`` and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine

from bench.timing import RESULTS, machine
from plateledger.audit import AuditLog, NoteSigner
from plateledger.retention import purge
from plateledger.sim import City, default_plan
from plateledger.store import ReadStore
from plateledger.store.literals import moment

OUT = RESULTS / "retention.json"
MIXED = {1: 60, 2: 60, 3: 60, 4: 60, 5: 21, 6: 60, 7: 60}
UNIFORM = dict.fromkeys(MIXED, 21)


def load(store: ReadStore, reads: int, days: float, now: datetime,
         clocks: dict[int, int]) -> float:
    for table in ("reads", "plates", "plate_variants", "held_reads"):
        store.engine.command(f"TRUNCATE TABLE IF EXISTS {store.db}.{table}")
    city = City(default_plan(vehicles=20_000))
    began = time.perf_counter()
    for batch in city.generate(7, reads, now - timedelta(days=days), days,
                               retention_days=clocks):
        store.insert_arrow(batch)
    return time.perf_counter() - began


def timed(action: Callable[[], Any]) -> tuple[float, Any]:
    began = time.perf_counter()
    result = action()
    return time.perf_counter() - began, result


def run(reads: int, days: float, work: Path) -> dict[str, Any]:
    store = ReadStore.open(data_dir=work / "store", partitioning="week")
    engine = create_engine(f"sqlite:///{work / 'catalog.sqlite'}")
    audit_log = AuditLog(engine, signer=NoteSigner.generate("bench.example/log"))
    audit_log.create_tables()
    out: dict[str, Any] = {"reads": reads, "days": days}
    for name, clocks in (("mixed_clocks", MIXED), ("uniform_21_days", UNIFORM)):
        out[name] = scenario(store, audit_log, reads, days, clocks)
    store.close()
    engine.dispose()
    out["machine"] = machine()
    return out


def scenario(store: ReadStore, audit_log: AuditLog, reads: int, days: float,
             clocks: dict[int, int]) -> dict[str, Any]:
    store.engine.command(
        f"ALTER TABLE {store.db}.reads MODIFY SETTING lightweight_mutation_projection_mode = "
        "'throw'"
    )
    now = datetime.now(UTC).replace(microsecond=0)
    expired_where = f"expires_at <= {moment(now)}"
    results: dict[str, Any] = {"clocks_days": {str(k): v for k, v in clocks.items()}}

    load_s = load(store, reads, days, now, clocks)
    total = store.count(include_expired=True)
    expired = int(store.query(
        f"SELECT count() AS n FROM {{db}}.reads WHERE {expired_where}"
    ).column("n")[0].as_py())
    partitions = int(store.query(
        "SELECT uniqExact(_partition_id) AS n FROM {db}.reads"
    ).column("n")[0].as_py())
    seconds, receipt = timed(lambda: purge(store, now, {}, [], audit_log))
    results["loaded_rows"] = total
    results["expired_rows"] = expired
    results["partitions"] = partitions
    results["load_s"] = round(load_s, 2)
    results["purge"] = {
        "seconds": round(seconds, 2),
        "rows_deleted": receipt.rows_deleted,
        "partitions_dropped": len(receipt.partitions_dropped),
        "partitions_trimmed": len(receipt.partitions_trimmed),
        "rows_in_dropped_partitions": receipt.rows_in_dropped_partitions,
        "rows_deleted_in_place": receipt.rows_deleted_in_place,
        "plates_removed": receipt.plates_removed,
        "rows_left": store.count(include_expired=True),
    }

    load(store, reads, days, now, clocks)
    seconds, _ = timed(lambda: store.engine.command(
        f"ALTER TABLE {store.db}.reads DELETE WHERE {expired_where} SETTINGS mutations_sync = 2"
    ))
    results["alter_delete"] = {"seconds": round(seconds, 2),
                               "rows_left": store.count(include_expired=True)}

    load(store, reads, days, now, clocks)
    store.engine.command(
        f"ALTER TABLE {store.db}.reads MODIFY SETTING lightweight_mutation_projection_mode = "
        "'rebuild'"
    )
    seconds, _ = timed(lambda: store.engine.command(
        f"DELETE FROM {store.db}.reads WHERE {expired_where}"
    ))
    results["lightweight_delete"] = {"seconds": round(seconds, 2),
                                     "rows_left": store.count(include_expired=True)}
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reads", type=int, default=2_000_000)
    parser.add_argument("--days", type=float, default=90.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="retention-bench-") as tmp:
        result = run(args.reads, args.days, Path(tmp))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    print("| clocks | reads | expired | method | seconds | rows left |")
    print("|---|---:|---:|---|---:|---:|")
    for clocks in ("mixed_clocks", "uniform_21_days"):
        r = result[clocks]
        p = r["purge"]
        lead = f"| {clocks} | {r['loaded_rows']:,} | {r['expired_rows']:,}"
        print(f"{lead} | purge(): drop {p['partitions_dropped']} of {r['partitions']} weekly "
              f"partitions, trim {p['partitions_trimmed']} | {p['seconds']} "
              f"| {p['rows_left']:,} |")
        for name in ("alter_delete", "lightweight_delete"):
            print(f"{lead} | {name} | {r[name]['seconds']} | {r[name]['rows_left']:,} |")


if __name__ == "__main__":
    main()
