"""A read's identity includes its owner: one agency's reads are never replaced, merged away
or hidden by another agency's rows, and a stored read never changes."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from plateledger.read import PlateRead
from plateledger.search import Filters, OwnerLimit, Scope, search_exact
from plateledger.store import ReadStore
from plateledger.store.arrow import reads_to_arrow, rows_to_reads, to_clickhouse_uuid_bytes
from plateledger.store.schema import (
    READ_COLUMN_NAMES,
    READ_COLUMNS,
    READ_KEY,
    READ_SELECT,
    reads_ddl,
)
from tests.factories import make_read

A, B = 1, 2


def rows_of(store: ReadStore, read: PlateRead) -> list[PlateRead]:
    """Every stored row of ``read``'s id and plate, whoever owns it (no collapse)."""
    table = store.query(
        f"SELECT {READ_SELECT} FROM {{db}}.reads WHERE plate = {{plate:String}} "
        "AND read_id = {id:UUID} "
        "ORDER BY owner_id",
        {"plate": read.plate, "id": str(read.read_id)},
    )
    return rows_to_reads(table)


def as_stored(read: PlateRead) -> PlateRead:
    """``read`` as the store keeps it (floats in 32 bits, heading in whole degrees)."""
    return rows_to_reads(reads_to_arrow([read]))[0]


def other_owners_copy(read: PlateRead) -> PlateRead:
    """What agency B's key posts when it names agency A's camera, plate and time: the same
    derived id (a posted id of its own would be scoped to B, `plateledger.read.owner_read_id`)."""
    return read.model_copy(update={"owner_id": B, "confidence": 0.5})


def test_another_owners_read_with_the_same_id_is_refused_and_the_first_is_kept(
    store: ReadStore,
) -> None:
    first = make_read("8ABC123", owner=A)
    assert store.add_reads([first]).refused == frozenset()
    added = store.add_reads([other_owners_copy(first)])
    assert added.refused == frozenset({0}) and added.written == []
    store.optimize()
    assert rows_of(store, first) == [as_stored(first)]


def test_an_identical_re_post_by_the_owner_is_accepted_and_stored_once(
    store: ReadStore,
) -> None:
    read = make_read("8ABC123", owner=A)
    store.add_reads([read])
    # a retry arrives later: the server stamps another arrival time, the evidence is the same
    retry = read.model_copy(update={"received_at": read.received_at.replace(year=2030)})
    added = store.add_reads([retry])
    assert added.refused == frozenset() and added.written == []
    store.optimize()
    assert rows_of(store, read) == [as_stored(read)]


def test_a_re_post_by_the_owner_with_other_content_is_refused(store: ReadStore) -> None:
    read = make_read("8ABC123", owner=A)
    store.add_reads([read])
    changed = read.model_copy(update={"confidence": 0.42})
    moved = read.model_copy(update={"ts": read.ts.replace(year=read.ts.year - 1)})
    assert store.add_reads([changed, moved]).refused == frozenset({0, 1})
    store.optimize()
    assert rows_of(store, read) == [as_stored(read)]


def test_within_one_batch_the_first_of_conflicting_reads_is_kept(store: ReadStore) -> None:
    read = make_read("8ABC123", owner=A)
    twin = make_read("7XYZ981", owner=A)
    added = store.add_reads([read, other_owners_copy(read), twin, twin])
    assert added.refused == frozenset({1})
    assert added.written == [read, twin]
    store.optimize()
    assert rows_of(store, read) == [as_stored(read)]
    assert rows_of(store, twin) == [as_stored(twin)]


def test_an_expired_read_refuses_nothing_and_is_never_revealed(store: ReadStore) -> None:
    old = make_read("8ABC123", owner=A, minutes_ago=90, keep_days=0.01)
    store.insert_reads([old])
    assert store.add_reads([other_owners_copy(old)]).refused == frozenset()


def test_two_owners_rows_with_one_id_both_survive_a_merge(store: ReadStore) -> None:
    # A bulk load (which does not look for conflicts) may still hold such a pair.
    first = make_read("8ABC123", owner=A)
    store.insert_reads([first, other_owners_copy(first)])
    store.optimize()
    assert [r.owner_id for r in rows_of(store, first)] == [A, B]
    assert store.count() == 2


def test_a_search_never_lets_one_owners_row_hide_anothers(store: ReadStore) -> None:
    first = make_read("8ABC123", owner=A)
    store.insert_reads([first, other_owners_copy(first)])
    both = Scope({A: OwnerLimit(), B: OwnerLimit()})
    page = search_exact(store, "8ABC123", both, Filters())
    assert page.total == 2
    assert sorted(r.owner_id for r in page.results) == [A, B]


