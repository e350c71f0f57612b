"""Attacks on the public transparency pages, the statutory reports and the audit log's public
routes, from two sides.

1. **Someone who wants what is not public** — an anonymous visitor, or a logged-in user of
   another agency: no plate, case number, reason, officer's name or camera place reaches a
   portal, a figure (JSON or CSV), a report (JSON, CSV, HTML, PDF) or a public audit
   summary; a login adds nothing to a public answer; another agency's auditor is served no
   more of an entry than docs/audit.md says; bad input is a clear 4xx, never a 500.
2. **An auditor or a resident checking the claims** — every number on every page is
   recomputed here from a world built through the real API: searches allowed, partly
   denied and wholly denied, an export, hot-list hits delivered and withheld, a supervisor's
   sign-off, by three agencies; period boundaries at local midnight across a change of
   daylight-saving time.

The world (built once, over the real app, a SQLite catalog and the session's chDB store):

- `ucpd` (Union City, CA) and `fpd` (Fremont, CA), municipal; `ice` (a federal unit in CA).
  Fremont shares with Union City by agreement (search, alert, export; stolen vehicle and
  homicide; a case number required).
- Reads: `7UCSEEN` twice by Union City's camera and once by Fremont's.
- Searches (all of `7UCSEEN`):
  S1 Union City's investigator, stolen vehicle, NIBRS 240, a case number: Union City and
  Fremont release, 3 reads;
  S2 the same investigator, homicide, 09A, no case number: Fremont (case number required)
  denies, 2 reads;
  E1 the same investigator exports S1's question: 3 reads;
  S3 the federal investigator: every owner denies, 0 reads;
  S4 Union City's auditor (the role pack refuses auditors a search): every owner denies;
  S5 Fremont's investigator: Union City denies, 1 read.
- Union City's admin adds a camera (its name and place) and a user over the API.
- Hot lists: Union City and Fremont each list `7HOTHOT`. Union City's camera reads it:
  Union City's own list is alerted, Fremont's hit is withheld (no agreement). Fremont's
  camera reads it: Fremont's own list is alerted, and Union City's (by the agreement).
- Union City's supervisor draws a sample of all its accesses (S1, S2, E1, S4) and signs it
  off, a finding for each.

Every public answer is captured right after the world is built (`World.snapshot`); tests
that add to the world afterwards look at what changed. A test marked xfail is a defect
found (its reason names it); the rest hold and stay as regression tests.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi.testclient import TestClient

from plateledger.api.app import create_app
from plateledger.audit import AuditLog, new_entry
from plateledger.catalog import Catalog, open_catalog
from plateledger.catalog.passwords import FAST
from plateledger.settings import Settings
from plateledger.store import ReadStore
from plateledger.transparency.disclosure import NOT_PUBLISHED
from tests.api.conftest import PASSWORD, add_staff, login_once
from tests.conftest import _empty
from tests.factories import make_read

LA = ZoneInfo("America/Los_Angeles")
PLATE, HOT = "7UCSEEN", "7HOTHOT"
CASE, REASON = "UC-SECRET-0912", "grey sedan seen leaving the burglary on Elm"
HOT_CASE, HOT_REASON = "HOT-CASE-4471", "red pickup taken from the Alvarado lot"
CAMERA_NAME, CAMERA_LAT, CAMERA_LON = "Alvarado Blvd northbound", 37.5912, -122.0437
NEW_CAMERA = {"camera_id": "ucpd-cam-2", "name": "Decoto Rd at Alvarado-Niles",
              "lat": 37.6001, "lon": -122.0581, "heading": 90}
NEW_USER = "ucpd-newbie"
ROLES = {"admin": ["admin"], "inv": ["investigator"], "sup": ["supervisor"],
         "aud": ["auditor"]}
USERS = [f"{slug}-{suffix}" for slug in ("ucpd", "fpd", "ice") for suffix in ROLES]
SECRETS = (PLATE, HOT, CASE, REASON, HOT_CASE, HOT_REASON, CAMERA_NAME, str(CAMERA_LAT),
           str(CAMERA_LON), str(NEW_CAMERA["name"]), str(NEW_CAMERA["lat"]),
           str(NEW_CAMERA["lon"]), NEW_USER, *USERS)
FIGURES = ("searches_by_day", "searches_by_purpose", "searches_by_offense", "partners",
           "decisions_by_requester_class", "withheld_alerts_by_list_class", "hotlist_sources")
REPORT_CODES = ("ca-policy", "va-annual", "or-monthly", "or-quarterly", "mn-audit",
                "vt-annual", "nh-annual")
PUBLIC_SUMMARY = {"type", "v", "time", "log_index", "agencies", "released", "denied",
                  "purpose", "result_count", "later_page", "alarm", "read_owner", "list_class"}
"""The fields of the `public` view (docs/audit.md, *Who sees what*)."""
DENIED_VIEW = {"type", "v", "time", "log_index", "user", "agency", "requested_by_agency",
               "purpose", "denied", "search_id", "requesting_node", "requesting_key_id",
               "requesting_audit_index"}
"""The fields of the `denied` view (docs/audit.md, *Who sees what*)."""


@dataclass
class World:
    client: TestClient
    ids: dict[str, int]
    secrets: dict[str, str]
    index: dict[str, int] = field(default_factory=dict)
    """Audit index of each event of the world (S1 … S5, E1)."""
    tokens: dict[str, dict[str, str]] = field(default_factory=dict)
    snapshot: dict[str, Any] = field(default_factory=dict)
    days: tuple[str, str] = ("", "")
    """The report period that holds the whole world: yesterday and today in California."""

    @property
    def log(self) -> AuditLog:
        log: AuditLog = self.client.app.state.audit_log  # type: ignore[attr-defined]
        return log

    @property
    def catalog(self) -> Catalog:
        catalog: Catalog = self.client.app.state.catalog  # type: ignore[attr-defined]
        return catalog

    @property
    def store(self) -> ReadStore:
        store: ReadStore = self.client.app.state.store  # type: ignore[attr-defined]
        return store

    def login(self, user: str) -> dict[str, str]:
        return login_once(self.client, user, self.secrets, self.tokens)

    def get(self, path: str, user: str | None = None, **params: Any) -> Any:
        return self.client.get(path, params=params, headers=self.login(user) if user else {})

    def post(self, user: str, path: str, body: Any) -> Any:
        return self.client.post(path, json=body, headers=self.login(user))

    def search(self, user: str, path: str = "/v1/searches", **body: Any) -> dict[str, Any]:
        payload = {"kind": "exact", "params": {"plate": PLATE}, "purpose": "stolen_vehicle",
                   "offense_type": "240", "case_number": CASE, "reason": REASON} | body
        response = self.post(user, path, payload)
        assert response.status_code == 200, response.text
        if path == "/v1/exports":
            return {"audit_index": self.log.size() - 1}
        return dict(response.json())

    def portal(self, slug: str, **params: Any) -> dict[str, Any]:
        response = self.get(f"/v1/transparency/agencies/{slug}", **params)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def report(self, code: str, slug: str, **params: Any) -> Any:
        start, end = self.days
        response = self.get(f"/v1/reports/{code}", agency=slug, start=start, end=end,
                            **params)
        assert response.status_code == 200, response.text
        return response.json() if params.get("format", "json") == "json" else response


def _elements(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["key"]: e for e in report["elements"]}


def _seed(settings: Settings) -> tuple[dict[str, int], dict[str, str], dict[str, str]]:
    catalog = open_catalog(settings, password_hasher=FAST)
    ids: dict[str, int] = {}
    secrets: dict[str, str] = {}
    keys: dict[str, str] = {}
    try:
        for slug, name, kind in [("ucpd", "Union City PD", "municipal"),
                                 ("fpd", "Fremont PD", "municipal"),
                                 ("ice", "ICE ERO San Francisco", "federal")]:
            agency = catalog.add_agency(name, slug, kind, "CA")
            ids[slug] = agency.id
            add_staff(catalog, agency.id, slug, ROLES, secrets)
            catalog.add_camera(f"{slug}-cam-1", agency.id, name=CAMERA_NAME,
                               lat=CAMERA_LAT, lon=CAMERA_LON)
            keys[slug] = catalog.issue_api_key(agency.id, f"{slug}-cam-1")
        catalog.add_agreement(ids["fpd"], ids["ucpd"], actions=("search", "alert", "export"),
                              purposes=("stolen_vehicle", "homicide"), created_by="fpd-admin",
                              case_number_required=True)
    finally:
        catalog.close()
    return ids, secrets, keys


def _wait_for(log: AuditLog, kind: str, count: int) -> None:
    """Until the log holds ``count`` entries of ``kind`` (hits are delivered after the
    reads are stored)."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        found = sum(1 for r in log.entries(0, log.size()) if r.entry.get("type") == kind)
        if found >= count:
            return
        time.sleep(0.05)
    raise AssertionError(f"fewer than {count} `{kind}` entries after 20 s")


