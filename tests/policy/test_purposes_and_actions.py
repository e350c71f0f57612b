"""Purposes and actions come from closed lists; anything else is refused by name."""

from __future__ import annotations

import pytest

from plateledger.policy import (
    ADMIN_ACTIONS,
    SEARCH_ACTIONS,
    Action,
    Purpose,
    UnknownAction,
    UnknownPurpose,
    granted_actions,
    parse_action,
    parse_purpose,
)


@pytest.mark.parametrize(("text", "purpose"), [
    ("stolen_vehicle", Purpose.STOLEN_VEHICLE),
    (" Stolen Vehicle ", Purpose.STOLEN_VEHICLE),
    ("hit-and-run", Purpose.HIT_AND_RUN),
    ("COURT_ORDER", Purpose.COURT_ORDER),
])
def test_a_purpose_on_the_list_is_parsed(text: str, purpose: Purpose) -> None:
    assert parse_purpose(text) is purpose


@pytest.mark.parametrize("text", ["immigration", "ICE", "curiosity", ""])
def test_a_purpose_off_the_list_is_refused_naming_it(text: str) -> None:
    with pytest.raises(UnknownPurpose, match=f"purpose `{text}` is not on the closed list"):
        parse_purpose(text)


def test_every_purpose_is_documented() -> None:
    import inspect

    source = inspect.getsource(Purpose)
    for purpose in Purpose:
        after = source.split(f'= "{purpose.value}"', 1)[1].lstrip()
        assert after.startswith('"""'), purpose


def test_search_grants_every_search_kind_and_nothing_else() -> None:
    assert granted_actions(["search"]) == SEARCH_ACTIONS
    assert granted_actions(["alert", "export"]) == {Action.RECEIVE_ALERT, Action.EXPORT}


@pytest.mark.parametrize("name", sorted(ADMIN_ACTIONS))
def test_an_agreement_cannot_grant_administration(name: str) -> None:
    with pytest.raises(UnknownAction, match="cannot be granted"):
        granted_actions([name])


def test_an_unknown_action_is_refused_naming_it() -> None:
    with pytest.raises(UnknownAction, match="action `teleport` is not one of"):
        parse_action("teleport")


def test_sharing_images_with_search_grants_viewing_them_and_nothing_more() -> None:
    assert Action.VIEW_IMAGE in granted_actions(["search"], images=True)
    assert Action.VIEW_IMAGE not in granted_actions(["search"])
    assert Action.VIEW_IMAGE not in granted_actions(["alert", "export"], images=True)


@pytest.mark.parametrize("names", [["alert"], ["export"], ["search_exact"], ["alert", "export"]])
def test_an_agreement_that_shares_images_but_not_every_search_grants_no_image(
    names: list[str],
) -> None:
    """The compiled policy follows the same rule as `granted_actions`: an alert-only
    partner (which learns read ids from its alerts) opens no image of the owner's reads."""
    from datetime import UTC, datetime

    from plateledger.policy.compiler import agreement_actions
    from plateledger.policy.facts import Agreement

    def agreement(actions: frozenset[Action]) -> Agreement:
        return Agreement(id=1, owner_id=1, recipient_id=2, actions=actions, purposes=None,
                         max_lookback_days=None, case_number_required=False,
                         result_cap=None, images=True, starts=datetime(2026, 1, 1, tzinfo=UTC))

    assert Action.VIEW_IMAGE not in agreement_actions(agreement(granted_actions(names)))
    assert Action.VIEW_IMAGE in agreement_actions(agreement(granted_actions(["search"])))
