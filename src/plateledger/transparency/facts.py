"""The public facts of an audit entry: an allow-list projection that every public figure
and every statutory report is computed from.

A fact keeps what the public summary of the entry already tells (`plateledger.audit.redact`:
the type, the time, who acted, the owners that released and denied, the purpose, the
result count, whether a search is a later page of one, an alarm's kind, the owners of a
withheld hit and the reads dropped per rule), plus a few counts and classes that name no
person, plate, case or reason: the offense type a search gave (NIBRS, when recorded),
whether it gave a case number, the class of a hot list that matched (``list_class``)
and its category, and of a hit's disposition the hit's id, what the officer found and
the action that followed (never the note). Nothing else of an entry reaches a public
figure, so a figure cannot leak what the summary hides.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from plateledger.audit.redaction import denied, is_access, released

__all__ = ["HIT_DISPOSITION", "Fact", "fact_of", "facts_of"]

HIT_DISPOSITION = "hit_disposition"
"""The change entry of a hit's disposition (`plateledger.hotlist.hits`)."""


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _time(value: Any) -> datetime:
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return datetime(1970, 1, 1, tzinfo=UTC)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Fact:
    """What the public may know of one audit entry."""

    index: int
    type: str
    time: datetime
    agency: str | None
    """Who acted: the searching agency, the list owner an alert went to, the admin's agency."""
    requested_by: str | None
    purpose: str | None
    offense_type: str | None
    has_case_number: bool
    result_count: int | None
    released: tuple[str, ...]
    denied: tuple[str, ...]
    owner: str | None
    """The agency the entry is about: the owner of the read of an alert, of a dropped read."""
    list_owner: str | None
    list_class: str | None
    category: str | None
    alarm: str | None
    reads_dropped: int
    hit: str | None = None
    """Of a ``hit_disposition`` entry: the hit it disposes of."""
    disposition: str | None = None
    """Of a ``hit_disposition`` entry: what the officer found (``confirmed``, ``misread`` …)."""
    action: str | None = None
    """Of a ``hit_disposition`` entry: what followed (``none``, ``stop``, ``arrest`` …)."""
    reviewed: int = 0
    """Of a ``search_review`` entry: how many searches it signed off (one finding each)."""
    later_page: bool = False
    """Of a search: a later page of a search already logged (`plateledger.access.
    continuation`), not a search of its own."""

    @property
    def day(self) -> date:
        return self.time.date()

    @property
    def requester(self) -> str | None:
        """The agency an access was made for: the one its user searched for
        (``requested_by``, or the agency an administrator recorded the user as acting
        for), else the user's own."""
        return self.requested_by or self.agency

    @property
    def access(self) -> bool:
        return self.type in {"search", "export", "image_view", "alert_delivery",
                             "alert_withheld"}


def fact_of(index: int, entry: Mapping[str, Any]) -> Fact:
    """The public facts of ``entry`` (at ``index`` in the log)."""
    kind = str(entry.get("type"))
    access = is_access(entry)
    owner = _str(entry.get("owner_agency")) or _str(entry.get("read_owner"))
    # a withheld hit's list owner is not public (redaction.redact)
    list_owner = None if kind == "alert_withheld" else _str(entry.get("list_owner"))
    agency = _str(entry.get("agency"))
    counts = entry.get("counts")
    dropped = 0
    if kind == "zone_drop" and isinstance(counts, Mapping):
        dropped = sum(n for n in counts.values() if isinstance(n, int) and n > 0)
    after = entry.get("after")
    disposed: Mapping[str, Any] = (
        after if kind == HIT_DISPOSITION and isinstance(after, Mapping) else {})
    return Fact(
        index=index,
        type=kind,
        time=_time(entry.get("time")),
        agency=agency,
        requested_by=_str(entry.get("requested_by_agency")),
        purpose=_str(entry.get("purpose")),
        offense_type=_str(entry.get("offense_type")),
        has_case_number=bool(_str(entry.get("case_number"))),
        result_count=_int(entry.get("result_count")),
        released=tuple(released(entry)) if access else (),
        denied=tuple(sorted(denied(entry))) if access else (),
        owner=owner,
        list_owner=list_owner or (agency if kind == "alert_delivery" else None),
        list_class=_str(entry.get("list_class")),
        category=_str(entry.get("category")),
        alarm=_str(entry.get("kind")) if kind == "alarm" else None,
        reads_dropped=dropped,
        hit=_str(entry.get("object_id")) if disposed else None,
        disposition=_str(disposed.get("disposition")),
        action=_str(disposed.get("action")),
        reviewed=len(findings) if kind == "search_review" and isinstance(
            findings := entry.get("findings"), Mapping) else 0,
        later_page=bool(entry.get("page_of")),
    )


def facts_of(entries: Iterable[tuple[int, Mapping[str, Any]]]) -> list[Fact]:
    """The facts of ``(index, entry)`` pairs, in the order given."""
    return [fact_of(index, entry) for index, entry in entries]
