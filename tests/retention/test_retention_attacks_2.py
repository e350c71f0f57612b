"""Nothing derived from a read outlives its clock: once a read's retention clock has run
out, and no legal hold keeps it, its row, its candidate plates and details, its plate and
overview images, its plates in the fuzzy dictionary, a hot-list hit that copies it and a
quarantined item that holds it can no longer be found or shown — whether the clock was
shortened after the read was stored, a purge failed half way, or the cutoff is written in
another time zone. A hold keeps exactly what it selects of its own agency's reads, until
it ends; a law that forbids keeping non-hits (New Hampshire) keeps nothing of one.

Time passes as in the other retention tests: reads are made old (``minutes_ago``) and the
purge, the hold store and the hit store are given the moment they run at."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, func, select

from plateledger.api.app import create_app
from plateledger.audit import AuditLog
from plateledger.catalog import open_catalog
from plateledger.catalog.passwords import FAST
from plateledger.catalog.quarantine import NewItem, add_items
from plateledger.hotlist import HitStore
from plateledger.hotlist import create_tables as create_hotlist_tables
from plateledger.hotlist.alert import Alert, AlertRead
from plateledger.hotlist.schema import hotlist_hits
from plateledger.plates import confusion_key
from plateledger.read import PlateRead, ReadSubmission
from plateledger.retention import (
    HoldStore,
    LegalHold,
    ReadSelection,
    RetentionPolicy,
    effective_policy,
    expiry_for,
    purge,
)
from plateledger.search import Filters, OwnerLimit, Scope, search_exact, search_fuzzy
from plateledger.search.held import held_scope, search_held
from plateledger.settings import Settings
from plateledger.store import ReadStore
from plateledger.store.candidates import (
    CANDIDATES,
    DETAILS,
    Candidate,
    Extras,
    StoredRead,
    add_extras,
    candidates_of,
    details_of,
)
from plateledger.store.engine import StoreError
from plateledger.store.held import HELD_READS
from plateledger.store.images import ImageStore

OWNERS = Scope({1: OwnerLimit(), 2: OwnerLimit()})
DAY = 24 * 60
JPEG = b"\xff\xd8\xff\xe0" + b"crop" * 40
KINDS = ("plate", "overview")
FORMATS = Path(__file__).resolve().parents[3] / "shared" / "formats"
ALPRD = {"Accept": "application/json", "Content-Type": "application/json", "charsets": "utf-8"}
PASSWORD = "correct horse battery staple"


# -- what is left of a read, wherever it may be ----------------------------------------


@pytest.fixture
def images(tmp_path: Path) -> ImageStore:
    return ImageStore(tmp_path / "images")


def _make(plate: str, now: datetime, *, minutes_ago: float, keep_days: float = 30,
          owner: int = 1, **fields: object) -> PlateRead:
    ts = now - timedelta(minutes=minutes_ago)
    sub = ReadSubmission.model_validate(
        {"camera_id": "cam-1", "ts": ts, "plate": plate, "confidence": 0.9,
         "lat": 37.59, "lon": -122.04, **fields})
    return PlateRead.from_submission(sub, owner_id=owner, origin_state="CA", received_at=now,
                                     expires_at=ts + timedelta(days=keep_days))


def _pictured(images: ImageStore, read: PlateRead) -> PlateRead:
    """``read`` with a plate crop and a frame the server stored under its id."""
    refs = {kind: images.put(read.read_id, kind, JPEG) for kind in KINDS}
    return read.model_copy(update={"images": read.images.model_copy(update=refs)})


def _with_extras(store: ReadStore, read: PlateRead, *candidates: str) -> None:
    """The read's own plate as its first candidate, then ``candidates``, and a box."""
    listed = (read.plate, *candidates)
    add_extras(store.engine, [(
        StoredRead(read.read_id, read.owner_id, read.plate, read.expires_at),
        Extras(candidates=tuple(Candidate(p, confusion_key(p), 0.9 - 0.1 * i)
                                for i, p in enumerate(listed)),
               box=(1, 2, 3, 4), image_width=1920, image_height=1080),
    )])


def _ids(store: ReadStore, table: str) -> set[str]:
    rows = store.query(f"SELECT DISTINCT toString(read_id) AS id FROM {{db}}.{table}")
    return {str(i) for i in rows.column("id").to_pylist()}


