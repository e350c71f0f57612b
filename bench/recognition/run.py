"""Recognition accuracy and speed on the synthetic benchmark set.

    python -m bench.recognition.run --n 200 [--engine rapidocr --engine rapidocr-full]

Frames come from `synthetic_frames(n, BENCH_SEED)` (a seed training never uses). For each
engine: exact reads (best read equals the plate), reads within one edit, region guesses,
frames with no read, extra reads per frame, and milliseconds per frame on one thread.
Results go to ``bench/results/recognition.json`` and are printed as a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from datetime import UTC, datetime
from typing import Any

from bench.timing import RESULTS as RESULTS_DIR
from plateledger.recognize import load_recognizer
from plateledger.recognize.synthetic import BENCH_SEED, synthetic_frames

RESULTS = RESULTS_DIR / "recognition.json"


def edits(a: str, b: str) -> int:
    """Levenshtein distance between two plates."""
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


def measure(engine: str, n: int) -> dict[str, Any]:
    """Run ``engine`` over the ``n`` benchmark frames and summarise."""
    recognizer = load_recognizer(engine)
    frames = list(synthetic_frames(n, BENCH_SEED))
    recognizer.recognize(frames[0].image)  # warm-up: first inference allocates
    exact = near = region = missing = extra = 0
    times: list[float] = []
    for frame in frames:
        start = time.perf_counter()
        reads = recognizer.recognize(frame.image)
        times.append((time.perf_counter() - start) * 1000.0)
        if not reads:
            missing += 1
            continue
        best = reads[0]
        exact += best.plate == frame.plate
        near += edits(best.plate, frame.plate) <= 1
        region += best.region == frame.region
        extra += sum(r.plate != frame.plate for r in reads)
    times.sort()
    return {
        "engine": engine,
        "frames": n,
        "exact": exact / n,
        "within_one_char": near / n,
        "region": region / n,
        "no_read": missing / n,
        "extra_reads_per_frame": extra / n,
        "ms_median": statistics.median(times),
        "ms_p90": times[int(0.9 * (len(times) - 1))],
    }


def markdown(rows: list[dict[str, Any]]) -> str:
    """The results as a Markdown table."""
    lines = [
        "| engine | frames | exact | ≤ 1 char | region | no read | extra/frame "
        "| ms median | ms p90 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['engine']} | {r['frames']} | {r['exact']:.1%} | {r['within_one_char']:.1%} "
            f"| {r['region']:.1%} | {r['no_read']:.1%} | {r['extra_reads_per_frame']:.2f} "
            f"| {r['ms_median']:.0f} | {r['ms_p90']:.0f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="frames to measure")
    parser.add_argument("--engine", action="append", help="engine(s); default rapidocr")
    args = parser.parse_args()
    rows = [measure(engine, args.n) for engine in args.engine or ["rapidocr"]]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
        "cpu_threads": 1,
        "data": f"synthetic_frames(n, seed={BENCH_SEED}), 1280×720, plates ~90×45 px",
        "results": rows,
    }, indent=2) + "\n")
    print(markdown(rows))


if __name__ == "__main__":
    main()
