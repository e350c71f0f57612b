"""Attacks on what people open and what supervisors see: the server-rendered pages and
their scripts, the statutory and case reports, and the supervisors' analytics, samples and
sign-offs — all over HTTP with the app's TestClient (no browser).

The promises (docs/web.md, docs/reports.md, docs/cases.md, DESIGN.md):

- every page is sent with a Content-Security-Policy that allows this server's scripts only
  (no inline script, no eval), forbids framing, and with ``nosniff``, ``no-referrer`` and
  ``no-store``; whatever another agency, a camera or an officer typed is text on it;
- the page scripts never turn server data into markup (no ``innerHTML`` and the like);
- an answer that carries reads or audit contents is not kept by a cache (``no-store``);
- a case, its report, the operators' analytics and the audit samples are the agency's
  alone and for the roles the policy set names; each is logged before it is served, and
  nothing is served when the log refuses the entry (503);
- a sample of searches is reviewed by a supervisor, and a sign-off counts in the reports;
- odd input gets a 4xx, never a 500.

World: the API conftest's Union City (ucpd: ivy the investigator, audrey the auditor, an
admin) and Fremont (fpd: an admin), plus Union City's supervisors sam and sue and its
dispatcher dina, Fremont's supervisor fred, and a key of a Union City camera. Real app,
SQLite catalog, chDB store (plates unique per test).

Each test is an attack; one marked ``xfail(strict=True)`` is a hole the code still has,
and its reason says where.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from plateledger.api.app import create_app
from plateledger.catalog import new_totp_secret, open_catalog
from plateledger.catalog.passwords import FAST
from plateledger.settings import Settings
from tests.api.conftest import PASSWORD, Seed, code, login, refuse_entries
from tests.factories import make_read
from tests.factories import unique_plate as plate

MARKUP = '"><img src=x onerror=alert(1)><script>alert(2)<\\script>'
"""Markup that breaks out of an attribute, a text node or a script block (no ``/``, so it
fits in one path segment)."""

ASK: dict[str, Any] = {"kind": "exact", "purpose": "stolen_vehicle", "offense_type": "240",
                       "case_number": "UC-2026-0901", "reason": "grey sedan taken from a lot"}

PAGES = ("/", "/login", "/search", "/workspace", "/alerts", "/hotlists", "/cameras",
         "/transparency", "/audit", "/approvals", "/cases", "/cases/UC-2026-0901",
         f"/reads/{uuid.UUID(int=7)}", "/transparency/ucpd", "/reports", "/supervision")
"""Every page the app serves (pages.py and portal.py)."""


@dataclass(frozen=True)
class World:
    api: TestClient
    seed: Seed
    secrets: dict[str, str]
    camera_key: str
    plate: str
    """Read by a Union City camera a few minutes ago."""

    def login(self, username: str) -> dict[str, str]:
        secret = self.secrets.get(username)
        return login(self.api, username, code(secret) if secret else None)

    def search(self, headers: dict[str, str], **body: Any) -> Any:
        payload = {**ASK, "params": {"plate": self.plate}, **body}
        response = self.api.post("/v1/searches", headers=headers, json=payload)
        assert response.status_code == 200, response.text
        return response.json()

    def entry(self, index: int) -> dict[str, Any]:
        log = self.api.app.state.audit_log  # type: ignore[attr-defined]
        return dict(log.entry(index).entry)

    def log_size(self) -> int:
        return int(self.api.app.state.audit_log.size())  # type: ignore[attr-defined]

    def drop_log(self) -> TestClient:
        """The audit log's table is gone: no entry can be written (or read). A client that
        answers a server error as a response, as a browser would see it."""
        engine = self.api.app.state.catalog.engine  # type: ignore[attr-defined]
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE audit_entries"))
        return TestClient(self.api.app, raise_server_exceptions=False)

    def refuse_entries(self) -> int:
        """The log still reads but refuses every new entry (a trigger aborts the insert,
        as a full disk or a revoked grant would); the log's size then."""
        refuse_entries(self.api.app.state.catalog.engine)  # type: ignore[attr-defined]
        return self.log_size()


