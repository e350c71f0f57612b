"""Attacks on the plate crops and overview frames behind reads, through the HTTP API, by
someone who wants an image they should not get.

The promises attacked (docs/api.md *Images*, docs/retention.md *Clocks*, docs/policies.md
*Actions*, docs/accounts.md): viewing an image is its own policy action (``view_image``),
decided for every owner and logged as an ``image_view`` entry before any byte is returned
— allowed or refused; a read the requester may not see answers exactly like a read that
does not exist; an image older than its owner's images clock is not served and searches
show its read without image references, unless an active legal hold keeps it for its
case; an agreement shares images only where it grants search and says so; no audit
entry, no image. And, throughout, that an image reference a result shows is one its
reader may open.

World: Union City (``ucpd``, the owner: reads 60 days), and around it Fremont (``fpd``:
an agreement that shares searches, exports and images for stolen vehicles, seven days
back), Hayward (``hpd``: searches without images), the Alameda County Sheriff (``acso``)
and Berkeley (``bpd``) with no agreement, a federal immigration unit in California
(``ice``) and Reno (``rpd``, Nevada). Real app, SQLite catalog, chDB store (shared by the
session: every test uses plates of its own) and the image store under the data directory.

A test that passes is a promise that held. A test marked ``xfail(strict=True)`` is a hole
found on the code it was written against: its reason names it, and it passes (and so fails
the suite, until the mark goes) once the hole is fixed.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from plateledger.access.digest import result_digest
from plateledger.api.app import create_app
from plateledger.audit import AuditLog
from plateledger.read import Images
from plateledger.settings import Settings
from tests.api.conftest import AgencyWorld, add_agencies, catalog_of
from tests.factories import make_read, unique_plate

NOTHING = result_digest([])
"""The digest an entry records when no read was returned."""
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"
LAT, LON = 37.5934, -122.0439
"""Where Union City's camera stands (the area searches look around it)."""
CASE = "UC-2026-0042"
VIEW = {"purpose": "stolen_vehicle", "case_number": CASE,
        "reason": "confirm the plate of a stolen white pickup"}
SEARCH = {"purpose": "stolen_vehicle", "offense_type": "240", "case_number": CASE,
          "reason": "stolen white pickup, partial plate from a witness"}
ROLES = {"inv": ["investigator"], "aud": ["auditor"], "disp": ["dispatcher"],
         "sup": ["supervisor", "investigator"], "admin": ["admin"]}
AGENCIES = [("ucpd", "Union City PD", "municipal", "CA"),
            ("fpd", "Fremont PD", "municipal", "CA"),
            ("hpd", "Hayward PD", "municipal", "CA"),
            ("acso", "Alameda County Sheriff", "county", "CA"),
            ("bpd", "Berkeley PD", "municipal", "CA"),
            ("ice", "ICE ERO San Francisco", "federal", "CA"),
            ("rpd", "Reno PD", "municipal", "NV")]
Answer = Any
"""An HTTP answer of the test client (httpx's, or httpx2's under starlette 1.x)."""
DAY = 24 * 60.0
"""Minutes in a day (`make_read` takes minutes)."""


@dataclass(frozen=True)
class Shot:
    """A read of the owner with both images stored on this server."""

    read_id: str
    plate: str
    crop: bytes
    frame: bytes

    def image(self, kind: str) -> bytes:
        return self.crop if kind == "plate" else self.frame


@dataclass
class World(AgencyWorld):
    agreements: dict[str, int]
    camera_key: str

    @property
    def log(self) -> AuditLog:
        return self.client.app.state.audit_log  # type: ignore[attr-defined,no-any-return]

    def entries_since(self, size: int) -> list[dict[str, Any]]:
        """The entries appended since the log had ``size`` entries (straight from the log)."""
        return [dict(self.log.entry(i).entry) for i in range(size, self.log.size())]

    def shoot(self, owner: str = "ucpd", *, plate: str | None = None,
              minutes_ago: float = 30, keep_days: float = 60,
              at: tuple[float, float] = (LAT, LON), **fields: Any) -> Shot:
        """A read of ``owner``'s camera (``at`` a place), its crop and frame stored as the
        server stores them (named by read id), their references on the read."""
        plate = plate or unique_plate()
        read = make_read(plate, camera=f"{owner}-cam-1", owner=self.ids[owner], lat=at[0],
                         lon=at[1], minutes_ago=minutes_ago, keep_days=keep_days, **fields)
        images = self.client.app.state.images  # type: ignore[attr-defined]
        marker = f"{owner}:{plate}:{read.read_id}".encode()
        crop, frame = JPEG + b"crop " + marker, JPEG + b"frame " + marker
        refs = Images(plate=images.put(read.read_id, "plate", crop),
                      overview=images.put(read.read_id, "overview", frame))
        self.client.app.state.store.insert_reads(  # type: ignore[attr-defined]
            [read.model_copy(update={"images": refs})])
        return Shot(str(read.read_id), plate, crop, frame)

    def view(self, user: str | None, shot: Shot, kind: str = "plate", *,
             read_id: str | None = None, headers: Mapping[str, str] | None = None,
             also: Mapping[str, str] | None = None) -> Answer:
        """``GET /v1/reads/{id}/images/{kind}`` as ``user`` (None: no credentials), with
        the view's purpose, case and reason (``also`` changes or adds to them)."""
        if headers is None:
            headers = self.login(user) if user else {}
        params = {"plate": shot.plate, **VIEW, **(also or {})}
        return self.client.get(f"/v1/reads/{read_id or shot.read_id}/images/{kind}",
                               params=params, headers=dict(headers))

    def search(self, user: str, plate: str, kind: str = "exact",
               **body: Any) -> dict[str, Any]:
        params = body.pop("params", {"plate": plate})
        answer = self.client.post("/v1/searches", headers=self.login(user),
                                  json={"kind": kind, "params": params, **SEARCH, **body})
        assert answer.status_code == 200, answer.text
        page: dict[str, Any] = answer.json()
        return page

    def images_on_disk(self) -> set[str]:
        return {p.name for p in Path(self.settings.images_dir).rglob("*.jpg")}


