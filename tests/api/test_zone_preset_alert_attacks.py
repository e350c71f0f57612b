"""Attacks on collection zones, sharing presets, the alert feeds, hot lists shared with
partner nodes and the retention settings, through the real app.

World: three cities (Union City `ucpd` and Fremont `fpd` in California, Virginia Beach
`vbpd` under the Virginia pack), each with an admin, an investigator, a supervisor, an
auditor and a dispatcher (second factors on); and two partner nodes: `sanleandro`
answering for San Leandro (`slpd`, a California city with no users here) and `hayward`
answering for Hayward (`hpd`), whose key is revoked in some tests.

The promises held here (docs/api.md, docs/policies.md, docs/hotlists.md,
docs/federation.md, docs/retention.md):
- an agency's admin reads and changes its own agency's zones, preset and retention clocks
  only; another agency's are answered as absent; no other role changes them;
- a malformed or oversized body is a 4xx, never a 500, and changes nothing;
- a hit reaches its list owner's agency only, and a partner node delivers hits only on a
  list shared with it, while shared, and cannot make an agency's hit feed unreadable;
- a retention clock may be shortened, never lengthened past the law pack's;
- every change is an audit entry, and a refused one leaves none.

A test marked ``xfail(strict=True)`` shows a hole; its reason names it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from plateledger.access.shared_hotlists import HITS_PATH
from plateledger.api.app import create_app
from plateledger.audit import AuditLog
from plateledger.catalog import Catalog
from plateledger.federation import NodeKey, NodeRegistry
from plateledger.federation.registry import operator
from plateledger.settings import Settings
from tests.api.conftest import AgencyWorld, add_agencies, catalog_of
from tests.federation.test_federation_attacks import CLOSED, signed

ROLES = {"admin": ["admin"], "inv": ["investigator"], "sup": ["supervisor"],
         "aud": ["auditor"], "disp": ["dispatcher"]}
AT = (40.131, -122.931)  # where this file's cameras stand: no other test reads here
SCHOOL = (40.1342, -122.9377)
"""A school near this file's cameras, the centre of the zones its tests record."""


def qzp() -> str:
    """A plate no other test uses (the read store is shared by the test session)."""
    return "QZP" + uuid.uuid4().hex[:4].upper().replace("0", "A").replace("O", "B")


@dataclass
class World(AgencyWorld):
    sanleandro: NodeKey
    hayward: NodeKey

    def call(self, method: str, user: str | None, path: str, body: Any = None,
             **kw: Any) -> Any:
        headers = self.login(user) if user else {}
        return self.client.request(method, path, json=body, headers=headers, **kw)

    def raw(self, method: str, user: str, path: str, content: bytes) -> Any:
        """A request whose JSON body is sent as written (NaN, Infinity, 10 MB …)."""
        headers = {**self.login(user), "Content-Type": "application/json"}
        return self.client.request(method, path, content=content, headers=headers)

    @property
    def catalog(self) -> Catalog:
        found: Catalog = self.client.app.state.catalog  # type: ignore[attr-defined]
        return found

    def log(self) -> AuditLog:
        found: AuditLog = self.client.app.state.audit_log  # type: ignore[attr-defined]
        return found

    def audit_size(self) -> int:
        return int(self.log().size())

    def entries_since(self, size: int) -> list[dict[str, Any]]:
        log = self.log()
        return [r.entry for r in log.entries(size, log.size())]

    def zone(self, admin: str, **body: Any) -> Any:
        return self.call("POST", admin, "/v1/admin/zones", {
            "name": "Ridge Elementary", "place": "school", "centre": list(SCHOOL),
            "radius_m": 150} | body)

    def node(self, key: NodeKey, path: str, payload: Any) -> Any:
        raw, headers = signed(key, payload, url=f"http://testserver{path}")
        return self.client.post(path, content=raw, headers=headers)


@pytest.fixture
def world(tmp_path: Path, store_path: Path) -> Iterator[World]:
    settings = Settings(data_dir=tmp_path / "data", store_path=store_path, secret_key="k" * 32,
                        require_totp=True, public_url="http://testserver",
                        federation_timeout_seconds=5.0)
    secrets: dict[str, str] = {}
    sanleandro, hayward = NodeKey.generate(), NodeKey.generate()
    with catalog_of(settings) as catalog:
        ids = add_agencies(catalog, [("ucpd", "Union City PD", "municipal", "CA"),
                                     ("fpd", "Fremont PD", "municipal", "CA")],
                           ROLES, secrets, at=AT)
        ids |= add_agencies(catalog, [("vbpd", "Virginia Beach PD", "municipal", "VA")],
                            ROLES, secrets, at=AT)
        for slug, name in (("slpd", "San Leandro PD"), ("hpd", "Hayward PD")):
            ids[slug] = catalog.add_agency(name, slug, "municipal", "CA").id
        registry = NodeRegistry(catalog, AuditLog(catalog.engine, signer=None))
        registry.add(operator(), "sanleandro", CLOSED, sanleandro.public.text(), ["slpd"])
        registry.add(operator(), "hayward", CLOSED, hayward.public.text(), ["hpd"])
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield World(client, settings, ids, secrets, sanleandro, hayward)


