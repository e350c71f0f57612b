"""Random worlds for the non-interference suite, and one run of the real app over a world.

A world is a requesting agency (its class and state drawn), other agencies that own reads
(their states drawn, so different law packs apply), agreements from some owners to the
requester (actions, images, lookback, cap, case-number rule drawn), reads whose plates
collide across owners, and a hot list of the requester over the same plates. `observe`
builds the world in a fresh catalog, posts the reads of the chosen owners through the
ingest API with each owner's own key, then asks every route as the requester's users and
returns what each answered, normalised only for what differs between two runs of the
same world (times of day, tokens, log hashes).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import strategies as st

from plateledger.api.app import create_app
from plateledger.catalog import new_totp_secret, open_catalog
from plateledger.catalog.passwords import FAST
from plateledger.catalog.totp import totp_code
from plateledger.settings import Settings
from plateledger.store import ReadStore
from tests.conftest import _empty

PASSWORD = "correct horse battery staple"
PLATES = ("7ABC123", "7ABC128", "7A8C123", "8ABC123", "7AXY900")
PURPOSE = "stolen_vehicle"
CASE = "CASE-2026-0042"
REASON = "stolen white pickup seen near the depot"
NOW = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=2)


@dataclass(frozen=True)
class Sharing:
    actions: tuple[str, ...]
    images: bool
    lookback_days: int | None
    result_cap: int | None
    case_number_required: bool


@dataclass(frozen=True)
class Owner:
    slug: str
    state: str
    kind: str
    sharing: Sharing | None
    reads: tuple[tuple[str, int], ...]
    """(plate, minutes ago) of each read."""


@dataclass(frozen=True)
class World:
    requester_state: str
    requester_kind: str
    owners: tuple[Owner, ...]
    own_reads: tuple[tuple[str, int], ...]
    hotlist: tuple[str, ...]


reads_st = st.lists(
    st.tuples(st.sampled_from(PLATES), st.integers(min_value=1, max_value=3 * 1440)),
    max_size=5, unique=True,
).map(tuple)

sharing_st = st.none() | st.builds(
    Sharing,
    actions=st.sampled_from([("search",), ("search", "export"), ("search_exact",),
                             ("search", "export", "alert"), ("alert",)]),
    images=st.booleans(),
    lookback_days=st.none() | st.integers(min_value=1, max_value=2),
    result_cap=st.none() | st.integers(min_value=1, max_value=3),
    case_number_required=st.booleans(),
).map(  # images are shared only with every search (the catalog refuses other shares)
    lambda s: s if s is None or "search" in s.actions else replace(s, images=False)
)


@st.composite
def worlds(draw: st.DrawFn) -> World:
    count = draw(st.integers(min_value=2, max_value=4))
    owners = tuple(
        Owner(
            slug=f"owner{i}",
            state=draw(st.sampled_from(["CA", "CA", "NV", "IL", "VA"])),
            kind=draw(st.sampled_from(["municipal", "county", "state"])),
            sharing=draw(sharing_st),
            reads=draw(reads_st),
        )
        for i in range(count)
    )
    return World(
        requester_state=draw(st.sampled_from(["CA", "NV"])),
        requester_kind=draw(st.sampled_from(["municipal", "federal"])),
        owners=owners,
        own_reads=draw(reads_st),
        hotlist=tuple(draw(st.sets(st.sampled_from(PLATES), min_size=1, max_size=3))),
    )


@dataclass
class Session:
    """The requester's users, logged in to one running app."""

    client: TestClient
    headers: dict[str, dict[str, str]]

    def get(self, user: str | None, path: str, **params: Any) -> tuple[int, Any]:
        response = self.client.get(path, params=params, headers=self.headers.get(user or "", {}))
        return response.status_code, _body(response)

    def post(self, user: str, path: str, body: Any) -> tuple[int, Any]:
        response = self.client.post(path, json=body, headers=self.headers[user])
        return response.status_code, _body(response)


def _body(response: Any) -> Any:
    kind = response.headers.get("content-type", "")
    if "json" in kind and "ndjson" not in kind:
        return response.json()
    return response.text if kind.startswith("text") else response.content


USERS = {"investigator": ["investigator"], "auditor": ["auditor"],
         "supervisor": ["supervisor"]}