@pytest.fixture
def world(settings: Settings) -> Iterator[World]:
    secrets: dict[str, str] = {}
    with catalog_of(settings) as catalog:
        ids = add_agencies(catalog, AGENCIES, ROLES, secrets, at=(LAT, LON),
                           retention_nonhit_days=60)
        agreements = {
            "fpd": catalog.add_agreement(
                ids["ucpd"], ids["fpd"], actions=("search", "export"),
                purposes=("stolen_vehicle",), created_by="ucpd-admin", max_lookback_days=7,
                images_allowed=True).id,
            "hpd": catalog.add_agreement(
                ids["ucpd"], ids["hpd"], actions=("search",), purposes=("stolen_vehicle",),
                created_by="ucpd-admin", images_allowed=False).id,
        }
        camera_key = catalog.issue_api_key(ids["ucpd"], label="gate")
    with TestClient(create_app(settings)) as client:
        yield World(client, settings, ids, secrets, agreements, camera_key)


def same_answer(a: Answer, a_id: str, b: Answer, b_id: str) -> None:
    """Two answers that differ in nothing but the read id each asked about."""
    assert a.status_code == b.status_code, (a.status_code, b.status_code)
    assert a.text.replace(a_id, "ID") == b.text.replace(b_id, "ID"), (a.text, b.text)
    assert a.headers.get("content-type") == b.headers.get("content-type")
    assert a.headers.get("content-length") == b.headers.get("content-length")


def found(page: dict[str, Any], shot: Shot) -> dict[str, Any] | None:
    """``shot``'s read in a search page, if the page shows it."""
    rows = [r for r in page["results"] if r["read_id"] == shot.read_id]
    assert len(rows) <= 1, rows
    return rows[0] if rows else None


# -- the baseline: what an allowed view looks like ------------------------------------


def test_the_owners_investigator_opens_both_images_and_each_view_is_logged_first(
    world: World,
) -> None:
    """Union City's investigator opens its own read's crop and frame: exactly the stored
    bytes, as a JPEG nobody caches, and one ``image_view`` entry each naming the read, the
    image and the read returned. (Every refusal below is measured against this.)"""
    shot = world.shoot()
    for kind in ("plate", "overview"):
        size = world.log.size()
        answer = world.view("ucpd-inv", shot, kind)
        assert answer.status_code == 200, answer.text
        assert answer.content == shot.image(kind)
        assert answer.headers["content-type"] == "image/jpeg"
        assert answer.headers["cache-control"] == "no-store"
        [entry] = world.entries_since(size)
        assert entry["type"] == "image_view" and entry["user"] == "ucpd-inv"
        assert entry["query"] == {"read_id": shot.read_id, "plate": shot.plate, "image": kind}
        assert entry["returned"] == 1 and entry["returned_by_owner"]["ucpd"] == 1
        assert entry["result_digest"] == result_digest([uuid.UUID(shot.read_id)])


# -- who is refused, and what the refusal tells them ------------------------------------


REFUSED: list[tuple[str, dict[str, str], str]] = [
    ("ucpd-aud", {}, "the owner's auditor"),
    ("ucpd-disp", {}, "the owner's dispatcher"),
    ("ucpd-admin", {}, "the owner's admin"),
    ("hpd-inv", {}, "a partner sharing reads without images"),
    ("hpd-inv", {"requested_by": "ucpd"}, "that partner, naming the owner as requester"),
    ("fpd-inv", {"purpose": "homicide"}, "the image partner, for a purpose not shared"),
    ("fpd-inv", {"case_number": ""}, "the image partner, without the case number it needs"),
    ("ice-inv", {}, "the federal unit"),
    ("rpd-inv", {}, "an out-of-state city"),
    ("acso-inv", {}, "an in-state sheriff with no agreement"),
    ("ucpd-inv", {"requested_by": "ice"}, "the owner's officer, for the federal unit"),
]