def _build(w: World, keys: dict[str, str]) -> None:
    now = datetime.now(UTC)
    # two changes an admin makes over the API: logged, never public in content
    added = w.post("ucpd-admin", "/v1/admin/cameras", NEW_CAMERA)
    assert added.status_code == 201, added.text
    user = w.post("ucpd-admin", "/v1/admin/users",
                  {"username": NEW_USER, "password": PASSWORD, "roles": ["dispatcher"]})
    assert user.status_code == 201, user.text
    w.store.insert_reads([
        make_read(PLATE, camera="ucpd-cam-1", owner=w.ids["ucpd"], minutes_ago=30, now=now),
        make_read(PLATE, camera="ucpd-cam-1", owner=w.ids["ucpd"], minutes_ago=20, now=now),
        make_read(PLATE, camera="fpd-cam-1", owner=w.ids["fpd"], minutes_ago=25, now=now),
    ])
    s1 = w.search("ucpd-inv")
    assert s1["total"] == 3, s1
    w.index["S1"] = s1["audit_index"]
    s2 = w.search("ucpd-inv", purpose="homicide", offense_type="09A", case_number=None)
    assert s2["total"] == 2, s2  # Fremont's agreement needs a case number
    w.index["S2"] = s2["audit_index"]
    w.index["E1"] = w.search("ucpd-inv", "/v1/exports", format="csv")["audit_index"]
    assert w.log.entry(w.index["E1"]).entry["type"] == "export"
    s3 = w.search("ice-inv")
    # (the federal unit's own data, no state's, is its own to search: it holds none)
    assert s3["total"] == 0, s3
    assert [o["agency"] for o in s3["owners"] if o["allowed"]] == ["ice"], s3
    w.index["S3"] = s3["audit_index"]
    s4 = w.search("ucpd-aud")
    assert s4["total"] == 0 and not any(o["allowed"] for o in s4["owners"]), s4
    w.index["S4"] = s4["audit_index"]
    s5 = w.search("fpd-inv")
    assert s5["total"] == 1, s5
    w.index["S5"] = s5["audit_index"]
    for slug in ("ucpd", "fpd"):
        listed = w.post(f"{slug}-admin", "/v1/hotlists", {
            "name": "stolen", "category": "stolen_vehicle", "file_type": "ncic_stolen_vehicle",
            "entries": [{"plate": HOT, "case_number": HOT_CASE, "reason": HOT_REASON}]})
        assert listed.status_code == 201, listed.text
    for slug, minutes in (("ucpd", 5), ("fpd", 4)):
        read = {"camera_id": f"{slug}-cam-1", "plate": HOT, "confidence": 0.95,
                "ts": (datetime.now(UTC) - timedelta(minutes=minutes)).isoformat(),
                "lat": CAMERA_LAT, "lon": CAMERA_LON}
        posted = w.client.post("/v1/reads", json=[read], headers={"X-API-Key": keys[slug]})
        assert posted.status_code == 200 and len(posted.json()["accepted"]) == 1, posted.text
    _wait_for(w.log, "alert_delivery", 3)
    _wait_for(w.log, "alert_withheld", 1)
    drawn = w.post("ucpd-sup", "/v1/supervision/samples", {"size": 10})
    assert drawn.status_code == 201, drawn.text
    sample = drawn.json()  # the whole pool: Union City's searches and its export
    assert sorted(i["index"] for i in sample["items"]) == sorted(
        w.index[k] for k in ("S1", "S2", "E1", "S4"))
    w.index["SAMPLE"] = sample["sample"]
    findings = {str(i["index"]): "justified" for i in sample["items"]}
    signed = w.post("ucpd-sup", f"/v1/supervision/samples/{sample['sample']}/review",
                    {"findings": findings})
    assert signed.status_code == 201, signed.text


def _snapshot(w: World) -> None:
    today = datetime.now(LA).date()
    w.days = ((today - timedelta(days=1)).isoformat(), today.isoformat())
    snap: dict[str, Any] = {"portal": {}, "reports": {}}
    for slug in w.ids:
        snap["portal"][slug] = w.portal(slug)
        for code in REPORT_CODES:
            snap["reports"][(code, slug)] = w.report(code, slug)
    snap["counts"] = w.get("/v1/audit/counts").json()
    snap["two_days"] = w.portal("ucpd", days=2)
    w.snapshot = snap


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, store_path: Path) -> Iterator[World]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("attacks") / "data",
                        store_path=store_path, secret_key="k" * 32, require_totp=True)
    ids, secrets, keys = _seed(settings)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        w = World(client, ids, secrets)
        _empty(w.store)  # the session's one store: other tests' reads share owner ids
        try:
            _build(w, keys)
            _snapshot(w)
            yield w
        finally:
            _empty(w.store)


