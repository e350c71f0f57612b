"""docs/investigations.md, sentence by sentence: the claims no other test held, each held
here against the real app (SQLite catalog, the embedded read store, the Cedar policy set)
or the real `plateledger` command against a running server.

Each test's docstring quotes the claim it holds. A claim the code does not keep is an
expected failure (``xfail(strict=True)``) whose reason says what happens instead.

The read store is one per test process and is not emptied between these tests: every
plate here is unique to its test, each test reads at places of its own, and those places
(lat 43.2 to 44, lon -116.9 to -117.7) are read by no other test file.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from plateledger.api.app import create_app
from plateledger.catalog import open_catalog
from plateledger.cli.main import app as cli
from plateledger.read import PlateRead
from plateledger.settings import Settings
from tests.api.conftest import (
    AgencyWorld,
    Seed,
    add_agencies,
    catalog_of,
    code,
    login,
    refuse_entries,
)
from tests.conftest import LiveServer
from tests.factories import make_read, unique_plate

NOW = datetime.now(UTC).replace(microsecond=0)
WHY = {"purpose": "stolen_vehicle", "case_number": "UC-2026-0808", "offense_type": "240",
       "reason": "grey pickup taken from the depot on 4th street, seen on cameras"}
PLACES = [(43.2 + 0.02 * i, -116.87 - 0.02 * i) for i in range(40)]
"""Places about 2.8 km apart (a circle of 200 m around one holds no other); each test
reads at its own, so that no test's reads are beside another's."""


def window(hours: float = 6) -> dict[str, str]:
    return {"since": (NOW - timedelta(hours=hours)).isoformat(), "until": NOW.isoformat()}


def at(plate: str, owner: int, place: int, minutes_ago: float, **extra: Any) -> PlateRead:
    """A read of ``plate`` by ``owner`` at camera ``docs-cam-<place>`` of `PLACES`."""
    lat, lon = PLACES[place]
    return make_read(plate, camera=f"docs-cam-{place}", owner=owner, now=NOW,
                     minutes_ago=minutes_ago, lat=lat, lon=lon, **extra)


def circle(place: int, hours: float = 6) -> dict[str, Any]:
    lat, lon = PLACES[place]
    return {"shape": "circle", "lat": lat, "lon": lon, "meters": 200, **window(hours)}


def insert(client: TestClient, reads: list[PlateRead]) -> None:
    client.app.state.store.insert_reads(reads)  # type: ignore[attr-defined]


def search(client: TestClient, headers: dict[str, str], body: dict[str, Any]) -> Any:
    return client.post("/v1/searches", headers=headers, json={**WHY, **body})


def ok(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.text[:800]
    data: dict[str, Any] = response.json()
    return data


def exported(client: TestClient, headers: dict[str, str], body: dict[str, Any]) -> list[str]:
    """The plates of an NDJSON export's rows, row by row."""
    response = client.post("/v1/exports", headers=headers,
                           json={**WHY, "format": "ndjson", **body})
    assert response.status_code == 200, response.text[:800]
    return [json.loads(line)["plate"] for line in response.text.splitlines()]


def runs(plates: list[str]) -> list[str]:
    """``plates`` with each run of one plate said once: the order plates come in."""
    return [p for i, p in enumerate(plates) if i == 0 or plates[i - 1] != p]


@pytest.fixture
def ivy(client: TestClient, seed: Seed) -> dict[str, str]:
    """Union City's investigator."""
    return login(client, "ivy", code(seed.investigator_totp))


# --- The investigative kinds over the API ---------------------------------------------------


