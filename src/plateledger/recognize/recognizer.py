"""The recogniser interface: an image in, zero or more plate reads out.

Engines:

- ``rapidocr`` (default): classical plate localisation, PP-OCRv4's recogniser on each
  proposal, plate alphabet, state-format checks and jittered multi-crop voting
  (`plateledger.recognize.pipeline`);
- ``rapidocr-full``: RapidOCR's own detect-then-read pipeline over the whole frame, keeping
  the most plate-like line — the baseline the benchmark compares against
  (`plateledger.recognize.baseline`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from plateledger.plates import PlateError, normalize_plate
from plateledger.read import MAX_CANDIDATES
from plateledger.recognize.errors import EngineError, ImageError
from plateledger.recognize.frame import FrameSource

if TYPE_CHECKING:
    from plateledger.recognize.framing import Roi

ENGINES = ("rapidocr", "rapidocr-full", "rapidocr-edge")


@dataclass(frozen=True, slots=True)
class Recognition:
    """One plate read in one frame.

    ``box`` is the plate's ``(x, y, w, h)`` in frame pixels; ``crop_jpeg`` the plate's
    pixels as JPEG; ``region`` a two-letter state code or ``""`` when no state name was
    read. ``raw`` is the recogniser's own text before any state format chose among the
    ``candidates`` (the raw read first, then alternatives, each with its probability).
    """

    plate: str
    confidence: float
    char_confidences: tuple[float, ...]
    region: str
    region_confidence: float
    box: tuple[int, int, int, int]
    crop_jpeg: bytes
    ts: datetime
    raw: str = ""
    candidates: tuple[tuple[str, float], ...] = ()

    def readings(self) -> dict[str, float]:
        """Every plate this recognition gives evidence for, with its probability: the
        reported plate, the raw read and the candidates (normalised, the highest
        probability of each kept)."""
        return merged_readings([(self.plate, self.confidence), *self.candidates])

    def evidence(self) -> dict[str, object]:
        """The native read's ``candidates`` and ``plate_box`` for this recognition."""
        return native_evidence(self.readings(), self.box)


def merged_readings(pairs: Iterable[tuple[str, float]],
                    into: dict[str, float] | None = None) -> dict[str, float]:
    """``pairs`` of plate and probability folded into ``into`` (a new dict by default):
    plates normalised, the highest probability of each kept, unreadable plates left out."""
    out = {} if into is None else into
    for plate, probability in pairs:
        try:
            key = normalize_plate(plate)
        except PlateError:
            continue
        value = min(1.0, max(0.0, float(probability)))
        if value > out.get(key, -1.0):
            out[key] = value
    return out


def kept(readings: dict[str, float]) -> list[tuple[str, float]]:
    """The `MAX_CANDIDATES` most probable readings, best first, probabilities rounded to
    four places: the candidates a read is stored with. A reading whose probability rounds
    to 0 (a format's look-alike the recogniser all but ruled out) is not one."""
    rounded = [(plate, round(p, 4)) for plate, p in readings.items()]
    best = sorted(((plate, p) for plate, p in rounded if p > 0.0),
                  key=lambda item: (-item[1], item[0]))
    return best[:MAX_CANDIDATES]


def native_evidence(readings: dict[str, float],
                    box: tuple[int, int, int, int] | None) -> dict[str, object]:
    """The native format's ``candidates`` (the `MAX_CANDIDATES` most probable readings,
    best first) and ``plate_box`` (``x, y, w, h``; left out when it is empty)."""
    out: dict[str, object] = {
        "candidates": [{"plate": plate, "confidence": p} for plate, p in kept(readings)],
    }
    if box is not None and box[2] > 0 and box[3] > 0 and min(box[0], box[1]) >= 0:
        out["plate_box"] = {"x": box[0], "y": box[1], "w": box[2], "h": box[3]}
    return out


@runtime_checkable
class Recognizer(Protocol):
    """Anything that turns a frame into plate reads."""

    name: str

    def recognize(
        self, image: FrameSource, *, ts: datetime | None = None
    ) -> list[Recognition]:
        """The plates in ``image``, most confident first; ``ts`` (default: now, UTC) is
        the frame's time. Raise `ImageError` for input that is not a readable image."""
        ...


def load_recognizer(engine: str = "rapidocr", *, roi: Roi | None = None,
                    detect_side: int | None = None,
                    find_plates: bool | None = None) -> Recognizer:
    """A ready recogniser for ``engine`` (one of `ENGINES`); models load from the
    installed package, never from the network. ``roi`` (a camera's region of interest),
    ``detect_side`` (the text detector's longest input side over a whole frame,
    `framing.DETECT_SIDE` by default) and ``find_plates`` (True by default; False: no
    plate detector, the text detector over the whole frame every time) are the default
    engine's. Raise
    `EngineError` for an unknown name, or for any of them given to another engine."""
    if engine == "rapidocr":
        from plateledger.recognize.detect import LineDetector
        from plateledger.recognize.engine import DetectorRecognizer

        detector = LineDetector(side=detect_side) if detect_side is not None else None
        return DetectorRecognizer(roi=roi, detector=detector,
                                  find_plates=find_plates is not False)
    if roi is not None or detect_side is not None or find_plates is not None:
        raise EngineError(f"engine `{engine}` takes no region of interest, detection side "
                          "or plate finding option (only `rapidocr` does)")
    if engine == "rapidocr-edge":
        from plateledger.recognize.pipeline import PlateRecognizer

        return PlateRecognizer()
    if engine == "rapidocr-full":
        from plateledger.recognize.baseline import FullFrameRecognizer

        return FullFrameRecognizer()
    raise EngineError(f"unknown engine `{engine}` (known: {', '.join(ENGINES)})")


def read_box(
    recognizer: Recognizer, image: FrameSource, box: tuple[int, int, int, int], *,
    ts: datetime | None = None,
) -> Recognition | None:
    """Read the plate inside ``box`` (``x, y, w, h`` in frame pixels) of ``image``, without
    looking for plates elsewhere: finding and reading measured apart. Engines with a
    ``read_box`` of their own use it; others recognise the box's pixels alone. None when
    nothing plate-like is read there; `ImageError` for a box outside the frame."""
    own = getattr(recognizer, "read_box", None)
    if own is not None:
        found: Recognition | None = own(image, box, ts=ts)
        return found
    from plateledger.recognize.frame import load_frame

    frame = load_frame(image)
    height, width = frame.shape[:2]
    x, y, w, h = box
    if w <= 0 or h <= 0 or x < 0 or y < 0 or x + w > width or y + h > height:
        raise ImageError(f"box {box} is not inside the {width}×{height} frame")
    reads = recognizer.recognize(frame[y : y + h, x : x + w], ts=ts)
    if not reads:
        return None
    best = reads[0]
    bx, by, bw, bh = best.box
    return replace(best, box=(bx + x, by + y, bw, bh))
