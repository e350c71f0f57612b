"""Classical plate localisation: where in a frame a plate's line of characters may be.

A plate's characters make a short horizontal run of dense vertical edges with a strong
light/dark contrast. We take the horizontal gradient, keep its strong part, close it with a
wide flat kernel so that the characters of one line join into one blob, and keep blobs
whose size and aspect ratio a plate line could have, ranked by edge density and contrast.
Candidates are only proposals: the recogniser and the state formats decide which is a
plate, so a sign or a dealer frame costs time, not accuracy, unless it reads like a plate.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

MAX_CANDIDATES = 12
"""Proposals handed to the recogniser per frame (each costs ~3 ms on one core)."""

WORK_WIDTH = 1280
"""Frames wider than this are localised on a copy scaled down to it."""


@dataclass(frozen=True, slots=True)
class Box:
    """An axis-aligned box in frame pixels."""

    x: int
    y: int
    w: int
    h: int

    def expanded(self, fx: float, fy: float, width: int, height: int) -> Box:
        """The box grown by ``fx``·w on each side and ``fy``·h above and below, clipped
        to a ``width``×``height`` frame."""
        x0 = max(0, round(self.x - fx * self.w))
        y0 = max(0, round(self.y - fy * self.h))
        x1 = min(width, round(self.x + self.w + fx * self.w))
        y1 = min(height, round(self.y + self.h + fy * self.h))
        return Box(x0, y0, max(1, x1 - x0), max(1, y1 - y0))

    def shifted(self, dx: int, dy: int, width: int, height: int) -> Box:
        """The box moved by ``(dx, dy)``, kept inside the frame."""
        x = min(max(0, self.x + dx), max(0, width - self.w))
        y = min(max(0, self.y + dy), max(0, height - self.h))
        return Box(x, y, self.w, self.h)

    def within(self, other: Box) -> Box | None:
        """The part of the box inside ``other``; None where they do not overlap."""
        x0, y0 = max(self.x, other.x), max(self.y, other.y)
        x1 = min(self.x + self.w, other.x + other.w)
        y1 = min(self.y + self.h, other.y + other.h)
        return Box(x0, y0, x1 - x0, y1 - y0) if x1 > x0 and y1 > y0 else None

    def crop(self, frame: np.ndarray) -> np.ndarray:
        """The pixels of ``frame`` inside the box."""
        return frame[self.y : self.y + self.h, self.x : self.x + self.w]

    def iou(self, other: Box) -> float:
        """Intersection over union with ``other``."""
        ix = max(0, min(self.x + self.w, other.x + other.w) - max(self.x, other.x))
        iy = max(0, min(self.y + self.h, other.y + other.h) - max(self.y, other.y))
        inter = ix * iy
        union = self.w * self.h + other.w * other.h - inter
        return inter / union if union else 0.0


def plate_line_candidates(frame: np.ndarray, limit: int = MAX_CANDIDATES) -> list[Box]:
    """Up to ``limit`` boxes that may hold a plate's line of characters, best first.

    ``frame`` is a BGR ``uint8`` image. Lines from about 8 to 120 pixels high are found.
    """
    height, width = frame.shape[:2]
    scale = min(1.0, WORK_WIDTH / width)
    gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    if scale < 1.0:
        gray = cv2.resize(gray, (round(width * scale), round(height * scale)),
                          interpolation=cv2.INTER_AREA)
    found: list[tuple[float, Box]] = []
    for kernel_w in (9, 17):
        found.extend(_blobs(gray, kernel_w))
    found.sort(key=lambda item: -item[0])
    kept: list[Box] = []
    for _, box in found:
        if all(box.iou(k) < 0.5 for k in kept):
            kept.append(box)
        if len(kept) == limit:
            break
    if scale < 1.0:
        kept = [Box(round(b.x / scale), round(b.y / scale), round(b.w / scale),
                    round(b.h / scale)) for b in kept]
    return kept


def _blobs(gray: np.ndarray, kernel_w: int) -> list[tuple[float, Box]]:
    grad = cv2.Sobel(gray, cv2.CV_16S, 1, 0, ksize=3)
    grad = cv2.convertScaleAbs(grad)
    _, strong = cv2.threshold(grad, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    closed = cv2.morphologyEx(strong, cv2.MORPH_CLOSE,
                              cv2.getStructuringElement(cv2.MORPH_RECT, (kernel_w, 3)))
    opened = cv2.morphologyEx(closed, cv2.MORPH_OPEN,
                              cv2.getStructuringElement(cv2.MORPH_RECT, (5, 5)))
    contours, _ = cv2.findContours(opened, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    out: list[tuple[float, Box]] = []
    for contour in contours:
        x, y, w, h = cv2.boundingRect(contour)
        if not (8 <= h <= 120 and 24 <= w <= 500 and 1.2 <= w / h <= 9.0):
            continue
        fill = cv2.contourArea(contour) / float(w * h)
        boxes = [Box(x, y, w, h)] if fill >= 0.45 and w / h >= 1.6 else []
        if h >= 14 and fill >= 0.25:
            # a whole plate (state name, characters, slogan) joined into one blob:
            # its characters are the tallest band of rows dense with edges
            line = _tallest_band(strong, Box(x, y, w, h))
            if line is not None:
                boxes.append(line)
        for box in boxes:
            out.append((_score(gray, strong, box), box))
    return out


def _tallest_band(strong: np.ndarray, box: Box) -> Box | None:
    rows = (box.crop(strong) > 0).mean(axis=1)
    if rows.max() <= 0:
        return None
    dense = rows > 0.35 * rows.max()
    best: tuple[int, int] | None = None
    start = None
    for i, flag in enumerate([*dense.tolist(), False]):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            if best is None or i - start > best[1] - best[0]:
                best = (start, i)
            start = None
    if best is None or best[1] - best[0] < 8 or best[1] - best[0] >= box.h - 2:
        return None
    band = Box(box.x, box.y + best[0], box.w, best[1] - best[0])
    cols = np.flatnonzero(band.crop(strong).any(axis=0))
    if cols.size == 0:
        return None
    return Box(box.x + int(cols[0]), band.y, int(cols[-1] - cols[0] + 1), band.h)


def _score(gray: np.ndarray, strong: np.ndarray, box: Box) -> float:
    patch = box.crop(gray)
    density = float(np.count_nonzero(box.crop(strong))) / (box.w * box.h)
    contrast = float(np.percentile(patch, 90) - np.percentile(patch, 10)) / 255.0
    # plates are small in a street frame: very large blobs are signs or buildings
    size = 1.0 if box.h <= 40 else 40.0 / box.h
    shape = 1.0 if 2.0 <= box.w / box.h <= 6.0 else 0.6
    return density * contrast * size * shape
