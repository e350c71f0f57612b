"""Legal holds are placed and released with their change entry in one transaction, on
SQLite and on PostgreSQL: an entry that cannot be appended leaves no hold placed and no
hold released."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from plateledger.audit.changes import ChangeNotLogged, who
from plateledger.retention import HoldStore, LegalHold, ReadSelection
from tests.access.test_admin_changes import (  # noqa: F401  (fixtures used by name)
    Desk,
    desk,
    postgres_catalog_url,
)

NOW = datetime(2026, 5, 1, 12, tzinfo=UTC)


def _hold(desk: Desk) -> LegalHold:  # noqa: F811
    return LegalHold(case_number="26-000123", reason="preservation order",
                     approver="sgt-17", owner_agency=desk.ucpd.id,
                     selection=ReadSelection(plates=("7ABC123",)),
                     expires_at=NOW + timedelta(days=90))


def test_a_holds_life_is_in_the_log_with_before_and_after(desk: Desk) -> None:  # noqa: F811
    holds = HoldStore(desk.catalog.engine, desk.log)
    placed = holds.place(_hold(desk), placed_by="17", now=NOW,
                         changed_by=who("sgt-17", desk.ucpd.id))
    entry = desk.last()
    assert (entry["type"], entry["object"], entry["object_id"], entry["change"]) == (
        "legal_hold", "legal_hold", placed.hold_id, "place")
    assert (entry["user"], entry["agency_id"], entry["before"]) == ("sgt-17", desk.ucpd.id, None)
    assert entry["after"]["case_number"] == "26-000123"
    assert entry["after"]["selection"]["plates"] == ["7ABC123"]
    assert entry["after"]["expires_at"] == "2026-07-30T12:00:00.000Z"
    assert entry["after"]["placed_by"] == "17"

    holds.release(placed.hold_id, released_by="17", reason="case closed",
                  now=NOW + timedelta(days=1), changed_by=who("sgt-17", desk.ucpd.id))
    entry = desk.last()
    assert entry["change"] == "release"
    assert entry["before"] == {"released_at": None, "released_by": None,
                               "release_reason": None}
    assert entry["after"] == {"released_at": "2026-05-02T12:00:00.000Z", "released_by": "17",
                              "release_reason": "case closed"}


def test_a_hold_that_cannot_be_logged_is_not_placed(desk: Desk) -> None:  # noqa: F811
    holds = HoldStore(desk.catalog.engine, desk.log)
    desk.break_log()
    with pytest.raises(ChangeNotLogged, match="nothing was changed"):
        holds.place(_hold(desk), placed_by="17", now=NOW)
    assert holds.list() == []


def test_a_release_that_cannot_be_logged_is_not_made(desk: Desk) -> None:  # noqa: F811
    holds = HoldStore(desk.catalog.engine, desk.log)
    placed = holds.place(_hold(desk), placed_by="17", now=NOW)
    desk.break_log()
    with pytest.raises(ChangeNotLogged, match="nothing was changed"):
        holds.release(placed.hold_id, released_by="17", reason="closed", now=NOW)
    assert holds.get(placed.hold_id).released_at is None
    assert [h.hold_id for h in holds.active(NOW)] == [placed.hold_id]
