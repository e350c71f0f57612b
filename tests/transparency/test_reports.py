"""Every statutory report cites its statute, carries the elements the statute asks for,
and every figure it takes from the audit log is recomputed here from the entries."""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from plateledger.audit import search_entry
from plateledger.hotlist.disposition import STOP_ACTIONS as HOTLIST_STOP_ACTIONS
from plateledger.transparency import REPORTS, Period, facts_of, generate, reports_for
from plateledger.transparency.disclosure import NOT_PUBLISHED
from plateledger.transparency.facts import fact_of
from plateledger.transparency.render import report_csv, report_html
from plateledger.transparency.reports import AUDIT, STOP_ACTIONS, AgencyProfile, Report
from tests.transparency.log_world import AGENCIES, NOTE, NOW, filled_log, published, raw

PERIOD = Period(date(2025, 3, 1), date(2026, 2, 28))
SLUG = "ucpd"
ZONE = "America/Los_Angeles"
PROFILE = AgencyProfile(
    slug=SLUG, name="Union City PD", kind="municipal", home_state="CA", law_packs=("CA",),
    purposes=("stolen_vehicle", "homicide"), custodian="records@ucpd.example",
    retention_nonhit_days=60, retention_hit_days=None, case_number_required=True,
    sharing_preset="agreements", cameras=4, timezone=ZONE,
)

Entry = dict[str, Any]


@pytest.fixture(scope="module")
def entries(tmp_path_factory: pytest.TempPathFactory) -> list[Entry]:
    return raw(filled_log(tmp_path_factory.mktemp("log"), seed=3, count=1200, busy=6))


def _local_day(e: Entry, zone: str = ZONE) -> date:
    return datetime.fromisoformat(e["time"].replace("Z", "+00:00")).astimezone(
        ZoneInfo(zone)).date()


def _inside(e: Entry) -> bool:
    return PERIOD.start <= _local_day(e) <= PERIOD.end


def _last_dispositions(es: list[Entry]) -> list[dict[str, str]]:
    """The last disposition of each hit the agency disposed of (entries in log order)."""
    last: dict[str, dict[str, str]] = {}
    for e in es:
        if e["type"] == "hit_disposition" and e["agency"] == SLUG:
            last[e["object_id"]] = e["after"]
    return list(last.values())


def _searches(es: list[Entry]) -> list[Entry]:
    return [e for e in es if e["type"] == "search" and e["agency"] == SLUG]


def _accesses(es: list[Entry]) -> list[Entry]:
    return [e for e in es if e["type"] in ("search", "export", "image_view")
            and e["agency"] == SLUG]


def _hits(es: list[Entry]) -> list[Entry]:
    return [e for e in es if e["type"] == "alert_delivery" and e["owner_agency"] == SLUG]


def _decided(es: list[Entry], allowed: bool) -> dict[str, int]:
    out: Counter[str] = Counter()
    for e in es:
        if e["type"] not in ("search", "export", "alert_delivery"):
            continue
        asking = e.get("requested_by_agency") or e["agency"]
        if asking == SLUG:
            continue
        ok = set(e.get("owners_allowed", [])) | (
            {e["owner_agency"]} if e["type"] == "alert_delivery" else set())
        no = {d["agency"] for d in e.get("owners_denied", [])}
        if (SLUG in ok) if allowed else (SLUG in no and SLUG not in ok):
            out[AGENCIES[asking]] += 1
    return dict(out)


def _with_case(es: list[Entry]) -> int:
    """Accesses recording a case number, by published cells (docs/transparency.md)."""
    return published(es, lambda e: bool(e.get("case_number")), *PERIOD.bounds(ZONE),
                     NOW)[0].get(True, 0)


def _by_offense(es: list[Entry]) -> dict[str, int]:
    shown, left = published(es, lambda e: e.get("offense_type", "not recorded"),
                            *PERIOD.bounds(ZONE), NOW)
    return shown | ({NOT_PUBLISHED: left} if left else {})


def _rows(report: Report, key: str) -> dict[str, int]:
    figure = report.element(key).figure
    assert figure is not None
    return {r[0]: r[-1] for r in figure.rows}


