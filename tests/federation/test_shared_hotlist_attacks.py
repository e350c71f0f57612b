"""Hot lists shared across nodes, attacked by the partners they are shared with.

The promise (docs/federation.md, *Hot lists across nodes*): a list owner shares a list with
a partner node; matching runs on the data owner's node, whose packs and agreements decide
whether the list owner may receive each hit, and which logs it. California reads go only
to California state or local agencies and never serve immigration enforcement; Washington
and Virginia reads go to no federal and no out-of-state agency (docs LAWS.md).

The data owner is Union City's node (`create_app`, its own catalog, audit log and the
session's read store), a small hub that also keeps the reads of Seattle (``spd``, WA) and
Richmond (``rpd``, VA). Registered with it: Fremont's node (``fpd``) and Newark's (``npd``),
California cities with agreements; a federal unit's node (``ice-ero-sf``), with an
agreement too, so that only the law stands between it and the reads; and an out-of-state
pool node answering for Las Vegas (NV), Portland (OR) and Baltimore (MD), each with an
agreement with the owner it asks. The attackers are those nodes' signing keys.

Tried, and held (ordinary tests below):

- out-of-state and federal list owners of California, Washington and Virginia reads: each
  hit withheld under the read owner's own rule, nothing queued;
- immigration enforcement laundered through a California city's list: an entry's own
  category or file type, its reason or case number, the list's source or description;
- a list push answers the same whether or not its plates were read here before, and
  matches nothing retroactively (no log entry, no hit);
- two list owners listing the same plate: each node is queued only its own list's hit,
  naming its own list and entry;
- an entry pushed already expired never matches;
- a hit the data owner cannot log is not queued for the list owner.

Found, and fixed (each test below failed first):

- a list-level ``file_type`` was stored unchecked (`SharedLists.receive`), and every later
  read of a listed plate made the hot-list store raise: the camera's batch was answered
  500 and its reads were not stored, the data owner's own hits with them (now read as the
  closed list names it, or 422 ``invalid_file_type``);
- an ``expires_at`` past what the platform's clock can hold was a 500, not a 422;
- a partner's lists were stored past ``hotlist_max_entries``, the cap every local import
  and added entry of the same agency is held to (now 422 ``list_too_large``);
- the node routes read the whole body before the signature and with no limit
  (``signed_node``), so a list larger than ``max_body_bytes`` was stored (now 413);
- a node answering for two agencies pushed a list as one agency's and its next version
  as the other's: the gate decided (and the log recorded) the hit for the second, while
  the hit sent named the first (now 409 ``list_agency_changed``);
- a list owner's node raised a partner's hit on an entry it expired before the read (now
  409 ``entry_expired``);
- a list's words in look-alike letters (Cyrillic ``ІСЕ``) passed the immigration screen,
  and a California city's list so worded drew California hits;
- a withheld hit was public at once: its ``alert_withheld`` summary named the list owner
  and its time, so a federal unit that pushed a one-plate list learnt from the data
  owner's public log when the plate was read (now held and published with its period's
  others at the period's end, naming the read owner and the list's class only).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from plateledger.access.shared_hotlists import HITS_PATH, LISTS_PATH
from plateledger.api.app import create_app
from plateledger.audit import AuditLog
from plateledger.catalog import Catalog, open_catalog
from plateledger.catalog.passwords import FAST
from plateledger.catalog.shared_hotlists import shared_hit_outbox, shared_hotlists
from plateledger.federation import NodeKey, NodeRegistry, sign_request
from plateledger.federation.registry import operator
from plateledger.hotlist.schema import hotlist_entries, hotlist_hits, hotlists
from plateledger.plates import confusion_key
from plateledger.read import PlateRead
from plateledger.settings import Settings
from tests.access.conftest import PASSWORD
from tests.factories import period_stamp

CLOSED = "http://127.0.0.1:9"
"""Where the partners' nodes are registered: nothing listens (a push or a hit fails fast)."""
MAX_ENTRIES = 40
"""The hub's ``hotlist_max_entries``: the most entries one agency's lists may hold."""
MAX_BODY = 16 * 1024
"""The hub's ``max_body_bytes``."""
CAMERAS = {"ucpd": "uc-1", "spd": "wa-1", "rpd": "va-1"}
REGIONS = {"ucpd": "CA", "spd": "WA", "rpd": "VA"}
WAIT = 20.0


