"""The state law packs attacked end to end, through the real app, as the one who wants the
data would: by every route that reaches reads (searches of each kind, exports, hot-list
alerts, ingest itself), with ``requested_by`` set or left out, by an agency's class or by
the words of a reason or a list. The engine-level scenarios (`cases/*.yaml`) hold each
rule; these tests hold the routes to the rules.

World (``tests/api/conftest.py``'s `AgencyWorld`): one agency per pack and the agencies
that want its data — a California city and county, a federal office in California, a
Nevada city, Illinois and Wisconsin police and a Wisconsin-based task force whose data
Illinois law governs, Virginia, New Hampshire, Washington, Maine police and a Maine toll
company, Vermont and Minnesota police. Each has an admin, an investigator, a supervisor
and a dispatcher (second factors on) and one camera; every camera stands near
(41.31, -123.61) and every plate starts with ``QLW``, which no other test uses (the read
store is one per test process).

Found, and closed since:

- a declaration was looked up for the owner's home state, so an Indiana agency that had
  declared for Wisconsin data reached the Illinois-governed reads of a task force seated
  in Wisconsin (`PolicyEngine.declaration_state`: a declaration for Illinois data);
- an immigration agency's name in full-width letters (``ＩＣＥ``) or dotted initials
  (``E.R.O.``, ``H.S.I.``) raised no flag, and California data was searched for it
  (`screen_reason` reads the NFKC form, without format characters).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from plateledger.api.app import create_app
from plateledger.audit import AuditLog
from plateledger.catalog import Catalog
from plateledger.read import PlateRead
from plateledger.settings import Settings
from tests.api.conftest import AgencyWorld, add_agencies, catalog_of
from tests.factories import make_read

NOW = datetime.now(UTC).replace(microsecond=0)
AT = (41.312, -123.614)
"""Where this file's cameras stand: no other test reads here."""
ROLES = {"admin": ["admin"], "inv": ["investigator"], "sup": ["supervisor", "investigator"],
         "disp": ["dispatcher"]}
AGENCIES = [
    ("cacity", "Eureka PD", "municipal", "CA"),
    ("cacounty", "Humboldt County Sheriff", "county", "CA"),
    ("fbi", "FBI Sacramento Field Office", "federal", "CA"),
    ("nvpd", "Reno PD", "municipal", "NV"),
    ("ilpd", "Rockford PD", "municipal", "IL"),
    ("wipd", "Beloit PD", "municipal", "WI"),
    ("inpd", "Gary PD", "municipal", "IN"),
    ("vapd", "Roanoke PD", "municipal", "VA"),
    ("nhpd", "Concord PD", "municipal", "NH"),
    ("wapd", "Spokane PD", "municipal", "WA"),
    ("mepd", "Bangor PD", "municipal", "ME"),
    ("vtpd", "Burlington PD", "municipal", "VT"),
    ("mnpd", "Duluth PD", "municipal", "MN"),
]
STATES = {"metoll": "ME", "stateline": "WI"}
"""Home states of the agencies added beside `AGENCIES`."""
CASE = "QLW-26-0413"
REASON = "grey sedan taken from the lot on Harris Street, seen on the store camera"
BASE: dict[str, Any] = {"purpose": "stolen_vehicle", "offense_type": "240",
                        "case_number": CASE, "reason": REASON}


def qlw() -> str:
    """A plate no other test uses."""
    return "QLW" + uuid.uuid4().hex[:4].upper().replace("0", "A").replace("O", "B")


def window(days: float = 1) -> dict[str, str]:
    return {"since": (NOW - timedelta(days=days)).isoformat(),
            "until": (NOW + timedelta(minutes=1)).isoformat()}


