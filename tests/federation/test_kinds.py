"""Every search kind across two real nodes over HTTP: decided by the owner's node under its
own action, limits and packs, exactly as a local search of that kind.

Union City's node (the owner, a `plateledger serve` process) keeps Union City's reads; it
shares them with Fremont under an agreement (searches, for stolen vehicles, at most
`CAP` reads per search). Fremont's node (the requester, the app in this process) keeps
Fremont's reads. A Fremont investigator's search of each kind is answered with Union
City's allowed results merged in; a federal unit's user of Fremont's node is denied by
Union City's California pack and gets no plate of Union City's, for every kind.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from subprocess import Popen
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from plateledger.access.federated import SEARCH_PATH
from plateledger.api.app import create_app
from plateledger.audit import AuditLog
from plateledger.audit.redaction import Reader, View, served
from plateledger.catalog import open_catalog
from plateledger.catalog.approvals import set_search_rules
from plateledger.catalog.passwords import FAST
from plateledger.federation import NodeClient, NodeKey, NodeRegistry
from plateledger.federation.registry import operator
from plateledger.settings import Settings
from tests.access.conftest import PASSWORD
from tests.conftest import _free_port, _spawn, _wait_ready
from tests.federation.test_fanout import NO_FEDERAL, entries, new_plate
from tests.federation.test_searches import body as node_body

pytestmark = pytest.mark.slow

CAP = 3
"""Union City's agreement with Fremont: at most this many of its reads per search."""

UC1 = (37.5900, -122.0200)
UC2 = (37.6100, -122.0500)
FR1 = (37.5500, -121.9800)


@dataclass
class Pair:
    owner_url: str
    owner_settings: Settings
    owner_camera_key: str
    requester: TestClient
    settings: Settings
    ucpd_id: int
    fpd_id: int
    camera_key: str
    key: NodeKey
    tokens: dict[str, str] = field(default_factory=dict)

    def token(self, username: str) -> str:
        if username not in self.tokens:
            response = self.requester.post(
                "/v1/auth/token", json={"username": username, "password": PASSWORD}
            )
            assert response.status_code == 200, response.text
            self.tokens[username] = str(response.json()["access_token"])
        return self.tokens[username]

    @staticmethod
    def body(kind: str, params: dict[str, Any], **extra: Any) -> dict[str, Any]:
        """A Fremont investigator's search of ``kind``: stolen vehicle, its case and reason."""
        return {
            "kind": kind,
            "params": params,
            "purpose": "stolen_vehicle",
            "offense_type": "240",
            "case_number": "FR-2026-0042",
            "reason": "stolen white pickup seen leaving the lot",
        } | extra

    def search(self, username: str, kind: str, params: dict[str, Any], **extra: Any) -> Any:
        response = self.requester.post(
            "/v1/searches",
            json=self.body(kind, params, **extra),
            headers={"Authorization": f"Bearer {self.token(username)}"},
        )
        assert response.status_code == 200, response.text
        return response.json()

    def export(self, username: str, kind: str, params: dict[str, Any], **extra: Any) -> Any:
        """``POST /v1/exports`` of that search; the response, as it came."""
        return self.requester.post(
            "/v1/exports",
            json=self.body(kind, params, **extra),
            headers={"Authorization": f"Bearer {self.token(username)}"},
        )

    def plant(self, owner: list[dict[str, Any]], local: list[dict[str, Any]]) -> None:
        if local:
            posted = self.requester.post(
                "/v1/reads", json=local, headers={"X-API-Key": self.camera_key}
            )
            assert posted.status_code == 200, posted.text
        if owner:
            remote = httpx.post(
                f"{self.owner_url}/v1/reads",
                json=owner,
                headers={"X-API-Key": self.owner_camera_key},
                timeout=60,
            )
            assert remote.status_code == 200, remote.text


BASE = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)


def at(seconds: float) -> datetime:
    return BASE + timedelta(seconds=seconds)