def new_plate(prefix: str) -> str:
    return prefix + uuid.uuid4().hex[:5].upper().replace("0", "A").replace("O", "B")


def until(found: Any, what: str, wait: float = WAIT) -> Any:
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        value = found()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"no {what} within {wait} s")


@dataclass
class Hub:
    app: FastAPI
    client: TestClient
    settings: Settings
    keys: dict[str, NodeKey]
    camera_keys: dict[str, str]
    ids: dict[str, int]
    _opened: list[Catalog] = field(default_factory=list)

    def catalog(self) -> Catalog:
        catalog = open_catalog(self.settings, password_hasher=FAST)
        self._opened.append(catalog)
        return catalog

    def log(self) -> AuditLog:
        return AuditLog(self.catalog().engine, signer=None)

    def size(self) -> int:
        return self.log().size()

    def entries(self, kind: str, since: int = 0) -> list[dict[str, Any]]:
        log = self.log()
        return [r.entry for r in log.entries(since, log.size() - since)
                if r.entry["type"] == kind]  # fmt: skip

    def push(self, node: str, payload: dict[str, Any] | bytes) -> Any:
        return self.ask(node, payload, LISTS_PATH)

    def ask(self, node: str, payload: dict[str, Any] | bytes, path: str) -> Any:
        raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        headers = sign_request(self.keys[node], "POST", f"http://testserver{path}", raw,
                               created=int(time.time()))  # fmt: skip
        return self.client.post(path, content=raw, headers=headers)

    def read(self, owner: str, plate: str) -> Any:
        """One read of ``plate`` at ``owner``'s camera, as the camera posts it."""
        read = {
            "camera_id": CAMERAS[owner],
            "ts": int(time.time() * 1000) - 60_000,
            "plate": plate,
            "confidence": 0.9,
            "region": REGIONS[owner],
        }
        return self.client.post(
            "/v1/reads", json=[read], headers={"X-API-Key": self.camera_keys[owner]}
        )

    def outbox(self) -> list[Any]:
        with self.catalog().engine.connect() as conn:
            return list(conn.execute(select(shared_hit_outbox)))

    def held(self, node: str, remote_list_id: int) -> Any:
        with self.catalog().engine.connect() as conn:
            return conn.execute(select(shared_hotlists).where(
                shared_hotlists.c.node == node,
                shared_hotlists.c.remote_list_id == remote_list_id)).first()  # fmt: skip

    def bearer(self, username: str = "sam") -> dict[str, str]:
        token = self.client.post(
            "/v1/auth/token", json={"username": username, "password": PASSWORD}
        )
        assert token.status_code == 200, token.text
        return {"Authorization": f"Bearer {token.json()['access_token']}"}

    def close(self) -> None:
        for catalog in self._opened:
            catalog.close()


