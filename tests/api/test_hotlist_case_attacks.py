"""Attacks on hot lists, hits, alerts, webhooks, approvals and cases, each written as the
promise it tests (docs/hotlists.md, docs/investigations.md, docs/cases.md).

The attackers: a supervisor or dispatcher of another agency (Fremont, `sjpd`), an outside
webhook receiver, a list owner whose data partner did not share alerts, an investigator
who wants to approve or reuse their own request. Hot-list tests run the real routers,
catalog, policy gate, matcher, audit log and SSE hub (the app of
`tests/hotlist/test_api.py`); approval and case tests run the whole app
(`tests/api/conftest.py`). A test that shows a hole is kept, marked ``xfail(strict=True)``
with the hole in one line.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import insert

from plateledger.access.policy_source import PolicyAlertGate, PolicySource
from plateledger.api.app import create_app
from plateledger.api.errors import install_error_handlers
from plateledger.api.routes import alerts, hotlists
from plateledger.audit import AuditLog, NoteSigner
from plateledger.catalog import Catalog, new_totp_secret, open_catalog
from plateledger.catalog.passwords import FAST
from plateledger.hotlist import HotlistRuntime
from plateledger.hotlist.destination import parse_networks
from plateledger.hotlist.entry import to_millis
from plateledger.hotlist.schema import webhook_subscriptions
from plateledger.settings import Settings
from tests.api.conftest import PASSWORD, Seed, catalog_of, login_once
from tests.audit.tlog_server import serving
from tests.factories import make_read
from tests.hotlist.receiver import Receiver

PLATE = "7ATK123"

# -- the hot-list app: real routers over a real catalog, gate, matcher and log ----------


class World:
    """Two California agencies: Union City (`ucpd`, A) and Fremont (`sjpd`, B), with a
    supervisor and a dispatcher each; the hot-list runtime and its audit log."""

    def __init__(self, catalog: Catalog, runtime: HotlistRuntime, audit: AuditLog) -> None:
        self.catalog = catalog
        self.runtime = runtime
        self.audit = audit
        self.a = catalog.add_agency("Union City PD", "ucpd", "municipal", "CA").id
        self.b = catalog.add_agency("Fremont PD", "sjpd", "municipal", "CA").id
        self.a_sup = self._token(self.a, "alice", ["supervisor"])
        self.a_disp = self._token(self.a, "andy", ["dispatcher"])
        self.b_sup = self._token(self.b, "bob", ["supervisor"])
        self.b_disp = self._token(self.b, "bea", ["dispatcher"])

    def _token(self, agency: int, username: str, roles: list[str]) -> dict[str, str]:
        user = self.catalog.add_user(agency, username, PASSWORD, roles)
        return {"Authorization": f"Bearer {self.catalog.issue_token(user)}"}

    def share_alerts(self, owner: int, recipient: int) -> None:
        """``owner`` lets ``recipient`` receive alerts on its reads (stolen vehicles)."""
        self.catalog.add_agreement(owner, recipient, actions=["alert"],
                                   purposes=["stolen_vehicle"], created_by="chief",
                                   case_number_required=False)  # fmt: skip

    def entries(self, start: int = 0) -> list[dict[str, Any]]:
        return [r.entry for r in self.audit.entries(start, self.audit.size())]


def hotlist_app(world: World) -> FastAPI:
    app = FastAPI()
    app.state.catalog = world.catalog
    app.state.hotlist = world.runtime
    app.state.policy = PolicySource(world.catalog, check_every=0)
    install_error_handlers(app)
    app.include_router(hotlists.router)
    app.include_router(alerts.router)
    return app


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    settings = Settings(data_dir=tmp_path / "data", catalog_url=f"sqlite:///{tmp_path / 'c.db'}",
                        secret_key="s" * 32, require_totp=False)  # fmt: skip
    catalog = open_catalog(settings, password_hasher=FAST)
    audit = AuditLog(catalog.engine, signer=NoteSigner.load_or_create(tmp_path, "test/attack"))
    audit.create_tables()
    runtime = HotlistRuntime.open(catalog.engine, audit,
                                  PolicyAlertGate(PolicySource(catalog, check_every=0)))
    try:
        yield World(catalog, runtime, audit)
    finally:
        runtime.close()
        catalog.close()


@pytest.fixture
def hl(world: World) -> Iterator[TestClient]:
    with TestClient(hotlist_app(world), raise_server_exceptions=False) as test_client:
        yield test_client


def new_list(client: TestClient, headers: dict[str, str], plate: str = PLATE,
             name: str = "stolen", **entry: Any) -> int:  # fmt: skip
    response = client.post("/v1/hotlists", headers=headers, json={
        "name": name, "category": "stolen_vehicle",
        "entries": [{"plate": plate, "case_number": "26-1", **entry}]})  # fmt: skip
    assert response.status_code == 201, response.text
    return int(response.json()["list_id"])


def a_hit(world: World, client: TestClient, plate: str = PLATE) -> dict[str, Any]:
    """A's list holds ``plate``; A's own camera reads it: A's one hit."""
    new_list(client, world.a_sup, plate)
    report = world.runtime.service.process([make_read(plate, owner=world.a)])
    assert report.delivered == 1
    [hit] = client.get("/v1/hits", headers=world.a_disp).json()
    return dict(hit)