def read(
    camera: str, where: tuple[float, float], plate: str, seconds: float, color: str = "white"
) -> dict[str, Any]:
    return {
        "camera_id": camera,
        "ts": int(at(seconds).timestamp() * 1000),
        "plate": plate,
        "confidence": 0.9,
        "region": "CA",
        "lat": where[0],
        "lon": where[1],
        "vehicle": {"color": color, "make": "Ford", "type": "pickup"},
    }


WINDOW = {
    "since": (BASE - timedelta(hours=1)).isoformat(),
    "until": (BASE + timedelta(hours=1)).isoformat(),
}


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory, store_path: Path) -> Iterator[Pair]:
    with two_nodes(tmp_path_factory, store_path, cap=CAP) as found:
        yield found


@contextmanager
def two_nodes(
    tmp_path_factory: pytest.TempPathFactory,
    store_path: Path,
    *,
    cap: int | None,
    actions: tuple[str, ...] = ("search",),
) -> Iterator[Pair]:
    """Union City's node (a server process) sharing with Fremont (``actions``, at most
    ``cap`` reads per search), and Fremont's node (the app here), each registered with
    the other."""
    owner_dir = tmp_path_factory.mktemp("union-city")
    requester_dir = tmp_path_factory.mktemp("fremont")
    requester_key = NodeKey.load_or_create(requester_dir)
    owner_settings = Settings(data_dir=owner_dir, require_totp=False)
    catalog = open_catalog(owner_settings, password_hasher=FAST)
    try:
        ucpd = catalog.add_agency("Union City PD", "ucpd", "municipal", "CA")
        fpd = catalog.add_agency("Fremont PD", "fpd", "municipal", "CA")
        catalog.add_agency("ICE ERO San Francisco", "ice-ero-sf", "federal", "CA")
        catalog.add_agreement(
            ucpd.id,
            fpd.id,
            actions=list(actions),
            purposes=["stolen_vehicle"],
            created_by="chief",
            result_cap=cap,
        )
        catalog.add_camera("uc-1", ucpd.id, lat=UC1[0], lon=UC1[1])
        catalog.add_camera("uc-2", ucpd.id, lat=UC2[0], lon=UC2[1])
        owner_camera_key = catalog.issue_api_key(ucpd.id, label="camera")
        NodeRegistry(catalog, AuditLog(catalog.engine, signer=None)).add(
            operator(),
            "fremont",
            "https://fremont.example",
            requester_key.public.text(),
            ["fpd", "ice-ero-sf"],
        )
    finally:
        catalog.close()
    owner_key = NodeKey.load_or_create(owner_dir)
    port = _free_port()
    process: Popen[bytes] = _spawn(owner_dir, port)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, process)
        settings = Settings(
            data_dir=requester_dir,
            store_path=store_path,
            secret_key="k" * 32,
            require_totp=False,
            federation_timeout_seconds=30,
        )
        catalog = open_catalog(settings, password_hasher=FAST)
        try:
            fpd = catalog.add_agency("Fremont PD", "fpd", "municipal", "CA")
            ice = catalog.add_agency("ICE ERO San Francisco", "ice-ero-sf", "federal", "CA")
            ucpd = catalog.add_agency("Union City PD", "ucpd", "municipal", "CA")
            catalog.add_user(fpd.id, "fred", PASSWORD, ["investigator"])
            catalog.add_user(ice.id, "ivan", PASSWORD, ["investigator"])
            catalog.add_camera("fr-1", fpd.id, lat=FR1[0], lon=FR1[1])
            camera_key = catalog.issue_api_key(fpd.id, label="camera")
            NodeRegistry(catalog, AuditLog(catalog.engine, signer=None)).add(
                operator(), "unioncity", url, owner_key.public.text(), ["ucpd"]
            )
            ids = (ucpd.id, fpd.id)
        finally:
            catalog.close()
        with TestClient(create_app(settings)) as client:
            yield Pair(
                url,
                owner_settings,
                owner_camera_key,
                client,
                settings,
                ids[0],
                ids[1],
                camera_key,
                requester_key,
            )
    finally:
        process.terminate()
        process.wait(timeout=30)