def test_a_refused_requester_gets_no_image_learns_nothing_and_is_logged(
    world: World,
) -> None:
    """Everyone policy refuses — by role (an auditor, a dispatcher, an admin), by
    agreement (reads without images, another purpose), by statute (the federal unit, or
    an own officer asking on its behalf) or for want of any agreement — gets none of the
    image's bytes, and an answer (status, body, headers) identical but for the id to the
    answer for a read that does not exist: not whether the read exists, nor whether it has
    an image. Each attempt is an ``image_view`` entry of that user that returned
    nothing."""
    shot = world.shoot()
    missing = str(uuid.uuid4())
    for user, extra, who in REFUSED:
        size = world.log.size()
        for kind in ("plate", "overview"):
            real = world.view(user, shot, kind, also=extra)
            invented = world.view(user, shot, kind, read_id=missing, also=extra)
            assert real.status_code in (403, 404), (who, real.text)
            assert shot.image(kind) not in real.content and JPEG not in real.content, who
            assert real.headers["content-type"].startswith("application/json"), who
            same_answer(real, shot.read_id, invented, missing)
        entries = world.entries_since(size)
        assert [e["type"] for e in entries] == ["image_view"] * 4, (who, entries)
        for entry in entries:
            assert entry["user"] == user and entry["returned"] == 0, (who, entry)
            assert entry["result_digest"] == NOTHING, who
            assert entry.get("returned_by_owner", {}).get("ucpd", 0) == 0, who


def test_no_login_a_forged_token_or_a_camera_key_opens_no_image(world: World) -> None:
    """The public, a forged bearer token, a password sent as Basic, and Union City's own
    camera key (which posts images) get a 401 and no byte, alike for a real read and an
    invented one; the read's web page, open to anyone, is a shell that carries neither
    the plate nor an image reference (its script asks the API, as the user)."""
    shot = world.shoot()
    missing = str(uuid.uuid4())
    for sent in ({}, {"Authorization": "Bearer not-a-token"},
                 {"Authorization": "Basic dWNwZC1pbnY6eA=="}, {"X-API-Key": world.camera_key}):
        for kind in ("plate", "overview"):
            real = world.view(None, shot, kind, headers=sent)
            invented = world.view(None, shot, kind, headers=sent, read_id=missing)
            assert real.status_code == 401, (sent, real.text)
            assert shot.image(kind) not in real.content and JPEG not in real.content
            same_answer(real, shot.read_id, invented, missing)
    page = world.client.get(f"/reads/{shot.read_id}")  # the read's web page: a shell
    for leak in ("local:", shot.plate, "crop "):
        assert leak not in page.text, leak


def test_probing_read_ids_for_images_raises_an_alarm_then_a_throttle(world: World) -> None:
    """The federal unit tries read id after read id, hoping one opens. Each refusal counts:
    ten within the minute raise a ``denial_burst`` alarm for its supervisors, twenty pause
    the user (429 with ``Retry-After``) — and no answer ever carries an image."""
    shot = world.shoot()
    size = world.log.size()
    answers = [world.view("ice-inv", shot, read_id=None if n == 7 else str(uuid.uuid4()))
               for n in range(22)]
    assert all(shot.crop not in a.content and JPEG not in a.content for a in answers)
    assert [a.status_code for a in answers[:20]] == [404] * 20
    assert answers[-1].status_code == 429 and answers[-1].headers.get("retry-after")
    alarms = [e for e in world.entries_since(size) if e["type"] == "alarm"]
    kinds = {(e["kind"], e["user"]) for e in alarms}
    assert {("denial_burst", "ice-inv"), ("search_throttled", "ice-inv")} <= kinds, alarms
    for alarm in alarms:  # an alarm names no read and no plate
        assert shot.read_id not in str(alarm) and shot.plate not in str(alarm)


ALTERED = [
    "/v1/reads/{id}/images/plate.jpg",
    "/v1/reads/{id}/images/..%2F..%2Fcatalog.db",
    "/v1/reads/{id}/images/..%2F..%2Fimages%2F{prefix}%2F{id}.plate.jpg",
    "/v1/reads/{id}/images/PLATE",
    "/v1/reads/local:{prefix}%2F{id}.plate.jpg/images/plate",
    "/v1/reads/{id}.plate.jpg/images/plate",
    "/v1/images/{prefix}/{id}.plate.jpg",
    "/images/{prefix}/{id}.plate.jpg",
    "/static/..%2F..%2Fimages%2F{prefix}%2F{id}.plate.jpg",
]


def test_an_altered_path_or_reference_gets_a_json_4xx_and_no_image(world: World) -> None:
    """The image is asked for by read id and kind only: a kind spelt otherwise, a path
    that climbs out of the route or the static files into the image directory, or a
    stored image reference in the read id's place gets a 4xx and never the bytes — not
    even for the owner's own investigator, who may open the image by its proper path."""
    shot = world.shoot()
    prefix = uuid.UUID(shot.read_id).hex[:2]
    ivy = world.login("ucpd-inv")
    for path in ALTERED:
        url = path.format(id=shot.read_id, prefix=prefix)
        answer = world.client.get(url, params={"plate": shot.plate, **VIEW}, headers=ivy)
        assert 400 <= answer.status_code < 500, (url, answer.status_code, answer.text)
        assert JPEG not in answer.content and "Traceback" not in answer.text, url


