"""Attacks on the scoping promises, as someone holding a legitimate login of some agency:
every search decided per data owner, logged before it is answered; auditors see only what
their role and agency allow; the public sees aggregates only.

World: two California cities (Union City `ucpd`, Fremont `fpd`), a federal immigration
unit in California (`ice`) and a Nevada city (`rpd`), each with an admin, an investigator,
a supervisor and an auditor (second factors on). Fremont shares with Union City by a
one-to-one agreement. A test that passes is a promise that held; a test that fails is a
hole (see the report that came with this file).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from plateledger.api.app import create_app
from plateledger.settings import Settings
from tests.api.conftest import AgencyWorld, add_agencies, catalog_of
from tests.factories import make_read

NOW = datetime.now(UTC).replace(microsecond=0)
ROLES = {"admin": ["admin"], "inv": ["investigator"], "sup": ["supervisor", "investigator"],
         "aud": ["auditor"], "disp": ["dispatcher"]}
UC_PLATE = "7UCSEEN"  # read by Union City's cameras only
FPD_PLATE = "8FPSEEN"  # read by Fremont's cameras only
NEVER = "7NVRSEN"  # read by no one
CASE, REASON = "UC-SECRET-0912", "grey sedan seen leaving the burglary on Elm"


class World(AgencyWorld):
    def get(self, user: str | None, path: str, **params: Any) -> Any:
        headers = self.login(user) if user else {}
        return self.client.get(path, params=params, headers=headers)

    def post(self, user: str | None, path: str, body: Any) -> Any:
        headers = self.login(user) if user else {}
        return self.client.post(path, json=body, headers=headers)

    def put(self, user: str, path: str, body: Any) -> Any:
        return self.client.put(path, json=body, headers=self.login(user))


@pytest.fixture
def world(settings: Settings) -> Iterator[World]:
    secrets: dict[str, str] = {}
    with catalog_of(settings) as catalog:
        ids = add_agencies(catalog, [("ucpd", "Union City PD", "municipal", "CA"),
                                     ("fpd", "Fremont PD", "municipal", "CA"),
                                     ("ice", "ICE ERO San Francisco", "federal", "CA"),
                                     ("rpd", "Reno PD", "municipal", "NV")],
                           ROLES, secrets, at=(37.59, -122.04))
        catalog.add_agreement(ids["fpd"], ids["ucpd"], actions=("search", "alert", "export"),
                              purposes=("stolen_vehicle", "property_crime", "homicide"),
                              created_by="fpd-admin", case_number_required=True)
    with TestClient(create_app(settings)) as client:
        client.app.state.store.insert_reads([  # type: ignore[attr-defined]
            make_read(UC_PLATE, camera="ucpd-cam-1", owner=ids["ucpd"], minutes_ago=30,
                      now=NOW),
            make_read(UC_PLATE, camera="ucpd-cam-1", owner=ids["ucpd"], minutes_ago=20,
                      now=NOW),
            make_read(FPD_PLATE, camera="fpd-cam-1", owner=ids["fpd"], minutes_ago=25,
                      now=NOW, lat=37.55, lon=-121.98),
        ])
        yield World(client, settings, ids, secrets)


def search(w: World, user: str, plate: str, **body: Any) -> Any:
    payload = {"kind": "exact", "params": {"plate": plate}, "purpose": "stolen_vehicle",
               "offense_type": "240", "case_number": CASE, "reason": REASON} | body
    return w.post(user, "/v1/searches", payload)


def owners(page: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return {o["owner_id"]: o for o in page["owners"]}


# --- 1. The federal unit's class laundered through "acting for" --------------------------


@pytest.mark.parametrize("claimed", ["fpd", "ucpd"])
def test_a_federal_admin_cannot_make_its_officer_californian_by_acting_for(
    world: World, claimed: str,
) -> None:
    """The federal unit's admin records its own investigator as acting for a California
    city (no one there agrees to it). Fremont shares with every non-federal California
    agency (the `in_state` preset). The federal investigator must still be denied
    Fremont's California data (Cal. Civ. Code 1798.90.55(b))."""
    w = world
    assert w.put("fpd-admin", "/v1/admin/sharing-preset",
                 {"preset": "in_state"}).status_code == 200
    itself = search(w, "ice-sup", FPD_PLATE).json()  # the unit as itself: denied
    assert itself["results"] == []
    assert "ca-civ-1798.90.55b-no-federal" in owners(itself)[w.ids["fpd"]]["policy_ids"]
    changed = w.put("ice-admin", "/v1/admin/users/ice-inv/acting-for", {"agency": claimed})
    if changed.status_code != 200:
        return  # refused: the promise held
    page = search(w, "ice-inv", FPD_PLATE).json()
    leaked = [(r["plate"], r["camera_id"], r["ts"]) for r in page.get("results", [])]
    assert leaked == [], f"the federal investigator got Fremont's reads: {leaked}"
    assert not owners(page)[w.ids["fpd"]]["allowed"], owners(page)[w.ids["fpd"]]


