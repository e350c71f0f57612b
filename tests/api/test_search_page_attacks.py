"""Attacks on the page tokens of searches (`plateledger.access.continuation`), as an officer
who wants searches left out of the public counts, as someone who wants data a later page
should no longer give, and as an outsider reading the public answers.

The promise (docs/audit.md, *Pages of a search*): a page asked with a search's
`page_token` (the same user, the same body but for `params.offset` and `params.limit`,
within 8 hours) is decided again per owner and logged as a page of that search
(`page_of`), its public summary says only `later_page: true`, and public counts of
searches leave it out. Any other use of a token is refused with 422 and nothing is searched
or logged.

Three of these attacks found holes in the first form of page tokens (a later page's token
renewed the 8 hours; a token outlived a change of the agency the user acts for; the case
numbers of a search's pages were counted in cells of their own), closed since.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar

import pytest
from fastapi.testclient import TestClient

from plateledger.access import federated
from plateledger.audit import AuditLog, search_entry
from plateledger.catalog import new_totp_secret, open_catalog, totp_code
from plateledger.catalog.passwords import FAST
from plateledger.settings import Settings
from plateledger.transparency import Period, facts_of, generate
from plateledger.transparency.reports import AgencyProfile
from tests.api.conftest import PASSWORD, Seed, code, login
from tests.factories import unique_plate

BODY: dict[str, Any] = {
    "kind": "exact", "purpose": "stolen_vehicle", "offense_type": "240",
    "case_number": "C-77", "reason": "white pickup reported stolen on 4th street"}


@pytest.fixture
def world(settings: Settings, seed: Seed, client: TestClient) -> dict[str, Any]:
    """Six reads of one plate by a Union City camera and six by a Fremont camera (the
    Fremont ones older), a federal unit in California, and Union City's ivy logged in."""
    catalog = open_catalog(settings, password_hasher=FAST)
    try:
        ucpd_cam = catalog.add_camera("ucpd-attack-cam", seed.ucpd_id, lat=37.6, lon=-122.0)
        fpd_cam = catalog.add_camera("fpd-attack-cam", seed.fpd_id, lat=37.5, lon=-121.9)
        ucpd_key = catalog.issue_api_key(seed.ucpd_id, ucpd_cam.camera_id)
        fpd_key = catalog.issue_api_key(seed.fpd_id, fpd_cam.camera_id)
        catalog.add_agency("Federal Unit SF", "fed-sf", "federal", "CA")
        other = new_totp_secret()
        catalog.add_user(seed.fpd_id, "finn", PASSWORD, ["investigator"], totp_secret=other)
    finally:
        catalog.close()
    plate = unique_plate("7R")
    now = int(time.time() * 1000)
    for key, camera, start in ((ucpd_key, ucpd_cam, 1), (fpd_key, fpd_cam, 100)):
        response = client.post("/v1/reads", headers={"X-API-Key": key}, json=[
            {"camera_id": camera.camera_id, "plate": plate, "confidence": 0.9,
             "ts": now - 60_000 * (start + i)} for i in range(6)])
        assert response.status_code == 200, response.text
    return {"plate": plate, "seed": seed, "finn_totp": other,
            "ivy": login(client, "ivy", code(seed.investigator_totp))}


def _body(plate: str, offset: int, token: str | None = None, **extra: Any) -> dict[str, Any]:
    params = {"plate": plate, "limit": 5, "offset": offset} | extra.pop("params", {})
    body = BODY | {"params": params} | extra
    if token is not None:
        body["page_token"] = token
    return body


def _log(client: TestClient) -> AuditLog:
    return client.app.state.audit_log  # type: ignore[attr-defined,no-any-return]


def _entry(client: TestClient, index: int) -> dict[str, Any]:
    return dict(_log(client).entries(index, 1)[0].entry)


def _relogin(client: TestClient, username: str, secret: str) -> dict[str, str]:
    """A second login within the same 30 s step: the code of the next step (one step of
    drift is allowed, and it is later than the step already used)."""
    return login(client, username, totp_code(secret, datetime.now(UTC) + timedelta(seconds=30)))


