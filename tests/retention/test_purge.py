from datetime import UTC, datetime, timedelta

from plateledger.audit import AuditLog
from plateledger.retention import RetentionPolicy, effective_policy, expiry_for, purge, searchable
from plateledger.search import (
    Filters,
    OwnerLimit,
    Scope,
    search_area,
    search_exact,
    search_fuzzy,
    search_wildcard,
)
from plateledger.store import ReadStore
from tests.factories import make_read

OWNERS = Scope({1: OwnerLimit(), 2: OwnerLimit()})
DAY = 24 * 60


def _ids(store: ReadStore) -> set[str]:
    table = store.query("SELECT toString(read_id) AS id FROM {db}.reads")
    return set(table.column("id").to_pylist())


def _load(store: ReadStore, now: datetime) -> dict[str, set[str]]:
    """Old expired reads (own partition), recent expired ones, and live ones."""
    old = [make_read("4OLD123", minutes_ago=100 * DAY + i, keep_days=30, now=now)
           for i in range(3)]
    recent = [make_read("7GONE12", minutes_ago=180 + i, keep_days=0.05, now=now, owner=2)
              for i in range(2)]
    live = [make_read("8LIVE12", minutes_ago=5 + i, keep_days=30, now=now) for i in range(4)]
    live.append(make_read("4OLD123", minutes_ago=6, keep_days=30, now=now))
    store.insert_reads(old + recent + live)
    return {
        "old": {str(r.read_id) for r in old},
        "recent": {str(r.read_id) for r in recent},
        "live": {str(r.read_id) for r in live},
    }


def test_a_purge_deletes_exactly_the_expired_reads(reads: ReadStore, audit_log: AuditLog) -> None:
    now = datetime.now(UTC)
    loaded = _load(reads, now)
    receipt = purge(reads, now, {}, [], audit_log)
    assert _ids(reads) == loaded["live"]
    assert receipt.rows_deleted == 5


def test_wholly_expired_partitions_are_dropped_and_the_others_trimmed(
    reads: ReadStore, audit_log: AuditLog
) -> None:
    now = datetime.now(UTC)
    _load(reads, now)
    partitions = reads.query(
        "SELECT _partition_id AS p, countIf(expires_at > now()) AS live "
        "FROM {db}.reads GROUP BY p"
    ).to_pylist()
    whole = sorted(r["p"] for r in partitions if r["live"] == 0)
    receipt = purge(reads, now, {}, [], audit_log)
    assert receipt.partitions_dropped == whole
    assert receipt.rows_in_dropped_partitions + receipt.rows_deleted_in_place == 5
    assert receipt.partitions_trimmed  # the recent expired reads share a partition with live ones


def test_no_search_kind_returns_an_expired_read_before_or_after_the_purge(
    reads: ReadStore, audit_log: AuditLog
) -> None:
    now = datetime.now(UTC)
    loaded = _load(reads, now)
    areas = [
        Filters(since=now - timedelta(days=days + 30), until=now - timedelta(days=days),
                cameras=("cam-1",), limit=1000)
        for days in (0, 90)
    ]

    def returned() -> set[str]:
        found: set[str] = set()
        for plate in ("4OLD123", "7GONE12", "8LIVE12"):
            found |= {str(r.read_id) for r in search_exact(reads, plate, OWNERS, Filters()).results}
            found |= {str(r.read_id) for r in search_fuzzy(reads, plate, OWNERS, Filters()).results}
        for pattern in ("4O*", "7G*", "8L*"):
            page = search_wildcard(reads, pattern, OWNERS, Filters())
            found |= {str(r.read_id) for r in page.results}
        for area in areas:
            found |= {str(r.read_id) for r in search_area(reads, OWNERS, area).results}
        return found

    assert returned() == loaded["live"]
    purge(reads, now, {}, [], audit_log)
    assert returned() == loaded["live"]


