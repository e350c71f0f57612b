"""Partial-plate patterns: ``*`` for any run of characters, ``?`` for exactly one."""

from __future__ import annotations

import re
from dataclasses import dataclass

from plateledger.plates.text import MAX_PLATE_LENGTH, PlateError

_ALLOWED = re.compile(r"[A-Z0-9*?]+")


@dataclass(frozen=True)
class Wildcard:
    """A parsed pattern such as ``7AB*12`` or ``7?B1234``."""

    pattern: str

    @property
    def prefix(self) -> str:
        """The literal characters before the first wildcard (they narrow an index scan)."""
        return re.split(r"[*?]", self.pattern, maxsplit=1)[0]

    @property
    def like(self) -> str:
        """The pattern as an SQL ``LIKE`` pattern (plates hold no ``%`` or ``_``)."""
        return self.pattern.replace("*", "%").replace("?", "_")

    def regex(self) -> re.Pattern[str]:
        """A compiled regular expression matching whole plates."""
        body = "".join(
            ".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in self.pattern
        )
        return re.compile(f"^{body}$")

    def matches(self, plate: str) -> bool:
        return self.regex().match(plate) is not None


def parse_wildcard(text: str) -> Wildcard:
    """Parse a partial plate; separators are dropped and letters upper-cased.

    A pattern must hold at least two literal characters, so that it cannot ask for
    every plate in the store.
    """
    pattern = re.sub(r"[\s\-.]+", "", text).upper()
    pattern = re.sub(r"\*+", "*", pattern)
    if not pattern or _ALLOWED.fullmatch(pattern) is None:
        raise PlateError(f"pattern `{text[:20]}` may hold only A-Z, 0-9, `*` and `?`")
    literals = sum(ch not in "*?" for ch in pattern)
    if literals < 2:
        raise PlateError(f"pattern `{text[:20]}` needs at least two known characters")
    if len(pattern.replace("*", "")) > MAX_PLATE_LENGTH:
        raise PlateError(f"pattern `{text[:20]}` is longer than a plate")
    return Wildcard(pattern)
