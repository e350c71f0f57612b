"""Every statutory report cites its statute, carries the elements the statute asks for,
and every figure it takes from the audit log is recomputed here from the entries."""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import pytest

from plateledger.transparency import REPORTS, Period, facts_of, generate, reports_for
from plateledger.transparency.render import report_csv, report_html
from plateledger.transparency.reports import AUDIT, AgencyProfile, Report
from tests.transparency.log_world import AGENCIES, NOW, filled_log, raw

PERIOD = Period(date(2025, 3, 1), date(2026, 2, 28))
SLUG = "ucpd"
PROFILE = AgencyProfile(
    slug=SLUG, name="Union City PD", kind="municipal", home_state="CA", law_packs=("CA",),
    purposes=("stolen_vehicle", "homicide"), custodian="records@ucpd.example",
    retention_nonhit_days=60, retention_hit_days=None, case_number_required=True,
    sharing_preset="agreements", cameras=4,
)

Entry = dict[str, Any]


@pytest.fixture(scope="module")
def entries(tmp_path_factory: pytest.TempPathFactory) -> list[Entry]:
    return raw(filled_log(tmp_path_factory.mktemp("log"), seed=3, count=1200))


def _inside(e: Entry) -> bool:
    return PERIOD.start <= datetime.fromisoformat(e["time"].replace("Z", "+00:00")).date() \
        <= PERIOD.end


def _searches(es: list[Entry]) -> list[Entry]:
    return [e for e in es if e["type"] == "search" and e["agency"] == SLUG]


def _hits(es: list[Entry]) -> list[Entry]:
    return [e for e in es if e["type"] == "alert_delivery" and e["owner_agency"] == SLUG]


def _decided(es: list[Entry], allowed: bool) -> dict[str, int]:
    out: Counter[str] = Counter()
    for e in es:
        if e["type"] not in ("search", "export", "alert_delivery") or e["agency"] == SLUG:
            continue
        ok = set(e.get("owners_allowed", [])) | (
            {e["owner_agency"]} if e["type"] == "alert_delivery" else set())
        no = {d["agency"] for d in e.get("owners_denied", [])}
        if (SLUG in ok) if allowed else (SLUG in no and SLUG not in ok):
            out[AGENCIES[e["agency"]]] += 1
    return dict(out)


def _rows(report: Report, key: str) -> dict[str, int]:
    figure = report.element(key).figure
    assert figure is not None
    return {r[0]: r[-1] for r in figure.rows}


# What each element of the log is, recomputed from the entries: a value or a table.
RECOMPUTE: dict[str, Callable[[list[Entry]], Any]] = {
    "searches": lambda es: len(_searches(es)),
    "queries": lambda es: len(_searches(es)),
    "accesses": lambda es: len(_searches(es)),
    "access_log": lambda es: len(_searches(es)),
    "requests": lambda es: len(_searches(es)),
    "with_case": lambda es: sum(1 for e in _searches(es) if e["case_number"]),
    "queries_with_justification": lambda es: sum(1 for e in _searches(es)
                                                 if e["case_number"]),
    "accesses_with_case": lambda es: sum(1 for e in _searches(es) if e["case_number"]),
    "hits": lambda es: len(_hits(es)),
    "hits_by_category": lambda es: len(_hits(es)),
    "matches": lambda es: len(_hits(es)),
    "alerts": lambda es: len(_hits(es)),
    "accuracy": lambda es: len(_hits(es)),
    "reviews": lambda es: sum(1 for e in es if e["type"] == "search_review"
                              and e["agency"] == SLUG),
    "requests_granted": lambda es: sum(_decided(es, True).values()),
    "requests_denied": lambda es: sum(_decided(es, False).values()),
}
TABLES: dict[str, Callable[[list[Entry]], dict[str, int]]] = {
    "searches_by_purpose": lambda es: dict(Counter(e["purpose"] for e in _searches(es))),
    "searches_by_offense": lambda es: dict(Counter(e.get("offense_type", "not recorded")
                                                   for e in _searches(es))),
    "hits_by_category": lambda es: dict(Counter(e["category"] for e in _hits(es))),
    "released_by_class": lambda es: _decided(es, True),
    "denied_by_class": lambda es: _decided(es, False),
    "databases_compared": lambda es: dict(Counter(
        e["list_class"] for e in es if e["type"] in ("alert_delivery", "alert_withheld")
        and (e.get("owner_agency") or e.get("read_owner")) == SLUG)),
    "alarms": lambda es: dict(Counter(e["kind"] for e in es if e["type"] == "alarm"
                                      and e["agency"] == SLUG)),
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


def test_reports_render_as_csv_and_html_with_the_statute(entries: list[Entry]) -> None:
    report = generate("mn-audit", PROFILE, facts_of(enumerate(entries)), AGENCIES, PERIOD,
                      now=NOW, log_size=len(entries))
    rows = list(csv.DictReader(io.StringIO(report_csv(report))))
    assert {r["statute"] for r in rows} == {"Minn. Stat. 13.824"}
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
