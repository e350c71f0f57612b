"""Hot-list alerts are access too: a hit on one owner's read reaches a list's owner only if
the policy set lets that owner `receive_alert`. The server's hot-list runtime asks through
`PolicyAlertGate` over the catalog's current engine — the one path, tested here with the
real matcher, store and log."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest

from plateledger.access.policy_source import PolicyAlertGate
from plateledger.hotlist import HotlistRuntime
from tests.access.conftest import CASE, Office
from tests.factories import make_read

PLATE = "7HOTL01"


@pytest.fixture
def runtime(office: Office) -> Iterator[HotlistRuntime]:
    opened = HotlistRuntime.open(office.catalog.engine, office.audit_log,
                                 PolicyAlertGate(office.policy))
    opened.store.import_list(office.ucpd.id, "stolen", "local", "stolen_vehicle",
                             [{"plate": PLATE, "reason": "stolen", "case_number": CASE}])
    try:
        yield opened
    finally:
        opened.close()


def test_a_hit_on_a_denying_owners_read_is_withheld_and_logged(
    office: Office, runtime: HotlistRuntime, now: datetime
) -> None:
    before = office.audit_log.size()
    report = runtime.service.process([make_read(PLATE, owner=office.fpd.id, now=now)], now)
    assert (report.delivered, report.denied) == (0, 1)
    assert runtime.hits.list_hits(office.ucpd.id) == []
    assert office.entries(before) == []  # held for the end of its period
    office.audit_log.release_held(report.withheld_until)
    [entry] = office.entries(before)
    assert entry["type"] == "alert_withheld" and entry["policy_ids"] == ["default-deny"]


def test_an_agreement_for_alerts_lets_the_hit_through_at_once(
    office: Office, runtime: HotlistRuntime, now: datetime
) -> None:
    office.share(actions=["alert"])  # in force for the very next decision
    report = runtime.service.process([make_read(PLATE, owner=office.fpd.id, now=now)], now)
    assert (report.delivered, report.denied) == (1, 0)
    [hit] = runtime.hits.list_hits(office.ucpd.id)
    assert hit.read.owner_id == office.fpd.id


def test_a_search_agreement_does_not_share_alerts(
    office: Office, runtime: HotlistRuntime, now: datetime
) -> None:
    office.share(actions=["search"])
    report = runtime.service.process([make_read(PLATE, owner=office.fpd.id, now=now)], now)
    assert (report.delivered, report.denied) == (0, 1)