def test_each_investigative_kind_is_a_search_entry_written_before_its_answer(
    client: TestClient, seed: Seed, ivy: dict[str, str]
) -> None:
    """"Each is its own Cedar action (…), decided per data owner and logged as a `search`
    audit entry before anything is answered." Each kind's entry is a `search` of that
    kind; with a log that refuses entries, no kind answers anything (503)."""
    target, follower = unique_plate("7D"), unique_plate("8D")
    grey = {"vehicle": {"make": "Ford", "color": "grey"}}
    insert(client, [at(target, seed.ucpd_id, 0, 60), at(follower, seed.ucpd_id, 0, 59.5, **grey),
                    at(target, seed.ucpd_id, 1, 50), at(follower, seed.ucpd_id, 1, 49.5, **grey)])
    bodies = {
        "timeline": {"kind": "timeline", "params": {"plate": target, **window()}},
        "stakeout": {"kind": "stakeout", "params": {},
                     "stakeout": {"min_areas": 2, "areas": [circle(0), circle(1)]}},
        "convoy": {"kind": "convoy", "params": {"plate": target, **window()}},
        "attributes": {"kind": "attributes", "params": {"plate": follower, **window()},
                       "vehicle": {"color": "grey"}},
    }
    log = client.app.state.audit_log  # type: ignore[attr-defined]
    for kind, body in bodies.items():
        data = ok(search(client, ivy, body))
        assert data["total"] >= 1, kind
        entry = log.entry(data["audit_index"]).entry
        assert (entry["type"], entry["kind"]) == ("search", kind)
        assert entry["query"]["search_id"] == data["search_id"]
    refuse_entries(client.app.state.catalog.engine)  # type: ignore[attr-defined]
    for kind, body in bodies.items():
        refused = search(client, ivy, body)
        assert refused.status_code == 503, (kind, refused.text)
        assert target not in refused.text and follower not in refused.text


def test_a_convoy_without_its_body_pairs_within_120_seconds_at_two_places(
    client: TestClient, seed: Seed, ivy: dict[str, str]
) -> None:
    """"body `convoy`: `window_seconds` 1–3600, default 120, and `min_places`, default 2".
    Without a `convoy` body, a car 100 s behind the target at both its places is a
    companion; one 130 s behind, or 10 s behind at one place only, is not."""
    target, near, late, once = (unique_plate(p) for p in ("7V", "8N", "8L", "8O"))
    uc = seed.ucpd_id
    insert(client, [
        at(target, uc, 2, 60), at(target, uc, 3, 50),
        at(near, uc, 2, 60 - 100 / 60), at(near, uc, 3, 50 - 100 / 60),
        at(late, uc, 2, 60 - 130 / 60), at(late, uc, 3, 50 - 130 / 60),
        at(once, uc, 2, 60 - 10 / 60),
    ])
    params = {"plate": target, **window()}
    default = ok(search(client, ivy, {"kind": "convoy", "params": params}))
    assert [c["plate"] for c in default["companions"]] == [near]
    assert default["total"] == 1
    wide = ok(search(client, ivy, {"kind": "convoy", "params": params,
                                   "convoy": {"window_seconds": 3600, "min_places": 1}}))
    assert {c["plate"] for c in wide["companions"]} == {near, late, once}


def test_the_convoy_and_attribute_bounds_are_where_the_docs_put_them(
    client: TestClient, ivy: dict[str, str]
) -> None:
    """"convoy (`params.plate`, `since`, `until` at most 31 days apart; body `convoy`:
    `window_seconds` 1–3600 …)" and "attributes (… `since`/`until` at most 31 days
    apart)": each bound itself is answered, one past it is a 422 naming it."""
    plate = unique_plate("7W")
    month = {"since": (NOW - timedelta(days=31)).isoformat(), "until": NOW.isoformat()}
    past = {**month, "since": (NOW - timedelta(days=31, seconds=1)).isoformat()}

    def convoy(span: dict[str, str], seconds: int) -> dict[str, Any]:
        return {"kind": "convoy", "params": {"plate": plate, **span},
                "convoy": {"window_seconds": seconds}}

    def attributes(span: dict[str, str]) -> dict[str, Any]:
        return {"kind": "attributes", "params": {"plate": plate, **span},
                "vehicle": {"color": "grey"}}

    for body in (convoy(month, 1), convoy(month, 3600), attributes(month)):
        ok(search(client, ivy, body))
    for body, needle in ((convoy(past, 120), "31 days"), (convoy(month, 3601), "window_seconds"),
                         (convoy(month, 0), "window_seconds"), (attributes(past), "31 days")):
        refused = search(client, ivy, body)
        assert refused.status_code == 422, (body, refused.text)
        assert needle in refused.text


