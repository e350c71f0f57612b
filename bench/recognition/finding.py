"""Plate finding on real labelled photos: the plate detector against the text detector.

    OMP_NUM_THREADS=1 python -m bench.recognition.finding --split dev
    OMP_NUM_THREADS=1 python -m bench.recognition.finding --split val --write

For every labelled plate box of ``plates-real/<split>`` (the UCSD parking-lot stills and
the Open Images photos, each reported apart): whether the plate detector
(`plateledger.recognize.plates.PlateFinder`) found it — a found box whose centre lies
on the labelled box — and, as the baseline in the same run, whether the PP-OCRv4 text
detector over the whole frame (`LineDetector`, what the engine ran before) found a line
whose centre lies on it. The finder's boxes are also counted where their intersection
over union with the label reaches 0.3 (a box that fits the plate). Also: boxes found per
photo that lie on no labelled plate, and milliseconds per photo on one thread, each
detector alone. Open
Images labels miss some plates, so its "elsewhere" count overstates false finds. The
finder never trained on a UCSD photo; it trained on the Open Images ``dev`` photos, so
only ``val`` says how it does on Open Images photos it has not seen.
``--write`` saves ``bench/results/recognition-finding.json`` and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import csv
import json
import platform
import statistics
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import cv2

from bench.recognition.real import DATA, wilson
from bench.timing import RESULTS as RESULTS_DIR
from plateledger.recognize.detect import LineDetector
from plateledger.recognize.localize import Box
from plateledger.recognize.plates import PlateFinder

RESULTS = RESULTS_DIR / "recognition-finding.json"
SOURCES = {"ucsd-stills": "UCSD stills (US, 640×480)",
           "openimages-lp": "Open Images (mixed countries, 416×416)"}


@dataclass(frozen=True)
class Labelled:
    path: Path
    source: str
    boxes: tuple[Box, ...]


def labelled(split: str, data: Path = DATA) -> list[Labelled]:
    """Every photo of ``split`` with its labelled plate boxes."""
    boxes: dict[str, list[Box]] = {}
    source: dict[str, str] = {}
    with (data / "labels.csv").open(newline="") as f:
        for row in csv.DictReader(f):
            if row["file"].startswith(f"{split}/"):
                boxes.setdefault(row["file"], []).append(
                    Box(int(float(row["x"])), int(float(row["y"])), max(1, int(float(row["w"]))),
                        max(1, int(float(row["h"])))))
                source[row["file"]] = row["source"]
    return [Labelled(data / name, source[name], tuple(found))
            for name, found in sorted(boxes.items())]


def centre_on(line: Box, plate: Box) -> bool:
    cx, cy = line.x + line.w / 2, line.y + line.h / 2
    return plate.x <= cx <= plate.x + plate.w and plate.y <= cy <= plate.y + plate.h


def measure(items: list[Labelled]) -> dict[str, Any]:
    finder = PlateFinder()
    lines = LineDetector()
    found = fitted = seen = plates = 0
    stray_found = stray_lines = 0
    finder_ms: list[float] = []
    lines_ms: list[float] = []
    for item in items:
        frame = cv2.imread(str(item.path), cv2.IMREAD_COLOR)
        started = time.perf_counter()
        boxes = [p.box for p in finder.plates(frame)]
        finder_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        detected = [line.box for line in lines.lines(frame)]
        lines_ms.append((time.perf_counter() - started) * 1000)
        plates += len(item.boxes)
        found += sum(any(centre_on(b, t) for b in boxes) for t in item.boxes)
        fitted += sum(any(b.iou(t) >= 0.3 for b in boxes) for t in item.boxes)
        seen += sum(any(centre_on(b, t) for b in detected) for t in item.boxes)
        stray_found += sum(not any(centre_on(b, t) for t in item.boxes) for b in boxes)
        stray_lines += sum(not any(centre_on(b, t) for t in item.boxes) for b in detected)
    n = len(items)
    return {
        "photos": n, "plates": plates,
        "finder_found": found / plates, "finder_found_ci": wilson(found, plates),
        "finder_fitted": fitted / plates, "finder_fitted_ci": wilson(fitted, plates),
        "finder_elsewhere_per_photo": stray_found / n,
        "finder_ms_p50": statistics.median(finder_ms),
        "text_detector_found": seen / plates, "text_detector_found_ci": wilson(seen, plates),
        "text_detector_elsewhere_per_photo": stray_lines / n,
        "text_detector_ms_p50": statistics.median(lines_ms),
    }


def markdown(split: str, rows: dict[str, dict[str, Any]]) -> str:
    out = ["| photos | plates | plate detector finds | its box fits (IoU ≥ 0.3) | "
           "elsewhere / photo | ms p50 | text detector finds | lines elsewhere / photo | "
           "ms p50 |",
           "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for source, r in rows.items():
        lo, hi = r["finder_found_ci"]
        tlo, thi = r["text_detector_found_ci"]
        out.append(
            f"| {SOURCES[source]}, `{split}` ({r['photos']}) | {r['plates']} | "
            f"{r['finder_found']:.1%} ({lo:.0%}–{hi:.0%}) | {r['finder_fitted']:.1%} | "
            f"{r['finder_elsewhere_per_photo']:.2f} | {r['finder_ms_p50']:.1f} | "
            f"{r['text_detector_found']:.1%} ({tlo:.0%}–{thi:.0%}) | "
            f"{r['text_detector_elsewhere_per_photo']:.2f} | {r['text_detector_ms_p50']:.0f} |")
    return "\n".join(out).replace("%", " %")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", default="dev", choices=("dev", "val"))
    parser.add_argument("--write", action="store_true", help="save the results JSON")
    args = parser.parse_args()
    items = labelled(args.split)
    rows = {source: measure([i for i in items if i.source == source]) for source in SOURCES}
    print(markdown(args.split, rows))
    if args.write:
        RESULTS.write_text(json.dumps({
            "split": args.split, "rows": rows,
            "when": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": platform.machine(), "python": platform.python_version(),
        }, indent=2) + "\n")


if __name__ == "__main__":
    main()