@pytest.fixture
def hub(request: pytest.FixtureRequest, tmp_path: Path, store_path: Path) -> Iterator[Hub]:
    """Union City's node; ``request.param``, where given: the seconds of the period whose
    withheld hits are published together (else the tests' environment: one)."""
    period = getattr(request, "param", None)
    settings = Settings(
        **({} if period is None else {"withheld_publish_seconds": period}),
        data_dir=tmp_path / "unioncity",
        store_path=store_path,
        secret_key="k" * 32,
        require_totp=False,
        federation_timeout_seconds=5.0,
        hotlist_max_entries=MAX_ENTRIES,
        max_body_bytes=MAX_BODY,
        public_url="http://testserver",  # the URL its partners reach it at (the test client)
    )
    catalog = open_catalog(settings, password_hasher=FAST)
    keys = {name: NodeKey.generate() for name in ("fremont", "newark", "federal", "pool")}
    try:
        ids = {
            slug: catalog.add_agency(name, slug, kind, state).id
            for name, slug, kind, state in [
                ("Union City PD", "ucpd", "municipal", "CA"),
                ("Seattle PD", "spd", "municipal", "WA"),
                ("Richmond PD", "rpd", "municipal", "VA"),
                ("Fremont PD", "fpd", "municipal", "CA"),
                ("Newark PD", "npd", "municipal", "CA"),
                ("ICE ERO San Francisco", "ice-ero-sf", "federal", "CA"),
                ("Las Vegas Metro PD", "lvmpd", "municipal", "NV"),
                ("Portland PB", "ppb", "municipal", "OR"),
                ("Baltimore PD", "bpd", "municipal", "MD"),
            ]
        }
        # only the law stands between each read owner and these list owners
        for owner, recipients in {
            "ucpd": ("fpd", "npd", "ice-ero-sf", "lvmpd"),
            "spd": ("ice-ero-sf", "ppb"),
            "rpd": ("ice-ero-sf", "bpd"),
        }.items():
            for recipient in recipients:
                catalog.add_agreement(
                    ids[owner], ids[recipient], actions=["receive_alert"],
                    purposes=["stolen_vehicle"], created_by="chief",
                    case_number_required=False,
                )  # fmt: skip
        catalog.add_user(ids["ucpd"], "sam", PASSWORD, ["supervisor"])
        camera_keys = {}
        for owner, camera in CAMERAS.items():
            catalog.add_camera(camera, ids[owner], lat=37.59, lon=-122.02)
            camera_keys[owner] = catalog.issue_api_key(ids[owner], label="camera")
        registry = NodeRegistry(catalog, AuditLog(catalog.engine, signer=None))
        for name, agencies in {
            "fremont": ["fpd"],
            "newark": ["npd"],
            "federal": ["ice-ero-sf"],
            "pool": ["lvmpd", "ppb", "bpd"],
        }.items():
            registry.add(operator(), name, CLOSED, keys[name].public.text(), agencies)
    finally:
        catalog.close()
    # a 500 is an answer here, as the partner would see it
    app = create_app(settings)
    with TestClient(app, raise_server_exceptions=False) as client:
        found = Hub(app, client, settings, keys, camera_keys, ids)
        try:
            yield found
        finally:
            found.close()


def pushed_list(
    list_id: int, agency: str, plates: list[str], *, version: int = 1, **changes: Any
) -> dict[str, Any]:
    """A list push as the list owner's node sends it; ``changes`` replace its fields."""
    return {
        "list_id": list_id,
        "agency": agency,
        "change": "share",
        "version": version,
        "name": f"stolen-{list_id}-{uuid.uuid4().hex[:6]}",
        "source": "Fremont PD",
        "category": "stolen_vehicle",
        "description": "",
        "file_type": "local",
        "entries": [
            {"id": n + 1, "plate": p, "reason": "stolen pickup", "case_number": "FR-26-1"}
            for n, p in enumerate(plates)
        ],
    } | changes


def withheld_from(hub: Hub, node: str, since: int) -> list[dict[str, Any]]:
    return [e for e in hub.entries("alert_withheld", since) if e.get("list_node") == node]


def queued_for(hub: Hub, node: str) -> list[dict[str, Any]]:
    return [json.loads(r.body) for r in hub.outbox() if r.node == node]


def read_ok(response: Any) -> None:
    assert response.status_code == 200, response.text
    assert response.json()["accepted"], response.text


