"""Hot-list matcher benchmark: reads matched per second on one core against N entries.

    python -m bench.hotlist_bench                       # 1,000,000 entries, batches of 10,000
    python -m bench.hotlist_bench --plates dense          # worst case for one-edit matches
    python -m bench.hotlist_bench --entries 100000 --batch 1000 --repeat 20

Entries are random plates on four lists: ``--plates uniform`` (default) draws any
character anywhere, 6 to 8 long, so that chance one-edit matches stay rare as in a
national list spread over many states; ``--plates dense`` draws only a few state formats,
which a million entries fill so densely that most reads have a one-edit neighbour (the
worst case). Reads are other random plates with a share of hits (``--hit-rate``), half of
them misread (one OCR-confusable character, or one character changed). Also times the
index build and a SQLite import through ``HotlistStore``. Results go to
``bench/results/hotlist.json`` and are printed as a Markdown table (medians).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import create_engine

from bench.timing import RESULTS as RESULTS_DIR
from plateledger.hotlist import HotlistIndex, HotlistStore
from plateledger.hotlist.store import ActiveEntry
from plateledger.plates import confusion_key
from plateledger.read import PlateRead

RESULTS = RESULTS_DIR / "hotlist.json"
LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"
DIGITS = "0123456789"
SHAPES = ("DLLLDDD", "LLLDDDD", "DLLLDDD", "LLLDDDD", "LLLDDD", "DLLDDDD")
CATEGORIES = ("stolen_vehicle", "stolen_plate", "warrant", "suspended_registration")
SWAPS = {"0": "O", "O": "0", "1": "I", "I": "1", "8": "B", "B": "8", "5": "S", "S": "5",
         "2": "Z", "Z": "2", "6": "G", "G": "6"}  # fmt: skip


def uniform_plates(rng: np.random.Generator, n: int) -> list[str]:
    """Any character anywhere, 6 to 8 long (mostly 7): entries spread as across many states."""
    alphabet = DIGITS + "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    lengths = rng.choice([6, 7, 8], size=n, p=[0.2, 0.6, 0.2])
    chars = rng.integers(0, len(alphabet), (n, 8))
    return ["".join(alphabet[c] for c in chars[i, : lengths[i]]) for i in range(n)]


def random_plates(rng: np.random.Generator, n: int) -> list[str]:
    """State formats only: a million entries fill them densely (worst case for one edit)."""
    plates: list[str] = []
    shapes = rng.integers(0, len(SHAPES), n)
    letters = rng.integers(0, len(LETTERS), (n, 8))
    digits = rng.integers(0, 10, (n, 8))
    for i in range(n):
        shape = SHAPES[shapes[i]]
        plates.append("".join(
            LETTERS[letters[i, j]] if c == "L" else DIGITS[digits[i, j]]
            for j, c in enumerate(shape)
        ))  # fmt: skip
    return plates


def misread(rng: np.random.Generator, plate: str) -> str:
    positions = [i for i, c in enumerate(plate) if c in SWAPS]
    if positions and rng.random() < 0.5:
        i = int(rng.choice(positions))
        return plate[:i] + SWAPS[plate[i]] + plate[i + 1 :]
    i = int(rng.integers(0, len(plate)))
    return plate[:i] + ("7" if plate[i] != "7" else "4") + plate[i + 1 :]


def make_reads(plates: list[str], now: datetime) -> list[PlateRead]:
    return [
        PlateRead.model_construct(
            read_id=uuid.uuid4(), owner_id=1 + i % 5, origin_state="CA", camera_id="cam-1",
            ts=now, plate_raw=p, plate=p, plate_key=confusion_key(p), region="CA",
            confidence=0.9, received_at=now, expires_at=now + timedelta(days=30),
        )
        for i, p in enumerate(plates)
    ]  # fmt: skip


def measure(args: argparse.Namespace) -> dict[str, Any]:
    rng = np.random.default_rng(args.seed)
    make = uniform_plates if args.plates == "uniform" else random_plates
    listed = make(rng, args.entries)
    entries = [
        ActiveEntry(i + 1, 1 + i % 4, 100 + i % 4, CATEGORIES[i % 4], plate, "CA", None, i % 10)
        for i, plate in enumerate(listed)
    ]
    started = time.perf_counter()
    index = HotlistIndex(entries)
    build_s = time.perf_counter() - started

    now = datetime.now(UTC)
    batches: list[list[PlateRead]] = []
    planted = 0
    for _ in range(args.repeat):
        plates = make(rng, args.batch)
        for i in np.flatnonzero(rng.random(args.batch) < args.hit_rate):
            target = listed[int(rng.integers(0, len(listed)))]
            plates[int(i)] = target if rng.random() < 0.5 else misread(rng, target)
            planted += 1
        batches.append(make_reads(plates, now))
    index.match_reads(batches[0][:100], now)  # warm up

    rates: list[float] = []
    hits = 0
    for batch in batches:
        started = time.perf_counter()
        found = index.match_reads(batch, now)
        elapsed = time.perf_counter() - started
        rates.append(len(batch) / elapsed)
        hits += len(found)

    import_rows = min(args.entries, args.import_rows)
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_engine(f"sqlite:///{Path(tmp) / 'catalog.sqlite'}")
        store = HotlistStore(engine)
        store.create_tables()
        rows = [{"plate": p, "region": "CA", "reason": "stolen"} for p in listed[:import_rows]]
        started = time.perf_counter()
        store.import_list(1, "bench", "local", "stolen_vehicle", rows)
        import_s = time.perf_counter() - started
        started = time.perf_counter()
        HotlistIndex().load(store)
        load_s = time.perf_counter() - started
        engine.dispose()

    return {
        "plates": args.plates,
        "entries": args.entries,
        "batch": args.batch,
        "batches": args.repeat,
        "hit_rate_planted": args.hit_rate,
        "planted_hits": planted,
        "hits_found": hits,
        "reads_per_s_median": statistics.median(rates),
        "reads_per_s_min": min(rates),
        "index_build_s": build_s,
        "sqlite_import_rows": import_rows,
        "sqlite_import_s": import_s,
        "index_load_from_sqlite_s": load_s,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "measured_at": now.isoformat(timespec="seconds"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--hit-rate", type=float, default=0.005)
    parser.add_argument("--import-rows", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--plates", choices=("uniform", "dense"), default="uniform",
                        help="uniform: realistic hit rates; dense: worst case for one edit")
    args = parser.parse_args()
    result = measure(args)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    saved = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    saved = saved if isinstance(saved, dict) and "runs" in saved else {"runs": {}}
    saved["runs"][args.plates] = result
    RESULTS.write_text(json.dumps(saved, indent=2) + "\n")
    print("| measure | value |")
    print("|---|---|")
    print(f"| plates | {result['plates']} |")
    print(f"| entries | {result['entries']:,} |")
    print(f"| batch size | {result['batch']:,} reads |")
    print(f"| reads matched per second (median of {result['batches']}) "
          f"| {result['reads_per_s_median']:,.0f} |")  # fmt: skip
    print(f"| slowest batch, reads per second | {result['reads_per_s_min']:,.0f} |")
    print(f"| hits found (all kinds) / planted | {result['hits_found']:,} / "
          f"{result['planted_hits']:,} |")  # fmt: skip
    print(f"| hits per read | {result['hits_found'] / (result['batch'] * result['batches']):.4f} |")
    print(f"| index build (in memory) | {result['index_build_s']:.2f} s |")
    print(f"| SQLite import of {result['sqlite_import_rows']:,} rows "
          f"| {result['sqlite_import_s']:.2f} s |")  # fmt: skip
    print(f"| index load from SQLite | {result['index_load_from_sqlite_s']:.2f} s |")


if __name__ == "__main__":
    main()
