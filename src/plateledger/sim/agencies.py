"""The agencies of the synthetic city: who owns cameras, and who only asks for data."""

from __future__ import annotations

from dataclasses import dataclass

AGENCY_KINDS = frozenset({"municipal", "county", "state", "federal", "tribal", "private"})


@dataclass(frozen=True)
class SimAgency:
    """An agency as the catalog will know it.

    ``id`` starts at 1; ``kind`` is one of `AGENCY_KINDS`; ``home_state`` is a two-letter
    postal code and becomes the ``origin_state`` of every read the agency owns; ``slug``
    prefixes the agency's camera ids.
    """

    id: int
    name: str
    kind: str
    home_state: str
    slug: str

    def __post_init__(self) -> None:
        if self.id < 1:
            raise ValueError(f"agency id `{self.id}` must be 1 or more")
        if self.kind not in AGENCY_KINDS:
            raise ValueError(f"agency kind `{self.kind}` is not one of {sorted(AGENCY_KINDS)}")
        if len(self.home_state) != 2 or not self.home_state.isupper():
            raise ValueError(f"home state `{self.home_state}` must be a two-letter code")


UNION_CITY_PD = SimAgency(1, "Union City PD", "municipal", "CA", "ucpd")
FREMONT_PD = SimAgency(2, "Fremont PD", "municipal", "CA", "fpd")
HAYWARD_PD = SimAgency(3, "Hayward PD", "municipal", "CA", "hpd")
ALAMEDA_SHERIFF = SimAgency(4, "Alameda County Sheriff's Office", "county", "CA", "acso")
HIGHWAY_PATROL = SimAgency(5, "California Highway Patrol", "state", "CA", "chp")
RENO_PD = SimAgency(6, "Reno PD", "municipal", "NV", "rpd")
ICE_ERO_SF = SimAgency(7, "ICE ERO San Francisco", "federal", "CA", "ice-ero-sf")

DEFAULT_AGENCIES: tuple[SimAgency, ...] = (
    UNION_CITY_PD,
    FREMONT_PD,
    HAYWARD_PD,
    ALAMEDA_SHERIFF,
    HIGHWAY_PATROL,
    RENO_PD,
    ICE_ERO_SF,
)
"""Three cities, the county sheriff and CHP run cameras in the city; Reno PD runs a few in
Reno (its reads have origin state NV); ICE ERO owns no cameras and only ever requests."""