def union_city(page: dict[str, Any]) -> dict[str, Any]:
    [owner] = [o for o in page["remote_owners"] if o["agency"] == "ucpd"]
    return dict(owner)


def owners_of(page: dict[str, Any]) -> set[int]:
    return {r["owner_id"] for r in page["results"]}


def denied_without_a_plate(pair: Pair, page: dict[str, Any], *plates: str) -> None:
    """Union City denied the federal unit under its California pack: no read of its, and
    no plate in what is said of it; the owner logged the refusal under the UUID."""
    owner = union_city(page)
    assert owner["status"] == "denied" and NO_FEDERAL in owner["policy_ids"]
    assert owner["returned"] == 0
    assert pair.ucpd_id not in owners_of(page)
    for plate in plates:
        assert plate not in str(owner)
        assert plate not in str(page["results"]) + str(page.get("stakeout"))
        assert plate not in str(page.get("companions")) + str(page.get("path"))
    logged = [
        e
        for _, e in entries(pair.owner_settings, "search")
        if e["query"].get("search_id") == page["search_id"]
    ]
    assert [(e["owners_allowed"], e["result_count"]) for e in logged] == [([], 0)]


def test_a_wildcard_search_reaches_the_partner_and_is_denied_to_the_federal_unit(
    pair: Pair,
) -> None:
    plate = new_plate("7W")
    pair.plant([read("uc-1", UC1, plate, 10)], [read("fr-1", FR1, plate, 20)])
    params = {"plate": plate[:-2] + "*"}
    page = pair.search("fred", "wildcard", params)
    assert page["kind"] == "wildcard" and owners_of(page) == {pair.ucpd_id, pair.fpd_id}
    assert [r["plate"] for r in page["results"]] == [plate, plate]
    assert union_city(page)["status"] == "allowed" and union_city(page)["returned"] == 1
    assert page["candidates"] == [plate]  # the local candidates only; a partner's are dropped
    denied_without_a_plate(pair, pair.search("ivan", "wildcard", params), plate)


def test_a_fuzzy_search_reaches_the_partner_closest_first(pair: Pair) -> None:
    plate = new_plate("7Z")
    pair.plant([read("uc-1", UC1, plate, 30)], [read("fr-1", FR1, plate, 20)])
    page = pair.search("fred", "fuzzy", {"plate": plate})
    assert [(r["plate"], r["distance"]) for r in page["results"]] == [(plate, 0.0), (plate, 0.0)]
    assert [r["owner_id"] for r in page["results"]] == [pair.ucpd_id, pair.fpd_id]
    denied_without_a_plate(pair, pair.search("ivan", "fuzzy", {"plate": plate}), plate)


def test_an_area_search_reaches_the_partner(pair: Pair) -> None:
    plate = new_plate("7A")
    pair.plant([read("uc-2", UC2, plate, 40)], [])
    params = WINDOW | {
        "plate": plate,
        "bbox": {"south": 37.60, "west": -122.06, "north": 37.62, "east": -122.04},
    }
    page = pair.search("fred", "area", params)
    assert [(r["plate"], r["camera_id"], r["owner_id"]) for r in page["results"]] == [
        (plate, "uc-2", pair.ucpd_id)
    ]
    denied_without_a_plate(pair, pair.search("ivan", "area", params), plate)


def test_an_attributes_search_reaches_the_partner(pair: Pair) -> None:
    plate = new_plate("7V")
    pair.plant([read("uc-1", UC1, plate, 50, color="teal")], [read("fr-1", FR1, plate, 5)])
    vehicle = {"color": "TEAL"}
    page = pair.search("fred", "attributes", WINDOW | {"plate": plate}, vehicle=vehicle)
    assert [(r["plate"], r["owner_id"]) for r in page["results"]] == [(plate, pair.ucpd_id)]
    ivan = pair.search("ivan", "attributes", WINDOW | {"plate": plate}, vehicle=vehicle)
    denied_without_a_plate(pair, ivan, plate)


