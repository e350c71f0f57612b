"""Recognition accuracy and speed on real labelled photos (the headline figures).

    OMP_NUM_THREADS=1 python -m bench.recognition.real --split dev [--engine rapidocr ...]
    OMP_NUM_THREADS=1 python -m bench.recognition.real --split val --write

Photos and labels come from ``../shared/data/plates-real`` (``$PLATELEDGER_PLATES_REAL``;
see its README; the photos are never copied into the project). A photo counts when its
label row has plate text (the US photos). For each engine: exact reads (the best read is
the plate), reads within one edit, frames with no read, reads an exact search for the
labelled plate finds (the plate or a candidate the read is stored with), whether the best
read's box lies on the labelled plate, Wilson 95 % intervals, and milliseconds per frame
on one thread.
``--wide 3`` also reads frames of three photos side by side (1920 px wide, the plates at
their own size) with the detector at 1,280 px and at its default side.
Tune on ``dev``; ``val`` is reported once. ``--write`` saves
``bench/results/recognition-real.json`` and prints the Markdown table.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import platform
import statistics
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from bench.timing import RESULTS as RESULTS_DIR
from plateledger.recognize import DETECT_SIDE, Recognizer, load_recognizer
from plateledger.recognize.frame import load_frame
from plateledger.recognize.recognizer import kept
from plateledger.recognize.source import frames

RESULTS = RESULTS_DIR / "recognition-real.json"
DATA = Path(os.environ.get("PLATELEDGER_PLATES_REAL")
            or Path(__file__).resolve().parents[2].parent / "shared" / "data" / "plates-real")


def edits(a: str, b: str) -> int:
    """Levenshtein distance between two plates."""
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


def wilson(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval (95 % by default) of a proportion."""
    if n == 0:
        return (0.0, 1.0)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


@dataclass(frozen=True)
class Photo:
    """A labelled photo: its path, plate text and plate box."""

    path: Path
    plate: str
    box: tuple[int, int, int, int]


def photos(split: str, data: Path = DATA) -> list[Photo]:
    """The photos of ``split`` (``dev`` or ``val``) whose label has plate text."""
    out = []
    with (data / "labels.csv").open(newline="") as f:
        for row in csv.DictReader(f):
            if row["file"].startswith(f"{split}/") and row["plate_text"]:
                out.append(Photo(data / row["file"], row["plate_text"],
                                 (int(row["x"]), int(row["y"]), int(row["w"]), int(row["h"]))))
    return sorted(out, key=lambda p: p.path.name)


def _on_plate(read: tuple[int, int, int, int], truth: tuple[int, int, int, int]) -> bool:
    cx, cy = read[0] + read[2] / 2, read[1] + read[3] / 2
    x, y, w, h = truth
    return x - 0.25 * w <= cx <= x + 1.25 * w and y - 0.5 * h <= cy <= y + 1.5 * h


LINES_ONLY = "rapidocr-lines"
"""The default engine without its plate detector: the text detector over the whole frame
(what the default engine was before the plate detector), measured beside it."""


def load(engine: str) -> Recognizer:
    """``engine``, or `LINES_ONLY`."""
    if engine == LINES_ONLY:
        return load_recognizer("rapidocr", find_plates=False)
    return load_recognizer(engine)


def measure(engine: str, items: list[Photo], verbose: bool = False) -> dict[str, Any]:
    """Run ``engine`` over ``items`` and summarise."""
    recognizer = load(engine)
    recognizer.recognize(items[0].path)  # warm-up: first inference allocates
    n = len(items)
    exact = near = missing = found = searchable = 0
    times: list[float] = []
    misses: list[dict[str, Any]] = []
    for item in items:
        start = time.perf_counter()
        reads = recognizer.recognize(item.path)
        times.append((time.perf_counter() - start) * 1000.0)
        if not reads:
            missing += 1
            misses.append({"file": item.path.name, "plate": item.plate, "read": None})
            continue
        best = reads[0]
        exact += best.plate == item.plate
        near += edits(best.plate, item.plate) <= 1
        found += _on_plate(best.box, item.box)
        # what an exact search for the labelled plate finds: the plate or a candidate the
        # read is stored with (`Recognition.evidence`)
        searchable += item.plate in {plate for plate, _ in kept(best.readings())}
        if best.plate != item.plate:
            misses.append({"file": item.path.name, "plate": item.plate, "read": best.plate,
                           "confidence": best.confidence,
                           "on_plate": _on_plate(best.box, item.box)})
    if verbose:
        for m in misses:
            print(m)
    times.sort()
    row: dict[str, Any] = {
        "engine": engine,
        "frames": n,
        "exact": exact / n,
        "exact_ci95": wilson(exact, n),
        "within_one_char": near / n,
        "within_one_char_ci95": wilson(near, n),
        "no_read": missing / n,
        "no_read_ci95": wilson(missing, n),
        "best_read_on_plate": found / n,
        "exact_search_finds": searchable / n,
        "exact_search_finds_ci95": wilson(searchable, n),
        "ms_median": statistics.median(times),
        "ms_p90": times[int(0.9 * (len(times) - 1))],
    }
    return row