# --- 1. Zones: an agency's own, its admin's only, well formed ---------------------------


def test_an_admin_of_one_agency_cannot_revoke_or_list_another_agencys_zone(
    world: World,
) -> None:
    """Promise: another agency's zone answers 404, as an unknown one does. Attack:
    Fremont's admin lists zones and deletes Union City's school zone by id. The answer is
    the unknown id's, the zone stays active, and nothing is logged."""
    w = world
    created = w.zone("ucpd-admin")
    assert created.status_code == 201, created.text
    zone_id = created.json()["id"]
    before = w.audit_size()
    assert w.call("GET", "fpd-admin", "/v1/admin/zones").json() == []
    theirs = w.call("DELETE", "fpd-admin", f"/v1/admin/zones/{zone_id}")
    unknown = w.call("DELETE", "fpd-admin", f"/v1/admin/zones/{zone_id + 1000}")
    assert theirs.status_code == unknown.status_code == 404, theirs.text
    assert theirs.json()["error"]["code"] == unknown.json()["error"]["code"]
    assert "Ridge" not in theirs.text
    assert w.audit_size() == before
    [zone] = w.catalog.zones(w.ids["ucpd"])
    assert zone.revoked_at is None
    listed = w.call("GET", "ucpd-admin", "/v1/admin/zones").json()
    assert [z["id"] for z in listed] == [zone_id] and listed[0]["revoked_at"] is None


def test_a_revoked_zone_of_another_agency_answers_as_an_unknown_one(world: World) -> None:
    """Promise: whether another agency has (had) a zone under an id is not told. Attack:
    Union City revokes its zone; Fremont's admin then deletes it again. Fremont gets the
    unknown id's 404, not the owner's "already revoked"."""
    w = world
    zone_id = w.zone("ucpd-admin").json()["id"]
    assert w.call("DELETE", "ucpd-admin", f"/v1/admin/zones/{zone_id}").status_code == 204
    again = w.call("DELETE", "ucpd-admin", f"/v1/admin/zones/{zone_id}")
    assert again.status_code == 422, again.text  # the owner is told
    theirs = w.call("DELETE", "fpd-admin", f"/v1/admin/zones/{zone_id}")
    assert theirs.status_code == 404, theirs.text
    assert "revoked" not in theirs.text


@pytest.mark.parametrize("suffix", ["inv", "sup", "aud", "disp"])
def test_no_role_but_admin_lists_or_revokes_zones(world: World, suffix: str) -> None:
    """Promise: zones are managed by the admin role (`role-manage`). Attack: each other
    role of Union City lists its zones and revokes one. Each is a 403; the zone stays and
    nothing is logged."""
    w = world
    zone_id = w.zone("ucpd-admin").json()["id"]
    before = w.audit_size()
    listed = w.call("GET", f"ucpd-{suffix}", "/v1/admin/zones")
    assert listed.status_code == 403 and "Ridge" not in listed.text
    revoked = w.call("DELETE", f"ucpd-{suffix}", f"/v1/admin/zones/{zone_id}")
    assert revoked.status_code == 403, revoked.text
    assert w.catalog.zones(w.ids["ucpd"])[0].revoked_at is None
    assert w.audit_size() == before


def test_revoking_a_zone_is_an_entry_naming_the_admin_and_the_zone(world: World) -> None:
    """Promise: every change of a zone is a `zone_change` entry with the values before and
    after. Attack (on the record): Union City's admin revokes a zone; the entry names them,
    the zone and its owner."""
    w = world
    zone_id = w.zone("ucpd-admin").json()["id"]
    before = w.audit_size()
    assert w.call("DELETE", "ucpd-admin", f"/v1/admin/zones/{zone_id}").status_code == 204
    [entry] = w.entries_since(before)
    assert (entry["type"], entry["change"], entry["user"]) == (
        "zone_change", "revoke", "ucpd-admin")
    assert entry["zone_id"] == zone_id and entry["owner_agency"] == "ucpd"
    assert entry["before"] == {"revoked_at": None} and entry["after"]["revoked_at"]