@pytest.fixture
def world(settings: Settings, seed: Seed) -> Iterator[World]:
    catalog = open_catalog(settings, password_hasher=FAST)
    try:
        secrets = {name: new_totp_secret() for name in ("sam", "sue", "dina", "fred")}
        secrets |= {"ivy": seed.investigator_totp, "audrey": seed.auditor_totp}
        for name, agency, role in (("sam", seed.ucpd_id, "supervisor"),
                                   ("sue", seed.ucpd_id, "supervisor"),
                                   ("dina", seed.ucpd_id, "dispatcher"),
                                   ("fred", seed.fpd_id, "supervisor")):
            catalog.add_user(agency, name, PASSWORD, [role], totp_secret=secrets[name])
        catalog.add_camera("uc-cam-1", seed.ucpd_id, lat=37.59, lon=-122.04)
        key = catalog.issue_api_key(seed.ucpd_id, camera_id="uc-cam-1", label="attack")
    finally:
        catalog.close()
    wanted = plate("7")
    with TestClient(create_app(settings)) as api:
        api.app.state.store.insert_reads(  # type: ignore[attr-defined]
            [make_read(wanted, camera="uc-cam-1", owner=seed.ucpd_id, minutes_ago=5)])
        yield World(api, seed, secrets, key, wanted)


def assert_4xx(response: Any) -> None:
    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    assert "Traceback" not in response.text


def no_store(response: Any) -> bool:
    return "no-store" in response.headers.get("cache-control", "")


# -- the pages: headers -----------------------------------------------------------------


@pytest.mark.parametrize("path", PAGES)
def test_every_page_forbids_inline_scripts_framing_sniffing_referrers_and_caching(
    world: World, path: str
) -> None:
    """Promise: each page allows scripts from this server only (no ``'unsafe-inline'``,
    no ``'unsafe-eval'``), may not be framed, is not sniffed, sends no referrer and is not
    cached. Attack: find one page, the public portal and the reports list included, that
    forgot a header."""
    response = world.api.get(path)
    assert response.status_code == 200, (path, response.text)
    assert response.headers["content-type"].startswith("text/html")
    policy = response.headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert no_store(response)


@pytest.mark.parametrize("path", PAGES)
def test_no_page_runs_an_inline_script(world: World, path: str) -> None:
    """Promise: a page's scripts are files of this server; a ``<script>`` in the page is
    data only (``type="application/json"``). Attack: an inline script or an ``on…=``
    handler would need ``'unsafe-inline'`` — and would be the first place an injection
    lands."""
    html = world.api.get(path).text
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert 'type="application/json"' in tag or " src=" in tag, (path, tag)
    assert not re.search(r"<[^>]+\son[a-z]+\s*=", html), path
    assert "javascript:" not in html.lower(), path


# -- the pages: what others typed -------------------------------------------------------


def test_a_case_number_in_the_page_address_is_text(world: World) -> None:
    """Promise: the case page shows the number from its address as text. Attack: a link
    to ``/cases/<markup>`` sent to a supervisor: the number lands in the title, a heading,
    a JSON block and two report links."""
    response = world.api.get(f"/cases/{MARKUP}")
    assert response.status_code == 200
    html = response.text
    assert "<img src=x" not in html and "<script>alert" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    data = re.search(r'<script type="application/json" id="case-data">(.*?)</script>',
                     html, re.S)
    assert data is not None and "<" not in data.group(1)
    for href in re.findall(r'href="(/v1/cases/[^"]*)"', html):
        assert " " not in href and "<" not in href and '"' not in href, href


def test_an_unknown_portal_slug_is_text_on_the_error_page(world: World) -> None:
    """Promise: the portal of an agency that does not exist says so, as text, with the
    page's headers. Attack: ``/transparency/<markup>``: the error message repeats the slug."""
    response = world.api.get(f"/transparency/{MARKUP}")
    assert response.status_code == 404, response.text
    assert "<img src=x" not in response.text and "<script>alert" not in response.text
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"


