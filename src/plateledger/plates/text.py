"""Normalising plate text as read into the form every search uses."""

from __future__ import annotations

import re

MAX_PLATE_LENGTH = 10
"""Longest normalised plate accepted (US plates have at most 8 characters; some others 10)."""

# Separators that cameras and people put between character groups.
_SEPARATORS = re.compile(r"[\s\-.·•_/]+")
_VALID = re.compile(r"[A-Z0-9]+")


class PlateError(ValueError):
    """Plate text that cannot be a plate: empty, too long, or not letters and digits."""


def normalize_plate(text: str) -> str:
    """Upper-case ``text`` and strip separators; raise `PlateError` if no plate remains.

    >>> normalize_plate(" 7abc-123 ")
    '7ABC123'
    """
    if not isinstance(text, str):
        raise PlateError("plate must be a string")
    plate = _SEPARATORS.sub("", text).upper()
    if not plate:
        raise PlateError("plate is empty")
    if len(plate) > MAX_PLATE_LENGTH:
        raise PlateError(f"plate `{plate[:20]}` is longer than {MAX_PLATE_LENGTH} characters")
    if not plate.isascii() or _VALID.fullmatch(plate) is None:
        raise PlateError(f"plate `{text[:20]}` may hold only the letters A-Z and digits 0-9")
    return plate