def test_a_timeline_merges_both_nodes_in_time_order_with_its_path(pair: Pair) -> None:
    plate = new_plate("7T")
    pair.plant(
        [read("uc-1", UC1, plate, 100), read("uc-2", UC2, plate, 300)],
        [read("fr-1", FR1, plate, 200)],
    )
    page = pair.search("fred", "timeline", WINDOW | {"plate": plate})
    assert [r["camera_id"] for r in page["results"]] == ["uc-1", "fr-1", "uc-2"]
    assert [s["camera_id"] for s in page["path"]] == ["uc-1", "fr-1", "uc-2"]
    assert page["total"] == 3
    denied_without_a_plate(pair, pair.search("ivan", "timeline", WINDOW | {"plate": plate}), plate)


def stakeout() -> dict[str, Any]:
    window = {"since": at(-600).isoformat(), "until": at(7200).isoformat()}
    return {
        "areas": [
            {"shape": "circle", "lat": UC1[0], "lon": UC1[1], "meters": 300} | window,
            {"shape": "circle", "lat": UC2[0], "lon": UC2[1], "meters": 300} | window,
        ],
        "min_areas": 2,
    }


def test_a_stakeout_reaches_the_partner(pair: Pair) -> None:
    plate = new_plate("7K")
    pair.plant([read("uc-1", UC1, plate, 400), read("uc-2", UC2, plate, 500)], [])
    page = pair.search("fred", "stakeout", {"limit": 1000}, stakeout=stakeout())
    found = {s["plate"]: s for s in page["stakeout"]}
    assert found[plate]["areas_matched"] == [0, 1]
    assert {r["owner_id"] for r in page["results"] if r["plate"] == plate} == {pair.ucpd_id}
    ivan = pair.search("ivan", "stakeout", {"limit": 1000}, stakeout=stakeout())
    assert ivan["stakeout"] == []
    denied_without_a_plate(pair, ivan, plate)


def test_a_convoy_reaches_the_partner(pair: Pair) -> None:
    """Within Union City's cap of `CAP` reads a search, which a convoy's reads of the
    target count against first (they say where the target was): the target and its
    companion at one place, two reads."""
    target, companion = new_plate("7C"), new_plate("7D")
    pair.plant(
        [
            read("uc-1", UC1, target, 600),
            read("uc-1", UC1, companion, 610),
        ],
        [],
    )
    params = WINDOW | {"plate": target}
    convoy = {"window_seconds": 60, "min_places": 1}
    page = pair.search("fred", "convoy", params, convoy=convoy)
    assert [(c["plate"], c["places"]) for c in page["companions"]] == [(companion, 1)]
    assert {r["plate"] for r in page["results"]} == {companion}
    assert owners_of(page) == {pair.ucpd_id}
    ivan = pair.search("ivan", "convoy", params, convoy=convoy)
    assert ivan["companions"] == []
    denied_without_a_plate(pair, ivan, target, companion)


def test_a_convoys_reads_of_the_target_count_against_the_owners_cap(pair: Pair) -> None:
    """The target and its companion at two places are four of Union City's reads, past its
    cap of `CAP`: the target's two first, then one of the companion's, which shares one
    place only and is no companion at two."""
    target, companion = new_plate("7C"), new_plate("7D")
    pair.plant(
        [
            read("uc-1", UC1, target, 2500),
            read("uc-1", UC1, companion, 2510),
            read("uc-2", UC2, target, 2700),
            read("uc-2", UC2, companion, 2720),
        ],
        [],
    )
    params = WINDOW | {"plate": target}
    page = pair.search("fred", "convoy", params, convoy={"window_seconds": 60})
    assert page["companions"] == [] and page["results"] == []
    one = pair.search("fred", "convoy", params, convoy={"window_seconds": 60, "min_places": 1})
    assert [(c["plate"], c["places"]) for c in one["companions"]] == [(companion, 1)]