def test_a_long_portal_slug_or_case_number_is_cut_not_an_error(world: World) -> None:
    """Promise: odd input to a page gets a page or a 4xx, never a 500. Attack: a slug and
    a case number of 5,000 characters."""
    long = "A" * 5000
    portal = world.api.get(f"/transparency/{long}")
    assert portal.status_code == 404 and long not in portal.text
    case = world.api.get(f"/cases/{long}")
    assert case.status_code == 200 and long not in case.text


def test_a_read_page_takes_only_a_read_id(world: World) -> None:
    """Promise: ``/reads/{read_id}`` is a shell for a UUID. Attack: markup or a 5,000
    character id in its place."""
    for bad in (MARKUP, "9" * 5000):
        response = world.api.get(f"/reads/{bad}")
        assert_4xx(response)
        assert "<img src=x" not in response.text


def test_agency_names_of_markup_are_text_on_the_reports_page(world: World) -> None:
    """Promise: the reports list shows agency names as text. Attack: an agency whose admin
    (or a catalog import) named it in markup; its name also lands in the page shells that
    carry agencies as JSON."""
    catalog = world.api.app.state.catalog  # type: ignore[attr-defined]
    catalog.add_agency(MARKUP, "evil", "municipal", "CA")
    for path in ("/reports", "/transparency/evil", "/search", "/audit", "/workspace",
                 f"/reads/{uuid.UUID(int=7)}", "/transparency"):
        html = world.api.get(path).text
        assert "<img src=x" not in html and "<script>alert" not in html, path


# -- the page scripts -------------------------------------------------------------------

SINKS = re.compile(r"\.innerHTML\b|\.outerHTML\b|insertAdjacentHTML|document\.write"
                   r"|\beval\(|new Function\(|setTimeout\(\s*['\"`]|\.srcdoc\b")


def _scripts(world: World) -> dict[str, str]:
    """Every script a page loads from ``/static/`` (vendored libraries aside), and the
    modules they import, as served."""
    seen: dict[str, str] = {}
    todo = [src for path in PAGES
            for src in re.findall(r'<script[^>]*\ssrc="(/static/[^"]+)"', world.api.get(path).text)]
    while todo:
        src = todo.pop()
        if src in seen or src.startswith("/static/vendor/"):
            continue
        response = world.api.get(src)
        assert response.status_code == 200, src
        seen[src] = response.text
        todo += ["/static/" + m.removeprefix("./")
                 for m in re.findall(r"""\bfrom\s+['"](\./[^'"]+)['"]""", response.text)]
    return seen


def test_no_page_script_turns_server_data_into_markup(world: World) -> None:
    """Promise: camera names, hot-list reasons, case numbers, search reasons, vehicle text,
    approval notes and zone names reach the DOM as text (`el`, `textContent`). Attack:
    look through every script the pages load for a sink that parses HTML or code."""
    scripts = _scripts(world)
    assert {"/static/supervision.js", "/static/alerts.js", "/static/cases.js",
            "/static/format.js"} <= set(scripts)
    for src, body in scripts.items():
        assert not SINKS.search(body), (src, SINKS.search(body))


def test_links_the_scripts_build_from_server_data_are_paths_of_this_server(
    world: World,
) -> None:
    """Promise: a link a script builds from an answer cannot become ``javascript:``.
    Attack: every ``href:`` a script sets is a template starting ``/`` or ``#``, a blob
    URL it made, or a field the server itself builds as a path (the audit export's
    ``Inclusion Proof``, checked here to be one)."""
    for src, body in _scripts(world).items():
        for value in re.findall(r"\bhref:\s*([^,}]+)", body):
            value = value.strip()
            assert (value.startswith(("`/", "`#", '"/', '"#', "url", "caseLink("))
                    or value == 'row["Inclusion Proof"]'), (src, value)
    audrey = world.login("audrey")
    world.search(world.login("ivy"))
    rows = world.api.get("/v1/audit/export", params={"format": "json"}, headers=audrey).json()
    for row in rows["rows"]:
        assert row["Inclusion Proof"].startswith("/v1/audit/proof/inclusion?"), row


