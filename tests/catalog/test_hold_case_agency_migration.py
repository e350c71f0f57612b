"""Migration ``0024_hold_case_agency``: a hold stored before holds recorded a case agency
gets its owner as case agency, and is found for its owner's case as before."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from sqlalchemy import text

from plateledger.audit import AuditLog, NoteSigner
from plateledger.catalog import Catalog
from plateledger.catalog.schema import alembic_config, upgrade
from plateledger.retention import HoldStore

BEFORE = "0023_node_log_keys"
NOW = datetime(2026, 5, 1, 12, tzinfo=UTC)


def test_a_hold_stored_before_gets_its_owner_as_case_agency(catalog: Catalog) -> None:
    engine = catalog.engine
    command.downgrade(alembic_config(engine), BEFORE)
    try:
        with engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO legal_holds (hold_id, case_number, reason, approver, "
                "owner_agency, plates, since, until, read_ids, expires_at, placed_at, "
                "placed_by) VALUES ('old-hold', 'UC-2026-0042', 'evidence', 'sgt-1', 7, "
                "'[\"7ABC123\"]', NULL, NULL, '[]', '2026-07-30T12:00:00.000Z', "
                "'2026-04-30T12:00:00.000Z', 'sgt-1')"))
    finally:
        upgrade(engine)
    holds = HoldStore(engine, AuditLog(engine, signer=NoteSigner.generate("test/migration")))
    hold = holds.get("old-hold")
    assert (hold.owner_agency, hold.case_agency) == (7, 7)
    assert hold.as_json()["case_agency"] == 7
    assert [h.hold_id for h in holds.for_case("UC-2026-0042", NOW, case_agency=7)] == [
        "old-hold"]
    assert holds.for_case("UC-2026-0042", NOW, case_agency=8) == []