# --- 2. An auditor promoted to "owner that released" by its own admin's agreement --------


def test_a_federal_auditor_cannot_read_california_searches_by_sharing_its_own_data(
    world: World,
) -> None:
    """The federal unit's admin shares the unit's (empty) data with Union City, which no
    one at Union City asked for. From then on every Union City search "releases" the
    unit's data, and the unit's auditor must still not read the California officer's
    plate, case number, reason, or how many California reads of the plate exist."""
    w = world
    shared = w.post("ice-admin", "/v1/admin/agreements", {
        "recipient": "ucpd", "actions": ["search"], "purposes": ["stolen_vehicle"],
        "case_number_required": False})
    assert shared.status_code in (201, 403, 422), shared.text
    page = search(w, "ucpd-inv", UC_PLATE).json()
    assert page["total"] == 2
    index = page["audit_index"]
    seen = w.get("ice-aud", "/v1/audit/entries", start=index, limit=1, full=1)
    assert seen.status_code in (200, 403), seen.text
    text = seen.text
    for secret in (UC_PLATE, CASE, REASON):
        assert secret not in text, f"the federal auditor read `{secret}`: {text[:600]}"
    item = seen.json()["entries"][0] if seen.status_code == 200 else {}
    entry = item.get("entry", {})
    assert "returned_by_owner" not in entry, entry.get("returned_by_owner")
    exported = w.get("ice-aud", "/v1/audit/export", format="json")
    assert UC_PLATE not in exported.text and CASE not in exported.text


# --- 3. Legal holds: another agency's case numbers, reasons and held plates --------------


def _ucpd_hold(w: World) -> dict[str, Any]:
    placed = w.post("ucpd-sup", "/v1/retention/holds", {
        "case_number": CASE, "reason": REASON, "plates": [UC_PLATE],
        "expires_at": (NOW + timedelta(days=30)).isoformat()})
    assert placed.status_code == 201, placed.text
    return dict(placed.json())


def test_a_federal_admin_cannot_list_california_legal_holds(world: World) -> None:
    """Union City's supervisor holds the reads of a plate for a case. The federal unit's
    admin (who, by the role pack, sees no data) must not read which plate California
    keeps, for which case, or why."""
    w = world
    _ucpd_hold(w)
    listed = w.get("ice-admin", "/v1/retention/holds")
    assert listed.status_code in (200, 403), listed.text
    for secret in (UC_PLATE, CASE, REASON):
        assert secret not in listed.text, f"the federal admin read `{secret}`: {listed.text}"


def test_a_federal_admin_cannot_release_a_california_hold(world: World) -> None:
    w = world
    hold = _ucpd_hold(w)
    hold_id = hold.get("hold_id") or hold.get("id")
    released = w.post("ice-admin", f"/v1/retention/holds/{hold_id}/release",
                      {"reason": "no longer needed"})
    assert released.status_code in (403, 404), released.text


