"""Purposes: the closed list of reasons an agency may give for touching ALPR data.

A request names one purpose from this list; free text goes into the reason, which is
screened (`plateledger.policy.reason`) but never decides on its own. The list covers the
purposes the Virginia (Va. Code 2.2-5517), New Hampshire (RSA 261:75-b) and Maine
(29-A M.R.S. 2117-A) statutes enumerate, plus the ordinary kinds of criminal investigation.
There is deliberately no "immigration" purpose: no pack lets a request name one.
"""

from __future__ import annotations

from enum import StrEnum

from plateledger.policy.errors import UnknownPurpose


class Purpose(StrEnum):
    """Why data is accessed. Each member's comment says what it covers."""

    STOLEN_VEHICLE = "stolen_vehicle"
    """Locating or recovering a vehicle reported stolen (VA, NH)."""
    STOLEN_PLATE = "stolen_plate"
    """A number plate reported stolen (VA, NH)."""
    WANTED_PERSON = "wanted_person"
    """A person entered as wanted (NCIC wanted person file)."""
    WARRANT = "warrant"
    """Executing an outstanding arrest or search warrant (VA alerts, NH, MN tracking)."""
    MISSING_PERSON = "missing_person"
    """A person reported missing (VA, NH)."""
    ENDANGERED_PERSON = "endangered_person"
    """An endangered or at-risk person, including Silver alerts (VA, NH)."""
    AMBER_ALERT = "amber_alert"
    """An abducted child under an AMBER alert (NH)."""
    VIOLENT_FELONY = "violent_felony"
    """Investigating a violent felony (assault, sexual assault, kidnapping …)."""
    HOMICIDE = "homicide"
    """Investigating a homicide."""
    ROBBERY = "robbery"
    """Investigating a robbery or carjacking."""
    PROPERTY_CRIME = "property_crime"
    """Investigating burglary, theft or other property crime."""
    NARCOTICS = "narcotics"
    """Investigating drug trafficking or distribution."""
    TRAFFICKING = "trafficking"
    """Human trafficking (VA names it)."""
    TERRORISM = "terrorism"
    """Terrorism or a threat to homeland security (NH)."""
    HIT_AND_RUN = "hit_and_run"
    """A crash in which a driver left the scene."""
    FUGITIVE = "fugitive"
    """Apprehending a fugitive or an escaped prisoner."""
    CRIMINAL_INVESTIGATION = "criminal_investigation"
    """Another criminal investigation with reasonable suspicion (VA's general purpose)."""
    COURT_ORDER = "court_order"
    """Access a court ordered (subpoena, preservation or production order)."""
    SUSPENDED_REGISTRATION = "suspended_registration"
    """A registration suspended or revoked, or an unregistered vehicle (NH)."""
    PARKING_ENFORCEMENT = "parking_enforcement"
    """Parking enforcement (a Maine user class; not a law-enforcement purpose elsewhere)."""
    TOLL_COLLECTION = "toll_collection"
    """Toll collection (a Maine user class; not a law-enforcement purpose elsewhere)."""
    OTHER = "other"
    """Anything else. Most packs refuse it; the reason must then carry the justification."""


CRIMINAL_PURPOSES = frozenset({
    Purpose.STOLEN_VEHICLE, Purpose.STOLEN_PLATE, Purpose.WANTED_PERSON, Purpose.WARRANT,
    Purpose.VIOLENT_FELONY, Purpose.HOMICIDE, Purpose.ROBBERY, Purpose.PROPERTY_CRIME,
    Purpose.NARCOTICS, Purpose.TRAFFICKING, Purpose.TERRORISM, Purpose.HIT_AND_RUN,
    Purpose.FUGITIVE, Purpose.CRIMINAL_INVESTIGATION,
})
"""Purposes that are criminal investigations or enforcement of criminal process."""

SAFETY_PURPOSES = frozenset({
    Purpose.MISSING_PERSON, Purpose.ENDANGERED_PERSON, Purpose.AMBER_ALERT,
})
"""Purposes about a person in danger: these are exigencies (MN tracking)."""

LAW_ENFORCEMENT_PURPOSES = CRIMINAL_PURPOSES | SAFETY_PURPOSES | {
    Purpose.COURT_ORDER, Purpose.SUSPENDED_REGISTRATION,
}
"""Legitimate law-enforcement purposes (VT 23 V.S.A. 1607)."""


def parse_purpose(text: str) -> Purpose:
    """The purpose named ``text`` (case, surrounding space, hyphens and spaces ignored).

    Raises `UnknownPurpose` naming the closed list when ``text`` is not on it.
    """
    value = text.strip().lower().replace("-", "_").replace(" ", "_")
    try:
        return Purpose(value)
    except ValueError:
        names = ", ".join(p.value for p in Purpose)
        raise UnknownPurpose(
            f"purpose `{text[:40]}` is not on the closed list: {names}"
        ) from None
