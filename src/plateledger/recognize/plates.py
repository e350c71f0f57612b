"""Plate finding: the project's own plate detector (`models/plates.onnx`).

A small fully convolutional network, trained by ``training/plate_detector.py`` on Open
Images photos (CC BY; see ``models/PLATES.md``) and on this project's rendered plates,
marks each 4×4 block of its input that lies on a licence plate. Marked regions become
plate boxes. It costs ~8 ms for a 640×480 frame on one core (`bench/recognition/finding.py`;
~17 ms at 1280×720, timed by hand), where the text detector over the whole frame costs
~200 ms for the same 640×480 frame: the engine runs the text detector only around the
plates found here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from plateledger.recognize.framing import Roi
from plateledger.recognize.localize import Box
from plateledger.recognize.onnx import cpu_session

MODEL = Path(__file__).parent / "models" / "plates.onnx"

STRIDE = 4
"""Input pixels per output pixel, each side."""

FIND_SIDE = 1280
"""Longest side of the finder's input: larger frames are scaled down to it (a 60 px plate
of a full-HD frame is 40 px there, inside the 18–200 px it was trained on); smaller
frames are never enlarged."""

THRESHOLD = 0.5
"""Plate probability from which an output pixel is on a plate."""

MIN_SCORE = 0.6
"""Mean plate probability inside a region for it to count as a plate."""

MIN_CELLS = 3
"""Output pixels a region needs (smaller ones are noise, or plates too small to read)."""


@dataclass(frozen=True, slots=True)
class FoundPlate:
    """A plate found in a frame: its box in frame pixels and the finder's mean score."""

    box: Box
    score: float


class PlateFinder:
    """The plate detector on one CPU thread. Not thread-safe; one per thread."""

    def __init__(self, model: Path | None = None, *, side: int = FIND_SIDE,
                 threads: int = 1) -> None:
        path = model or MODEL
        self._session = cpu_session(path, "plate detector", threads=threads)
        self._input = self._session.get_inputs()[0].name
        self._side = side

    def probabilities(self, image: np.ndarray) -> tuple[np.ndarray, float]:
        """The plate probability map of ``image`` (BGR; grey and BGRA are converted) and
        the scale it was taken at."""
        if image.ndim == 2:
            image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
        elif image.shape[2] == 4:
            image = cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
        h, w = image.shape[:2]
        scale = min(1.0, self._side / max(h, w, 1))
        sh = max(32, math.ceil(h * scale / 32) * 32)
        sw = max(32, math.ceil(w * scale / 32) * 32)
        rh, rw = max(1, round(h * scale)), max(1, round(w * scale))
        resized = image if (rh, rw) == (h, w) else cv2.resize(
            image, (rw, rh), interpolation=cv2.INTER_AREA)
        padded = np.zeros((sh, sw, 3), np.uint8)
        padded[:rh, :rw] = resized
        blob = padded.astype(np.float32).transpose(2, 0, 1)[None] / 127.5 - 1.0
        logits = self._session.run(None, {self._input: blob})[0][0, 0]
        prob: np.ndarray = 1.0 / (1.0 + np.exp(-logits))
        return prob[: math.ceil(rh / STRIDE), : math.ceil(rw / STRIDE)], scale

    def plates(self, frame: np.ndarray, roi: Roi | None = None) -> list[FoundPlate]:
        """Plates in ``frame`` (BGR) inside ``roi``, in frame pixels, most sure first."""
        height, width = frame.shape[:2]
        area = (roi or Roi()).box(width, height)
        prob, scale = self.probabilities(area.crop(frame))
        count, labels, stats, _ = cv2.connectedComponentsWithStats(
            (prob > THRESHOLD).astype(np.uint8), connectivity=8)
        factor = STRIDE / scale
        found: list[FoundPlate] = []
        for i in range(1, count):
            x, y, w, h, cells = (int(v) for v in stats[i])
            if cells < MIN_CELLS:
                continue
            score = float(prob[labels == i].mean())
            if score < MIN_SCORE:
                continue
            left, top = area.x + x * factor, area.y + y * factor
            right = min(float(area.x + area.w), float(width), area.x + (x + w) * factor)
            bottom = min(float(area.y + area.h), float(height), area.y + (y + h) * factor)
            found.append(FoundPlate(Box(math.floor(left), math.floor(top),
                                        max(1, math.ceil(right - left)),
                                        max(1, math.ceil(bottom - top))), score))
        found.sort(key=lambda p: -p.score)
        return found