# --- who may receive a hit -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("read_owner", "list_owner", "node", "rule"),
    [
        ("ucpd", "lvmpd", "pool", "ca-civ-1798.90.55b-no-out-of-state"),
        ("spd", "ppb", "pool", "wa-sb6002-no-out-of-state"),
        ("spd", "ice-ero-sf", "federal", "wa-sb6002-no-federal"),
        ("rpd", "bpd", "pool", "va-2.2-5517-virginia-agencies-only"),
        ("rpd", "ice-ero-sf", "federal", "va-2.2-5517-no-federal"),
    ],
)
def test_an_out_of_state_or_federal_list_owner_gets_no_hit_on_a_protected_states_read(
    hub: Hub, read_owner: str, list_owner: str, node: str, rule: str
) -> None:
    """Each list owner has an agreement with the read owner for stolen vehicles: only the
    read owner's law withholds the hit, and it is withheld under that law's rule."""
    plate = new_plate("9S")
    pushed = hub.push(node, pushed_list(11, list_owner, [plate]))
    assert pushed.status_code == 200, pushed.text
    since = hub.size()
    read_ok(hub.read(read_owner, plate))
    [entry] = until(lambda: withheld_from(hub, node, since), "withheld entry")
    assert rule in entry["policy_ids"], entry
    assert (entry["read_owner"], entry["list_owner"]) == (read_owner, list_owner)
    assert plate not in json.dumps(entry)
    assert queued_for(hub, node) == []
    assert [e for e in hub.entries("alert_delivery", since) if e.get("list_node") == node] == []


LAUNDERED: dict[str, dict[str, Any]] = {
    "entry category": {"entries": [{"id": 1, "category": "immigration_violator"}]},
    "entry file type": {"entries": [{"id": 1, "file_type": "ncic_immigration_violator"}]},
    "entry reason": {"entries": [{"id": 1, "reason": "ICE detainer on file"}]},
    "entry case number": {"entries": [{"id": 1, "case_number": "I-247A-2026-01"}]},
    "list source": {"source": "DHS HSI task force"},
    "list description": {"description": "targets for Enforcement and Removal Operations"},
    "list file type": {"file_type": "ncic_immigration_violator"},
}


@pytest.mark.parametrize("vector", sorted(LAUNDERED))
def test_a_california_citys_list_that_launders_immigration_enforcement_draws_no_hit(
    hub: Hub, vector: str
) -> None:
    """Fremont (a California city, with an agreement) shares a ``stolen_vehicle`` list
    whose entry or list says, in one field, that it serves immigration enforcement: the
    hit on Union City's read is withheld under SB 54 and nothing is queued."""
    plate = new_plate("9L")
    payload = pushed_list(21, "fpd", [plate])
    change = LAUNDERED[vector]
    if "entries" in change:
        payload["entries"] = [payload["entries"][0] | change["entries"][0]]
    else:
        payload |= change
    pushed = hub.push("fremont", payload)
    assert pushed.status_code == 200, pushed.text
    since = hub.size()
    read_ok(hub.read("ucpd", plate))
    [entry] = until(lambda: withheld_from(hub, "fremont", since), "withheld entry")
    assert any(p.startswith("ca-gov-7284.6") for p in entry["policy_ids"]), entry
    assert queued_for(hub, "fremont") == []


def test_a_list_worded_in_look_alike_letters_is_screened_as_its_latin_twin(hub: Hub) -> None:
    plate = new_plate("9C")
    payload = pushed_list(22, "fpd", [plate], description="wanted by \u0406\u0421\u0415")
    pushed = hub.push("fremont", payload)
    assert pushed.status_code == 200, pushed.text
    since = hub.size()
    read_ok(hub.read("ucpd", plate))
    until(
        lambda: withheld_from(hub, "fremont", since) or queued_for(hub, "fremont"),
        "the hit's decision",
    )
    assert queued_for(hub, "fremont") == []
    [entry] = withheld_from(hub, "fremont", since)
    assert any(p.startswith("ca-gov-7284.6") for p in entry["policy_ids"]), entry


