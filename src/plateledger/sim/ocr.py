"""OCR errors, applied to plate matrices a million rows at a time.

An error read is either one confusable substitution (the camera's most common mistake)
or, more rarely, one character dropped or one extra character read. Rows are plates as
`registrations` lays them out: bytes, zero padded, ``lengths`` characters long.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from plateledger.sim.plan import OcrRates

NO_ERROR, CONFUSABLE, OTHER = 0, 1, 2

LOOK_ALIKES: tuple[tuple[str, str], ...] = (
    ("O", "0"), ("0", "O"), ("D", "0"), ("Q", "0"), ("I", "1"), ("1", "I"), ("T", "1"),
    ("L", "1"), ("B", "8"), ("8", "B"), ("S", "5"), ("5", "S"), ("Z", "2"), ("2", "Z"),
    ("G", "6"), ("6", "G"),
)
"""(printed, misread as): each printed character's most likely misreading."""

LOOK_ALIKE = np.zeros(256, dtype=np.uint8)
for _printed, _read in LOOK_ALIKES:
    LOOK_ALIKE[ord(_printed)] = ord(_read)

_EXTRA = np.frombuffer(b"1I7LT", dtype=np.uint8)
"""Characters an OCR engine adds from bolts, frame edges and dirt."""


def _pick_positions(eligible: NDArray[np.bool_], rng: np.random.Generator) -> NDArray[np.int64]:
    """A uniformly chosen eligible column per row (rows with none get column 0)."""
    scores = rng.random(eligible.shape) + eligible
    return np.asarray(scores.argmax(axis=1), dtype=np.int64)


def misread(plates: NDArray[np.uint8], lengths: NDArray[np.int64], rates: OcrRates,
            rng: np.random.Generator) -> NDArray[np.int8]:
    """Apply errors in place; return each row's error kind (`NO_ERROR`, `CONFUSABLE`, `OTHER`).

    Precondition: ``plates`` has at least one spare zero column after the longest plate.
    A row drawn for a substitution whose plate has no confusable character stays correct.
    """
    n, width = plates.shape
    kind = np.zeros(n, dtype=np.int8)
    draw = rng.random(n)
    columns = np.arange(width)

    rows = np.flatnonzero(draw < rates.confusable)
    if len(rows):
        sub = plates[rows]
        partner = LOOK_ALIKE[sub]
        has = partner != 0
        pos = _pick_positions(has, rng)
        ok = has[np.arange(len(rows)), pos]
        rows, pos = rows[ok], pos[ok]
        plates[rows, pos] = LOOK_ALIKE[plates[rows, pos]]
        kind[rows] = CONFUSABLE

    rows = np.flatnonzero((draw >= rates.confusable) & (draw < rates.confusable + rates.other))
    if len(rows):
        sub = plates[rows]
        lens = lengths[rows]
        pos = (rng.random(len(rows)) * lens).astype(np.int64)
        drop = rng.random(len(rows)) < 0.6
        col = columns[None, :]
        # Dropping shifts the tail left; an extra character shifts it right.
        source = np.where(drop[:, None], col + (col >= pos[:, None]), col - (col > pos[:, None]))
        source = np.clip(source, 0, width - 1)
        shifted = np.take_along_axis(sub, source, axis=1)
        shifted[drop, lens[drop] - 1] = 0
        extra = ~drop
        shifted[extra, pos[extra] + 1] = _EXTRA[rng.integers(0, len(_EXTRA), int(extra.sum()))]
        shifted[extra, np.minimum(lens[extra] + 1, width - 1)] = 0
        plates[rows] = shifted
        lengths[rows] = np.where(drop, lens - 1, lens + 1)
        kind[rows] = OTHER
    return kind