# What each element of the log is, recomputed from the entries: a value or a table.
RECOMPUTE: dict[str, Callable[[list[Entry]], Any]] = {
    "searches": lambda es: len(_searches(es)),
    "queries": lambda es: len(_searches(es)),
    "accesses": lambda es: len(_accesses(es)),
    "access_log": lambda es: len(_accesses(es)),
    "requests": lambda es: len(_searches(es)),
    "with_case": lambda es: _with_case(_searches(es)),
    "queries_with_justification": lambda es: _with_case(_searches(es)),
    "accesses_with_case": lambda es: _with_case(_accesses(es)),
    "hits": lambda es: len(_hits(es)),
    "hits_by_category": lambda es: len(_hits(es)),
    "matches": lambda es: len(_hits(es)),
    "alerts": lambda es: len(_hits(es)),
    "accuracy": lambda es: len(_hits(es)),
    "reviews": lambda es: sum(len(e.get("findings", {})) for e in es
                              if e["type"] == "search_review" and e["agency"] == SLUG),
    "requests_granted": lambda es: sum(_decided(es, True).values()),
    "requests_denied": lambda es: sum(_decided(es, False).values()),
    "stops_outcomes": lambda es: sum(
        1 for d in _last_dispositions(es)
        if d["disposition"] == "confirmed" and d["action"] in HOTLIST_STOP_ACTIONS),
}
TABLES: dict[str, Callable[[list[Entry]], dict[str, int]]] = {
    "searches_by_purpose": lambda es: dict(Counter(e["purpose"] for e in _searches(es))),
    "accesses_by_purpose": lambda es: dict(Counter(e["purpose"] for e in _accesses(es))),
    "searches_by_offense": lambda es: _by_offense(_searches(es)),
    "hits_by_category": lambda es: dict(Counter(e["category"] for e in _hits(es))),
    "released_by_class": lambda es: _decided(es, True),
    "denied_by_class": lambda es: _decided(es, False),
    "databases_compared": lambda es: dict(Counter(
        e["list_class"] for e in es if e["type"] in ("alert_delivery", "alert_withheld")
        and (e.get("owner_agency") or e.get("read_owner")) == SLUG)),
    "alarms": lambda es: dict(Counter(e["kind"] for e in es if e["type"] == "alarm"
                                      and e["agency"] == SLUG)),
    "dispositions": lambda es: dict(Counter(f"{d['disposition']}, {d['action']}"
                                            for d in _last_dispositions(es))),
}


@pytest.mark.parametrize("code", sorted(REPORTS))
def test_every_audit_figure_is_recomputed_from_the_entries(
    entries: list[Entry], code: str
) -> None:
    report = generate(code, PROFILE, facts_of(enumerate(entries)), AGENCIES, PERIOD,
                      now=NOW, log_size=len(entries))
    inside = [e for e in entries if _inside(e)]
    assert report.statute == REPORTS[code].statute
    checked = 0
    for element in report.elements:
        assert element.citation, element.key
        if element.source != AUDIT:
            continue
        if element.key in RECOMPUTE:
            assert element.value == RECOMPUTE[element.key](inside), element.key
            checked += 1
        if element.figure is not None:
            assert _rows(report, element.key) == TABLES[element.figure.name](inside), \
                (element.key, element.figure.name)
            checked += 1
    assert checked >= 2


def test_california_carries_the_seven_policy_elements_and_the_access_log(
    entries: list[Entry],
) -> None:
    report = generate("ca-policy", PROFILE, facts_of(enumerate(entries)), AGENCIES, PERIOD,
                      now=NOW, log_size=len(entries))
    cites = {e.citation for e in report.elements}
    for letter in "ABCDEFG":
        assert any(c.endswith(f"(2)({letter})") for c in cites), letter
    assert report.element("custodian").value == "records@ucpd.example"
    assert report.element("retention").value == "60 days (non-hit reads)"
    assert report.element("access_log").citation == "Cal. Civ. Code 1798.90.52"
    assert "training: not recorded by the system" in report.element("job_titles").value


def test_reports_render_as_csv_and_html_with_the_statute(entries: list[Entry]) -> None:
    report = generate("mn-audit", PROFILE, facts_of(enumerate(entries)), AGENCIES, PERIOD,
                      now=NOW, log_size=len(entries))
    rows = list(csv.DictReader(io.StringIO(report_csv(report))))
    assert {r["statute"] for r in rows} == {"Minn. Stat. 13.824"}
    assert {r["timezone"] for r in rows} == {ZONE}
    assert f"({ZONE})" in report_html(report)
    hits = [r for r in rows if r["element"] == "hits_by_category" and r["key"]]
    assert {r["key"]: int(r["value"]) for r in hits} == TABLES["hits_by_category"](
        [e for e in entries if _inside(e)])
    page = report_html(report)
    assert "Minn. Stat. 13.824 subd. 5(a)(3)" in page
    assert "7ABC123" not in page and "officer" not in page


def test_each_pack_names_its_reports() -> None:
    assert reports_for(["OR"]) == ("or-monthly", "or-quarterly")
    assert reports_for(["CA", "CA-STRICT"]) == ("ca-policy",)
    assert reports_for(["IL"]) == ()
    assert {c for p in ("CA", "VA", "OR", "MN", "VT", "NH") for c in reports_for([p])} \
        == set(REPORTS)