# -- lists and entries of another agency ------------------------------------------------


def test_another_agency_cannot_read_the_entries_of_a_list(world: World, hl: TestClient) -> None:
    """Promise: a list's entries (plates, reasons, case numbers) are its agency's only.
    Attack: B's supervisor asks for A's list's entries by its id."""
    list_id = new_list(hl, world.a_sup, reason="stolen from the lot")
    response = hl.get(f"/v1/hotlists/{list_id}/entries", headers=world.b_sup)
    assert response.status_code == 404
    assert PLATE not in response.text and "lot" not in response.text
    assert hl.get("/v1/hotlists", headers=world.b_sup).json() == []


def test_another_agency_cannot_add_a_plate_to_a_list(world: World, hl: TestClient) -> None:
    """Promise: only the list's agency changes it. Attack: B adds a plate to A's list, so
    that A's officers would stop cars B wants stopped."""
    list_id = new_list(hl, world.a_sup)
    response = hl.post(f"/v1/hotlists/{list_id}/entries", headers=world.b_sup,
                       json={"plate": "8EVIL88"})  # fmt: skip
    assert response.status_code == 404
    plates = [e["plate"] for e in hl.get(f"/v1/hotlists/{list_id}/entries",
                                         headers=world.a_sup).json()]  # fmt: skip
    assert plates == [PLATE]
    assert world.runtime.service.process([make_read("8EVIL88", owner=world.a)]).candidates == 0


def test_another_agency_cannot_remove_or_expire_an_entry(world: World, hl: TestClient) -> None:
    """Promise: only the list's agency removes or expires its plates. Attack: B removes or
    expires the entry on A's list, to keep a car from being stopped."""
    list_id = new_list(hl, world.a_sup)
    [entry] = hl.get(f"/v1/hotlists/{list_id}/entries", headers=world.a_sup).json()
    path = f"/v1/hotlists/{list_id}/entries/{entry['id']}"
    assert hl.post(f"{path}/expire", headers=world.b_sup, json={}).status_code == 404
    assert hl.delete(path, headers=world.b_sup).status_code == 404
    # B names its own list with A's entry id: still not A's entry
    own = new_list(hl, world.b_sup, "8OWN001")
    assert hl.delete(f"/v1/hotlists/{own}/entries/{entry['id']}",
                     headers=world.b_sup).status_code == 404  # fmt: skip
    assert world.runtime.service.process([make_read(PLATE, owner=world.a)]).delivered == 1


def test_another_agency_cannot_delete_a_list(world: World, hl: TestClient) -> None:
    """Promise: only the list's agency deletes it. Attack: B deletes A's list by id."""
    list_id = new_list(hl, world.a_sup)
    assert hl.delete(f"/v1/hotlists/{list_id}", headers=world.b_sup).status_code == 404
    assert [h["id"] for h in hl.get("/v1/hotlists", headers=world.a_sup).json()] == [list_id]


def test_importing_under_another_agencys_list_name_replaces_nothing_of_it(
    world: World, hl: TestClient
) -> None:
    """Promise: an import replaces a list of the importer's own agency only. Attack: B
    imports an empty list under the name of A's list, with `replace`."""
    list_id = new_list(hl, world.a_sup, name="stolen")
    response = hl.post("/v1/hotlists", headers=world.b_sup, json={
        "name": "stolen", "category": "stolen_vehicle", "entries": [], "replace": True})
    assert response.status_code == 201
    assert response.json()["list_id"] != list_id
    [mine] = hl.get("/v1/hotlists", headers=world.a_sup).json()
    assert (mine["id"], mine["entry_count"]) == (list_id, 1)


def test_a_dispatcher_cannot_change_lists_or_read_their_entries(
    world: World, hl: TestClient
) -> None:
    """Promise: lists are managed by the role pack's `role-manage-hotlists` roles. Attack:
    a dispatcher of the list's own agency adds, expires or reads entries."""
    list_id = new_list(hl, world.a_sup)
    [entry] = hl.get(f"/v1/hotlists/{list_id}/entries", headers=world.a_sup).json()
    assert hl.post(f"/v1/hotlists/{list_id}/entries", headers=world.a_disp,
                   json={"plate": "8EVIL88"}).status_code == 403  # fmt: skip
    assert hl.post(f"/v1/hotlists/{list_id}/entries/{entry['id']}/expire",
                   headers=world.a_disp, json={}).status_code == 403  # fmt: skip
    assert hl.get(f"/v1/hotlists/{list_id}/entries", headers=world.a_disp).status_code == 403


