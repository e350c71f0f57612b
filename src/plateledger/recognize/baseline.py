"""Engine ``rapidocr-full``: RapidOCR's own pipeline over the whole frame (the baseline).

RapidOCR detects every text line in the frame and reads each; we keep the lines that read
like plates (plate alphabet, state formats) and report the most plate-like. It is what a
plain OCR integration does, and what the default engine is measured against.
"""

from __future__ import annotations

from datetime import UTC, datetime

import cv2
import numpy as np

from plateledger.recognize.errors import EngineError
from plateledger.recognize.formats import FORMATS
from plateledger.recognize.frame import FrameSource, load_frame
from plateledger.recognize.recognizer import Recognition


class FullFrameRecognizer:
    """Engine ``rapidocr-full``; one CPU thread."""

    name = "rapidocr-full"

    def __init__(self) -> None:
        try:
            from rapidocr_onnxruntime import RapidOCR
        except ImportError as exc:  # pragma: no cover - a declared dependency
            raise EngineError("rapidocr_onnxruntime is not installed") from exc
        self._ocr = RapidOCR(intra_op_num_threads=1, inter_op_num_threads=1)

    def recognize(
        self, image: FrameSource, *, ts: datetime | None = None
    ) -> list[Recognition]:
        """The most plate-like text line in ``image`` (see `Recognizer.recognize`)."""
        when = ts or datetime.now(UTC)
        frame = load_frame(image)
        result, _ = self._ocr(frame)
        best: tuple[float, str, float, tuple[int, int, int, int]] | None = None
        for points, text, score in result or []:
            plate = "".join(ch for ch in str(text).upper() if ch.isascii() and ch.isalnum())
            if not 2 <= len(plate) <= 8:
                continue
            formatted = any(f.matches(plate) for f in FORMATS)
            rank = float(score) * (1.0 if formatted else 0.6)
            xs = [int(p[0]) for p in points]
            ys = [int(p[1]) for p in points]
            box = (min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys))
            if best is None or rank > best[0]:
                best = (rank, plate, float(score), box)
        if best is None:
            return []
        _, plate, score, (x, y, w, h) = best
        crop = np.ascontiguousarray(frame[y : y + max(h, 1), x : x + max(w, 1)])
        ok, jpeg = cv2.imencode(".jpg", crop)
        return [Recognition(plate, round(score, 4), tuple(round(score, 4) for _ in plate),
                            "", 0.0, (x, y, w, h), jpeg.tobytes() if ok else b"", when)]
