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

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol, runtime_checkable

from plateledger.recognize.errors import EngineError, ImageError
from plateledger.recognize.frame import FrameSource

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


def load_recognizer(engine: str = "rapidocr") -> Recognizer:
    """A ready recogniser for ``engine`` (one of `ENGINES`); models load from the
    installed wheel, never from the network. Raise `EngineError` for an unknown name."""
    if engine == "rapidocr":
        from plateledger.recognize.engine import DetectorRecognizer

        return DetectorRecognizer()
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