def _search_at(time: str) -> Entry:
    e = search_entry(user="ucpd.officer1", agency=SLUG, requested_by_agency=SLUG,
                     purpose="homicide", case_number=None, kind="exact",
                     query={"plate": "7ABC123"}, owners_allowed=[SLUG], owners_denied=[],
                     result_count=1, result_digest="d", policy_set_hash="h")
    return e | {"time": time}


def test_a_later_page_of_a_search_is_an_access_not_a_search() -> None:
    """Three entries of one search (its first page and two pages asked with its token):
    one search, three access records."""
    first = _search_at("2025-06-01T18:00:00Z")
    pages = [first] + [_search_at(f"2025-06-01T18:0{i}:00Z")
                       | {"page_of": "0f8fad5b-d9cb-469f-a165-70867728950e"} for i in (1, 2)]
    facts = facts_of(enumerate(pages))
    assert generate("va-annual", PROFILE, facts, AGENCIES, PERIOD, now=NOW,
                    log_size=3).element("queries").value == 1
    minnesota = generate("mn-audit", PROFILE, facts, AGENCIES, PERIOD, now=NOW, log_size=3)
    assert minnesota.element("accesses").value == 3
    california = generate("ca-policy", PROFILE, facts, AGENCIES, PERIOD, now=NOW, log_size=3)
    assert california.element("monitoring").value.startswith("1 search logged")
    assert california.element("access_log").value == 3


def test_the_period_is_counted_in_the_agencys_zone(entries: list[Entry]) -> None:
    """A search late on the period's last evening in California is inside it though it is
    past midnight in UTC; one late on the evening before the first day is outside it."""
    edges = [_search_at("2025-03-01T07:30:00Z"),  # 2025-02-28 23:30 PST: before
             _search_at("2025-03-01T09:00:00Z"),  # 2025-03-01 01:00 PST: inside
             _search_at("2026-03-01T05:00:00Z")]  # 2026-02-28 21:00 PST: inside
    facts = facts_of(enumerate(edges))
    pacific = generate("va-annual", PROFILE, facts, AGENCIES, PERIOD, now=NOW, log_size=3)
    utc = generate("va-annual", replace(PROFILE, timezone="UTC"), facts, AGENCIES, PERIOD,
                   now=NOW, log_size=3)
    assert pacific.element("queries").value == 2
    assert utc.element("queries").value == 2
    assert [f.index for f in facts if PERIOD.holds(f, ZONE)] == [1, 2]
    assert [f.index for f in facts if PERIOD.holds(f)] == [0, 1]
    assert pacific.timezone == ZONE and pacific.as_json()["period"]["timezone"] == ZONE
    assert PERIOD.bounds(ZONE) == (datetime(2025, 3, 1, 8, tzinfo=UTC),
                                   datetime(2026, 3, 1, 8, tzinfo=UTC))
    # the whole world, too: every search is counted on its local day
    whole = generate("va-annual", PROFILE, facts_of(enumerate(entries)), AGENCIES, PERIOD,
                     now=NOW, log_size=len(entries))
    assert whole.element("queries").value == len([e for e in _searches(entries)
                                                  if _inside(e)])


def test_stops_count_only_confirmed_hits_whose_action_was_a_stop(
    entries: list[Entry],
) -> None:
    assert {a.value for a in HOTLIST_STOP_ACTIONS} == STOP_ACTIONS
    report = generate("nh-annual", PROFILE, facts_of(enumerate(entries)), AGENCIES, PERIOD,
                      now=NOW, log_size=len(entries))
    element = report.element("stops_outcomes")
    assert element.source == AUDIT
    inside = [e for e in entries if _inside(e)]
    disposed = _last_dispositions(inside)
    assert element.value == RECOMPUTE["stops_outcomes"](inside)
    assert 0 < element.value < len(disposed)
    assert sum(r[1] for r in element.figure.rows) == len(disposed)  # type: ignore[union-attr]
    assert element.note and "not counted" in element.note
    for e in entries:
        if e["type"] == "hit_disposition":
            fact = fact_of(0, e)
            assert NOTE not in repr(fact) and "officer" not in repr(fact)
    page = report_html(report)
    assert NOTE not in page and "7ABC123" not in page


def test_a_retention_clock_is_written_as_a_person_reads_it() -> None:
    """New Hampshire keeps a non-hit read three minutes: a report says so, not "0 days"."""
    from plateledger.transparency.reports import duration

    assert [duration(d) for d in (21, 1, 1.5, 6 / 24, 3 / 1440)] == [
        "21 days", "1 day", "1.5 days", "6 hours", "3 minutes"]