# --- what a list owner learns ----------------------------------------------------------------


def test_a_push_answers_the_same_whether_its_plates_were_read_here_or_not(hub: Hub) -> None:
    """The federal unit pushes a list of a plate Union City read a minute ago and one of a
    plate never read: the two answers differ only in the list's id and entry index, and
    neither push matches anything already stored (no hit, no withheld entry)."""
    seen, unseen = new_plate("9P"), new_plate("9P")
    read_ok(hub.read("ucpd", seen))  # answered once the read is stored
    answers = []
    for list_id, plate in ((31, seen), (32, unseen)):
        since = hub.size()
        pushed = hub.push("federal", pushed_list(list_id, "ice-ero-sf", [plate],
                                                 name=f"watch-{list_id}"))  # fmt: skip
        assert pushed.status_code == 200, pushed.text
        answer = dict(pushed.json())
        assert answer.pop("list_id") == list_id and answer.pop("audit_index") is not None
        answers.append(answer)
        assert hub.log().held() == []  # no withheld hit waiting for its period's end ...
        assert [e["type"] for e in hub.entries("alert_withheld", since)] == []
        assert [e["type"] for e in hub.entries("alert_delivery", since)] == []
    assert answers[0] == answers[1]
    assert queued_for(hub, "federal") == []


# withheld hits published every 31 days: the server's own release does not come first
@pytest.mark.parametrize("hub", [31 * 86_400], indirect=True)
def test_a_withheld_hit_tells_the_public_log_neither_its_list_owner_nor_its_moment(
    hub: Hub,
) -> None:
    """Attack: the federal unit pushes a one-plate list and watches Union City's public
    log and counts to learn whether, and when, the plate is read."""
    plate, other = new_plate("9W"), new_plate("9W")
    pushed = hub.push("federal", pushed_list(41, "ice-ero-sf", [plate]))
    assert pushed.status_code == 200, pushed.text

    def public_since(start: int) -> str:
        page = hub.client.get("/v1/audit/entries", params={"start": start, "limit": 100})
        assert page.status_code == 200, page.text
        return page.text

    def counts() -> dict[str, Any]:
        answer = hub.client.get("/v1/audit/counts")
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    # a read of a plate not on the list, then of the listed plate: withheld, and held
    since, before = hub.size(), counts()
    read_ok(hub.read("ucpd", other))
    read_ok(hub.read("ucpd", plate))
    [(due, held)] = until(hub.log().held, "held entry")
    assert held["list_node"] == "federal" and held["list_owner"] == "ice-ero-sf"
    # the moment of the hit: nothing public moved
    assert hub.size() == since and counts() == before
    # the end of the period: appended with the period's end as its time
    [index] = hub.log().release_held(due)
    [entry] = withheld_from(hub, "federal", since)
    assert entry["log_index"] == index
    assert entry["time"] == period_stamp(due)
    # ... and the public log and counts say how many, of which class: not whose list
    assert "ice-ero-sf" not in public_since(since)
    after = counts()
    assert "ice-ero-sf" not in json.dumps(after)
    assert after["withheld_hits_by_owner"]["ucpd"] == (
        before["withheld_hits_by_owner"].get("ucpd", 0) + 1)
    assert {"read_owner": "ucpd", "list_class": entry["list_class"],
            "count": 1} in after["withheld_hits"]