def test_a_token_does_not_stretch_to_a_search_that_differs_in_any_field(
    client: TestClient, world: dict[str, Any],
) -> None:
    """Promise: a token continues only its own search. Attack: keep the token and change
    what the digest might not cover — kind, case number, offense type, the agency it is
    run for, an approval id, the time range, the cameras, the region, a bounding box, the
    GET form with another filter, the export route. Each is refused (422) and nothing is
    logged; the same search re-posted with its keys in another order and extra whitespace
    in the JSON text, or asked in its GET form, is a page of it."""
    ivy, plate = world["ivy"], world["plate"]
    first = client.post("/v1/searches", headers=ivy, json=_body(plate, 0))
    assert first.status_code == 200, first.text
    token, search_id = first.json()["page_token"], first.json()["search_id"]
    size = _log(client).size()
    since = datetime.now(UTC) - timedelta(days=1)
    variants: list[dict[str, Any]] = [
        {"kind": "fuzzy"},
        {"case_number": "C-78"},
        {"case_number": None},
        {"offense_type": "23H"},
        {"requested_by": "fed-sf"},
        {"approval_id": "0f8fad5b-d9cb-469f-a165-70867728950e"},
        {"params": {"since": since.isoformat()}},
        {"params": {"until": datetime.now(UTC).isoformat()}},
        {"params": {"cameras": ["fpd-attack-cam"]}},
        {"params": {"region": "CA"}},
        {"params": {"bbox": {"south": 37.0, "west": -123.0, "north": 38.0, "east": -121.0}}},
    ]
    for change in variants:
        answer = client.post("/v1/searches", headers=ivy, json=_body(plate, 5, token, **change))
        assert answer.status_code == 422, (change, answer.text)
        assert answer.json()["error"]["code"] == "page_token_mismatch", change
    by_get = client.get("/v1/searches", headers=ivy, params={
        "kind": "exact", "plate": plate, "purpose": BODY["purpose"], "reason": BODY["reason"],
        "case_number": BODY["case_number"], "offense_type": BODY["offense_type"],
        "region": "CA", "limit": 5, "offset": 5, "page_token": token})
    assert by_get.status_code == 422, by_get.text
    assert by_get.json()["error"]["code"] == "page_token_mismatch"
    export = client.post("/v1/exports", headers=ivy, json=_body(plate, 0, token))
    assert export.status_code == 422, export.text
    assert _log(client).size() == size
    # the same search, its JSON written otherwise, is a page of it
    shuffled = dict(reversed(list(_body(plate, 5, token).items())))
    text = json.dumps(shuffled, indent=3, separators=(" ,  ", " :  "))
    same = client.post("/v1/searches", headers=ivy | {"Content-Type": "application/json"},
                       content=text)
    assert same.status_code == 200, same.text
    assert same.json()["page_of"] == search_id
    get_page = client.get("/v1/searches", headers=ivy, params={
        "kind": "exact", "plate": plate, "purpose": BODY["purpose"], "reason": BODY["reason"],
        "case_number": BODY["case_number"], "offense_type": BODY["offense_type"],
        "limit": 5, "offset": 10, "page_token": token})
    assert get_page.status_code == 200, get_page.text
    assert get_page.json()["page_of"] == search_id


def test_a_token_of_one_agencys_user_serves_no_user_of_another(
    client: TestClient, world: dict[str, Any],
) -> None:
    """Promise: a token is its user's. Attack: Fremont's investigator finn replays ivy's
    token with ivy's exact body (as an officer of another agency who got it from a
    colleague's screen) to hide a search of his own. Refused (422), nothing logged."""
    token = client.post("/v1/searches", headers=world["ivy"],
                        json=_body(world["plate"], 0)).json()["page_token"]
    finn = login(client, "finn", code(world["finn_totp"]))
    size = _log(client).size()
    answer = client.post("/v1/searches", headers=finn, json=_body(world["plate"], 5, token))
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["code"] == "page_token_mismatch"
    assert _log(client).size() == size


def test_a_later_page_after_the_agreement_is_revoked_gets_nothing_of_the_owner(
    client: TestClient, world: dict[str, Any],
) -> None:
    """Promise: every page is decided again per owner. Attack: ivy runs a search while
    Fremont shares with Union City, Fremont revokes the agreement, and ivy asks the next
    page with the token hoping the first page's decision carries over. The page is
    logged with Fremont denied and holds none of Fremont's reads."""
    made = client.post("/v1/admin/agreements", headers=login(client, "fpd-admin"), json={
        "recipient": "ucpd", "actions": ["search"], "purposes": ["stolen_vehicle"]})
    assert made.status_code == 201, made.text
    ivy, plate, seed = world["ivy"], world["plate"], world["seed"]
    first = client.post("/v1/searches", headers=ivy, json=_body(plate, 0))
    assert first.status_code == 200, first.text
    assert first.json()["total"] == 12  # Fremont's six reads are reached
    revoked = client.delete(f"/v1/admin/agreements/{made.json()['id']}",
                            headers=login(client, "fpd-admin"))
    assert revoked.status_code == 204, revoked.text
    later = client.post("/v1/searches", headers=ivy,
                        json=_body(plate, 5, first.json()["page_token"]))
    assert later.status_code == 200, later.text
    page = later.json()
    assert page["page_of"] == first.json()["search_id"]
    assert page["total"] == 6
    assert {r["owner_id"] for r in page["results"]} <= {seed.ucpd_id}
    fremont = next(o for o in page["owners"] if o["owner_id"] == seed.fpd_id)
    assert not fremont["allowed"]
    entry = _entry(client, page["audit_index"])
    assert entry["page_of"] == first.json()["search_id"]
    assert "fpd" in {d["agency"] for d in entry["owners_denied"]}
    assert entry["owners_allowed"] == ["ucpd"]