# -- statutory reports ------------------------------------------------------------------


def test_the_statutory_reports_html_is_sent_with_the_pages_protections(world: World) -> None:
    """Promise: every HTML document the server sends forbids scripts and framing (the
    case report does: ``default-src 'none'``). Attack: open a statutory report as HTML —
    a public page with agency names, custodians and camera ids in it — and look for the
    protections the pages and the case report carry."""
    response = world.api.get("/v1/reports/ca-policy", params={"agency": "ucpd",
                                                              "format": "html"})
    assert response.status_code == 200, response.text
    assert "default-src 'none'" in response.headers.get("content-security-policy", "")
    assert response.headers.get("x-content-type-options") == "nosniff"


@pytest.mark.parametrize("query", [
    b"agency=%FF%FE&format=html",
    b"agency=ucpd&format=%C3%28",
    b"agency=ucpd&start=%FF&end=2026-01-01",
    b"agency=" + b"u" * 5000,
])
def test_a_statutory_report_of_odd_bytes_gets_a_4xx(world: World, query: bytes) -> None:
    """Promise: odd input gets a 4xx. Attack: query strings that are not UTF-8, or an
    agency slug of 5,000 characters."""
    response = world.api.get("/v1/reports/ca-policy?" + query.decode("latin-1"))
    assert_4xx(response)


def test_a_statutory_report_code_of_odd_bytes_gets_a_4xx(world: World) -> None:
    """Attack: a report code that is not UTF-8, and one of 5,000 characters."""
    for code_ in ("%FF%FE", "c" * 5000):
        assert_4xx(world.api.get(f"/v1/reports/{code_}", params={"agency": "ucpd"}))


# -- case reports -----------------------------------------------------------------------


def test_a_dispatcher_or_a_camera_key_gets_no_case_and_no_report(world: World) -> None:
    """Promise: cases are for the agency's investigators and supervisors (role-export).
    Attack: the agency's dispatcher, and a key of one of its cameras, ask for a case, its
    report in each format and the list."""
    ivy = world.login("ivy")
    opened = world.api.post("/v1/cases", headers=ivy, json={"number": "UC-2026-0901",
                                                            "title": "grey sedan"})
    assert opened.status_code == 201, opened.text
    world.search(ivy)
    dina = world.login("dina")
    key = {"X-API-Key": world.camera_key}
    paths = ["/v1/cases", "/v1/cases/UC-2026-0901"] + [
        f"/v1/cases/UC-2026-0901/report?format={f}" for f in ("html", "pdf", "json")]
    size = world.log_size()
    for path in paths:
        refused = world.api.get(path, headers=dina)
        assert refused.status_code == 403, (path, refused.text)
        assert "role-export" in refused.text and "grey sedan" not in refused.text
        keyed = world.api.get(path, headers=key)
        assert keyed.status_code == 401, (path, keyed.text)
        assert "grey sedan" not in keyed.text
    assert world.log_size() == size


def test_a_case_and_the_list_of_cases_are_not_kept_by_a_cache(world: World) -> None:
    """Promise: an answer with audit contents is ``no-store`` (the report is). Attack: the
    case's JSON — plates searched, users, purposes — as a shared browser keeps it."""
    ivy = world.login("ivy")
    world.api.post("/v1/cases", headers=ivy, json={"number": "UC-2026-0901"})
    world.search(ivy)
    shown = world.api.get("/v1/cases/UC-2026-0901", headers=ivy)
    assert shown.status_code == 200 and world.plate in shown.text
    assert no_store(shown)
    assert no_store(world.api.get("/v1/cases", headers=ivy))


# -- supervision: who ------------------------------------------------------------------


