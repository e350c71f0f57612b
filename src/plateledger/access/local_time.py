"""An agency's local time, for the audit export's "Search Time (Local)" column.

An agency keeps time in its own zone (the catalog's ``timezone`` setting) or, while that is
null, in the principal zone of its home state (``home_state``), and UTC for a state the
catalog's table does not know: the same zone its statutory reports and its public portal
count days in (`plateledger.catalog.agencies.agency_timezone`, whose table of states is the
only one).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from plateledger.catalog import Agency
from plateledger.catalog.agencies import agency_timezone, timezone_of

__all__ = ["agency_zone", "local_time", "zone_of"]


def zone_of(home_state: str, timezone: str | None = None) -> str:
    """The IANA zone an agency of ``home_state`` keeps time in: ``timezone`` (the agency's
    own setting) when it is set, else its state's principal zone (``UTC`` if unknown)."""
    return timezone_of(timezone, home_state)


def agency_zone(agency: Agency) -> str:
    """The IANA zone ``agency`` keeps time in: its ``timezone`` when set, else its home
    state's."""
    return agency_timezone(agency)


def local_time(utc: str, zone: str) -> str:
    """The RFC 3339 UTC time ``utc`` in ``zone``, with its offset and zone abbreviation
    (``2026-03-01T10:15:00.000-08:00 PST``); ``""`` for a time that does not parse."""
    try:
        moment = datetime.fromisoformat(utc.replace("Z", "+00:00"))
    except ValueError:
        return ""
    if moment.tzinfo is None:
        return ""
    here = moment.astimezone(ZoneInfo(zone))
    return f"{here.isoformat(timespec='milliseconds')} {here.tzname()}"