BAD_ZONES = [
    b'{"name": "z", "place": "school", "centre": [NaN, -122.93], "radius_m": 100}',
    b'{"name": "z", "place": "school", "centre": [40.13, Infinity], "radius_m": 100}',
    b'{"name": "z", "place": "school", "centre": [40.13, -122.93], "radius_m": NaN}',
    b'{"name": "z", "place": "school", "centre": [40.13, -122.93], "radius_m": Infinity}',
    b'{"name": "z", "place": "school", "centre": [40.13, -122.93], "radius_m": 1e308}',
    b'{"name": "z", "place": "school", "centre": [40.13, -122.93], "radius_m": 5001}',
    b'{"name": "z", "place": "school", "centre": [400, -122.93], "radius_m": 100}',
    b'{"name": "z", "place": "school", "centre": [40.13], "radius_m": 100}',
    b'{"name": "z", "place": "school", "centre": [40.13, -122.93, 7], "radius_m": 100}',
    b'{"name": "z", "place": "school", "centre": [40.13, -122.93]}',
    b'{"name": "z", "place": "school", "radius_m": 100}',
    b'{"name": "z", "place": "school"}',
    b'{"name": "z", "place": "school", "polygon": [[40.1, -122.9], [40.2, -122.9]]}',
    b'{"name": "z", "place": "school", "polygon": [[40.1, -122.9], [40.2, NaN],'
    b' [40.2, -122.8]]}',
    b'{"name": "z", "place": "school", "polygon": [[40.1, -122.9], [40.2, -122.9],'
    b' [40.2, -122.8]], "centre": [40.13, -122.93], "radius_m": 100}',
    b'{"name": "z", "place": "school", "polygon": [[40.1, -122.9, 1], [40.2, -122.9],'
    b' [40.2, -122.8]]}',
    b'{"name": "z", "place": "school", "polygon": "40.1,-122.9"}',
    b'{"name": "z", "place": "casino", "centre": [40.13, -122.93], "radius_m": 100}',
    b'{"name": "   ", "place": "school", "centre": [40.13, -122.93], "radius_m": 100}',
    b'{"name": "z", "place": "school", "centre": [40.13, -122.93], "radius_m": 100,'
    b' "agency_id": 2}',
    b'{"name": "z", "place": "school", "centre": [40.13, -122.93], "radius_m": 100,'
    b' "rule_id": "wa-sb6002-sensitive-location"}',
    b'[]',
    b'{"name": "z", "place": "school", "centre": [40.13, -122.93], "radius_m": 100',
]


@pytest.mark.parametrize("content", BAD_ZONES, ids=range(len(BAD_ZONES)))
def test_a_malformed_zone_is_a_422_and_records_nothing(world: World, content: bytes) -> None:
    """Promise: a zone that is not a circle of at most 5 km or a polygon of 3 to 200
    [lat, lon] points on the globe is refused with a 422, never a 500, and neither stored
    nor logged. Attack: not-a-number and infinite coordinates and radii, a radius past the
    cap, points of one or three numbers, both shapes or none, an unknown place, a blank
    name, a named agency or rule, and bodies that are not a zone object."""
    w = world
    before = w.audit_size()
    response = w.raw("POST", "ucpd-admin", "/v1/admin/zones", content)
    assert response.status_code == 422, response.text
    assert "Traceback" not in response.text
    assert w.catalog.zones() == [] and w.audit_size() == before


def oversize_zone(kind: str) -> bytes:
    if kind == "name":
        return json.dumps({"name": "x" * 10_000_000, "place": "school",
                           "centre": list(SCHOOL), "radius_m": 100}).encode()
    if kind == "place":
        return json.dumps({"name": "z", "place": "s" * 10_000_000,
                           "centre": list(SCHOOL), "radius_m": 100}).encode()
    ring = [[40.13 + i * 1e-6, -122.93 + (i % 2) * 1e-4] for i in range(300_000)]
    return json.dumps({"name": "z", "place": "school", "polygon": ring}).encode()


@pytest.mark.parametrize("kind", ["name", "place", "polygon"])
def test_an_oversized_zone_is_refused_without_a_trace(world: World, kind: str) -> None:
    """Promise: a huge body is a 4xx (too large, or invalid), never a 500. Attack: a 10 MB
    zone name, a 10 MB place, a polygon of 300,000 points."""
    w = world
    response = w.raw("POST", "ucpd-admin", "/v1/admin/zones", oversize_zone(kind))
    assert response.status_code in (413, 422), response.status_code
    assert "Traceback" not in response.text and len(response.content) < 100_000
    assert w.catalog.zones() == []