def test_an_attribute_search_answers_newest_first_by_type_without_case_and_a_partial_plate(
    client: TestClient, seed: Seed, ivy: dict[str, str]
) -> None:
    """"attributes (body `vehicle`: at least one of `make`, `color`, `vehicle_type`,
    compared without case; optional `params.plate` in wildcard syntax …): matching reads,
    newest first." A type asked in capitals, a plate with `?`; a sedan is left out."""
    stem = unique_plate("6")[:6]
    pickup = {"vehicle": {"type": "Pickup", "color": "white"}}
    uc = seed.ucpd_id
    insert(client, [
        at(f"{stem}1", uc, 4, 50, **pickup), at(f"{stem}2", uc, 4, 10, **pickup),
        at(f"{stem}3", uc, 4, 30, **pickup), at(f"{stem}4", uc, 4, 20,
                                                  vehicle={"type": "sedan", "color": "white"}),
    ])
    data = ok(search(client, ivy, {"kind": "attributes",
                                   "params": {"plate": f"{stem}?", **window()},
                                   "vehicle": {"vehicle_type": "PICKUP"}}))
    assert [r["plate"] for r in data["results"]] == [f"{stem}2", f"{stem}3", f"{stem}1"]
    times = [r["ts"] for r in data["results"]]
    assert times == sorted(times, reverse=True) and data["total"] == 3


MISSING: dict[str, tuple[dict[str, Any], str]] = {
    "a convoy without its plate": ({"kind": "convoy", "params": window()}, "plate"),
    "a convoy without its until": (
        {"kind": "convoy", "params": {"plate": "7ABC123", "since": window()["since"]}},
        "until"),
    "an attribute search without its window": (
        {"kind": "attributes", "params": {}, "vehicle": {"color": "grey"}}, "since"),
    "a stakeout without its min_areas": (
        {"kind": "stakeout", "params": {}, "stakeout": {"areas": [circle(0)]}}, "min_areas"),
    "a stakeout area without its window": (
        {"kind": "stakeout", "params": {}, "stakeout": {"min_areas": 1, "areas": [
            {k: v for k, v in circle(0).items() if k not in ("since", "until")}]}}, "since"),
    "a locate without its plate": (
        {"kind": "locate", "params": {}, "legal_basis": {
            "kind": "warrant", "number": "25-SW-0042", "court": "Alameda County Superior Court"}},
        "plate"),
}


@pytest.mark.parametrize("name", sorted(MISSING))
def test_a_request_missing_what_its_kind_needs_is_a_422_naming_it(
    client: TestClient, ivy: dict[str, str], name: str
) -> None:
    """"A request missing what its kind needs is answered 422 naming it." (The parts the
    other tests leave out.)"""
    body, needle = MISSING[name]
    response = search(client, ivy, body)
    assert response.status_code == 422, response.text
    assert needle in response.text and "Traceback" not in response.text


# --- Exports of stakeouts and convoys -------------------------------------------------------


@dataclass(frozen=True)
class Ranked:
    """Union City's plates whose rank is not their alphabetical order, at three places of
    their own: `target` passes the three; `top` is beside it at all three (twice at the
    first), `mid` at two, `low` at one. A stakeout of the three places ranks target, top,
    mid, low (areas matched, then plate); a convoy of the target ranks top, mid, low."""

    target: str
    top: str
    mid: str
    low: str
    places: tuple[int, int, int]

    def stakeout(self, **params: Any) -> dict[str, Any]:
        return {"kind": "stakeout", "params": params, "stakeout": {
            "min_areas": 1, "areas": [circle(place) for place in self.places]}}

    def convoy(self, **params: Any) -> dict[str, Any]:
        return {"kind": "convoy", "params": {"plate": self.target, **window(), **params},
                "convoy": {"window_seconds": 60, "min_places": 1}}


RANKED_PLACES = itertools.count(10, 3)
"""The first of the next `Ranked`'s three places."""


@pytest.fixture
def ranked(client: TestClient, seed: Seed) -> Ranked:
    first = next(RANKED_PLACES)
    places = (first, first + 1, first + 2)
    plates = Ranked(unique_plate("7G"), unique_plate("9T"), unique_plate("5M"),
                    unique_plate("1L"), places)
    uc = seed.ucpd_id
    reads = [at(plates.target, uc, place, 60 - 10 * i) for i, place in enumerate(places)]
    reads += [at(plates.top, uc, place, 60 - 10 * i - 0.2) for i, place in enumerate(places)]
    reads += [at(plates.top, uc, first, 60 - 0.4)]
    reads += [at(plates.mid, uc, place, 60 - 10 * i - 0.3)
              for i, place in enumerate(places[:2])]
    reads += [at(plates.low, uc, first, 60 - 0.5)]
    insert(client, reads)
    return plates


