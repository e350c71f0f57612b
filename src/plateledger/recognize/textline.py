"""The text-line reader: PP-OCRv4's recogniser (shipped in the rapidocr wheel), run alone.

RapidOCR's own pipeline detects every text line in a frame and reads each with a
6,600-character alphabet. We use only its recogniser, on plate crops we localised
ourselves, and fold its output onto the plate alphabet: per time step, the probabilities
of blank, of "anything that is not A–Z or 0–9" (emblems, dots, dashes) and of each of the
36 plate characters.
"""

from __future__ import annotations

import math
from pathlib import Path

import cv2
import numpy as np

from plateledger.plates.formats import ALPHABET
from plateledger.recognize.errors import EngineError
from plateledger.recognize.onnx import cpu_session

LINE_HEIGHT = 48
"""Height of the recogniser's input; crops are resized to it, keeping their aspect."""

MIN_WIDTH = 320
"""`read_lines` pads inputs to at least this width, as the recogniser was trained: a short plate
line read unpadded loses its first character more often (``4`` read as ``L``)."""

BLANK, OTHER = 0, 1
"""Columns of the folded output before the 36 plate characters."""


def rapidocr_model_dir() -> Path:
    """Folder of the ONNX models inside the installed ``rapidocr_onnxruntime`` wheel."""
    try:
        import rapidocr_onnxruntime
    except ImportError as exc:  # pragma: no cover - it is a declared dependency
        raise EngineError("rapidocr_onnxruntime is not installed") from exc
    return Path(rapidocr_onnxruntime.__file__).parent / "models"


class TextLineReader:
    """Reads cropped text lines with the PP-OCRv4 recogniser on one CPU thread."""

    def __init__(self, model: Path | None = None, *, threads: int = 1) -> None:
        path = model or rapidocr_model_dir() / "ch_PP-OCRv4_rec_infer.onnx"
        self._session = cpu_session(path, "recogniser model", threads=threads)
        meta = self._session.get_modelmeta().custom_metadata_map
        characters = ["<blank>", *meta.get("character", "").splitlines(), " "]
        index = {ch: i for i, ch in enumerate(characters)}
        missing = [ch for ch in ALPHABET if ch not in index]
        if missing:
            raise EngineError(f"recogniser model lacks characters `{''.join(missing)}`")
        self._plate_columns = np.array([index[ch] for ch in ALPHABET])
        other = np.ones(len(characters), dtype=bool)
        other[0] = False
        other[self._plate_columns] = False
        self._other_mask = other
        self._input = self._session.get_inputs()[0].name
        self._characters = characters

    def _infer(self, crops: list[np.ndarray], min_width: int = 0) -> tuple[np.ndarray, list[int]]:
        widths = [max(8, math.ceil(LINE_HEIGHT * c.shape[1] / max(1, c.shape[0]))) for c in crops]
        batch_width = max(*widths, min_width)
        batch = np.zeros((len(crops), 3, LINE_HEIGHT, batch_width), dtype=np.float32)
        for i, (crop, width) in enumerate(zip(crops, widths, strict=True)):
            resized = cv2.resize(crop, (width, LINE_HEIGHT), interpolation=cv2.INTER_CUBIC)
            batch[i, :, :, :width] = resized.transpose(2, 0, 1).astype(np.float32) / 127.5 - 1.0
        probs: np.ndarray = self._session.run(None, {self._input: batch})[0]
        return probs, widths

    def _fold(self, probs: np.ndarray, widths: list[int]) -> list[np.ndarray]:
        folded = []
        for i, width in enumerate(widths):
            # the recogniser emits one step per 8 input columns: drop steps over padding
            steps = min(probs.shape[1], math.ceil(width / 8) + 1)
            p = probs[i, :steps]
            out = np.empty((steps, 2 + len(ALPHABET)), dtype=np.float32)
            out[:, BLANK] = p[:, 0]
            out[:, OTHER] = p[:, self._other_mask].sum(axis=1)
            out[:, 2:] = p[:, self._plate_columns]
            folded.append(out)
        return folded

    def read(self, crops: list[np.ndarray]) -> list[np.ndarray]:
        """Folded probabilities, one ``(T, 38)`` array per BGR crop (columns: blank,
        other, then `ALPHABET`). Crops must be non-empty ``h×w×3`` ``uint8`` arrays."""
        if not crops:
            return []
        return self._fold(*self._infer(crops))

    def read_lines(self, crops: list[np.ndarray]) -> list[tuple[np.ndarray, str]]:
        """`read`'s folded probabilities with each crop's text over the model's whole
        alphabet (greedy; cases and symbols kept: ``12/03/2026 14:05``, ``dmv.ca.gov``)."""
        if not crops:
            return []
        probs, widths = self._infer(crops, MIN_WIDTH)
        out = []
        for folded, i, width in zip(self._fold(probs, widths), range(len(widths)), widths,
                                    strict=True):
            steps = min(probs.shape[1], math.ceil(width / 8) + 1)
            chars, previous = [], 0
            for k in probs[i, :steps].argmax(axis=1):
                if k != previous and k != 0:
                    chars.append(self._characters[int(k)])
                previous = int(k)
            out.append((folded, "".join(chars)))
        return out

    def read_text(self, crops: list[np.ndarray]) -> list[tuple[str, float]]:
        """Free text and its mean confidence per crop, over the model's whole alphabet
        (for a plate's state name, which mixes cases)."""
        out = []
        for crop in crops:
            # text two thirds of the input's height, padded: a third less width and time
            inner = LINE_HEIGHT * 2 // 3
            width = max(8, math.ceil(inner * crop.shape[1] / max(1, crop.shape[0])))
            small = cv2.resize(crop, (width, inner), interpolation=cv2.INTER_CUBIC)
            pad = (LINE_HEIGHT - inner) // 2
            resized = cv2.copyMakeBorder(small, pad, LINE_HEIGHT - inner - pad, 4, 4,
                                         cv2.BORDER_REPLICATE)
            batch = resized.transpose(2, 0, 1)[None].astype(np.float32) / 127.5 - 1.0
            probs = self._session.run(None, {self._input: batch})[0][0]
            best = probs.argmax(axis=1)
            chars, scores, previous = [], [], 0
            for t, k in enumerate(best):
                if k != previous and k != 0:
                    chars.append(self._characters[int(k)])
                    scores.append(float(probs[t, k]))
                previous = int(k)
            out.append(("".join(chars), float(np.mean(scores)) if scores else 0.0))
        return out
