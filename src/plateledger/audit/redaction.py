"""The public summary of an audit entry: what the public may see of each event.

The summary is built from an allow-list, never by deleting sensitive fields: a field
a future entry type adds stays private until someone decides it is public.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_AGENCY_KEYS = ("agency", "requested_by_agency", "owner_agency", "partner_agency")
_AGENCY_LIST_KEYS = ("agencies", "owners_allowed", "owners_denied", "partners")


def _agencies(entry: Mapping[str, Any]) -> list[str]:
    found: set[str] = set()
    for key in _AGENCY_KEYS:
        value = entry.get(key)
        if isinstance(value, str):
            found.add(value)
    for key in _AGENCY_LIST_KEYS:
        items = entry.get(key)
        if not isinstance(items, list):
            continue
        for item in items:
            if isinstance(item, str):
                found.add(item)
            elif isinstance(item, Mapping) and isinstance(item.get("agency"), str):
                found.add(item["agency"])
    return sorted(found)


def redact(entry: Mapping[str, Any]) -> dict[str, Any]:
    """Return the public summary of ``entry``.

    Keeps the type, version, time, log index, the agencies involved (requesting,
    on whose behalf, data owners allowed or denied, partners), the purpose and the
    result count. Plates, user names, query elements, case numbers, reasons and
    anything else are left out.
    """
    summary: dict[str, Any] = {
        "type": entry.get("type"),
        "v": entry.get("v"),
        "time": entry.get("time"),
        "agencies": _agencies(entry),
    }
    if "log_index" in entry:
        summary["log_index"] = entry["log_index"]
    if isinstance(entry.get("purpose"), str):
        summary["purpose"] = entry["purpose"]
    count = entry.get("result_count")
    if isinstance(count, int) and not isinstance(count, bool):
        summary["result_count"] = count
    return summary