def test_only_get_serves_an_image(world: World) -> None:
    """A HEAD, POST, PUT or DELETE on an image's address serves nothing and deletes nothing:
    the image is still there for the owner afterwards."""
    shot = world.shoot()
    url = f"/v1/reads/{shot.read_id}/images/plate"
    ivy = world.login("ucpd-inv")
    for method in ("HEAD", "POST", "PUT", "DELETE"):
        answer = world.client.request(method, url, params={"plate": shot.plate, **VIEW},
                                      headers=ivy)
        assert answer.status_code == 405, (method, answer.status_code)
        assert JPEG not in answer.content
    assert world.view("ucpd-inv", shot).content == shot.crop


# -- agreements: the partner allowed images, within its terms only ----------------------


def test_a_partner_allowed_images_opens_them_only_within_its_lookback(world: World) -> None:
    """Fremont's agreement shares images seven days back: it opens today's image, and a
    read ten days old answers exactly as a read that does not exist (its search does not
    show it either), while the owner still opens it."""
    fresh, old = world.shoot(), world.shoot(minutes_ago=10 * DAY)
    assert world.view("fpd-inv", fresh).content == fresh.crop
    assert world.view("ucpd-inv", old).content == old.crop
    missing = str(uuid.uuid4())
    refused = world.view("fpd-inv", old)
    same_answer(refused, old.read_id, world.view("fpd-inv", old, read_id=missing), missing)
    assert refused.status_code == 404 and old.crop not in refused.content
    assert found(world.search("fpd-inv", old.plate), old) is None


def test_revoking_the_agreement_closes_its_images_for_the_next_view(world: World) -> None:
    """Union City's admin revokes Fremont's agreement: Fremont's very next view of an
    image it opened a moment ago is refused, as if the read did not exist."""
    shot = world.shoot()
    assert world.view("fpd-inv", shot).content == shot.crop
    revoked = world.client.delete(f"/v1/admin/agreements/{world.agreements['fpd']}",
                                  headers=world.login("ucpd-admin"))
    assert revoked.status_code == 204, revoked.text
    missing = str(uuid.uuid4())
    after = world.view("fpd-inv", shot)
    assert after.status_code == 404 and shot.crop not in after.content
    same_answer(after, shot.read_id, world.view("fpd-inv", shot, read_id=missing), missing)


def test_a_none_preset_closes_images_an_agreement_shared(world: World) -> None:
    """Union City chooses to share with no one (the ``none`` preset): Fremont's agreement
    no longer opens its images."""
    shot = world.shoot()
    assert world.view("fpd-inv", shot).content == shot.crop
    chosen = world.client.put("/v1/admin/sharing-preset", json={"preset": "none"},
                              headers=world.login("ucpd-admin"))
    assert chosen.status_code == 200, chosen.text
    after = world.view("fpd-inv", shot)
    assert after.status_code == 404 and shot.crop not in after.content


def test_acting_for_the_image_partner_lends_no_images(world: World) -> None:
    """Hayward (reads without images) has its admin record its investigator as acting for
    Fremont, whose agreement shares images. Acting for another agency never widens what a
    user sees: Hayward's investigator still opens no image — as itself or for Fremont —
    and its searches still show no image reference."""
    changed = world.client.put("/v1/admin/users/hpd-inv/acting-for", json={"agency": "fpd"},
                               headers=world.login("hpd-admin"))
    assert changed.status_code in (200, 403, 422), changed.text
    shot = world.shoot()
    for extra in ({}, {"requested_by": "fpd"}, {"requested_by": "hpd"}):
        answer = world.view("hpd-inv", shot, also=extra)
        assert 400 <= answer.status_code < 500 and shot.crop not in answer.content, extra
        searched = world.client.post("/v1/searches", headers=world.login("hpd-inv"), json={
            "kind": "exact", "params": {"plate": shot.plate}, **SEARCH, **extra})
        if searched.status_code == 200:
            row = found(searched.json(), shot)
            assert row is None or (row["image_plate"], row["image_overview"]) == ("", "")


def test_an_alert_only_agreement_that_shares_images_opens_no_image(world: World) -> None:
    """Union City lets the Sheriff receive its hot-list alerts, and ticks "images
    allowed". docs/policies.md: "an agreement that grants `search` and shares images also
    grants `view_image`" — this one grants no search, so the Sheriff (who learns read ids
    from the alerts it receives) may open no image of Union City's reads."""
    made = world.client.post("/v1/admin/agreements", headers=world.login("ucpd-admin"), json={
        "recipient": "acso", "actions": ["alert"], "purposes": ["stolen_vehicle"],
        "images_allowed": True})
    if made.status_code in (403, 422):
        return  # refused as written: the promise holds
    assert made.status_code == 201, made.text
    shot = world.shoot()
    searched = world.client.post("/v1/searches", headers=world.login("acso-inv"), json={
        "kind": "exact", "params": {"plate": shot.plate}, **SEARCH})
    assert shot.read_id not in searched.text  # no search: the agreement says so
    answer = world.view("acso-inv", shot)
    assert shot.crop not in answer.content, "the alert-only partner opened Union City's crop"
    assert answer.status_code == 404