# -- odd input in list entries ----------------------------------------------------------


@pytest.mark.parametrize("plate", ["", "   ", "-", "7ÀBC123", "7AB*", "7AB%", "7AB'C", "7AB?",
                                   "7ABC\u0000", "12345678901"])
def test_an_entry_whose_plate_is_not_a_plate_is_refused(
    world: World, hl: TestClient, plate: str
) -> None:
    """Promise: a listed plate is 1 to 10 letters A-Z and digits (separators dropped).
    Attack: an empty, blank, wildcard, SQL-pattern, non-ASCII, control-character or
    over-long plate, which would otherwise match everything or nothing."""
    list_id = new_list(hl, world.a_sup)
    response = hl.post(f"/v1/hotlists/{list_id}/entries", headers=world.a_sup,
                       json={"plate": plate})  # fmt: skip
    assert response.status_code == 422, response.text
    assert hl.get("/v1/hotlists", headers=world.a_sup).json()[0]["entry_count"] == 1


def test_odd_but_valid_entries_of_one_agency_do_not_break_another_agencys_matching(
    world: World, hl: TestClient
) -> None:
    """Promise: the one shared index keeps matching every list. Attack: B lists the
    largest codes the index can hold (ten Z's, ten 9's), a one-character plate, a plate
    with separators and a bad row among good ones; A's entry must still hit, and only A."""
    new_list(hl, world.a_sup)
    response = hl.post("/v1/hotlists", headers=world.b_sup, json={
        "name": "odd", "category": "stolen_vehicle", "on_error": "keep",
        "entries": [{"plate": "ZZZZZZZZZZ"}, {"plate": "9999999999"}, {"plate": "1"},
                    {"plate": " 8-odd 001 "}, {"plate": ""}]})  # fmt: skip
    assert response.status_code == 201, response.text
    assert (response.json()["imported"], len(response.json()["errors"])) == (4, 1)
    report = world.runtime.service.process([make_read(PLATE, owner=world.a)])
    assert (report.delivered, report.denied) == (1, 0)
    assert [a.list_owner_id for a in report.alerts] == [world.a]


def test_a_never_expiring_sentinel_date_is_a_bad_row_not_a_crash(
    world: World, hl: TestClient
) -> None:
    """Promise: a bad row is reported by line (422 or left out), never a server error.
    Attack: an entry expiring `9999-12-31` (the "never" sentinel of many NCIC extracts)
    in a JSON import, a CSV upload and one added entry."""
    list_id = new_list(hl, world.a_sup)
    added = hl.post(f"/v1/hotlists/{list_id}/entries", headers=world.a_sup,
                    json={"plate": "8NEVER1", "expires": "9999-12-31"})  # fmt: skip
    assert added.status_code == 201, added.text  # the "never" date: no expiry
    assert added.json()["expires_at"] is None
    text = "plate,expires\n8NEVER2,99991231\n8GOOD01,2030-01-01\n"
    upload = hl.post("/v1/hotlists/import", headers=world.a_sup,
                     files={"file": ("never.csv", text.encode(), "text/csv")},
                     data={"name": "never", "category": "stolen_vehicle"})  # fmt: skip
    assert upload.status_code == 201, upload.text
    assert (upload.json()["imported"], upload.json()["errors"]) == (2, [])
    too_early = hl.post(f"/v1/hotlists/{list_id}/entries", headers=world.a_sup,
                        json={"plate": "8EARLY1", "expires": "0001-01-01T00:00:00+05:00"})
    assert too_early.status_code == 422, too_early.text
    assert "out of range" in too_early.text
    entry = added.json()["id"]
    expire = hl.post(f"/v1/hotlists/{list_id}/entries/{entry}/expire", headers=world.a_sup,
                     json={"at": "0001-01-01T00:00:00+05:00"})
    assert expire.status_code == 422, expire.text


# -- hits and dispositions of another agency --------------------------------------------


def test_another_agency_cannot_open_or_dispose_a_hit(world: World, hl: TestClient) -> None:
    """Promise: a hit (which carries the read: plate, place, time) is its list owner's
    only, and so is its disposition. Attack: B's dispatcher opens A's hit by id and
    records it as a misread, to close it before A's officers act."""
    hit = a_hit(world, hl)
    assert hl.get(f"/v1/hits/{hit['hit_id']}", headers=world.b_disp).status_code == 404
    response = hl.post(f"/v1/hits/{hit['hit_id']}/disposition", headers=world.b_disp,
                       json={"disposition": "dismissed", "note": "nothing here"})  # fmt: skip
    assert response.status_code == 404
    assert PLATE not in response.text
    again = hl.get(f"/v1/hits/{hit['hit_id']}", headers=world.a_disp).json()
    assert again["disposition"] is None and again["disposed_by"] is None
    assert not [e for e in world.entries() if e["type"] == "hit_disposition"]