BASIS = {"kind": "warrant", "number": "FR-W-0042", "court": "Alameda County Superior Court"}


def test_a_pattern_of_life_adds_both_nodes_counts(pair: Pair) -> None:
    plate = new_plate("7L")
    pair.plant(
        [read("uc-1", UC1, plate, 1000), read("uc-1", UC1, plate, 1100)],
        [read("fr-1", FR1, plate, 1200)],
    )
    page = pair.search("fred", "locate", {"plate": plate}, legal_basis=BASIS)
    assert page["total"] == 3 and page["results"] == []
    assert {p["camera_id"]: p["reads"] for p in page["pattern"]["places"]} == {
        "uc-1": 2,
        "fr-1": 1,
    }
    assert sum(page["pattern"]["by_hour"]) == 3
    assert union_city(page)["status"] == "allowed"
    theirs = [
        e
        for _, e in entries(pair.owner_settings, "search")
        if e["query"].get("search_id") == page["search_id"]
    ]
    assert [e["query"]["legal_basis"]["number"] for e in theirs] == ["FR-W-0042"]
    ivan = pair.search("ivan", "locate", {"plate": plate}, legal_basis=BASIS)
    assert "uc-1" not in str(ivan["pattern"])
    denied_without_a_plate(pair, ivan, plate)


@contextmanager
def owner_waits_for_a_supervisor(pair: Pair) -> Iterator[int]:
    """Union City has every pattern of life of its data approved by a supervisor, for the
    time of the block; its agency id."""
    catalog = open_catalog(pair.owner_settings, password_hasher=FAST)
    try:
        ucpd = catalog.agency_by_slug("ucpd")
        assert ucpd is not None

        def wait_here(on: bool) -> None:
            with catalog.engine.begin() as conn:
                set_search_rules(
                    conn,
                    ucpd.id,
                    case_number_pattern=None,
                    locate_approval_required=on,
                    now=datetime.now(UTC),
                )

        wait_here(True)
        try:
            yield ucpd.id
        finally:
            wait_here(False)
    finally:
        catalog.close()


def test_a_pattern_of_life_the_owner_makes_wait_is_denied_as_approval_required(
    pair: Pair,
) -> None:
    plate = new_plate("7P")
    pair.plant([read("uc-1", UC1, plate, 1300)], [read("fr-1", FR1, plate, 1400)])
    with owner_waits_for_a_supervisor(pair) as ucpd_id:
        page = pair.search("fred", "locate", {"plate": plate}, legal_basis=BASIS)
    owner = union_city(page)
    assert (owner["status"], owner["code"], owner["returned"]) == (
        "denied",
        "approval_required",
        0,
    )
    assert owner["reasons"] and plate not in str(owner)
    assert {p["camera_id"] for p in page["pattern"]["places"]} == {"fr-1"}
    assert page["total"] == 1
    [entry] = [
        e
        for _, e in entries(pair.owner_settings, "search")
        if e["query"].get("search_id") == page["search_id"]
    ]
    assert entry["owners_allowed"] == [] and entry["owners_awaiting_approval"] == ["ucpd"]
    assert entry["owners_denied"] == [{"agency": "ucpd", "policy_ids": ["approval_required"]}]
    view, shown = served(entry, Reader("ucpd", ucpd_id))  # Union City's auditor reads it
    assert view is View.DENIED and shown["denied"]["policy_ids"] == ["approval_required"]
    assert entry["approval_required"] and entry["result_count"] == 0
    assert entry["query"]["legal_basis"]["number"] == "FR-W-0042"
    approvals = [e for _, e in entries(pair.owner_settings, "search_approval_request")]
    assert approvals == []  # no approval is requested on the owner's node
    # the requester's node asks its own supervisors, saying whose rule it waits for
    pending = page["approval"]
    assert pending["status"] == "pending" and pending["plate"] == plate
    assert [b for b in pending["because"] if "`ucpd` at node `unioncity`" in b]