def found_without_references(world: World, user: str, admitted: str) -> None:
    """``user``'s exact search finds a new Union City read (``admitted`` says why it
    may), its image is refused to ``user``, and so the search shows no reference to it."""
    shot = world.shoot()
    row = found(world.search(user, shot.plate), shot)
    assert row is not None, admitted
    refused = world.view(user, shot)
    assert refused.status_code == 404 and shot.crop not in refused.content
    assert (row["image_plate"], row["image_overview"]) == ("", "")


def test_a_preset_partner_is_shown_no_image_reference_it_may_not_open(world: World) -> None:
    """Union City shares in-state by preset. Berkeley (no agreement) finds Union City's
    read, and may not open its image (a preset shares no images): its search must not show
    the read with image references either — a reference it cannot open only tells it
    which reads have pictures."""
    chosen = world.client.put("/v1/admin/sharing-preset", json={"preset": "in_state"},
                              headers=world.login("ucpd-admin"))
    assert chosen.status_code == 200, chosen.text
    found_without_references(world, "bpd-inv", "the preset admits Berkeley's search")


def test_a_dispatcher_is_shown_no_image_reference_it_may_not_open(world: World) -> None:
    """A dispatcher may look a plate up to confirm a hit, and sees no images — that is
    casework (docs/accounts.md). Its exact lookup finds the read; the image is refused
    to it, so the lookup must not show the read's image references either."""
    found_without_references(world, "ucpd-disp", "a dispatcher may confirm a plate")


# -- the images clock -----------------------------------------------------------------


def shorten_images_clock(world: World, days: int = 1) -> None:
    """Union City's admin keeps images ``days`` days (reads stay 60), over the API."""
    changed = world.client.patch("/v1/admin/agency", headers=world.login("ucpd-admin"),
                                 json={"retention_image_days": days})
    assert changed.status_code == 200, changed.text


def window(at: tuple[float, float]) -> dict[str, Any]:
    """Fifty metres around ``at``, over the last three days."""
    return {"lat": at[0], "lon": at[1], "meters": 50,
            "since": (datetime.now(UTC) - timedelta(days=3)).isoformat(),
            "until": datetime.now(UTC).isoformat()}


def every_search(plate: str, target: str, at: tuple[float, float]) -> dict[str, Any]:
    """A request of every search kind that shows the reads of ``plate`` (read at ``at``,
    travelling with ``target``)."""
    place = window(at)
    span = {"since": place["since"], "until": place["until"]}
    area = {"radius": {k: place[k] for k in ("lat", "lon", "meters")}, **span}
    return {
        "exact": {"params": {"plate": plate}},
        "wildcard": {"params": {"plate": plate[:-2] + "*"}},
        "fuzzy": {"params": {"plate": plate}},
        "timeline": {"params": {"plate": plate}},
        "area": {"params": {"plate": plate, **area}},
        "attributes": {"params": {"plate": plate, **span}, "vehicle": {"make": "Toyota"}},
        "stakeout": {"params": {}, "stakeout": {"min_areas": 1, "areas": [
            {"shape": "circle", **place}]}},
        "convoy": {"params": {"plate": target, **span},
                   "convoy": {"window_seconds": 300, "min_places": 1}},
    }


@pytest.mark.parametrize("user", ["ucpd-inv", "fpd-inv"])
def test_an_image_past_its_clock_is_neither_shown_nor_served_by_any_search(
    world: World, user: str,
) -> None:
    """Union City's admin shortens its images clock to a day (over the API: in force for
    the next decision). A read two days old is still found by every kind of search —
    exact, wildcard, fuzzy, timeline, area, attributes, stakeout, convoy; by the owner and
    by Fremont, whose agreement shares images — but shown without image references, and
    its images are not served (404); a read of today is shown with references that
    open."""
    shorten_images_clock(world)
    plate, target = unique_plate(), unique_plate("8")
    salt = uuid.uuid4().int % 10_000
    at = (LAT + salt / 100_000, LON - salt / 100_000)  # a place of this test's own
    car: dict[str, Any] = {"vehicle": {"make": "Toyota", "color": "white"}, "at": at}
    old = world.shoot(plate=plate, minutes_ago=2 * DAY + 5, **car)
    fresh = world.shoot(plate=plate, minutes_ago=5, **car)
    for minutes in (2 * DAY + 5.5, 5.5):  # the target, a moment before each
        world.shoot(plate=target, minutes_ago=minutes, at=at)
    for kind, body in every_search(plate, target, at).items():
        page = world.search(user, plate, kind=kind, **body)
        old_row, fresh_row = found(page, old), found(page, fresh)
        assert old_row is not None and fresh_row is not None, (kind, page)
        assert (old_row["image_plate"], old_row["image_overview"]) == ("", ""), kind
        assert fresh_row["image_plate"] and fresh_row["image_overview"], kind
    for image in ("plate", "overview"):
        gone = world.view(user, old, image)
        assert gone.status_code == 404, gone.text
        assert gone.json()["error"]["code"] in ("no_image", "no_such_read")
        assert old.image(image) not in gone.content
        assert world.view(user, fresh, image).content == fresh.image(image)