def _dictionary(store: ReadStore, *plates: str) -> set[str]:
    """Which of ``plates`` the plate dictionary still names (plates or variants)."""
    rows = store.query(
        "SELECT plate FROM {db}.plates WHERE plate IN {p:Array(String)} UNION DISTINCT "
        "SELECT plate FROM {db}.plate_variants WHERE plate IN {p:Array(String)}",
        {"p": list(plates)},
    )
    return {str(p) for p in rows.column("plate").to_pylist()}


def _on_disk(images: ImageStore, *reads: PlateRead) -> set[str]:
    return {f"{r.read_id}.{kind}" for r in reads for kind in KINDS
            if images.get(images.ref(r.read_id, kind)) is not None}


def _found(store: ReadStore, *plates: str) -> set[uuid.UUID]:
    """The reads an exact or fuzzy search for any of ``plates`` returns."""
    found: set[uuid.UUID] = set()
    for plate in plates:
        found |= {r.read_id for r in search_exact(store, plate, OWNERS, Filters()).results}
        found |= {r.read_id for r in search_fuzzy(store, plate, OWNERS, Filters()).results}
    return found


def _hold(selection: ReadSelection, now: datetime, *, owner: int = 1) -> LegalHold:
    return LegalHold(case_number="26-004411", reason="preservation order, superior court",
                     approver="sgt-17", owner_agency=owner, selection=selection,
                     expires_at=now + timedelta(days=90))


# -- a clock shortened after the reads were stored --------------------------------------


def test_a_clock_shortened_after_ingest_leaves_nothing_of_the_read_anywhere(
    reads: ReadStore, audit_log: AuditLog, images: ImageStore
) -> None:
    """Reads stamped for 30 days (a non-hit) and a year (a hit), whose owner's clocks are
    now one day: the next purge takes the rows, the candidates and details, both images and
    every plate the reads alone named in the dictionary."""
    now = datetime.now(UTC)
    non_hit = _pictured(images, _make("6CUT001", now, minutes_ago=2 * DAY, owner=2))
    hit = _pictured(images, _make("6CUT002", now, minutes_ago=2 * DAY, owner=2,
                                  keep_days=365)).model_copy(update={"hit": True})
    live = _pictured(images, _make("6LIV001", now, minutes_ago=60, owner=1))
    reads.insert_reads([non_hit, hit, live])
    _with_extras(reads, non_hit, "6CVT001")
    _with_extras(reads, hit, "6CVT002")
    _with_extras(reads, live, "6L1V001")

    purge(reads, now, {2: RetentionPolicy.days(1, hit=1)}, [], audit_log, images)

    gone = {str(non_hit.read_id), str(hit.read_id)}
    assert _ids(reads, "reads") == {str(live.read_id)}
    assert not gone & (_ids(reads, CANDIDATES) | _ids(reads, DETAILS))
    assert _on_disk(images, non_hit, hit) == set()
    assert _dictionary(reads, "6CUT001", "6CUT002", "6CVT001", "6CVT002") == set()
    assert _found(reads, "6CUT001", "6CVT001", "6CUT002", "6CVT002") == set()
    assert _on_disk(images, live) == {f"{live.read_id}.{k}" for k in KINDS}
    assert _dictionary(reads, "6LIV001", "6L1V001") == {"6LIV001", "6L1V001"}


# -- legal holds: exactly what they select, of their own agency, until they end ---------


def test_a_hold_on_one_agencys_reads_keeps_nothing_of_another_agencys(
    reads: ReadStore, holds: HoldStore, audit_log: AuditLog, images: ImageStore
) -> None:
    """Agency 1 holds its reads of a plate, and names in its hold the id of agency 2's read
    of another plate: agency 2's reads of both plates go whole — rows, candidates, details,
    images and dictionary entries — and the hold's case sees agency 1's read alone."""
    now = datetime.now(UTC)
    ours = _pictured(images, _make("6SHD001", now, minutes_ago=300, keep_days=0.1, owner=1))
    same_plate = _pictured(images, _make("6SHD001", now, minutes_ago=301, keep_days=0.1,
                                         owner=2))
    named = _pictured(images, _make("6NMD001", now, minutes_ago=302, keep_days=0.1, owner=2))
    reads.insert_reads([ours, same_plate, named])
    _with_extras(reads, same_plate, "6SHC001")
    _with_extras(reads, named, "6NMC001")
    hold = holds.place(_hold(ReadSelection(plates=("6SHD001",), read_ids=(named.read_id,)),
                             now), placed_by="sgt-17", now=now)

    purge(reads, now, {}, holds.active(now), audit_log, images)

    assert _ids(reads, "reads") == set()
    assert _ids(reads, HELD_READS) == {str(ours.read_id)}
    theirs = {str(same_plate.read_id), str(named.read_id)}
    assert not theirs & (_ids(reads, CANDIDATES) | _ids(reads, DETAILS))
    assert _on_disk(images, same_plate, named) == set()
    assert _on_disk(images, ours) == {f"{ours.read_id}.{k}" for k in KINDS}
    assert _dictionary(reads, "6SHC001", "6NMD001", "6NMC001") == set()
    page = search_held(reads, held_scope(reads, [hold.hold_id]), Filters())
    assert [r.read_id for r in page.results] == [ours.read_id]


