"""The public portal and the on-demand reports keep their answers a short while: asked
again with the same log and catalog, the server answers without computing (nor asking the
read store) again; a grown log or a changed catalog gives a new answer at once, and reads
stored since show once the kept answer expires. Expiry is driven by a chosen clock."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from plateledger.audit import AuditLog, new_entry
from plateledger.catalog import Catalog
from plateledger.settings import Settings
from plateledger.store import ReadStore
from plateledger.transparency.answers import AnswerCache
from tests.api.conftest import Seed
from tests.factories import make_read
from tests.transparency.test_activity import _empty

TTL = Settings().transparency_cache_seconds


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _kept(client: TestClient) -> tuple[AnswerCache, Clock]:
    answers = client.app.state.transparency_answers  # type: ignore[attr-defined]
    assert isinstance(answers, AnswerCache) and answers.ttl == TTL > 0
    clock = Clock()
    answers.clock = clock
    return answers, clock


def _search(log: AuditLog) -> None:
    log.append(
        new_entry(
            "search",
            agency="ucpd",
            requested_by_agency="ucpd",
            user="x",
            purpose="homicide",
            owners_allowed=["ucpd"],
            owners_denied=[],
            result_count=1,
        )
    )


def test_a_kept_answer_expires_holds_no_more_than_it_may_and_none_at_zero() -> None:
    clock = Clock()
    answers = AnswerCache(timedelta(seconds=10), max_answers=2, clock=clock)
    assert answers.get("a") is None
    assert answers.put("a", 1) == 1 and answers.get("a") == 1
    clock.now += 9.9
    assert answers.get("a") == 1
    clock.now += 0.1
    assert answers.get("a") is None
    for key in "bcd":
        answers.put(key, key)
    assert len(answers) == 2 and answers.get("b") is None and answers.get("d") == "d"
    assert answers.computed == 4
    never = AnswerCache(timedelta(0), clock=clock)
    never.put("a", 1)
    assert never.get("a") is None and never.computed == 1
    with pytest.raises(ValueError):
        AnswerCache(timedelta(seconds=-1))


def test_the_portal_is_computed_once_until_the_log_grows_or_it_expires(
    client: TestClient, seed: Seed
) -> None:
    answers, clock = _kept(client)
    state = client.app.state  # type: ignore[attr-defined]
    log: AuditLog = state.audit_log
    store: ReadStore = state.store
    catalog: Catalog = state.catalog
    try:
        first = client.get("/v1/transparency/agencies/ucpd").json()
        assert answers.computed == 1
        # the same portal as JSON, a figure as CSV and the page: the same answer
        assert client.get("/v1/transparency/agencies/ucpd").json() == first
        csv_day = client.get(
            "/v1/transparency/agencies/ucpd/figures/searches_by_day", params={"format": "csv"}
        )
        assert csv_day.status_code == 200
        assert client.get("/transparency/ucpd").status_code == 200
        assert answers.computed == 1
        # another window, another agency: their own answers
        client.get("/v1/transparency/agencies/ucpd", params={"days": 7})
        client.get("/v1/transparency/agencies/fpd")
        assert answers.computed == 3
        # the log grows: the next answer counts the new search
        _search(log)
        grown = client.get("/v1/transparency/agencies/ucpd").json()
        assert grown["searches"] == first["searches"] + 1 and answers.computed == 4
        # a read stored since (the log unchanged) shows once the kept answer expires
        store.insert_reads(
            [make_read("KEPT123", camera="ucpd-cam", owner=seed.ucpd_id, minutes_ago=1)]
        )
        clock.now += TTL - 1
        kept = client.get("/v1/transparency/agencies/ucpd").json()
        assert kept["vehicles_detected"] == grown["vehicles_detected"]
        assert answers.computed == 4
        clock.now += 1
        fresh = client.get("/v1/transparency/agencies/ucpd").json()
        assert fresh["vehicles_detected"] == grown["vehicles_detected"] + 1
        assert answers.computed == 5
        # a changed catalog (the agency now names its officers): a new answer at once
        catalog.update_agency(seed.ucpd_id, portal_officer_names=True)
        named = client.get("/v1/transparency/agencies/ucpd").json()
        assert "searches_by_officer" in named["figures"] and answers.computed == 6
    finally:
        _empty(store)


def test_a_report_is_computed_once_per_period_until_the_log_grows_or_it_expires(
    client: TestClient, seed: Seed
) -> None:
    answers, clock = _kept(client)
    log: AuditLog = client.app.state.audit_log  # type: ignore[attr-defined]
    today = datetime.now(ZoneInfo("America/Los_Angeles")).date().isoformat()
    params = {"agency": "ucpd", "start": today, "end": today}

    def searches(body: dict[str, object]) -> object:
        elements = body["elements"]
        assert isinstance(elements, list)
        return next(e for e in elements if e["key"] == "access_log")["value"]

    first = client.get("/v1/reports/ca-policy", params=params).json()
    for fmt in ("json", "csv", "html"):
        assert client.get("/v1/reports/ca-policy", params=params | {"format": fmt}).is_success
    assert answers.computed == 1
    for _ in range(2):
        pdf = client.get("/v1/reports/ca-policy", params=params | {"format": "pdf"})
        assert pdf.content.startswith(b"%PDF-")
    assert answers.computed == 2  # the report, and its PDF once
    # another period: its own answer
    client.get("/v1/reports/ca-policy", params={"agency": "ucpd"})
    assert answers.computed == 3
    _search(log)
    grown = client.get("/v1/reports/ca-policy", params=params).json()
    assert searches(grown) == searches(first) + 1  # type: ignore[operator]
    assert answers.computed == 4
    clock.now += TTL
    client.get("/v1/reports/ca-policy", params=params)
    assert answers.computed == 5
