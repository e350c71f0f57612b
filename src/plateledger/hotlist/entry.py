"""One listed plate, validated: what an import row becomes before it is stored."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from plateledger.hotlist.category import parse_category
from plateledger.plates import PlateError, confusion_key, normalize_plate
from plateledger.policy.filetype import parse_file_type

MAX_PRIORITY = 9
"""Priorities run from 0 (routine) to 9 (most urgent, e.g. an AMBER alert)."""


@dataclass(frozen=True, slots=True)
class ListEntry:
    """A listed plate. ``expires_at`` is epoch milliseconds (UTC), ``None``: no expiry.
    ``category`` is the entry's own category (a `Category` value), empty: its list's;
    ``file_type`` the entry's own source file type (a `FileType` value), empty: its list's."""

    plate: str
    region: str = ""
    reason: str = ""
    case_number: str = ""
    expires_at: int | None = None
    priority: int = 0
    category: str = ""
    file_type: str = ""

    @property
    def plate_key(self) -> str:
        return confusion_key(self.plate)


def to_millis(moment: datetime) -> int:
    """Epoch milliseconds of an aware datetime."""
    return int(moment.timestamp() * 1000)


def from_millis(millis: int) -> datetime:
    """The aware UTC datetime of epoch milliseconds."""
    return datetime.fromtimestamp(millis / 1000, tz=UTC)


def parse_expiry(text: str) -> int | None:
    """Epoch ms of an expiry given as ``YYYY-MM-DD``, ``YYYYMMDD`` or an ISO-8601 time with
    a zone; a bare date expires at the end of that day (UTC). Empty text: no expiry."""
    value = text.strip()
    if not value:
        return None
    if len(value) == 8 and value.isascii() and value.isdigit():
        value = f"{value[:4]}-{value[4:6]}-{value[6:]}"
    if len(value) == 10:
        try:
            day = date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"expiry `{text[:32]}` is not a date (YYYY-MM-DD)") from None
        try:
            return to_millis(datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC))
        except OverflowError:  # 9999-12-31, the "never" of many extracts: leave it out
            return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"expiry `{text[:32]}` is not ISO-8601") from None
    if moment.tzinfo is None:
        raise ValueError(f"expiry `{text[:32]}` has no time zone (use Z for UTC)")
    try:
        return to_millis(moment)
    except (OverflowError, OSError):
        raise ValueError(f"expiry `{text[:32]}` is out of range") from None


def _text(fields: Mapping[str, object], name: str, limit: int) -> str:
    value = fields.get(name)
    text = "" if value is None else str(value).strip()
    if len(text) > limit:
        raise ValueError(f"{name} is longer than {limit} characters")
    if not text.isprintable():
        raise ValueError(f"{name} holds control characters")
    return text


def parse_entry(fields: Mapping[str, object]) -> ListEntry:
    """Validate one row given by canonical field names (``plate``, ``region``, ``reason``,
    ``case_number``, ``expires``, ``priority``, ``category``, ``file_type``); raise
    ``ValueError`` with the reason."""
    raw_plate = fields.get("plate")
    if raw_plate is None or not str(raw_plate).strip():
        raise ValueError("plate is missing")
    try:
        plate = normalize_plate(str(raw_plate))
    except PlateError as exc:
        raise ValueError(str(exc)) from None
    region = _text(fields, "region", 8).upper()
    region = region.removeprefix("US-")
    if region and not (region.isascii() and region.isalnum()):
        raise ValueError(f"region `{region}` must be letters and digits")
    expires = fields.get("expires")
    if isinstance(expires, datetime):
        if expires.tzinfo is None:
            raise ValueError("expiry has no time zone")
        expires_at: int | None = to_millis(expires)
    else:
        expires_at = parse_expiry("" if expires is None else str(expires))
    priority_value = fields.get("priority")
    priority_text = "" if priority_value is None else str(priority_value).strip()
    if not priority_text:
        priority = 0
    elif priority_text.isascii() and priority_text.isdigit() and int(priority_text) <= MAX_PRIORITY:
        priority = int(priority_text)
    else:
        raise ValueError(f"priority `{priority_text[:12]}` is not a whole number 0-{MAX_PRIORITY}")
    category_text = _text(fields, "category", 40)
    category = parse_category(category_text).value if category_text else ""
    file_type_text = _text(fields, "file_type", 40)
    file_type = parse_file_type(file_type_text).value if file_type_text else ""
    return ListEntry(
        plate=plate,
        region=region,
        reason=_text(fields, "reason", 500),
        case_number=_text(fields, "case_number", 64),
        expires_at=expires_at,
        priority=priority,
        category=category,
        file_type=file_type,
    )