def test_a_dispatcher_or_a_camera_key_gets_no_analytics_and_no_sample(world: World) -> None:
    """Promise: analytics and samples are for supervisors and auditors (role-view-audit).
    Attack: the dispatcher and a camera key read the analytics, draw, read and sign off a
    sample a supervisor drew; nothing is served and nothing is signed."""
    world.search(world.login("ivy"))
    sam = world.login("sam")
    drawn = world.api.post("/v1/supervision/samples", json={"size": 1}, headers=sam)
    assert drawn.status_code == 201, drawn.text
    sample = drawn.json()
    [item] = sample["items"]
    path = f"/v1/supervision/samples/{sample['sample']}"
    size = world.log_size()
    for who in (world.login("dina"), {"X-API-Key": world.camera_key}):
        for method, url, body in [
            ("GET", "/v1/supervision/operators", None),
            ("POST", "/v1/supervision/samples", {"size": 1}),
            ("GET", path, None),
            ("POST", f"{path}/review", {"findings": {str(item["index"]): "justified"}}),
        ]:
            response = world.api.request(method, url, json=body, headers=who)
            assert response.status_code in (401, 403), (url, response.text)
            assert ASK["reason"] not in response.text and "ivy" not in response.text
    assert world.log_size() == size


def test_a_sample_index_that_is_not_a_sample_shows_nothing(world: World) -> None:
    """Promise: a sample is read by its index only when that entry is a sample the
    agency drew. Attack: sam guesses indexes — his agency's search entry, its review, the
    analytics reading, the next index — hoping one reads as a sample."""
    found = world.search(world.login("ivy"))
    sam = world.login("sam")
    reading = world.api.get("/v1/supervision/operators", headers=sam).json()["audit_index"]
    for index in (found["audit_index"], reading, world.log_size(), world.log_size() + 10):
        response = world.api.get(f"/v1/supervision/samples/{index}", headers=sam)
        assert response.status_code == 404, (index, response.text)
        assert ASK["reason"] not in response.text
        review = world.api.post(f"/v1/supervision/samples/{index}/review", headers=sam,
                                json={"findings": {}})
        assert review.status_code == 404, (index, review.text)


def test_another_agencys_supervisor_cannot_draw_our_searches_or_count_us(
    world: World,
) -> None:
    """Promise: a supervisor's analytics and samples hold their own agency's users only.
    Attack: Fremont's supervisor draws the largest sample and reads the analytics after
    Union City searched: he gets none of ours."""
    ivy = world.login("ivy")
    for _ in range(3):
        world.search(ivy)
    fred = world.login("fred")
    drawn = world.api.post("/v1/supervision/samples", json={"size": 200, "days": 366},
                           headers=fred)
    assert drawn.status_code == 201, drawn.text
    assert drawn.json()["pool"] == 0 and drawn.json()["items"] == []
    analytics = world.api.get("/v1/supervision/operators?days=366", headers=fred).json()
    assert analytics["agency"] == "fpd" and analytics["operators"] == []


# -- supervision: sign-offs ------------------------------------------------------------


def test_a_supervisor_does_not_sign_off_his_own_searches(world: World) -> None:
    """Promise: a sample is a supervisor's review of the operators' searches; approvals
    already refuse a supervisor deciding his own request. Attack: sam searches without
    much cause, draws a sample of his agency's searches — only his are there — and signs
    them all ``justified``."""
    sam, sue = world.login("sam"), world.login("sue")
    for _ in range(3):
        world.search(sam, reason="just looking")
    world.search(world.login("ivy"))
    drawn = world.api.post("/v1/supervision/samples", json={"size": 4}, headers=sam)
    assert drawn.status_code == 201, drawn.text
    assert [i["user"] for i in drawn.json()["items"]] == ["ivy"]  # his own are not drawn
    theirs = world.api.post("/v1/supervision/samples", json={"size": 4}, headers=sue).json()
    assert sorted(i["user"] for i in theirs["items"]) == ["ivy", "sam", "sam", "sam"]
    size = world.log_size()
    signed = world.api.post(
        f"/v1/supervision/samples/{theirs['sample']}/review", headers=sam,
        json={"findings": {str(i["index"]): "justified" for i in theirs["items"]}})
    assert signed.status_code == 403, signed.text
    assert signed.json()["error"]["code"] == "own_search"
    assert world.log_size() == size  # refused: nothing logged