def test_another_agency_sees_no_hit_and_counts_none(world: World, hl: TestClient) -> None:
    """Promise: hit lists and statistics are the caller's agency's. Attack: B lists hits
    (pending or not) and asks for the statistics over all time."""
    a_hit(world, hl)
    assert hl.get("/v1/hits", headers=world.b_disp).json() == []
    assert hl.get("/v1/hits?pending=true&limit=1000", headers=world.b_disp).json() == []
    stats = hl.get("/v1/hits/stats", headers=world.b_disp, params={
        "since": "2000-01-01T00:00:00Z", "until": "2100-01-01T00:00:00Z"}).json()
    assert stats["matches"] == 0 and stats["by_category"] == {}


def _next_alert(lines: Iterator[str]) -> dict[str, Any]:
    """The next alert event of an open stream's lines."""
    for line in lines:
        if line.startswith("data:"):
            return dict(json.loads(line[5:].strip()))
    raise AssertionError("the stream ended")


def _open_stream(stack: ExitStack, client: httpx.Client, headers: dict[str, str]
                 ) -> Iterator[str]:  # fmt: skip
    """The lines of a stream opened with ``headers``, read past its `connected` comment
    (the subscription exists from then on)."""
    response = stack.enter_context(client.stream("GET", "/v1/alerts/stream", headers=headers))
    assert response.status_code == 200
    lines = response.iter_lines()
    for line in lines:
        if line.startswith(":") and "connected" in line:
            return lines
    raise AssertionError("the stream ended before it connected")


def test_the_alert_stream_carries_only_the_callers_agencys_alerts(world: World) -> None:
    """Promise: `GET /v1/alerts/stream` streams the alerts of the caller's agency's lists.
    Attack: B keeps a stream open while A's list hits; A's alert must not reach it. (A's
    alert is published before B's own: had it leaked, it would be B's first event.)"""
    client = TestClient(hotlist_app(world))
    new_list(client, world.a_sup, PLATE)
    new_list(client, world.b_sup, "8BOWN01")
    with (serving(hotlist_app(world)) as url,
          httpx.Client(base_url=url, timeout=30) as http, ExitStack() as stack):
        a_lines = _open_stream(stack, http, world.a_disp)
        b_lines = _open_stream(stack, http, world.b_disp)
        world.runtime.service.process([make_read(PLATE, owner=world.a)])
        world.runtime.service.process([make_read("8BOWN01", owner=world.b)])
        a_event, b_event = _next_alert(a_lines), _next_alert(b_lines)
    assert (a_event["plate_listed"], a_event["list_owner_id"]) == (PLATE, world.a)
    assert (b_event["plate_listed"], b_event["list_owner_id"]) == ("8BOWN01", world.b)
    assert b_event["read"]["owner_id"] == world.b


# -- a hit the read's owner did not share ------------------------------------------------


def test_a_withheld_hit_leaves_the_list_owner_nothing_but_the_bare_withheld_entry(
    world: World, hl: TestClient
) -> None:
    """Promise: a hit on A's read reaches B only if A shares alerts with B; a withheld hit
    stores nothing and its `alert_withheld` entry names only the two agencies, the class
    and the rules. Attack: B lists A's plate (and subscribes a webhook), A's camera reads
    it, with no agreement."""
    new_list(hl, world.b_sup, PLATE, reason="suspect vehicle")
    hl.post("/v1/webhooks", headers=world.b_sup, json={"url": "https://hooks.example.org/b"})
    before = world.audit.size()
    read = make_read(PLATE, owner=world.a)
    report = world.runtime.service.process([read])
    assert (report.delivered, report.denied) == (0, 1)
    assert hl.get("/v1/hits", headers=world.b_disp).json() == []
    assert hl.get("/v1/webhooks/outbox", headers=world.b_sup).json() == []
    assert world.entries(before) == []  # held for the end of its period, then appended
    world.audit.release_held(report.withheld_until)
    [entry] = world.entries(before)
    assert entry["type"] == "alert_withheld"
    assert set(entry) - {"type", "v", "time", "log_index"} == {
        "read_owner", "list_owner", "list_class", "policy_ids", "hit_id"}
    assert (entry["read_owner"], entry["list_owner"]) == (str(world.a), str(world.b))
    dumped = json.dumps(entry)
    assert PLATE not in dumped and str(read.read_id) not in dumped