@pytest.mark.parametrize("zone_id", ["0", "-1", "99999999999999999999", "1e3", "abc",
                                     "%00", "1;DROP"])
def test_an_odd_zone_id_is_a_4xx(world: World, zone_id: str) -> None:
    """Promise: a path id that is not a row id is a 4xx, never a 500. Attack: zero,
    negative, overflowing, float and injected ids in `DELETE /v1/admin/zones/{id}`."""
    w = world
    w.zone("ucpd-admin")
    response = w.call("DELETE", "ucpd-admin", f"/v1/admin/zones/{zone_id}")
    assert 400 <= response.status_code < 500, response.text
    assert all(z.revoked_at is None for z in w.catalog.zones())


def test_another_agencys_zone_does_not_refuse_this_agencys_camera(world: World) -> None:
    """Promise: a zone refuses its own agency's cameras only. Attack: Union City records a
    school zone where Fremont has a camera planned. Fremont registers it; Union City may
    not register one there."""
    w = world
    assert w.zone("ucpd-admin").status_code == 201
    camera = {"camera_id": "qzp-fpd-school", "kind": "fixed", "lat": SCHOOL[0],
              "lon": SCHOOL[1]}
    theirs = w.call("POST", "fpd-admin", "/v1/admin/cameras", camera)
    assert theirs.status_code == 201, theirs.text
    own = w.call("POST", "ucpd-admin", "/v1/admin/cameras",
                 camera | {"camera_id": "qzp-ucpd-school"})
    assert own.status_code in (409, 422), own.text


# --- 2. Sharing presets: the admin's own, well formed -----------------------------------


@pytest.mark.parametrize("suffix", ["inv", "sup", "aud", "disp"])
def test_no_role_but_admin_reads_the_preset_route(world: World, suffix: str) -> None:
    """Promise: the preset route is an agreement-level one (`role-manage`). Attack: Union
    City's other roles read it."""
    response = world.call("GET", f"ucpd-{suffix}", "/v1/admin/sharing-preset")
    assert response.status_code == 403, response.text


@pytest.mark.parametrize("content", [
    b'{"preset": "agreements", "radius_km": NaN}',
    b'{"preset": "none", "radius_km": Infinity}',
    b'{"preset": "in_state", "radius_km": -1}',
    b'{"preset": "agreements", "states": ["ZZ"]}',
    b'{"preset": "none", "states": ["CA", "NV"]}',
], ids=["agreements-nan", "none-inf", "in_state-negative", "agreements-states",
        "none-states"])
def test_terms_a_preset_does_not_use_are_never_stored(world: World, content: bytes) -> None:
    """Promise: a preset stores what it says, and every answer about it is well formed.
    Attack: Union City's admin sends a radius (not a number, infinite, negative) or states
    with a preset that takes neither. Either a 422 with nothing changed, or a 200 whose
    stored preset carries no such term; the preset route and the public sharing page
    still answer."""
    w = world
    response = w.raw("PUT", "ucpd-admin", "/v1/admin/sharing-preset", content)
    assert response.status_code in (200, 422), response.text
    agency = w.catalog.agency(w.ids["ucpd"])
    assert agency is not None
    assert agency.sharing_radius_km is None and not agency.sharing_states
    assert w.call("GET", "ucpd-admin", "/v1/admin/sharing-preset").status_code == 200
    assert w.call("GET", None, f"/v1/agencies/{w.ids['ucpd']}/sharing").status_code == 200


@pytest.mark.parametrize("content", [
    json.dumps({"preset": "named_states", "states": ["C" * 10_000_000]}).encode(),
    json.dumps({"preset": "named_states", "states": ["CA"] * 100_000}).encode(),
    json.dumps({"preset": "x" * 10_000_000}).encode(),
], ids=["10MB-state", "100k-states", "10MB-preset"])
def test_an_oversized_preset_is_refused_and_changes_nothing(
    world: World, content: bytes
) -> None:
    """Promise: a huge body is a 4xx, never a 500, and the preset in force stays."""
    w = world
    before = w.audit_size()
    response = w.raw("PUT", "fpd-admin", "/v1/admin/sharing-preset", content)
    assert response.status_code in (413, 422), response.status_code
    assert len(response.content) < 100_000
    agency = w.catalog.agency(w.ids["fpd"])
    assert agency is not None and agency.sharing_preset == "agreements"
    assert w.audit_size() == before