class World(AgencyWorld):
    keys: dict[str, str]

    @property
    def catalog(self) -> Catalog:
        found: Catalog = self.client.app.state.catalog  # type: ignore[attr-defined]
        return found

    def changed(self) -> None:
        """A change made in the catalog here is in force for the next decision (the
        server looks at the catalog's generation once a second otherwise)."""
        self.client.app.state.policy.invalidate()  # type: ignore[attr-defined]

    def read(self, slug: str, plate: str, *, minutes_ago: float = 30,
             **extra: Any) -> PlateRead:
        """A read of ``slug``'s camera, stored as ingest would have (origin state from the
        catalog), its clock left long: what a pack's limits do is under test."""
        state = {a[0]: a[3] for a in AGENCIES}.get(slug, STATES.get(slug, ""))
        found = make_read(plate, camera=f"{slug}-cam-1", owner=self.ids[slug], state=state,
                          minutes_ago=minutes_ago, now=NOW, lat=AT[0], lon=AT[1],
                          keep_days=3650, **extra)
        self.client.app.state.store.insert_reads([found])  # type: ignore[attr-defined]
        return found

    def search(self, user: str, body: dict[str, Any]) -> Any:
        return self.client.post("/v1/searches", headers=self.login(user),
                                json={**BASE, **body})

    def export(self, user: str, body: dict[str, Any]) -> Any:
        return self.client.post("/v1/exports", headers=self.login(user),
                                json={**BASE, "format": "ndjson", **body})

    def owner(self, answer: dict[str, Any], slug: str) -> dict[str, Any]:
        return next(o for o in answer["owners"] if o["owner_id"] == self.ids[slug])

    def ingest(self, slug: str, plate: str, ts: datetime) -> Any:
        item = {"camera_id": f"{slug}-cam-1", "plate": plate, "confidence": 0.9,
                "ts": ts.isoformat()}
        return self.client.post("/v1/reads", content=json.dumps([item]).encode(),
                                headers={"X-API-Key": self.keys[slug],
                                         "Content-Type": "application/json"})

    def hot_list(self, slug: str, plate: str, *, category: str = "stolen_vehicle",
                 name: str = "stolen vehicles", **entry: Any) -> Any:
        return self.client.post("/v1/hotlists", headers=self.login(f"{slug}-sup"), json={
            "name": name, "category": category,
            "entries": [{"plate": plate, "case_number": CASE, **entry}]})

    def match(self, found: PlateRead) -> Any:
        """The hot-list matcher run on a stored read, as the ingest path runs it."""
        return self.client.app.state.hotlist.service.process(  # type: ignore[attr-defined]
            [found])

    def hits(self, slug: str) -> list[dict[str, Any]]:
        answer = self.client.get("/v1/hits", headers=self.login(f"{slug}-disp"))
        assert answer.status_code == 200, answer.text
        found: list[dict[str, Any]] = answer.json()
        return found


@pytest.fixture
def world(tmp_path: Path, store_path: Path) -> Iterator[World]:
    settings = Settings(data_dir=tmp_path / "data", store_path=store_path,
                        secret_key="k" * 32, require_totp=True)
    secrets: dict[str, str] = {}
    keys: dict[str, str] = {}
    with catalog_of(settings) as catalog:
        ids = add_agencies(catalog, AGENCIES, ROLES, secrets, at=AT)
        ids |= add_agencies(catalog, [("metoll", "Maine Turnpike Tolls", "private", "ME")],
                            ROLES, secrets, at=AT)
        # a task force seated in Wisconsin whose data Illinois law governs (docs/policies.md:
        # an agency may carry another state's pack)
        ids |= add_agencies(catalog, [("stateline", "Stateline Auto Theft Task Force",
                                       "county", "WI")],
                            ROLES, secrets, at=AT, law_packs=["IL"])
        for slug in ("vapd", "nhpd", "vtpd"):
            keys[slug] = catalog.issue_api_key(ids[slug], f"{slug}-cam-1", "fixed camera")
    with TestClient(create_app(settings)) as client:
        world = World(client, settings, ids, secrets)
        world.keys = keys
        yield world


def agree(w: World, owner: str, recipient: str, *actions: str, **terms: Any) -> None:
    """An agreement recorded by the platform's operator (no dry run): what the packs do
    with it is under test, not whether the API would have let the admin make it."""
    purposes = terms.pop("purposes", ["stolen_vehicle", "warrant", "homicide"])
    w.catalog.add_agreement(w.ids[owner], w.ids[recipient], actions=actions or ("search",),
                            purposes=purposes, created_by=f"{owner}-admin",
                            case_number_required=False, **terms)
    w.changed()


