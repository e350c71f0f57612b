"""Offense types: the closed list of NIBRS offense codes a search names beside its
purpose (``nibrs_offenses.txt``, the FBI's codes and names, Group A and Group B).

The list is data shipped in the package, read once; nothing is fetched at run time.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib.resources import files

from plateledger.policy.errors import PolicyError

__all__ = ["OFFENSE_TYPES_URL", "Offense", "UnknownOffense", "offense", "offenses"]

OFFENSE_TYPES_URL = "/v1/offense-types"
"""Where clients read the list (named in every refusal)."""


class UnknownOffense(PolicyError):
    """An offense type that is not a NIBRS code on the list."""


@dataclass(frozen=True, slots=True)
class Offense:
    """One NIBRS offense: its code, its group (``A`` or ``B``) and its name."""

    code: str
    group: str
    name: str


@cache
def offenses() -> tuple[Offense, ...]:
    """Every offense on the closed list, in the FBI's order."""
    text = files("plateledger.policy").joinpath("nibrs_offenses.txt").read_text("utf-8")
    found: list[Offense] = []
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        code, group, name = line.split("\t")
        found.append(Offense(code, group, name))
    return tuple(found)


def offense(code: str) -> Offense:
    """The offense of ``code`` (case-insensitive, e.g. ``09a``); `UnknownOffense` naming
    the list otherwise."""
    wanted = code.strip().upper()
    for item in offenses():
        if item.code == wanted:
            return item
    raise UnknownOffense(f"offense type `{code}` is not a NIBRS offense code; the list is "
                         f"at {OFFENSE_TYPES_URL}")
