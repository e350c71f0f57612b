"""A federal unit's own reads: no state's ALPR law governs them, so a federal agency
based in California carries no state pack by default — under the California pack it was
refused its own reads — while California's reads stay refused to it."""

from __future__ import annotations

from datetime import datetime

from plateledger.access.searches import SearchCreate, SearchParams, search
from tests.access.conftest import CASE, PURPOSE, REASON, Office
from tests.factories import make_read


def test_a_federal_agency_carries_no_state_pack_by_default(office: Office) -> None:
    federal = office.catalog.add_agency("ICE ERO San Francisco", "ice-ero-sf", "federal", "CA")
    city = office.catalog.add_agency("Hayward PD", "hpd", "municipal", "CA")
    assert list(federal.law_packs) == [] and list(city.law_packs) == ["CA"]


def test_a_federal_unit_searches_its_own_reads_and_never_california_s(
    office: Office, now: datetime
) -> None:
    federal = office.catalog.add_agency("ICE ERO San Francisco", "ice-ero-sf", "federal", "CA")
    office.add(make_read("7FED001", owner=federal.id, now=now),
               make_read("7FED001", owner=office.ucpd.id, now=now))
    agent = office.user(federal, "agent", "investigator")
    body = SearchCreate(kind="exact", params=SearchParams(plate="7FED001"), purpose=PURPOSE,
                        case_number=CASE, reason=REASON, offense_type="240")
    answer = search(office.gate, office.store, office.holds, body, agent)
    owners = {o.agency: o for o in answer.owners}
    assert owners["ice-ero-sf"].allowed
    assert not owners["ucpd"].allowed
    assert "ca-civ-1798.90.55b-no-federal" in owners["ucpd"].policy_ids
    assert [r.owner_id for r in answer.results] == [federal.id]