# --- 2. Every number, recomputed from what happened ----------------------------------------


def test_each_agencys_searches_are_counted_once_with_their_purposes_and_reads(
    world: World,
) -> None:
    """Promise (docs/transparency.md): `searches` and the tables by day, purpose and
    offense count the searches the agency's own users ran — once each, a denied one too,
    never another agency's search of its data (an export is its own entry: it counts in the
    owners' `partners`, not here) — and `reads_matched` adds the reads each matched."""
    ucpd, fpd, ice = (world.snapshot["portal"][s] for s in ("ucpd", "fpd", "ice"))
    # S1 (3 reads), S2 (2), S4 (the auditor's, refused: 0); not E1, not S3/S5
    assert (ucpd["searches"], ucpd["reads_matched"]) == (3, 5)
    assert ucpd["figures"]["searches_by_purpose"]["rows"] == [
        ["stolen_vehicle", 2, 3], ["homicide", 1, 2]]
    # today's three are not counted by offense type until the day ends (and then only in
    # cells of five): a count that moves with one search would name its offense
    assert ucpd["figures"]["searches_by_offense"]["rows"] == [[NOT_PUBLISHED, 3]]
    assert (fpd["searches"], fpd["reads_matched"]) == (1, 1)
    assert fpd["figures"]["searches_by_purpose"]["rows"] == [["stolen_vehicle", 1, 1]]
    assert (ice["searches"], ice["reads_matched"]) == (1, 0)
    for body, total in ((ucpd, 3), (fpd, 1), (ice, 1)):
        rows = body["figures"]["searches_by_day"]["rows"]
        assert len(rows) == 30 and sum(r[1] for r in rows) == total
        assert rows[-1][0] == datetime.now(LA).date().isoformat()
    # every search entry of the log is one agency's, once: the public counts agree
    counts = world.snapshot["counts"]
    assert counts["by_type"]["search"] == 5 == sum(
        world.snapshot["portal"][s]["searches"] for s in world.ids)
    assert counts["by_type"]["export"] == 1


def test_hits_alerts_and_withheld_hits_are_counted_where_they_happened(world: World) -> None:
    """Promise: `hits` are the hits on the agency's reads, `hotlist_alerts` the alerts its
    own lists received, `alerts_withheld` the hits on its reads kept from another agency's
    list; `hit_ratio` is hits over the reads its cameras took in the window."""
    ucpd, fpd, ice = (world.snapshot["portal"][s] for s in ("ucpd", "fpd", "ice"))
    assert (ucpd["hits"], ucpd["hotlist_alerts"], ucpd["alerts_withheld"]) == (1, 2, 1)
    assert (fpd["hits"], fpd["hotlist_alerts"], fpd["alerts_withheld"]) == (2, 1, 0)
    assert (ice["hits"], ice["hotlist_alerts"], ice["alerts_withheld"]) == (0, 0, 0)
    assert (ucpd["vehicles_detected"], fpd["vehicles_detected"], ice["vehicles_detected"]) \
        == (3, 2, 0)
    assert (ucpd["cameras_owned"], fpd["cameras_owned"], ice["cameras_owned"]) == (2, 1, 1)
    assert ucpd["hit_ratio"] == round(1 / 3, 6)
    assert fpd["hit_ratio"] == 1.0
    assert ice["hit_ratio"] is None
    assert ucpd["figures"]["withheld_alerts_by_list_class"]["rows"] == [["stolen_vehicle", 1]]
    assert ucpd["figures"]["hotlist_sources"]["rows"] == [
        ["stolen_vehicle", "stolen_vehicle", 2]]
    assert fpd["figures"]["hotlist_sources"]["rows"] == [
        ["stolen_vehicle", "stolen_vehicle", 1]]
    by_day = {r[0]: r[1:] for r in ucpd["figures"]["searches_by_day"]["rows"]}
    assert sum(v[1] for v in by_day.values()) == 1 and sum(v[2] for v in by_day.values()) == 2
    counts = world.snapshot["counts"]
    assert counts["withheld_hits"] == [
        {"read_owner": "ucpd", "list_class": "stolen_vehicle", "count": 1}]
    assert counts["by_type"]["alert_delivery"] == 3


def test_sharing_decisions_are_counted_per_owner_released_and_denied(world: World) -> None:
    """Promise: `partners` and `decisions_by_requester_class` are the decisions the log
    records on this agency's data: each access by another agency released or denied, an
    export and an alert delivered to another agency's list included; a hit withheld is
    counted as withheld, not as a denial."""
    ucpd, fpd, ice = (world.snapshot["portal"][s] for s in ("ucpd", "fpd", "ice"))
    # Fremont's data: released to Union City by S1, E1 and the alert on Fremont's read;
    # denied to it by S2 (no case number) and S4 (its auditor); denied to the unit by S3
    assert fpd["figures"]["partners"]["rows"] == [
        ["ice", "federal", 0, 1], ["ucpd", "municipal", 3, 2]]
    assert fpd["figures"]["decisions_by_requester_class"]["rows"] == [
        ["federal", 0, 1], ["municipal", 3, 2]]
    assert (fpd["accesses_released_to_others"], fpd["accesses_denied_to_others"]) == (3, 3)
    # Union City's data: denied to the unit (S3) and to Fremont (S5); the withheld hit is not
    # a denial
    assert ucpd["figures"]["partners"]["rows"] == [
        ["fpd", "municipal", 0, 1], ["ice", "federal", 0, 1]]
    assert (ucpd["accesses_released_to_others"], ucpd["accesses_denied_to_others"]) == (0, 2)
    # the unit shares with no one: every other agency's access was denied
    assert ice["figures"]["partners"]["rows"] == [
        ["fpd", "municipal", 0, 1], ["ucpd", "municipal", 0, 4]]
    # who may reach Fremont's data today: Union City alone, by the agreement's actions
    [partner] = fpd["agencies_with_access"]
    assert (partner["name"], partner["class"]) == ("Union City PD", "municipal")
    assert {"search_exact", "export", "receive_alert"} <= set(partner["actions"])
    assert ucpd["agencies_with_access"] == [] and ice["agencies_with_access"] == []