def test_a_stakeout_export_holds_its_plates_in_the_searchs_order(
    client: TestClient, ivy: dict[str, str], ranked: Ranked
) -> None:
    """"A stakeout or convoy export holds every plate's reads whole, plate after plate in
    the search's order": a stakeout's order is its ranking."""
    order = [p["plate"] for p in ok(search(client, ivy, ranked.stakeout()))["stakeout"]]
    assert order == [ranked.target, ranked.top, ranked.mid, ranked.low]
    assert runs(exported(client, ivy, ranked.stakeout())) == order


def test_a_stakeout_exports_total_count_is_its_plates(
    client: TestClient, ivy: dict[str, str], ranked: Ranked
) -> None:
    """docs/api.md: "`X-Total-Count` (all matching reads; of a stakeout or a convoy, its
    plates or companions, as the search's `total`)"."""
    response = client.post("/v1/exports", headers=ivy,
                           json={**WHY, "format": "ndjson", **ranked.stakeout()})
    assert response.status_code == 200, response.text[:800]
    assert int(response.headers["x-total-count"]) == 4  # plates
    assert int(response.headers["x-exported-count"]) == 3 + 4 + 2 + 1  # their reads


def test_a_convoy_export_holds_its_companions_in_rank_order_paged_by_offset_up_to_max_rows(
    client: TestClient, ivy: dict[str, str], ranked: Ranked
) -> None:
    """"A stakeout or convoy export holds every plate's reads whole, plate after plate in
    the search's order, up to `max_rows`; its `params.offset` counts plates, as the
    search's pages do." (The convoy.)"""
    order = [c["plate"] for c in ok(search(client, ivy, ranked.convoy()))["companions"]]
    assert order == [ranked.top, ranked.mid, ranked.low]
    rows = exported(client, ivy, ranked.convoy())
    assert runs(rows) == order
    assert [rows.count(p) for p in order] == [4, 2, 1]  # each companion's paired reads whole
    skipped = exported(client, ivy, ranked.convoy(offset=1))
    assert runs(skipped) == order[1:] and len(skipped) == 3
    assert exported(client, ivy, {**ranked.convoy(), "max_rows": 2}) == [ranked.top] * 2


def test_a_stakeout_exports_offset_counts_plates_and_max_rows_bounds_it(
    client: TestClient, ivy: dict[str, str], ranked: Ranked
) -> None:
    """"… up to `max_rows`; its `params.offset` counts plates, as the search's pages do."
    (The stakeout: an offset of one leaves out the best-ranked plate, whole.)"""
    page = ok(search(client, ivy, ranked.stakeout(offset=1)))
    assert [p["plate"] for p in page["stakeout"]] == [ranked.top, ranked.mid, ranked.low]
    skipped = exported(client, ivy, ranked.stakeout(offset=1))
    assert sorted(skipped) == sorted([ranked.top] * 4 + [ranked.mid] * 2 + [ranked.low])
    assert len(exported(client, ivy, {**ranked.stakeout(), "max_rows": 2})) == 2


# --- Pattern of life: the legal-basis gate and approvals ------------------------------------


BASIS = {"kind": "warrant", "number": "27-CR-26-5150", "court": "Hennepin County District Court"}


class MnWorld(AgencyWorld):
    """Minneapolis (`mpd`, Minnesota's pack: every locate of its data waits for one of its
    supervisors), and the reads of ``plate``."""

    plate: str = ""

    def locate(self, **change: Any) -> dict[str, Any]:
        return {"kind": "locate", "params": {"plate": self.plate}, "purpose": "warrant",
                "case_number": "26-DOC-0042", "offense_type": "120", "legal_basis": BASIS,
                "reason": "arrest warrant for the driver of the getaway car in the robbery",
                **change}

    def post(self, body: dict[str, Any], user: str = "mpd-inv") -> Any:
        return self.client.post("/v1/searches", headers=self.login(user), json=body)

    def pending(self, body: dict[str, Any]) -> dict[str, Any]:
        response = self.post(body)
        assert response.status_code == 202, response.text
        answer: dict[str, Any] = response.json()
        return answer

    def log_size(self) -> int:
        return int(self.client.app.state.audit_log.size())  # type: ignore[attr-defined]