def test_two_list_owners_of_one_plate_are_each_queued_only_their_own_hit(hub: Hub) -> None:
    """Fremont and Newark each list the same plate, under the same remote list id and
    name: a read of it queues one hit for each node, each naming that node's list, entry
    and agency, and neither node is sent the other's."""
    plate, decoy = new_plate("9T"), new_plate("9T")
    name = "shared-name"
    for node, agency, plates in (("fremont", "fpd", [decoy, plate]), ("newark", "npd", [plate])):
        pushed = hub.push(node, pushed_list(51, agency, plates, name=name))
        assert pushed.status_code == 200, pushed.text
    read_ok(hub.read("ucpd", plate))
    until(lambda: len(hub.outbox()) >= 2, "two queued hits")
    fremont, newark = queued_for(hub, "fremont"), queued_for(hub, "newark")
    assert [(h["list_id"], h["entry_id"], h["agency"]) for h in fremont] == [(51, 2, "fpd")]
    assert [(h["list_id"], h["entry_id"], h["agency"]) for h in newark] == [(51, 1, "npd")]
    assert fremont[0]["hit_id"] != newark[0]["hit_id"]


def test_a_list_cannot_change_agency_between_what_is_decided_and_what_is_sent(
    hub: Hub,
) -> None:
    """A vendor-hosted node answers for Fremont (California) and Las Vegas (Nevada). It
    pushes a list as Las Vegas's, then the next version of it as Fremont's: a hit is
    decided for one agency, and the hit sent must name that agency (or the change of
    agency is refused)."""
    vendor = NodeKey.generate()
    hub.keys["vendor"] = vendor
    NodeRegistry(hub.catalog(), hub.log()).add(
        operator(), "vendor", CLOSED, vendor.public.text(), ["fpd", "lvmpd"]
    )
    plate = new_plate("9V")
    first = hub.push("vendor", pushed_list(12, "lvmpd", [plate], name="vendor-list"))
    assert first.status_code == 200, first.text
    second = hub.push("vendor", pushed_list(12, "fpd", [plate], name="vendor-list", version=2))
    since = hub.size()
    read_ok(hub.read("ucpd", plate))
    until(lambda: withheld_from(hub, "vendor", since) or queued_for(hub, "vendor"),
          "the hit's decision")  # fmt: skip
    if second.status_code != 200:  # the change of agency refused: the list stays Nevada's
        assert 400 <= second.status_code < 500, second.text
        assert queued_for(hub, "vendor") == []
        return
    [sent] = [e for e in hub.entries("alert_delivery", since) if e.get("list_node") == "vendor"]
    [queued] = queued_for(hub, "vendor")
    assert queued["agency"] == sent["agency"] == "fpd"


def test_an_entry_pushed_already_expired_never_matches(hub: Hub) -> None:
    expired, live = new_plate("9E"), new_plate("9E")
    payload = pushed_list(61, "fpd", [expired, live])
    payload["entries"][0]["expires_at"] = int(time.time() * 1000) - 3_600_000
    assert hub.push("fremont", payload).status_code == 200
    since = hub.size()
    read_ok(hub.read("ucpd", expired))
    read_ok(hub.read("ucpd", live))
    [hit] = until(lambda: queued_for(hub, "fremont"), "queued hit")
    assert hit["plate_listed"] == live and hit["entry_id"] == 2
    assert withheld_from(hub, "fremont", since) == []
    assert len([e for e in hub.entries("alert_delivery", since)
                if e.get("list_node") == "fremont"]) == 1  # fmt: skip


@contextmanager
def refusing(hub: Hub, marker: str) -> Iterator[None]:
    """The hub's log refuses every entry holding ``marker`` (a trigger in its own
    database): an append that fails."""
    engine = hub.catalog().engine
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "CREATE TRIGGER refuse_marked BEFORE INSERT ON audit_entries "
            f"WHEN instr(CAST(NEW.entry AS TEXT), '{marker}') > 0 "
            "BEGIN SELECT RAISE(ABORT, 'refused'); END"
        )
    try:
        yield
    finally:
        with engine.begin() as connection:
            connection.exec_driver_sql("DROP TRIGGER refuse_marked")


