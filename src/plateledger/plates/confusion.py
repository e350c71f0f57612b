"""OCR-confusion classes: characters a camera mistakes for one another.

A confusion key replaces each character by its class representative, so that
``8ABC123`` and ``BA8C1Z3`` share the key ``8A8C123``: a fuzzy search that compares keys
finds the plate whatever the camera made of those characters.
"""

from __future__ import annotations

CONFUSION_CLASSES: tuple[str, ...] = (
    "0ODQ",
    "1ILT",
    "2Z",
    "5S",
    "8B",
    "6G",
)
"""Each string is one class; its first character represents the class in keys."""

_FOLD = {ch: cls[0] for cls in CONFUSION_CLASSES for ch in cls}
_TABLE = str.maketrans(_FOLD)


def confusion_key(plate: str) -> str:
    """Fold each character of a normalised plate to its confusion-class representative."""
    return plate.translate(_TABLE)


def same_class(a: str, b: str) -> bool:
    """Whether two characters are one another's likely misreads (or equal)."""
    return _FOLD.get(a, a) == _FOLD.get(b, b)


def deletion_variants(key: str) -> list[str]:
    """``key`` itself and every string made by deleting one character of it.

    Two keys within one edit (substitution, insertion or deletion) share at least one
    variant, which is what lets a fuzzy search use an index instead of a scan.
    """
    variants = {key}
    variants.update(key[:i] + key[i + 1 :] for i in range(len(key)))
    return sorted(variants)