def test_a_preset_change_is_one_entry_and_a_refused_one_none(world: World) -> None:
    """Promise: a preset change is one `policy_change` entry naming the admin and the
    values before and after; a refused one is no entry."""
    w = world
    before = w.audit_size()
    refused = w.call("PUT", "fpd-admin", "/v1/admin/sharing-preset",
                     {"preset": "named_states", "states": ["ca"]})
    assert refused.status_code == 422 and w.audit_size() == before
    chosen = w.call("PUT", "fpd-admin", "/v1/admin/sharing-preset",
                    {"preset": "named_states", "states": ["NV", "CA", "CA"]})
    assert chosen.status_code == 200, chosen.text
    assert chosen.json()["states"] == ["CA", "NV"]
    [entry] = w.entries_since(before)
    assert (entry["type"], entry["user"], entry["agency"]) == (
        "policy_change", "fpd-admin", "fpd")
    assert "named_states" in json.dumps(entry["after"])
    assert "agreements" in json.dumps(entry["before"])


# --- 3. Retention clocks: shorter, never longer than the pack's ------------------------


def policies(w: World, user: str) -> dict[str, Any]:
    response = w.call("GET", user, "/v1/retention/policies")
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()["policies"]
    return found


def test_an_admin_cannot_lengthen_a_clock_past_the_law_pack(world: World) -> None:
    """Promise: an agency may be stricter than its pack, never looser (docs/retention.md:
    Virginia keeps non-hits 21 days). Attack: Virginia Beach's admin publishes a non-hit
    clock of a hundred years. The clock that applies stays 21 days; a shorter one (the
    control) applies at once."""
    w = world
    vb = str(w.ids["vbpd"])
    assert policies(w, "vbpd-sup")[vb]["non_hit_s"] == 21 * 86_400
    response = w.call("PATCH", "vbpd-admin", "/v1/admin/agency",
                      {"retention_nonhit_days": 36_500})
    assert response.status_code in (200, 422), response.text
    assert policies(w, "vbpd-sup")[vb]["non_hit_s"] == 21 * 86_400
    shorter = w.call("PATCH", "vbpd-admin", "/v1/admin/agency", {"retention_nonhit_days": 5})
    assert shorter.status_code == 200, shorter.text
    assert policies(w, "vbpd-sup")[vb]["non_hit_s"] == 5 * 86_400


@pytest.mark.parametrize("value", [0, -1, 36_501, 10**20, 1.5, "thirty", "30", True, None],
                         ids=repr)
def test_an_odd_retention_clock_is_a_422_and_changes_nothing(
    world: World, value: Any
) -> None:
    """Promise: a clock is a whole number of days from 1 to 36,500, or null for the
    pack's; anything else is a 422 and leaves the clock and the log as they were. Attack:
    zero, negative, past the bound, overflowing, fractional, a word, a number as text,
    ``true`` (read as 1 day, it would purge the agency's reads at the next run). (``None``
    is the pack's clock: a 200, the control.)"""
    w = world
    before = w.audit_size()
    agency = w.catalog.agency(w.ids["ucpd"])
    assert agency is not None
    response = w.call("PATCH", "ucpd-admin", "/v1/admin/agency",
                      {"retention_nonhit_days": value})
    after = w.catalog.agency(w.ids["ucpd"])
    assert after is not None
    if value is None:
        assert response.status_code == 200, response.text
        assert after.retention_nonhit_days is None
        return
    assert response.status_code == 422, response.text
    assert after.retention_nonhit_days == agency.retention_nonhit_days
    assert w.audit_size() == before


@pytest.mark.parametrize("suffix", ["inv", "sup", "aud", "disp"])
def test_no_role_but_admin_changes_a_clock_or_runs_a_purge(world: World, suffix: str) -> None:
    """Promise: clocks are agency settings (`role-manage`) and a purge is run by
    administrators only. Attack: each other role shortens Union City's non-hit clock to a
    day (to have its reads purged) and asks for a purge. Each is a 403; only the
    supervisor (`role-manage-holds`) reads the clocks."""
    w = world
    before = w.audit_size()
    patched = w.call("PATCH", f"ucpd-{suffix}", "/v1/admin/agency",
                     {"retention_nonhit_days": 1})
    assert patched.status_code == 403, patched.text
    assert w.call("POST", f"ucpd-{suffix}", "/v1/retention/run").status_code == 403
    clocks = w.call("GET", f"ucpd-{suffix}", "/v1/retention/policies").status_code
    assert clocks == (200 if suffix == "sup" else 403)  # holds are the supervisor's
    agency = w.catalog.agency(w.ids["ucpd"])
    assert agency is not None and agency.retention_nonhit_days is None
    assert w.audit_size() == before


