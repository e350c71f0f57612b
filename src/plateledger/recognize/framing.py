"""Where in a frame plates are looked for, and at what size the detector sees them.

The detector (`plateledger.recognize.detect`) finds a plate's line of characters only when
the characters are large enough in its input: on the UCSD parking-lot photos of
``plates-real/dev`` (plates ~76 px wide), it found 42 % of the plates with the photos
scaled to half size, 94 % at their own size and 98 % enlarged 1.5× — and the reads of the
lines it found were exact for 78 % at their own size against 88 % at 1.5×. A frame is
therefore never shrunk below `DETECT_SIDE` on its longer side, and a smaller frame is
enlarged up to `MAX_ENLARGE`. Each detector pixel costs time: lower ``detect_side`` for
speed where plates are large in the frame, or give a region of interest (`Roi`).
"""

from __future__ import annotations

from dataclasses import dataclass

from plateledger.recognize.localize import Box

DETECT_SIDE = 1920
"""Longest side of the detector's input: frames up to full HD are never shrunk (a 60 px
plate of a 1920×1080 frame would be 40 px at 1,280, where the detector finds half of
them); larger frames are scaled to it (a multiple of 32)."""

MAX_ENLARGE = 1.5
"""Most a frame smaller than `DETECT_SIDE` is enlarged for the detector."""


def detector_scale(height: int, width: int, side: int = DETECT_SIDE,
                   enlarge: float = MAX_ENLARGE) -> float:
    """The factor an image of ``height``×``width`` is resized by for the detector: down
    to ``side`` on its longer side, or up by at most ``enlarge`` towards it."""
    longest = max(height, width, 1)
    return side / longest if longest > side else min(side / longest, enlarge)


@dataclass(frozen=True, slots=True)
class Roi:
    """A camera's region of interest, as fractions of the frame: ``(x, y, w, h)`` in 0..1.

    Plates are looked for only inside it; the rest of the frame (a sky, a timestamp bar,
    the next lane) is never read.
    """

    x: float = 0.0
    y: float = 0.0
    w: float = 1.0
    h: float = 1.0

    def __post_init__(self) -> None:
        if not (0.0 <= self.x < 1.0 and 0.0 <= self.y < 1.0 and self.w > 0.0 and self.h > 0.0
                and self.x + self.w <= 1.0 + 1e-9 and self.y + self.h <= 1.0 + 1e-9):
            raise ValueError("a region of interest is x, y, w, h in 0..1 inside the frame")

    @classmethod
    def parse(cls, text: str) -> Roi:
        """``"x,y,w,h"`` fractions; raise ValueError naming what is wrong."""
        parts = text.split(",")
        if len(parts) != 4:
            raise ValueError(f"`{text}` is not x,y,w,h")
        try:
            x, y, w, h = (float(p) for p in parts)
        except ValueError:
            raise ValueError(f"`{text}` is not four numbers x,y,w,h") from None
        return cls(x, y, w, h)

    def box(self, width: int, height: int) -> Box:
        """The region in pixels of a ``width``×``height`` frame: at least one pixel, and
        never past the frame's edge (each side is rounded on its own)."""
        x0 = min(round(self.x * width), max(0, width - 1))
        y0 = min(round(self.y * height), max(0, height - 1))
        return Box(x0, y0, max(1, min(round(self.w * width), width - x0)),
                   max(1, min(round(self.h * height), height - y0)))