def supervisor(pair: Pair) -> str:
    """A supervisor of Fremont's (added once); their token."""
    catalog = open_catalog(pair.settings, password_hasher=FAST)
    try:
        if catalog.user_by_username("sara") is None:
            catalog.add_user(pair.fpd_id, "sara", PASSWORD, ["supervisor"])
    finally:
        catalog.close()
    return pair.token("sara")


def test_a_pattern_of_life_the_owner_makes_wait_runs_once_the_requesters_supervisor_approves(
    pair: Pair,
) -> None:
    """Union City's rule makes Fremont's pattern of life wait; Fremont's supervisor (of
    the requester's agency, as for a local search) approves it on Fremont's node; run
    again with the approval, Fremont's node vouches for it and Union City answers,
    recording who approved where. The approval runs one search."""
    plate = new_plate("7V")
    pair.plant([read("uc-1", UC1, plate, 1500)], [read("fr-1", FR1, plate, 1600)])
    with owner_waits_for_a_supervisor(pair):
        first = pair.search("fred", "locate", {"plate": plate}, legal_basis=BASIS)
        assert union_city(first)["code"] == "approval_required"
        approval_id = first["approval"]["id"]
        # run again while it waits: the same request, the supervisors are not asked twice
        asked = len(entries(pair.settings, "search_approval_request"))
        repeat = pair.search("fred", "locate", {"plate": plate}, legal_basis=BASIS)
        assert repeat["approval"]["id"] == approval_id
        assert len(entries(pair.settings, "search_approval_request")) == asked
        decided = pair.requester.post(
            f"/v1/approvals/{approval_id}/approve",
            json={"note": "warrant FR-W-0042 checked"},
            headers={"Authorization": f"Bearer {supervisor(pair)}"},
        )
        assert decided.status_code == 200, decided.text
        second = pair.search(
            "fred", "locate", {"plate": plate}, legal_basis=BASIS, approval_id=approval_id
        )
        again = pair.requester.post(
            "/v1/searches",
            json={"kind": "locate", "params": {"plate": plate}, "legal_basis": BASIS,
                  "approval_id": approval_id, "purpose": "stolen_vehicle",
                  "offense_type": "240", "case_number": "FR-2026-0042",
                  "reason": "stolen white pickup seen leaving the lot"},
            headers={"Authorization": f"Bearer {pair.token('fred')}"},
        )
    assert union_city(second)["status"] == "allowed" and second["approval"] is None
    assert {p["camera_id"] for p in second["pattern"]["places"]} == {"uc-1", "fr-1"}
    [theirs] = [
        e for _, e in entries(pair.owner_settings, "search")
        if e["query"].get("search_id") == second["search_id"]
    ]
    assert theirs["owners_allowed"] == ["ucpd"]
    assert theirs["query"]["approval_id"] == approval_id
    assert theirs["query"]["approved_by"] == "sara@fremont"
    assert theirs["query"]["approval_node"] == "fremont"
    assert theirs["query"]["approval_index"] == decided.json()["decision_index"]
    [fanned] = [
        e for _, e in entries(pair.settings, "federated_search")
        if e["search_id"] == second["search_id"]
    ]
    assert fanned["approval_id"] == approval_id
    assert again.status_code == 409 and again.json()["error"]["code"] == "approval_used"


def test_a_vouched_approval_is_bound_to_its_plate_and_runs_one_search_at_the_owner(
    pair: Pair,
) -> None:
    plate = new_plate("7B")
    pair.plant([read("uc-1", UC1, plate, 1700)], [])
    approval = {
        "approval_id": "fr-approval-0001",
        "approved_by": "sara",
        "decided_at": datetime.now(UTC).isoformat(),
        "plate": plate,
        "legal_basis": BASIS,
    }

    def locate(**change: Any) -> Any:
        payload = node_body(plate, kind="locate", legal_basis=BASIS, approval=approval | change)
        with httpx.Client(timeout=30) as http:
            return NodeClient(pair.key, http).post(pair.owner_url, SEARCH_PATH, payload)

    with owner_waits_for_a_supervisor(pair):
        other = locate(plate=new_plate("7Z"))
        first = locate()
        replayed = locate()
    assert (other.outcome, other.code) == ("refused", "approval_mismatch")
    assert first.outcome == "answered" and first.body is not None
    assert [o["allowed"] for o in first.body["owners"]] == [True]
    assert (replayed.outcome, replayed.code) == ("refused", "approval_used")