def test_a_federal_admin_cannot_place_a_hold_on_california_reads(world: World) -> None:
    w = world
    placed = w.post("ice-admin", "/v1/retention/holds", {
        "case_number": "ERO-2026-1", "reason": "removal proceedings",
        "plates": [UC_PLATE], "owner_agency": w.ids["ucpd"],
        "expires_at": (NOW + timedelta(days=3650)).isoformat()})
    assert placed.status_code in (403, 404), placed.text


def test_a_supervisor_cannot_list_another_agencys_holds(world: World) -> None:
    w = world
    _ucpd_hold(w)
    listed = w.get("fpd-sup", "/v1/retention/holds")
    assert listed.status_code == 200, listed.text
    assert UC_PLATE not in listed.text and CASE not in listed.text


# --- 4. Policy explanations ----------------------------------------------------------------


def test_an_auditor_cannot_explain_as_another_agencys_user(world: World) -> None:
    """The federal unit's auditor asks for an explanation "as" Union City's supervisor:
    another agency's users are not its to explain (the answer would confirm the account
    and show its roles)."""
    w = world
    response = w.post("ice-aud", "/v1/policy/explain", {
        "action": "search_exact", "purpose": "stolen_vehicle", "as_user": "ucpd-sup"})
    assert response.status_code == 404, response.text[:400]
    unknown = w.post("ice-aud", "/v1/policy/explain", {
        "action": "search_exact", "purpose": "stolen_vehicle", "as_user": "ucpd-nobody"})
    assert unknown.status_code == 404


def test_an_explanation_as_an_acting_for_user_matches_the_real_decision(
    world: World,
) -> None:
    """Union City records a task-force officer as acting for the federal unit: the
    officer is denied California data. Union City's auditor explaining a request as that
    officer must be told the same, not that it is allowed."""
    w = world
    changed = w.put("ucpd-admin", "/v1/admin/users/ucpd-inv/acting-for", {"agency": "ice"})
    assert changed.status_code == 200, changed.text
    real = search(w, "ucpd-inv", UC_PLATE, case_number=None, requested_by="ice").json()
    assert real.get("results") == [], real
    assert not owners(real)[w.ids["ucpd"]]["allowed"]
    explained = w.post("ucpd-aud", "/v1/policy/explain", {
        "action": "search_exact", "purpose": "stolen_vehicle", "as_user": "ucpd-inv",
        "owners": [w.ids["ucpd"]]})
    assert explained.status_code in (200, 422), explained.text
    if explained.status_code == 200:
        [owner] = explained.json()["owners"]
        assert not owner["allowed"], owner


# --- 5. Bad input: an answer (a 4xx with a message where refused), never a 500 -------------------

DAY = {"since": (NOW - timedelta(hours=2)).isoformat(), "until": NOW.isoformat()}
BASE = {"purpose": "stolen_vehicle", "offense_type": "240", "case_number": CASE,
        "reason": REASON}
