"""Sharing presets: how an agency shares its data by default, compiled to Cedar.

An agency chooses one preset (`PresetKind`); one-to-one agreements (``agreements``) is the
default, and compiles to nothing. ``none`` is a ``forbid`` on the owner's data for every
other agency, agreements included. The others are one ``permit`` (``preset-<owner>``) for
the agencies they admit: of the owner's state (``in_state``), of named states
(``named_states``), of the states whose law packs forbid immigration use
(``similar_law``), or within a radius of the owner (``radius``). A preset admits law
enforcement only, and never a federal requester, on either side of a request: federal
agencies (and private companies) reach data only through a one-to-one agreement. The law
packs still decide over every preset, as over every agreement.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from plateledger.policy.action import SEARCH_ACTIONS, Action
from plateledger.policy.errors import PolicyCompileError
from plateledger.policy.facts import AgencyFacts
from plateledger.policy.lawpack import similar_law_states

EARTH_RADIUS_KM = 6371.0088


class PresetKind(StrEnum):
    """How an agency shares by default."""

    NONE = "none"
    """With no one: other agencies are refused even under an agreement."""
    AGREEMENTS = "agreements"
    """Only under one-to-one agreements (the default)."""
    IN_STATE = "in_state"
    """With every non-federal agency of the owner's home state."""
    NAMED_STATES = "named_states"
    """With every non-federal agency of the states named."""
    SIMILAR_LAW = "similar_law"
    """With every non-federal agency of a state whose law pack forbids immigration use."""
    RADIUS = "radius"
    """With every non-federal agency whose seat is within ``radius_km`` of the owner's."""


DEFAULT_PRESET_ACTIONS = SEARCH_ACTIONS | {Action.RECEIVE_ALERT}
"""What a preset grants unless it says: every search and hot-list alerts (no export, no
images: those need an agreement)."""


@dataclass(frozen=True)
class SharingPreset:
    """``owner_id``'s preset: ``states`` for ``named_states``, ``radius_km`` for
    ``radius``; ``actions`` what an admitted agency may do."""

    owner_id: int
    kind: PresetKind
    states: frozenset[str] = frozenset()
    radius_km: float | None = None
    actions: frozenset[Action] = field(default=DEFAULT_PRESET_ACTIONS)

    def __post_init__(self) -> None:
        if self.kind is PresetKind.NAMED_STATES:
            if not self.states:
                raise PolicyCompileError(f"the preset of agency `{self.owner_id}` names no state")
            bad = sorted(s for s in self.states if len(s) != 2 or not s.isupper())
            if bad:
                raise PolicyCompileError(f"state `{bad[0]}` must be two capitals")
        elif self.states:
            raise PolicyCompileError(f"a `{self.kind.value}` preset names no states")
        if self.kind is PresetKind.RADIUS:
            if self.radius_km is None or not 0 < self.radius_km <= 5000:
                raise PolicyCompileError(
                    f"the radius of agency `{self.owner_id}`'s preset must be 0 to 5000 km"
                )
        elif self.radius_km is not None:
            raise PolicyCompileError(f"a `{self.kind.value}` preset has no radius")
        if not self.actions or not self.actions <= DEFAULT_PRESET_ACTIONS | {Action.EXPORT}:
            raise PolicyCompileError(
                f"the preset of agency `{self.owner_id}` may grant searches, alerts and export"
            )

    @property
    def policy_id(self) -> str:
        return f"preset-{self.owner_id}" + ("-none" if self.kind is PresetKind.NONE else "")

    @property
    def admits_beyond_home_state(self) -> bool:
        """Whether the preset may admit an agency of another state (so it is ongoing,
        unrestricted access for outside entities, as Oregon's rule reads it)."""
        return self.kind in (PresetKind.NAMED_STATES, PresetKind.SIMILAR_LAW, PresetKind.RADIUS)


def distance_km(a: AgencyFacts, b: AgencyFacts) -> float | None:
    """Great-circle distance between two agencies' seats; ``None`` if one has none."""
    if a.lat is None or a.lon is None or b.lat is None or b.lon is None:
        return None
    p1, p2 = math.radians(a.lat), math.radians(b.lat)
    dp, dl = p2 - p1, math.radians(b.lon - a.lon)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, h)))


def preset_states(preset: SharingPreset, owner: AgencyFacts) -> tuple[str, ...] | None:
    """The states whose agencies the preset admits (``None``: not a state preset)."""
    if preset.kind is PresetKind.IN_STATE:
        return (owner.home_state,)
    if preset.kind is PresetKind.NAMED_STATES:
        return tuple(sorted(preset.states))
    if preset.kind is PresetKind.SIMILAR_LAW:
        return similar_law_states()
    return None


def preset_agencies(
    preset: SharingPreset, owner: AgencyFacts, agencies: Iterable[AgencyFacts]
) -> tuple[int, ...]:
    """For a radius preset: the other agencies whose seat is within its radius."""
    assert preset.radius_km is not None
    found = []
    for agency in agencies:
        distance = distance_km(owner, agency)
        if agency.id != owner.id and distance is not None and distance <= preset.radius_km:
            found.append(agency.id)
    return tuple(sorted(found))


def describe(preset: SharingPreset, owner: AgencyFacts) -> str:
    """One line for explanations and the sharing report."""
    name = f"{owner.name} (agency {owner.id})"
    if preset.kind is PresetKind.NONE:
        return f"{name} shares with no one (sharing preset `none`)"
    if preset.kind is PresetKind.AGREEMENTS:
        return f"{name} shares only under one-to-one agreements (sharing preset `agreements`)"
    if preset.kind is PresetKind.RADIUS:
        return (f"{name} shares with non-federal law-enforcement agencies within "
                f"{preset.radius_km:g} km (sharing preset `radius`)")
    states = ", ".join(preset_states(preset, owner) or ())
    return (f"{name} shares with non-federal law-enforcement agencies of {states} "
            f"(sharing preset `{preset.kind}`)")


def preset_from_settings(
    owner_id: int, kind: str, states: Iterable[str] | None, radius_km: float | None
) -> SharingPreset:
    """The preset of an agency's stored settings (the catalog's ``sharing_preset``,
    ``sharing_states``, ``sharing_radius_km``). Raises `PolicyCompileError` for settings
    that do not compile."""
    try:
        chosen = PresetKind(kind)
    except ValueError:
        raise PolicyCompileError(f"sharing preset `{kind[:20]}` is not one of: "
                                 + ", ".join(k.value for k in PresetKind)) from None
    return SharingPreset(owner_id, chosen, frozenset(states or ()), radius_km)
