"""Licence-plate formats and unique plate numbers, as fixed-width byte matrices.

Plates are kept as ``uint8`` matrices (one row per plate, ``PLATE_WIDTH`` columns, zero
padded) so that reads, OCR errors and keys are computed for a million plates at a time.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from plateledger.plates.formats import PlateFormat

PLATE_WIDTH = 10
"""Columns of a plate matrix: the longest plate, one extra character and a separator."""

_CLASSES = {
    "N": b"123456789",
    "D": b"0123456789",
    # California and others skip I, O and Q in serial letters (too like 1 and 0).
    "L": b"ABCDEFGHJKLMNPRSTUVWXYZ",
}


def capacity(fmt: PlateFormat) -> int:
    """How many distinct plates ``fmt`` holds, with serial letters as drawn here."""
    return int(np.prod([len(_CLASSES[c]) for c in fmt.slots]))


CALIFORNIA = PlateFormat("CA", "NLLLDDD", "California")
OUT_OF_STATE: tuple[PlateFormat, ...] = (
    PlateFormat("NV", "DDDLLL", "Nevada", share=0.40),
    PlateFormat("OR", "LLLDDD", "Oregon", share=0.20),
    PlateFormat("AZ", "LLLDDDD", "Arizona", share=0.20),
    PlateFormat("TX", "LLLDDDD", "Texas", share=0.20),
)
FORMATS: tuple[PlateFormat, ...] = (CALIFORNIA, *OUT_OF_STATE)
"""The simulated city's formats (California's first serial digit is never 0)."""


def unique_plates(fmt: PlateFormat, count: int, rng: np.random.Generator) -> NDArray[np.uint8]:
    """``count`` distinct plates of format ``fmt`` as a ``(count, PLATE_WIDTH)`` matrix.

    Precondition: ``count`` is far below ``capacity(fmt)``.
    """
    numbers = np.unique(rng.integers(0, capacity(fmt), size=count + count // 8 + 16))
    while len(numbers) < count:
        more = rng.integers(0, capacity(fmt), size=count)
        numbers = np.unique(np.concatenate([numbers, more]))
    numbers = rng.permutation(numbers)[:count]
    out = np.zeros((count, PLATE_WIDTH), dtype=np.uint8)
    for position in range(len(fmt.slots) - 1, -1, -1):
        alphabet = np.frombuffer(_CLASSES[fmt.slots[position]], dtype=np.uint8)
        out[:, position] = alphabet[numbers % len(alphabet)]
        numbers //= len(alphabet)
    return out


def plate_text(row: NDArray[np.uint8]) -> str:
    """One matrix row as text (zero padding dropped)."""
    return bytes(row[row != 0]).decode("ascii")