def test_an_identical_retry_still_collapses_in_searches_before_a_merge(
    store: ReadStore,
) -> None:
    read = make_read("8ABC123", owner=A)
    store.insert_reads([read])
    store.insert_reads([read])
    page = search_exact(store, "8ABC123", Scope({A: OwnerLimit()}), Filters())
    assert page.total == 1 and len(page.results) == 1


def sorting_key(store: ReadStore, table: str = "reads") -> str:
    rows = store.query(
        "SELECT sorting_key FROM system.tables WHERE database = {db:String} "
        "AND name = {name:String}",
        {"db": store.db, "name": table},
    )
    return str(rows.column("sorting_key")[0].as_py()) if rows.num_rows else ""


def test_the_sorting_key_holds_the_owner_with_the_plate_first(store: ReadStore) -> None:
    assert READ_KEY[0] == "plate" and "owner_id" in READ_KEY
    assert sorting_key(store) == ", ".join(READ_KEY)


def old_reads_ddl(database: str, key: str, table: str = "reads") -> str:
    """``reads`` as stores made before kept it: every read's id in a ``read_id`` column."""
    columns = ",\n".join(f"`{name}` {ctype}" for name, ctype in READ_COLUMNS)
    projected = ", ".join(f"`{name}`" for name in READ_COLUMN_NAMES)
    return (f"CREATE TABLE {database}.{table} ({columns}, PROJECTION by_camera "
            f"(SELECT {projected} ORDER BY camera_id, ts)) ENGINE = ReplacingMergeTree "
            f"PARTITION BY toYYYYMM(ts) ORDER BY ({key}) "
            "SETTINGS deduplicate_merge_projection_mode = 'rebuild'")


def insert_old(store: ReadStore, reads: list[PlateRead]) -> None:
    table = reads_to_arrow(reads)
    ids = to_clickhouse_uuid_bytes(table.column("read_id").combine_chunks())
    store.engine.insert_arrow("reads", table.set_column(0, "read_id", ids))


@pytest.mark.parametrize("key", ["plate, ts, read_id", "plate, ts, owner_id, read_id"])
def test_a_store_made_before_is_migrated_on_open_and_keeps_every_id(
    store: ReadStore, store_path: Path, key: str
) -> None:
    # the key without the owner, and the one with it that stored every read's id
    store.engine.command(f"DROP TABLE {store.db}.reads SYNC")
    store.engine.command(old_reads_ddl(store.db, key))
    first = make_read("8ABC123", owner=A)
    chosen = make_read("8ABC123", owner=A, read_id=uuid.uuid4(), camera="cam-2")
    kept = [first, other_owners_copy(first), make_read("7XYZ981", owner=B), chosen]
    insert_old(store, kept)  # not merged yet: the oldest key would collapse the first two
    # a migration that stopped half-way left its table behind
    store.engine.command(reads_ddl(store.db, table="reads_rekeyed"))
    assert sorting_key(store) == key
    store.close()

    reopened = ReadStore.open(data_dir=store_path)
    try:
        assert sorting_key(reopened) == ", ".join(READ_KEY)
        assert sorting_key(reopened, "reads_rekeyed") == ""
        reopened.optimize()
        assert [r.owner_id for r in rows_of(reopened, first)] == [A, B]
        assert reopened.count() == 4
        rows = reopened.query(
            "SELECT toString(read_id) AS id, toString(stored_id) AS stored "
            "FROM {db}.reads ORDER BY id").to_pylist()
        assert sorted(r["id"] for r in rows) == sorted(str(r.read_id) for r in kept)
        # derived ids are no longer stored, the client's is
        stored = {r["id"]: r["stored"] for r in rows}
        assert stored[str(chosen.read_id)] == str(chosen.read_id)
        assert stored[str(first.read_id)] == "00000000-0000-0000-0000-000000000000"
    finally:
        reopened.close()


def test_a_cluster_keeps_the_same_key() -> None:
    from plateledger.store.schema import cluster_ddl

    local = cluster_ddl("plateledger", "alpr")[1]
    assert "reads_local" in local and f"ORDER BY ({', '.join(READ_KEY)})" in local


