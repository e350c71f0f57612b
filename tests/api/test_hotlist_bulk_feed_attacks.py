"""A hot list used as a bulk feed of another agency's reads (docs/hotlists.md, *Matching and
ranking*).

The promise: a data owner's reads reach another agency only as the owner's policies and
agreements allow; an alert agreement shares *hits* — reads of the plates the other agency
lists — not every read the owner's cameras take.

The attacker: Union City (A), which Fremont (B) lets receive stolen-vehicle alerts. California
plates are issued in sequence, so the plates on a city's roads share a few prefixes; A lists
made-up plates, one for every ten of each prefix (`9ABC007`, `9ABC017`, … `9ABC997`), so
that every plate of the series is within one character of a listed one. B's camera then reads
plates A never listed. Were one-edit matches delivered across owners, every one of those
reads would come to A as a `one_edit` "alert" — read id, camera, place and time: a copy of
B's feed under the name of alerts (1,000 of 1,000 did, before the rule).

Real app (lifespan included), SQLite catalog, chDB store (shared by the session: this file's
cameras are its own) and policy gate; the reads are posted to the ingest API with B's camera
key and counted as A's staff sees them: `GET /v1/hits`, `GET /v1/hits/stats`.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from plateledger.api.app import create_app
from plateledger.catalog import open_catalog
from plateledger.catalog.passwords import FAST
from plateledger.plates import confusion_key
from plateledger.settings import Settings
from tests.api.conftest import Seed, code, login
from tests.factories import make_read

LETTERS = "ACEFHJKMNPRUVWXY"
"""Letters that fold together with no other character (docs/hotlists.md, *Matching*)."""
LISTED_DIGIT = "7"
"""The last digit of every listed plate: no other character folds with it."""
PREFIXES = 200
"""Prefixes of the series A lists (100 plates each: 20,000 entries)."""
READS = 1_000


def series(rng: random.Random) -> list[str]:
    """``PREFIXES`` distinct prefixes of the current California series (`9` and 3 letters)."""
    seen: set[str] = set()
    while len(seen) < PREFIXES:
        seen.add("9" + "".join(rng.choice(LETTERS) for _ in range(3)))
    return sorted(seen)


def made_up_list(prefixes: list[str]) -> list[str]:
    """A's list: for each prefix, the plates ending in `7` — one per ten plates of it."""
    return [f"{p}{n:02d}{LISTED_DIGIT}" for p in prefixes for n in range(100)]


def unlisted_reads(prefixes: list[str], rng: random.Random, count: int) -> list[str]:
    """``count`` distinct plates of the series that A never listed (nor any plate that folds
    to the same key): each is one substitution from a listed plate."""
    plates: set[str] = set()
    while len(plates) < count:
        last = rng.choice("012345689")
        plates.add(f"{rng.choice(prefixes)}{rng.randrange(100):02d}{last}")
    return sorted(plates)


