"""A withheld hit is recorded at once and published at the end of its period.

A list's owner must not learn from the read owner's public log when its plate was seen:
each withheld hit is written, in the batch's transaction, to the held entries and
appended with its period's others at the period's end, with that time, in an order set
by content (docs/audit.md, *What denied data may and may not change*). Each test below
tries to read a hit's moment, or to lose or double a held entry.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import rfc8785
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import OperationalError

from plateledger.audit import AuditLog, EntryError, NoteSigner, new_entry
from plateledger.audit.entry import canonical_entry
from plateledger.audit.hashing import leaf_hash
from plateledger.audit.log import release_time
from plateledger.hotlist import HitService, HitStore, HotlistIndex, HotlistRuntime, HotlistStore
from plateledger.hotlist.schema import create_tables
from plateledger.hotlist.withheld import WithheldRelease
from tests.factories import make_read, period_stamp
from tests.hotlist.conftest import ICE, OAKLAND, RENO, SLUGS, RecordingGate

DAY = timedelta(days=1)


def held_service(engine: Engine, audit: AuditLog, gate: RecordingGate,
                 period: timedelta = timedelta(days=1)) -> tuple[HitService, HotlistStore]:
    store = HotlistStore(engine)
    index = HotlistIndex()
    index.follow(store)
    service = HitService(index, store, HitStore(engine), gate, audit, withheld_period=period,
                         agency_name=lambda agency: SLUGS.get(agency, str(agency)))
    return service, store


def test_a_withheld_hit_appends_nothing_until_its_period_ends(
    service: HitService, hotlists: HotlistStore, audit: AuditLog
) -> None:
    hotlists.import_list(ICE, "ero", "NCIC IVF", "immigration_violator", [{"plate": "7ABC123"}])
    size = audit.size()
    report = service.process([make_read("7ABC123", owner=OAKLAND)])
    assert report.denied == 1 and report.withheld_until is not None
    assert audit.size() == size  # the log does not move when the hit happens
    assert [(due, entry["list_owner"]) for due, entry in audit.held()] == [
        (report.withheld_until, "ice-ero")
    ]
    assert audit.release_held(report.withheld_until - timedelta(milliseconds=1)) == []
    [index] = audit.release_held(report.withheld_until)
    entry = audit.entry(index).entry
    assert entry["time"] == period_stamp(report.withheld_until)  # within its period's day
    assert audit.held() == [] and audit.release_held(report.withheld_until) == []


def test_a_day_ends_at_utc_midnight_and_a_period_at_a_multiple_of_itself() -> None:
    day, daily = datetime(2026, 12, 8, tzinfo=UTC), timedelta(days=1)
    assert release_time(datetime(2026, 12, 7, 15, 3, 9, tzinfo=UTC), daily) == day
    assert release_time(datetime(2026, 12, 7, 23, 59, 59, 999000, tzinfo=UTC), daily) == day
    assert release_time(day, daily) == day + daily  # midnight opens the next day
    assert release_time(datetime(2026, 12, 7, 15, 3, tzinfo=UTC), timedelta(hours=1)) == (
        datetime(2026, 12, 7, 16, tzinfo=UTC))
    with pytest.raises(ValueError, match="positive"):
        release_time(day, timedelta(0))


def released_in_order(tmp_path: Path, gate: RecordingGate, first: str, second: str
                      ) -> list[dict[str, Any]]:
    """Two withheld hits, read in the order given, published: the entries as appended."""
    tmp_path.mkdir()
    engine = create_engine(f"sqlite:///{tmp_path / 'catalog.sqlite'}")
    create_tables(engine)
    audit = AuditLog(engine, signer=NoteSigner.load_or_create(tmp_path / "keys", "t/held"))
    audit.create_tables()
    service, store = held_service(engine, audit, gate)
    store.import_list(ICE, "ero", "NCIC IVF", "immigration_violator", [{"plate": "7ICE123"}])
    store.import_list(RENO, "reno", "local", "stolen_vehicle", [{"plate": "7REN123"}])
    for plate in (first, second):
        assert service.process([make_read(plate, owner=OAKLAND)]).denied == 1
    indexes = audit.release_held(datetime(2100, 1, 1, tzinfo=UTC))
    entries = [audit.entry(i).entry for i in indexes]
    engine.dispose()
    return entries


def held_form(entry: dict[str, Any]) -> bytes:
    """An appended entry as it was held (its content, without time and position)."""
    return rfc8785.dumps({k: v for k, v in entry.items() if k not in ("time", "log_index")})


def test_the_order_of_a_periods_entries_does_not_tell_which_hit_came_first(
    tmp_path: Path, gate: RecordingGate
) -> None:
    """Each entry carries a random ``hit_id``: a period's entries are appended in the
    order of their content, whichever hit came first."""
    for first, second in (("7ICE123", "7REN123"), ("7REN123", "7ICE123")):
        entries = released_in_order(tmp_path / first, gate, first, second)
        assert len(entries) == 2
        assert [held_form(e) for e in entries] == sorted(held_form(e) for e in entries)
        assert {e["list_owner"] for e in entries} == {"ice-ero", "reno-pd"}
        assert entries[0]["time"] == entries[1]["time"]


def test_a_hold_that_waits_for_the_writer_past_its_period_joins_the_next(
    engine: Engine, audit: AuditLog, tmp_path: Path
) -> None:
    """A hold reads its period under the log's writer lock, never before it: one that
    waited for another writer (a release, say) until its period had ended is due at the
    end of the next, not appended alone, later, as its period's straggler."""
    period = timedelta(milliseconds=400)
    other = AuditLog(engine, signer=NoteSigner.load_or_create(tmp_path / "w", "t/held"))
    found: list[datetime] = []
    with engine.begin() as conn:  # another writer holds the log ...
        other.append_many([new_entry("search", n=1)], connection=conn)
        started = datetime.now(UTC)
        holder = threading.Thread(target=lambda: found.append(audit.append_and_hold(
            [], [new_entry("alert_withheld", read_owner="a")], period)[1]))
        holder.start()
        time.sleep(0.1)
        assert holder.is_alive()  # ... so the hold waits
        ended = release_time(started, period)
        while datetime.now(UTC) <= ended + timedelta(milliseconds=50):
            time.sleep(0.02)
    holder.join()
    assert found and found[0] > ended  # the period it started in had ended: the next one
    assert audit.release_held(ended) == [] and len(audit.release_held(found[0])) == 1