def test_a_hold_keeps_its_read_whole_until_it_is_lifted(
    reads: ReadStore, holds: HoldStore, audit_log: AuditLog, images: ImageStore
) -> None:
    """While the hold stands, its read is kept with its candidates, details and images
    however many purges run; the first purge after it is lifted takes all of them."""
    now = datetime.now(UTC)
    held = _pictured(images, _make("6HLD001", now, minutes_ago=300, keep_days=0.1))
    reads.insert_reads([held])
    _with_extras(reads, held, "6HCD001")
    hold = holds.place(_hold(ReadSelection(plates=("6HLD001",)), now), placed_by="sgt-17",
                       now=now)
    for _ in range(2):
        purge(reads, now, {}, holds.active(now), audit_log, images)
        assert _ids(reads, HELD_READS) == {str(held.read_id)}
        assert str(held.read_id) in _ids(reads, CANDIDATES) & _ids(reads, DETAILS)
        assert _on_disk(images, held) == {f"{held.read_id}.{k}" for k in KINDS}
    scope = held_scope(reads, [hold.hold_id])
    assert [r.read_id for r in search_held(reads, scope, Filters(), plate="6HCD001").results
            ] == [held.read_id]

    holds.release(hold.hold_id, released_by="sgt-17", reason="case closed", now=now)
    purge(reads, now, {}, holds.active(now), audit_log, images)

    assert _ids(reads, HELD_READS) == set()
    assert str(held.read_id) not in _ids(reads, CANDIDATES) | _ids(reads, DETAILS)
    assert _on_disk(images, held) == set()
    assert search_held(reads, scope, Filters()).total == 0


def test_a_lifted_holds_plates_leave_the_dictionary_with_its_copy(
    reads: ReadStore, holds: HoldStore, audit_log: AuditLog
) -> None:
    now = datetime.now(UTC)
    held = _make("6HLD002", now, minutes_ago=300, keep_days=0.1)
    reads.insert_reads([held])
    _with_extras(reads, held, "6HCD002")
    hold = holds.place(_hold(ReadSelection(plates=("6HLD002",)), now), placed_by="sgt-17",
                       now=now)
    purge(reads, now, {}, holds.active(now), audit_log)
    holds.release(hold.hold_id, released_by="sgt-17", reason="case closed", now=now)
    purge(reads, now, {}, holds.active(now), audit_log)

    assert _ids(reads, HELD_READS) == set() and _ids(reads, CANDIDATES) == set()
    assert _dictionary(reads, "6HLD002", "6HCD002") == set()


# -- New Hampshire: nothing of a non-hit --------------------------------------------------


def test_a_new_hampshire_non_hit_that_reaches_the_store_leaves_nothing_at_all(
    reads: ReadStore, audit_log: AuditLog, images: ImageStore
) -> None:
    """A non-hit a bulk import wrote anyway (stamped to expire on receipt, as the docs ask),
    with candidates, details and images: no search, candidate or detail shows any of it
    before the purge, and after it nothing is left — not even in the dictionary."""
    now = datetime.now(UTC)
    nh = effective_policy(["NH"], None)
    read = _pictured(images, _make("3NHN001", now, minutes_ago=0.5, owner=2))
    read = read.model_copy(update={"expires_at": expiry_for(read.ts, False, nh,
                                                            received_at=now)})
    reads.insert_reads([read])
    _with_extras(reads, read, "3NHC001")

    assert _found(reads, "3NHN001", "3NHC001") == set()
    assert candidates_of(reads.engine, read.read_id) == []
    assert details_of(reads.engine, read.read_id) is None

    purge(reads, now, {2: nh}, [], audit_log, images)

    assert _ids(reads, "reads") | _ids(reads, CANDIDATES) | _ids(reads, DETAILS) == set()
    assert _on_disk(images, read) == set()
    assert _dictionary(reads, "3NHN001", "3NHC001") == set()