@pytest.fixture
def mn(settings: Settings) -> Iterator[MnWorld]:
    secrets: dict[str, str] = {}
    roles = {"inv": ["investigator"], "sup": ["supervisor"], "admin": ["admin"]}
    with catalog_of(settings) as catalog:
        ids = add_agencies(catalog, [("mpd", "Minneapolis PD", "municipal", "MN")], roles,
                           secrets, at=PLACES[8])
    plate = unique_plate("MN")
    reads = [at(plate, ids["mpd"], 8, minutes, state="MN") for minutes in (90, 60 * 26)]
    with TestClient(create_app(settings)) as client:
        insert(client, reads)
        world = MnWorld(client, settings, ids, secrets)
        world.plate = plate
        yield world


def test_a_locate_without_its_basis_is_refused_before_anything_is_decided(mn: MnWorld) -> None:
    """"A locate without its legal basis is answered 422 `legal_basis_required`, before
    anything is decided": no decision, request or search is logged."""
    size = mn.log_size()
    response = mn.post(mn.locate(legal_basis=None))
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "legal_basis_required"
    assert mn.log_size() == size


def test_a_waiting_locate_says_its_next_step_and_stays_open_seven_days(mn: MnWorld) -> None:
    """"`POST /v1/searches` answers **202** with a pending approval (`id`, `status`,
    `waits_for`, `because`, `next_step`)" and the approval is used "within 7 days"."""
    pending = mn.pending(mn.locate())
    assert pending["status"] == "pending" and pending["waits_for"] and pending["because"]
    assert pending["id"] in pending["next_step"] and "/approve" in pending["next_step"]
    opened = datetime.fromisoformat(pending["created_at"])
    assert datetime.fromisoformat(pending["expires_at"]) - opened == timedelta(days=7)


ASKED_OTHERWISE: dict[str, dict[str, Any]] = {
    "purpose": {"purpose": "court_order"},
    "offense": {"offense_type": "09A"},
    "case number": {"case_number": "26-DOC-0099"},
    "reason": {"reason": "arrest warrant for the passenger of the getaway car"},
}


def test_a_locate_asked_again_for_another_purpose_offense_case_or_reason_is_a_new_request(
    mn: MnWorld,
) -> None:
    """"The same search run again while it waits (same user, kind, plate, legal basis,
    requesting agency, purpose, offense, case number, reason, window and places) answers
    with that request, logging nothing more": one of those otherwise is a request of its
    own, logged."""
    first = mn.pending(mn.locate())
    size = mn.log_size()
    assert mn.pending(mn.locate())["id"] == first["id"] and mn.log_size() == size
    seen = {first["id"]}
    for name, change in ASKED_OTHERWISE.items():
        other = mn.pending(mn.locate(**change))
        assert other["id"] not in seen, name
        seen.add(other["id"])
        assert mn.log_size() == size + 1, name
        size = mn.log_size()


def test_an_approval_runs_only_what_was_asked_field_by_field(mn: MnWorld) -> None:
    """"The approval is used once, only by its requester, for what the supervisor saw:
    the same … purpose, offense type, case number and reason …, and the same window and
    places — `params` `since`, `until`, cameras, area and region —". Each of those
    changed alone is `approval_mismatch`; none uses the approval up."""
    since = (NOW - timedelta(days=3)).isoformat()
    asked = mn.locate(params={"plate": mn.plate, "since": since})
    approval = mn.pending(asked)["id"]
    decided = mn.client.post(f"/v1/approvals/{approval}/approve", headers=mn.login("mpd-sup"),
                             json={"note": "warrant checked against the court record"})
    assert decided.status_code == 200, decided.text
    changes = [*ASKED_OTHERWISE.values(),
               {"params": {"plate": mn.plate, "since": since, "region": "MN"}},
               {"params": {"plate": mn.plate, "since": since, "until": NOW.isoformat()}}]
    for change in changes:
        tried = mn.post({**asked, **change, "approval_id": approval})
        assert tried.status_code == 403, (change, tried.text)
        assert tried.json()["error"]["code"] == "approval_mismatch"
        assert "pattern" not in tried.json()
    ran = mn.post({**asked, "approval_id": approval})
    assert ran.status_code == 200, ran.text
    assert ran.json()["total"] == 2