def declare(w: World, agency: str, state: str) -> None:
    w.catalog.add_declaration(w.ids[agency], state, signer="Chief R. Signer",
                              signed_at=NOW - timedelta(days=30), document_digest="ab" * 32)
    w.changed()


def plates_of(answer: Any) -> list[str]:
    assert answer.status_code == 200, answer.text[:800]
    return [r["plate"] for r in answer.json()["results"]]


KINDS: dict[str, Any] = {
    "exact": lambda p: {"kind": "exact", "params": {"plate": p, **window()}},
    "wildcard": lambda p: {"kind": "wildcard", "params": {"plate": p[:5] + "*", **window()}},
    "area": lambda p: {"kind": "area", "params": {
        "radius": {"lat": AT[0], "lon": AT[1], "meters": 300}, **window()}},
    "timeline": lambda p: {"kind": "timeline", "params": {"plate": p, **window()}},
}


# --- California: Civ. Code 1798.90.55(b), Gov. Code 7284.6 -------------------------------


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_a_county_search_made_for_a_federal_unit_gets_no_california_read_by_any_kind(
    world: World, kind: str,
) -> None:
    """California reads go to no federal agency, also when a California county's officer
    names the federal unit as the agency the search is for (Cal. Civ. Code 1798.90.55(b)).
    The county itself, asking for itself, is let in (an agreement shares every kind)."""
    w = world
    plate = qlw()
    w.read("cacity", plate)
    agree(w, "cacity", "cacounty", "search", "export")
    body = KINDS[kind](plate)
    assert plate in plates_of(w.search("cacounty-inv", body))
    proxied = w.search("cacounty-inv", {**body, "requested_by": "fbi"})
    assert plate not in plates_of(proxied)
    decided = w.owner(proxied.json(), "cacity")
    assert not decided["allowed"]
    assert "ca-civ-1798.90.55b-no-federal" in decided["policy_ids"]
    exported = w.export("cacounty-inv", {**body, "requested_by": "fbi"})
    assert exported.status_code == 200, exported.text
    assert plate not in exported.text


def test_a_federal_task_force_officer_on_a_county_login_gets_no_california_read(
    world: World,
) -> None:
    """A federal task-force officer with a county login, recorded as acting for the
    federal unit, is federal to California's pack whether or not the request names
    `requested_by` (Cal. Civ. Code 1798.90.55(b); LAWS.md mechanical rule 2); naming the
    county instead is refused outright."""
    w = world
    plate = qlw()
    w.read("cacity", plate)
    agree(w, "cacity", "cacounty", "search", "export")
    agree(w, "cacity", "fbi", "search", "export")  # what the packs must override
    w.catalog.set_acting_for("cacounty-inv", w.ids["fbi"])
    w.changed()
    body = KINDS["exact"](plate)
    plain = w.search("cacounty-inv", body)
    assert plate not in plates_of(plain)
    assert "ca-civ-1798.90.55b-no-federal" in w.owner(plain.json(), "cacity")["policy_ids"]
    assert plate not in w.export("cacounty-inv", body).text
    laundered = w.search("cacounty-inv", {**body, "requested_by": "cacounty"})
    assert laundered.status_code == 422, laundered.text
    assert laundered.json()["error"]["code"] == "acting_for"
    assert plate not in laundered.text


def test_a_federal_hot_list_never_matches_a_california_read(world: World) -> None:
    """A federal unit's stolen-vehicle list, with an alert agreement a California city
    was talked into, never raises a hit on the city's reads (Cal. Civ. Code
    1798.90.55(b)); the same list matches a Nevada city's read it shares alerts of."""
    w = world
    plate = qlw()
    agree(w, "cacity", "fbi", "alert")
    agree(w, "nvpd", "fbi", "alert")
    assert w.hot_list("fbi", plate).status_code == 201
    california = w.match(w.read("cacity", plate))
    assert (california.delivered, california.denied) == (0, 1)
    nevada = w.match(w.read("nvpd", plate))
    assert nevada.delivered == 1
    assert [h["read"]["owner_id"] for h in w.hits("fbi")] == [w.ids["nvpd"]]