# -- a purge that fails half way ----------------------------------------------------------


class RefusingEngine:
    """The store's own ClickHouse, which refuses the first statement naming ``refused``
    (a server that fails half way through a purge)."""

    def __init__(self, engine: Any, refused: str) -> None:
        self._engine = engine
        self.database: str = engine.database
        self._refused: str | None = refused

    def command(self, sql: str) -> None:
        if self._refused is not None and self._refused in sql:
            self._refused = None
            raise StoreError(f"refused: {sql[:60]}")
        self._engine.command(sql)

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> pa.Table:
        return self._engine.query(sql, params)

    def insert_arrow(self, table: str, data: pa.Table) -> None:
        self._engine.insert_arrow(table, data)

    def close(self) -> None:
        """The store's own engine stays open: the fixture closes it."""


def _expired_with_everything(reads: ReadStore, images: ImageStore, now: datetime,
                             plate: str, candidate: str) -> PlateRead:
    read = _pictured(images, _make(plate, now, minutes_ago=300, keep_days=0.1))
    reads.insert_reads([read])
    _with_extras(reads, read, candidate)
    return read


@pytest.mark.parametrize(("refused", "neighbour"), [
    (f"{CANDIDATES} DELETE", True),  # the extras
    ("DROP PARTITION", False),  # a wholly expired partition
    (".reads DELETE", True),  # the rows of a partly expired one
    ("plate_variants DELETE", True),  # the dictionary
])
def test_an_expired_read_stays_out_of_every_answer_when_the_purge_fails_half_way(
    reads: ReadStore, audit_log: AuditLog, images: ImageStore, refused: str, neighbour: bool
) -> None:
    """Fail closed: whichever step of the purge fails, no search, candidate list or detail
    shows the expired read, and the next purge that runs through deletes its row, its
    extras and its images."""
    now = datetime.now(UTC)
    read = _expired_with_everything(reads, images, now, "6FLD001", "6FLC001")
    if neighbour:  # a live read in the same partition: the expired row is deleted in place
        reads.insert_reads([_make("6LIV002", now, minutes_ago=290)])
    failing = ReadStore(RefusingEngine(reads.engine, refused))
    with pytest.raises(StoreError):
        purge(failing, now, {}, [], audit_log, images)

    assert _found(reads, "6FLD001", "6FLC001") == set()
    assert candidates_of(reads.engine, read.read_id) == []
    assert details_of(reads.engine, read.read_id) is None

    purge(reads, now, {}, [], audit_log, images)
    assert str(read.read_id) not in (_ids(reads, "reads") | _ids(reads, CANDIDATES)
                                     | _ids(reads, DETAILS))
    assert _on_disk(images, read) == set()


def test_a_purge_that_fails_before_pruning_the_dictionary_is_finished_by_the_next(
    reads: ReadStore, audit_log: AuditLog, images: ImageStore
) -> None:
    now = datetime.now(UTC)
    _expired_with_everything(reads, images, now, "6FLD002", "6FLC002")
    failing = ReadStore(RefusingEngine(reads.engine, "plate_variants DELETE"))
    with pytest.raises(StoreError):
        purge(failing, now, {}, [], audit_log, images)
    purge(reads, now, {}, [], audit_log, images)

    assert _ids(reads, "reads") == set()
    assert _dictionary(reads, "6FLD002", "6FLC002") == set()


# -- the clock's edge, in any time zone ---------------------------------------------------