def test_a_hit_the_data_owner_cannot_log_is_never_queued_for_the_list_owner(hub: Hub) -> None:
    plate = new_plate("9A")
    assert hub.push("fremont", pushed_list(71, "fpd", [plate])).status_code == 200
    now = datetime.now(UTC)
    read = PlateRead(
        read_id=uuid.uuid4(), owner_id=hub.ids["ucpd"], origin_state="CA", camera_id="uc-1",
        ts=now, plate_raw=plate, plate=plate, plate_key=confusion_key(plate), region="CA",
        confidence=0.9, received_at=now, expires_at=now + timedelta(days=1),
    )  # fmt: skip
    service = hub.app.state.hotlist.service
    size = hub.size()
    with refusing(hub, '"type":"alert_delivery"'), pytest.raises(SQLAlchemyError, match="refused"):
        service.process([read])
    assert hub.outbox() == [] and hub.size() == size
    report = service.process([read])  # once the log takes it, the hit goes out, logged
    assert report.delivered == 1
    [queued] = queued_for(hub, "fremont")
    log = hub.log()
    [index] = [r.index for r in log.entries(size, log.size() - size)
               if r.entry.get("hit_id") == queued["hit_id"]]  # fmt: skip
    assert queued["audit_index"] == index


# --- malformed and oversized lists -----------------------------------------------------------


def test_a_list_of_an_unknown_file_type_cannot_stop_the_owners_cameras(hub: Hub) -> None:
    plate, own = new_plate("9F"), new_plate("9F")
    headers = hub.bearer()
    made = hub.client.post("/v1/hotlists", headers=headers, json={
        "name": "uc-stolen", "source": "UCPD", "category": "stolen_vehicle",
        "entries": [{"plate": own, "reason": "stolen", "case_number": "UC-1"}],
    })  # fmt: skip
    assert made.status_code == 201, made.text
    # a spelling a local import would read as `ncic_stolen_vehicle`
    pushed = hub.push("fremont", pushed_list(81, "fpd", [plate], file_type="NCIC Stolen Vehicle"))
    assert pushed.status_code in (200, 422), pushed.text
    since = hub.size()
    response = hub.client.post("/v1/reads", headers={"X-API-Key": hub.camera_keys["ucpd"]},
                               json=[{"camera_id": "uc-1", "ts": int(time.time() * 1000),
                                      "plate": p, "confidence": 0.9, "region": "CA"}
                                     for p in (plate, own)])  # fmt: skip
    assert response.status_code == 200, response.text
    assert len(response.json()["accepted"]) == 2
    until(lambda: [e for e in hub.entries("alert_delivery", since)
                   if e["list_id"] == made.json()["list_id"]], "Union City's own hit")  # fmt: skip


@pytest.mark.parametrize("expires_at", [10**20, 10**400], ids=["1e20", "1e400"])
def test_an_expiry_out_of_any_calendar_is_a_422(hub: Hub, expires_at: int) -> None:
    payload = pushed_list(91, "fpd", [new_plate("9X")])
    payload["entries"][0]["expires_at"] = expires_at
    size = hub.size()
    response = hub.push("fremont", payload)
    assert response.status_code == 422, response.text
    assert hub.held("fremont", 91) is None and hub.size() == size


def test_an_expiry_past_year_9999_is_refused_and_nothing_stored(hub: Hub) -> None:
    """The control of the test above: an expiry the calendar cannot hold but the platform's
    clock can is a ValueError, refused as an invalid entry."""
    payload = pushed_list(92, "fpd", [new_plate("9X")])
    payload["entries"][0]["expires_at"] = 10**16
    size = hub.size()
    response = hub.push("fremont", payload)
    assert (response.status_code, response.json()["error"]["code"]) == (422, "invalid_entry")
    assert hub.held("fremont", 92) is None and hub.size() == size


def agency_entries(hub: Hub, agency: str) -> int:
    with hub.catalog().engine.connect() as conn:
        return len(list(conn.execute(
            select(hotlist_entries.c.id).join(hotlists, hotlists.c.id == hotlist_entries.c.list_id)
            .where(hotlists.c.owner_id == hub.ids[agency]))))  # fmt: skip