def test_the_reports_agree_with_the_portal_and_with_what_happened(world: World) -> None:
    """Promise (docs/reports.md): every `audit log` figure of a report is the log's, over
    the period in the agency's days; the same searches, hits and decisions as the portal."""
    reports = world.snapshot["reports"]
    ca = _elements(reports[("ca-policy", "ucpd")])
    assert ca["monitoring"]["value"] == "3 searches logged; 1 supervisor review signed off"
    assert ca["access_log"]["figure"]["rows"] == [["stolen_vehicle", 3], ["homicide", 1]]
    assert ca["accuracy"]["value"] == 1
    assert ca["sharing_released"]["figure"]["rows"] == []
    assert ca["sharing_denied"]["figure"]["rows"] == [["federal", 1], ["municipal", 1]]
    fremont = _elements(reports[("ca-policy", "fpd")])
    assert fremont["sharing_released"]["figure"]["rows"] == [["municipal", 3]]
    assert fremont["sharing_denied"]["figure"]["rows"] == [["municipal", 2], ["federal", 1]]
    va = _elements(reports[("va-annual", "ucpd")])
    assert (va["queries"]["value"], va["queries_with_justification"]["value"]) == (3, 0)
    assert va["hits"]["figure"]["rows"] == [["stolen_vehicle", 1]]
    oregon = _elements(reports[("or-monthly", "ucpd")])
    assert oregon["offense_types"]["figure"]["rows"] == [[NOT_PUBLISHED, 3]]
    assert oregon["with_case"]["value"] == 0
    assert _elements(reports[("vt-annual", "ucpd")])["readers"]["value"] == 2
    vt = _elements(reports[("vt-annual", "fpd")])
    assert (vt["requests_granted"]["value"], vt["requests_denied"]["value"]) == (3, 3)
    assert vt["alerts"]["value"] == 2
    mn = _elements(reports[("mn-audit", "ucpd")])
    assert mn["plates_collected"]["value"] == 2  # 7UCSEEN and 7HOTHOT
    assert [r[0] for r in mn["active_times"]["figure"]["rows"]] == ["ucpd-cam-1"]
    assert mn["active_times"]["figure"]["rows"][0][-1] == 3
    nh = _elements(reports[("nh-annual", "fpd")])
    assert nh["matches"]["value"] == 2 and nh["matches_per_device"]["value"] == 2
    assert nh["matches_per_device"]["figure"]["rows"] == [["fpd-cam-1", 2]]
    # the portal over the same two days says the same
    two_days = world.snapshot["two_days"]
    assert ca["monitoring"]["value"].startswith(f"{two_days['searches']} searches logged")
    assert two_days["hits"] == ca["accuracy"]["value"]


def test_an_export_counts_among_the_access_records_a_report_declares(world: World) -> None:
    """Promise (docs/reports.md): the California report carries 'the count of access
    records 1798.90.52 asks for'; an export of reads is such an access (docs/audit.md: an
    *access* is a search, export, image view or alert)."""
    ca = _elements(world.snapshot["reports"][("ca-policy", "ucpd")])
    mn = _elements(world.snapshot["reports"][("mn-audit", "ucpd")])
    assert ca["access_log"]["value"] == 4  # S1, S2, S4 and the export E1
    assert mn["accesses"]["value"] == 4


def test_the_oregon_report_counts_the_searches_its_supervisors_reviewed(world: World) -> None:
    """Promise: a report's number means what its label says. Union City's supervisor signed
    off a sample of its three searches and its export, a finding for each."""
    oregon = _elements(world.snapshot["reports"][("or-monthly", "ucpd")])
    assert oregon["reviews"]["label"] == "Searches reviewed by supervisors"
    assert oregon["reviews"]["value"] == 4


def test_the_csv_of_a_report_carries_the_times_of_day_readers_collected(
    world: World,
) -> None:
    """Promise (docs/reports.md): a report is served as JSON, CSV, HTML or PDF; Minnesota's
    'Times of day readers actively collected data' gives, per camera, the hours of the day
    as ranges (`00:00-03:00, 07:00-08:00`)."""
    data = world.report("mn-audit", "ucpd")
    hours = _elements(data)["active_times"]["figure"]["rows"][0][1]
    assert re.fullmatch(r"\d\d:00-\d\d:00(, \d\d:00-\d\d:00)*", hours), hours
    assert hours in world.report("mn-audit", "ucpd", format="html").text
    text = world.report("mn-audit", "ucpd", format="csv").text
    rows = [r for r in csv.DictReader(io.StringIO(text))
            if r["element"] == "active_times" and r["key"] == "ucpd-cam-1"]
    assert rows, text
    assert any(hours in ",".join(r.values()) for r in rows), rows


def test_a_federal_request_through_a_local_officer_is_counted_as_federal(
    world: World,
) -> None:
    """Promise (README: 'a California city's data never reaches a federal immigration unit,
    directly, through a local officer acting for it …'; docs/transparency.md: `partners`
    and `decisions_by_requester_class` say which agencies asked for this agency's data and
    were released it or denied, by requester class). Union City's investigator searches
    for the federal unit (`requested_by`: `ice`); every California owner denies it."""
    before = {s: world.portal(s) for s in ("ucpd", "fpd")}
    answer = world.search("ucpd-inv", requested_by="ice")
    assert answer["total"] == 0
    assert all("ca-civ-1798.90.55b-no-federal" in o["policy_ids"] for o in answer["owners"]
               if o["agency"] in ("ucpd", "fpd"))
    entry = world.log.entry(answer["audit_index"]).entry
    assert (entry["agency"], entry["requested_by_agency"]) == ("ucpd", "ice")
    after = {s: world.portal(s) for s in ("ucpd", "fpd")}

    def federal_denied(body: dict[str, Any]) -> int:
        rows = body["figures"]["decisions_by_requester_class"]["rows"]
        return sum(r[2] for r in rows if r[0] == "federal")

    def denied_to_ice(body: dict[str, Any]) -> int:
        return sum(r[3] for r in body["figures"]["partners"]["rows"] if r[0] == "ice")

    assert federal_denied(after["fpd"]) == federal_denied(before["fpd"]) + 1
    assert denied_to_ice(after["fpd"]) == denied_to_ice(before["fpd"]) + 1
    assert denied_to_ice(after["ucpd"]) == denied_to_ice(before["ucpd"]) + 1


def _effective_non_hit_days(world: World, agency_id: int) -> float:
    """The non-hit clock the server enforces for ``agency_id``, as its retention API says
    (`GET /v1/retention/policies`: the strictest of the packs and the agency's setting)."""
    policies = world.get("/v1/retention/policies", "ucpd-sup")
    assert policies.status_code == 200, policies.text
    return float(policies.json()["policies"][str(agency_id)]["non_hit_s"]) / 86400


def test_the_published_retention_is_the_clock_the_server_enforces(world: World) -> None:
    """Promise (docs/transparency.md: `retention` from 'the catalog's agency settings and
    the packs' retention presets'; docs/retention.md: the strictest clock applies)."""
    agency = world.catalog.add_agency("Arlington PD", "apd", "municipal", "VA",
                                      retention_nonhit_days=60)
    enforced = _effective_non_hit_days(world, agency.id)
    assert enforced == 21
    assert world.portal("apd")["retention"]["non_hit_days"] == enforced
    va = _elements(world.report("va-annual", "apd"))
    assert va["retention"]["value"] == "21 days (non-hit reads)"