def test_a_clock_shortened_after_ingest_purges_reads_stamped_under_the_longer_one(
    reads: ReadStore, audit_log: AuditLog
) -> None:
    now = datetime.now(UTC)
    kept = make_read("5KEEP12", minutes_ago=60, keep_days=30, now=now, owner=1)
    shortened = make_read("5CUT123", minutes_ago=2 * DAY, keep_days=30, now=now, owner=2)
    reads.insert_reads([kept, shortened])
    receipt = purge(reads, now, {2: RetentionPolicy.days(1)}, [], audit_log)
    assert _ids(reads) == {str(kept.read_id)}
    assert [(c.owner_id, c.rows) for c in receipt.counts] == [(2, 1)]


def test_new_hampshire_non_hits_never_show_and_vanish_at_the_purge(
    reads: ReadStore, audit_log: AuditLog
) -> None:
    now = datetime.now(UTC)
    nh = effective_policy(["NH"], None)
    ts = now - timedelta(seconds=30)
    non_hit = make_read("3NHN123", minutes_ago=0.5, now=now, owner=2, state="NH")
    non_hit = non_hit.model_copy(
        update={"expires_at": expiry_for(ts, False, nh, received_at=now)}
    )
    hit = make_read("3NHH123", minutes_ago=0.5, now=now, owner=2, state="NH")
    hit = hit.model_copy(update={"hit": True, "expires_at": expiry_for(ts, True, nh)})
    assert not searchable(nh, hit=False)
    reads.insert_reads([non_hit, hit])
    assert search_exact(reads, "3NHN123", OWNERS, Filters()).total == 0
    assert search_exact(reads, "3NHH123", OWNERS, Filters()).total == 1
    purge(reads, now, {2: nh}, [], audit_log)
    assert _ids(reads) == {str(hit.read_id)}


def test_receipts_add_up_to_what_was_deleted_and_are_in_the_signed_log(
    reads: ReadStore, audit_log: AuditLog
) -> None:
    now = datetime.now(UTC)
    loaded = _load(reads, now)
    before = reads.count(include_expired=True)
    receipt = purge(reads, now, {1: RetentionPolicy.days(30)}, [], audit_log)
    deleted = before - reads.count(include_expired=True)
    assert receipt.rows_deleted == deleted == sum(c.rows for c in receipt.counts)
    assert deleted == len(loaded["old"]) + len(loaded["recent"])
    assert {c.owner_id for c in receipt.counts} == {1, 2}
    assert receipt.oldest_read is not None and receipt.oldest_read < now - timedelta(days=99)
    assert receipt.audit_index is not None
    entry = audit_log.entry(receipt.audit_index).entry
    assert entry["type"] == "retention_run"
    assert entry["rows_deleted"] == deleted
    assert entry["policy_set_hash"] == receipt.policy_set_hash
    assert entry["counts"] == [c.model_dump() for c in receipt.counts]
    assert receipt.checkpoint is not None
    assert f"\n{receipt.audit_index + 1}\n" in receipt.checkpoint


def test_a_purge_of_an_empty_store_writes_a_receipt_with_zero_counts(
    reads: ReadStore, audit_log: AuditLog
) -> None:
    receipt = purge(reads, datetime.now(UTC), {}, [], audit_log)
    assert receipt.rows_deleted == 0
    assert receipt.counts == [] and receipt.partitions_dropped == []
    assert receipt.audit_index == 0
    assert audit_log.entry(0).entry["rows_deleted"] == 0


def test_plates_whose_reads_are_all_purged_leave_the_dictionary(
    reads: ReadStore, audit_log: AuditLog
) -> None:
    now = datetime.now(UTC)
    _load(reads, now)
    def dictionary(prefix: str) -> list[str]:
        table = reads.query("SELECT DISTINCT plate FROM {db}.plates WHERE startsWith(plate, "
                            "{p:String}) ORDER BY plate", {"p": prefix})
        return [str(p) for p in table.column("plate").to_pylist()]

    # An expired read is never a candidate, purged or not; the dictionary still lists it.
    assert search_wildcard(reads, "7G*", OWNERS, Filters()).candidates == []
    assert dictionary("7G") == ["7GONE12"]
    receipt = purge(reads, now, {}, [], audit_log)
    assert receipt.plates_removed == 1
    assert dictionary("7G") == []
    assert dictionary("4OLD") == ["4OLD123"]
    variants = reads.query("SELECT count() AS n FROM {db}.plate_variants WHERE plate = '7GONE12'")
    assert variants.column("n")[0].as_py() == 0
