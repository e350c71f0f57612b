import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from plateledger.audit import AuditLog
from plateledger.retention import (
    HoldError,
    HoldStore,
    LegalHold,
    ReadSelection,
    purge,
)
from plateledger.search import Filters, OwnerLimit, Scope, search_exact
from plateledger.search.held import held_scope, search_held
from plateledger.store import ReadStore
from tests.factories import make_read

OWNERS = Scope({1: OwnerLimit(), 2: OwnerLimit()})


def _hold(selection: ReadSelection, *, owner: int = 1, case: str = "26-000123",
          days: float = 90, now: datetime | None = None) -> LegalHold:
    return LegalHold(
        case_number=case,
        reason="preservation order, superior court",
        approver="sgt-17",
        owner_agency=owner,
        selection=selection,
        expires_at=(now or datetime.now(UTC)) + timedelta(days=days),
    )


def test_placing_and_releasing_a_hold_each_append_an_audit_entry(
    holds: HoldStore, audit_log: AuditLog
) -> None:
    now = datetime.now(UTC)
    placed = holds.place(_hold(ReadSelection(plates=("8abc-123",))), placed_by="u-4", now=now)
    holds.release(placed.hold_id, released_by="u-9", reason="case closed", now=now)
    entries = [r.entry for r in audit_log.entries(0, 10)]
    assert [(e["type"], e["action"]) for e in entries] == [
        ("legal_hold", "place"), ("legal_hold", "release"),
    ]
    assert entries[0]["case_number"] == "26-000123"
    assert entries[0]["selection"]["plates"] == ["8ABC123"]
    assert entries[1]["user"] == "u-9"


def test_active_holds_exclude_released_and_expired_ones(holds: HoldStore) -> None:
    now = datetime.now(UTC)
    kept = holds.place(_hold(ReadSelection(plates=("1AAA111",))), placed_by="u", now=now)
    released = holds.place(_hold(ReadSelection(plates=("2BBB222",))), placed_by="u", now=now)
    short = holds.place(_hold(ReadSelection(plates=("3CCC333",)), days=1), placed_by="u", now=now)
    holds.release(released.hold_id, released_by="u", reason="order lifted", now=now)
    later = now + timedelta(days=2)
    assert [h.hold_id for h in holds.active(later)] == [kept.hold_id]
    assert {h.hold_id for h in holds.list()} == {kept.hold_id, released.hold_id, short.hold_id}
    assert [h.hold_id for h in holds.for_case("26-000123", later, case_agency=1)] == [
        kept.hold_id]


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: ReadSelection(), "needs plates, a time range or read ids"),
        (lambda: ReadSelection(plates=("!!",)), "hold plate `!!`"),
        (lambda: _hold(ReadSelection(plates=("1AAA111",)), case=" "), "`case_number`"),
    ],
)
def test_a_hold_without_what_it_needs_is_refused(
    build: Callable[[], object], message: str
) -> None:
    with pytest.raises(HoldError, match=message):
        build()


def test_a_hold_is_released_once(holds: HoldStore) -> None:
    now = datetime.now(UTC)
    placed = holds.place(_hold(ReadSelection(plates=("1AAA111",))), placed_by="u", now=now)
    holds.release(placed.hold_id, released_by="u", reason="closed", now=now)
    with pytest.raises(HoldError, match="already released"):
        holds.release(placed.hold_id, released_by="u", reason="closed", now=now)


