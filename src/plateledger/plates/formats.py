"""Plate formats: which characters may stand where in a state's plate series.

A format is a string of slots: ``L`` a letter, ``D`` a digit, ``N`` a digit other than
``0``, ``A`` either a letter or a digit. The recogniser decides O/0, I/1, B/8 and the like
from the slot a character stands in; the simulator draws plate numbers from the same
formats.
"""

from __future__ import annotations

from dataclasses import dataclass

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
DIGITS = "0123456789"
ALPHABET = LETTERS + DIGITS
"""The plate alphabet: every character a US plate read may hold."""

_SLOTS = {"L": LETTERS, "D": DIGITS, "N": DIGITS[1:]}


@dataclass(frozen=True, slots=True)
class PlateFormat:
    """One state's plate series, e.g. California's ``DLLLDDD`` (``7ABC123``). ``share`` is
    the format's share of out-of-state vehicles, for the simulator."""

    region: str
    slots: str
    state_name: str
    share: float = 0.0

    def allowed(self, position: int) -> str:
        """The characters allowed at ``position`` (0-based, within ``len(slots)``)."""
        return _SLOTS.get(self.slots[position], ALPHABET)

    def matches(self, plate: str) -> bool:
        """Whether ``plate`` (upper-case, no separators) fits this format."""
        return len(plate) == len(self.slots) and all(
            ch in self.allowed(i) for i, ch in enumerate(plate)
        )
