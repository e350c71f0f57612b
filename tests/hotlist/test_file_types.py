"""Hot-list source file types: every list and entry carries one; the owner's law packs
decide at import which it may hold, and the read owner's packs decide at delivery."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from plateledger.audit import AuditLog
from plateledger.hotlist import (
    FileType,
    FileTypeRefused,
    HitService,
    HitStore,
    HotlistStore,
    UnknownFileType,
    parse_file,
)
from plateledger.policy import OwnerDecision, PolicyEngine
from plateledger.policy.alert import ImportQuestion
from tests.factories import make_read, withheld_entries
from tests.hotlist.conftest import ICE, OAKLAND, RENO, SAN_JOSE, RecordingGate

IVF = FileType.NCIC_IMMIGRATION_VIOLATOR


@pytest.fixture
def gated(engine: Engine, gate: RecordingGate) -> HotlistStore:
    """The store as the server opens it: imports asked of the policy gate."""
    return HotlistStore(engine, file_gate=gate)


def test_a_list_and_its_entries_keep_their_file_types(gated: HotlistStore) -> None:
    rows = [{"plate": "7ABC123"}, {"plate": "8XYZ999", "file_type": "ncic stolen plate"}]
    report = gated.import_list(OAKLAND, "stolen", "NCIC extract", "stolen_vehicle", rows,
                               file_type="ncic_stolen_vehicle")
    assert report.file_types == ("ncic_stolen_plate", "ncic_stolen_vehicle")
    [hotlist] = gated.lists(OAKLAND)
    assert hotlist.file_type is FileType.NCIC_STOLEN_VEHICLE
    assert [s.entry.file_type for s in gated.entries(hotlist.id)] == ["", "ncic_stolen_plate"]


def test_a_list_that_does_not_say_is_unspecified(gated: HotlistStore) -> None:
    gated.import_list(OAKLAND, "local", "", "stolen_vehicle", [{"plate": "7ABC123"}])
    [hotlist] = gated.lists(OAKLAND)
    assert hotlist.file_type is FileType.UNSPECIFIED


def test_a_california_agency_is_refused_an_immigration_violator_file_with_the_rule(
    gated: HotlistStore,
) -> None:
    with pytest.raises(FileTypeRefused, match=r"ca-gov-7284\.6-no-immigration-violator-file"):
        gated.import_list(OAKLAND, "ivf", "NCIC", "wanted_person", [{"plate": "7ABC123"}],
                          file_type=IVF)
    assert gated.lists(OAKLAND) == []


def test_one_immigration_violator_entry_refuses_the_whole_import(gated: HotlistStore) -> None:
    text = "plate,file_type\n7ABC123,ncic_stolen_vehicle\n8XYZ999,ncic_immigration_violator\n"
    with pytest.raises(FileTypeRefused) as refused:
        gated.import_list(SAN_JOSE, "mixed", "state sheet", "stolen_vehicle", parse_file(text),
                          file_type="state")
    assert refused.value.policy_ids == ("ca-gov-7284.6-no-immigration-violator-file",)
    assert refused.value.file_type == IVF
    assert gated.lists(SAN_JOSE) == []


def test_an_agency_whose_packs_allow_it_imports_an_immigration_violator_file(
    gated: HotlistStore,
) -> None:
    report = gated.import_list(RENO, "ivf", "NCIC", "immigration_violator",
                               [{"plate": "7ABC123"}], file_type=IVF)
    assert report.file_types == (IVF.value,)
    assert report.screened_classes == ("immigration_violator",)


def test_a_file_type_off_the_closed_list_is_refused(gated: HotlistStore) -> None:
    with pytest.raises(UnknownFileType, match="file type `dmv` is not one of"):
        gated.import_list(OAKLAND, "x", "", "stolen_vehicle", [], file_type="dmv")
    report = gated.import_list(OAKLAND, "x", "", "stolen_vehicle",
                               [{"plate": "7ABC123", "file_type": "dmv"}])
    assert report.imported == 0
    assert "file type `dmv` is not one of" in report.errors[0].message


class FailingGate(RecordingGate):
    """The real gate whose policy source cannot answer an import."""

    def decide_import(self, question: ImportQuestion) -> OwnerDecision:
        raise RuntimeError("the policy source is unreachable")


def test_a_gate_that_fails_refuses_the_import(engine: Engine, policy: PolicyEngine) -> None:
    store = HotlistStore(engine, file_gate=FailingGate(policy))
    with pytest.raises(FileTypeRefused, match=r"gate\.error"):
        store.import_list(RENO, "x", "", "stolen_vehicle", [{"plate": "7ABC123"}])
    assert store.lists(RENO) == []


def test_an_immigration_violator_entry_never_matches_california_reads_whatever_it_declares(
    service: HitService, hotlists: HotlistStore, hits: HitStore, audit: AuditLog,
    gate: RecordingGate,
) -> None:  # fmt: skip
    # a list imported before the import check (the ungated store): delivery still decides
    rows = [{"plate": "7ABC123", "file_type": IVF.value}, {"plate": "8XYZ999"}]
    hotlists.import_list(SAN_JOSE, "stolen", "state sheet", "stolen_vehicle", rows,
                         file_type="state")
    report = service.process([make_read("7ABC123", owner=SAN_JOSE),
                              make_read("8XYZ999", owner=SAN_JOSE)])  # fmt: skip
    assert (report.delivered, report.denied) == (1, 1)
    assert [h.read.plate for h in hits.list_hits(SAN_JOSE)] == ["8XYZ999"]
    asked = {q.file_type: q.screened_class for q in gate.asked}
    assert asked == {IVF.value: "immigration_violator", "state": "stolen_vehicle"}
    [entry] = withheld_entries(audit)
    assert "ca-gov-7284.6-no-immigration-violator-file" in entry["policy_ids"]
    assert entry["list_class"] == "immigration_violator"


def test_an_immigration_violator_file_may_match_reads_no_pack_protects(
    service: HitService, hotlists: HotlistStore, hits: HitStore,
) -> None:  # fmt: skip
    hotlists.import_list(ICE, "ivf", "NCIC", "immigration_violator", [{"plate": "7ABC123"}],
                         file_type=IVF)
    report = service.process([make_read("7ABC123", owner=RENO, state="NV")])
    assert report.delivered == 1
    assert [h.read.owner_id for h in hits.list_hits(ICE)] == [RENO]