@pytest.mark.parametrize("reason", [
    "ＩＣＥ asked us to find the driver of the grey sedan",  # full-width letters
    "E.R.O. asked us to find the driver of the grey sedan",
    "H.S.I. asked us to find the driver of the grey sedan",
])
def test_an_immigration_reason_in_disguised_letters_is_refused_on_california_data(
    world: World, reason: str,
) -> None:
    """California data is never used for immigration enforcement, by its own officers
    either (Cal. Gov. Code 7284.6(a)): an immigration agency's name in full-width
    letters or dotted initials, under an ordinary criminal purpose, is still refused."""
    w = world
    plate = qlw()
    w.read("cacity", plate)
    body = {**KINDS["exact"](plate), "purpose": "fugitive", "offense_type": "90Z",
            "reason": reason}
    answer = w.search("cacity-inv", body)
    assert plate not in plates_of(answer)
    assert "ca-gov-7284.6-no-immigration" in w.owner(answer.json(), "cacity")["policy_ids"]


# --- Illinois: 625 ILCS 5/2-130 --------------------------------------------------------------


def test_an_illinois_declaration_lets_in_only_the_agency_that_signed_it(world: World) -> None:
    """An agency outside Illinois reaches Illinois reads only under its own stored written
    declaration (625 ILCS 5/2-130): Indiana's declaration opens nothing to Wisconsin,
    asked for itself or named as `requested_by` by an Illinois officer."""
    w = world
    plate = qlw()
    w.read("ilpd", plate)
    agree(w, "ilpd", "wipd")
    agree(w, "ilpd", "inpd")
    declare(w, "inpd", "IL")
    body = KINDS["exact"](plate)
    assert plate in plates_of(w.search("inpd-inv", body))
    refused = w.search("wipd-inv", body)
    assert plate not in plates_of(refused)
    assert "il-625ilcs5-2-130-out-of-state-declaration" in \
        w.owner(refused.json(), "ilpd")["policy_ids"]
    proxied = w.search("ilpd-inv", {**body, "requested_by": "wipd"})
    assert plate not in plates_of(proxied)
    assert plate not in w.export("ilpd-inv", {**body, "requested_by": "wipd"}).text
    declare(w, "wipd", "IL")
    assert plate in plates_of(w.search("ilpd-inv", {**body, "requested_by": "wipd"}))


def test_a_declaration_for_another_states_data_opens_no_illinois_governed_data(
    world: World,
) -> None:
    """The declaration 625 ILCS 5/2-130 asks for is one for Illinois data: a task force
    seated in Wisconsin whose reads Illinois law governs is closed to an Indiana agency
    whose declaration is for Wisconsin data, and open once it declares for Illinois."""
    w = world
    plate = qlw()
    w.read("stateline", plate)
    agree(w, "stateline", "inpd")
    declare(w, "inpd", "WI")
    body = KINDS["exact"](plate)
    refused = w.search("inpd-inv", body)
    assert plate not in plates_of(refused)
    assert "il-625ilcs5-2-130-out-of-state-declaration" in \
        w.owner(refused.json(), "stateline")["policy_ids"]
    declare(w, "inpd", "IL")
    assert plate in plates_of(w.search("inpd-inv", body))


@pytest.mark.parametrize(("reason", "rule"), [
    ("grey sedan seen leaving the Planned Parenthood clinic on State Street",
     "il-625ilcs5-2-130-no-health-care"),
    ("driver has a final order of removal, grey sedan on State Street",
     "il-625ilcs5-2-130-no-immigration"),
])
def test_a_health_care_or_immigration_reason_under_another_purpose_is_refused_in_illinois(
    world: World, reason: str, rule: str,
) -> None:
    """Illinois reads are never used against lawful health care or to enforce laws on
    immigration status, whoever asks (625 ILCS 5/2-130): a property-crime purpose with
    a reason that tells otherwise is refused, to Illinois police too, by every route."""
    w = world
    plate = qlw()
    w.read("ilpd", plate)
    body = {**KINDS["exact"](plate), "reason": reason}
    answer = w.search("ilpd-inv", body)
    assert plate not in plates_of(answer)
    assert rule in w.owner(answer.json(), "ilpd")["policy_ids"]
    assert plate not in w.export("ilpd-inv", body).text
    timeline = w.search("ilpd-inv", {**KINDS["timeline"](plate), "reason": reason})
    assert plate not in plates_of(timeline)