def test_a_pattern_of_life_without_a_legal_basis_is_refused_by_the_owner(pair: Pair) -> None:
    """The owner applies its own legal-basis gate: a node sending a locate without one is
    refused (422) before anything is decided or logged."""
    plate = new_plate("7Q")
    pair.plant([read("uc-1", UC1, plate, 1500)], [])
    payload = node_body(plate, kind="locate")
    with httpx.Client(timeout=30) as http:
        answer = NodeClient(pair.key, http).post(pair.owner_url, SEARCH_PATH, payload)
    assert (answer.outcome, answer.status, answer.code) == (
        "refused",
        422,
        "legal_basis_required",
    )
    logged = [
        e
        for _, e in entries(pair.owner_settings, "search")
        if e["query"].get("search_id") == payload["search_id"]
    ]
    assert logged == []


@pytest.mark.parametrize("kind", ["exact", "wildcard", "timeline", "attributes"])
def test_the_owner_caps_its_reads_per_search_whatever_the_kind(pair: Pair, kind: str) -> None:
    """Union City's agreement caps its reads at CAP per search: the owner answers at most
    CAP of its 5 reads, however many the requester asks for."""
    plate = new_plate("7X")
    pair.plant([read("uc-1", UC1, plate, 2000 + i) for i in range(5)], [])
    params = WINDOW | {"plate": plate if kind != "wildcard" else plate[:-1] + "?"}
    extra: dict[str, Any] = {"vehicle": {"color": "white"}} if kind == "attributes" else {}
    page = pair.search("fred", kind, params | {"limit": 50}, **extra)
    mine = [r for r in page["results"] if r["owner_id"] == pair.ucpd_id]
    assert len(mine) == CAP and union_city(page)["returned"] == CAP
    with httpx.Client(timeout=30) as http:
        raw = NodeClient(pair.key, http).post(
            pair.owner_url,
            SEARCH_PATH,
            node_body(plate, kind=kind, params=params | {"limit": 1000}, **extra),
        )
    assert raw.outcome == "answered" and raw.body is not None
    assert len(raw.body["results"]) == CAP


def test_the_local_gate_decides_only_this_nodes_owners(pair: Pair) -> None:
    """Union City's node answers for Union City: Fremont's gate does not decide it (it
    holds none of its reads), its `owners` and its entry leave it out, and Union City
    appears only in `remote_owners`."""
    plate = new_plate("7O")
    pair.plant([read("uc-1", UC1, plate, 3000)], [read("fr-1", FR1, plate, 3100)])
    page = pair.search("fred", "exact", {"plate": plate})
    decided_here = {o["owner_id"] for o in page["owners"]}
    assert pair.fpd_id in decided_here and pair.ucpd_id not in decided_here
    assert len(decided_here) == 2  # Fremont and the federal unit: this node's own
    assert [o["agency"] for o in page["remote_owners"]] == ["ucpd"]
    [entry] = [
        e
        for _, e in entries(pair.settings, "search")
        if e["query"].get("search_id") == page["search_id"]
    ]
    decided = set(entry["owners_allowed"]) | {d["agency"] for d in entry["owners_denied"]}
    assert "ucpd" not in decided and "fpd" in decided
    assert entry["federated_page"] == {"offset": 0, "limit": 100}


def test_a_request_missing_what_its_kind_needs_is_refused_by_the_owner(pair: Pair) -> None:
    """What a local search of the kind refuses, the owner refuses too, before any read."""
    plate = new_plate("7N")
    with httpx.Client(timeout=30) as http:
        answer = NodeClient(pair.key, http).post(
            pair.owner_url, SEARCH_PATH, node_body(plate, kind="stakeout", params={})
        )
    assert (answer.outcome, answer.status, answer.code) == ("refused", 422, "stakeout_required")