def test_an_image_view_that_serves_no_image_records_no_read_returned(world: World) -> None:
    """Fremont asks for the crop of a read past Union City's images clock and gets none.
    The audit entry is the record of what left Union City: it must say that nothing did —
    no read returned, the digest of nothing."""
    shorten_images_clock(world)
    old = world.shoot(minutes_ago=2 * DAY + 5)
    size = world.log.size()
    answer = world.view("fpd-inv", old)
    assert answer.status_code == 404 and old.crop not in answer.content
    [entry] = world.entries_since(size)
    assert entry["type"] == "image_view"
    assert (entry["returned"], entry["result_digest"]) == (0, NOTHING), entry
    assert entry["returned_by_owner"].get("ucpd", 0) == 0, entry["returned_by_owner"]


def test_an_export_carries_no_reference_to_an_image_past_its_clock(world: World) -> None:
    """An export is its own decision; its file shows the old read without image columns
    and today's with them, for the owner and for Fremont (whose agreement exports)."""
    shorten_images_clock(world)
    plate = unique_plate()
    old = world.shoot(plate=plate, minutes_ago=2 * DAY + 5)
    fresh = world.shoot(plate=plate, minutes_ago=5)
    for user in ("ucpd-inv", "fpd-inv"):
        exported = world.client.post("/v1/exports", headers=world.login(user), json={
            "kind": "exact", "params": {"plate": plate}, **SEARCH, "format": "csv"})
        assert exported.status_code == 200, exported.text
        rows = {r["read_id"]: r for r in csv.DictReader(io.StringIO(exported.text))}
        assert (rows[old.read_id]["image_plate"], rows[old.read_id]["image_overview"]) == (
            "", "")
        assert rows[fresh.read_id]["image_plate"] and rows[fresh.read_id]["image_overview"]


def test_an_expired_read_s_image_answers_as_a_read_that_does_not_exist(world: World) -> None:
    """A read whose own clock has passed, before any purge deleted it: its image is not
    served to the owner, and the answer says nothing more than for an invented id."""
    shot = world.shoot(minutes_ago=120, keep_days=0.01)
    missing = str(uuid.uuid4())
    answer = world.view("ucpd-inv", shot)
    assert answer.status_code == 404 and shot.crop not in answer.content
    same_answer(answer, shot.read_id, world.view("ucpd-inv", shot, read_id=missing), missing)


# -- legal holds and the images clock ----------------------------------------------------


def hold(world: World, *plates: str, case: str = CASE, **terms: Any) -> dict[str, Any]:
    """Union City's supervisor holds ``plates`` for ``case``, over the API."""
    placed = world.client.post("/v1/retention/holds", headers=world.login("ucpd-sup"), json={
        "case_number": case, "reason": "evidence in a robbery", "plates": list(plates),
        "expires_at": (datetime.now(UTC) + timedelta(days=30)).isoformat(), **terms})
    assert placed.status_code == 201, placed.text
    return dict(placed.json())


def purge(world: World) -> dict[str, Any]:
    """A purge now, as Union City's admin asks for one."""
    ran = world.client.post("/v1/retention/run", headers=world.login("ucpd-admin"))
    assert ran.status_code == 200, ran.text
    return dict(ran.json())


def test_a_hold_keeps_an_image_past_its_clock_and_its_release_closes_it(world: World) -> None:
    """A hold on the plate keeps the two-day-old read's images past the one-day clock:
    served for the case, and shown; once the supervisor releases the hold, the very next
    view is refused (404) and the search shows no reference again."""
    shorten_images_clock(world)
    shot = world.shoot(minutes_ago=2 * DAY + 5)
    placed = hold(world, shot.plate)
    assert world.view("ucpd-inv", shot).content == shot.crop
    row = found(world.search("ucpd-inv", shot.plate), shot)
    assert row is not None and row["image_plate"]
    released = world.client.post(f"/v1/retention/holds/{placed['hold_id']}/release",
                                 headers=world.login("ucpd-sup"),
                                 json={"reason": "case closed"})
    assert released.status_code == 200, released.text
    after = world.view("ucpd-inv", shot)
    assert after.status_code == 404 and shot.crop not in after.content
    row = found(world.search("ucpd-inv", shot.plate), shot)
    assert row is not None and (row["image_plate"], row["image_overview"]) == ("", "")


def test_a_partners_hold_keeps_none_of_the_owners_images(world: World) -> None:
    """Fremont (whose agreement shares Union City's images) wants a crop past Union
    City's one-day clock: its supervisor places a hold on the plate and names Union City's
    read by id. A hold is its owner's: Fremont's keeps none of Union City's images, so
    Fremont still opens nothing, its search shows no reference — and a hold naming Union
    City as owner is refused."""
    shorten_images_clock(world)
    shot = world.shoot(minutes_ago=2 * DAY + 5)
    fred = world.login("fpd-sup")
    expires = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    terms = {"case_number": "FR-2026-0100", "reason": "evidence in a robbery",
             "expires_at": expires, "plates": [shot.plate], "read_ids": [shot.read_id]}
    theirs = world.client.post("/v1/retention/holds", headers=fred,
                               json={**terms, "owner_agency": world.ids["ucpd"]})
    assert theirs.status_code == 403, theirs.text
    placed = world.client.post("/v1/retention/holds", headers=fred, json=terms)
    assert placed.status_code == 201, placed.text
    for case in ("FR-2026-0100", CASE):
        gone = world.view("fpd-inv", shot, also={"case_number": case})
        assert gone.status_code == 404 and shot.crop not in gone.content, case
        row = found(world.search("fpd-inv", shot.plate, case_number=case), shot)
        assert row is not None and (row["image_plate"], row["image_overview"]) == ("", "")
    assert world.view("ucpd-inv", shot).status_code == 404  # nor for the owner