def test_a_hot_list_named_for_immigration_never_matches_illinois_reads(world: World) -> None:
    """A list declared as wanted persons but named for removal targets is an immigration
    list, and never matches Illinois data, even the list owner's own (625 ILCS 5/2-130);
    each withheld hit is on the record. Its owner's stolen-vehicle list matches."""
    w = world
    plate, control = qlw(), qlw()
    made = w.hot_list("ilpd", plate, category="wanted_person",
                      name="ERO removal targets, northern district")
    assert made.status_code == 201, made.text
    assert w.hot_list("ilpd", control).status_code == 201
    withheld = w.match(w.read("ilpd", plate))
    assert (withheld.delivered, withheld.denied) == (0, 1)
    assert w.match(w.read("ilpd", control)).delivered == 1
    assert [h["read"]["plate"] for h in w.hits("ilpd")] == [control]


# --- Virginia: Va. Code 2.2-5517 -------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_virginia_reads_are_not_returned_by_any_kind_once_21_days_old(
    world: World, kind: str,
) -> None:
    """Virginia reads are not returned by any search kind, nor exported, once 21 days old
    (Va. Code 2.2-5517), even to the owner's own investigator asking 30 days back with its
    clock left long; a read of 20 days ago is."""
    w = world
    plate = qlw()
    w.read("vapd", plate, minutes_ago=25 * 1440)
    w.read("vapd", plate, minutes_ago=20 * 1440)
    body = KINDS[kind](plate)
    body["params"] |= window(30)
    answer = w.search("vapd-inv", body)
    found = [r for r in answer.json()["results"] if r["plate"] == plate]
    assert answer.status_code == 200 and len(found) == 1, answer.text[:800]
    assert datetime.fromisoformat(found[0]["ts"]) > NOW - timedelta(days=21)
    exported = w.export("vapd-inv", body)
    rows = [json.loads(line) for line in exported.text.splitlines() if plate in line]
    assert exported.status_code == 200 and len(rows) == 1, exported.text
    assert datetime.fromisoformat(rows[0]["ts"]) > NOW - timedelta(days=21)


def test_a_virginia_camera_cannot_send_a_read_older_than_21_days(world: World) -> None:
    """A Virginia read is kept 21 days at most (Va. Code 2.2-5517): one sent 22 days after
    it was taken is refused at ingest and never becomes searchable."""
    w = world
    plate = qlw()
    sent = w.ingest("vapd", plate, NOW - timedelta(days=22))
    assert sent.status_code == 422, sent.text
    body = KINDS["exact"](plate)
    body["params"] |= window(30)
    assert plate not in plates_of(w.search("vapd-inv", body))


def test_virginia_reads_go_to_no_federal_or_out_of_state_agency_by_any_route(
    world: World,
) -> None:
    """Virginia reads go to Virginia agencies only, never a federal one (Va. Code
    2.2-5517): agreements for search, export and alerts open nothing to the federal
    unit or to a California city, by search, export or hot list."""
    w = world
    plate = qlw()
    for recipient in ("fbi", "cacity"):
        agree(w, "vapd", recipient, "search", "export", "alert")
        assert w.hot_list(recipient, plate).status_code == 201
    found = w.read("vapd", plate)
    body = KINDS["exact"](plate)
    for user, rule in (("fbi-inv", "va-2.2-5517-no-federal"),
                       ("cacity-inv", "va-2.2-5517-virginia-agencies-only")):
        answer = w.search(user, body)
        assert plate not in plates_of(answer)
        assert rule in w.owner(answer.json(), "vapd")["policy_ids"]
        assert plate not in w.export(user, body).text
    report = w.match(found)
    assert (report.delivered, report.denied) == (0, 2)


