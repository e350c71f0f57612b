"""Attacks on the reach of held copies, through the HTTP API: the reads a legal hold kept
past their clock reach only an exact search made by the hold's case agency for its case
number — and, even then, only as far as the owner's policy lets that search reach the
owner's reads. Naming a case agency is no agreement: it never widens what a search sees.

World (tests/api/test_scoping_between_agencies.py): Fremont (`fpd`) shares searches with
Union City (`ucpd`) for stolen vehicles, property crime and homicide, with a case number;
a federal unit (`ice`) and a Nevada city (`rpd`) have no agreement. Fremont's supervisor
holds the reads of one plate for a case; the reads then pass their clock and are purged.
"""

from __future__ import annotations

import pytest

from tests.api.test_hold_case_agency_http import (
    FR_CASE,
    KEPT_PLATE,
    _kept,
)
from tests.api.test_scoping_between_agencies import (  # noqa: F401  (fixture used by name)
    World,
    owners,
    search,
    world,
)


@pytest.mark.parametrize("case_agency", ["ice", "rpd"])
def test_naming_a_case_agency_never_widens_what_the_owners_policy_allows(
    world: World, case_agency: str,  # noqa: F811
) -> None:
    """Fremont's hold names, as its case agency, an agency Fremont's policy never lets
    search its reads (the federal unit: California law; a Nevada city: no agreement). That
    agency's exact search for the case reaches none of the held copies: Fremont's decision
    still refuses it."""
    w = world
    read_id, hold = _kept(w, case_agency=case_agency)
    assert hold["case_agency"] == w.ids[case_agency]
    answer = search(w, f"{case_agency}-inv", KEPT_PLATE, case_number=FR_CASE)
    assert answer.status_code in (200, 403), answer.text
    assert read_id not in answer.text
    if answer.status_code == 200:
        page = answer.json()
        assert page["results"] == [] and page["total"] == 0
        assert not owners(page)[w.ids["fpd"]]["allowed"]


def test_the_case_agency_reaches_held_copies_only_for_a_purpose_the_owner_shares(
    world: World,  # noqa: F811
) -> None:
    """Union City's case, held by Fremont: Union City's search for the case under a purpose
    Fremont's agreement does not share (a missing person) gets no held copy; the same search
    for a stolen vehicle does."""
    w = world
    read_id, _ = _kept(w, case_agency="ucpd")
    refused = search(w, "ucpd-inv", KEPT_PLATE, case_number=FR_CASE,
                     purpose="missing_person")
    assert refused.status_code in (200, 403), refused.text
    assert read_id not in refused.text
    allowed = search(w, "ucpd-inv", KEPT_PLATE, case_number=FR_CASE)
    assert allowed.status_code == 200, allowed.text
    assert [r["read_id"] for r in allowed.json()["results"] if r["held_for"]] == [read_id]


@pytest.mark.parametrize("kind", ["wildcard", "fuzzy"])
def test_the_case_agency_reaches_held_copies_by_an_exact_search_only(
    world: World, kind: str,  # noqa: F811
) -> None:
    """The case agency's wildcard or fuzzy search quoting the case number reaches no held
    copy: a hold keeps the reads of the plates it names, for an exact search of them."""
    w = world
    read_id, _ = _kept(w, case_agency="ucpd")
    pattern = KEPT_PLATE[:-2] + "*" if kind == "wildcard" else KEPT_PLATE[:-1] + "X"
    answer = w.post("ucpd-inv", "/v1/searches", {
        "kind": kind, "params": {"plate": pattern}, "purpose": "stolen_vehicle",
        "offense_type": "240", "case_number": FR_CASE,
        "reason": "grey sedan in the Mission Blvd robbery"})
    assert answer.status_code == 200, answer.text
    assert owners(answer.json())[w.ids["fpd"]]["allowed"]  # Fremont let the search through
    assert read_id not in answer.text and answer.json()["results"] == []


def test_a_released_hold_reaches_no_one_not_even_its_case_agency(
    world: World,  # noqa: F811
) -> None:
    """Once Fremont releases the hold (before the next purge deletes the copies), the case
    agency's search for the case reaches none of them."""
    w = world
    read_id, hold = _kept(w, case_agency="ucpd")
    released = w.post("fpd-sup", f"/v1/retention/holds/{hold['hold_id']}/release",
                      {"reason": "case closed"})
    assert released.status_code == 200, released.text
    for user in ("ucpd-inv", "fpd-inv"):
        answer = search(w, user, KEPT_PLATE, case_number=FR_CASE)
        assert answer.status_code == 200, answer.text
        assert read_id not in answer.text