def test_a_re_post_of_an_id_with_another_plate_camera_and_place_is_refused(
    store: ReadStore,
) -> None:
    # A re-post that changes the plate used to miss the stored row (looked up by plate and
    # id) and was written beside it: the read's camera and place changed silently.
    # the id a client chose (an alprd uuid, say), kept as it was scoped to its owner
    read = make_read("8ABC123", owner=A, read_id=uuid.uuid4())
    store.add_reads([read])
    moved = read.model_copy(update={
        "plate": "8ABC128", "plate_raw": "8ABC128", "camera_id": "cam-elsewhere",
        "lat": 10.0, "lon": 20.0,
    })
    added = store.add_reads([moved])
    assert added.refused == frozenset({0}) and added.written == []
    store.optimize()
    ids = store.query(
        "SELECT plate, camera_id FROM {db}.reads WHERE read_id = {id:UUID}",
        {"id": str(read.read_id)},
    )
    assert ids.column("plate").to_pylist() == ["8ABC123"]
    assert ids.column("camera_id").to_pylist() == [read.camera_id]


def test_within_one_batch_an_id_reused_for_another_plate_is_refused(store: ReadStore) -> None:
    read = make_read("8ABC123", owner=A)
    other = read.model_copy(update={"plate": "7XYZ981", "plate_raw": "7XYZ981"})
    added = store.add_reads([read, other])
    assert added.refused == frozenset({1}) and added.written == [read]


def test_a_derived_id_is_looked_up_by_its_plate_and_moment_and_still_found(
    store: ReadStore,
) -> None:
    """A derived id names its read's plate and moment, so it is looked up by those (the head
    of the sort key): a retry that arrives with reads of days later is still recognised,
    and a changed copy refused."""
    read = make_read("8ABC123", owner=A, minutes_ago=3 * 24 * 60)
    store.add_reads([read])
    later = [make_read(f"7XYZ{i:03d}", owner=A, minutes_ago=i) for i in range(3)]
    retry = read.model_copy(update={"received_at": read.received_at.replace(year=2030)})
    changed = read.model_copy(update={"confidence": 0.42})
    added = store.add_reads([*later, retry, changed])
    assert added.written == later and added.refused == frozenset({4})
    store.optimize()
    assert rows_of(store, read) == [as_stored(read)]


def test_a_clients_own_id_is_looked_up_everywhere(store: ReadStore) -> None:
    """An id the client sent may name a read of any time and plate: a read months apart
    that reuses a stored read's id (the same client id, from the same owner) is refused,
    and the first is kept."""
    client_id = "0b8e9d3c-4a1f-4c2e-9d7a-5e6f7a8b9c0d"
    first = make_read("8ABC123", owner=A, minutes_ago=90 * 24 * 60, keep_days=365,
                      read_id=client_id)
    reuse = make_read("9XYZ999", owner=A, minutes_ago=1, read_id=client_id)
    assert reuse.read_id == first.read_id
    assert store.add_reads([first]).refused == frozenset()
    added = store.add_reads([reuse])
    assert added.refused == frozenset({0}) and added.written == []
    store.optimize()
    assert rows_of(store, first) == [as_stored(first)]


class _WithoutTables:
    """The store's own chDB engine as a ClickHouse server's engine is seen: it cannot take
    a batch as a table (no ``query_keys``), so derived ids are looked up by id."""

    def __init__(self, engine: Any) -> None:
        self._engine = engine
        self.database = engine.database

    def command(self, sql: str) -> None:
        self._engine.command(sql)

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> pa.Table:
        return self._engine.query(sql, params)

    def insert_arrow(self, table: str, data: pa.Table) -> None:
        self._engine.insert_arrow(table, data)

    def close(self) -> None:
        """The store fixture closes the engine itself."""


def test_an_engine_without_table_look_ups_decides_derived_ids_alike(store: ReadStore) -> None:
    """Looked up by id within the batch's time instead of by plate and moment, the same
    batch gets the same decisions: new reads written, a retry accepted and not written
    again, a changed copy and another owner's copy refused."""
    server_like = ReadStore(_WithoutTables(store.engine))
    assert not hasattr(server_like.engine, "query_keys") and hasattr(store.engine, "query_keys")
    outcomes = []
    for n, target in enumerate((store, server_like)):
        first = make_read(f"{n + 1}ABC123", owner=A, minutes_ago=3 * 24 * 60)
        target.add_reads([first])
        later = [make_read(f"{n + 1}XYZ{i:03d}", owner=A, minutes_ago=i) for i in range(3)]
        retry = first.model_copy(update={"received_at": first.received_at.replace(year=2030)})
        changed = first.model_copy(update={"confidence": 0.42})
        added = target.add_reads([*later, retry, changed, other_owners_copy(first)])
        outcomes.append((len(added.written), added.written == later, added.refused))
    assert outcomes[0] == outcomes[1] == (3, True, frozenset({4, 5}))
