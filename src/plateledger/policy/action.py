"""Actions: what a request does with an owner's data, and the groups law packs name.

In Cedar every action is an entity ``Action::"<value>"`` whose parents are the groups below
(``Action::"search"``, ``Action::"tracking"``, ``Action::"data"``, ``Action::"admin"``), so
a pack can forbid ``action in Action::"data"`` without listing every kind.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from plateledger.policy.errors import UnknownAction


class Action(StrEnum):
    """One thing a principal may do with one owner's dataset."""

    SEARCH_EXACT = "search_exact"
    SEARCH_WILDCARD = "search_wildcard"
    SEARCH_FUZZY = "search_fuzzy"
    SEARCH_AREA = "search_area"
    SEARCH_CONVOY = "search_convoy"
    SEARCH_LOCATE = "search_locate"
    SEARCH_TIMELINE = "search_timeline"
    SEARCH_STAKEOUT = "search_stakeout"
    SEARCH_ATTRIBUTES = "search_attributes"
    EXPORT = "export"
    VIEW_IMAGE = "view_image"
    RECEIVE_ALERT = "receive_alert"
    MANAGE_AGENCY = "manage_agency"
    MANAGE_USERS = "manage_users"
    MANAGE_AGREEMENTS = "manage_agreements"
    VIEW_AUDIT = "view_audit"
    EXPLAIN_POLICY = "explain_policy"
    VIEW_ALARMS = "view_alarms"
    MANAGE_HOTLISTS = "manage_hotlists"
    MANAGE_HOLDS = "manage_holds"


SEARCH_ACTIONS = frozenset(a for a in Action if a.value.startswith("search_"))
"""Every investigative search kind."""

TRACKING_ACTIONS = frozenset({Action.SEARCH_LOCATE, Action.SEARCH_TIMELINE,
                              Action.SEARCH_CONVOY})
"""Searches that follow a vehicle (and so a person) over time (MN 13.824)."""

DATA_ACTIONS = SEARCH_ACTIONS | {Action.EXPORT, Action.VIEW_IMAGE, Action.RECEIVE_ALERT}
"""Actions that reveal reads: what law packs govern and agreements may grant."""

ADMIN_ACTIONS = frozenset(Action) - DATA_ACTIONS
"""Administration of one's own agency; never granted by an agreement."""

CASEWORK_ACTIONS = SEARCH_ACTIONS | {Action.EXPORT, Action.VIEW_IMAGE}
"""Data actions a person takes for a case (an alert is raised by the matcher, not asked)."""

ACTION_GROUPS: dict[str, frozenset[Action]] = {
    "search": SEARCH_ACTIONS,
    "tracking": TRACKING_ACTIONS,
    "data": DATA_ACTIONS,
    "casework": CASEWORK_ACTIONS,
    "admin": ADMIN_ACTIONS,
}
"""Cedar action groups by name; each action entity is a child of the groups it is in."""

GRANT_NAMES: dict[str, frozenset[Action]] = {
    "search": SEARCH_ACTIONS,
    "alert": frozenset({Action.RECEIVE_ALERT}),
    "export": frozenset({Action.EXPORT}),
}
"""The coarse action names the catalog stores on an agreement, and what each grants."""


def parse_action(text: str) -> Action:
    """The action named ``text``; raises `UnknownAction` otherwise."""
    try:
        return Action(text.strip().lower())
    except ValueError:
        names = ", ".join(a.value for a in Action)
        raise UnknownAction(f"action `{text[:40]}` is not one of: {names}") from None


def granted_actions(names: Iterable[str], *, images: bool = False) -> frozenset[Action]:
    """The actions an agreement grants, from the catalog's coarse names (``search``,
    ``alert``, ``export``) or exact action values. Admin actions cannot be granted.

    An agreement that shares images (``images``) and grants every search also grants
    ``view_image``: the partner may open the images of the reads it may search.
    """
    granted: set[Action] = set()
    for name in names:
        group = GRANT_NAMES.get(name.strip().lower())
        if group is not None:
            granted |= group
            continue
        action = parse_action(name)
        if action in ADMIN_ACTIONS:
            raise UnknownAction(f"action `{action}` cannot be granted by an agreement")
        granted.add(action)
    if images and granted >= SEARCH_ACTIONS:
        granted.add(Action.VIEW_IMAGE)
    return frozenset(granted)