def test_each_held_entry_is_appended_once_whichever_process_releases_it(
    engine: Engine, audit: AuditLog, tmp_path: Path
) -> None:
    _, until = audit.append_and_hold([], [new_entry("alert_withheld", read_owner="a",
                                                    list_owner="b", list_class=f"c{i}")
                                          for i in range(20)], DAY)  # fmt: skip
    # two processes' logs over one database, releasing at once
    other = AuditLog(engine, signer=NoteSigner.load_or_create(tmp_path / "k2", "test/hotlist"))
    released: list[list[int]] = []
    start = threading.Barrier(2)

    def release(log: AuditLog) -> None:
        start.wait()
        released.append(log.release_held(until))

    threads = [threading.Thread(target=release, args=(log,)) for log in (audit, other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(len(r) for r in released) == [0, 20]
    classes = [audit.entry(i).entry["list_class"] for i in range(audit.size())]
    assert sorted(classes) == sorted(f"c{i}" for i in range(20)) and audit.held() == []
    audit.check_contents()


def test_a_batch_is_appended_and_held_all_or_nothing(audit: AuditLog) -> None:
    good = new_entry("alert_withheld", read_owner="a", list_owner="b", policy_ids=[])
    with pytest.raises(EntryError):  # a held entry that could never be appended
        audit.append_and_hold([new_entry("alert_delivery", hit_id="h")],
                              [{**good, "bad": float("nan")}], DAY)  # fmt: skip
    with pytest.raises(EntryError):  # an appended entry that cannot be written
        audit.append_and_hold([{"type": "alert_delivery", "log_index": 3}], [good], DAY)
    assert audit.size() == 0 and audit.held() == []


def test_a_held_entry_may_not_choose_its_own_time(audit: AuditLog) -> None:
    with pytest.raises(EntryError, match="time"):
        audit.append_and_hold([], [new_entry("alert_withheld", time="2026-12-07T15:03:09Z")],
                              DAY)
    assert audit.held() == []


def test_held_entries_outlive_the_process_that_held_them(
    engine: Engine, audit: AuditLog, tmp_path: Path
) -> None:
    _, until = audit.append_and_hold(
        [], [new_entry("alert_withheld", read_owner="a", list_owner="b")], DAY)
    restarted = AuditLog(engine, signer=NoteSigner.load_or_create(tmp_path / "r", "t/held"))
    assert restarted.next_release() == until
    assert len(restarted.release_held(until)) == 1 and restarted.next_release() is None


def test_the_server_publishes_withheld_hits_when_their_period_ends(
    engine: Engine, audit: AuditLog, gate: RecordingGate
) -> None:
    service, store = held_service(engine, audit, gate, period=timedelta(seconds=1))
    store.import_list(ICE, "ero", "NCIC IVF", "immigration_violator", [{"plate": "7ABC123"}])
    release = WithheldRelease(audit, poll=0.05)
    release.start()
    try:
        report = service.process([make_read("7ABC123", owner=OAKLAND)])
        assert report.withheld_until is not None
        deadline = time.monotonic() + 20
        while audit.size() == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        release.stop()
    [record] = audit.entries(0, audit.size())
    assert record.entry["type"] == "alert_withheld"
    assert record.entry["time"] == period_stamp(report.withheld_until)
    assert datetime.now(UTC) >= report.withheld_until


def test_a_server_looks_for_due_entries_every_minute_or_four_times_a_period(
    engine: Engine, audit: AuditLog, gate: RecordingGate
) -> None:
    """docs/audit.md: each server releases what is due within a minute, whichever
    process held it (the release looks every ``poll`` seconds and when its own is due)."""
    daily = HotlistRuntime.open(engine, audit, gate)
    short = HotlistRuntime.open(engine, audit, gate, withheld_period=timedelta(seconds=2))
    assert (daily.release.poll, short.release.poll) == (60.0, 0.5)
    assert daily.service.withheld_period == timedelta(days=1)


def test_a_list_owner_cannot_pick_its_entries_out_by_hashing_guesses(
    service: HitService, hotlists: HotlistStore, audit: AuditLog
) -> None:
    """Attack: the list owner knows every field of its withheld hit's entry but the
    random ``hit_id`` (the summary gives the rest, its own slug the list owner, the law
    packs the rule ids) and hashes its guess to find the entry among the public leaves."""
    hotlists.import_list(ICE, "ero", "NCIC IVF", "immigration_violator", [{"plate": "7ABC123"}])
    report = service.process([make_read("7ABC123", owner=OAKLAND)])
    assert report.withheld_until is not None
    [index] = audit.release_held(report.withheld_until)
    record = audit.entry(index)
    entry = dict(record.entry)
    guess = {k: v for k, v in entry.items() if k not in ("hit_id", "log_index")}
    assert leaf_hash(canonical_entry(guess, index, guess["time"])[1]) != record.leaf_hash
    whole = {k: v for k, v in entry.items() if k != "log_index"}
    assert leaf_hash(canonical_entry(whole, index, whole["time"])[1]) == record.leaf_hash


def test_a_batch_whose_withheld_hit_cannot_be_held_delivers_nothing(
    engine: Engine, audit: AuditLog, gate: RecordingGate
) -> None:
    """docs/hotlists.md, *Delivery*: the batch's delivered hits' entries and its withheld
    hits' held entries are one write; if that fails nothing is delivered. Here the held
    entries' table is gone: the hold fails after the delivery's entry was written."""
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE audit_held"))
    service, store = held_service(engine, audit, gate)
    store.import_list(OAKLAND, "own", "local", "stolen_vehicle", [{"plate": "7ABC123"}])
    store.import_list(ICE, "ero", "NCIC IVF", "immigration_violator", [{"plate": "7ABC123"}])
    with pytest.raises(OperationalError):
        service.process([make_read("7ABC123", owner=OAKLAND)])
    assert audit.size() == 0
    assert HitStore(engine).list_hits(OAKLAND) == []
