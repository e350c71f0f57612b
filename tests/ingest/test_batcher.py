import uuid
from concurrent.futures import wait
from typing import Any

import pytest

from plateledger.ingest.batcher import BatcherClosed, ReadBatcher, prepared
from plateledger.read import PlateRead
from plateledger.store import ReadStore
from tests.factories import make_read


def test_reads_from_many_requests_are_written_in_one_insert(store: ReadStore) -> None:
    batcher = ReadBatcher(store, max_reads=30, max_delay=60)
    futures = [
        batcher.submit([make_read(f"{i}ABC{j:03d}") for j in range(10)]) for i in range(3)
    ]
    done, _ = wait(futures, timeout=60)
    batcher.close()
    assert len(done) == 3 and all(f.exception() is None for f in futures)
    assert batcher.batches_written == 1
    assert store.count() == 30


def test_a_request_is_acknowledged_only_once_its_reads_are_stored(store: ReadStore) -> None:
    batcher = ReadBatcher(store, max_reads=10_000, max_delay=0.05)
    future = batcher.submit([make_read("8ABC123")])
    future.result(timeout=60)
    assert store.count() == 1
    batcher.close()


def test_closing_writes_what_is_pending_then_refuses_more(store: ReadStore) -> None:
    batcher = ReadBatcher(store, max_reads=10_000, max_delay=3600)
    future = batcher.submit([make_read("8ABC123")])
    batcher.close()
    assert future.result(timeout=1) == frozenset()
    assert store.count() == 1
    with pytest.raises(BatcherClosed):
        batcher.submit([make_read("8ABC124")])


def test_a_failed_insert_fails_every_waiting_request(store: ReadStore) -> None:
    batcher = ReadBatcher(store, max_reads=2, max_delay=60)
    store.engine.command(f"RENAME TABLE {store.db}.reads TO {store.db}.reads_away")
    try:
        futures = [batcher.submit([make_read("8ABC123")]), batcher.submit([make_read("8ABC124")])]
        wait(futures, timeout=60)
        assert all(f.exception() is not None for f in futures)
    finally:
        store.engine.command(f"RENAME TABLE {store.db}.reads_away TO {store.db}.reads")
        batcher.close()


def test_each_request_learns_which_of_its_reads_were_refused(store: ReadStore) -> None:
    """Conflicts are looked for in the writer thread, over the whole group commit: two
    requests in one batch cannot both claim a read id, and only new reads reach on_commit."""
    committed: list[list[PlateRead]] = []
    batcher = ReadBatcher(store, max_reads=4, max_delay=60,
                          on_commit=lambda reads, _: committed.append(reads))
    agency_a = make_read("8ABC123", owner=1)
    agency_b = agency_a.model_copy(update={"owner_id": 2, "camera_id": "cam-b"})
    other = make_read("7XYZ981", owner=2)
    first = batcher.submit([agency_a, agency_a])  # the same read twice: both accepted
    second = batcher.submit([other, agency_b])
    assert first.result(timeout=60) == frozenset()
    assert second.result(timeout=60) == frozenset({1})
    batcher.close()
    assert committed == [[agency_a, other]]
    assert store.count() == 2


def test_what_requests_prepare_is_used_as_the_writer_would_make_it(store: ReadStore) -> None:
    """Requests hand over their reads' Arrow table and derived-id positions (`prepared`);
    the writer joins them over the group commit, positions shifted to the batch, and
    decides as it does without them: a client's own id reused for another plate refused, a
    stored read's retry accepted and not written, an id another agency holds refused. A
    request without them makes the writer prepare the whole batch itself."""
    stored = make_read("8ABC123", owner=1, minutes_ago=90)
    own = make_read("6DEF456", owner=1, read_id="6a3a0a44-8d0a-4a43-9a5f-1b1b7c7d2b10")
    reused = make_read("5GHI789", owner=1, read_id="6a3a0a44-8d0a-4a43-9a5f-1b1b7c7d2b10")
    taken = stored.model_copy(update={"owner_id": 2, "camera_id": "cam-b"})
    new = make_read("7XYZ981", owner=2)
    # batch positions: 0 reused (own id), 1 the retry (derived), 2 new (derived), 3 taken;
    # the second request's derived position 0 is the batch's 2 — left unshifted, it would
    # make the reused own id look derived, looked up by its own plate, and not refused
    requests = [[reused, stored], [new, taken]]
    assert [prepared(r).derived for r in requests] == [[1], [0]]
    for with_one_unprepared in (False, True):
        store.engine.command(f"TRUNCATE TABLE {store.db}.reads")
        store.add_reads([stored, own])
        committed: list[list[PlateRead]] = []
        batcher = ReadBatcher(store, max_reads=4, max_delay=60,
                              on_commit=lambda reads, _, into=committed: into.append(reads))
        futures = [
            batcher.submit(reads, None, None if with_one_unprepared and i else prepared(reads))
            for i, reads in enumerate(requests)
        ]
        assert [f.result(timeout=60) for f in futures] == [frozenset({0}), frozenset({1})]
        batcher.close()
        assert committed == [[new]]
        assert store.count() == 3