def test_held_reads_survive_the_purge_and_are_reachable_only_through_their_hold(
    reads: ReadStore, holds: HoldStore, audit_log: AuditLog
) -> None:
    now = datetime.now(UTC)
    evidence = make_read("6HELD12", minutes_ago=300, keep_days=0.1, now=now)
    by_id = make_read("6BYID12", minutes_ago=300, keep_days=0.1, now=now)
    other_owner = make_read("6HELD12", minutes_ago=301, keep_days=0.1, now=now, owner=2)
    unheld = make_read("6FREE12", minutes_ago=300, keep_days=0.1, now=now)
    reads.insert_reads([evidence, by_id, other_owner, unheld])
    hold = holds.place(
        _hold(ReadSelection(plates=("6HELD12",), read_ids=(by_id.read_id,))), placed_by="u",
        now=now,
    )
    other = holds.place(_hold(ReadSelection(plates=("9ZZZ999",)), case="26-9"), placed_by="u",
                        now=now)
    receipt = purge(reads, now, {}, holds.active(now), audit_log)

    assert reads.count(include_expired=True) == 0
    assert search_exact(reads, "6HELD12", OWNERS, Filters()).total == 0
    page = search_held(reads, held_scope(reads, [hold.hold_id]), Filters())
    assert {r.read_id for r in page.results} == {evidence.read_id, by_id.read_id}
    assert search_held(reads, held_scope(reads, [other.hold_id]), Filters()).total == 0
    assert search_held(reads, held_scope(reads, []), Filters()).total == 0
    honoured = {h.hold_id: h.rows_copied for h in receipt.holds_honoured}
    assert honoured == {hold.hold_id: 2, other.hold_id: 0}
    assert receipt.rows_deleted == 4


def test_the_receipt_names_each_honoured_holds_case_agency(
    reads: ReadStore, holds: HoldStore, audit_log: AuditLog
) -> None:
    """A hold placed for a partner's case (agency 3's, over agency 1's reads) is receipted
    with that agency, so the receipt says whose case kept the reads, not only whose they are."""
    now = datetime.now(UTC)
    reads.insert_reads([make_read("6CASE12", minutes_ago=300, keep_days=0.1, now=now)])
    mine = holds.place(_hold(ReadSelection(plates=("6CASE12",))), placed_by="u", now=now)
    theirs = holds.place(
        replace(_hold(ReadSelection(plates=("6CASE12",)), case="26-77"), case_agency=3),
        placed_by="u", now=now,
    )
    receipt = purge(reads, now, {}, holds.active(now), audit_log)
    cases = {h.hold_id: (h.owner_agency, h.case_agency) for h in receipt.holds_honoured}
    assert cases == {mine.hold_id: (1, 1), theirs.hold_id: (1, 3)}
    logged = audit_log.entry(receipt.audit_index or 0).entry["holds_honoured"]
    assert {h["hold_id"]: h["case_agency"] for h in logged} == {mine.hold_id: 1,
                                                                 theirs.hold_id: 3}


def test_a_second_purge_does_not_copy_held_reads_twice(
    reads: ReadStore, holds: HoldStore, audit_log: AuditLog
) -> None:
    now = datetime.now(UTC)
    reads.insert_reads([make_read("6HELD12", minutes_ago=300, keep_days=0.1, now=now)])
    hold = holds.place(_hold(ReadSelection(plates=("6HELD12",))), placed_by="u", now=now)
    purge(reads, now, {}, holds.active(now), audit_log)
    reads.insert_reads([make_read("6HELD12", minutes_ago=400, keep_days=0.1, now=now)])
    second = purge(reads, now, {}, holds.active(now), audit_log)
    assert second.holds_honoured[0].rows_copied == 1
    assert search_held(reads, held_scope(reads, [hold.hold_id]), Filters()).total == 2


def test_copies_go_at_the_first_purge_after_their_hold_ends(
    reads: ReadStore, holds: HoldStore, audit_log: AuditLog
) -> None:
    now = datetime.now(UTC)
    reads.insert_reads([make_read("6HELD12", minutes_ago=300, keep_days=0.1, now=now)])
    hold = holds.place(_hold(ReadSelection(plates=("6HELD12",))), placed_by="u", now=now)
    purge(reads, now, {}, holds.active(now), audit_log)
    holds.release(hold.hold_id, released_by="u", reason="case closed", now=now)
    receipt = purge(reads, now, {}, holds.active(now), audit_log)
    assert receipt.held_rows_released == 1
    assert search_held(reads, held_scope(reads, [hold.hold_id]), Filters()).total == 0


