"""The default engine: localise plate lines, read them, check formats, vote over crops.

1. `plate_line_candidates` proposes up to 12 boxes (~5 ms for 1280×720);
2. the PP-OCRv4 recogniser reads each proposal, folded onto A–Z0–9 (`TextLineReader`);
3. `decode_plate` applies the state formats (O/0, I/1… and an emblem read as a character);
4. proposals that read like plates are re-read from a few jittered crops, and the crops
   vote: a one-pixel shift changes a misread more often than a good read;
5. the strip above the characters is read for a state name, the region guess.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime

import cv2
import numpy as np

from plateledger.recognize.decode import PlateText, decode_plate
from plateledger.recognize.formats import fit_to_format, format_for_region, region_from_name
from plateledger.recognize.frame import FrameSource, load_frame
from plateledger.recognize.localize import Box, plate_line_candidates
from plateledger.recognize.recognizer import Recognition
from plateledger.recognize.textline import TextLineReader

MIN_FORMATTED_CONFIDENCE = 0.5
"""A read that fits a state format is reported from this confidence up."""

MIN_FREE_CONFIDENCE = 0.85
"""A read that fits no format (vanity plate, or a sign) needs this much, and digits."""

_JITTERS = ((-2, 1, 0.05, 0.18), (2, -1, 0.11, 0.32))

SURE = 0.9
"""A formatted read whose every character is this sure is not re-read."""
"""Re-read crops: (dx, dy, fx, fy) shift and growth of the line box."""


@dataclass(frozen=True, slots=True)
class _Read:
    box: Box
    text: PlateText
    score: float


VOTED_READS = 2
"""Plate-like proposals examined closely (re-read, state name read); the rest are dropped."""

PROPOSALS = 8
"""Proposals read per frame (each costs ~8 ms on one core)."""


def _plate_score(text: PlateText) -> float:
    """How plate-like a read is: confident, of plate length, in a state format, and mixing
    letters with digits as nearly every standard US plate does."""
    length = 1.0 if 5 <= len(text.text) <= 8 else 0.3
    mixed = any(c.isdigit() for c in text.text) and any(c.isalpha() for c in text.text)
    return text.confidence * length * (1.0 if text.regions else 0.6) * (1.0 if mixed else 0.3)


class PlateRecognizer:
    """Engine ``rapidocr``: see the module docstring. Not thread-safe; one per thread."""

    name = "rapidocr-edge"

    def __init__(self, reader: TextLineReader | None = None, *, max_plates: int = 4) -> None:
        self._reader = reader or TextLineReader()
        self._max_plates = max_plates

    def recognize(
        self, image: FrameSource, *, ts: datetime | None = None
    ) -> list[Recognition]:
        """The plates in ``image``, best first (see `Recognizer.recognize`)."""
        when = ts or datetime.now(UTC)
        frame = load_frame(image)
        height, width = frame.shape[:2]
        boxes = plate_line_candidates(frame, PROPOSALS)
        crops = [b.expanded(0.08, 0.25, width, height) for b in boxes]
        reads = []
        for box, probs in zip(boxes, self._read_all([c.crop(frame) for c in crops]),
                              strict=True):
            text = decode_plate(probs)
            if text is not None:
                reads.append(_Read(box, text, _plate_score(text)))
        reads.sort(key=lambda r: -r.score)
        found: list[tuple[float, Recognition, Box]] = []
        for attempt, read in enumerate(reads):
            if len(found) == VOTED_READS or attempt == 2 * VOTED_READS:
                break
            if any(read.box.iou(b) > 0.2 for _, _, b in found):
                continue
            voted = self._vote(frame, read)
            if not _reportable(voted):
                continue
            recognition, named = self._recognition(frame, read.box, voted, when)
            # a state name above the characters is the best evidence of a plate
            score = _plate_score(voted) * (1.5 if named else 1.0)
            found.append((score, recognition, read.box))
        found.sort(key=lambda f: -f[0])
        return [r for _, r, _ in found[: self._max_plates]]

    def _read_all(self, crops: list[np.ndarray]) -> list[np.ndarray]:
        # batch crops of similar width together: a batch is padded to its widest crop
        order = sorted(range(len(crops)), key=lambda i: crops[i].shape[1] / crops[i].shape[0])
        result: list[np.ndarray] = [np.empty(0)] * len(crops)
        for start in range(0, len(order), 4):
            group = order[start : start + 4]
            for i, probs in zip(group, self._reader.read([crops[i] for i in group]),
                                strict=True):
                result[i] = probs
        return result

    def _vote(self, frame: np.ndarray, read: _Read) -> PlateText:
        height, width = frame.shape[:2]
        line = read.box
        crops = [line.shifted(dx, dy, width, height).expanded(fx, fy, width, height).crop(frame)
                 for dx, dy, fx, fy in _JITTERS]
        texts = [read.text]
        if read.text.regions and min(read.text.char_confidences) >= SURE:
            return read.text
        texts += [t for t in (decode_plate(p) for p in self._reader.read(crops)) if t]
        weight: dict[str, float] = defaultdict(float)
        for t in texts:
            weight[t.text] += t.confidence * (1.0 if t.regions else 0.6)
        winner = max(weight, key=lambda k: weight[k])
        same = [t for t in texts if t.text == winner]
        confidences = tuple(
            float(np.mean([t.char_confidences[i] for t in same])) * len(same) / len(texts)
            for i in range(len(winner))
        )
        return PlateText(winner, confidences, same[0].regions)

    def _recognition(
        self, frame: np.ndarray, line: Box, text: PlateText, when: datetime
    ) -> tuple[Recognition, bool]:
        """The recognition, and whether a state name was read above the characters."""
        height, width = frame.shape[:2]
        # a plate is about twice as tall as its line of characters, the state name above
        top = max(0, round(line.y - 0.9 * line.h))
        plate = Box(line.x, top, line.w, line.y + line.h - top).expanded(0.1, 0.15, width,
                                                                        height)
        region, region_confidence, named = self._region(frame, line, top, text)
        fmt = format_for_region(region) if named else None
        fitted = fit_to_format(text.text, fmt) if fmt is not None else None
        if fitted is not None and fitted != text.text:
            # the state name settles what the format alone could not (O/0 under NEVADA)
            text = PlateText(fitted, text.char_confidences, (region,))
        ok, jpeg = cv2.imencode(".jpg", plate.crop(frame), [cv2.IMWRITE_JPEG_QUALITY, 90])
        return Recognition(
            plate=text.text,
            confidence=round(text.confidence, 4),
            char_confidences=tuple(round(c, 4) for c in text.char_confidences),
            region=region,
            region_confidence=round(region_confidence, 4),
            box=(plate.x, plate.y, plate.w, plate.h),
            crop_jpeg=jpeg.tobytes() if ok else b"",
            ts=when,
        ), named

    def _region(
        self, frame: np.ndarray, line: Box, top: int, text: PlateText
    ) -> tuple[str, float, bool]:
        strip_h = line.y - top
        if strip_h >= 4:
            strip = Box(line.x, top, line.w, strip_h).expanded(0.1, 0.0, frame.shape[1],
                                                               frame.shape[0])
            name, confidence = self._reader.read_text([strip.crop(frame)])[0]
            region = region_from_name(name)
            fmt = format_for_region(region)
            if region and fmt is not None:
                agrees = fmt.matches(text.text)
                return region, confidence * (0.95 if agrees else 0.6), True
        if len(text.regions) == 1:
            return text.regions[0], 0.5, False
        return "", 0.0, False


def _reportable(text: PlateText) -> bool:
    if not 2 <= len(text.text) <= 8:
        return False
    if text.regions:
        return text.confidence >= MIN_FORMATTED_CONFIDENCE
    # outside the formats, words without digits are nearly always signs, not plates:
    # vanity plates of letters only are given up for that
    mixed = any(c.isdigit() for c in text.text) and any(c.isalpha() for c in text.text)
    return mixed and len(text.text) >= 5 and text.confidence >= MIN_FREE_CONFIDENCE