def test_signing_one_sample_off_twice_does_not_double_the_searches_reviewed(
    world: World,
) -> None:
    """Promise: Oregon's 'Searches reviewed by supervisors' counts the searches signed
    off, one finding each. Attack: two supervisors (or one, twice) sign off the same
    sample of two searches; the report should still say two."""
    ivy = world.login("ivy")
    for _ in range(2):
        world.search(ivy)
    sam, sue = world.login("sam"), world.login("sue")
    sample = world.api.post("/v1/supervision/samples", json={"size": 2}, headers=sam).json()
    findings = {str(i["index"]): "justified" for i in sample["items"]}
    path = f"/v1/supervision/samples/{sample['sample']}/review"
    first = world.api.post(path, headers=sam, json={"findings": findings})
    assert first.status_code == 201, first.text
    again = [world.api.post(path, headers=who, json={"findings": findings})
             for who in (sam, sue)]
    today = datetime.now(ZoneInfo("America/Los_Angeles")).date().isoformat()
    report = world.api.get("/v1/reports/or-monthly", params={
        "agency": "ucpd", "start": today, "end": today}).json()
    reviewed = next(e for e in report["elements"] if e["key"] == "reviews")
    assert reviewed["value"] == 2, (reviewed, [a.status_code for a in again])
    assert [a.status_code for a in again] == [409, 409]
    assert {a.json()["error"]["code"] for a in again} == {"already_reviewed"}


def test_a_sign_off_names_every_search_of_the_sample_and_nothing_else(world: World) -> None:
    """Promise: a sign-off gives one finding for each search of the sample. Attack: sam
    signs off with a search of another sample, with an index far out of range, and with
    keys that are not numbers; each is refused and nothing is logged."""
    ivy = world.login("ivy")
    for _ in range(2):
        world.search(ivy)
    sam = world.login("sam")
    one = world.api.post("/v1/supervision/samples", json={"size": 1}, headers=sam).json()
    [item] = one["items"]
    other = next(i for i in range(world.log_size())
                 if world.entry(i).get("type") == "search" and i != item["index"])
    path = f"/v1/supervision/samples/{one['sample']}/review"
    size = world.log_size()
    for findings in ({str(other): "justified"},
                     {str(item["index"]): "justified", str(other): "justified"},
                     {str(item["index"]): "justified", str(10**30): "justified"},
                     {"x": "justified"}, {str(item["index"]): "<b>ok</b>"}):
        response = world.api.post(path, headers=sam, json={"findings": findings})
        assert response.status_code == 422, (findings, response.text)
    assert world.log_size() == size


# -- fail closed ------------------------------------------------------------------------

SUPERVISION_STEPS = ("operators", "draw", "show", "review")


def _supervision_calls(world: World, sam: dict[str, str]) -> list[tuple[str, str, Any]]:
    """Each step of supervision over a sample of one of ivy's searches drawn by sam."""
    sample = world.api.post("/v1/supervision/samples", json={"size": 1}, headers=sam).json()
    [item] = sample["items"]
    path = f"/v1/supervision/samples/{sample['sample']}"
    return [("GET", "/v1/supervision/operators", None),
            ("POST", "/v1/supervision/samples", {"size": 1}),
            ("GET", path, None),
            ("POST", f"{path}/review", {"findings": {str(item["index"]): "justified"}})]


def test_a_log_that_refuses_entries_serves_no_analytics_sample_or_sign_off(
    world: World,
) -> None:
    """Promise: each reading, draw and sign-off is logged before anything is answered;
    when the log refuses the entry: 503 ``fail_closed`` and nothing served. Attack: the
    log still reads but refuses every new entry when sam asks for the analytics, a draw,
    a sample and a sign-off."""
    world.search(world.login("ivy"))
    sam = world.login("sam")
    calls = _supervision_calls(world, sam)
    size = world.refuse_entries()
    for method, url, body in calls:
        response = world.api.request(method, url, json=body, headers=sam)
        assert response.status_code == 503, (url, response.status_code, response.text)
        assert response.json()["error"]["code"] == "fail_closed"
        assert "ivy" not in response.text and ASK["reason"] not in response.text
    assert world.log_size() == size