def test_the_published_retention_names_the_default_clock_when_no_one_sets_one(
    world: World,
) -> None:
    """Promise: the retention a portal publishes is the one that applies (docs/retention.md:
    'Where neither a pack nor the agency sets a clock, the platform default applies')."""
    enforced = _effective_non_hit_days(world, world.ids["ucpd"])
    assert enforced == 30
    assert world.snapshot["portal"]["ucpd"]["retention"]["non_hit_days"] == enforced


def test_a_report_period_runs_midnight_to_midnight_local_across_a_dst_change(
    world: World,
) -> None:
    """Promise (docs/reports.md, *Time zone*): a period runs from midnight to midnight in
    the agency's zone, both days included, and an entry or a read belongs to the day of its
    time there. On 2025-11-02 California falls back: the day has 25 hours, from 07:00 UTC
    to 08:00 UTC the next day, and 01:30 happens twice."""
    agency = world.catalog.add_agency("Daylight PD", "dst", "municipal", "CA")
    world.catalog.add_camera("dst-cam-1", agency.id, lat=37.6, lon=-122.0)
    instants = {
        "2025-11-02T06:59:59.999Z": "2025-11-01",  # 23:59:59.999 PDT
        "2025-11-02T07:00:00.000Z": "2025-11-02",  # 00:00 PDT
        "2025-11-02T08:30:00.000Z": "2025-11-02",  # 01:30 PDT
        "2025-11-02T09:30:00.000Z": "2025-11-02",  # 01:30 PST
        "2025-11-03T07:59:59.999Z": "2025-11-02",  # 23:59:59.999 PST
        "2025-11-03T08:00:00.000Z": "2025-11-03",  # 00:00 PST
    }
    for n, stamp in enumerate(instants):
        world.log.append(new_entry(
            "search", agency="dst", requested_by_agency="dst", user="dst-x", kind="exact",
            purpose="homicide", offense_type="09A", owners_allowed=["dst"], owners_denied=[],
            result_count=1) | {"time": stamp})
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        world.store.insert_reads([make_read(f"DST{n:04d}", camera="dst-cam-1", owner=agency.id,
                                            now=moment, minutes_ago=0, keep_days=3650)])

    def report(code: str, start: str, end: str) -> dict[str, dict[str, Any]]:
        response = world.get(f"/v1/reports/{code}", agency="dst", start=start, end=end)
        assert response.status_code == 200, response.text
        assert response.json()["period"]["timezone"] == "America/Los_Angeles"
        return _elements(response.json())

    for day in ("2025-11-01", "2025-11-02", "2025-11-03"):
        expected = sum(1 for d in instants.values() if d == day)
        assert report("ca-policy", day, day)["access_log"]["value"] == expected, day
        assert report("mn-audit", day, day)["plates_collected"]["value"] == expected, day
    assert report("ca-policy", "2025-11-01", "2025-11-03")["access_log"]["value"] == 6
    active = report("mn-audit", "2025-11-02", "2025-11-02")["active_times"]["figure"]["rows"]
    assert active == [["dst-cam-1", "00:00-02:00, 23:00-24:00", 3, 1, 4]]


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _inclusion_root(index: int, size: int, leaf: bytes, proof: list[bytes]) -> bytes | None:
    """The root an RFC 9162 §2.1.3.2 inclusion proof leads to (None: malformed)."""
    if index >= size:
        return None
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = _node(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = _node(r, p)
        fn, sn = fn >> 1, sn >> 1
    return r if sn == 0 else None


def _consistent(first: int, second: int, old: bytes, new: bytes, proof: list[bytes]) -> bool:
    """RFC 9162 §2.1.4.2: ``proof`` shows the tree of ``second`` extends that of ``first``."""
    if first == second:
        return not proof and old == new
    if first == 0 or first > second or (not proof and first & (first - 1)):
        return False
    if first & (first - 1) == 0:
        proof = [old, *proof]
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = _node(c, fr), _node(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            sr = _node(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == old and sr == new


def _check_note(note: str, verifier_key: str) -> tuple[int, bytes]:
    """The size and root of a C2SP signed checkpoint, its Ed25519 signature checked against
    ``verifier_key`` (``name+keyid+base64(0x01 || key)``) by this test's own code."""
    text, _, signatures = note.partition("\n\n")
    name, key_hex, material = verifier_key.strip().split("+", 2)
    public = base64.b64decode(material)[1:]
    key_id = hashlib.sha256(name.encode() + b"\n\x01" + public).digest()[:4]
    assert key_id.hex() == key_hex
    lines = [line for line in signatures.splitlines() if line.startswith(f"— {name} ")]
    assert lines, note
    signature = base64.b64decode(lines[0].split(" ")[2])
    assert signature[:4] == key_id
    Ed25519PublicKey.from_public_bytes(public).verify(signature[4:], (text + "\n").encode())
    origin, size, root = text.split("\n")
    assert origin == name
    return int(size), base64.b64decode(root)


def test_the_checkpoint_and_proofs_a_portal_points_to_verify_by_hand(world: World) -> None:
    """Promise (docs/audit.md, *How to check the log yourself*; every portal's `checkpoint`):
    the checkpoint is an Ed25519 C2SP signed note under the served verifier key; an inclusion
    proof puts a search's leaf under it; a consistency proof shows today's log extends it;
    and the entry an auditor of the searching agency reads hashes to that leaf
    (SHA-256(0x00 || RFC 8785 JSON)). Checked with this test's own RFC 9162 code."""
    key = world.get("/v1/audit/key").text
    published = world.snapshot["portal"]["fpd"]["checkpoint"]
    size, root = _check_note(published["note"], key)
    assert (size, base64.b64encode(root).decode()) == (published["size"],
                                                       published["root_hash"])
    s1 = world.index["S1"]
    proof = world.get("/v1/audit/proof/inclusion", index=s1, size=size).json()
    leaf = base64.b64decode(proof["leaf_hash"])
    path = [base64.b64decode(p) for p in proof["proof"]]
    assert _inclusion_root(s1, size, leaf, path) == root
    assert _inclusion_root(s1, size, hashlib.sha256(b"\x00forged").digest(), path) != root
    listed = world.get(f"/v1/audit/entries/{s1}").json()
    assert listed["leaf_hash"] == proof["leaf_hash"]
    full = world.get(f"/v1/audit/entries/{s1}", "ucpd-aud", full=1).json()
    assert full["view"] == "full"
    recomputed = hashlib.sha256(b"\x00" + rfc8785.dumps(full["entry"])).digest()
    assert recomputed == leaf
    current_size, current_root = _check_note(world.get("/v1/audit/checkpoint").text, key)
    assert current_size > size  # the reading above was itself logged
    consistency = world.client.get("/v1/audit/proof/consistency",
                                   params={"from": size, "to": current_size}).json()
    hashes = [base64.b64decode(p) for p in consistency["proof"]]
    assert _consistent(size, current_size, root, current_root, hashes)
    assert not _consistent(size, current_size, hashlib.sha256(b"x").digest(), current_root,
                           hashes)


# --- 1. Nothing that is not public ---------------------------------------------------------


def _public_texts(world: World, slug: str) -> dict[str, str]:
    """Every public answer about ``slug``: its page, its JSON, each figure as JSON and CSV,
    and every report in every format."""
    texts = {
        "page": world.get(f"/transparency/{slug}").text,
        "json": world.get(f"/v1/transparency/agencies/{slug}").text,
    }
    for figure in FIGURES:
        for fmt in ("json", "csv"):
            response = world.get(f"/v1/transparency/agencies/{slug}/figures/{figure}",
                                 format=fmt)
            assert response.status_code == 200, response.text
            texts[f"{figure}.{fmt}"] = response.text
    for code in REPORT_CODES:
        for fmt in ("json", "csv", "html", "pdf"):
            if fmt == "json":
                texts[f"{code}.{fmt}"] = repr(world.report(code, slug))
                continue
            response = world.report(code, slug, format=fmt)
            texts[f"{code}.{fmt}"] = (
                response.content.decode("latin-1") if fmt == "pdf" else response.text)
    return texts


def test_no_public_answer_names_a_plate_case_reason_officer_or_camera_place(
    world: World,
) -> None:
    """Promise (docs/transparency.md, *The public facts*; docs/web.md): no plate, case
    number, reason, officer's name (the agencies publish none) or camera's place or name
    appears on a portal, its JSON, a figure's CSV, a report in any format, the public
    audit entries or their counts."""
    texts: dict[str, str] = {}
    for slug in world.ids:
        texts |= {f"{slug}:{k}": v for k, v in _public_texts(world, slug).items()}
    size = world.log.size()
    for start in range(0, size, 1000):
        texts[f"entries@{start}"] = world.get("/v1/audit/entries", start=start,
                                              limit=1000).text
    for path in ("/v1/audit/counts", "/transparency", "/reports", "/v1/reports",
                 "/v1/transparency/agencies"):
        texts[path] = world.get(path).text
    leaks = [(where, secret) for where, text in texts.items() for secret in SECRETS
             if secret in text]
    assert leaks == []
    page = texts["ucpd:page"]
    assert "by the day in America/Los_Angeles" in page
    for slug in world.ids:  # /transparency links every portal, /reports every agency
        assert f'href="/transparency/{slug}"' in texts["/transparency"]
        assert slug in texts["/reports"]


def test_one_search_cannot_be_singled_out_by_differencing_public_answers(
    world: World,
) -> None:
    """Promise (docs/audit.md, *Who sees what*: the public view of a search is its type,
    time, agencies, released, denied, purpose and result count — not its offense type nor
    whether it named a case number; brief: no count may single out one search). A visitor
    reads the portal and today's Oregon report, a Union City officer runs one search
    (offense 13B, no case number), the visitor reads them and the public log again.
    (A one-day report of a past day with one search: tests/transparency/test_disclosure.py.)
    """
    # yesterday to tomorrow (Union City's days): the search falls inside even if a
    # midnight passes during the test
    today = {"agency": "ucpd", "start": world.days[0],
             "end": (date.fromisoformat(world.days[1]) + timedelta(days=2)).isoformat()}

    def oregon() -> tuple[int, dict[str, int]]:
        body = world.get("/v1/reports/or-monthly", **today).json()
        found = {e["key"]: e for e in body["elements"]}
        rows = found["offense_types"]["figure"]["rows"]
        return found["with_case"]["value"], {r[0]: r[1] for r in rows}

    before, report_before = world.portal("ucpd"), oregon()
    size = world.log.size()
    world.search("ucpd-inv", offense_type="13B", case_number=None)
    after, report_after = world.portal("ucpd"), oregon()
    new = [e for e in world.get("/v1/audit/entries", start=size).json()["entries"]
           if e["summary"]["type"] == "search"]
    assert len(new) == 1 and "offense_type" not in new[0]["summary"]

    def offenses(body: dict[str, Any]) -> dict[str, int]:
        return {r[0]: r[1] for r in body["figures"]["searches_by_offense"]["rows"]}

    grown = {k: n - offenses(before).get(k, 0) for k, n in offenses(after).items()
             if n != offenses(before).get(k, 0)}
    # what the public would know of entry new[0]["index"]: its NIBRS offense
    assert grown != {"13B": 1}, f"entry {new[0]['index']} was a 13B search"
    assert "13B" not in offenses(after)
    assert grown == {NOT_PUBLISHED: 1}  # the search is counted, as one of those left out
    # in the report of these days, neither its offense nor its case number moved
    assert report_after[0] == report_before[0]
    assert {k: n - report_before[1].get(k, 0) for k, n in report_after[1].items()
            if n != report_before[1].get(k, 0)} == {NOT_PUBLISHED: 1}


def test_a_public_summary_holds_only_the_documented_fields(world: World) -> None:
    """Promise (docs/audit.md, *Who sees what*): without a login every entry is served as
    its public summary — type, time, agencies, released, denied, purpose, result count,
    alarm, a withheld hit's read owner and list class — and nothing else."""
    entries = world.get("/v1/audit/entries", limit=1000).json()["entries"]
    assert len(entries) == world.log.size()
    for item in entries:
        assert set(item) == {"index", "leaf_hash", "summary"}
        extra = set(item["summary"]) - PUBLIC_SUMMARY
        assert extra == set(), (item["index"], extra)
    s1 = entries[world.index["S1"]]["summary"]
    assert (s1["released"], s1["denied"], s1["result_count"]) == (["fpd", "ucpd"], ["ice"], 3)


def test_a_login_adds_nothing_to_a_public_answer(world: World) -> None:
    """Promise: the portals and reports are public documents — the same to everyone. A
    token of another agency's auditor or of the agency's own auditor changes no byte of
    them (beyond the time the answer was computed)."""

    def body(user: str | None) -> dict[str, Any]:
        found = dict(world.get("/v1/transparency/agencies/ucpd", user).json())
        found.pop("generated_at")
        return found

    anonymous = body(None)
    assert body("fpd-aud") == anonymous
    assert body("ucpd-aud") == anonymous
    assert "searches_by_officer" not in anonymous["figures"]
    start, end = world.days
    params = {"agency": "ucpd", "start": start, "end": end, "format": "csv"}
    assert world.get("/v1/reports/ca-policy", "ice-aud", **params).text == world.get(
        "/v1/reports/ca-policy", **params).text


def test_another_agencys_auditor_is_served_no_more_than_docs_say(world: World) -> None:
    """Promise (docs/audit.md, *Who sees what*): an owner that denied an access is served
    who tried, for whom, when and why-as-a-purpose, and its own rule ids — never the query,
    plate, case number, reason or result; an owner whose reads were returned is served its
    own count only; an audit export lists only what the caller's agency is served in full
    or as an owner that released."""
    s1, s2, s5 = (world.index[k] for k in ("S1", "S2", "S5"))
    denied = world.get(f"/v1/audit/entries/{s2}", "fpd-aud", full=1).json()
    assert denied["view"] == "denied"
    assert set(denied["entry"]) <= DENIED_VIEW
    assert denied["entry"]["denied"]["agency"] == "fpd"
    assert denied["entry"]["denied"]["policy_ids"], denied
    for secret in (PLATE, CASE, REASON):
        assert secret not in str(denied)
    owner = world.get(f"/v1/audit/entries/{s1}", "fpd-aud", full=1).json()
    assert owner["view"] == "owner"
    assert owner["entry"]["returned_by_owner"] == {"fpd": 1}
    assert "result_digest" not in owner["entry"] and "returned" not in owner["entry"]
    # the federal unit denied it by default, with no agreement either way: the public
    # summary, not which officer searched
    federal = world.get(f"/v1/audit/entries/{s1}", "ice-aud", full=1).json()
    assert federal["view"] == "public" and "entry" not in federal
    assert PLATE not in str(federal) and CASE not in str(federal)
    # the hot list Union City keeps, and its hits, are Union City's to read
    for record in world.log.entries(0, world.log.size()):
        if record.entry.get("type") in ("hotlist_change", "hotlist_entry_change"):
            item = world.get(f"/v1/audit/entries/{record.index}", "ice-aud", full=1).json()
            assert item["view"] == "public" and "entry" not in item
    # audit exports: the unit's auditor gets its own search only; Fremont's its own search,
    # the two searches and the export that returned its reads, and the alerts on its read
    unit = world.get("/v1/audit/export", "ice-aud", format="json", limit=1000).json()
    assert unit["total"] == 1
    assert PLATE in str(unit)  # the unit's own search, its own plate
    fremont = world.get("/v1/audit/export", "fpd-aud", format="json", limit=1000).json()
    assert fremont["total"] == 5, fremont
    rows = fremont["rows"]
    by_index = {int(r["Leaf Index"]): r for r in rows}
    assert set(by_index) >= {s1, s5, world.index["E1"]}
    assert s2 not in by_index and world.index["S4"] not in by_index
    assert by_index[s1]["Reads Returned Per Network"] == "fpd=1"
    assert by_index[s1]["Reads Returned"] in ("", None)


# --- Bad input: a clear 4xx, never a 500 ---------------------------------------------------

T = "/v1/transparency/agencies"
R = "/v1/reports"
TODAY = datetime.now(UTC).date()
BAD: list[tuple[str, dict[str, Any], int, str]] = [
    (f"{T}/ucpd", {"days": "0"}, 422, "days"),
    (f"{T}/ucpd", {"days": "367"}, 422, "days"),
    (f"{T}/ucpd", {"days": "-5"}, 422, "days"),
    (f"{T}/ucpd", {"days": "7.5"}, 422, "days"),
    (f"{T}/ucpd", {"days": "9" * 40}, 422, "days"),
    (f"{T}/nobody", {}, 404, "unknown_agency"),
    (f"{T}/UCPD", {}, 422, "slug"),
    (f"{T}/{'a' * 65}", {}, 422, "slug"),
    (f"{T}/ucpd%00", {}, 422, "slug"),
    (f"{T}/ucpd/figures/nope", {}, 404, "unknown_figure"),
    (f"{T}/ucpd/figures/searches_by_officer", {}, 404, "unknown_figure"),
    (f"{T}/ucpd/figures/{'f' * 65}", {}, 422, "figure"),
    (f"{T}/ucpd/figures/partners", {"format": "xlsx"}, 422, "format"),
    (f"{T}/ucpd/figures/partners", {"format": "CSV"}, 422, "format"),
    (f"{T}/ucpd/figures/partners", {"days": "400"}, 422, "days"),
    (f"{T}/nobody/figures/partners", {}, 404, "unknown_agency"),
    (f"{R}/ca-policy", {}, 422, "agency"),
    (f"{R}/ca-policy", {"agency": ""}, 422, "agency"),
    (f"{R}/ca-policy", {"agency": "nobody"}, 404, "unknown_agency"),
    (f"{R}/ca-policy", {"agency": "a" * 65}, 422, "agency"),
    (f"{R}/xx-none", {"agency": "ucpd"}, 404, "unknown_report"),
    (f"{R}/{'c' * 33}", {"agency": "ucpd"}, 422, "code"),
    (f"{R}/ca-policy", {"agency": "ucpd", "format": "xlsx"}, 422, "format"),
    (f"{R}/ca-policy", {"agency": "ucpd", "start": "2026-01-01"}, 422, "period_incomplete"),
    (f"{R}/ca-policy", {"agency": "ucpd", "end": "2026-01-01"}, 422, "period_incomplete"),
    (f"{R}/ca-policy", {"agency": "ucpd", "start": "2026-02-01", "end": "2026-01-01"}, 422,
     "period_reversed"),
    (f"{R}/ca-policy", {"agency": "ucpd", "start": "1899-12-31", "end": "1900-01-01"}, 422,
     "period_out_of_range"),
    (f"{R}/ca-policy", {"agency": "ucpd", "start": "2026-01-01",
                        "end": (TODAY + timedelta(days=400)).isoformat()}, 422,
     "period_out_of_range"),
    (f"{R}/ca-policy", {"agency": "ucpd", "start": "0001-01-01", "end": "9999-12-31"}, 422,
     "period_out_of_range"),
    (f"{R}/ca-policy", {"agency": "ucpd", "start": "2026-02-30", "end": "2026-03-01"}, 422,
     "start"),
    (f"{R}/ca-policy", {"agency": "ucpd", "start": "soon", "end": "later"}, 422, "start"),
    ("/v1/audit/entries", {"limit": "1001"}, 422, "limit"),
    ("/v1/audit/entries", {"limit": "0"}, 422, "limit"),
    ("/v1/audit/entries", {"start": "-1"}, 422, "start"),
    ("/v1/audit/entries", {"start": str(2**63)}, 422, "start"),
    ("/v1/audit/entries", {"full": "maybe"}, 422, "full"),
    ("/v1/audit/entries", {"full": "1"}, 401, "not_authenticated"),
    ("/v1/audit/entries/999999999", {}, 404, "no_such_entry"),
    ("/v1/audit/entries/-3", {}, 422, "index"),
    ("/v1/audit/counts", {"window": "0"}, 422, "window"),
    ("/v1/audit/counts", {"window": "100001"}, 422, "window"),
    ("/v1/audit/proof/inclusion", {"index": "999999999"}, 400, "not in a tree"),
    ("/v1/audit/proof/inclusion", {"index": "0", "size": "999999999"}, 400, "tree size"),
    ("/v1/audit/proof/inclusion", {"index": "0", "size": "0"}, 422, "size"),
    ("/v1/audit/proof/inclusion", {"index": "x"}, 422, "index"),
    ("/v1/audit/proof/consistency", {}, 422, "from"),
    ("/v1/audit/proof/consistency", {"from": "5", "to": "3"}, 400, "tree size"),
    ("/v1/audit/proof/consistency", {"from": "1", "to": "999999999"}, 400, "tree size"),
    ("/v1/audit/export", {}, 401, "not_authenticated"),
    ("/v1/audit/tlog/tile/0/x999/999", {}, 404, "beyond the tree"),
    ("/v1/audit/tlog/tile/99/000", {}, 404, "tile level"),
    ("/v1/audit/tlog/tile/0/000.p/0", {}, 404, "tile width"),
    ("/v1/audit/tlog/tile/0/abc", {}, 404, "tile index"),
    ("/v1/audit/tlog/tile/entries/000", {}, 401, "not_authenticated"),
]


@pytest.mark.parametrize(("path", "params", "status", "says"), BAD,
                         ids=[f"{p}?{'&'.join(f'{k}={v}'[:24] for k, v in q.items())}"
                              for p, q, _, _ in BAD])
def test_bad_input_on_a_public_route_is_a_clear_4xx(
    world: World, path: str, params: dict[str, Any], status: int, says: str,
) -> None:
    """Promise (docs/audit.md: 'Out-of-range or malformed values answer 400 or 422 with a
    message'; docs/reports.md: a period outside 1900-01-01 … a year from today is a 422):
    every public route answers bad input with its 4xx, naming what is wrong, with no stack
    trace."""
    response = world.get(path, **params)
    assert response.status_code == status, (response.status_code, response.text[:300])
    assert says in response.text, response.text[:300]
    assert "Traceback" not in response.text and 'File "' not in response.text


def test_odd_but_valid_periods_and_windows_are_answered(world: World) -> None:
    """The edges the docs allow are answered, not refused or crashed: a report of the first
    day a report may cover (in a zone east of UTC, whose midnight falls before 1900 in
    UTC), a century-long report, a report ending a year from today, the longest window."""
    tokyo = world.catalog.add_agency("Tokyo Liaison", "tokyo", "municipal", "CA")
    world.catalog.update_agency(tokyo.id, timezone="Asia/Tokyo")
    for code, params in [
        ("mn-audit", {"agency": "tokyo", "start": "1900-01-01", "end": "1900-01-01"}),
        ("nh-annual", {"agency": "ucpd", "start": "1900-01-01",
                       "end": (datetime.now(UTC).date() + timedelta(days=365)).isoformat()}),
    ]:
        for fmt in ("json", "pdf"):
            response = world.get(f"/v1/reports/{code}", **params, format=fmt)
            assert response.status_code == 200, response.text[:300]
    body = world.get("/v1/reports/mn-audit", agency="tokyo", start="1900-01-01",
                     end="1900-01-01").json()
    assert body["period"] == {"start": "1900-01-01", "end": "1900-01-01",
                              "timezone": "Asia/Tokyo"}
    assert _elements(body)["plates_collected"]["value"] == 0
    longest = world.portal("ucpd", days=366)
    assert len(longest["figures"]["searches_by_day"]["rows"]) == 366
    assert longest["searches"] >= world.snapshot["portal"]["ucpd"]["searches"]
    assert len(world.portal("ucpd")["figures"]["searches_by_day"]["rows"]) == 30


def test_a_hostile_slug_on_the_portal_page_is_escaped(world: World) -> None:
    """The server-rendered page of an unknown agency names it in its message: escaped,
    never markup (the page is public and reads without JavaScript)."""
    hostile = '"><img src=x onerror=alert(1)>'
    response = world.client.get("/transparency/" + hostile)
    assert response.status_code == 404
    assert "<img src=x" not in response.text
    assert "&lt;img src=x onerror=alert(1)&gt;" in response.text


def test_a_day_is_the_agencys_day_on_the_portal_window(world: World) -> None:
    """Promise (docs/transparency.md): the window of `days` days runs from local midnight
    of its first day, today included; a one-day window holds exactly today's searches."""
    today = datetime.now(LA).date()
    one = world.portal("ucpd", days=1)
    assert one["figures"]["searches_by_day"]["rows"][0][0] == today.isoformat()
    assert one["timezone"] == "America/Los_Angeles"
    first = date.fromisoformat(one["figures"]["searches_by_day"]["rows"][0][0])
    start = datetime.combine(first, datetime.min.time(), LA).astimezone(UTC)
    todays = [r.entry for r in world.log.entries(0, world.log.size())
              if r.entry.get("type") == "search" and r.entry.get("agency") == "ucpd"
              and datetime.fromisoformat(r.entry["time"].replace("Z", "+00:00")) >= start]
    assert one["searches"] == len(todays)
    # each bar of the page's charts is titled with its day and its count (docs: *Charts*)
    month = world.portal("ucpd")
    page = world.get("/transparency/ucpd").text
    for day, searches, hits, alerts in month["figures"]["searches_by_day"]["rows"]:
        for count in (searches, hits, alerts):
            assert f"<title>{day}: {count}</title>" in page, (day, count)
    assert f'<dd id="f-searches">{month["searches"]}</dd>' in page
    assert f'<dd id="f-withheld">{month["alerts_withheld"]}</dd>' in page


def test_supervisors_tools_stay_inside_the_agency(world: World) -> None:
    """Promise (docs/reports.md, *Supervisors*): the operators' analytics and the samples
    are the caller's agency's own: another agency's supervisor reads none of Union City's
    operators and cannot open its sample."""
    fremont = world.get("/v1/supervision/operators", "fpd-sup")
    assert fremont.status_code == 200, fremont.text
    assert fremont.json()["agency"] == "fpd"
    assert [o["user"] for o in fremont.json()["operators"]] == ["fpd-inv"]
    assert "ucpd" not in str(fremont.json()["operators"])
    sample = world.get(f"/v1/supervision/samples/{world.index['SAMPLE']}", "fpd-sup")
    assert sample.status_code == 404, sample.text
    assert sample.json()["error"]["code"] == "no_such_sample"
    for secret in (PLATE, CASE, REASON, "ucpd-inv"):
        assert secret not in sample.text
