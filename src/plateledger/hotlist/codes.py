"""Plates as integers: the matcher's vectorised form of plate text.

A normalised plate (at most 10 of ``0-9A-Z``) is read as a base-37 number, left-aligned in
ten digits with the digit 0 as padding, so that plates of different lengths never share a
code. A confusion key is the same number after folding each digit to its class
representative; the deletion variants of a key (``plates.deletion_variants``) are computed
for a whole batch at once from prefix sums.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from plateledger.plates import MAX_PLATE_LENGTH, confusion_key

BASE = 37
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"

Codes = npt.NDArray[np.int64]

_WEIGHTS: Codes = np.array(
    [BASE ** (MAX_PLATE_LENGTH - 1 - j) for j in range(MAX_PLATE_LENGTH)], dtype=np.int64
)

_DIGIT = np.zeros(128, dtype=np.int64)
"""Character code point → digit (1-36); anything else → 0 (padding)."""
_FOLDED = np.zeros(128, dtype=np.int64)
"""Character code point → digit of its confusion-class representative."""
for _i, _ch in enumerate(ALPHABET, start=1):
    _DIGIT[ord(_ch)] = _i
    _FOLDED[ord(_ch)] = ALPHABET.index(confusion_key(_ch)) + 1


def _points(plates: Sequence[str]) -> npt.NDArray[np.uint32]:
    """Code points as an ``n × 10`` matrix, zero-padded on the right (plates are ASCII)."""
    if not plates:
        return np.zeros((0, MAX_PLATE_LENGTH), dtype=np.uint32)
    text = np.array(plates, dtype=f"<U{MAX_PLATE_LENGTH}")
    points = text.view(np.uint32).reshape(len(plates), MAX_PLATE_LENGTH)
    return np.minimum(points, 127)


def plate_codes(plates: Sequence[str]) -> tuple[Codes, Codes, npt.NDArray[np.int64]]:
    """Codes of the plates, codes of their confusion keys, and their lengths.

    Precondition: every plate is normalised (``plates.normalize_plate``).
    """
    points = _points(plates)
    digits = _DIGIT[points]
    folded = _FOLDED[points]
    lengths = np.count_nonzero(digits, axis=1).astype(np.int64)
    return digits @ _WEIGHTS, folded @ _WEIGHTS, lengths


def key_variant_codes(plates: Sequence[str]) -> Codes:
    """An ``n × 10`` matrix: column ``i`` holds the code of the plate's confusion key with
    character ``i`` deleted; columns at or past a key's length hold the key itself."""
    folded = _FOLDED[_points(plates)]
    prefix = np.cumsum(folded * _WEIGHTS, axis=1)
    total = prefix[:, -1:]
    before = np.concatenate([np.zeros((len(folded), 1), dtype=np.int64), prefix[:, :-1]], axis=1)
    after: Codes = (total - prefix) * BASE
    return before + after


def decode(code: int) -> str:
    """The text of a code (for tests and messages)."""
    chars: list[str] = []
    for weight in _WEIGHTS:
        digit = (code // int(weight)) % BASE
        if digit:
            chars.append(ALPHABET[digit - 1])
    return "".join(chars)
