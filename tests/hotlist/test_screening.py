"""Laundering through a hot list: a list's source, name and description and each entry's
reason and case number are screened like a search's reason, and policy decides on the
screened class, not only on the declared category (real engine, real packs)."""

from __future__ import annotations

from typing import Any

import pytest

from plateledger.audit import AuditLog
from plateledger.hotlist import (
    Category,
    HitService,
    HitStore,
    HotlistStore,
    entry_question,
    screen_words,
    screened_class,
)
from plateledger.policy import ReasonFlag
from tests.factories import make_read, withheld_entries
from tests.hotlist.conftest import ICE, OAKLAND, RENO, SAN_JOSE, RecordingGate


def withheld(audit: AuditLog) -> list[dict[str, Any]]:
    return withheld_entries(audit)


@pytest.mark.parametrize(("source", "description"), [
    ("DHS ERO San Francisco", ""),
    ("HSI task force", ""),
    ("local", "I-247A detainer targets"),
    ("local", "287(g) referrals"),
    ("Border Patrol", "vehicles of interest"),
])
def test_an_innocuous_category_does_not_launder_an_immigration_source(
    service: HitService, hotlists: HotlistStore, hits: HitStore, audit: AuditLog,
    source: str, description: str,
) -> None:  # fmt: skip
    report = hotlists.import_list(SAN_JOSE, "vehicles of interest", source, "stolen_vehicle",
                                  [{"plate": "7ABC123", "case_number": "24-1"}],
                                  description=description)  # fmt: skip
    assert "immigration" in report.flags
    assert report.screened_classes == ("immigration_violator",)
    result = service.process([make_read("7ABC123", owner=OAKLAND)])
    assert (result.delivered, result.denied) == (0, 1)
    assert hits.list_hits(SAN_JOSE) == []
    [entry] = withheld(audit)
    assert entry["list_class"] == "immigration_violator"
    assert {"ca-gov-7284.6-no-immigration",
            "ca-gov-7284.6-no-immigration-hotlist"} <= set(entry["policy_ids"])


def test_an_entry_reason_about_immigration_is_withheld_and_its_neighbour_delivered(
    service: HitService, hotlists: HotlistStore, hits: HitStore, audit: AuditLog
) -> None:
    rows = [{"plate": "7ABC123", "reason": "ICE detainer, removal order", "case_number": "1"},
            {"plate": "8XYZ456", "reason": "stolen from the dealership lot", "case_number": "2"}]
    report = hotlists.import_list(SAN_JOSE, "stolen", "local", "stolen_vehicle", rows)
    assert (report.flags, report.flagged_entries) == (("immigration",), 1)
    result = service.process([make_read("7ABC123", owner=OAKLAND),
                              make_read("8XYZ456", owner=OAKLAND)])  # fmt: skip
    assert (result.delivered, result.denied) == (1, 1)
    assert [h.read.plate for h in hits.list_hits(SAN_JOSE)] == ["8XYZ456"]
    assert withheld(audit)[0]["list_class"] == "immigration_violator"


def test_a_case_number_naming_the_enforcement_unit_is_screened_too(
    service: HitService, hotlists: HotlistStore, hits: HitStore
) -> None:
    hotlists.import_list(SAN_JOSE, "stolen", "local", "stolen_vehicle",
                         [{"plate": "7ABC123", "case_number": "ERO-2026-0007"}])  # fmt: skip
    assert service.process([make_read("7ABC123", owner=OAKLAND)]).denied == 1


def test_entries_of_an_immigration_list_cannot_declare_another_category(
    service: HitService, hotlists: HotlistStore, hits: HitStore
) -> None:
    hotlists.import_list(SAN_JOSE, "ivf", "local", "immigration_violator",
                         [{"plate": "7ABC123", "category": "stolen_vehicle", "case_number": "1"}])
    assert service.process([make_read("7ABC123", owner=OAKLAND)]).denied == 1
    assert hits.list_hits(SAN_JOSE) == []


def test_an_entry_may_declare_its_own_category(
    service: HitService, hotlists: HotlistStore, hits: HitStore
) -> None:
    hotlists.import_list(SAN_JOSE, "mixed", "NCIC", "stolen_vehicle",
                         [{"plate": "7ABC123", "category": "Wanted Person", "case_number": "1"}])
    service.process([make_read("7ABC123", owner=OAKLAND)])
    assert [h.category for h in hits.list_hits(SAN_JOSE)] == ["wanted_person"]


def test_the_flag_is_context_for_policy_not_a_blanket_block(
    service: HitService, hotlists: HotlistStore, hits: HitStore, gate: RecordingGate
) -> None:
    # Nevada has no pack forbidding immigration enforcement, and Reno shares alerts with
    # the federal unit: the screened class reaches policy, and policy decides.
    hotlists.import_list(ICE, "targets", "ERO", "stolen_vehicle", [{"plate": "7ABC123"}])
    result = service.process([make_read("7ABC123", owner=RENO, state="NV")])
    assert result.delivered == 1
    assert [q.screened_class for q in gate.asked] == ["immigration_violator"]


def test_snow_removal_is_not_immigration_enforcement(
    service: HitService, hotlists: HotlistStore, hits: HitStore
) -> None:
    report = hotlists.import_list(SAN_JOSE, "public works", "city yard", "stolen_vehicle",
                                  [{"plate": "7ABC123", "reason": "snow removal truck stolen",
                                    "case_number": "PW-1"}])  # fmt: skip
    assert report.flags == ()
    assert service.process([make_read("7ABC123", owner=OAKLAND)]).delivered == 1


def test_the_engine_raises_the_flags_screening_found() -> None:
    # the gate's request carries the screened words as its reason: the engine's own
    # screening of that reason must raise the flags the list's words raised
    question = entry_question(
        SAN_JOSE, OAKLAND, list_category=Category.STOLEN_VEHICLE, entry_category="",
        list_words="list: x; source: HSI", reason="abortion clinic", case_number="",
    )  # fmt: skip
    from plateledger.policy.reason import screen_reason

    assert screen_words(question.text) == {ReasonFlag.IMMIGRATION, ReasonFlag.REPRODUCTIVE_HEALTH}
    assert screen_words(question.text) <= screen_reason(question.reason())
    assert question.screened_class == "immigration_violator"
    assert screened_class(Category.AMBER_ALERT, frozenset()) is Category.AMBER_ALERT
