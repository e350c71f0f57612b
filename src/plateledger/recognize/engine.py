"""The default engine: learned plate and line detection, raw reads, formats as evidence.

1. the project's plate detector (`PlateFinder`) finds plates inside the camera's region of
   interest, and PP-OCRv4's text detector (`LineDetector`) finds the text lines around
   each, the plate enlarged to `PLATE_WIDTH` pixels wide. Where no plate is found, or
   nothing plate-like is read on what was found, the text detector looks over the whole
   region instead; where the best read there is unsure or short (`RECHECK`,
   `RECHECK_SHORTER`), over the whole region too. Lines of a shape no plate line has are
   dropped;
2. the PP-OCRv4 recogniser reads each remaining line twice over: folded onto the plate
   alphabet (`read_plate`: raw text, calibrated character confidences, candidates) and as
   free text, which tells a plate line from a burned-in timestamp (``2026-12-03 14:05``)
   or lower-case words (``California``, ``dmv.ca.gov``);
3. the most plate-like read wins: sure characters, a plate's length, a confident line;
   letters-only and digits-only reads are plates like any other;
4. the strip above the characters is read for a state name. Only a state name read there
   gives the region, and only then does that state's format choose among the candidates.

`read_box` reads a box the caller already found (a detector of their own, a person's
click), so that finding and reading can be measured apart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

import cv2
import numpy as np

from plateledger.recognize.detect import Line, LineDetector
from plateledger.recognize.errors import ImageError
from plateledger.recognize.formats import format_for_region, region_from_name
from plateledger.recognize.frame import FrameSource, load_frame
from plateledger.recognize.framing import Roi
from plateledger.recognize.localize import Box
from plateledger.recognize.plates import FoundPlate, PlateFinder
from plateledger.recognize.reading import PlateRead, choose_for_state, read_plate, vote
from plateledger.recognize.recognizer import Recognition
from plateledger.recognize.textline import TextLineReader

LINES_READ = 10
"""Detected lines read per frame, most confident first (each costs ~5 ms on one core)."""

READ_BATCH = 1
"""Crops read per run of the recogniser. One at a time is the fastest on one thread: a
48×320 line took 18 ms alone, 24 ms each in a batch of two and 26 ms each in a batch of
four (onnxruntime 1.x, timed by hand); batches only pad their lines to the widest."""

VOTED = 2
"""The best reads of a frame re-read from other crops (`REREAD_MARGINS`)."""

SURE = 0.95
"""A read whose every character is at least this sure is not re-read (`VOTED`): on `dev`
the same plates were read exactly, in 111 ms a frame instead of 141 (by hand)."""

REREAD_MARGINS = (-0.02, 0.05)
"""Shares of a line's length taken off (negative) or added at each end for re-reads."""

RECHECK = 0.3
"""Where the best read around the plates found is less sure than this (the product of its
character confidences), the whole frame is searched too and the best of both reads wins:
on `dev`, 90.4 % exact at 124 ms a frame against 88.9 % at 131 without it (by hand)."""

RECHECK_SHORTER = 5
"""Where the best read around the plates found is shorter than this, the whole frame is
searched too (`RECHECK`): in MPEG-4 frames of the `dev` photos the text detector around a
found plate sometimes finds only part of its characters (`748` of `4ZBH748`); by hand,
167 → 169 of 198 plates read exactly from the clip, the stills unchanged."""

PLATES_SEARCHED = 4
"""Plates found by the plate detector whose lines are looked for, most sure first."""

PLATE_WIDTH = 150.0
"""Width in pixels a found plate (frame included) is scaled to for the text detector: about
the 1.5× at which it finds the characters of a 640×480 UCSD photo's plate whole (chosen on
`dev` among 150, 180 and 210 px, by hand; docs/recognition.md)."""

PLATE_MARGIN = (0.25, 0.6)
"""Share of a found plate's width (each side) and height (above and below) added around
it for the text detector. Wider margins found more lines whose reads were worse, and
looked over the whole frame less often (on `dev`, by hand: 82.8 % exact at (0.5, 1.0))."""