def test_the_extras_of_the_reads_written_are_written_with_them(store: ReadStore) -> None:
    """A read's candidates are stored in its group commit, before it is acknowledged; a
    version refused for its taken id leaves the stored read's candidates as they were."""
    from plateledger.plates import confusion_key
    from plateledger.store.candidates import Candidate, Extras, candidates_of, details_of

    def extras(*plates: str) -> Extras:
        return Extras(candidates=tuple(Candidate(p, confusion_key(p), 0.5) for p in plates),
                      image_width=1920)

    batcher = ReadBatcher(store, max_reads=10_000, max_delay=0.05)
    # an id the client chose, sent again with another plate
    first = make_read("8ABC123", read_id=uuid.uuid4())
    batcher.submit([first], {first.read_id: extras("8ABC123", "8A8C123")}).result(timeout=60)
    assert [p for p, _ in candidates_of(store.engine, first.read_id)] == ["8A8C123", "8ABC123"]
    assert details_of(store.engine, first.read_id) is not None
    other = first.model_copy(update={"plate": "9ZZZ999", "plate_raw": "9ZZZ999"})
    refused = batcher.submit([other], {other.read_id: extras("9ZZZ999")}).result(timeout=60)
    batcher.close()
    assert refused == frozenset({0})
    assert [p for p, _ in candidates_of(store.engine, first.read_id)] == ["8A8C123", "8ABC123"]


def test_a_batch_big_enough_is_written_at_once_without_waiting_for_the_delay(
    store: ReadStore,
) -> None:
    batcher = ReadBatcher(store, max_reads=10, max_delay=3600)
    future = batcher.submit([make_read(f"8ABC{j:03d}") for j in range(10)])
    assert future.result(timeout=60) == frozenset()  # not an hour later
    assert store.count() == 10
    batcher.close()


def test_reads_arriving_during_a_write_go_together_in_the_next(store: ReadStore) -> None:
    """Under load each INSERT carries every read that came in while the one before it was
    written (the group commit), however small each request is."""
    import threading
    from collections.abc import Sequence

    from plateledger.store.identity import Added

    writing, release = threading.Event(), threading.Event()
    sizes: list[int] = []
    add = store.add_reads

    def held(reads: Sequence[PlateRead], **prepared: Any) -> Added:
        sizes.append(len(reads))
        writing.set()
        release.wait(60)
        return add(reads, **prepared)

    store.add_reads = held  # type: ignore[method-assign]
    batcher = ReadBatcher(store, max_reads=5, max_delay=3600)
    first = batcher.submit([make_read(f"1ABC{j:03d}") for j in range(5)])
    assert writing.wait(60)
    later = [batcher.submit([make_read(f"{i}XYZ{j:03d}") for j in range(2)]) for i in range(2, 5)]
    release.set()
    done, _ = wait([first, *later], timeout=60)
    batcher.close()
    assert len(done) == 4 and all(f.exception() is None for f in done)
    assert sizes == [5, 6]
    assert store.count() == 11


def test_what_requests_matched_on_arrival_reaches_on_commit_with_their_batch(
    store: ReadStore,
) -> None:
    """Each request hands over what it matched its reads against when they arrived (the
    server: hot-list hits, so that a batch is matched once); the batch's follower gets
    them all with the reads written — or None where a request came without, so that the
    follower matches the batch itself and no hit is lost."""
    for second, expected in ((["hit-b"], ["hit-a", "hit-b"]), (None, None)):
        committed: list[tuple[list[PlateRead], list[Any] | None]] = []
        batcher = ReadBatcher(store, max_reads=2, max_delay=60,
                              on_commit=lambda r, m, into=committed: into.append((r, m)))
        first = [make_read("8MAT001")]
        futures = [batcher.submit(first, matched=["hit-a"]),
                   batcher.submit([make_read("8MAT002")], matched=second)]
        wait(futures, timeout=60)
        batcher.close()
        [(reads, matched)] = committed
        assert [r.plate for r in reads] == ["8MAT001", "8MAT002"]
        assert matched == expected
        store.engine.command(f"TRUNCATE TABLE {store.db}.reads")
