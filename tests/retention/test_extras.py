"""A read's candidates and details follow the read: the purge that deletes the read deletes
them (a clock shortened after ingest included), a legal hold that keeps the read keeps
them, and a case search of held copies still finds a read by its candidate — until the
hold is released and the purge after it takes them too."""

from __future__ import annotations

from datetime import UTC, datetime

from plateledger.audit import AuditLog
from plateledger.plates import confusion_key
from plateledger.read import PlateRead
from plateledger.retention import HoldStore, LegalHold, ReadSelection, RetentionPolicy, purge
from plateledger.search import Filters
from plateledger.search.held import held_scope, search_held
from plateledger.store import ReadStore
from plateledger.store.candidates import (
    CANDIDATES,
    DETAILS,
    Candidate,
    Extras,
    StoredRead,
    add_extras,
    candidates_ddl,
    ensure_candidates,
)
from tests.factories import make_read
from tests.retention.test_holds import _hold

DAY = 24 * 60


def _with_candidate(store: ReadStore, read: PlateRead, candidate: str) -> None:
    add_extras(
        store.engine,
        [
            (
                StoredRead(read.read_id, read.owner_id, read.plate, read.expires_at),
                Extras(
                    candidates=(
                        Candidate(read.plate, confusion_key(read.plate), 0.9),
                        Candidate(candidate, confusion_key(candidate), 0.8),
                    ),
                    box=(1, 2, 3, 4),
                    image_width=1920,
                ),
            )
        ],
    )


def _side_ids(store: ReadStore, table: str) -> set[str]:
    rows = store.query(f"SELECT DISTINCT toString(read_id) AS id FROM {{db}}.{table}")
    return set(rows.column("id").to_pylist())


def test_a_held_read_keeps_its_candidates_and_a_purged_reads_go(
    reads: ReadStore, holds: HoldStore, audit_log: AuditLog
) -> None:
    now = datetime.now(UTC)
    held = make_read("6HELD12", minutes_ago=300, keep_days=0.1, now=now)
    gone = make_read("6GONE12", minutes_ago=300, keep_days=0.1, now=now)
    live = make_read("6LIVE12", minutes_ago=5, keep_days=30, now=now)
    # stamped for 30 days, but its owner's clock is now one day: purged, extras too
    cut = make_read("6CUTT12", minutes_ago=2 * DAY, keep_days=30, now=now, owner=2)
    reads.insert_reads([held, gone, live, cut])
    for read, candidate in (
        (held, "6HE1D12"),
        (gone, "6G0NE12"),
        (live, "6L1VE12"),
        (cut, "6CU7T12"),
    ):
        _with_candidate(reads, read, candidate)
    hold: LegalHold = holds.place(_hold(ReadSelection(plates=("6HELD12",))), placed_by="u", now=now)
    purge(reads, now, {2: RetentionPolicy.days(1)}, holds.active(now), audit_log)

    kept = {str(held.read_id), str(live.read_id)}
    assert _side_ids(reads, CANDIDATES) == kept
    assert _side_ids(reads, DETAILS) == kept
    # the held copy, past its expiry, is found by its candidate in its case's search
    scope = held_scope(reads, [hold.hold_id])
    by_candidate = search_held(reads, scope, Filters(), plate="6HE1D12")
    assert [r.read_id for r in by_candidate.results] == [held.read_id]
    assert search_held(reads, scope, Filters(), plate="6G0NE12").total == 0
    assert search_held(reads, held_scope(reads, []), Filters(), plate="6HE1D12").total == 0

    # released: the next purge takes the copy and its extras
    holds.release(hold.hold_id, released_by="u", reason="case closed", now=now)
    purge(reads, now, {2: RetentionPolicy.days(1)}, holds.active(now), audit_log)
    assert _side_ids(reads, CANDIDATES) == {str(live.read_id)}
    assert _side_ids(reads, DETAILS) == {str(live.read_id)}


def test_a_store_made_with_the_side_tables_ttl_loses_it_when_it_opens(reads: ReadStore) -> None:
    engine = reads.engine
    for table in (CANDIDATES, DETAILS):
        engine.command(f"ALTER TABLE {reads.db}.{table} MODIFY TTL expires_at")
    ensure_candidates(engine)
    for table in (CANDIDATES, DETAILS):
        query = (
            reads.query(
                "SELECT create_table_query AS q FROM system.tables "
                "WHERE database = {d:String} AND name = {n:String}",
                {"d": reads.db, "n": table},
            )
            .column("q")[0]
            .as_py()
        )
        assert " TTL " not in query
    assert all("TTL" not in ddl for ddl in candidates_ddl(reads.db))


def test_candidate_plates_leave_the_dictionary_with_their_reads_and_stay_while_listed(
    reads: ReadStore, holds: HoldStore, audit_log: AuditLog
) -> None:
    """Candidate plates are in the plate dictionary (fuzzy search reaches reads through
    them): the purge takes out those of purged reads, and keeps a plate a live read still
    lists as a candidate though the read that had it as its plate is gone."""
    now = datetime.now(UTC)
    live = make_read("6LIV001", minutes_ago=5, keep_days=30, now=now)
    gone = make_read("6SHR001", minutes_ago=300, keep_days=0.1, now=now)
    reads.insert_reads([live, gone])
    _with_candidate(reads, live, "6SHR001")  # the purged read's plate, listed by a live read
    _with_candidate(reads, gone, "6GCD001")  # a plate only the purged read listed

    def dictionary() -> set[str]:
        table = reads.query("SELECT DISTINCT plate FROM {db}.plates WHERE startsWith(plate, "
                            "'6') ORDER BY plate")
        return set(table.column("plate").to_pylist())

    def variants_of(plate: str) -> int:
        table = reads.query("SELECT count() AS n FROM {db}.plate_variants "
                            "WHERE plate = {p:String}", {"p": plate})
        return int(table.column("n")[0].as_py())

    assert dictionary() == {"6LIV001", "6SHR001", "6GCD001"}
    purge(reads, now, {}, [], audit_log)
    assert dictionary() == {"6LIV001", "6SHR001"}
    assert variants_of("6GCD001") == 0 and variants_of("6SHR001") > 0