def test_a_log_that_refuses_entries_serves_no_case_and_no_case_report(world: World) -> None:
    """Promise: reading a case and each report download are logged first (no entry, no
    answer: 503). Attack: the log still reads but refuses the ``case_read`` and
    ``case_report`` entries; ask for the case and its report in every format."""
    ivy = world.login("ivy")
    world.api.post("/v1/cases", headers=ivy, json={"number": "UC-2026-0901",
                                                   "title": "grey sedan"})
    world.search(ivy)
    size = world.refuse_entries()
    for path in ["/v1/cases/UC-2026-0901"] + [
            f"/v1/cases/UC-2026-0901/report?format={f}" for f in ("html", "pdf", "json")]:
        response = world.api.get(path, headers=ivy)
        assert response.status_code == 503, (path, response.status_code, response.text)
        assert response.json()["error"]["code"] == "fail_closed"
        assert "grey sedan" not in response.text and world.plate not in response.text
    assert world.log_size() == size


def test_an_unreadable_log_serves_no_analytics_or_sample(world: World) -> None:
    """Promise: fail closed — no audit log, no data. Attack: the log's table is gone when
    sam asks for the analytics, a draw, a sample and a sign-off: whatever the status,
    nothing of ivy's search comes back."""
    world.search(world.login("ivy"))
    sam = world.login("sam")
    calls = _supervision_calls(world, sam)
    quiet = world.drop_log()
    for method, url, body in calls:
        response = quiet.request(method, url, json=body, headers=sam)
        assert response.status_code >= 500, (url, response.text)
        assert "ivy" not in response.text and ASK["reason"] not in response.text
        assert "Traceback" not in response.text


def test_an_unreadable_log_answers_supervision_with_a_503(world: World) -> None:
    """Promise: docs/reports.md — each reading, draw and sign-off is appended before
    anything is answered; without it a 503 ``fail_closed`` (as cases were fixed to give).
    Attack: the log's table is gone; the answer is a 500 ``internal_error``."""
    world.search(world.login("ivy"))
    sam = world.login("sam")
    calls = _supervision_calls(world, sam)
    quiet = world.drop_log()
    for method, url, body in calls:
        response = quiet.request(method, url, json=body, headers=sam)
        assert response.status_code == 503, (url, response.status_code)
        assert response.json()["error"]["code"] == "fail_closed"


def test_an_unreadable_log_answers_reports_and_the_portal_with_a_503(world: World) -> None:
    """Promise: a statutory report and the portal are computed from the log; a log that
    cannot be read gives a 503 (``audit_unavailable``), never a 500 — and the portal page
    stays an HTML page with its headers. Attack: the log holds a search and its table is
    gone."""
    world.search(world.login("ivy"))
    quiet = world.drop_log()
    for fmt in ("json", "csv", "html", "pdf"):
        response = quiet.get("/v1/reports/ca-policy", params={"agency": "ucpd",
                                                              "format": fmt})
        assert response.status_code == 503, (fmt, response.status_code)
    portal = quiet.get("/transparency/ucpd")
    assert portal.status_code == 503, portal.status_code
    assert portal.headers["content-type"].startswith("text/html")


# -- supervision: odd input -------------------------------------------------------------


@pytest.mark.parametrize("url", [
    "/v1/supervision/operators?days=0",
    "/v1/supervision/operators?days=-5",
    "/v1/supervision/operators?days=367",
    "/v1/supervision/operators?days=" + "9" * 40,
    "/v1/supervision/operators?days=%FF%FE",
    "/v1/supervision/samples/-1",
    "/v1/supervision/samples/" + "9" * 40,
    "/v1/supervision/samples/%FF",
    "/v1/supervision/samples/" + str(2**62),
])
def test_odd_supervision_requests_get_a_4xx(world: World, url: str) -> None:
    """Promise: odd input gets a 4xx and nothing is logged for it. Attack: zero, negative,
    huge and non-UTF-8 days and sample indexes."""
    sam = world.login("sam")
    size = world.log_size()
    assert_4xx(world.api.get(url, headers=sam))
    assert world.log_size() == size


