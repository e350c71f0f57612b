"""An agency's local time, for the audit export's "Search Time (Local)" column.

The catalog keeps no time zone per agency; an agency's local time is that of the
principal zone of its home state (``home_state``), and UTC for a state not in the table.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

__all__ = ["STATE_ZONES", "local_time", "zone_of"]

_EASTERN, _CENTRAL, _MOUNTAIN, _PACIFIC = (
    "America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles")

STATE_ZONES: dict[str, str] = {
    **dict.fromkeys(("CT", "DC", "DE", "GA", "MA", "MD", "ME", "NC", "NH", "NJ", "NY",
                     "OH", "PA", "RI", "SC", "VA", "VT", "WV"), _EASTERN),
    "FL": _EASTERN, "IN": "America/Indiana/Indianapolis", "KY": "America/Kentucky/Louisville",
    "MI": "America/Detroit",
    **dict.fromkeys(("AL", "AR", "IA", "IL", "KS", "LA", "MN", "MO", "MS", "ND", "NE",
                     "OK", "SD", "TN", "TX", "WI"), _CENTRAL),
    **dict.fromkeys(("CO", "MT", "NM", "UT", "WY"), _MOUNTAIN),
    "ID": "America/Boise", "AZ": "America/Phoenix",
    **dict.fromkeys(("CA", "NV", "OR", "WA"), _PACIFIC),
    "AK": "America/Anchorage", "HI": "Pacific/Honolulu", "PR": "America/Puerto_Rico",
    "GU": "Pacific/Guam", "VI": "America/St_Thomas", "AS": "Pacific/Pago_Pago",
    "MP": "Pacific/Saipan",
}
"""The principal IANA zone of each state and territory (a state spanning two zones gets
the one most of its people live in)."""


def zone_of(home_state: str) -> str:
    """The IANA zone an agency of ``home_state`` keeps time in (``UTC`` if unknown)."""
    return STATE_ZONES.get(home_state.strip().upper(), "UTC")


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
