"""Generated reads load into the embedded store as they are."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pyarrow as pa

from plateledger.read import READ_NAMESPACE
from plateledger.sim import City, default_plan
from plateledger.store import ReadStore


def test_a_hundred_thousand_reads_load_into_the_store_with_their_ids(store: ReadStore) -> None:
    city = City(default_plan(vehicles=5_000))
    start = datetime.now(UTC) - timedelta(days=2)
    tbl = pa.concat_tables(city.generate(1, 100_000, start, 2.0))
    store.insert_arrow(tbl)
    assert store.count() == 100_000
    # each read has the id ingest derives for a read posted without one: camera, time in
    # milliseconds and plate, in the read namespace
    first = tbl.slice(0, 1).to_pylist()[0]
    millis = int(pa.array([first["ts"]], pa.timestamp("ms", tz="UTC")).cast(pa.int64())[0].as_py())
    expected = uuid.uuid5(READ_NAMESPACE, f"{first['camera_id']}\x1f{millis}\x1f{first['plate']}")
    found = store.query(
        "SELECT plate, toString(stored_id) AS stored FROM {db}.reads WHERE plate = {p:String} "
        "AND read_id = {id:UUID}", {"p": first["plate"], "id": expected}
    ).to_pylist()
    assert found == [{"plate": first["plate"], "stored": str(uuid.UUID(int=0))}]