def test_an_admin_changes_its_own_clock_only_and_the_change_is_logged(world: World) -> None:
    """Promise: the settings route changes the caller's agency alone. Attack: Fremont's
    admin names Union City (`agency_id`, `id`, `slug`) while shortening a clock: a 422.
    Its own change is one entry with the clock before and after, and Union City's clock
    that applies does not move."""
    w = world
    uc = str(w.ids["ucpd"])
    theirs = policies(w, "ucpd-sup")[uc]
    for named in ({"agency_id": w.ids["ucpd"]}, {"id": w.ids["ucpd"]}, {"slug": "ucpd"}):
        response = w.call("PATCH", "fpd-admin", "/v1/admin/agency",
                          {"retention_nonhit_days": 1} | named)
        assert response.status_code == 422, response.text
    before = w.audit_size()
    own = w.call("PATCH", "fpd-admin", "/v1/admin/agency", {"retention_nonhit_days": 7})
    assert own.status_code == 200, own.text
    [entry] = w.entries_since(before)
    assert (entry["user"], entry["agency"]) == ("fpd-admin", "fpd")
    assert entry["after"]["retention_nonhit_days"] == 7
    assert entry["before"]["retention_nonhit_days"] is None
    assert policies(w, "ucpd-sup")[uc] == theirs
    agency = w.catalog.agency(w.ids["ucpd"])
    assert agency is not None and agency.retention_nonhit_days is None


# --- 4. Alerts: the list owner's, and only while shared --------------------------------


def new_list(w: World, user: str, plate: str) -> int:
    made = w.call("POST", user, "/v1/hotlists", {
        "name": f"qzp-{uuid.uuid4().hex[:6]}", "source": "local", "category": "stolen_vehicle",
        "entries": [{"plate": plate, "reason": "stolen", "case_number": "QZ-1"}]})
    assert made.status_code == 201, made.text
    return int(made.json()["list_id"])


def entry_of(w: World, user: str, list_id: int) -> int:
    entries = w.call("GET", user, f"/v1/hotlists/{list_id}/entries")
    assert entries.status_code == 200, entries.text
    return int(entries.json()[0]["id"])


def partner_hit(list_id: int, entry_id: int, plate: str, *, agency: str = "ucpd",
                read_owner: str = "slpd", **read: Any) -> dict[str, Any]:
    """A hit San Leandro's node delivers on Union City's shared list."""
    now = datetime.now(UTC)
    return {
        "hit_id": str(uuid.uuid4()), "list_id": list_id, "entry_id": entry_id,
        "agency": agency, "read_owner": read_owner, "created_at": now.isoformat(),
        "category": "stolen_vehicle", "match_kind": "exact", "plate_listed": plate,
        "read": {"read_id": str(uuid.uuid4()), "camera_id": "sl-9",
                 "ts": (now - timedelta(minutes=1)).isoformat(), "plate": plate,
                 "region": "CA", "lat": AT[0], "lon": AT[1]} | read,
        "policy_ids": [], "audit_index": 3,
    }


def shared_list(w: World, plate: str, node: str = "sanleandro") -> tuple[int, int]:
    """A list of Union City's, listing ``plate``, shared with ``node``: its id and its
    entry's."""
    list_id = new_list(w, "ucpd-sup", plate)
    shared = w.call("POST", "ucpd-sup", f"/v1/hotlists/{list_id}/shares", {"node": node})
    assert shared.status_code == 201, shared.text
    return list_id, entry_of(w, "ucpd-sup", list_id)


def test_a_list_of_another_agency_cannot_be_shared_listed_or_unshared(world: World) -> None:
    """Promise: a list's shares are its owner's managers' alone. Attack: Fremont's
    supervisor shares Union City's list with San Leandro (so its hits are raised), lists
    its shares (to learn its partners) and ends Union City's share with San Leandro. Each
    answers as for a list that does not exist; the share stays, and nothing is logged."""
    w = world
    plate = qzp()
    list_id, _ = shared_list(w, plate)
    before = w.audit_size()
    for method, path, body in [
        ("POST", "/v1/hotlists/{}/shares", {"node": "hayward"}),
        ("GET", "/v1/hotlists/{}/shares", None),
        ("DELETE", "/v1/hotlists/{}/shares/sanleandro", None),
    ]:
        theirs = w.call(method, "fpd-sup", path.format(list_id), body)
        unknown = w.call(method, "fpd-sup", path.format(987654), body)
        assert theirs.status_code == unknown.status_code == 404, (method, theirs.text)
        assert theirs.json()["error"]["code"] == unknown.json()["error"]["code"]
        assert theirs.text.replace(str(list_id), "ID") == unknown.text.replace("987654", "ID")
        assert plate not in theirs.text
    assert w.audit_size() == before
    [share] = w.call("GET", "ucpd-sup", f"/v1/hotlists/{list_id}/shares").json()
    assert share["node"] == "sanleandro" and share["unshared_at"] is None