def test_a_hold_by_time_range_keeps_only_its_owners_reads_in_that_window(
    reads: ReadStore, holds: HoldStore, audit_log: AuditLog
) -> None:
    now = datetime.now(UTC)
    inside = make_read("5WIN123", minutes_ago=300, keep_days=0.1, now=now)
    outside = make_read("5OUT123", minutes_ago=600, keep_days=0.1, now=now)
    neighbour = make_read("5WIN123", minutes_ago=301, keep_days=0.1, now=now, owner=2)
    reads.insert_reads([inside, outside, neighbour])
    selection = ReadSelection(since=now - timedelta(minutes=400), until=now)
    hold = holds.place(_hold(selection), placed_by="u", now=now)
    purge(reads, now, {}, holds.active(now), audit_log)
    page = search_held(reads, held_scope(reads, [hold.hold_id]), Filters())
    assert [r.read_id for r in page.results] == [inside.read_id]
    assert search_held(reads, held_scope(reads, [str(uuid.uuid4())]), Filters()).total == 0


def test_a_held_search_with_a_lookback_leaves_out_older_copies(
    reads: ReadStore, holds: HoldStore, audit_log: AuditLog
) -> None:
    now = datetime.now(UTC)
    recent = make_read("6HELD12", minutes_ago=300, keep_days=0.1, now=now)
    older = make_read("6HELD12", minutes_ago=3000, keep_days=0.01, now=now)
    reads.insert_reads([recent, older])
    hold = holds.place(_hold(ReadSelection(plates=("6HELD12",))), placed_by="u", now=now)
    purge(reads, now, {}, holds.active(now), audit_log)

    scope = held_scope(reads, [hold.hold_id])
    assert search_held(reads, scope, Filters()).total == 2
    page = search_held(reads, scope, Filters(), since=now - timedelta(hours=10))
    assert [r.read_id for r in page.results] == [recent.read_id]


@pytest.mark.parametrize(
    "selection",
    [
        ReadSelection(plates=("6SEL001",)),
        ReadSelection(plates=("6SEL001", "6SEL002"), since=datetime(2026, 1, 1, tzinfo=UTC)),
        ReadSelection(since=datetime.now(UTC) - timedelta(hours=3)),
        ReadSelection(until=datetime.now(UTC) - timedelta(hours=3)),
        ReadSelection(plates=("6SEL003",), until=datetime.now(UTC) - timedelta(hours=1)),
    ],
)
def test_a_hold_keeps_in_python_exactly_the_reads_its_sql_selects(
    reads: ReadStore, selection: ReadSelection
) -> None:
    """`LegalHold.keeps` (what an image view and a search ask of a read) agrees with
    `reads_sql` (what the purge copies and keeps) on every read: plates, times, read ids
    and owners."""
    now = datetime.now(UTC)
    stored = [make_read(plate, minutes_ago=minutes, owner=owner, now=now)
              for plate in ("6SEL001", "6SEL002", "6SEL003", "6OTHER9")
              for minutes in (30, 150, 400) for owner in (1, 2)]
    reads.insert_reads(stored)
    by_id = replace(selection, read_ids=(stored[-1].read_id, stored[0].read_id))
    for chosen in (selection, by_id):
        hold = _hold(chosen, now=now)
        table = reads.query(f"SELECT read_id FROM {{db}}.reads WHERE {hold.reads_sql()}")
        in_sql = {uuid.UUID(str(i)) for i in table.column("read_id").to_pylist()}
        in_python = {r.read_id for r in stored if hold.keeps(r.owner_id, r.plate, r.ts, r.read_id)}
        assert in_python == in_sql and in_sql