def test_a_virginia_read_raises_no_alert_for_a_category_the_code_does_not_list(
    world: World,
) -> None:
    """Virginia reads raise alerts only for warrants, stolen vehicles or plates and missing
    or endangered persons (Va. Code 2.2-5517): the owner's own gang list does not match,
    its warrant list does."""
    w = world
    plate, control = qlw(), qlw()
    assert w.hot_list("vapd", plate, category="gang_member", name="gang vehicles") \
        .status_code == 201
    assert w.hot_list("vapd", control, category="warrant", name="warrants").status_code == 201
    assert w.match(w.read("vapd", plate)).delivered == 0
    assert w.match(w.read("vapd", control)).delivered == 1
    assert [h["read"]["plate"] for h in w.hits("vapd")] == [control]


# --- New Hampshire: RSA 261:75-b ------------------------------------------------------------


def test_a_new_hampshire_non_hit_is_reachable_by_no_route(world: World) -> None:
    """New Hampshire non-hit reads are purged within three minutes (RSA 261:75-b VIII):
    one sent through ingest is acknowledged but found by no search kind, export or hit;
    a read of a plate on the owner's stolen-vehicle list is kept as a hit."""
    w = world
    plate, wanted = qlw(), qlw()
    assert w.hot_list("nhpd", wanted).status_code == 201
    for sent in (plate, wanted):
        answer = w.ingest("nhpd", sent, NOW - timedelta(seconds=30))
        assert answer.status_code == 200, answer.text
    for kind in KINDS:
        found = plates_of(w.search("nhpd-inv", KINDS[kind](plate)))
        assert plate not in found, kind
    assert plate not in w.export("nhpd-inv", KINDS["exact"](plate)).text
    assert plate not in json.dumps(w.hits("nhpd"))
    assert plates_of(w.search("nhpd-inv", KINDS["exact"](wanted))) == [wanted]


def test_a_list_new_hampshire_may_not_use_keeps_no_new_hampshire_read(world: World) -> None:
    """A hot list for a use RSA 261:75-b does not enumerate (a gang list) raises no hit on
    New Hampshire data, and so cannot stretch a non-hit read past its three minutes."""
    w = world
    plate = qlw()
    assert w.hot_list("nhpd", plate, category="gang_member", name="gang vehicles") \
        .status_code == 201
    sent = w.ingest("nhpd", plate, NOW - timedelta(seconds=30))
    assert sent.status_code == 200, sent.text
    assert plate not in plates_of(w.search("nhpd-inv", KINDS["exact"](plate)))
    assert w.hits("nhpd") == []


# --- Washington: SB 6002 (2026) ------------------------------------------------------------


def test_a_hot_list_of_protesters_never_matches_washington_reads(world: World) -> None:
    """Washington data is never used to monitor protected activity (Wash. SB 6002): a
    list of investigative interest named for a rally's organisers raises no hit on the
    owner's own reads, whatever its category; its stolen-vehicle list does."""
    w = world
    plate, control = qlw(), qlw()
    assert w.hot_list("wapd", plate, category="investigative_interest",
                      name="Riverfront Park rally organisers").status_code == 201
    assert w.hot_list("wapd", control).status_code == 201
    assert w.match(w.read("wapd", plate)).delivered == 0
    assert w.match(w.read("wapd", control)).delivered == 1
    assert [h["read"]["plate"] for h in w.hits("wapd")] == [control]


def test_washington_reads_go_to_no_out_of_state_agency_through_requested_by(
    world: World,
) -> None:
    """Washington reads go to no agency of another state (Wash. SB 6002): a Washington
    officer's search named for a California city gets none, by search or export."""
    w = world
    plate = qlw()
    w.read("wapd", plate)
    body = KINDS["exact"](plate)
    answer = w.search("wapd-inv", {**body, "requested_by": "cacity"})
    assert plate not in plates_of(answer)
    assert "wa-sb6002-no-out-of-state" in w.owner(answer.json(), "wapd")["policy_ids"]
    assert plate not in w.export("wapd-inv", {**body, "requested_by": "cacity"}).text


# --- Maine: 29-A M.R.S. 2117-A; Vermont: 23 V.S.A. 1607 --------------------------------------