def test_the_get_form_is_sent_to_the_partners_too(pair: Pair) -> None:
    plate = new_plate("7G")
    pair.plant([read("uc-1", UC1, plate, 3200)], [read("fr-1", FR1, plate, 3300)])
    response = pair.requester.get(
        "/v1/searches",
        params={
            "kind": "fuzzy",
            "plate": plate,
            "purpose": "stolen_vehicle",
            "offense_type": "240",
            "case_number": "FR-2026-0042",
            "reason": "stolen white pickup seen leaving the lot",
        },
        headers={"Authorization": f"Bearer {pair.token('fred')}"},
    )
    assert response.status_code == 200, response.text
    page = response.json()
    assert owners_of(page) == {pair.ucpd_id, pair.fpd_id}
    assert union_city(page)["status"] == "allowed" and page["federation_audit_index"] is not None


def test_a_stakeout_is_decided_by_each_node_over_its_own_reads(pair: Pair) -> None:
    """A plate seen once at Union City and once at Fremont, with one area around each and
    both areas required, is found by neither node: no node sees another's reads."""
    plate = new_plate("7J")
    pair.plant([read("uc-1", UC1, plate, 3400)], [read("fr-1", FR1, plate, 3500)])
    window = {"since": at(3300).isoformat(), "until": at(3600).isoformat()}
    areas = {
        "areas": [
            {"shape": "circle", "lat": UC1[0], "lon": UC1[1], "meters": 300} | window,
            {"shape": "circle", "lat": FR1[0], "lon": FR1[1], "meters": 300} | window,
        ],
        "min_areas": 2,
    }
    page = pair.search("fred", "stakeout", {"limit": 1000}, stakeout=areas)
    assert plate not in [s["plate"] for s in page["stakeout"]]
    either = dict(areas, min_areas=1)
    page = pair.search("fred", "stakeout", {"limit": 1000}, stakeout=either)
    assert [s["areas_matched"] for s in page["stakeout"] if s["plate"] == plate] == [[0, 1]]


def test_an_export_is_an_action_of_its_own_a_search_agreement_does_not_grant_it(
    pair: Pair,
) -> None:
    """Union City shares with Fremont for searches only: Fremont's export reaches Union
    City's node, which decides `export` itself, refuses it under its own rules and logs the
    refusal; the file holds Fremont's reads only."""
    plate = new_plate("7E")
    pair.plant([read("uc-1", UC1, plate, 900)], [read("fr-1", FR1, plate, 905)])
    response = pair.export("fred", "exact", {"plate": plate}, format="ndjson")
    assert response.status_code == 200, response.text
    got = [json.loads(line) for line in response.text.splitlines()]
    assert [r["owner_id"] for r in got] == [pair.fpd_id]
    denied = dict(d.split(":") for d in response.headers["x-owners-denied"].split(";") if d)
    rules = denied[str(pair.ucpd_id)]
    local_index = int(response.headers["x-audit-index"])
    [local] = [e for i, e in entries(pair.settings, "export") if i == local_index]
    [logged] = [
        e for _, e in entries(pair.owner_settings, "export")
        if e["query"]["search_id"] == local["query"]["search_id"]
    ]
    assert logged["requesting_node"] == "fremont" and logged["result_count"] == 0
    assert [d["agency"] for d in logged["owners_denied"]] == ["ucpd"]
    # this node's own entry decided its own agencies only, never the partner's
    decided = set(local["owners_allowed"]) | {d["agency"] for d in local["owners_denied"]}
    assert "fpd" in decided and "ucpd" not in decided
    assert logged["owners_denied"][0]["policy_ids"] == rules.split(",")
    # the same investigator's search of the plate is allowed by the same node
    page = pair.search("fred", "exact", {"plate": plate})
    assert union_city(page)["status"] == "allowed"