BAD: list[tuple[str, str, str, dict[str, Any] | None, dict[str, Any]]] = [
    # (user, method, path, json body, query params)
    ("ucpd-aud", "GET", f"/v1/audit/entries/{2**62}", None, {"full": 1}),
    ("ucpd-aud", "GET", "/v1/audit/entries", None, {"start": 2**62, "full": 1}),
    ("ucpd-aud", "GET", "/v1/audit/tlog/tile/entries/x999/x999/999", None, {}),
    ("ucpd-aud", "GET", "/v1/audit/tlog/tile/entries/000.p/0", None, {}),
    ("ucpd-aud", "GET", "/v1/audit/tlog/tile/entries/-1", None, {}),
    ("ucpd-aud", "GET", "/v1/audit/tlog/tile/99/000", None, {}),
    ("ucpd-aud", "GET", "/v1/audit/export", None, {"format": "json", "offset": 2**62}),
    ("ucpd-aud", "GET", "/v1/audit/export", None, {"format": "xlsx", "user": "\x00=1+1"}),
    ("ucpd-aud", "GET", "/v1/audit/export", None, {"since": "2026-13-45"}),
    (None, "GET", "/v1/audit/proof/inclusion", None, {"index": 5, "size": 2}),
    (None, "GET", "/v1/audit/proof/consistency", None, {"from": 9, "to": 2}),
    ("ucpd-inv", "GET", "/v1/cases/%20", None, {}),
    ("ucpd-inv", "GET", "/v1/cases/%00/report", None, {"format": "pdf"}),
    ("ucpd-inv", "POST", "/v1/cases", {"number": "\u202e\u0000x", "title": "t"}, {}),
    ("ucpd-sup", "GET", "/v1/supervision/samples/99999999999999999999", None, {}),
    ("ucpd-sup", "POST", "/v1/supervision/samples/0/review",
     {"findings": {"x": "justified"}, "note": ""}, {}),
    ("ucpd-sup", "GET", "/v1/supervision/operators", None, {"days": -1}),
    ("ucpd-sup", "GET", "/v1/approvals/not-a-uuid", None, {}),
    ("ucpd-inv", "POST", "/v1/searches", {**BASE, "kind": "area", "params": {
        "radius": {"lat": 1000, "lon": 0, "meters": -5}, **DAY}}, {}),
    ("ucpd-inv", "POST", "/v1/searches", {**BASE, "kind": "area", "params": {
        "bbox": {"south": 38, "west": -121, "north": 37, "east": -122}, **DAY}}, {}),
    ("ucpd-inv", "POST", "/v1/searches", {**BASE, "kind": "convoy", "params": {
        "plate": UC_PLATE, "since": NOW.isoformat(),
        "until": (NOW - timedelta(days=1)).isoformat()}}, {}),
    ("ucpd-inv", "POST", "/v1/searches", {**BASE, "kind": "stakeout", "params": {},
     "stakeout": {"min_areas": 1, "areas": [{"shape": "polygon", "points": [[37, -122], [37, -122]],
                                             **DAY}]}}, {}),
    ("ucpd-inv", "POST", "/v1/searches", {**BASE, "kind": "stakeout", "params": {},
     "stakeout": {"min_areas": 5, "areas": [{"shape": "circle", "lat": 37.59,
                                             "lon": -122.04, "meters": 500, **DAY}]}}, {}),
    ("ucpd-inv", "POST", "/v1/searches", {**BASE, "kind": "wildcard",
                                          "params": {"plate": "%_*?[]\\"}}, {}),
    ("ucpd-inv", "POST", "/v1/searches", {**BASE, "kind": "fuzzy",
                                          "params": {"plate": "\u0130\u0131\u00df"}}, {}),
    ("ucpd-inv", "POST", "/v1/searches", {**BASE, "kind": "attributes", "params": {**DAY},
                                          "vehicle": {"color": "'); DROP"}}, {}),
    ("ucpd-inv", "POST", "/v1/searches", {**BASE, "kind": "locate",
                                          "params": {"plate": UC_PLATE},
                                          "legal_basis": {"kind": "warrant", "number": "",
                                                          "court": ""}}, {}),
    ("ucpd-inv", "GET", "/v1/searches", None, {"kind": "area", "south": 91, "west": 0,
                                                "north": -91, "east": 0, **BASE}),
    ("ucpd-inv", "GET", "/v1/searches", None, {"kind": "area", "lat": 37, "lon": -122,
                                                "meters": 1e308, **BASE}),
    ("ucpd-inv", "GET", "/v1/searches", None, {"plate": UC_PLATE, "offset": 2**62,
                                                **BASE}),
    ("ucpd-inv", "POST", "/v1/exports", {**BASE, "kind": "exact", "format": "csv",
                                         "params": {"plate": UC_PLATE, "offset": 2**62}}, {}),
    ("ucpd-inv", "GET", "/v1/reads/00000000-0000-0000-0000-000000000000/images/plate",
     None, {"plate": "\x00", **BASE}),
    ("ucpd-sup", "POST", "/v1/retention/holds", {
        "case_number": "x", "reason": "r", "expires_at": "2020-01-01T00:00:00Z",
        "plates": ["!!!"], "since": NOW.isoformat(),
        "until": (NOW - timedelta(days=1)).isoformat()}, {}),
    ("ucpd-sup", "POST", "/v1/retention/holds/nope/release", {"reason": "r"}, {}),
    ("ucpd-aud", "POST", "/v1/policy/explain", {"action": "bogus", "purpose": "x"}, {}),
    ("ucpd-aud", "POST", "/v1/policy/explain", {"action": "search_exact",
                                                "purpose": "stolen_vehicle",
                                                "owners": [2**62]}, {}),
    (None, "GET", "/v1/transparency/agencies/ucpd/figures/x", None, {"days": 0}),
    (None, "GET", "/v1/transparency/agencies/nobody", None, {}),
    ("ucpd-sup", "GET", "/v1/hits/not-a-hit", None, {}),
]


