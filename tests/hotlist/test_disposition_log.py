"""Every disposition is written with its ``hit_disposition`` change entry, in the same
transaction: the entry holds who, and the disposition, action and note before and after;
where the entry cannot be written, nothing is recorded."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine

from plateledger.audit import AuditLog, NoteSigner
from plateledger.audit.changes import ChangeNotLogged, who
from plateledger.hotlist import HitService, HitStore, HotlistStore
from tests.factories import make_read
from tests.hotlist.conftest import OAKLAND, SLUGS


@pytest.fixture
def hit_id(service: HitService, hotlists: HotlistStore) -> str:
    hotlists.import_list(OAKLAND, "own", "local", "stolen_vehicle", [{"plate": "7DSP101"}])
    [alert] = service.process([make_read("7DSP101", owner=OAKLAND)]).alerts
    return alert.hit_id


def test_each_disposition_is_logged_with_its_values_before_and_after(
    engine: Engine, audit: AuditLog, hit_id: str
) -> None:
    hits = HitStore(engine, audit_log=audit, agency_name=SLUGS.__getitem__)
    start = audit.size()
    hits.record_disposition(hit_id, OAKLAND, "misread", by="officer1", note="a 7 read as a 1",
                            changed_by=who("officer1", OAKLAND))
    hits.record_disposition(hit_id, OAKLAND, "confirmed", "citation", by="officer2")
    first, second = (audit.entry(i).entry for i in range(start, audit.size()))
    assert (first["type"], first["object"], first["object_id"], first["change"]) == (
        "hit_disposition", "hit", hit_id, "disposition")
    assert (first["user"], first["agency_id"], first["agency"]) == (
        "officer1", OAKLAND, "oakland-pd")
    assert first["before"] is None
    assert first["after"] == {"disposition": "misread", "action": "none",
                              "note": "a 7 read as a 1"}
    assert second["user"] == "officer2" and second["before"] == first["after"]
    assert second["after"] == {"disposition": "confirmed", "action": "citation", "note": ""}


def test_a_disposition_the_log_cannot_take_is_not_recorded(
    engine: Engine, audit: AuditLog, hit_id: str, tmp_path: Path
) -> None:
    elsewhere = AuditLog(create_engine(f"sqlite:///{tmp_path / 'other.db'}"),
                         signer=NoteSigner.load_or_create(tmp_path / "other", "test/other"))
    hits = HitStore(engine, audit_log=elsewhere)
    with pytest.raises(ChangeNotLogged):
        hits.record_disposition(hit_id, OAKLAND, "confirmed", by="officer1")
    assert HitStore(engine).get(hit_id, OAKLAND).disposition is None