def test_a_token_outlives_a_change_of_roles_only_as_far_as_the_new_roles_reach(
    client: TestClient, world: dict[str, Any],
) -> None:
    """Promise: a page is decided for the user as they are now. Attack: ivy keeps the
    token of a search after her administrator takes away her investigator role (her
    sessions end), logs in again and asks the next page. The page is decided for her as
    an auditor: every owner denies it (`role-search`), it holds no read, and its entry
    records the denials."""
    token = client.post("/v1/searches", headers=world["ivy"],
                        json=_body(world["plate"], 0)).json()["page_token"]
    changed = client.put("/v1/admin/users/ivy/roles", headers=login(client, "ucpd-admin"),
                         json={"roles": ["auditor"]})
    assert changed.status_code == 200, changed.text
    ivy = _relogin(client, "ivy", world["seed"].investigator_totp)
    answer = client.post("/v1/searches", headers=ivy, json=_body(world["plate"], 5, token))
    assert answer.status_code == 200, answer.text
    page = answer.json()
    assert page["results"] == [] and page["total"] == 0
    assert page["owners"] and all(not o["allowed"] and "role-search" in o["policy_ids"]
                                  for o in page["owners"])
    entry = _entry(client, page["audit_index"])
    assert entry["owners_allowed"] == [] and entry["result_count"] == 0


def test_a_token_does_not_carry_a_search_over_to_the_agency_the_user_now_acts_for(
    client: TestClient, world: dict[str, Any],
) -> None:
    """Promise: a token continues only its own search, and a search made for another
    agency is another search (`requested_by` is part of the digest). Attack: ivy's
    administrator records her as acting for a federal unit; she logs in again and asks a
    page with the token of a search she ran for Union City, so that the unit's search
    shows on no public count of searches."""
    token = client.post("/v1/searches", headers=world["ivy"],
                        json=_body(world["plate"], 0)).json()["page_token"]
    acting = client.put("/v1/admin/users/ivy/acting-for", headers=login(client, "ucpd-admin"),
                        json={"agency": "fed-sf"})
    assert acting.status_code == 200, acting.text
    ivy = _relogin(client, "ivy", world["seed"].investigator_totp)
    size = _log(client).size()
    answer = client.post("/v1/searches", headers=ivy, json=_body(world["plate"], 5, token))
    if answer.status_code == 200:  # what leaks: a search made for fed-sf, logged as a page
        entry = _entry(client, answer.json()["audit_index"])
        assert entry["requested_by_agency"] == "fed-sf" and entry["page_of"]
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["code"] == "page_token_mismatch"
    assert _log(client).size() == size


class _Shifted(datetime):
    """`datetime` whose `now` runs ``shift`` ahead (only where the page tokens are checked
    and issued: `plateledger.access.federated`)."""

    shift: ClassVar[timedelta] = timedelta(0)

    @classmethod
    def now(cls, tz: Any = None) -> datetime:  # type: ignore[override]
        return datetime.now(tz) + cls.shift