def test_a_partners_lists_are_held_to_the_agencys_entry_cap(hub: Hub) -> None:
    plates = [f"9M{n:05d}" for n in range(MAX_ENTRIES + 5)]
    size = hub.size()
    response = hub.push("fremont", pushed_list(95, "fpd", plates))
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "list_too_large"
    assert hub.held("fremont", 95) is None and hub.size() == size
    assert agency_entries(hub, "fpd") == 0


def test_a_list_larger_than_the_body_limit_is_refused_unread(hub: Hub) -> None:
    reason = "stolen pickup, " + "x" * 480
    payload = pushed_list(96, "fpd", [f"9B{n:05d}" for n in range(MAX_ENTRIES - 5)])
    for entry in payload["entries"]:
        entry["reason"] = reason
    raw = json.dumps(payload).encode()
    assert len(raw) > MAX_BODY
    size = hub.size()
    response = hub.push("fremont", raw)
    assert response.status_code == 413, response.text
    assert response.json()["error"]["code"] == "body_too_large"
    assert hub.held("fremont", 96) is None and hub.size() == size


# --- the list owner's side -------------------------------------------------------------------


def ucpd_shared_list(hub: Hub, plate: str) -> tuple[int, int]:
    """A Union City list of ``plate`` shared with Fremont's node: its id and entry's."""
    headers = hub.bearer()
    made = hub.client.post("/v1/hotlists", headers=headers, json={
        "name": f"uc-{uuid.uuid4().hex[:6]}", "source": "UCPD", "category": "stolen_vehicle",
        "entries": [{"plate": plate, "reason": "stolen", "case_number": "UC-1"}],
    })  # fmt: skip
    assert made.status_code == 201, made.text
    list_id = int(made.json()["list_id"])
    shared = hub.client.post(f"/v1/hotlists/{list_id}/shares", headers=headers,
                             json={"node": "fremont"})  # fmt: skip
    assert shared.status_code == 201, shared.text
    entries = hub.client.get(f"/v1/hotlists/{list_id}/entries", headers=headers)
    assert entries.status_code == 200, entries.text
    listed = entries.json()
    rows = listed["entries"] if isinstance(listed, dict) else listed
    return list_id, int(rows[0]["id"])


def delivered_hit(list_id: int, entry_id: int, plate: str, moment: datetime) -> dict[str, Any]:
    """A hit on Union City's shared list, as Fremont's node (reading for ``fpd``) sends it."""
    return {
        "hit_id": str(uuid.uuid4()), "list_id": list_id, "entry_id": entry_id,
        "agency": "ucpd", "read_owner": "fpd", "created_at": moment.isoformat(),
        "category": "stolen_vehicle", "match_kind": "exact", "plate_listed": plate,
        "read": {"read_id": str(uuid.uuid4()), "camera_id": "fr-9", "ts": moment.isoformat(),
                 "plate": plate, "region": "CA"},
        "policy_ids": [], "audit_index": 3,
    }  # fmt: skip


def stored_hits(hub: Hub, hit_id: str) -> list[Any]:
    with hub.catalog().engine.connect() as conn:
        return list(conn.execute(select(hotlist_hits).where(hotlist_hits.c.hit_id == hit_id)))


def test_a_hit_on_an_entry_expired_before_the_read_is_refused(hub: Hub) -> None:
    plate = new_plate("9H")
    list_id, entry_id = ucpd_shared_list(hub, plate)
    expired = hub.client.post(f"/v1/hotlists/{list_id}/entries/{entry_id}/expire",
                              headers=hub.bearer(), json={})  # fmt: skip
    assert expired.status_code == 200, expired.text
    sent = delivered_hit(list_id, entry_id, plate, datetime.now(UTC) + timedelta(seconds=1))
    response = hub.ask("fremont", sent, HITS_PATH)
    assert response.status_code in (404, 409, 422), response.text
    assert stored_hits(hub, sent["hit_id"]) == []