def test_the_clock_edge_is_the_same_instant_whatever_zone_the_cutoff_and_hold_are_in(
    reads: ReadStore, holds: HoldStore, audit_log: AuditLog
) -> None:
    """Maine keeps non-hits 21 days. Reads stamped for a year, whose clock is now 21 days:
    one 21 days old to the millisecond is expired, one a second younger is not. The cutoff
    is given in Los Angeles time and a hold's window in Kolkata and St John's time (half-hour
    offsets): the hold keeps the one read in its window, and nothing else is kept."""
    now = datetime.now(UTC)
    now = now.replace(microsecond=now.microsecond // 1000 * 1000)  # reads keep milliseconds
    clock = effective_policy(["ME"], None)
    assert clock.non_hit == timedelta(days=21)
    edge = 21 * DAY
    older, held, at_edge, younger = (
        _make(f"4ME{n:04d}", now, minutes_ago=edge + offset, keep_days=365)
        for n, offset in ((1, 2 / 60), (2, 1 / 60), (3, 0), (4, -1 / 60))
    )
    assert now - at_edge.ts == timedelta(days=21) and now - younger.ts < timedelta(days=21)
    reads.insert_reads([older, held, at_edge, younger])
    selection = ReadSelection(since=held.ts.astimezone(ZoneInfo("Asia/Kolkata")),
                              until=held.ts.astimezone(ZoneInfo("America/St_Johns")))
    hold = holds.place(_hold(selection, now), placed_by="sgt-17", now=now)

    purge(reads, now.astimezone(ZoneInfo("America/Los_Angeles")), {1: clock},
          holds.active(now), audit_log)

    assert _ids(reads, "reads") == {str(younger.read_id)}
    page = search_held(reads, held_scope(reads, [hold.hold_id]), Filters())
    assert [r.read_id for r in page.results] == [held.read_id]


def test_a_clock_counts_elapsed_time_across_a_daylight_saving_change() -> None:
    """Maine's 21 days are 21 days of elapsed time, however the read time is written: a
    read made in New York ten days before clocks go back, given in New York time, expires
    at the same instant as the same read given in UTC (for a bulk import that stamps its
    reads itself, as the docs ask)."""
    clock = effective_policy(["ME"], None)
    local = datetime(2026, 10, 22, 12, 0, tzinfo=ZoneInfo("America/New_York"))
    utc = local.astimezone(UTC)
    assert expiry_for(utc, False, clock) == utc + timedelta(days=21)
    assert expiry_for(local, False, clock).astimezone(UTC) == utc + timedelta(days=21)


# -- hot-list hits ------------------------------------------------------------------------


@pytest.fixture
def catalog_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = create_engine(f"sqlite:///{tmp_path / 'hits.sqlite'}")
    create_hotlist_tables(engine)
    yield engine
    engine.dispose()


def _alert(read: PlateRead, created_at: datetime) -> Alert:
    return Alert(
        hit_id=str(uuid.uuid4()), created_at=created_at, list_id=1, list_owner_id=read.owner_id,
        entry_id=1, category="stolen_vehicle", match_kind="exact", plate_listed=read.plate,
        region_listed="CA", region_mismatch=False, priority=1, reason="stolen",
        case_number="26-004411",
        read=AlertRead(read_id=str(read.read_id), owner_id=read.owner_id,
                       camera_id=read.camera_id, ts=read.ts, plate=read.plate,
                       region="CA", lat=read.lat, lon=read.lon),
    )


# -- the server: its retention run and its quarantine -------------------------------------


@pytest.fixture
def server(tmp_path: Path, store_path: Path) -> Iterator[tuple[TestClient, int, str]]:
    """The real app over a catalog with one California agency (60-day clock), its admin, a
    camera and an API key in quarantine mode: the client, the agency's id and the key."""
    settings = Settings(data_dir=tmp_path / "data", store_path=store_path,
                        secret_key="k" * 32, require_totp=True)
    catalog = open_catalog(settings, password_hasher=FAST)
    try:
        agency = catalog.add_agency("Union City PD", "ucpd", "municipal", "CA",
                                    retention_nonhit_days=60)
        catalog.add_user(agency.id, "ucpd-admin", PASSWORD, ["admin"])
        catalog.add_camera("ucpd-lot-north-1", agency.id, lat=37.59, lon=-122.02)
        key = catalog.issue_api_key(agency.id, label="lot north bridge")
    finally:
        catalog.close()
    with TestClient(create_app(settings)) as client:
        yield client, agency.id, key


def _admin(client: TestClient) -> dict[str, str]:
    answer = client.post("/v1/auth/token", json={"username": "ucpd-admin",
                                                  "password": PASSWORD, "totp": None})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def _quarantine_on(client: TestClient, admin: dict[str, str], key: str) -> None:
    answer = client.put(f"/v1/admin/quarantine/credentials/api_key/{key.split('_')[1]}",
                        json={"enabled": True}, headers=admin)
    assert answer.status_code == 204, answer.text


def test_the_servers_retention_run_deletes_hits_past_their_clock(
    server: tuple[TestClient, int, str]
) -> None:
    client, agency, _ = server
    state: Any = client.app.state  # type: ignore[attr-defined]
    now = datetime.now(UTC)
    read = _make("7HIT002", now, minutes_ago=400 * DAY, owner=agency, keep_days=365)
    hits: HitStore = state.hotlist.hits
    with hits.engine.begin() as conn:
        hits.insert(conn, [(_alert(read.model_copy(update={"hit": True}),
                                now - timedelta(days=400)), ["pol-1"])])
    assert hits.list_hits(agency, now=now) == []  # never shown: past its clock

    state.retention.run_once()

    with hits.engine.connect() as conn:
        left = conn.execute(select(func.count()).select_from(hotlist_hits)).scalar()
    assert left == 0


def test_a_hit_is_not_listed_after_its_reads_hit_clock_runs_out(
    tmp_path: Path, store_path: Path
) -> None:
    """The owner keeps hits 30 days. A read ten days old hits a list now; 25 days later its
    clock has run out (the purge has deleted the read) and the hit that copies it is not
    listed any more, nor kept by the server's next retention run."""
    settings = Settings(data_dir=tmp_path / "data", store_path=store_path,
                        secret_key="k" * 32, require_totp=True)
    catalog = open_catalog(settings, password_hasher=FAST)
    try:
        agency = catalog.add_agency("Union City PD", "ucpd", "municipal", "CA",
                                    retention_nonhit_days=30, retention_hit_days=30)
    finally:
        catalog.close()
    now = datetime.now(UTC)
    read = _make("7HIT001", now, minutes_ago=10 * DAY, owner=agency.id)
    with TestClient(create_app(settings)) as client:
        state: Any = client.app.state  # type: ignore[attr-defined]
        hits: HitStore = state.hotlist.hits
        with hits.engine.begin() as conn:
            hits.insert(conn, [(_alert(read.model_copy(update={"hit": True}), now), ["p"])])
        later = now + timedelta(days=25)
        assert [h.read.plate for h in hits.list_hits(agency.id, now=now)] == ["7HIT001"]
        assert hits.list_hits(agency.id, now=later) == []
        state.retention.run_once(later)
        with hits.engine.connect() as conn:
            left = conn.execute(select(func.count()).select_from(hotlist_hits)).scalar()
        assert left == 0


def _old_item(client: TestClient, agency: int, key: str, received: datetime) -> int:
    """An item kept at ``received``: a read made then, sent with its camera named."""
    body = json.loads((FORMATS / "openalpr_alprd_post.json").read_text())
    body["epoch_time"] = int(received.timestamp() * 1000)
    item = NewItem(format="openalpr", content_type="application/json",
                   camera_hint="ucpd-lot-north-1", item_index=0, raw=json.dumps(body),
                   reasons=["the read store could not take this read"])
    log: AuditLog = client.app.state.audit_log  # type: ignore[attr-defined]
    with log.engine.begin() as conn:
        [item_id] = add_items(conn, agency_id=agency, credential_kind="api_key",
                              credential_prefix=key.split("_")[1], items=[item], now=received)
    return int(item_id)


def test_a_quarantined_item_past_the_clock_is_not_shown_by_its_discard(
    server: tuple[TestClient, int, str]
) -> None:
    """Union City keeps reads without a hit 60 days; an item received 61 days ago, never
    listed since, is gone for every route — a discard names no such item."""
    client, agency, key = server
    item_id = _old_item(client, agency, key, datetime.now(UTC) - timedelta(days=61))
    answer = client.post(f"/v1/admin/quarantine/{item_id}/discard", headers=_admin(client))
    assert answer.status_code == 404, answer.text


def test_a_quarantined_item_past_the_clock_is_not_replayed(
    server: tuple[TestClient, int, str]
) -> None:
    """Nor is it replayed into the store: the read it holds stays unsearchable."""
    client, agency, key = server
    item_id = _old_item(client, agency, key, datetime.now(UTC) - timedelta(days=61))
    admin = _admin(client)
    answer = client.post(f"/v1/admin/quarantine/{item_id}/replay", headers=admin)
    assert answer.status_code in (404, 422), answer.text
    store: ReadStore = client.app.state.store  # type: ignore[attr-defined]
    stored = store.query("SELECT count() AS n FROM {db}.reads WHERE plate = 'YG9X2G'")
    assert stored.column("n")[0].as_py() == 0
