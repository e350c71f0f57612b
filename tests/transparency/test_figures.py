"""Each public figure of an agency's portal, recomputed from the audit entries themselves
(not from the facts the figures are made of), and the allow-list that keeps plates,
users, case numbers and reasons out of every fact."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest

from plateledger.transparency import NOT_RECORDED, facts_of, portal_figures
from plateledger.transparency.disclosure import NOT_PUBLISHED
from tests.transparency.log_world import AGENCIES, NOW, filled_log, published, raw

DAYS = 30


def _day(entry: dict[str, Any]) -> date:
    return datetime.fromisoformat(entry["time"].replace("Z", "+00:00")).date()


def _in_window(entry: dict[str, Any]) -> bool:
    return NOW.date() - timedelta(days=DAYS - 1) <= _day(entry) <= NOW.date()


@pytest.fixture(scope="module")
def entries(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    return raw(filled_log(tmp_path_factory.mktemp("log"), count=1500, busy=6))


@pytest.mark.parametrize("slug", sorted(AGENCIES))
def test_portal_figures_are_recomputed_from_the_entries(
    entries: list[dict[str, Any]], slug: str
) -> None:
    counts, figures = portal_figures(slug, facts_of(enumerate(entries)), AGENCIES, NOW, DAYS)
    by_name = {f.name: f for f in figures}
    recent = [e for e in entries if _in_window(e)]
    mine = [e for e in recent if e["type"] == "search" and e["agency"] == slug]
    assert counts.searches == len(mine)
    assert counts.reads_matched == sum(e["result_count"] for e in mine)
    purposes = Counter(e["purpose"] for e in mine)
    assert {r[0]: r[1] for r in by_name["searches_by_purpose"].rows} == dict(purposes)
    # Offense types by published cells (docs/transparency.md), the rest together.
    first = datetime.combine(NOW.date() - timedelta(days=DAYS - 1), time(), UTC)
    shown, left = published(mine, lambda e: e.get("offense_type", NOT_RECORDED), first,
                            first + timedelta(days=DAYS), NOW)
    assert shown, "the busy days give every agency a published cell"
    assert left, "every agency has searches in small cells, or today"
    assert dict(by_name["searches_by_offense"].rows) == shown | {NOT_PUBLISHED: left}
    hits = [e for e in recent if e["type"] == "alert_delivery" and e["owner_agency"] == slug]
    assert counts.hits == len(hits)
    alerts = [e for e in recent if e["type"] == "alert_delivery" and e["agency"] == slug]
    assert counts.alerts_received == len(alerts)
    assert sum(r[2] for r in by_name["hotlist_sources"].rows) == len(alerts)
    withheld = Counter(e["list_class"] for e in recent
                       if e["type"] == "alert_withheld" and e["read_owner"] == slug)
    assert dict(by_name["withheld_alerts_by_list_class"].rows) == dict(withheld)
    # Partners, as decided: accesses by other agencies that released or denied this one.
    released: Counter[str] = Counter()
    denied: Counter[str] = Counter()
    for e in recent:
        if e["type"] not in ("search", "export", "alert_delivery") or e["agency"] == slug:
            continue
        allowed = set(e.get("owners_allowed", []))
        if e["type"] == "alert_delivery":
            allowed.add(e["owner_agency"])
        if slug in allowed:
            released[AGENCIES[e["agency"]]] += 1
        elif slug in {d["agency"] for d in e.get("owners_denied", [])}:
            denied[AGENCIES[e["agency"]]] += 1
    rows = {r[0]: (r[1], r[2]) for r in by_name["decisions_by_requester_class"].rows}
    assert {k: v[0] for k, v in rows.items() if v[0]} == dict(released)
    assert {k: v[1] for k, v in rows.items() if v[1]} == dict(denied)
    # The series by day covers every day of the window, zeros included.
    series = by_name["searches_by_day"]
    assert len(series.rows) == DAYS
    assert sum(series.column("searches")) == len(mine)
    assert series.rows[-1][0] == NOW.date().isoformat()


def test_a_fact_keeps_no_plate_user_case_or_reason(entries: list[dict[str, Any]]) -> None:
    for fact in facts_of(enumerate(entries)):
        text = repr(asdict(fact))
        for secret in ("7ABC123", "8XYZ999", "officer", "CASE-1", "rule-x"):
            assert secret not in text


def test_a_federal_requester_denied_everything_is_a_denial_of_its_class(
    tmp_path: Path,
) -> None:
    log = filled_log(tmp_path, seed=11, count=600)
    entries = raw(log)
    _, figures = portal_figures("ucpd", facts_of(enumerate(entries)), AGENCIES, NOW, 500)
    partners = {r[0]: r for r in next(f for f in figures if f.name == "partners").rows}
    asked = [e for e in entries if e["type"] in ("search", "export")
             and e["agency"] == "ice-ero"
             and "ucpd" in {d["agency"] for d in e["owners_denied"]}]
    assert asked, "the world has federal searches ucpd denied"
    assert partners["ice-ero"][1] == "federal"
    assert partners["ice-ero"][3] == len(asked)
