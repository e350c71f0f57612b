"""Generated reads load into the embedded store as they are."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pyarrow as pa

from plateledger.sim import City, default_plan
from plateledger.store import ReadStore


def test_a_hundred_thousand_reads_load_into_the_store_with_their_ids(store: ReadStore) -> None:
    city = City(default_plan(vehicles=5_000))
    start = datetime.now(UTC) - timedelta(days=2)
    tbl = pa.concat_tables(city.generate(1, 100_000, start, 2.0))
    store.insert_arrow(tbl)
    assert store.count() == 100_000
    first = uuid.UUID(bytes=tbl.column("read_id")[0].as_py())
    plate = tbl.column("plate")[0].as_py()
    found = store.query(
        "SELECT plate FROM {db}.reads WHERE read_id = {id:UUID}", {"id": first}
    ).to_pylist()
    assert found == [{"plate": plate}]