def test_an_agreement_for_one_category_does_not_carry_an_entry_of_another(
    world: World, hl: TestClient
) -> None:
    """Promise: policy decides on the entry's own category. Attack: A shares stolen-vehicle
    alerts with B; B puts a gang-file entry on a list declared `stolen_vehicle`."""
    world.share_alerts(world.a, world.b)
    new_list(hl, world.b_sup, PLATE, category="gang_member")
    new_list(hl, world.b_sup, "8STOLE1", name="really stolen")
    report = world.runtime.service.process(
        [make_read(PLATE, owner=world.a), make_read("8STOLE1", owner=world.a)])
    assert (report.delivered, report.denied) == (1, 1)
    [hit] = hl.get("/v1/hits", headers=world.b_disp).json()
    assert hit["plate_listed"] == "8STOLE1"


def test_immigration_words_in_an_entry_keep_california_reads_from_the_list(
    world: World, hl: TestClient
) -> None:
    """Promise: California data never feeds immigration enforcement, whatever the list is
    called. Attack: B (with A's alert agreement) files an ICE target as a stolen vehicle,
    the purpose only in the entry's reason."""
    world.share_alerts(world.a, world.b)
    new_list(hl, world.b_sup, PLATE, reason="ERO removal target, ICE detainer")
    report = world.runtime.service.process([make_read(PLATE, owner=world.a)])
    assert (report.delivered, report.denied) == (0, 1)
    assert hl.get("/v1/hits", headers=world.b_disp).json() == []


def test_a_shared_hit_reaches_the_partner_and_not_the_reads_owner(
    world: World, hl: TestClient
) -> None:
    """Control: with A's agreement, B receives the hit on A's read; A, whose read it is
    but whose list it is not, does not see B's hit or its list's plate and reason."""
    world.share_alerts(world.a, world.b)
    new_list(hl, world.b_sup, PLATE, reason="B's informant tip")
    report = world.runtime.service.process([make_read(PLATE, owner=world.a)])
    assert report.delivered == 1
    [hit] = hl.get("/v1/hits", headers=world.b_disp).json()
    assert hit["read"]["owner_id"] == world.a
    assert hl.get("/v1/hits", headers=world.a_disp).json() == []
    assert hl.get(f"/v1/hits/{hit['hit_id']}", headers=world.a_disp).status_code == 404


# -- webhooks ----------------------------------------------------------------------------


def test_another_agency_cannot_touch_a_webhook_or_its_dead_letters(
    world: World, hl: TestClient
) -> None:
    """Promise: subscriptions and the outbox are the agency's own. Attack: B lists, pauses,
    deletes A's subscription and re-sends A's dead letters (to learn A's hits or flood
    A's receiver)."""
    created = hl.post("/v1/webhooks", headers=world.a_sup,
                      json={"url": "https://hooks.example.org/a"}).json()  # fmt: skip
    a_hit(world, hl)
    assert hl.get("/v1/webhooks", headers=world.b_sup).json() == []
    assert hl.patch(f"/v1/webhooks/{created['id']}", headers=world.b_sup,
                    json={"active": False}).status_code == 404  # fmt: skip
    assert hl.delete(f"/v1/webhooks/{created['id']}", headers=world.b_sup).status_code == 404
    [listed] = hl.get("/v1/webhooks", headers=world.a_sup).json()
    assert listed["active"] is True
    assert hl.delete(f"/v1/webhooks/{created['id']}", headers=world.a_sup).status_code == 204
    [dead] = hl.get("/v1/webhooks/outbox?status=dead", headers=world.a_sup).json()
    assert hl.get("/v1/webhooks/outbox", headers=world.b_sup).json() == []
    assert hl.post(f"/v1/webhooks/outbox/{dead['id']}/retry",
                   headers=world.b_sup).status_code == 404  # fmt: skip
    assert [d["id"] for d in hl.get("/v1/webhooks/outbox?status=dead",
                                    headers=world.a_sup).json()] == [dead["id"]]  # fmt: skip


@pytest.mark.parametrize("url", ["file:///etc/passwd", "gopher://127.0.0.1:6379/_INFO",
                                 "ftp://hooks.example.org/x", "http:///nohost", "javascript:x"])
def test_a_webhook_url_must_be_http_or_https_with_a_host(
    world: World, hl: TestClient, url: str
) -> None:
    """Promise: a webhook is an http(s) address. Attack: other schemes."""
    response = hl.post("/v1/webhooks", headers=world.a_sup, json={"url": url})
    assert response.status_code == 422
    assert hl.get("/v1/webhooks", headers=world.a_sup).json() == []


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8123/?query=DROP+TABLE+reads",
    "http://localhost:5432/",
    "http://[::1]/hook",
    "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
    "http://0.0.0.0:9000/",
    "http://2130706433/",
])
def test_a_webhook_cannot_point_at_the_servers_own_network(
    world: World, hl: TestClient, url: str
) -> None:
    """Promise (SSRF): a supervisor may send alerts to their receiver, not make the server
    post to its own loopback services or to the cloud metadata address. Attack: subscribe
    such a URL (the ClickHouse HTTP port, the catalog's port, IMDS)."""
    response = hl.post("/v1/webhooks", headers=world.a_sup, json={"url": url})
    assert response.status_code == 422, response.text