@pytest.mark.parametrize(("user", "method", "path", "body", "params"), BAD,
                         ids=[f"{m} {p}"[:60] for _, m, p, _, _ in BAD])
def test_bad_input_never_gets_a_500(
    world: World, user: str | None, method: str, path: str, body: dict[str, Any] | None,
    params: dict[str, Any],
) -> None:
    headers = world.login(user) if user else {}
    response = world.client.request(method, path, json=body, params=params,
                                    headers=headers)
    assert response.status_code < 500, (response.status_code, response.text[:400])
    assert "Traceback" not in response.text
    if response.status_code >= 400:  # JSON errors name what was wrong; tiles answer text
        if response.headers.get("content-type", "").startswith("application/json"):
            assert response.json()["error"]["message"], response.text[:400]
        else:
            assert response.text.strip(), response.status_code


# --- 6. Sessions and roles -----------------------------------------------------------------


def test_a_disabled_user_cannot_search_with_a_token_it_already_holds(world: World) -> None:
    w = world
    w.login("ucpd-inv")
    with catalog_of(w.settings) as catalog:
        catalog.set_disabled("ucpd-inv", True)
    response = search(w, "ucpd-inv", UC_PLATE)
    assert response.status_code == 401, response.text[:300]
    assert UC_PLATE not in response.text


@pytest.mark.parametrize("user", ["ucpd-aud", "ucpd-admin", "ucpd-disp"])
def test_a_user_without_the_search_role_reaches_no_read_by_any_route(
    world: World, user: str,
) -> None:
    """Auditors and admins reach no read; a dispatcher only by an exact lookup."""
    w = world
    answers = {kind: search(w, user, UC_PLATE, kind=kind, params=params) for kind, params in [
        ("exact", {"plate": UC_PLATE}), ("wildcard", {"plate": "7UC*"}),
        ("fuzzy", {"plate": UC_PLATE}), ("timeline", {"plate": UC_PLATE, **DAY}),
        ("area", {"cameras": ["ucpd-cam-1"], **DAY}),
    ]}
    answers["GET exact"] = w.get(user, "/v1/searches", plate=UC_PLATE, **BASE)
    answers["GET wildcard"] = w.get(user, "/v1/searches", kind="wildcard", plate="7UC*",
                                    **BASE)
    answers["export"] = w.post(user, "/v1/exports", {
        **BASE, "kind": "exact", "format": "csv", "params": {"plate": UC_PLATE}})
    answers["cases"] = w.get(user, "/v1/cases")
    lookups = {"exact", "GET exact"} if user == "ucpd-disp" else set()
    for label, answer in answers.items():
        assert answer.status_code < 500, (label, answer.text[:300])
        if label in lookups:
            continue
        assert UC_PLATE not in answer.text, (label, answer.text[:300])
        assert "ucpd-cam-1" not in answer.text, (label, answer.text[:300])