class Bulk:
    """The world of the attack: A's staff, B's camera and key, the agreement B signed."""

    def __init__(self, settings: Settings, seed: Seed) -> None:
        self.settings = settings
        self.seed = seed
        suffix = uuid.uuid4().hex[:8]
        self.b_cam = f"fpd-bulk-{suffix}"
        self.a_cam = f"ucpd-bulk-{suffix}"
        catalog = open_catalog(settings, password_hasher=FAST)
        try:
            catalog.add_camera(self.b_cam, seed.fpd_id, lat=37.55, lon=-121.98)
            catalog.add_camera(self.a_cam, seed.ucpd_id, lat=37.59, lon=-122.02)
            self.b_key = catalog.issue_api_key(seed.fpd_id, label="fremont camera")
            self.a_key = catalog.issue_api_key(seed.ucpd_id, label="union city camera")
            # B lets A receive stolen-vehicle alerts on its reads: the agreement A abuses
            catalog.add_agreement(seed.fpd_id, seed.ucpd_id, actions=["alert"],
                                  purposes=["stolen_vehicle"], created_by="fremont chief",
                                  case_number_required=False)  # fmt: skip
        finally:
            catalog.close()
        self.started = datetime.now(UTC) - timedelta(minutes=1)

    def import_list(self, client: TestClient, plates: list[str]) -> dict[str, Any]:
        admin = login(client, "ucpd-admin")
        body = ("plate,case_number\n" + "".join(f"{p},UC-26-{i}\n" for i, p in
                                                 enumerate(plates))).encode()  # fmt: skip
        response = client.post(
            "/v1/hotlists/import",
            headers=admin,
            files={"file": ("stolen.csv", body, "text/csv")},
            data={"name": "stolen", "category": "stolen_vehicle", "source": "local"},
        )
        assert response.status_code == 201, response.text
        return dict(response.json())

    def post_reads(self, client: TestClient, key: str, camera: str, plates: list[str]) -> None:
        base = int(datetime.now(UTC).timestamp() * 1000) - 10_000
        items = [{"camera_id": camera, "ts": base + i, "plate": p, "confidence": 0.9}
                 for i, p in enumerate(plates)]  # fmt: skip
        for start in range(0, len(items), 500):
            response = client.post("/v1/reads", json=items[start:start + 500],
                                   headers={"X-API-Key": key})  # fmt: skip
            assert response.status_code == 200, response.text
            assert len(response.json()["accepted"]) == len(items[start : start + 500])

    def received(self) -> list[dict[str, Any]]:
        """Every hit A's investigator can read, after every posted batch was delivered
        (the first server's shutdown waits for its deliveries; a second one answers)."""
        with TestClient(create_app(self.settings)) as client:
            headers = login(client, "ivy", code(self.seed.investigator_totp))
            hits: list[dict[str, Any]] = []
            while page := client.get(
                "/v1/hits", headers=headers, params={"limit": 1000, "offset": len(hits)}
            ).json():
                hits += page
            stats = client.get(
                "/v1/hits/stats",
                headers=headers,
                params={
                    "since": self.started.isoformat(),
                    "until": (datetime.now(UTC) + timedelta(minutes=1)).isoformat(),
                },
            ).json()
            assert stats["matches"] == len(hits)
            return hits


@pytest.fixture
def bulk(settings: Settings, seed: Seed) -> Bulk:
    return Bulk(settings, seed)


@pytest.fixture
def rng() -> Iterator[random.Random]:
    yield random.Random(20260614)


def test_a_list_of_made_up_plates_does_not_receive_the_partners_reads(
    bulk: Bulk, rng: random.Random
) -> None:
    """Attack: A imports 20,000 made-up plates covering the series; B's camera reads 1,000
    plates A never listed. Promise: A receives none of them."""
    prefixes = series(rng)
    listed = made_up_list(prefixes)
    read = unlisted_reads(prefixes, rng, READS)
    keys = {confusion_key(p) for p in listed}
    assert not keys & {confusion_key(p) for p in read}  # no plate read is listed, even folded
    with TestClient(create_app(bulk.settings)) as client:
        report = bulk.import_list(client, listed)
        assert report["imported"] == len(listed)
        # the matcher finds every one of them one character from a listed plate
        matcher = client.app.state.hotlist.service  # type: ignore[attr-defined]
        found = matcher.match([make_read(p, owner=bulk.seed.fpd_id) for p in read])
        assert {h.read.plate for h in found if h.kind == "one_edit"} == set(read)
        assert {h.kind for h in found} == {"one_edit"}
        bulk.post_reads(client, bulk.b_key, bulk.b_cam, read)
    hits = bulk.received()
    leaked = [h for h in hits if h["read"]["camera_id"] == bulk.b_cam]
    assert leaked == [], f"{len(leaked)} of {READS} of B's reads reached A as one-edit alerts"


