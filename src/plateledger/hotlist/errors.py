"""Errors of the hot-list package.

    HotlistError
    ├── ImportRefused     a file with bad rows, imported with ``on_error="refuse"``
    ├── FileTypeRefused   a list of a file type the owner's law packs forbid it to hold
    ├── ListTooLarge      a change that would take an agency's lists past the entry limit
    ├── UnknownList       no list with that id (for that owner)
    ├── UnknownHit        no hit with that id (for that owner), or it has expired
    ├── DispositionError  a disposition that breaks the rules (an action without confirmation)
    └── SubscriptionError a webhook subscription that cannot be used (bad URL)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from plateledger.hotlist.importing import RowError


class HotlistError(Exception):
    """Base of every error this package raises on purpose."""


class ImportRefused(HotlistError):
    """The file had bad rows and the caller asked to refuse it whole; nothing was stored."""

    def __init__(self, errors: list[RowError]) -> None:
        first = errors[0]
        super().__init__(
            f"import refused: {len(errors)} bad row(s); line {first.line}: {first.message}"
        )
        self.errors = errors


class FileTypeRefused(HotlistError, ValueError):
    """The owner's law packs forbid it to hold entries of this file type; nothing was
    stored. ``policy_ids`` are the rules that refused."""

    def __init__(self, file_type: str, policy_ids: tuple[str, ...]) -> None:
        super().__init__(
            f"a list of file type `{file_type}` is refused for this agency: "
            f"{', '.join(policy_ids)}"
        )
        self.file_type = file_type
        self.policy_ids = policy_ids


class ListTooLarge(HotlistError, ValueError):
    """The change would leave the agency's lists holding more than ``limit`` entries in
    all; nothing was stored."""

    def __init__(self, limit: int, entries: int) -> None:
        super().__init__(
            f"an agency's hot lists may hold at most {limit:,} entries in all; this change "
            f"would leave {entries:,}"
        )
        self.limit = limit
        self.entries = entries


class UnknownList(HotlistError):
    """No list with that id (for that owner)."""


class UnknownEntry(HotlistError):
    """No entry with that id in that list (of that owner)."""


class UnknownHit(HotlistError):
    """No hit with that id (for that owner), or it has passed its retention."""


class DispositionError(HotlistError):
    """A disposition that breaks the rules."""


class SubscriptionError(HotlistError):
    """A webhook subscription that cannot be used."""
