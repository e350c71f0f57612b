"""Hot-list alerts as policy questions: may a list's owner receive a hit on another
owner's read?

A hit is delivered only if the list owner may ``receive_alert`` on the read owner's data
for the list's category. The category decides the purpose the request carries, and is also
in the context, so a pack can refuse a category outright (an immigration list never
matches California, Illinois or Washington data).
"""

from __future__ import annotations

from datetime import datetime
from types import MappingProxyType

from plateledger.policy.action import Action
from plateledger.policy.decision import AccessRequest
from plateledger.policy.purpose import Purpose

CATEGORY_PURPOSES: MappingProxyType[str, Purpose] = MappingProxyType({
    "stolen_vehicle": Purpose.STOLEN_VEHICLE,
    "stolen_plate": Purpose.STOLEN_PLATE,
    "wanted_person": Purpose.WANTED_PERSON,
    "missing_person": Purpose.MISSING_PERSON,
    "endangered_person": Purpose.ENDANGERED_PERSON,
    "amber_alert": Purpose.AMBER_ALERT,
    "silver_alert": Purpose.ENDANGERED_PERSON,
    "warrant": Purpose.WARRANT,
    "protection_order": Purpose.COURT_ORDER,
    "sex_offender": Purpose.CRIMINAL_INVESTIGATION,
    "gang_member": Purpose.CRIMINAL_INVESTIGATION,
    "terrorist_watchlist": Purpose.TERRORISM,
    "suspended_registration": Purpose.SUSPENDED_REGISTRATION,
    "investigative_interest": Purpose.CRIMINAL_INVESTIGATION,
})
"""The purpose a hit on a list of each category serves. A category not named here
(``uninsured``, ``immigration_violator``, anything new) serves `Purpose.OTHER`."""


def alert_purpose(category: str) -> Purpose:
    """The purpose of delivering a hit from a list of ``category``."""
    return CATEGORY_PURPOSES.get(category, Purpose.OTHER)


def alert_request(
    list_owner_id: int, read_owner_id: int, category: str, now: datetime
) -> AccessRequest:
    """The question the hot-list gate asks: the list owner itself (no user) receiving a
    hit on ``read_owner_id``'s read. The reason names the category, so screening flags an
    immigration list as it would an immigration search."""
    return AccessRequest(
        user_id=None,
        user_agency_id=list_owner_id,
        requested_by_agency_id=list_owner_id,
        action=Action.RECEIVE_ALERT,
        purpose=alert_purpose(category),
        case_number=None,
        reason=f"hot-list hit on a `{category}` list",
        lookback_days=0,
        owners=(read_owner_id,),
        now=now,
        hotlist_category=category,
    )