# --- 7. Cases and approvals of another agency ----------------------------------------------


def test_another_agency_cannot_read_a_case_by_opening_the_same_number(world: World) -> None:
    w = world
    assert w.post("ucpd-inv", "/v1/cases", {"number": CASE, "title": "Elm burglary"}
                  ).status_code == 201
    assert search(w, "ucpd-inv", UC_PLATE).status_code == 200
    assert w.get("fpd-inv", f"/v1/cases/{CASE}").status_code == 404
    assert w.post("fpd-inv", "/v1/cases", {"number": CASE, "title": "mine"}).status_code == 201
    for path in (f"/v1/cases/{CASE}", f"/v1/cases/{CASE}/report"):
        answer = w.get("fpd-inv", path, format="json")
        assert answer.status_code == 200, answer.text[:300]
        for secret in (UC_PLATE, REASON, "ucpd-inv"):
            assert secret not in answer.text, (path, secret)
        assert answer.json()["searches"] == []


def test_another_agencys_supervisor_sees_no_pending_pattern_of_life(world: World) -> None:
    w = world
    assert w.put("ucpd-admin", "/v1/admin/search-rules", {
        "case_number_pattern": None, "locate_approval_required": True}).status_code == 200
    asked = search(w, "ucpd-inv", UC_PLATE, kind="locate", legal_basis={
        "kind": "warrant", "number": "W-2026-77", "court": "Alameda Superior Court"})
    assert asked.status_code == 202, asked.text[:300]
    approval = asked.json()["id"]
    for user in ("fpd-sup", "ice-sup"):
        assert UC_PLATE not in w.get(user, "/v1/approvals", status="pending").text
        assert w.get(user, f"/v1/approvals/{approval}").status_code == 404
        decided = w.post(user, f"/v1/approvals/{approval}/approve", {"note": "ok"})
        assert decided.status_code in (403, 404), decided.text[:300]


# --- 8. A user every owner denied, and the public ------------------------------------------


def _stable(page: dict[str, Any]) -> dict[str, Any]:
    """The answer less what differs per request whatever the reads: the log position, the
    search's UUID and its page token (signed over the UUID and the query asked)."""
    return {k: v for k, v in page.items()
            if k not in ("audit_index", "search_id", "page_token")}


@pytest.mark.parametrize("kind", ["exact", "fuzzy", "wildcard"])
def test_a_federal_user_denied_by_every_owner_cannot_tell_a_seen_plate(
    world: World, kind: str,
) -> None:
    w = world
    seen, never = UC_PLATE, NEVER
    if kind == "wildcard":
        seen, never = "7UC*", "7NV*"
    a = search(w, "ice-inv", seen, kind=kind).json()
    b = search(w, "ice-inv", never, kind=kind).json()
    assert _stable(a) == _stable(b), json.dumps(a)[:600]
    assert w.ids["ucpd"] not in {o["owner_id"] for o in a["owners"] if o["allowed"]}


def test_the_public_pages_show_no_plate_case_reason_or_officer(world: World) -> None:
    w = world
    assert search(w, "ucpd-inv", UC_PLATE).status_code == 200
    assert search(w, "ice-inv", UC_PLATE).status_code == 200
    for path, params in [("/v1/transparency/agencies/ucpd", {}),
                         ("/v1/transparency/agencies/ice", {}),
                         ("/transparency/ucpd", {}), ("/transparency", {}),
                         ("/v1/audit/entries", {"limit": 1000}), ("/v1/audit/counts", {}),
                         ("/v1/transparency/agencies/ucpd/figures/partners",
                          {"format": "csv"}),
                         ("/v1/reports", {})]:
        answer = w.get(None, path, **params)
        assert answer.status_code == 200, (path, answer.status_code)
        for secret in (UC_PLATE, CASE, REASON, "ucpd-inv", "ice-inv"):
            assert secret not in answer.text, (path, secret)
