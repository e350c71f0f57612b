"""A legal hold records whose case it is: its owner by default, or the agency named when
it is placed. A case is found by its agency and number together, never by the number."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from plateledger.audit import AuditLog
from plateledger.retention import HoldStore, LegalHold, ReadSelection

NOW = datetime(2026, 5, 1, 12, tzinfo=UTC)
OWNER, PARTNER, OTHER = 1, 2, 3
CASE = "UC-2026-0042"


def _hold(case_agency: int | None = None) -> LegalHold:
    return LegalHold(case_number=CASE, reason="preservation order", approver="sgt-17",
                     owner_agency=OWNER, selection=ReadSelection(plates=("7ABC123",)),
                     expires_at=NOW + timedelta(days=90), case_agency=case_agency)


def test_the_case_agency_is_the_owner_unless_another_is_named() -> None:
    assert _hold().case_agency == OWNER
    assert _hold(PARTNER).case_agency == PARTNER
    assert _hold().as_json()["case_agency"] == OWNER
    assert _hold(PARTNER).as_json()["case_agency"] == PARTNER


@pytest.mark.parametrize("named", [None, PARTNER])
def test_the_case_agency_is_stored_and_read_back(holds: HoldStore, named: int | None) -> None:
    placed = holds.place(_hold(named), placed_by="17", now=NOW)
    expected = named or OWNER
    assert holds.get(placed.hold_id).case_agency == expected
    assert [h.case_agency for h in holds.list(owner_agency=OWNER)] == [expected]
    assert [h.case_agency for h in holds.active(NOW)] == [expected]


def test_the_place_entry_names_the_case_agency(holds: HoldStore, audit_log: AuditLog) -> None:
    holds.place(_hold(PARTNER), placed_by="17", now=NOW)
    [entry] = [r.entry for r in audit_log.entries(0, 10)]
    assert (entry["owner_agency"], entry["case_agency"]) == (str(OWNER), str(PARTNER))
    assert entry["after"]["case_agency"] == PARTNER


def test_a_case_is_its_agency_and_number_together(holds: HoldStore) -> None:
    ours = holds.place(_hold(), placed_by="17", now=NOW)
    asked = holds.place(_hold(PARTNER), placed_by="17", now=NOW)
    assert [h.hold_id for h in holds.for_case(CASE, NOW, case_agency=OWNER)] == [ours.hold_id]
    assert [h.hold_id for h in holds.for_case(CASE, NOW, case_agency=PARTNER)] == [
        asked.hold_id]
    assert holds.for_case(CASE, NOW, case_agency=OTHER) == []
    assert holds.for_case("UC-2026-0043", NOW, case_agency=OWNER) == []


def test_a_released_hold_reaches_no_one_of_its_case(holds: HoldStore) -> None:
    placed = holds.place(_hold(PARTNER), placed_by="17", now=NOW)
    holds.release(placed.hold_id, released_by="17", reason="case closed", now=NOW)
    assert holds.for_case(CASE, NOW, case_agency=PARTNER) == []