@pytest.mark.parametrize("suffix", ["inv", "aud", "disp"])
def test_no_role_but_a_manager_shares_a_list(world: World, suffix: str) -> None:
    """Promise: sharing a list is `manage_hotlists` (supervisor or admin). Attack: Union
    City's investigator, auditor and dispatcher share its list with a partner."""
    w = world
    list_id = new_list(w, "ucpd-sup", qzp())
    before = w.audit_size()
    response = w.call("POST", f"ucpd-{suffix}", f"/v1/hotlists/{list_id}/shares",
                      {"node": "sanleandro"})
    assert response.status_code == 403, response.text
    assert w.call("GET", "ucpd-sup", f"/v1/hotlists/{list_id}/shares").json() == []
    assert w.audit_size() == before


@pytest.mark.parametrize(("node", "status"), [
    ("nowhere", 404), ("x" * 65, 422), ("", 422), ("sanleandro\n", 404),
    ("SANLEANDRO", 404), ("hayward", 409)])
def test_a_list_is_shared_with_a_registered_live_node_only(
    world: World, node: str, status: int
) -> None:
    """Promise: a list is shared with a registered, unrevoked node by its exact name.
    Attack: an unknown node, an overlong or empty name, a name with a trailing newline or
    in capitals, and a node whose key was revoked."""
    w = world
    with catalog_of(w.settings) as catalog:
        NodeRegistry(catalog, AuditLog(catalog.engine, signer=None)).revoke(
            operator(), "hayward")
    list_id = new_list(w, "ucpd-sup", qzp())
    before = w.audit_size()
    response = w.call("POST", "ucpd-sup", f"/v1/hotlists/{list_id}/shares", {"node": node})
    assert response.status_code == status, response.text
    assert w.call("GET", "ucpd-sup", f"/v1/hotlists/{list_id}/shares").json() == []
    assert w.audit_size() == before


def test_a_partners_hit_reaches_the_list_owner_only(world: World) -> None:
    """Promise: a hit a partner node delivers on a shared list is the list owner's alone:
    Fremont neither lists it, nor opens it by id, nor counts it. (Control: Union City
    does.)"""
    w = world
    plate = qzp()
    list_id, entry_id = shared_list(w, plate)
    body = partner_hit(list_id, entry_id, plate)
    taken = w.node(w.sanleandro, HITS_PATH, body)
    assert taken.status_code == 200, taken.text
    hit_id = body["hit_id"]
    [own] = w.call("GET", "ucpd-disp", "/v1/hits").json()
    assert own["hit_id"] == hit_id and own["read"]["plate"] == plate
    assert w.call("GET", "fpd-disp", "/v1/hits?limit=1000").json() == []
    assert w.call("GET", "fpd-disp", f"/v1/hits/{hit_id}").status_code == 404
    stats = w.call("GET", "fpd-disp", "/v1/hits/stats", params={
        "since": "2000-01-01T00:00:00Z", "until": "2100-01-01T00:00:00Z"}).json()
    assert stats["matches"] == 0


def test_a_partner_cannot_deliver_a_hit_for_another_agencys_list(world: World) -> None:
    """Promise: a hit is taken on a list shared with that node, for the agency that owns
    it. Attack: San Leandro's node, sharing Union City's list, names Fremont as the list
    owner (to reach Fremont's feed), and Hayward's node (not shared with) delivers on
    Union City's list. Both are refused; nothing reaches either feed."""
    w = world
    plate = qzp()
    list_id, entry_id = shared_list(w, plate)
    other = w.node(w.sanleandro, HITS_PATH, partner_hit(list_id, entry_id, plate,
                                                        agency="fpd"))
    assert other.status_code == 404, other.text
    stranger = w.node(w.hayward, HITS_PATH, partner_hit(list_id, entry_id, plate,
                                                        read_owner="hpd"))
    assert stranger.status_code == 404, stranger.text
    assert w.call("GET", "ucpd-disp", "/v1/hits").json() == []
    assert w.call("GET", "fpd-disp", "/v1/hits").json() == []