MIN_CHAR_QUALITY = 0.55
"""A read is reported when the geometric mean of its character confidences reaches this."""

_TIMESTAMP = re.compile(
    r"\d\s*[:：]\s*\d\d"                      # 14:05
    r"|\d{1,4}\s*/\s*\d{1,2}\s*/\s*\d{1,4}"  # 12/03/2026
    r"|\d{2,4}[-.]\d{1,2}[-.]\d{1,4}"        # 2026-12-03, 03.12.26
)


def timestamp_like(text: str) -> bool:
    """Whether a line's free text reads like a date or a time (a camera's overlay)."""
    return bool(_TIMESTAMP.search(text))


def words_like(text: str) -> bool:
    """Whether a line's free text is mostly lower-case letters (a state name in script,
    a slogan, a web address): plate characters are capitals and digits."""
    letters = [c for c in text if c.isalpha() and c.isascii()]
    lower = sum(c.islower() for c in letters)
    return len(letters) >= 3 and lower / len(letters) > 0.4


SINGLE_CLASS_WEIGHT = 0.8
"""Letters-only and digits-only reads are plates, ranked a little below mixed ones (most
standard US series mix them; a car's badge is letters only)."""


SIGN_WEIGHT = 0.3
"""Two or more words of letters (``MAIN ST``, ``EXIT ONLY``) are nearly always a sign:
such a line ranks below plate-like ones, but is still read if it is all there is."""


def signs_like(free: str) -> bool:
    """Whether a line's free text is two or more words of letters and no digits."""
    words = free.split()
    return len(words) >= 2 and all(w.isalpha() and len(w) >= 2 for w in words)


def _plate_weight(text: str, free: str = "") -> float:
    length = {2: 0.2, 3: 0.4, 4: 0.7}.get(len(text), 1.0)
    single = SINGLE_CLASS_WEIGHT if text.isalpha() or text.isdigit() else 1.0
    return length * single * (SIGN_WEIGHT if signs_like(free) else 1.0)


@dataclass(frozen=True, slots=True)
class _Candidate:
    line: Line
    read: PlateRead
    score: float
    plate_like: bool = True

    @property
    def box(self) -> Box:
        return self.line.box


def _quality(read: PlateRead) -> float:
    """Geometric mean of the character confidences."""
    return float(read.confidence ** (1.0 / len(read.text))) if read.text else 0.0


