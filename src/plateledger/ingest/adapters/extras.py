"""What vendors send beside a read, read leniently: a bad or missing value is left out and
never refuses the read (the read's own fields are validated; these are kept as sent).

Candidates are normalised plates with confidences scaled to 0–1; the plate box is the
corners' x, y (OpenALPR, Rekor) or xmin, ymin, xmax, ymax (Plate Recognizer).
"""

from __future__ import annotations

import math
from typing import Any

from plateledger.plates import PlateError, confusion_key, normalize_plate
from plateledger.read import MAX_CANDIDATES
from plateledger.store.candidates import Candidate, Extras

CANDIDATES_READ = 1_000
"""How many of a result's listed candidates are looked at: enough for any vendor's list
(alprd sends up to its ``topn``, 10 by default), and a bound on one post's work."""


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:  # an integer too large for a float
        return None
    return number if math.isfinite(number) else None


def _int(value: Any) -> int:
    number = _number(value)
    return int(number) if number is not None and 0 <= number < 2**31 else 0


def _coord(value: Any) -> int | None:
    number = _number(value)
    return int(number) if number is not None and abs(number) < 2**31 else None


def candidates(values: Any, top: float, score: str = "confidence") -> tuple[Candidate, ...]:
    """``[{plate, <score>}]`` as candidates: the `MAX_CANDIDATES` most confident of the
    first `CANDIDATES_READ` entries, whatever order they are listed in (ties in the order
    sent; a plate listed twice at its higher confidence), confidences ÷ ``top``."""
    if not isinstance(values, list):
        return ()
    best: dict[str, float] = {}
    for value in values[:CANDIDATES_READ]:
        if not isinstance(value, dict) or not isinstance(value.get("plate"), str):
            continue
        try:
            plate = normalize_plate(value["plate"])
        except PlateError:
            continue
        confidence = _number(value.get(score))
        if confidence is None:
            continue
        confidence = min(max(confidence / top, 0.0), 1.0)
        if confidence > best.get(plate, -1.0):
            best[plate] = confidence
    ranked = sorted(best.items(), key=lambda item: -item[1])[:MAX_CANDIDATES]
    return tuple(Candidate(plate, confusion_key(plate), c) for plate, c in ranked)


def corners(values: Any) -> tuple[int, ...]:
    """``[{x, y}, …]`` (four corners) as x1, y1, x2, y2, …; () if not that shape."""
    if not isinstance(values, list) or not 0 < len(values) <= 8:
        return ()
    box: list[int] = []
    for value in values:
        if not isinstance(value, dict):
            return ()
        x, y = _coord(value.get("x")), _coord(value.get("y"))
        if x is None or y is None:
            return ()
        box += [x, y]
    return tuple(box)


def xyxy(value: Any) -> tuple[int, ...]:
    """``{xmin, ymin, xmax, ymax}`` as a tuple; () if not that shape."""
    if not isinstance(value, dict):
        return ()
    numbers = [_coord(value.get(k)) for k in ("xmin", "ymin", "xmax", "ymax")]
    return tuple(n for n in numbers if n is not None) if None not in numbers else ()


def top_name(values: Any, key: str = "name", score: str = "confidence") -> str:
    """The ``key`` of the most confident of ``[{key, score}]``, or ""."""
    if not isinstance(values, list):
        return ""
    best, best_score = "", -1.0
    for value in values:
        if not isinstance(value, dict) or not isinstance(value.get(key), str):
            continue
        number = _number(value.get(score)) or 0.0
        if number > best_score:
            best, best_score = value[key], number
    return best[:32]


def extras(
    *,
    candidates: tuple[Candidate, ...] = (),
    box: tuple[int, ...] = (),
    width: Any = None,
    height: Any = None,
    year: str = "",
    orientation: str = "",
) -> Extras:
    return Extras(
        candidates=candidates,
        box=box,
        image_width=_int(width),
        image_height=_int(height),
        vehicle_year=year,
        vehicle_orientation=orientation,
    )
