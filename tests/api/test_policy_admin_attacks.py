"""Attacks on the *administration* of policy decisions: agreements, sharing presets,
collection zones, agency settings and the explanations of decisions, through the real app.

World: four California cities (Union City `ucpd`, Fremont `fpd`, Hayward `hpd`, Los
Angeles `lapd`), a federal immigration unit in California (`ice`), a private company in
California (`acme`) and a Nevada city (`rpd`), each with an admin, an investigator, a
supervisor, an auditor and a dispatcher (second factors on), each agency's seat recorded.

The promises held here (docs/policies.md, docs/accounts.md, DESIGN.md):
- an agency's admin changes only what happens to its own agency's reads; no other role and
  no camera key changes anything;
- a written agreement or preset grants what it says and no more; one that cannot be
  compiled or evaluated is refused when written with a 4xx and never costs anyone data;
- a law pack's denial survives every agency-level setting;
- every change is an audit entry carrying the hash of the set it leaves in force, and is
  not made when the log cannot take the entry;
- explanations do not reveal another agency's private settings.

A test marked ``xfail(strict=True)`` shows a hole; its reason names it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from plateledger.api.app import create_app
from plateledger.catalog import Catalog
from plateledger.settings import Settings
from tests.api.conftest import AgencyWorld, add_agencies, catalog_of
from tests.factories import make_read, unique_plate

NOW = datetime.now(UTC).replace(microsecond=0)
ROLES = {"admin": ["admin"], "inv": ["investigator"], "sup": ["supervisor"],
         "aud": ["auditor"], "disp": ["dispatcher"]}
SEATS = {"ucpd": (37.593, -122.044), "fpd": (37.548, -121.988), "hpd": (37.669, -122.081),
         "lapd": (34.052, -118.244), "ice": (37.779, -122.419), "acme": (37.60, -122.05),
         "rpd": (39.530, -119.814)}
FPD_SPOT = (37.551, -121.981)  # a street corner in Fremont, 20 km from Union City's seat
SEARCH = {"kind": "exact", "purpose": "stolen_vehicle", "offense_type": "240",
          "case_number": "UC-2026-0042", "reason": "stolen white pickup seen on Elm Street"}
CA_NO_FEDERAL = "ca-civ-1798.90.55b-no-federal"


@dataclass
class World(AgencyWorld):
    camera_key: str
    plates: dict[str, str]

    def call(self, method: str, user: str | None, path: str, body: Any = None) -> Any:
        headers = self.login(user) if user else {}
        return self.client.request(method, path, json=body, headers=headers)

    def raw(self, method: str, user: str, path: str, content: str) -> Any:
        """A request whose JSON body is sent as written (NaN, Infinity …)."""
        headers = {**self.login(user), "Content-Type": "application/json"}
        return self.client.request(method, path, content=content.encode(), headers=headers)

    @property
    def catalog(self) -> Catalog:
        found: Catalog = self.client.app.state.catalog  # type: ignore[attr-defined]
        return found

    def audit_size(self) -> int:
        return int(self.client.app.state.audit_log.size())  # type: ignore[attr-defined]

    def last_entry(self) -> dict[str, Any]:
        log = self.client.app.state.audit_log  # type: ignore[attr-defined]
        entry: dict[str, Any] = log.entry(log.size() - 1).entry
        return entry

    def explain(self, admin: str, as_user: str, owner: str, **body: Any) -> dict[str, Any]:
        """The explained decision of ``as_user`` (asked by its agency's ``admin``) on
        ``owner``'s data."""
        payload = {"action": "search_exact", "purpose": "stolen_vehicle",
                   "case_number": "X-2026-1", "reason": "stolen white pickup seen on Elm",
                   "as_user": as_user, "owners": [self.ids[owner]]} | body
        response = self.call("POST", admin, "/v1/policy/explain", payload)
        assert response.status_code == 200, response.text
        [found] = response.json()["owners"]
        return dict(found)

    def share(self, owner: str, recipient: str, **terms: Any) -> Any:
        body = {"recipient": recipient, "actions": ["search"],
                "purposes": ["stolen_vehicle"], "case_number_required": False} | terms
        return self.call("POST", f"{owner}-admin", "/v1/admin/agreements", body)


@pytest.fixture
def world(settings: Settings) -> Iterator[World]:
    secrets: dict[str, str] = {}
    with catalog_of(settings) as catalog:
        ids = add_agencies(catalog, [("ucpd", "Union City PD", "municipal", "CA"),
                                     ("fpd", "Fremont PD", "municipal", "CA"),
                                     ("hpd", "Hayward PD", "municipal", "CA"),
                                     ("lapd", "Los Angeles PD", "municipal", "CA"),
                                     ("ice", "ICE ERO San Francisco", "federal", "CA"),
                                     ("acme", "Acme Repossession", "private", "CA"),
                                     ("rpd", "Reno PD", "municipal", "NV")],
                           ROLES, secrets, at=(37.70, -122.20))
        for slug, (lat, lon) in SEATS.items():
            catalog.update_agency(ids[slug], lat=lat, lon=lon)
        catalog.add_camera("fpd-mob-1", ids["fpd"], "mobile")
        camera_key = catalog.issue_api_key(ids["fpd"], "fpd-mob-1", "patrol car")
    plates = {"ucpd": unique_plate("7"), "fpd": unique_plate("8")}
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        client.app.state.store.insert_reads([  # type: ignore[attr-defined]
            make_read(plates["ucpd"], camera="ucpd-cam-1", owner=ids["ucpd"], minutes_ago=30,
                      now=NOW),
            make_read(plates["fpd"], camera="fpd-cam-1", owner=ids["fpd"], minutes_ago=25,
                      now=NOW, lat=FPD_SPOT[0], lon=FPD_SPOT[1]),
        ])
        yield World(client, settings, ids, secrets, camera_key, plates)


def search(w: World, user: str, plate: str, **body: Any) -> Any:
    return w.call("POST", user, "/v1/searches", SEARCH | {"params": {"plate": plate}} | body)


def owner_of(page: dict[str, Any], owner_id: int) -> dict[str, Any]:
    found: dict[str, Any] = {o["owner_id"]: o for o in page["owners"]}[owner_id]
    return found


# --- 1. Who may change what: only an agency's admin, only its own agency ---------------


@pytest.mark.parametrize("body", [
    {"owner_id": "UCPD"}, {"owner": "ucpd"}, {"owner_agency": "ucpd"}, {"recipient": "fpd"},
], ids=["owner_id", "owner", "owner_agency", "self"])
def test_an_admin_cannot_write_an_agreement_from_another_agency(
    world: World, body: dict[str, Any]
) -> None:
    """Promise: an agreement is always from the admin's own agency. Attack: Fremont's admin
    writes one "from Union City to Fremont" by naming Union City as the owner, or names
    Fremont as its own recipient. Each is a 422 and nothing is stored."""
    w = world
    if "owner_id" in body:
        body = {"owner_id": w.ids["ucpd"]}
    response = w.call("POST", "fpd-admin", "/v1/admin/agreements",
                      {"recipient": "fpd", "actions": ["search"],
                       "purposes": ["stolen_vehicle"]} | body)
    assert response.status_code == 422, response.text
    assert w.catalog.agreements() == []
    page = search(w, "fpd-inv", w.plates["ucpd"]).json()
    assert not owner_of(page, w.ids["ucpd"])["allowed"] and page["total"] == 0


@pytest.mark.parametrize("recipient", ["*", "", "everyone", "ucpd,fpd", "UCPD", "x" * 65])
def test_an_admin_cannot_write_an_agreement_open_to_every_agency(
    world: World, recipient: str
) -> None:
    """Promise: over HTTP an agreement names one recipient (an agreement open to everyone
    is the operator's, under every pack). Attack: Fremont's admin names `*`, nothing,
    `everyone`, a list, a capitalised slug or a 65-character one. Each is a 4xx and
    nothing is stored."""
    w = world
    response = w.share("fpd", recipient)
    assert response.status_code in (404, 422), response.text
    assert w.catalog.agreements() == []


def test_the_recipient_cannot_see_or_revoke_the_owners_agreement(world: World) -> None:
    """Promise: an agreement is revoked only by its owner's admin. Attack: Union City
    (the recipient) and Hayward (a bystander) try to revoke Fremont's agreement with Union
    City. Both are answered 404 exactly as an unknown id, and the agreement stays in
    force."""
    w = world
    created = w.share("fpd", "ucpd")
    assert created.status_code == 201, created.text
    agreement_id = created.json()["id"]
    for admin in ("ucpd-admin", "hpd-admin"):
        assert w.call("GET", admin, "/v1/admin/agreements").json() == []
        revoked = w.call("DELETE", admin, f"/v1/admin/agreements/{agreement_id}")
        unknown = w.call("DELETE", admin, "/v1/admin/agreements/987654")
        assert revoked.status_code == unknown.status_code == 404, revoked.text
    [row] = w.catalog.agreements()
    assert row.revoked_at is None
    assert owner_of(search(w, "ucpd-inv", w.plates["fpd"]).json(), w.ids["fpd"])["allowed"]


ADMIN_WRITES = [
    ("POST", "/v1/admin/agreements", {"recipient": "ucpd", "actions": ["search"],
                                      "purposes": ["stolen_vehicle"]}),
    ("DELETE", "/v1/admin/agreements/1", None),
    ("PUT", "/v1/admin/sharing-preset", {"preset": "in_state"}),
    ("POST", "/v1/admin/zones", {"name": "Irvington High", "place": "school",
                                 "centre": list(FPD_SPOT), "radius_m": 200}),
    ("PATCH", "/v1/admin/agency", {"case_number_required": False}),
]


@pytest.mark.parametrize("suffix", ["inv", "sup", "aud", "disp"])
def test_no_role_but_admin_changes_sharing_settings(world: World, suffix: str) -> None:
    """Promise: only the admin role manages agreements, presets, zones and settings (the
    role pack's `role-manage`). Attack: Fremont's investigator, supervisor, auditor and
    dispatcher each try every write. Each is a 403 naming the rule; nothing changes and
    nothing is logged."""
    w = world
    before = w.audit_size()
    for method, path, body in ADMIN_WRITES:
        response = w.call(method, f"fpd-{suffix}", path, body)
        assert response.status_code == 403, (method, path, response.text)
        assert "role-manage" in response.text
    assert w.catalog.agreements() == [] and w.catalog.zones() == []
    agency = w.catalog.agency(w.ids["fpd"])
    assert agency is not None and agency.sharing_preset == "agreements"
    assert w.audit_size() == before


def test_a_camera_key_changes_no_sharing_setting(world: World) -> None:
    """Promise: a camera's API key posts reads and does nothing else. Attack: Fremont's
    patrol-car key is sent to every administrative write and to the explanation route.
    Each is a 401."""
    w = world
    key = {"X-API-Key": w.camera_key}
    for method, path, body in [*ADMIN_WRITES, ("POST", "/v1/policy/explain",
                                               {"action": "search_exact",
                                                "purpose": "stolen_vehicle"})]:
        response = w.client.request(method, path, json=body, headers=key)
        assert response.status_code == 401, (method, path, response.text)
    assert w.catalog.agreements() == [] and w.catalog.zones() == []


@pytest.mark.parametrize("body", [
    {"law_packs": []}, {"law_packs": ["NV"]}, {"kind": "state"}, {"home_state": "NV"},
    {"is_law_enforcement": True}, {"agency_id": 1, "name": "x"},
    {"sharing_preset": "in_state"}, {"lat": 37.0, "lon": -122.0},
], ids=lambda b: ",".join(b))
def test_an_admin_cannot_switch_off_its_law_pack_or_change_its_class(
    world: World, body: dict[str, Any]
) -> None:
    """Promise: the law packs and requester class are the platform operator's; an admin
    changes only published settings. Attack: Fremont's admin PATCHes its law packs away
    (or to Nevada's, which has none), its kind, state or law-enforcement flag. Each is a
    422 and the California pack still governs Fremont's data."""
    w = world
    response = w.call("PATCH", "fpd-admin", "/v1/admin/agency", body)
    assert response.status_code == 422, response.text
    agency = w.call("GET", "fpd-admin", "/v1/admin/agency").json()
    assert (agency["law_packs"], agency["kind"], agency["home_state"]) == (
        ["CA"], "municipal", "CA")


def test_no_http_route_writes_a_declaration_or_a_law_pack(world: World) -> None:
    """Promise: Illinois declarations and law-pack profiles are the operator's (the CLI).
    Attack: the Nevada city's admin tries the obvious routes to file a declaration for
    itself or to opt Fremont out of a pack. None exists (404 or 405); nothing is stored."""
    w = world
    attempts = [
        ("POST", "/v1/admin/declarations", {"owner_state": "IL", "signer": "Chief",
                                            "signed_at": NOW.isoformat(),
                                            "document_digest": "0" * 64}),
        ("PUT", "/v1/admin/agency/law-packs", {"law_packs": []}),
        ("DELETE", "/v1/admin/law-packs/CA", None),
        ("POST", "/v1/admin/profiles", {"profile": "CA-STRICT", "agency": "fpd"}),
    ]
    for method, path, body in attempts:
        response = w.call(method, "rpd-admin", path, body)
        assert response.status_code in (404, 405), (method, path, response.text)
    assert w.catalog.declarations() == []


def test_another_agencys_zone_never_drops_fremonts_reads(world: World) -> None:
    """Promise: a zone applies to its own agency's cameras and reads only. Attack: Union
    City's admin records a zone over a Fremont street corner. Fremont still registers a
    camera there, and a Fremont patrol car's reads at the corner are stored, not dropped
    (and not counted under Union City's rule)."""
    w = world
    zone = w.call("POST", "ucpd-admin", "/v1/admin/zones", {
        "name": "Irvington corner", "place": "school", "centre": list(FPD_SPOT),
        "radius_m": 500})
    assert zone.status_code == 201, zone.text
    camera = w.call("POST", "fpd-admin", "/v1/admin/cameras", {
        "camera_id": "fpd-fx-7", "kind": "fixed", "lat": FPD_SPOT[0], "lon": FPD_SPOT[1]})
    assert camera.status_code == 201, camera.text
    plate = unique_plate("6")
    reads = [{"camera_id": "fpd-mob-1", "plate": plate, "confidence": 0.9,
              "ts": (NOW - timedelta(minutes=3)).isoformat(),
              "lat": FPD_SPOT[0], "lon": FPD_SPOT[1]}]
    posted = w.client.post("/v1/reads", content=json.dumps(reads).encode(),
                           headers={"X-API-Key": w.camera_key,
                                    "Content-Type": "application/json"})
    assert posted.status_code == 200, posted.text
    assert posted.json()["zone_dropped"] == 0 and len(posted.json()["accepted"]) == 1


def test_a_preset_applies_to_the_admins_own_data_only(world: World) -> None:
    """Promise: a preset is chosen per agency, for its own data. Attack: Fremont's admin
    sends a preset naming Union City (`agency_id`), then sets `none` for itself. The first
    is a 422; the second leaves Union City's sharing as it was."""
    w = world
    named = w.call("PUT", "fpd-admin", "/v1/admin/sharing-preset",
                   {"preset": "none", "agency_id": w.ids["ucpd"]})
    assert named.status_code == 422, named.text
    before = w.call("GET", None, f"/v1/agencies/{w.ids['ucpd']}/sharing").json()
    assert w.call("PUT", "fpd-admin", "/v1/admin/sharing-preset",
                  {"preset": "none"}).status_code == 200
    after = w.call("GET", None, f"/v1/agencies/{w.ids['ucpd']}/sharing").json()
    assert after["preset"] == before["preset"]
    assert after["partners"] == before["partners"]
    agency = w.catalog.agency(w.ids["ucpd"])
    assert agency is not None and agency.sharing_preset == "agreements"


def test_moving_ones_own_seat_does_not_join_another_agencys_radius(world: World) -> None:
    """Promise: no agency's admin changes who reaches another agency's reads. Fremont
    shares with law enforcement within 30 km of its seat (Union City and Hayward, not Los
    Angeles). Attack: Los Angeles's admin records its own seat on a Fremont street corner
    (the preset route takes `lat` and `lon` with any preset, `agreements` included). Los
    Angeles must still be refused Fremont's reads."""
    w = world
    chosen = w.call("PUT", "fpd-admin", "/v1/admin/sharing-preset",
                    {"preset": "radius", "radius_km": 30})
    assert chosen.status_code == 200, chosen.text
    admitted = {a["agency_id"] for a in chosen.json()["admitted"]}
    assert w.ids["lapd"] not in admitted and w.ids["ucpd"] in admitted
    assert not w.explain("lapd-admin", "lapd-inv", "fpd")["allowed"]
    moved = w.call("PUT", "lapd-admin", "/v1/admin/sharing-preset",
                   {"preset": "agreements", "lat": FPD_SPOT[0], "lon": FPD_SPOT[1]})
    assert moved.status_code == 422, moved.text
    assert moved.json()["error"]["code"] == "seat_by_operator"
    verdict = w.explain("lapd-admin", "lapd-inv", "fpd")
    assert not verdict["allowed"], verdict["policy_ids"]
    page = search(w, "lapd-inv", w.plates["fpd"]).json()
    assert page["total"] == 0, "Los Angeles read Fremont's plate"


# --- 2. Crafted agreements and presets: no more than they say; 4xx, never 500 ----------


@pytest.mark.parametrize("purposes", [
    ["immigration"], ["*"], [""], [" "], ["stolen_vehicle", "immigration"], ["ICE"],
    ["stolen_vehicle\" || true || \""], ["x" * 10_000], [],
], ids=["immigration", "star", "empty", "blank", "mixed", "ice", "cedar", "huge", "none"])
def test_an_agreement_with_a_purpose_off_the_closed_list_is_refused(
    world: World, purposes: list[str]
) -> None:
    """Promise: purposes come from the closed list. Attack: Fremont's admin shares with
    Union City "for" immigration, for `*`, for nothing, for Cedar text or for a 10 kB
    string. Each is a 422 (never a 500) and nothing is stored."""
    w = world
    response = w.share("fpd", "ucpd", purposes=purposes)
    assert response.status_code == 422, response.text
    assert w.catalog.agreements() == []


@pytest.mark.parametrize("actions", [
    ["manage_agency"], ["manage_agreements"], ["explain_policy"], ["admin"], ["data"],
    ["*"], ["search; permit"], [], ["view_image"],
])
def test_an_agreement_with_an_unknown_or_administrative_action_is_refused(
    world: World, actions: list[str]
) -> None:
    """Promise: an agreement grants data actions only (`search`, `alert`, `export` or one
    search kind); it never lends administration. Attack: Fremont's admin grants Union
    City `manage_agency`, an action group, a wildcard, Cedar text, nothing, or
    `view_image` without images. Each is a 422 and nothing is stored."""
    w = world
    response = w.share("fpd", "ucpd", actions=actions)
    assert response.status_code == 422, response.text
    assert w.catalog.agreements() == []


def test_an_agreement_grants_only_the_action_and_purpose_it_names(world: World) -> None:
    """Promise: an exact-lookup agreement for stolen vehicles lets the partner look up a
    plate for a stolen vehicle and nothing else. Attack: Union City's investigator uses it
    for a homicide, a wildcard search, an export and an image view; and Hayward, a
    bystander, uses it at all."""
    w = world
    created = w.share("fpd", "ucpd", actions=["search_exact"])
    assert created.status_code == 201, created.text
    aid = created.json()["id"]
    assert w.explain("ucpd-admin", "ucpd-inv", "fpd")["allowed"]
    other = w.explain("ucpd-admin", "ucpd-inv", "fpd", purpose="homicide")
    assert not other["allowed"] and f"agreement-{aid}-purposes" in other["policy_ids"]
    for action in ("search_wildcard", "search_area", "export", "view_image", "receive_alert"):
        verdict = w.explain("ucpd-admin", "ucpd-inv", "fpd", action=action)
        assert not verdict["allowed"], (action, verdict["policy_ids"])
    assert not w.explain("hpd-admin", "hpd-inv", "fpd")["allowed"]
    page = search(w, "hpd-inv", w.plates["fpd"]).json()
    assert page["total"] == 0


def test_an_absurd_lookback_is_refused_or_harmless(world: World) -> None:
    """Promise: terms that cannot be evaluated are refused when written (4xx), and one
    agency's agreement never costs another agency its own data. Attack: Fremont's admin
    shares with Union City with a lookback of a million days (2,700 years). Either the
    agreement is refused, or Union City's investigator still finds Union City's own
    read."""
    w = world
    created = w.share("fpd", "ucpd", max_lookback_days=1_000_000)
    if 400 <= created.status_code < 500:
        return
    assert created.status_code == 201, created.text
    response = search(w, "ucpd-inv", w.plates["ucpd"])
    assert response.status_code == 200, response.text
    assert response.json()["total"] == 1


@pytest.mark.parametrize("term", ["result_cap", "max_lookback_days"])
def test_an_overflowing_number_is_a_4xx(world: World, term: str) -> None:
    """Promise: a written agreement that cannot be stored is a clear 4xx. Attack: Fremont's
    admin sends a result cap (or lookback) of 10**20."""
    w = world
    response = w.share("fpd", "ucpd", **{term: 10**20})
    assert 400 <= response.status_code < 500, response.text
    assert w.catalog.agreements() == []


@pytest.mark.parametrize("moment", [
    {"starts_at": "0001-01-01T00:00:00+14:00"},
    {"expires_at": "9999-12-31T23:59:59-14:00"},
], ids=["year-1", "year-9999"])
def test_an_agreement_date_off_the_calendar_is_a_4xx(
    world: World, moment: dict[str, str]
) -> None:
    """Promise: a written agreement that cannot be compiled is a clear 4xx, never a 500.
    Attack: Fremont's admin dates an agreement at the very edges of the calendar, where
    the time in UTC falls outside it."""
    w = world
    response = w.share("fpd", "ucpd", **moment)
    assert 400 <= response.status_code < 500, response.text


def test_huge_lists_in_an_agreement_grant_nothing_extra(world: World) -> None:
    """Promise: a huge input is refused or reduced to what it says. Attack: Fremont's
    admin sends `search` ten thousand times and 51 purposes. The purposes are a 422; the
    repeated action is stored once and grants searches only (no export, no images)."""
    w = world
    refused = w.share("fpd", "ucpd", purposes=["stolen_vehicle"] * 51)
    assert refused.status_code == 422, refused.text
    created = w.share("fpd", "ucpd", actions=["search"] * 10_000)
    assert created.status_code == 201, created.text
    [row] = w.catalog.agreements()
    assert list(row.actions) == ["search"]
    assert w.explain("ucpd-admin", "ucpd-inv", "fpd")["allowed"]
    assert not w.explain("ucpd-admin", "ucpd-inv", "fpd", action="export")["allowed"]
    assert not w.explain("ucpd-admin", "ucpd-inv", "fpd", action="view_image")["allowed"]


def test_cedar_text_in_an_agency_name_is_never_policy(world: World) -> None:
    """Promise: names are data, never Cedar. Attack: Fremont's admin renames Fremont to a
    Cedar `permit` for everyone. The set still compiles (searches answer), the federal
    unit and a city without an agreement are still refused Fremont's reads."""
    w = world
    name = 'x"); permit (principal, action, resource); @id("own'
    renamed = w.call("PATCH", "fpd-admin", "/v1/admin/agency", {"name": name})
    assert renamed.status_code == 200, renamed.text
    for user in ("ice-inv", "hpd-inv"):
        response = search(w, user, w.plates["fpd"])
        assert response.status_code == 200, response.text
        assert response.json()["total"] == 0
        assert not owner_of(response.json(), w.ids["fpd"])["allowed"]
    assert CA_NO_FEDERAL in w.explain("ice-admin", "ice-inv", "fpd")["policy_ids"]


@pytest.mark.parametrize("content", [
    '{"preset": "radius", "radius_km": NaN}',
    '{"preset": "radius", "radius_km": Infinity}',
    '{"preset": "radius", "radius_km": -5}',
    '{"preset": "radius", "radius_km": 1e308}',
    '{"preset": "agreements", "lat": NaN, "lon": 0}',
    '{"preset": "agreements", "lat": 1000, "lon": 0}',
    '{"preset": "agreements", "lat": 0, "lon": -Infinity}',
    '{"preset": "everyone"}',
    '{"preset": "IN_STATE"}',
    '{"preset": "in_state", "states": ["NV"]}',
    '{"preset": "named_states", "states": []}',
    '{"preset": "named_states", "states": ["ca"]}',
    '{"preset": "named_states", "states": ["C\\"A"]}',
    '{"preset": "named_states", "states": ["CA", "*"]}',
], ids=lambda c: c[12:50])
def test_a_preset_that_does_not_compile_is_a_422_and_changes_nothing(
    world: World, content: str
) -> None:
    """Promise: preset settings that do not compile are refused (422 `invalid_preset` or a
    validation 422), never a 500, and the preset in force stays. Attack: not-a-number and
    infinite radii and seats, unknown kinds, states that are not two capitals."""
    w = world
    before = w.audit_size()
    response = w.raw("PUT", "fpd-admin", "/v1/admin/sharing-preset", content)
    assert response.status_code == 422, response.text
    agency = w.catalog.agency(w.ids["fpd"])
    assert agency is not None
    assert (agency.sharing_preset, agency.lat, agency.lon) == ("agreements", *SEATS["fpd"])
    assert w.audit_size() == before


# --- 3. A statute's denial survives every agency-level setting --------------------------


def test_a_forced_agreement_does_not_give_california_data_to_a_federal_unit(
    world: World,
) -> None:
    """Promise: an agreement cannot override Cal. Civ. Code 1798.90.55(b). Attack:
    Fremont's admin shares everything with the federal immigration unit; refused with 422
    `always_denied` naming the statute, then forced. The unit's investigator is still
    refused, under the statute's id, and reads nothing."""
    w = world
    terms = {"actions": ["search", "alert", "export"], "purposes": ["stolen_vehicle",
                                                                    "criminal_investigation"]}
    refused = w.share("fpd", "ice", **terms)
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["code"] == "always_denied"
    assert CA_NO_FEDERAL in refused.text
    forced = w.share("fpd", "ice", force=True, **terms)
    assert forced.status_code == 201, forced.text
    for action in ("search_exact", "export", "receive_alert"):
        verdict = w.explain("ice-admin", "ice-inv", "fpd", action=action)
        assert not verdict["allowed"] and CA_NO_FEDERAL in verdict["policy_ids"], action
    page = search(w, "ice-inv", w.plates["fpd"]).json()
    assert page["total"] == 0 and w.plates["fpd"] not in json.dumps(page)


def test_an_agreement_does_not_let_an_immigration_reason_through(world: World) -> None:
    """Promise: Cal. Gov. Code 7284.6 forbids immigration enforcement on California data
    whatever the agreement says. Attack: Fremont shares every purpose with Union City, with
    no case number required; Union City's investigator searches "for a stolen vehicle"
    with an ICE detainer as the reason."""
    w = world
    purposes = ["stolen_vehicle", "criminal_investigation", "other", "court_order"]
    assert w.share("fpd", "ucpd", purposes=purposes).status_code == 201
    reason = "ICE detainer: locate for removal proceedings"
    verdict = w.explain("ucpd-admin", "ucpd-inv", "fpd", reason=reason)
    assert not verdict["allowed"]
    assert "ca-gov-7284.6-no-immigration" in verdict["policy_ids"]
    page = search(w, "ucpd-inv", w.plates["fpd"], reason=reason).json()
    assert page["total"] == 0


@pytest.mark.parametrize(("slug", "rule"), [
    ("rpd", "ca-civ-1798.90.55b-no-out-of-state"),
    ("acme", "ca-civ-1798.90.55b-no-private"),
    ("ice", CA_NO_FEDERAL),
])
def test_a_wide_preset_does_not_override_the_california_pack(
    world: World, slug: str, rule: str
) -> None:
    """Promise: presets are decided under the packs. Attack: Fremont's admin shares with
    the law enforcement of California and Nevada (`named_states`). A Nevada city, a
    private company and a federal unit are each still refused, and the California rule
    is among the reasons."""
    w = world
    chosen = w.call("PUT", "fpd-admin", "/v1/admin/sharing-preset",
                    {"preset": "named_states", "states": ["CA", "NV"]})
    assert chosen.status_code == 200, chosen.text
    admitted = {a["agency_id"] for a in chosen.json()["admitted"]}
    assert w.ids[slug] not in admitted and w.ids["ucpd"] in admitted
    verdict = w.explain(f"{slug}-admin", f"{slug}-inv", "fpd")
    assert not verdict["allowed"] and rule in verdict["policy_ids"], verdict["policy_ids"]


def test_acting_for_another_agency_borrows_none_of_its_permits(world: World) -> None:
    """Promise: acting-for only narrows. Attack: Union City's admin records its own
    investigator as acting for Fremont (no one at Fremont agreed). The investigator is not
    let into Fremont's data by Fremont's own-agency permit, and still reaches nothing of
    Fremont's."""
    w = world
    changed = w.call("PUT", "ucpd-admin", "/v1/admin/users/ucpd-inv/acting-for",
                     {"agency": "fpd"})
    assert changed.status_code == 200, changed.text
    verdict = w.explain("ucpd-admin", "ucpd-inv", "fpd")
    assert not verdict["allowed"], verdict["policy_ids"]
    page = search(w, "ucpd-inv", w.plates["fpd"])
    assert page.status_code in (200, 422), page.text
    if page.status_code == 200:
        assert page.json()["total"] == 0


# --- 4. Every change is logged first; no entry, no change --------------------------------


def test_every_sharing_change_is_an_entry_with_the_hash_it_leaves_in_force(
    world: World,
) -> None:
    """Promise: each policy or agreement change is an audit entry, written with the
    change, naming who and carrying the hash of the policy set the change leaves in force.
    Attack (on the record): change agreements, presets, zones and settings in turn and
    compare each entry with the set the server then enforces."""
    w = world
    fpd = w.ids["fpd"]

    def check(kind: str, change: str) -> None:
        entry = w.last_entry()
        assert (entry["type"], entry["change"], entry["user"]) == (kind, change, "fpd-admin")
        enforced = w.call("GET", None, f"/v1/agencies/{fpd}/sharing").json()["policy_hash"]
        assert entry["policy_set_hash"] == enforced

    created = w.share("fpd", "ucpd")
    assert created.status_code == 201
    check("agreement_change", "add")
    assert w.last_entry()["partner_agency"] == "ucpd"
    assert w.call("DELETE", "fpd-admin",
                  f"/v1/admin/agreements/{created.json()['id']}").status_code == 204
    check("agreement_change", "revoke")
    assert w.call("PUT", "fpd-admin", "/v1/admin/sharing-preset",
                  {"preset": "in_state"}).status_code == 200
    check("policy_change", "agency_settings")
    assert w.call("PATCH", "fpd-admin", "/v1/admin/agency",
                  {"purposes": ["stolen_vehicle"]}).status_code == 200
    check("policy_change", "agency_settings")
    zone = w.call("POST", "fpd-admin", "/v1/admin/zones", {
        "name": "Irvington High", "place": "school", "centre": [37.52, -121.95],
        "radius_m": 150})
    assert zone.status_code == 201, zone.text
    check("zone_change", "add")


CHANGES: list[tuple[str, str, str, Any]] = [
    ("agreement", "POST", "/v1/admin/agreements",
     {"recipient": "ucpd", "actions": ["search"], "purposes": ["stolen_vehicle"]}),
    ("revoke", "DELETE", "/v1/admin/agreements/{aid}", None),
    ("preset", "PUT", "/v1/admin/sharing-preset", {"preset": "in_state"}),
    ("settings", "PATCH", "/v1/admin/agency", {"case_number_required": True}),
    ("zone", "POST", "/v1/admin/zones", {"name": "Irvington High", "place": "school",
                                         "centre": [37.52, -121.95], "radius_m": 150}),
]


@pytest.mark.parametrize(("name", "method", "path", "body"), CHANGES,
                         ids=[c[0] for c in CHANGES])
def test_a_change_the_log_cannot_take_is_not_made(
    world: World, name: str, method: str, path: str, body: Any
) -> None:
    """Promise: no audit entry, no change. Attack: with the audit log's table gone,
    Fremont's admin writes an agreement, revokes one, picks a preset, changes a setting and
    adds a zone. Each answers 503 and the catalog and the enforced set are as before."""
    w = world
    existing = w.share("fpd", "hpd")
    assert existing.status_code == 201
    aid = existing.json()["id"]
    hash_before = w.call("GET", None, f"/v1/agencies/{w.ids['fpd']}/sharing").json()[
        "policy_hash"]
    with w.catalog.engine.begin() as conn:
        conn.execute(text("DROP TABLE audit_entries"))
    response = w.call(method, "fpd-admin", path.format(aid=aid), body)
    assert response.status_code == 503, response.text
    rows = w.catalog.agreements()
    assert [(r.id, r.revoked_at) for r in rows] == [(aid, None)]
    agency = w.catalog.agency(w.ids["fpd"])
    assert agency is not None
    assert (agency.sharing_preset, agency.case_number_required) == ("agreements", False)
    assert w.catalog.zones() == []
    hash_after = w.call("GET", None, f"/v1/agencies/{w.ids['fpd']}/sharing").json()[
        "policy_hash"]
    assert hash_after == hash_before


# --- 5. Explanations and dry runs reveal nothing of other agencies ----------------------


def test_explaining_another_agencys_user_is_answered_as_an_unknown_one(world: World) -> None:
    """Promise: `as_user` explains only the caller's own agency's users. Attack: Union
    City's admin asks for Fremont's investigator, and for a name that does not exist. Both
    answer the same 404, confirming neither the account nor its roles."""
    w = world
    body = {"action": "search_exact", "purpose": "stolen_vehicle"}
    other = w.call("POST", "ucpd-admin", "/v1/policy/explain", body | {"as_user": "fpd-inv"})
    ghost = w.call("POST", "ucpd-admin", "/v1/policy/explain", body | {"as_user": "nobody-x"})
    assert other.status_code == ghost.status_code == 404
    assert other.json()["error"]["code"] == ghost.json()["error"]["code"]
    assert "investigator" not in other.text


@pytest.mark.parametrize("body", [
    {"action": "drop_table", "purpose": "stolen_vehicle"},
    {"action": "search_exact", "purpose": "immigration"},
    {"action": "search_exact", "purpose": "stolen_vehicle", "requested_by": "no-such"},
    {"action": "search_exact", "purpose": "stolen_vehicle", "owners": [2**62, -1]},
    {"action": "search_exact", "purpose": "stolen_vehicle", "hotlist_category": '"]}'},
    {"action": "search_exact", "purpose": "stolen_vehicle", "reason": "x" * 200_000},
], ids=["action", "purpose", "requested_by", "owners", "category", "reason"])
def test_a_malformed_explanation_is_a_4xx_or_a_denial_never_a_500(
    world: World, body: dict[str, Any]
) -> None:
    """Promise: a request that cannot be decided is refused clearly; an owner that does
    not exist is denied, never allowed. Attack: unknown actions, purposes and agencies,
    absurd owner ids, Cedar-looking text, a 200 kB reason."""
    w = world
    response = w.call("POST", "ucpd-admin", "/v1/policy/explain", body)
    assert response.status_code in (200, 404, 422), response.text
    if response.status_code == 200:
        assert not any(o["allowed"] for o in response.json()["owners"]
                       if o["owner_id"] not in w.ids.values())


def test_explain_does_not_reveal_another_pairs_agreements(world: World) -> None:
    """Promise: explanations do not reveal another agency's private settings. Fremont
    signs a Hayward agreement that starts next month and revokes an older one: neither is
    on the public sharing page. Attack: Union City's admin explains its investigator's
    search "requested by" Hayward over Fremont's data. The answer must not name Fremont's
    agreements with Hayward."""
    w = world
    future = w.share("fpd", "hpd", starts_at=(NOW + timedelta(days=30)).isoformat())
    assert future.status_code == 201, future.text
    old = w.share("fpd", "hpd", purposes=["homicide"])
    assert old.status_code == 201, old.text
    assert w.call("DELETE", "fpd-admin",
                  f"/v1/admin/agreements/{old.json()['id']}").status_code == 204
    public = w.call("GET", None, f"/v1/agencies/{w.ids['fpd']}/sharing").json()
    assert w.ids["hpd"] not in [p["agency_id"] for p in public["partners"]]
    response = w.call("POST", "ucpd-admin", "/v1/policy/explain", {
        "action": "search_exact", "purpose": "stolen_vehicle", "case_number": "X-1",
        "reason": "stolen white pickup seen on Elm", "as_user": "ucpd-inv",
        "requested_by": "hpd", "owners": [w.ids["fpd"]]})
    assert response.status_code in (200, 422), response.text
    page = search(w, "ucpd-inv", w.plates["fpd"], requested_by="hpd")  # the same, searched
    assert page.status_code == 200, page.text
    assert not owner_of(page.json(), w.ids["fpd"])["allowed"]
    for aid in (future.json()["id"], old.json()["id"]):
        assert f"agreement-{aid}" not in response.text, response.text[:800]
        assert f"agreement-{aid}" not in page.text, page.text[:800]


def test_a_dry_run_shows_nothing_of_the_recipients_own_settings(world: World) -> None:
    """Promise: the dry run of a new agreement decides the owner's data only. Attack:
    Hayward shares with Union City and has a preset; Fremont's admin dry-runs an
    agreement with Hayward and reads the answer for Hayward's agreements and preset."""
    w = world
    hayward = w.share("hpd", "ucpd", purposes=["homicide"])
    assert hayward.status_code == 201
    assert w.call("PUT", "hpd-admin", "/v1/admin/sharing-preset",
                  {"preset": "none"}).status_code == 200
    created = w.share("fpd", "hpd")
    assert created.status_code == 201, created.text
    text_ = json.dumps(created.json()["dry_run"]) + json.dumps(created.json()["warnings"])
    assert f"agreement-{hayward.json()['id']}" not in text_
    assert f"preset-{w.ids['hpd']}" not in text_
    assert "homicide" not in text_