class _Redirector:
    """An outside receiver that answers every POST with a 307 to ``target``."""

    def __init__(self, target: str) -> None:
        target_url = target

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                self.send_response(307)
                self.send_header("Location", target_url)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=30)


def test_a_webhook_receiver_cannot_redirect_the_alert_elsewhere(
    world: World, hl: TestClient
) -> None:
    """Promise: an alert is posted to the subscribed URL only. Attack: the receiver answers
    307 to an internal address, hoping the server re-posts the alert (with its signature)
    there. The receivers listen on loopback, a network the operator lists here
    (`PLATELEDGER_WEBHOOK_NETWORKS`), as one would list a dispatch system's."""
    inner = Receiver().start()
    outer = _Redirector(inner.url)
    world.runtime.webhooks.networks = parse_networks("127.0.0.0/8")
    try:
        with world.catalog.engine.begin() as conn:
            conn.execute(insert(webhook_subscriptions).values(
                owner_id=world.a, url=outer.url, secret="x" * 32, description="outside",
                active=True, created_at=to_millis(datetime.now(UTC))))
        a_hit(world, hl)
        done = world.runtime.webhooks.deliver_due()
        assert (done.delivered, done.failed) == (0, 1)
        assert inner.received == []
        [item] = hl.get("/v1/webhooks/outbox", headers=world.a_sup).json()
        assert item["status"] == "pending" and "307" in item["last_error"]
    finally:
        outer.stop()
        inner.stop()


# -- approvals of pattern-of-life searches (the whole app) -------------------------------

BASIS = {"kind": "warrant", "number": "27-CR-25-1180", "court": "Hennepin County District Court"}
LOCATE = {
    "kind": "locate", "params": {"plate": "MN1234"}, "purpose": "warrant",
    "case_number": "25-004417", "offense_type": "120", "legal_basis": BASIS,
    "reason": "arrest warrant for the registered owner of the robbery getaway car",
}


class Logins:
    """The users of a seeded app, each logged in once (``as_``: their headers)."""

    def __init__(self, client: TestClient, secrets: dict[str, str]) -> None:
        self.client = client
        self.secrets = secrets
        self.tokens: dict[str, dict[str, str]] = {}

    def as_(self, name: str) -> dict[str, str]:
        return login_once(self.client, name, self.secrets, self.tokens)


def add_users(catalog: Catalog, users: Iterable[tuple[int, str, list[str]]],
              secrets: dict[str, str]) -> None:
    """Each of ``users`` (agency id, name, roles), with a second factor whose secret is
    kept in ``secrets``."""
    for agency, name, roles in users:
        secrets[name] = new_totp_secret()
        catalog.add_user(agency, name, PASSWORD, roles, totp_secret=secrets[name])


