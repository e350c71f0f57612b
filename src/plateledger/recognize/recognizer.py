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

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from plateledger.recognize.errors import EngineError
from plateledger.recognize.frame import FrameSource

ENGINES = ("rapidocr", "rapidocr-full")


@dataclass(frozen=True, slots=True)
class Recognition:
    """One plate read in one frame.

    ``box`` is the plate's ``(x, y, w, h)`` in frame pixels; ``crop_jpeg`` the plate's
    pixels as JPEG; ``region`` a two-letter state code or ``""`` when no guess is possible.
    """

    plate: str
    confidence: float
    char_confidences: tuple[float, ...]
    region: str
    region_confidence: float
    box: tuple[int, int, int, int]
    crop_jpeg: bytes
    ts: datetime


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
        from plateledger.recognize.pipeline import PlateRecognizer

        return PlateRecognizer()
    if engine == "rapidocr-full":
        from plateledger.recognize.baseline import FullFrameRecognizer

        return FullFrameRecognizer()
    raise EngineError(f"unknown engine `{engine}` (known: {', '.join(ENGINES)})")