def test_the_partners_reads_of_listed_plates_still_alert(bulk: Bulk, rng: random.Random) -> None:
    """The agreement still works: B's reads of listed plates, and of plates that fold to a
    listed one (`9ABC0O7` for `9ABC007`), reach A as `exact` and `confusable` hits."""
    prefixes = series(rng)
    listed = made_up_list(prefixes)
    exact = listed[:5]
    confusable = [p[:4] + p[4:].replace("0", "O") for p in listed[:100] if "0" in p[4:]][:5]
    with TestClient(create_app(bulk.settings)) as client:
        bulk.import_list(client, listed)
        bulk.post_reads(client, bulk.b_key, bulk.b_cam, exact + confusable)
    hits = bulk.received()
    kinds = sorted((h["read"]["plate"], h["match_kind"]) for h in hits)
    assert kinds == sorted([(p, "exact") for p in exact] + [(p, "confusable") for p in confusable])


def test_one_edit_hits_stay_on_the_list_owners_own_reads(bulk: Bulk, rng: random.Random) -> None:
    """A one-edit hit is a lead on a misread, kept for the list owner's own cameras: A's
    camera reads a plate one character off a listed one, and A is alerted."""
    prefixes = series(rng)
    listed = made_up_list(prefixes)
    near = [p[:-1] + "3" for p in listed[:3]]
    with TestClient(create_app(bulk.settings)) as client:
        bulk.import_list(client, listed)
        bulk.post_reads(client, bulk.a_key, bulk.a_cam, near)
    hits = bulk.received()
    assert sorted((h["read"]["plate"], h["match_kind"]) for h in hits) == sorted(
        (p, "one_edit") for p in near
    )


# -- the limit on an agency's lists -------------------------------------------------------


def test_an_agencys_lists_hold_at_most_the_configured_entries(
    settings: Settings, seed: Seed, rng: random.Random
) -> None:
    """`PLATELEDGER_HOTLIST_MAX_ENTRIES` bounds the entries of an agency's lists in all:
    an import or an added entry past it answers 422 `list_too_large` and stores nothing;
    replacing a list counts the new list, not the old; another agency has its own limit."""
    limited = settings.model_copy(update={"hotlist_max_entries": 2_000})
    bulk = Bulk(limited, seed)
    listed = made_up_list(series(rng))
    with TestClient(create_app(limited)) as client:
        admin = login(client, "ucpd-admin")
        assert bulk.import_list(client, listed[:2_000])["imported"] == 2_000
        # replacing the list with as many entries again is within the limit
        assert bulk.import_list(client, listed[2_000:4_000])["imported"] == 2_000
        [mine] = client.get("/v1/hotlists", headers=admin).json()
        more = client.post(
            "/v1/hotlists",
            headers=admin,
            json={"name": "more", "category": "stolen_vehicle", "entries": [{"plate": "9XYZ001"}]},
        )
        assert more.status_code == 422, more.text
        assert more.json()["error"]["code"] == "list_too_large"
        assert "at most 2,000 entries" in more.json()["error"]["message"]
        one = client.post(f"/v1/hotlists/{mine['id']}/entries", headers=admin,
                          json={"plate": "9XYZ001"})  # fmt: skip
        assert one.status_code == 422 and one.json()["error"]["code"] == "list_too_large"
        appended = client.post(
            "/v1/hotlists/import", headers=admin, data={
                "name": "stolen", "category": "stolen_vehicle", "replace": "false"},
            files={"file": ("more.csv", b"plate\n9XYZ001\n", "text/csv")})  # fmt: skip
        assert appended.status_code == 422
        assert appended.json()["error"]["code"] == "list_too_large"
        lists = client.get("/v1/hotlists", headers=admin).json()
        assert [(h["name"], h["entry_count"]) for h in lists] == [("stolen", 2_000)]
        fremont = login(client, "fpd-admin")
        theirs = client.post(
            "/v1/hotlists",
            headers=fremont,
            json={
                "name": "stolen",
                "category": "stolen_vehicle",
                "entries": [{"plate": "9XYZ001"}],
            },
        )
        assert theirs.status_code == 201, theirs.text


def test_the_default_limit_takes_a_million_entries() -> None:
    """The benchmarks load lists of 1,000,000 entries; the default leaves room for five."""
    assert Settings().hotlist_max_entries == 5_000_000
