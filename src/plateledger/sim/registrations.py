"""Licence-plate formats and unique plate numbers, as fixed-width byte matrices.

Plates are kept as ``uint8`` matrices (one row per plate, ``PLATE_WIDTH`` columns, zero
padded) so that reads, OCR errors and keys are computed for a million plates at a time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

PLATE_WIDTH = 10
"""Columns of a plate matrix: the longest plate, one extra character and a separator."""

_CLASSES = {
    "N": b"123456789",
    "D": b"0123456789",
    # California and others skip I, O and Q in serial letters (too like 1 and 0).
    "L": b"ABCDEFGHJKLMNPRSTUVWXYZ",
}


@dataclass(frozen=True)
class PlateFormat:
    """A state's standard passenger format, e.g. ``NLLLDDD`` for California's ``7ABC123``.

    ``separator_at`` is where the plate shows a gap or hyphen (cameras sometimes report
    it), or -1; ``share`` is this format's share of out-of-state vehicles.
    """

    state: str
    pattern: str
    separator: str = ""
    separator_at: int = -1
    share: float = 0.0

    @property
    def capacity(self) -> int:
        return int(np.prod([len(_CLASSES[c]) for c in self.pattern]))


CALIFORNIA = PlateFormat("CA", "NLLLDDD")
OUT_OF_STATE: tuple[PlateFormat, ...] = (
    PlateFormat("NV", "DDDLLL", "-", 3, 0.40),
    PlateFormat("OR", "LLLDDD", " ", 3, 0.20),
    PlateFormat("AZ", "LLLDDDD", "", -1, 0.20),
    PlateFormat("TX", "LLLDDDD", "-", 3, 0.20),
)
FORMATS: tuple[PlateFormat, ...] = (CALIFORNIA, *OUT_OF_STATE)


def unique_plates(fmt: PlateFormat, count: int, rng: np.random.Generator) -> NDArray[np.uint8]:
    """``count`` distinct plates of format ``fmt`` as a ``(count, PLATE_WIDTH)`` matrix.

    Precondition: ``count`` is far below ``fmt.capacity``.
    """
    numbers = np.unique(rng.integers(0, fmt.capacity, size=count + count // 8 + 16))
    while len(numbers) < count:
        more = rng.integers(0, fmt.capacity, size=count)
        numbers = np.unique(np.concatenate([numbers, more]))
    numbers = rng.permutation(numbers)[:count]
    out = np.zeros((count, PLATE_WIDTH), dtype=np.uint8)
    for position in range(len(fmt.pattern) - 1, -1, -1):
        alphabet = np.frombuffer(_CLASSES[fmt.pattern[position]], dtype=np.uint8)
        out[:, position] = alphabet[numbers % len(alphabet)]
        numbers //= len(alphabet)
    return out


def plate_text(row: NDArray[np.uint8]) -> str:
    """One matrix row as text (zero padding dropped)."""
    return bytes(row[row != 0]).decode("ascii")