def test_an_admin_is_told_they_are_not_a_supervisor(mn: MnWorld) -> None:
    """"an investigator, an auditor or an admin gets 403 `not_a_supervisor`" (the admin)."""
    approval = mn.pending(mn.locate())["id"]
    response = mn.client.post(f"/v1/approvals/{approval}/approve",
                              headers=mn.login("mpd-admin"), json={"note": "looks fine"})
    assert response.status_code == 403, response.text
    assert response.json()["error"]["code"] == "not_a_supervisor"


# --- Reasons ---------------------------------------------------------------------------------


def test_inv_is_vague_and_two_vague_reasons_raise_no_flag_yet(
    client: TestClient, seed: Seed, ivy: dict[str, str]
) -> None:
    """"A reason the screening finds vague (`investigation`, `inv` …) is flagged in the
    answer (`reason_flags: ["vague"]`) and counted per operator in `GET
    /v1/supervision/operators` (`vague_reasons`, and the `vague_reasons` flag from three
    on)": at two, counted and not flagged."""
    for reason in ("inv", "investigation"):
        data = ok(search(client, ivy, {"kind": "exact", "params": {"plate": "7ABC123"},
                                       "reason": reason}))
        assert data["reason_flags"] == ["vague"], reason
    audrey = login(client, "audrey", code(seed.auditor_totp))
    figures = client.get("/v1/supervision/operators", headers=audrey)
    assert figures.status_code == 200, figures.text
    mine = {o["user"]: o for o in figures.json()["operators"]}["ivy"]
    assert mine["vague_reasons"] == 2 and "vague_reasons" not in mine["flags"]


# --- From the command line ------------------------------------------------------------------


def test_a_convoy_csv_names_each_companions_places_co_occurrences_and_times(
    live_server: LiveServer,
) -> None:
    """"`plateledger search convoy PLATE --since … --until …`: … `--csv` gives the
    companions (plate, places, co-occurrences, first and last seen)"."""
    settings = Settings(data_dir=live_server.data_dir, require_totp=False)
    catalog = open_catalog(settings)
    try:
        ucpd = catalog.agency_by_slug("ucpd")
        assert ucpd is not None
        key = catalog.issue_api_key(ucpd.id, label="docs-claims-convoy")
        cams = [c for c in catalog.cameras(owner_id=ucpd.id) if c.lat is not None][:2]
    finally:
        catalog.close()
    target, follower = unique_plate("7C"), unique_plate("8C")
    times = {target: (40.0, 30.0), follower: (39.5, 29.5)}
    body = [{"camera_id": cam.camera_id, "plate": plate, "confidence": 0.9, "region": "CA",
             "lat": cam.lat, "lon": cam.lon,
             "ts": int((NOW - timedelta(minutes=ago)).timestamp() * 1000)}
            for plate, agos in times.items() for cam, ago in zip(cams, agos, strict=True)]
    posted = httpx.post(f"{live_server.url}/v1/reads", json=body, headers={"X-API-Key": key},
                        timeout=60)
    assert posted.status_code == 200, posted.text
    args = ["search", "convoy", target, "--since", (NOW - timedelta(hours=2)).isoformat(),
            "--until", (NOW + timedelta(minutes=1)).isoformat(), "--window-seconds", "60",
            "--purpose", "stolen_vehicle", "--reason", "grey pickup seen leaving the depot lot",
            "--case", "UC-2026-0809", "--offense", "240", "--csv", "--url", live_server.url,
            "--token", live_server.token("ucpd.investigator")]
    deadline = time.monotonic() + 60
    while True:  # the ingest batcher writes within a second
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 0, result.output
        rows = list(csv.DictReader(io.StringIO(result.output)))
        if rows or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert result.output.splitlines()[0] == "plate,places,co_occurrences,first_seen,last_seen"
    [row] = rows
    assert (row["plate"], row["places"], row["co_occurrences"]) == (follower, "2", "2")
    first, last = (datetime.fromisoformat(row[k]) for k in ("first_seen", "last_seen"))
    assert first == NOW - timedelta(minutes=39.5) and last == NOW - timedelta(minutes=29.5)
