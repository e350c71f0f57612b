"""The US plate formats the recogniser knows (`plateledger.plates.formats.PlateFormat`).

The formats below are the standard passenger series of each state, simplified (vanity
and special plates follow no format and are read without one). They let the recogniser
decide O/0, I/1, B/8 and the like from the slot a character stands in, and guess the state.
"""

from __future__ import annotations

from plateledger.plates import CONFUSION_CLASSES
from plateledger.plates.formats import PlateFormat

FORMATS: tuple[PlateFormat, ...] = (
    PlateFormat("CA", "DLLLDDD", "California"),
    PlateFormat("TX", "LLLDDDD", "Texas"),
    PlateFormat("NY", "LLLDDDD", "New York"),
    PlateFormat("PA", "LLLDDDD", "Pennsylvania"),
    PlateFormat("OH", "LLLDDDD", "Ohio"),
    PlateFormat("WA", "LLLDDDD", "Washington"),
    PlateFormat("AZ", "LLLDDDD", "Arizona"),
    PlateFormat("FL", "LLLLDD", "Florida"),
    PlateFormat("IL", "LLDDDDD", "Illinois"),
    PlateFormat("NJ", "LDDLLL", "New Jersey"),
    PlateFormat("MA", "DLLDDD", "Massachusetts"),
    PlateFormat("NV", "DLLDDD", "Nevada"),
)
"""The formats the recogniser knows; the synthetic generator renders the same ones."""

FORMAT_LENGTHS = frozenset(len(f.slots) for f in FORMATS)


def formats_of_length(length: int) -> tuple[PlateFormat, ...]:
    """The known formats with exactly ``length`` characters."""
    return tuple(f for f in FORMATS if len(f.slots) == length)


NAME_SLIPS = ((7, 1), (9, 2))
"""How many letters a state name of at least so many letters may be misread by and still
name its state (``CALFORNLA``, ``Califoenia``): the plate's script is small, often cursive,
and the recogniser reads it a letter or two wrong. Shorter names must be read exactly."""


def region_from_name(text: str) -> str:
    """The region whose state name appears in ``text`` (e.g. a plate's top line), or ``""``.
    A name of seven letters or more also counts when read with a slip (`NAME_SLIPS`)."""
    folded = "".join(ch for ch in text.upper() if ch.isalpha())
    if len(folded) < 4:
        return ""
    for fmt in FORMATS:
        name = fmt.state_name.upper().replace(" ", "")
        if name in folded or (len(folded) >= 5 and folded in name):
            return fmt.region
    best: tuple[int, str] | None = None
    for fmt in FORMATS:
        name = fmt.state_name.upper().replace(" ", "")
        slips = max((n for least, n in NAME_SLIPS if len(name) >= least), default=0)
        if slips and len(folded) >= len(name) - slips:
            found = name_slips(name, folded)
            if found <= slips and (best is None or found < best[0]):
                best = (found, fmt.region)
    return best[1] if best is not None else ""


def name_slips(name: str, text: str) -> int:
    """The fewest letters changed, added or dropped to find ``name`` somewhere in ``text``
    (an edit distance in which ``text``'s letters before and after the name are free)."""
    row = [0] * (len(text) + 1)  # the name may start anywhere in the text
    for i, ch in enumerate(name, 1):
        prev, row[0] = row[0], i
        for j, tc in enumerate(text, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ch != tc))
    return min(row)  # ... and end anywhere


def format_for_region(region: str) -> PlateFormat | None:
    """The format of ``region`` (a two-letter state code), or None if unknown."""
    for fmt in FORMATS:
        if fmt.region == region:
            return fmt
    return None


def fit_to_format(plate: str, fmt: PlateFormat) -> str | None:
    """``plate`` with each character its slot forbids replaced by a confusable one the slot
    allows (``OCN6S5`` → ``0CN655`` for ``DLLDDD``), or None if that cannot be done."""
    if len(plate) != len(fmt.slots):
        return None
    out = []
    for i, ch in enumerate(plate):
        allowed = fmt.allowed(i)
        if ch in allowed:
            out.append(ch)
            continue
        partners = [o for cls in CONFUSION_CLASSES if ch in cls for o in cls if o in allowed]
        if not partners:
            return None
        out.append(partners[0])
    return "".join(out)