@pytest.mark.parametrize(("user", "case"), [
    pytest.param("fpd-inv", "FR-2026-0100", id="partner-for-its-own-case"),
    pytest.param("ucpd-inv", "UC-2026-0999", id="owner-for-another-case"),
])
def test_an_image_a_hold_keeps_past_its_clock_is_for_the_holds_case_only(
    world: World, user: str, case: str,
) -> None:
    """A hold keeps the two-day-old read's images past the one-day clock *for its case*
    (docs/retention.md); "a hold keeps a read; it does not widen what a requester may
    see" (`plateledger.access.held`), and a hold's copies reach only its case agency's
    searches for its case (docs/accounts.md). So a view made for another case — by
    Fremont, whose agreement shares images, or by Union City itself — gets what it would
    get without the hold: no image, no reference."""
    shorten_images_clock(world)
    shot = world.shoot(minutes_ago=2 * DAY + 5)
    hold(world, shot.plate)
    assert world.view("ucpd-inv", shot).content == shot.crop  # for the case: kept
    answer = world.view(user, shot, also={"case_number": case})
    assert shot.crop not in answer.content, f"{user} opened the held image for {case}"
    row = found(world.search(user, shot.plate, case_number=case), shot)
    assert row is not None and (row["image_plate"], row["image_overview"]) == ("", "")


def test_a_hold_placed_after_the_purge_shows_no_reference_to_a_deleted_image(
    world: World,
) -> None:
    """The purge deletes the images of a read past its one-day images clock. A hold
    placed afterwards cannot bring them back, and every image reference a search shows
    must open: either the search shows none, or the image is served."""
    shorten_images_clock(world)
    shot = world.shoot(minutes_ago=2 * DAY + 5)
    receipt = purge(world)
    assert receipt["images_deleted"] >= 2
    assert f"{shot.read_id}.plate.jpg" not in world.images_on_disk()
    hold(world, shot.plate)
    row = found(world.search("ucpd-inv", shot.plate), shot)
    assert row is not None
    for kind in ("plate", "overview"):
        if row[f"image_{kind}"]:
            shown = world.view("ucpd-inv", shot, kind)
            assert shown.status_code == 200, (
                f"the search shows {row[f'image_{kind}']}, which answers {shown.text}")


def test_lengthening_the_clock_after_a_purge_shows_no_reference_to_a_deleted_image(
    world: World,
) -> None:
    """The purge deletes a two-day-old read's images under a one-day clock; the admin
    then sets the clock back to the read's. The images are gone: no search may show
    references to them."""
    shorten_images_clock(world)
    shot = world.shoot(minutes_ago=2 * DAY + 5)
    purge(world)
    assert f"{shot.read_id}.plate.jpg" not in world.images_on_disk()
    shorten_images_clock(world, days=30)
    row = found(world.search("ucpd-inv", shot.plate), shot)
    assert row is not None
    shown = world.view("ucpd-inv", shot)
    assert not row["image_plate"] or shown.status_code == 200, (row["image_plate"], shown.text)


def test_the_images_of_a_held_copy_open_for_its_case(world: World) -> None:
    """The read's own clock passes and the purge copies it for the hold: the case's
    exact search shows the held copy with image references, and the images it shows —
    kept on disk for the case — open for that case."""
    shot = world.shoot(minutes_ago=300, keep_days=0.1)
    hold(world, shot.plate)
    purge(world)
    on_disk = world.images_on_disk()
    assert f"{shot.read_id}.plate.jpg" in on_disk  # kept for the case
    row = found(world.search("ucpd-inv", shot.plate), shot)
    assert row is not None and row["held_for"], "the case search shows the held copy"
    assert row["image_plate"]
    shown = world.view("ucpd-inv", shot)
    assert shown.status_code == 200 and shown.content == shot.crop, shown.text


def test_a_held_copys_images_are_not_served_outside_its_case(world: World) -> None:
    """The same held copy, asked for without the case or for another case, by the owner
    or by Fremont: no image — the read is gone but for the case."""
    shot = world.shoot(minutes_ago=300, keep_days=0.1)
    hold(world, shot.plate)
    purge(world)
    for user, case in (("ucpd-inv", "UC-2026-0999"), ("fpd-inv", CASE), ("fpd-inv", "")):
        answer = world.view(user, shot, also={"case_number": case})
        assert answer.status_code == 404 and shot.crop not in answer.content, (user, case)
        page = world.search(user, shot.plate, case_number=case or None)
        assert found(page, shot) is None, (user, case)
    # the case's own investigator, for its case but at Fremont's request: the hold keeps
    # evidence for Union City's case, not for whoever asks it to look
    answer = world.view("ucpd-inv", shot, also={"case_number": CASE, "requested_by": "fpd"})
    assert answer.status_code in (403, 404) and shot.crop not in answer.content