@pytest.mark.parametrize("body", [{"size": 0}, {"size": -1}, {"size": 201},
                                  {"size": 10**30}, {"size": 1, "days": 0},
                                  {"size": 1, "days": 10**30}, {"size": "1e400"},
                                  {"size": 1, "agency": "fpd"}])
def test_odd_sample_draws_get_a_4xx(world: World, body: dict[str, Any]) -> None:
    """Attack: sample sizes and windows out of range, and an ``agency`` field naming
    another agency's searches."""
    sam = world.login("sam")
    size = world.log_size()
    assert_4xx(world.api.post("/v1/supervision/samples", json=body, headers=sam))
    assert world.log_size() == size


# -- what carries reads is not cached ---------------------------------------------------


def _get_search(world: World) -> Any:
    return world.api.get("/v1/searches", headers=world.login("ivy"), params={
        "kind": "exact", "plate": world.plate, **{k: v for k, v in ASK.items()
                                                  if k != "kind"}})


@pytest.mark.parametrize("route", [
    "search",
    "audit_full",
    "hits",
    "supervision",
    "audit_export",
])
def test_answers_with_reads_or_audit_contents_are_not_kept_by_a_cache(
    world: World, route: str
) -> None:
    """Promise: the pages are ``no-store`` and so must be what their scripts fetch: a GET
    that carries reads, full audit entries, hits or a sample's reasons must not be kept
    in a browser's cache on a shared patrol-car or dispatch workstation. Attack: fetch
    each with a valid token and read ``Cache-Control``."""
    if route == "search":
        response = _get_search(world)
        assert world.plate in response.text
    elif route == "audit_full":
        found = world.search(world.login("ivy"))
        response = world.api.get(f"/v1/audit/entries/{found['audit_index']}?full=1",
                                 headers=world.login("audrey"))
        assert ASK["reason"] in response.text, response.text
    elif route == "hits":
        response = world.api.get("/v1/hits", headers=world.login("dina"))
    elif route == "supervision":
        world.search(world.login("ivy"))
        sam = world.login("sam")
        sample = world.api.post("/v1/supervision/samples", json={"size": 1},
                                headers=sam).json()
        response = world.api.get(f"/v1/supervision/samples/{sample['sample']}", headers=sam)
        assert ASK["reason"] in response.text, response.text
    else:
        world.search(world.login("ivy"))
        response = world.api.get("/v1/audit/export", params={"format": "json"},
                                 headers=world.login("audrey"))
    assert response.status_code == 200, response.text
    assert no_store(response), dict(response.headers)


# -- searches through the query form: odd input ----------------------------------------


@pytest.mark.parametrize("extra", [
    {"offset": str(10**30)}, {"offset": "-1"}, {"limit": "-1"}, {"limit": "0"},
    {"limit": str(10**30)}, {"plate": "\udcff"}, {"page_token": "A" * 5000},
    {"page_token": "%%%"}, {"since": "9" * 40},
])
def test_odd_query_form_searches_get_a_4xx(world: World, extra: dict[str, str]) -> None:
    """Promise: odd paging and values get a 4xx, never a 500, and serve no read. Attack:
    huge and negative offsets and limits, a lone surrogate, a forged page token."""
    ivy = world.login("ivy")
    params = {"kind": "exact", "plate": world.plate,
              **{k: v for k, v in ASK.items() if k != "kind"}, **extra}
    query = "&".join(f"{k}={v}" for k, v in params.items() if k != "plate" or v != "\udcff")
    if extra.get("plate") == "\udcff":
        query += "&plate=%ED%B3%BF%FF"
    quiet = TestClient(world.api.app, raise_server_exceptions=False)
    response = quiet.get(f"/v1/searches?{query}", headers=ivy)
    assert_4xx(response)
    assert world.plate not in response.text or response.status_code == 422