def test_a_search_cannot_be_kept_open_past_its_shift_by_chaining_tokens(
    client: TestClient, world: dict[str, Any], monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Promise: a page is of its search only within 8 hours (one shift); after, the search
    is run anew and counted. Attack: ivy asks a page 7 hours in, takes the token of that
    answer, and asks the first page again 9 hours in (and so on, every 7 hours), polling
    the plate for new reads for days as a single search."""
    monkeypatch.setattr(federated, "datetime", _Shifted)
    ivy, plate = world["ivy"], world["plate"]
    first = client.post("/v1/searches", headers=ivy, json=_body(plate, 0))
    assert first.status_code == 200, first.text
    monkeypatch.setattr(_Shifted, "shift", timedelta(hours=7))
    seven = client.post("/v1/searches", headers=ivy,
                        json=_body(plate, 5, first.json()["page_token"]))
    assert seven.status_code == 200, seven.text
    monkeypatch.setattr(_Shifted, "shift", timedelta(hours=9))
    stale = client.post("/v1/searches", headers=ivy,
                        json=_body(plate, 0, first.json()["page_token"]))
    assert stale.json()["error"]["code"] == "page_token_expired"  # the first token held
    nine = client.post("/v1/searches", headers=ivy,
                       json=_body(plate, 0, seven.json()["page_token"]))
    assert nine.status_code == 422, nine.text
    assert nine.json()["error"]["code"] == "page_token_expired"


def test_a_page_public_summary_does_not_say_which_search_it_belongs_to(
    client: TestClient, world: dict[str, Any],
) -> None:
    """Promise: the public learns that an entry is a later page, never of which search.
    Attack: an outsider reads the public entries of a search and its pages looking for the
    first page's UUID, the page's own UUID, the plate, the case number or the user. The
    page's summary holds only the public fields, `later_page` among them, and no
    identifier; the agency's portal counts one search."""
    ivy, plate = world["ivy"], world["plate"]
    first = client.post("/v1/searches", headers=ivy, json=_body(plate, 0)).json()
    later = client.post("/v1/searches", headers=ivy,
                        json=_body(plate, 5, first["page_token"])).json()
    public = client.get("/v1/audit/entries", params={"start": first["audit_index"],
                                                     "limit": 2}).json()["entries"]
    assert [e["summary"].get("later_page") for e in public] == [None, True]
    allowed = {"type", "v", "time", "log_index", "agencies", "released", "denied", "purpose",
               "result_count", "later_page", "alarm", "read_owner", "list_owner"}
    assert set(public[1]["summary"]) <= allowed
    text = json.dumps(public)
    for secret in (first["search_id"], later["search_id"], plate, "C-77", "ivy",
                   first["page_token"], later["page_token"]):
        assert secret not in text
    assert client.get("/v1/transparency/agencies/ucpd").json()["searches"] == 1


PROFILE = AgencyProfile(
    slug="ucpd", name="Union City PD", kind="municipal", home_state="MN",
    law_packs=("MN",), purposes=("stolen_vehicle", "homicide"),
    custodian="records@ucpd.example", retention_nonhit_days=60, retention_hit_days=None,
    case_number_required=False, sharing_preset="agreements", cameras=4, timezone="UTC",
)


def _logged(time_: str, purpose: str, case_number: str | None,
            page_of: str | None = None) -> dict[str, Any]:
    e = search_entry(user="ucpd.officer1", agency="ucpd", requested_by_agency="ucpd",
                     purpose=purpose, case_number=case_number, kind="exact",
                     query={"plate": "7ABC123"}, owners_allowed=["ucpd"], owners_denied=[],
                     result_count=5, result_digest="d", policy_set_hash="h")
    return e | {"time": time_} | ({"page_of": page_of} if page_of else {})


def test_page_cells_do_not_give_away_whether_one_search_recorded_a_case_number() -> None:
    """Promise (`plateledger.transparency.disclosure`): no published count gives away
    whether one search recorded a case number. Attack: an outsider reads a report whose
    period holds one day with two searches (too few for their own cells) and their later
    pages, whose public summaries say `later_page` and each search's purpose; the count
    of accesses recording a case number is read against the pages of each purpose."""
    x, y = "0f8fad5b-d9cb-469f-a165-70867728950e", "7c9e6679-7425-40de-944b-e07fc1f90ae7"
    entries = [_logged("2025-06-01T10:00:00Z", "stolen_vehicle", "C-1")]
    entries += [_logged(f"2025-06-01T10:0{i}:00Z", "stolen_vehicle", "C-1", x)
                for i in range(1, 6)]
    entries += [_logged("2025-06-01T15:00:00Z", "homicide", None)]
    entries += [_logged(f"2025-06-01T15:0{i}:00Z", "homicide", None, y) for i in range(1, 7)]
    facts = facts_of(enumerate(entries))
    report = generate("mn-audit", PROFILE, facts, {"ucpd": "municipal"},
                      Period(date(2025, 6, 1), date(2025, 6, 30)),
                      now=datetime(2025, 7, 2, tzinfo=UTC), log_size=len(entries))
    assert report.element("accesses").value == 13
    # the day holds two searches: no count of it may tell which one gave a case number
    assert report.element("accesses_with_case").value == 0

