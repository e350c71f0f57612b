"""Hot-list alerts as policy questions: may a list's owner receive a hit on another
owner's read?

A hit is delivered only if the list owner may ``receive_alert`` on the read owner's data.
The question is asked per listed entry (`AlertQuestion`): with the entry's case number, so
an agreement that requires one lets an entry with one alert, and with the class that
screening gives the entry (``screened_class``), not only the category its list declares.
The screened class decides the purpose and is ``context.hotlist_category``, so a pack can
refuse a class outright (an immigration list never matches California, Illinois or
Washington data); the list's and the entry's own words are the request's reason, screened
by the engine like a search's reason, so their flags are in ``context.flags``. The entry's
source file type (`FileType`) is ``context.hotlist_file_type``; an import asks the list
owner's own packs about it first (`ImportQuestion`).
"""

from __future__ import annotations

from dataclasses import dataclass
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


@dataclass(frozen=True, slots=True)
class AlertQuestion:
    """May ``list_owner_id`` receive a hit on ``read_owner_id``'s read from one listed entry?

    ``category`` is what the list (or the entry) declares; ``screened_class`` what screening
    made of it (``immigration_violator`` when the list's or the entry's words are about
    immigration enforcement), and what policy tests. ``text`` is the list's source, name
    and description and the entry's reason and case number, as screened. Two questions that
    differ only in the case number's value are the same question (`key`).
    """

    list_owner_id: int
    read_owner_id: int
    category: str
    screened_class: str
    case_number: str = ""
    text: str = ""
    file_type: str = ""
    """The source file type of the entry (`FileType`; its list's where it has none of its
    own), ``context.hotlist_file_type``."""

    @property
    def has_case_number(self) -> bool:
        return bool(self.case_number.strip())

    @property
    def key(self) -> tuple[int, int, str, str, bool, str, str]:
        """What the decision depends on (the case number only by its presence)."""
        return (self.list_owner_id, self.read_owner_id, self.category, self.screened_class,
                self.has_case_number, self.text, self.file_type)  # fmt: skip

    def reason(self) -> str:
        """The request's reason: the classes and the screened words, so that the engine's
        screening raises the flags the entry's own words raise."""
        return (f"hot-list hit on a `{self.category}` list, screened as "
                f"`{self.screened_class}`; {self.text}")  # fmt: skip


def alert_purpose(category: str) -> Purpose:
    """The purpose of delivering a hit from a list of ``category``."""
    return CATEGORY_PURPOSES.get(category, Purpose.OTHER)


def question_request(question: AlertQuestion, now: datetime) -> AccessRequest:
    """The question the hot-list gate asks: the list owner itself (no user) receiving a hit
    on the read owner's read, for the purpose of the entry's screened class, with the
    entry's case number."""
    return AccessRequest(
        user_id=None,
        user_agency_id=question.list_owner_id,
        requested_by_agency_id=question.list_owner_id,
        action=Action.RECEIVE_ALERT,
        purpose=alert_purpose(question.screened_class),
        case_number=question.case_number or None,
        reason=question.reason(),
        lookback_days=0,
        owners=(question.read_owner_id,),
        now=now,
        hotlist_category=question.screened_class,
        hotlist_file_type=question.file_type,
    )


@dataclass(frozen=True, slots=True)
class ImportQuestion:
    """May ``list_owner_id`` hold entries of ``file_type`` (screened as ``screened_class``)?
    Asked of the owner's own data when a list is imported: the owner's packs decide which
    file types it may hold (no immigration-violator file on California data)."""

    list_owner_id: int
    file_type: str
    screened_class: str


def import_request(question: ImportQuestion, now: datetime) -> AccessRequest:
    """The question the import asks: may the list owner itself (no user) manage a hot list
    of the file type, on its own data (``manage_hotlists`` with ``hotlist_file_type``)."""
    return AccessRequest(
        user_id=None,
        user_agency_id=question.list_owner_id,
        requested_by_agency_id=question.list_owner_id,
        action=Action.MANAGE_HOTLISTS,
        purpose=alert_purpose(question.screened_class),
        case_number=None,
        reason=f"import of a `{question.file_type}` hot list, screened as "
               f"`{question.screened_class}`",
        lookback_days=0,
        owners=(question.list_owner_id,),
        now=now,
        hotlist_category=question.screened_class,
        hotlist_file_type=question.file_type,
    )