VIDEO_FPS = 5
"""Frames a second of the clip `encode_clip` writes; each photo is held for one second."""


def encode_clip(items: list[Photo], path: Path) -> None:
    """An MPEG-4 Part 2 clip (OpenCV's ``mp4v``, at its default quality: ~17 kB a frame
    for 640×480) of ``items`` at their own resolution, each photo held for one second."""
    height, width = load_frame(items[0].path).shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), float(VIDEO_FPS),
                             (width, height))
    try:
        for item in items:
            image = load_frame(item.path)
            if image.shape[:2] != (height, width):
                image = cv2.resize(image, (width, height))
            for _ in range(VIDEO_FPS):
                writer.write(image)
    finally:
        writer.release()


def best_plate(recognizer: Recognizer, image: Any) -> str | None:
    """The best read's plate of a photo (path) or frame (array), or None."""
    reads = recognizer.recognize(image)
    return reads[0].plate if reads else None


def still_and_video(recognizer: Recognizer, items: list[Photo]) -> list[tuple[str | None,
                                                                              str | None]]:
    """For each photo, the best read of the still and of the same photo's middle frame in
    a compressed clip of them all (`encode_clip`)."""
    with tempfile.TemporaryDirectory() as tmp:
        clip = Path(tmp) / "clip.mp4"
        encode_clip(items, clip)
        # one frame a second, taken from the middle of each photo's second
        shown = [f.image for i, f in enumerate(frames(str(clip), every=1.0 / VIDEO_FPS))
                 if i % VIDEO_FPS == VIDEO_FPS // 2]
    if len(shown) != len(items):
        raise RuntimeError(f"the clip gave {len(shown)} photos' frames of {len(items)}")
    return [(best_plate(recognizer, item.path), best_plate(recognizer, image))
            for item, image in zip(items, shown, strict=True)]


def measure_video(engine: str, items: list[Photo]) -> dict[str, Any]:
    """Exact reads of the stills and of the same photos in a compressed clip, and the
    plates read exactly in a still but not in the clip (lost to compression)."""
    pairs = still_and_video(load(engine), items)
    n = len(items)
    still = sum(s == i.plate for (s, _), i in zip(pairs, items, strict=True))
    video = sum(v == i.plate for (_, v), i in zip(pairs, items, strict=True))
    lost = sum(s == i.plate != v for (s, v), i in zip(pairs, items, strict=True))
    return {"engine": engine, "frames": n, "codec": "mp4v", "still_exact": still / n,
            "video_exact": video / n, "video_exact_ci95": wilson(video, n),
            "lost_to_compression": lost}


def wide_frames(items: list[Photo], across: int) -> list[tuple[np.ndarray, list[str]]]:
    """Frames of ``across`` photos side by side at their own size (three 640×480 photos
    make a 1920×480 frame with three cars), with their plates: real plates at the size
    they have in the photos, in a frame as wide as a full-HD camera's."""
    out = []
    for start in range(0, len(items) - across + 1, across):
        group = items[start : start + across]
        images = [load_frame(item.path) for item in group]
        height = min(image.shape[0] for image in images)
        out.append((np.hstack([image[:height] for image in images]),
                    [item.plate for item in group]))
    return out


def measure_wide(items: list[Photo], across: int, side: int) -> dict[str, Any]:
    """Plates read exactly (among all of a frame's reads) in `wide_frames`, with the
    default engine's detector at ``side``."""
    recognizer = load_recognizer("rapidocr", detect_side=side)
    frames_ = wide_frames(items, across)
    recognizer.recognize(frames_[0][0])  # warm-up
    read = total = 0
    times: list[float] = []
    for image, plates in frames_:
        start = time.perf_counter()
        found = {r.plate for r in recognizer.recognize(image)}
        times.append((time.perf_counter() - start) * 1000.0)
        read += sum(plate in found for plate in plates)
        total += len(plates)
    times.sort()
    height, width = frames_[0][0].shape[:2]
    return {"detect_side": side, "frame": f"{width}x{height}", "frames": len(frames_),
            "plates": total, "read_exactly": read / total,
            "read_exactly_ci95": wilson(read, total),
            "ms_median": statistics.median(times),
            "ms_p90": times[int(0.9 * (len(times) - 1))]}


def _pct(value: float, ci: tuple[float, float]) -> str:
    return f"{value:.1%} ({ci[0]:.0%}–{ci[1]:.0%})"


def markdown(rows: list[dict[str, Any]]) -> str:
    """The results as a Markdown table."""
    lines = [
        "| engine | photos | exact (95 % CI) | ≤ 1 wrong (95 % CI) | no read (95 % CI) "
        "| exact search finds it (95 % CI) | best read on plate | ms median | ms p90 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['engine']} | {r['frames']} | {_pct(r['exact'], r['exact_ci95'])} "
            f"| {_pct(r['within_one_char'], r['within_one_char_ci95'])} "
            f"| {_pct(r['no_read'], r['no_read_ci95'])} "
            f"| {_pct(r['exact_search_finds'], r['exact_search_finds_ci95'])} "
            f"| {r['best_read_on_plate']:.1%} "
            f"| {r['ms_median']:.0f} | {r['ms_p90']:.0f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="dev", choices=("dev", "val"))
    parser.add_argument("--engine", action="append",
                        help=f"engine(s), or {LINES_ONLY}; default all three")
    parser.add_argument("--limit", type=int, default=0, help="first N photos only")
    parser.add_argument("--write", action="store_true", help="save the results JSON")
    parser.add_argument("--verbose", action="store_true", help="print every miss")
    parser.add_argument("--video", action="store_true",
                        help="also read the photos from an MPEG-4 clip of the same resolution")
    parser.add_argument("--wide", type=int, default=0, metavar="N",
                        help="also read frames of N photos side by side (default engine)")
    parser.add_argument("--detect-side", type=int, action="append",
                        help="detector sides for --wide (default: 1280 and the engine's)")
    args = parser.parse_args()
    if not (DATA / "labels.csv").exists():
        raise SystemExit(f"no labelled photos at {DATA} (set PLATELEDGER_PLATES_REAL)")
    items = photos(args.split)
    if args.limit:
        items = items[: args.limit]
    rows = [measure(engine, items, args.verbose)
            for engine in args.engine or ["rapidocr", LINES_ONLY, "rapidocr-full"]]
    print(markdown(rows))
    video = [measure_video(engine, items) for engine in args.engine or ["rapidocr"]
             ] if args.video else []
    if video:
        print("\n| engine | photos | exact, stills | exact, MPEG-4 clip (95 % CI) "
              "| read in a still, lost in the clip |\n|---|---:|---:|---:|---:|")
        for v in video:
            print(f"| {v['engine']} | {v['frames']} | {v['still_exact']:.1%} "
                  f"| {_pct(v['video_exact'], v['video_exact_ci95'])} "
                  f"| {v['lost_to_compression']} |")
    wide = [measure_wide(items, args.wide, side)
            for side in args.detect_side or [1280, DETECT_SIDE]] if args.wide else []
    if wide:
        print("\n| detector side | frames | plates | read exactly (95 % CI) | ms median "
              "| ms p90 |\n|---:|---|---:|---:|---:|---:|")
        for w in wide:
            print(f"| {w['detect_side']} | {w['frames']} × {w['frame']} | {w['plates']} "
                  f"| {_pct(w['read_exactly'], w['read_exactly_ci95'])} "
                  f"| {w['ms_median']:.0f} | {w['ms_p90']:.0f} |")
    if args.write:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps({
            "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
            "cpu_threads": 1,
            "omp_num_threads": os.environ.get("OMP_NUM_THREADS", ""),
            "data": f"plates-real/{args.split}: {len(items)} US photos with plate text "
                    "(UCSD parking-lot stills, California; research licence, not in the "
                    "project)",
            "split": args.split,
            "results": rows,
            "video": video,
            "wide": wide,
        }, indent=2) + "\n")


if __name__ == "__main__":
    main()