def test_a_released_hold_leaves_no_image_on_disk_past_its_clock(world: World) -> None:
    """A hold kept a read's images well past its one-day clock (ten days); the hold is
    released and the purge runs: the images go, as the clock says."""
    shorten_images_clock(world)
    shot = world.shoot(minutes_ago=10 * DAY)
    placed = hold(world, shot.plate)
    assert world.view("ucpd-inv", shot).content == shot.crop
    released = world.client.post(f"/v1/retention/holds/{placed['hold_id']}/release",
                                 headers=world.login("ucpd-sup"), json={"reason": "done"})
    assert released.status_code == 200, released.text
    purge(world)
    left = {f"{shot.read_id}.plate.jpg", f"{shot.read_id}.overview.jpg"} & world.images_on_disk()
    assert not left, f"images kept past their clock after the hold ended: {left}"


def test_an_agency_that_keeps_no_images_stops_no_other_agencys_purge(world: World) -> None:
    """Union City's admin tries to keep no images at all (0 days): refused, as no
    retention policy can hold a zero clock. A catalog written before that check (the 0
    put straight into it) leaves Union City out of the purge — and the purge still
    deletes Fremont's images past Fremont's one-day clock: one agency's setting never
    keeps another's images alive."""
    with catalog_of(world.settings) as catalog:
        catalog.update_agency(world.ids["fpd"], retention_image_days=1)
    theirs = world.shoot("fpd", minutes_ago=2 * DAY + 5)
    changed = world.client.patch("/v1/admin/agency", headers=world.login("ucpd-admin"),
                                 json={"retention_image_days": 0})
    assert changed.status_code == 422, changed.text
    with world.log.engine.begin() as conn:
        conn.execute(text("UPDATE agencies SET retention_image_days = 0 WHERE id = :id"),
                     {"id": world.ids["ucpd"]})
    quiet = TestClient(world.client.app, raise_server_exceptions=False)
    ran = quiet.post("/v1/retention/run", headers=world.login("ucpd-admin"))
    assert ran.status_code == 200, ran.text
    left = {f"{theirs.read_id}.plate.jpg", f"{theirs.read_id}.overview.jpg"}
    assert not left & world.images_on_disk(), "Fremont's images outlived their clock"


# -- the log: no entry, no image; what others read of a view --------------------------


def test_no_audit_entry_means_no_image(world: World) -> None:
    """With the audit log unwritable, the owner's own investigator gets a 503
    ``fail_closed`` and none of the image."""
    shot = world.shoot()
    assert world.view("ucpd-inv", shot).content == shot.crop
    with world.log.engine.begin() as conn:
        conn.execute(text("DROP TABLE audit_entries"))
    quiet = TestClient(world.client.app, raise_server_exceptions=False)
    answer = quiet.get(f"/v1/reads/{shot.read_id}/images/plate",
                       params={"plate": shot.plate, **VIEW}, headers=world.login("ucpd-inv"))
    assert answer.status_code == 503, answer.text
    assert answer.json()["error"]["code"] == "fail_closed"
    assert shot.crop not in answer.content and JPEG not in answer.content


def test_an_image_views_entry_tells_no_one_else_which_read_was_viewed(world: World) -> None:
    """Union City's investigator opens an image. The public summary of its entry, and what
    the auditors of agencies that took no part in it read, name neither the read, nor the
    plate, nor the case or the reason."""
    shot = world.shoot()
    size = world.log.size()
    assert world.view("ucpd-inv", shot).status_code == 200
    index = size  # the view's entry
    assert world.log.entry(index).entry["type"] == "image_view"
    readers: list[dict[str, str]] = [{}] + [world.login(f"{s}-aud")
                                            for s in ("fpd", "hpd", "ice", "rpd")]
    for headers in readers:
        seen = world.client.get(f"/v1/audit/entries/{index}",
                                params={"full": 1} if headers else {}, headers=headers)
        assert seen.status_code in (200, 403, 404), seen.text
        for secret in (shot.read_id, shot.plate, CASE, VIEW["reason"]):
            assert secret not in seen.text, (headers, secret, seen.text)


def test_a_case_report_names_no_image_reference(world: World) -> None:
    """A case report lists the case's searches with counts and digests (docs/cases.md):
    the search that found a pictured read is in it, but no image reference of that read
    and no byte of its images — not even after its image was opened for the case."""
    shot = world.shoot()
    ivy = world.login("ucpd-inv")
    opened = world.client.post("/v1/cases", headers=ivy, json={"number": CASE, "title": ""})
    assert opened.status_code == 201, opened.text
    assert world.view("ucpd-inv", shot).status_code == 200
    page = world.search("ucpd-inv", shot.plate)
    assert (found(page, shot) or {}).get("image_plate")  # the search showed a reference
    report = world.client.get(f"/v1/cases/{CASE}/report", params={"format": "json"},
                              headers=ivy)
    assert report.status_code == 200, report.text
    assert page["search_id"] in report.text
    rid = uuid.UUID(shot.read_id)
    for leak in (f"{rid.hex[:2]}/{rid}", "local:", "crop "):
        assert leak not in report.text, leak


