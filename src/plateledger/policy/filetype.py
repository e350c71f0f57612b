"""Hot-list source file types: the closed list of files a listed plate can come from.

A hot list and each of its entries carry the type of the file they were taken from: one of
the NCIC files, a state's list or an agency's own. Law packs allow or deny file types by
state, reading ``context.hotlist_file_type``: when an agency imports a list
(``manage_hotlists`` on its own data, so its own packs decide) and when a hit is delivered
(``receive_alert`` on the read owner's data, so the read owner's packs decide).
"""

from __future__ import annotations

from enum import StrEnum


class FileType(StrEnum):
    """Where a listed plate comes from. Each member's comment names the file."""

    NCIC_STOLEN_VEHICLE = "ncic_stolen_vehicle"
    """NCIC Vehicle File: stolen vehicles."""
    NCIC_STOLEN_PLATE = "ncic_stolen_plate"
    """NCIC License Plate File: stolen plates."""
    NCIC_WANTED_PERSON = "ncic_wanted_person"
    """NCIC Wanted Person File: persons with an outstanding warrant."""
    NCIC_MISSING_PERSON = "ncic_missing_person"
    """NCIC Missing Person File."""
    NCIC_PROTECTION_ORDER = "ncic_protection_order"
    """NCIC Protection Order File."""
    NCIC_SUPERVISED_RELEASE = "ncic_supervised_release"
    """NCIC Supervised Release File: persons on probation, parole or supervised release."""
    NCIC_IMMIGRATION_VIOLATOR = "ncic_immigration_violator"
    """NCIC Immigration Violator File (civil and criminal immigration records)."""
    NCIC_GANG = "ncic_gang"
    """NCIC Gang File."""
    NCIC_KNOWN_OR_SUSPECTED_TERRORIST = "ncic_known_or_suspected_terrorist"
    """NCIC Known or Appropriately Suspected Terrorist File."""
    NCIC_VIOLENT_PERSON = "ncic_violent_person"
    """NCIC Violent Person File."""
    NCIC_SEX_OFFENDER = "ncic_sex_offender"
    """NCIC National Sex Offender Registry File."""
    NCIC_FOREIGN_FUGITIVE = "ncic_foreign_fugitive"
    """NCIC Foreign Fugitive File."""
    STATE = "state"
    """A state's own list (a state hot sheet, registrations suspended by the state)."""
    LOCAL = "local"
    """An agency's own list."""
    UNSPECIFIED = "unspecified"
    """A list whose source file type was not given (lists imported before file types were
    recorded, and imports that do not say)."""


class UnknownFileType(ValueError):
    """A file type that is not on the closed list."""


def parse_file_type(text: str) -> FileType:
    """The file type named ``text`` (case, surrounding space, hyphens and spaces ignored).

    Raises `UnknownFileType` naming the closed list otherwise.
    """
    value = text.strip().lower().replace("-", "_").replace(" ", "_")
    try:
        return FileType(value)
    except ValueError:
        names = ", ".join(f.value for f in FileType)
        raise UnknownFileType(f"file type `{text[:40]}` is not one of: {names}") from None
