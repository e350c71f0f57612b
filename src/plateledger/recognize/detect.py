"""Learned text-line detection: PP-OCRv4's detector (shipped in the rapidocr wheel).

The detector is a DB segmentation network trained on text in the wild: it gives every
pixel a probability of lying on text. We threshold that map, take each connected region's
bounding box, grow it as DB's "unclip" does, and keep boxes whose size and shape a plate's
line of characters may have. A per-camera region of interest (`Roi`) limits where plates
are looked for, so that a burned-in timestamp or a shop sign outside it costs nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from plateledger.recognize.framing import DETECT_SIDE, MAX_ENLARGE, Roi, detector_scale
from plateledger.recognize.localize import Box
from plateledger.recognize.onnx import cpu_session
from plateledger.recognize.textline import rapidocr_model_dir

THRESHOLD = 0.3
"""Text probability from which a pixel is text (DB's binarisation threshold)."""

MIN_BOX_SCORE = 0.5
"""Mean text probability inside a region for it to count as a line."""

SIDE_MARGIN = 0.03
"""Extra length on each end of a line, as a share of its length."""

UNCLIP = 1.6
"""How much a region grows, as DB's unclip ratio (area × ratio / perimeter on each side)."""


@dataclass(frozen=True, slots=True)
class Line:
    """A detected text line: its box in frame pixels, the detector's mean score, and its
    rotated rectangle's four corners (``4×2``; a tilted plate is read straightened)."""

    box: Box
    score: float
    quad: np.ndarray | None = None

    def crop(self, frame: np.ndarray, longer: float = 0.0) -> np.ndarray:
        """The line's pixels, straightened along its rotated rectangle when it has one;
        ``longer`` adds that share of its length at each end."""
        if self.quad is None:
            return self.box.expanded(longer, 0.0, frame.shape[1], frame.shape[0]).crop(frame)
        return straightened(frame, lengthened(self.quad, longer) if longer else self.quad)


def lengthened(quad: np.ndarray, share: float) -> np.ndarray:
    """``quad`` with each end moved out by ``share`` of its length along its long side."""
    centre = quad.mean(axis=0)
    edges = [quad[(i + 1) % 4] - quad[i] for i in range(4)]
    longest = max(edges, key=lambda e: float(np.linalg.norm(e)))
    length = float(np.linalg.norm(longest))
    if length == 0.0:
        return quad
    unit = longest / length
    side = np.sign((quad - centre) @ unit)[:, None]
    moved: np.ndarray = (quad + side * unit * share * length).astype(np.float32)
    return moved


def straightened(frame: np.ndarray, quad: np.ndarray) -> np.ndarray:
    """The pixels inside ``quad`` (four corners in any order) warped to an upright
    rectangle, longest side horizontal."""
    pts = quad[np.argsort(quad[:, 0])]
    left = pts[:2][np.argsort(pts[:2, 1])]
    right = pts[2:][np.argsort(pts[2:, 1])]
    tl, bl, tr, br = left[0], left[1], right[0], right[1]
    w = max(1, round(max(np.linalg.norm(tr - tl), np.linalg.norm(br - bl))))
    h = max(1, round(max(np.linalg.norm(bl - tl), np.linalg.norm(br - tr))))
    target = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(np.array([tl, tr, br, bl], dtype=np.float32), target)
    return cv2.warpPerspective(frame, matrix, (w, h), borderMode=cv2.BORDER_REPLICATE,
                               flags=cv2.INTER_CUBIC)


class LineDetector:
    """PP-OCRv4's text detector on one CPU thread."""

    def __init__(self, model: Path | None = None, *, side: int = DETECT_SIDE,
                 enlarge: float = MAX_ENLARGE, threads: int = 1) -> None:
        path = model or rapidocr_model_dir() / "ch_PP-OCRv4_det_infer.onnx"
        self._session = cpu_session(path, "detector model", threads=threads)
        self._input = self._session.get_inputs()[0].name
        self._side = side
        self._enlarge = enlarge

    def lines(self, frame: np.ndarray, roi: Roi | None = None) -> list[Line]:
        """Text lines in ``frame`` (BGR) inside ``roi``, in frame pixels, best first."""
        height, width = frame.shape[:2]
        area = (roi or Roi()).box(width, height)
        # small frames are enlarged a little: plate characters of ~12 px are hard for DB
        scale = detector_scale(area.h, area.w, self._side, self._enlarge)
        return self._detect(area.crop(frame), scale, area.x, area.y)

    def lines_in(self, frame: np.ndarray, area: Box, scale: float) -> list[Line]:
        """Text lines in the ``area`` of ``frame`` (a plate found by the plate detector,
        with a margin), the detector run at ``scale``; in frame pixels, best first."""
        return self._detect(area.crop(frame), scale, area.x, area.y)

    def _detect(self, image: np.ndarray, scale: float, x0: int, y0: int) -> list[Line]:
        """Lines in ``image`` (a part of a frame whose top left is ``x0, y0``) with the
        detector run at ``scale``, in frame pixels, best first."""
        h, w = image.shape[:2]
        sh = max(32, round(h * scale / 32) * 32)
        sw = max(32, round(w * scale / 32) * 32)
        resized = cv2.resize(image, (sw, sh), interpolation=cv2.INTER_LINEAR)
        blob = (resized[:, :, ::-1].astype(np.float32) / 255.0 - 0.5) / 0.5
        prob = self._session.run(None, {self._input: blob.transpose(2, 0, 1)[None]})[0][0, 0]
        mask = (prob > THRESHOLD).astype(np.uint8)
        mask = cv2.dilate(mask, np.ones((2, 2), np.uint8))
        contours, _ = cv2.findContours(mask, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
        fx, fy = w / sw, h / sh
        out: list[Line] = []
        for contour in contours[:1000]:
            x, y, bw, bh = cv2.boundingRect(contour)
            if min(bw, bh) < 3:
                continue
            region = mask[y : y + bh, x : x + bw]
            score = float(prob[y : y + bh, x : x + bw][region > 0].mean())
            if score < MIN_BOX_SCORE:
                continue
            (cx, cy), (rw, rh), angle = cv2.minAreaRect(contour)
            grow = rw * rh * UNCLIP / max(2.0 * (rw + rh), 1.0)
            # the long side grows a little more: a plate's first and last characters
            # sit close to the line's ends, and a cut "4" reads as "L"
            along = SIDE_MARGIN * max(rw, rh)
            qw = rw + 2 * grow + (2 * along if rw >= rh else 0.0)
            qh = rh + 2 * grow + (2 * along if rh > rw else 0.0)
            quad = cv2.boxPoints(((cx, cy), (qw, qh), angle))
            quad = quad * np.array([fx, fy], dtype=np.float32) + np.array(
                [x0, y0], dtype=np.float32)
            left = max(0.0, (x - grow) * fx)
            top = max(0.0, (y - grow) * fy)
            right = min(float(w), (x + bw + grow) * fx)
            bottom = min(float(h), (y + bh + grow) * fy)
            box = Box(x0 + math.floor(left), y0 + math.floor(top),
                      max(1, math.ceil(right - left)), max(1, math.ceil(bottom - top)))
            out.append(Line(box, score, quad))
        out.sort(key=lambda line: -line.score)
        return out

