"""Recognition accuracy and speed on the synthetic benchmark set.

    python -m bench.recognition.run --n 200 [--engine rapidocr --engine rapidocr-full]
    python -m bench.recognition.run --photos DIR    # real photos named 7ABC123_CA.jpg

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
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.timing import RESULTS as RESULTS_DIR
from plateledger.plates import normalize_plate
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


@dataclass(frozen=True)
class Labelled:
    """A picture and the plate (and state, if known) a person read in it."""

    image: Any
    plate: str
    region: str = ""


def labelled_photos(folder: Path) -> list[Labelled]:
    """JPEG/PNG files named after their plate: ``7ABC123.jpg``, ``7ABC123_CA.jpg`` or
    ``7ABC123_CA_anything.jpg`` (the state is optional)."""
    photos = []
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() not in (".jpg", ".jpeg", ".png"):
            continue
        parts = path.stem.split("_")
        region = parts[1].upper() if len(parts) > 1 and len(parts[1]) == 2 else ""
        photos.append(Labelled(path.read_bytes(), normalize_plate(parts[0]), region))
    if not photos:
        raise SystemExit(f"no labelled .jpg or .png photos in {folder}")
    return photos


def measure(engine: str, frames: list[Any]) -> dict[str, Any]:
    """Run ``engine`` over labelled ``frames`` (with ``image``, ``plate``, ``region``)."""
    recognizer = load_recognizer(engine)
    n = len(frames)
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
        region += bool(frame.region) and best.region == frame.region
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
    parser.add_argument("--photos", type=Path, help="a folder of real photos named after "
                        "their plates (7ABC123_CA.jpg) instead of the synthetic set")
    args = parser.parse_args()
    if args.photos:
        frames: list[Any] = labelled_photos(args.photos)
        data = f"{len(frames)} labelled photos from {args.photos.name}"
        target = RESULTS.with_name("recognition_photos.json")
    else:
        frames = list(synthetic_frames(args.n, BENCH_SEED))
        data = f"synthetic_frames(n, seed={BENCH_SEED}), 1280×720, plates ~90×45 px"
        target = RESULTS
    rows = [measure(engine, frames) for engine in args.engine or ["rapidocr"]]
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps({
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
        "cpu_threads": 1,
        "data": data,
        "results": rows,
    }, indent=2) + "\n")
    print(markdown(rows))


if __name__ == "__main__":
    main()