def observe(
    world: World, root: Path, store_path: Path, *, present: Iterable[str],
    probes: Iterable[Callable[[Session, World], dict[str, Any]]],
) -> dict[str, Any]:
    """Build ``world`` with the reads of the owners named in ``present`` (and the
    requester's own), then return what every probe saw, normalised."""
    # The probes run hundreds of requests, many denied: the denial throttle (tested in
    # tests/access/test_alarm.py) would pause them on a wall-clock timer.
    # Withheld hits are held for the end of a 31-day period: none is appended while the
    # probes run. (One appended is public by design, docs/audit.md: its existence is
    # counted, and an entry bundle holding it is not served whole to the list's owner,
    # nor is that refused reading logged; the harness leaves its consequences out.)
    settings = Settings(data_dir=root / "data", store_path=store_path, secret_key="k" * 32,
                        require_totp=True, alarm_denials=100_000, throttle_denials=100_000,
                        node_throttle_denials=100_000, withheld_publish_seconds=31 * 86_400)
    catalog = open_catalog(settings, password_hasher=FAST)
    secrets: dict[str, str] = {}
    keys: dict[str, str] = {}
    try:
        req = catalog.add_agency("Requesting unit", "req", world.requester_kind,
                                 world.requester_state)
        # A federal unit no owner shares with: the requester's officers may try to search
        # for it (``requested_by``), as a local officer on a task force would.
        catalog.add_agency("Federal task force", "fedunit", "federal", "CA")
        agencies = {"req": req}
        for owner in world.owners:
            agencies[owner.slug] = catalog.add_agency(
                f"Owner {owner.slug}", owner.slug, owner.kind, owner.state)
        for slug, agency in agencies.items():
            catalog.add_camera(f"{slug}-cam", agency.id, lat=37.6, lon=-122.0)
            keys[slug] = catalog.issue_api_key(agency.id, f"{slug}-cam")
        for name, roles in USERS.items():
            secrets[name] = new_totp_secret()
            catalog.add_user(req.id, f"req.{name}", PASSWORD, roles, totp_secret=secrets[name])
        for owner in world.owners:
            if owner.sharing is None:
                continue
            s = owner.sharing
            catalog.add_agreement(
                agencies[owner.slug].id, req.id, actions=s.actions, purposes=[PURPOSE],
                created_by="seed", max_lookback_days=s.lookback_days,
                case_number_required=s.case_number_required, result_cap=s.result_cap,
                images_allowed=s.images,
            )
    finally:
        catalog.close()
    store = ReadStore.open(data_dir=store_path)
    _empty(store)
    store.close()

    present = set(present)
    with TestClient(create_app(settings)) as client:
        # Each user logs in once: a one-time code is refused the second time it is used.
        headers = {name: _login(client, f"req.{name}", secrets[name]) for name in USERS}
        response = client.post("/v1/hotlists", headers=headers["supervisor"], json={
            "name": "requester list", "source": "local", "category": "stolen_vehicle",
            "entries": [{"plate": p, "reason": "stolen vehicle", "case_number": CASE}
                        for p in world.hotlist],
        })
        assert response.status_code == 201, response.text
        batches = [("req", world.own_reads)] + [
            (o.slug, o.reads) for o in world.owners if o.slug in present]
        for slug, reads in batches:
            if not reads:
                continue
            response = client.post("/v1/reads", headers={"X-API-Key": keys[slug]}, json=[
                {"camera_id": f"{slug}-cam", "plate": plate, "confidence": 0.9,
                 "ts": int((NOW - timedelta(minutes=minutes)).timestamp() * 1000)}
                for plate, minutes in reads
            ])
            assert response.status_code == 200, response.text
    # The app is closed: every committed batch has been matched against the hot list.
    seen: dict[str, Any] = {}
    with TestClient(create_app(settings)) as client:
        session = Session(client, headers)
        for probe in probes:
            seen.update(probe(session, world))
    return normalise(seen)


def _login(client: TestClient, username: str, secret: str) -> dict[str, str]:
    response = client.post("/v1/auth/token", json={
        "username": username, "password": PASSWORD, "totp": totp_code(secret, datetime.now(UTC))})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


VOLATILE_KEYS = frozenset({
    "time", "created_at", "updated_at", "logged_at", "access_token", "expires_at_token",
    "root_hash", "signature", "checkpoint", "leaf_hash", "note", "issued_at",
    "policy_set_hash", "hit_id", "id", "received_at", "matched_at", "delivered_at",
    "next_attempt_at", "generated_at", "policy_hash",
    # Log positions and sizes: they count the withheld-hit entries (see DECLASSIFIED).
    "index", "log_index", "audit_index", "indexes", "entry_index", "views", "size", "start",
    "counted", "search_id", "page_token", "page_of",
})
"""Fields that differ between two runs of one world whatever the data: wall-clock times,
tokens, hashes over them, and generated ids."""

_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?")


def normalise(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: normalise(v) for k, v in sorted(value.items()) if k not in VOLATILE_KEYS}
    if isinstance(value, list | tuple):
        return [normalise(v) for v in value]
    return value


def wall_clock_free(text: str) -> str:
    """``text`` with RFC 3339 times replaced (for CSV and NDJSON bodies)."""
    return _TIMESTAMP.sub("<time>", text)