class DetectorRecognizer:
    """Engine ``rapidocr``: see the module docstring. Not thread-safe; one per thread."""

    name = "rapidocr"

    def __init__(self, *, roi: Roi | None = None, max_plates: int = 4,
                 reader: TextLineReader | None = None,
                 detector: LineDetector | None = None,
                 finder: PlateFinder | None = None, find_plates: bool = True) -> None:
        self._reader = reader or TextLineReader()
        self._detector = detector or LineDetector()
        self._finder = (finder or PlateFinder()) if find_plates else None
        self._roi = roi
        self._max_plates = max_plates
        self._free: dict[int, str] = {}

    def recognize(
        self, image: FrameSource, *, ts: datetime | None = None
    ) -> list[Recognition]:
        """The plates in ``image``, best first (see `Recognizer.recognize`)."""
        when = ts or datetime.now(UTC)
        frame = load_frame(image)
        found: list[_Candidate] = []
        names: list[tuple[Box, str]] = []
        if self._finder is not None:
            plates = self._finder.plates(frame, self._roi)[:PLATES_SEARCHED]
            found, names = self._candidates(frame, self._plate_lines(frame, plates))
        best = next((c for c in found if c.plate_like), None)
        if best is None:
            # no plate found, or nothing plate-like read on it: look everywhere
            found, names = self._candidates(frame, self._detector.lines(frame, self._roi))
        elif best.read.confidence < RECHECK or len(best.read.text) < RECHECK_SHORTER:
            more, more_names = self._candidates(frame, self._detector.lines(frame, self._roi))
            found = sorted(found + more, key=lambda c: -c.score)
            names += more_names
        if any(c.plate_like for c in found):
            # words on a sign are reported only when nothing else was read
            found = [c for c in found if c.plate_like]
        kept: list[_Candidate] = []
        for candidate in found:
            if all(candidate.box.iou(k.box) < 0.3 for k in kept):
                kept.append(candidate)
            if len(kept) == self._max_plates:
                break
        voted = [self._vote(frame, c) if i < VOTED and min(c.read.char_confidences) < SURE
                 else c.read for i, c in enumerate(kept)]
        return [self._recognition(frame, c.box, read, when, _named(c.box, names))
                for c, read in zip(kept, voted, strict=True)]

    def _plate_lines(self, frame: np.ndarray, plates: list[FoundPlate]) -> list[Line]:
        """The text lines around each found plate, best first; a line's score is the text
        detector's times the plate detector's (a shop sign the plate detector is less sure
        of ranks lower)."""
        height, width = frame.shape[:2]
        region = (self._roi or Roi()).box(width, height)
        lines: list[Line] = []
        for plate in plates:
            # the margin stays inside the region of interest: nothing outside it is read
            area = plate.box.expanded(*PLATE_MARGIN, width, height).within(region)
            if area is None:
                continue
            near = self._detector.lines_in(frame, area,
                                           min(4.0, max(0.5, PLATE_WIDTH / plate.box.w)))
            lines.extend(Line(line.box, line.score * plate.score, line.quad)
                         for line in near
                         if all(line.box.iou(other.box) < 0.7 for other in lines))
        lines.sort(key=lambda line: -line.score)
        return lines

    def _candidates(self, frame: np.ndarray, detected: list[Line]
                    ) -> tuple[list[_Candidate], list[tuple[Box, str]]]:
        """The plate-length reads of ``detected`` lines, most plate-like first, and the
        state names read among them."""
        height = frame.shape[0]
        lines = [line for line in detected if _line_shaped(line.box, height)][:LINES_READ]
        crops = [line.crop(frame) for line in lines]
        self._free = {}
        reads = self._read_crops(crops)
        names = [(line.box, region) for line, crop in zip(lines, crops, strict=True)
                 if (region := region_from_name(self._free.get(id(crop), "")))]
        found: list[_Candidate] = []
        for line, got in zip(lines, reads, strict=True):
            if got is None:
                continue
            read, free = got
            quality = _quality(read)
            if quality < MIN_CHAR_QUALITY:
                continue
            score = quality * _plate_weight(read.text, free) * line.score
            found.append(_Candidate(line, read, score, not signs_like(free)))
        found.sort(key=lambda c: -c.score)
        return found, names

    def _vote(self, frame: np.ndarray, candidate: _Candidate) -> PlateRead:
        """Re-read the line from crops a little shorter and longer; the reads vote. A
        character on the line's edge (a ``4`` read as ``L``) changes with the crop more
        often than a good read does, and disagreement lowers the confidence."""
        line = candidate.line
        reads = [candidate.read, *(r[0] for r in self._read_crops(
            [line.crop(frame, longer) for longer in REREAD_MARGINS]) if r is not None)]
        return vote(reads)

    def read_box(
        self, image: FrameSource, box: tuple[int, int, int, int], *,
        ts: datetime | None = None,
    ) -> Recognition | None:
        """Read the plate in ``box`` (``x, y, w, h`` in frame pixels: the plate, or its
        line of characters) without looking for plates; None when nothing plate-like is
        read there. Raise `ImageError` for a box outside the frame."""
        when = ts or datetime.now(UTC)
        frame = load_frame(image)
        height, width = frame.shape[:2]
        x, y, w, h = box
        if w <= 0 or h <= 0 or x < 0 or y < 0 or x + w > width or y + h > height:
            raise ImageError(f"box {box} is not inside the {width}×{height} frame")
        plate = Box(x, y, w, h)
        # the box may be a whole plate: its characters are its most plate-like line
        lines = [line for line in self._detector.lines(
            frame, Roi(x / width, y / height, w / width, h / height))
            if line.box.h >= 0.25 * h][:4]
        options = [Line(plate, 1.0), *lines]
        best: tuple[float, Box, PlateRead] | None = None
        for option, got in zip(options, self._read_crops([o.crop(frame) for o in options]),
                               strict=True):
            if got is None:
                continue
            read, free = got
            score = _quality(read) * _plate_weight(read.text, free)
            if best is None or score > best[0]:
                best = (score, option.box, read)
        if best is None:
            return None
        return self._recognition(frame, best[1], best[2], when)

    def _read_crops(self, crops: list[np.ndarray]) -> list[tuple[PlateRead, str] | None]:
        """Each crop's plate read and free text; None for no plate-length read, or a line
        that reads as a timestamp or as lower-case words."""
        order = sorted(range(len(crops)), key=lambda i: crops[i].shape[1] / crops[i].shape[0])
        result: list[tuple[PlateRead, str] | None] = [None] * len(crops)
        for start in range(0, len(order), READ_BATCH):
            group = order[start : start + READ_BATCH]
            for i, (probs, text) in zip(group, self._reader.read_lines(
                    [crops[i] for i in group]), strict=True):
                self._free[id(crops[i])] = text
                if timestamp_like(text) or words_like(text) or region_from_name(text):
                    continue
                read = read_plate(probs)
                result[i] = (read, text) if read is not None else None
        return result

    def _recognition(self, frame: np.ndarray, line: Box, read: PlateRead,
                     when: datetime, named: str = "") -> Recognition:
        height, width = frame.shape[:2]
        region, region_confidence = (named, 0.9) if named else self._state_name(frame, line)
        plate_text = choose_for_state(read, format_for_region(region) if region else None)
        top = max(0, round(line.y - 0.9 * line.h))
        plate = Box(line.x, top, line.w, line.y + line.h - top).expanded(0.1, 0.15, width,
                                                                        height)
        ok, jpeg = cv2.imencode(".jpg", plate.crop(frame), [cv2.IMWRITE_JPEG_QUALITY, 90])
        return Recognition(
            plate=plate_text,
            confidence=round(read.confidence, 4),
            char_confidences=tuple(round(c, 4) for c in read.char_confidences),
            region=region,
            region_confidence=round(region_confidence, 4),
            box=(plate.x, plate.y, plate.w, plate.h),
            crop_jpeg=jpeg.tobytes() if ok else b"",
            ts=when,
            raw=read.text,
            candidates=read.candidates,
        )

    def _state_name(self, frame: np.ndarray, line: Box) -> tuple[str, float]:
        """The state whose name is read in the strip above the characters, or ``""``:
        never a guess from the characters' format alone."""
        top = max(0, round(line.y - 0.9 * line.h))
        if line.y - top < 4:
            return "", 0.0
        strip = Box(line.x, top, line.w, line.y - top).expanded(0.1, 0.0, frame.shape[1],
                                                                frame.shape[0])
        name, confidence = self._reader.read_text([strip.crop(frame)])[0]
        region = region_from_name(name)
        return (region, confidence) if region else ("", 0.0)


def _named(line: Box, names: list[tuple[Box, str]]) -> str:
    """The state named by a detected line just above or below ``line`` on the same plate."""
    for box, region in names:
        overlap = min(box.x + box.w, line.x + line.w) - max(box.x, line.x)
        if overlap > 0.3 * min(box.w, line.w) and abs(box.y - line.y) <= 2.5 * line.h:
            return region
    return ""


def _line_shaped(box: Box, frame_height: int) -> bool:
    """Whether a detected line could be a plate's line of characters."""
    return 8 <= box.h <= 0.3 * frame_height and 1.2 <= box.w / box.h <= 10.0