def test_a_maine_toll_company_gets_no_maine_read_by_any_route(world: World) -> None:
    """Maine reads are shared with law enforcement only (29-A M.R.S. 2117-A): a private
    toll company under an agreement for search, export and alerts gets nothing by search,
    export or hot list, nor by a Maine officer's search made for it."""
    w = world
    plate = qlw()
    agree(w, "mepd", "metoll", "search", "export", "alert")
    assert w.hot_list("metoll", plate).status_code == 201
    found = w.read("mepd", plate)
    body = KINDS["exact"](plate)
    for user, extra in (("metoll-inv", {}), ("mepd-inv", {"requested_by": "metoll"})):
        answer = w.search(user, {**body, **extra})
        assert plate not in plates_of(answer)
        assert "me-29a-2117a-law-enforcement-only" in \
            w.owner(answer.json(), "mepd")["policy_ids"]
        assert plate not in w.export(user, {**body, **extra}).text
    assert w.match(found).delivered == 0


def test_a_vermont_read_older_than_18_months_is_never_stored(world: World) -> None:
    """Vermont keeps reads 18 months at most (23 V.S.A. 1607): a read sent 19 months after
    it was taken is refused at ingest and found by no search."""
    w = world
    plate = qlw()
    sent = w.ingest("vtpd", plate, NOW - timedelta(days=580))
    assert sent.status_code == 422, sent.text
    body = KINDS["exact"](plate)
    body["params"] |= window(600)
    assert plate not in plates_of(w.search("vtpd-inv", body))


# --- Minnesota: Minn. Stat. 13.824 ------------------------------------------------------------


@pytest.mark.parametrize("kind", ["timeline", "convoy"])
def test_minnesota_tracking_without_a_warrant_purpose_is_refused_by_post_and_query(
    world: World, kind: str,
) -> None:
    """Following a vehicle over time in Minnesota data needs a warrant or an exigency
    (Minn. Stat. 13.824 subd. 2): the owner's own timeline or convoy for a stolen vehicle
    is refused, asked as JSON or as query parameters, while an exact lookup runs."""
    w = world
    plate = qlw()
    w.read("mnpd", plate)
    assert plate in plates_of(w.search("mnpd-inv", KINDS["exact"](plate)))
    body = {"kind": kind, "params": {"plate": plate, **window()}}
    if kind == "convoy":
        body["convoy"] = {"window_seconds": 60, "min_places": 1}
    answer = w.search("mnpd-inv", body)
    assert plate not in plates_of(answer)
    assert "mn-13.824-tracking-needs-warrant" in w.owner(answer.json(), "mnpd")["policy_ids"]
    if kind == "timeline":
        query = w.client.get("/v1/searches", headers=w.login("mnpd-inv"), params={
            **BASE, "kind": "timeline", "plate": plate, **window()})
        assert plate not in plates_of(query)


@pytest.mark.parametrize("kind", ["timeline", "convoy"])
def test_minnesota_tracking_for_a_warrant_names_the_warrant(world: World, kind: str) -> None:
    """A warrant is named, not claimed (Minn. Stat. 13.824 subd. 2): the owner's own
    timeline or convoy for purpose `warrant` with no `legal_basis` is refused
    (`mn-13.824-tracking-warrant-named`); naming the warrant's number and court runs it,
    and the search's audit entry records them."""
    w = world
    plate = qlw()
    w.read("mnpd", plate)
    body: dict[str, Any] = {"kind": kind, "purpose": "warrant",
                            "reason": "arrest warrant for the registered owner of the grey sedan",
                            "params": {"plate": plate, **window()}}
    if kind == "convoy":
        body["convoy"] = {"window_seconds": 60, "min_places": 1}
    claimed = w.search("mnpd-inv", body)
    assert claimed.status_code == 200, claimed.text
    assert plate not in plates_of(claimed)
    assert w.owner(claimed.json(), "mnpd")["policy_ids"] == ["mn-13.824-tracking-warrant-named"]
    basis = {"kind": "warrant", "number": "69DU-CR-26-77", "court": "St. Louis County District"}
    named = w.search("mnpd-inv", body | {"legal_basis": basis})
    assert named.status_code == 200, named.text
    assert w.owner(named.json(), "mnpd")["allowed"] is True
    if kind == "timeline":
        assert plate in plates_of(named)
    log: AuditLog = w.client.app.state.audit_log  # type: ignore[attr-defined]
    entry = log.entry(named.json()["audit_index"]).entry
    assert entry["query"]["legal_basis"] == basis
