"""Hot-list categories: the closed list of reasons a plate is listed.

The category is what policy decides on (a law pack may forbid an agency to receive hits
from, say, an ``immigration_violator`` list), so it is a closed list, never free text.
"""

from __future__ import annotations

from enum import StrEnum


class Category(StrEnum):
    """Why the plates of a list are listed (NCIC file names where one exists)."""

    STOLEN_VEHICLE = "stolen_vehicle"
    STOLEN_PLATE = "stolen_plate"
    WANTED_PERSON = "wanted_person"
    MISSING_PERSON = "missing_person"
    ENDANGERED_PERSON = "endangered_person"
    AMBER_ALERT = "amber_alert"
    SILVER_ALERT = "silver_alert"
    WARRANT = "warrant"
    PROTECTION_ORDER = "protection_order"
    SEX_OFFENDER = "sex_offender"
    GANG_MEMBER = "gang_member"
    TERRORIST_WATCHLIST = "terrorist_watchlist"
    SUSPENDED_REGISTRATION = "suspended_registration"
    UNINSURED = "uninsured"
    INVESTIGATIVE_INTEREST = "investigative_interest"
    IMMIGRATION_VIOLATOR = "immigration_violator"


def parse_category(text: str) -> Category:
    """The category named ``text`` (case and surrounding space ignored)."""
    value = text.strip().lower().replace("-", "_").replace(" ", "_")
    try:
        return Category(value)
    except ValueError:
        names = ", ".join(c.value for c in Category)
        raise ValueError(f"category `{text[:40]}` is not one of: {names}") from None