class Mn(Logins):
    """Minneapolis (whose locates wait for a supervisor) and Union City's supervisor."""

    def pending(self, name: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        response = self.client.post("/v1/searches", headers=self.as_(name), json=body or LOCATE)
        assert response.status_code == 202, response.text
        return dict(response.json())

    def approve(self, name: str, approval_id: str) -> httpx.Response:
        return self.client.post(f"/v1/approvals/{approval_id}/approve", headers=self.as_(name),
                                json={"note": "warrant checked"})  # fmt: skip


@pytest.fixture
def mn(settings: Settings, seed: Seed) -> Iterator[Mn]:
    secrets: dict[str, str] = {}
    with catalog_of(settings) as catalog:
        mpd = catalog.add_agency("Minneapolis PD", "mpd", "municipal", "MN")
        add_users(catalog, [
            (mpd.id, "mia", ["investigator"]), (mpd.id, "max", ["investigator"]),
            (mpd.id, "sam", ["supervisor"]), (mpd.id, "aud", ["auditor"]),
            (mpd.id, "dot", ["dispatcher"]), (seed.ucpd_id, "ursula", ["supervisor"]),
        ], secrets)
    with TestClient(create_app(settings)) as client:
        yield Mn(client, secrets)


def test_an_investigator_cannot_approve_their_own_or_a_colleagues_request(mn: Mn) -> None:
    """Promise: only a supervisor decides, never the requester. Attack: the requester
    approves their own request; a fellow investigator approves it for them."""
    pending = mn.pending("mia")
    own = mn.approve("mia", pending["id"])
    assert own.status_code == 403, own.text
    colleague = mn.approve("max", pending["id"])
    assert colleague.status_code == 403
    assert colleague.json()["error"]["code"] == "not_a_supervisor"
    status = mn.client.get(f"/v1/approvals/{pending['id']}", headers=mn.as_("mia")).json()
    assert status["status"] == "pending"


def test_a_supervisor_cannot_approve_their_own_request(mn: Mn) -> None:
    """Promise: a supervisor's own request waits for another supervisor. Attack: the
    supervisor asks, then approves."""
    pending = mn.pending("sam")
    response = mn.approve("sam", pending["id"])
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "own_request"


def test_a_supervisor_of_another_agency_cannot_approve_or_see_a_request(mn: Mn) -> None:
    """Promise: a supervisor of the requester's agency decides; another agency's approval
    answers as one that does not exist. Attack: Union City's supervisor approves, reads
    and lists Minneapolis's request."""
    pending = mn.pending("mia")
    response = mn.approve("ursula", pending["id"])
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "approval_not_found"
    assert mn.client.get(f"/v1/approvals/{pending['id']}",
                         headers=mn.as_("ursula")).status_code == 404  # fmt: skip
    assert mn.client.get("/v1/approvals?status=all", headers=mn.as_("ursula")).json() == []
    assert "MN1234" not in response.text


@pytest.mark.parametrize("name", ["aud", "dot"])
def test_auditors_and_dispatchers_cannot_decide_or_list_requests(mn: Mn, name: str) -> None:
    """Promise: a supervisor is someone the policy set lets both read the audit log and
    run the search. Attack: an auditor (reads the log only) or a dispatcher approves."""
    pending = mn.pending("mia")
    assert mn.approve(name, pending["id"]).status_code == 403
    assert mn.client.get("/v1/approvals", headers=mn.as_(name)).status_code == 403


def test_another_investigator_cannot_see_or_use_a_colleagues_approval(mn: Mn) -> None:
    """Promise: an approval is used once, by the user it was asked for. Attack: a fellow
    investigator of the same agency reads it and runs the approved search with its id."""
    pending = mn.pending("mia")
    assert mn.approve("sam", pending["id"]).status_code == 200
    assert mn.client.get(f"/v1/approvals/{pending['id']}",
                         headers=mn.as_("max")).status_code == 404  # fmt: skip
    used = mn.client.post("/v1/searches", headers=mn.as_("max"),
                          json={**LOCATE, "approval_id": pending["id"]})  # fmt: skip
    assert used.status_code == 403
    assert used.json()["error"]["code"] == "approval_not_yours"


def test_an_approval_cannot_be_used_by_another_agency(mn: Mn) -> None:
    """Promise: an approval belongs to its agency. Attack: Union City's supervisor, who
    learned the id, runs Minneapolis's approved locate with it."""
    pending = mn.pending("mia")
    assert mn.approve("sam", pending["id"]).status_code == 200
    used = mn.client.post("/v1/searches", headers=mn.as_("ursula"),
                          json={**LOCATE, "approval_id": pending["id"]})  # fmt: skip
    assert used.status_code == 404
    assert used.json()["error"]["code"] == "approval_not_found"


def test_a_refused_request_cannot_be_approved_afterwards(mn: Mn) -> None:
    """Promise: a decision is final. Attack: after one refusal, approve the same request."""
    pending = mn.pending("mia")
    refused = mn.client.post(f"/v1/approvals/{pending['id']}/refuse", headers=mn.as_("sam"),
                             json={"note": "no warrant on file"})  # fmt: skip
    assert refused.status_code == 200
    again = mn.approve("sam", pending["id"])
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "already_decided"


def test_an_approval_cannot_be_reused_for_another_case(mn: Mn) -> None:
    """Promise: the supervisor approves the request they see — its plate, case number,
    offense and reason (`ApprovalOut`, and the decision's audit entry). Attack: once
    approved for the robbery case, the requester runs the approved locate under another
    case number, offense and reason (same warrant, same plate)."""
    pending = mn.pending("mia")
    assert mn.approve("sam", pending["id"]).status_code == 200
    other = {**LOCATE, "case_number": "25-999999", "offense_type": "240",
             "reason": "a different matter entirely", "approval_id": pending["id"]}
    used = mn.client.post("/v1/searches", headers=mn.as_("mia"), json=other)
    assert used.status_code == 403, used.text
    assert used.json()["error"]["code"] == "approval_mismatch"


def test_an_approval_cannot_be_reused_for_another_plate_or_requesting_agency(mn: Mn) -> None:
    """Promise: an approval is bound to its plate and to the agency it is run for. Attack:
    run the approved locate on another plate, then for Union City (`requested_by`)."""
    pending = mn.pending("mia")
    assert mn.approve("sam", pending["id"]).status_code == 200
    approval = {"approval_id": pending["id"]}
    other_plate = mn.client.post("/v1/searches", headers=mn.as_("mia"), json={
        **LOCATE, **approval, "params": {"plate": "MN9999"}})
    assert other_plate.status_code == 403
    assert other_plate.json()["error"]["code"] == "approval_mismatch"
    other_agency = mn.client.post("/v1/searches", headers=mn.as_("mia"), json={
        **LOCATE, **approval, "requested_by": "ucpd"})
    assert other_agency.status_code in (403, 422), other_agency.text
    assert "total" not in other_agency.json()
    # none of it used the approval up
    status = mn.client.get(f"/v1/approvals/{pending['id']}", headers=mn.as_("mia")).json()
    assert status["status"] == "approved"


# -- cases (the whole app) ---------------------------------------------------------------

CASE = "UC-2026-0777"
ASK = {"kind": "exact", "params": {"plate": "7CAS777"}, "purpose": "stolen_vehicle",
       "case_number": CASE, "offense_type": "240", "reason": "grey van taken from a lot"}


class Office(Logins):
    """Union City (ivy, investigator) and Fremont (finn, investigator; fred, supervisor)."""


@pytest.fixture
def office(settings: Settings, seed: Seed) -> Iterator[Office]:
    secrets = {"ivy": seed.investigator_totp, "audrey": seed.auditor_totp}
    with catalog_of(settings) as catalog:
        add_users(catalog, [(seed.fpd_id, "finn", ["investigator"]),
                            (seed.fpd_id, "fred", ["supervisor"])], secrets)
    with TestClient(create_app(settings)) as client:
        yield Office(client, secrets)


def test_the_same_case_number_in_another_agency_is_another_case(office: Office) -> None:
    """Promise: a case is a number within an agency; another agency's searches are never
    in it. Attack: Fremont opens a case under Union City's number and reads it, hoping
    for Union City's searches."""
    c = office.client
    assert c.post("/v1/cases", headers=office.as_("ivy"), json={"number": CASE}).status_code == 201
    ours = c.post("/v1/searches", headers=office.as_("ivy"), json=ASK)
    assert ours.status_code == 200, ours.text
    assert c.post("/v1/cases", headers=office.as_("finn"),
                  json={"number": CASE}).status_code == 201  # fmt: skip
    theirs = c.get(f"/v1/cases/{CASE}", headers=office.as_("finn"))
    assert theirs.status_code == 200
    assert theirs.json()["searches"] == []
    report = c.get(f"/v1/cases/{CASE}/report?format=json", headers=office.as_("finn"))
    assert report.status_code == 200
    assert report.json()["searches"] == [] and ours.json()["search_id"] not in report.text


def test_a_search_run_for_an_agency_does_not_join_its_case(office: Office) -> None:
    """Promise: a search another agency's user says it ran *for* this agency is never part
    of this agency's case. Attack: Fremont's investigator searches under Union City's
    case number with `requested_by: ucpd`, to plant a search in Union City's case file."""
    c = office.client
    c.post("/v1/cases", headers=office.as_("ivy"), json={"number": CASE})
    c.post("/v1/searches", headers=office.as_("ivy"), json=ASK)
    planted = c.post("/v1/searches", headers=office.as_("finn"),
                     json={**ASK, "requested_by": "ucpd"})  # fmt: skip
    assert planted.status_code in (200, 403), planted.text
    shown = c.get(f"/v1/cases/{CASE}", headers=office.as_("ivy")).json()
    assert {s["user"] for s in shown["searches"]} == {"ivy"}


def test_another_agencys_supervisor_cannot_close_report_or_list_a_case(office: Office) -> None:
    """Promise: another agency's case answers 404 as if it did not exist. Attack: Fremont's
    supervisor closes, reads and reports Union City's case."""
    c = office.client
    c.post("/v1/cases", headers=office.as_("ivy"), json={"number": CASE, "title": "grey van"})
    fred = office.as_("fred")
    for response in (c.patch(f"/v1/cases/{CASE}", headers=fred, json={"status": "closed"}),
                     c.get(f"/v1/cases/{CASE}", headers=fred),
                     c.get(f"/v1/cases/{CASE}/report?format=json", headers=fred)):
        assert response.status_code == 404, response.text
        assert response.json()["error"]["code"] == "no_such_case"
        assert "grey van" not in response.text
    assert c.get("/v1/cases", headers=fred).json() == []
    [case] = c.get("/v1/cases", headers=office.as_("ivy")).json()
    assert case["status"] == "open"


def test_a_case_number_that_escapes_its_url_or_holds_controls_is_refused(
    office: Office,
) -> None:
    """Promise: a case number has 1 to 64 printable characters and no `/`. Attack: a
    number with a slash (to reach another route), with a newline (to forge lines in a
    report), or blank."""
    ivy = office.as_("ivy")
    for number in ("UC/../../cases", "UC-1\nSigned checkpoint", "   "):
        response = office.client.post("/v1/cases", headers=ivy, json={"number": number})
        assert response.status_code in (403, 422), (number, response.text)
    assert office.client.get("/v1/cases", headers=ivy).json() == []