def test_a_hit_delivered_after_the_share_moved_to_another_node_is_refused(
    world: World,
) -> None:
    """Promise: hits are taken while the list is shared with that node. Attack: Union
    City ends its share with San Leandro and shares the list with Hayward instead; San
    Leandro's node keeps delivering hits on it. They are refused, Hayward's are taken."""
    w = world
    plate = qzp()
    list_id, entry_id = shared_list(w, plate)
    ended = w.call("DELETE", "ucpd-sup", f"/v1/hotlists/{list_id}/shares/sanleandro")
    assert ended.status_code == 200, ended.text
    again = w.call("POST", "ucpd-sup", f"/v1/hotlists/{list_id}/shares", {"node": "hayward"})
    assert again.status_code == 201, again.text
    late = w.node(w.sanleandro, HITS_PATH, partner_hit(list_id, entry_id, plate))
    assert late.status_code == 404, late.text
    fresh = w.node(w.hayward, HITS_PATH, partner_hit(list_id, entry_id, plate,
                                                     read_owner="hpd"))
    assert fresh.status_code == 200, fresh.text
    assert [h["read"]["owner_id"] for h in w.call("GET", "ucpd-disp", "/v1/hits").json()] \
        == [w.ids["hpd"]]


@pytest.mark.parametrize("read", [
    {"lat": float("inf")}, {"lon": float("-inf")}, {"lat": float("nan")},
    {"lat": 1000.0}, {"lon": -540.0},
], ids=["lat-inf", "lon-minus-inf", "lat-nan", "lat-1000", "lon-540"])
def test_a_partners_hit_whose_read_is_off_the_globe_is_refused(
    world: World, read: dict[str, float]
) -> None:
    """Promise: a partner's hit is refused when malformed (422), as a local read off the
    globe is at ingest, and an agency's hit feed never carries an impossible place.
    Attack: San Leandro's node delivers a hit on Union City's shared list whose read
    stands at an infinite, not-a-number or impossible latitude or longitude. It is
    refused, and Union City's dispatchers still list their (no) hits."""
    w = world
    plate = qzp()
    list_id, entry_id = shared_list(w, plate)
    body = partner_hit(list_id, entry_id, plate)
    body["read"] |= read
    delivered = w.node(w.sanleandro, HITS_PATH, body)
    assert delivered.status_code == 422, delivered.text
    feed = w.call("GET", "ucpd-disp", "/v1/hits")
    assert feed.status_code == 200, feed.text
    assert feed.json() == []


@pytest.mark.parametrize("dates", [
    {"created_at": "9999-12-31T23:59:59+00:00"},
    {"created_at": "2200-01-01T00:00:00+00:00"},
    {"read": {"ts": "9999-12-31T23:59:59+00:00"}},
    {"created_at": "2026-01-01T00:00:00"},
    {"read": {"ts": "2026-01-01T00:00:00"}},
], ids=["created-9999", "created-2200", "read-9999", "created-naive", "read-naive"])
def test_a_partner_cannot_date_a_hit_in_the_future_or_in_no_zone(
    world: World, dates: dict[str, Any]
) -> None:
    """Promise: a hit is kept no longer than the hit retention from its delivery
    (docs/hotlists.md) and a partner's malformed hit is a 422 (`invalid_entry` or a
    validation error), never a 500. Attack: San Leandro's node delivers a hit on Union
    City's shared list dated centuries ahead (so that it heads Union City's feed and
    outlives every clock, or overflows the calendar), or whose read is, or dated with no
    time zone. Each is refused and nothing reaches the feed or the log."""
    w = world
    plate = qzp()
    list_id, entry_id = shared_list(w, plate)
    body = partner_hit(list_id, entry_id, plate)
    body |= {k: v for k, v in dates.items() if k != "read"}
    body["read"] |= dates.get("read", {})
    before = w.audit_size()
    delivered = w.node(w.sanleandro, HITS_PATH, body)
    assert delivered.status_code == 422, delivered.text
    assert w.call("GET", "ucpd-disp", "/v1/hits").json() == []
    assert w.audit_size() == before


def test_the_alert_stream_refuses_roles_that_receive_no_alerts(world: World) -> None:
    """Promise: alerts go to dispatchers, investigators and supervisors
    (`role-receive-alert`). Attack: Union City's admin and auditor open the alert stream
    and list hits. Each is a 403, before any stream is opened."""
    w = world
    for user in ("ucpd-admin", "ucpd-aud"):
        stream = w.call("GET", user, "/v1/alerts/stream")
        assert stream.status_code == 403, stream.text
        assert w.call("GET", user, "/v1/hits").status_code == 403
    assert w.call("GET", None, "/v1/alerts/stream").status_code == 401
