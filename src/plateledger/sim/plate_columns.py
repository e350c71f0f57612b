"""Plate text columns built from byte matrices: raw, normalised and confusion-keyed.

The rules are those of `plateledger.plates` (separators dropped, upper case, keys folded
by `CONFUSION_CLASSES`), applied with lookup tables instead of a Python call per read.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from plateledger.plates import CONFUSION_CLASSES

SEPARATORS = b" \t\n\r\x0b\x0c-._/"
"""The ASCII separators `plateledger.plates.normalize_plate` drops."""

UPPER = np.arange(256, dtype=np.uint8)
UPPER[ord("a") : ord("z") + 1] -= 32

IS_SEPARATOR = np.zeros(256, dtype=np.bool_)
IS_SEPARATOR[list(SEPARATORS)] = True

CONFUSION_FOLD = np.arange(256, dtype=np.uint8)
for _class in CONFUSION_CLASSES:
    for _ch in _class:
        CONFUSION_FOLD[ord(_ch)] = ord(_class[0])


def strings(matrix: NDArray[np.uint8], keep: NDArray[np.bool_] | None = None) -> pa.StringArray:
    """One string per row: the row's non-zero bytes (and only those in ``keep``).

    Precondition: the kept bytes are ASCII.
    """
    mask = matrix != 0 if keep is None else keep & (matrix != 0)
    lengths = mask.sum(axis=1, dtype=np.int32)
    offsets = np.zeros(len(matrix) + 1, dtype=np.int32)
    np.cumsum(lengths, out=offsets[1:])
    data = matrix[mask]
    return pa.StringArray.from_buffers(
        len(matrix), pa.py_buffer(offsets), pa.py_buffer(data.tobytes())
    )


def normalised(raw: NDArray[np.uint8]) -> tuple[NDArray[np.uint8], NDArray[np.bool_]]:
    """The raw rows upper-cased, and the mask of their non-separator bytes.

    Precondition: raw rows hold only ASCII letters, digits and separators, and at least
    one letter or digit (what the simulator writes).
    """
    return UPPER[raw], ~IS_SEPARATOR[raw]


def confusion_keys(plates: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """Each byte folded to its confusion-class representative (zero padding kept)."""
    return CONFUSION_FOLD[plates]
