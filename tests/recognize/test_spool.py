"""The spool keeps reads on disk, in order, until the server has them."""

from __future__ import annotations

import json
from pathlib import Path

from plateledger.recognize.spool import READS_ENDPOINT, Spool


def read(n: int) -> str:
    return json.dumps({"read_id": f"id-{n}", "plate": f"ABC{n:04d}"})


def test_spooled_items_survive_closing_and_reopening(tmp_path: Path) -> None:
    path = tmp_path / "spool.db"
    with Spool(path) as spool:
        for n in range(5):
            spool.put(f"id-{n}", read(n))
    with Spool(path) as reopened:
        assert reopened.backlog() == 5
        assert [item.item_id for item in reopened.next_batch(10)] == [
            f"id-{n}" for n in range(5)
        ]


def test_an_item_is_spooled_once_whatever_times_it_is_put(tmp_path: Path) -> None:
    with Spool(tmp_path / "spool.db") as spool:
        assert spool.put("id-1", read(1))
        assert not spool.put("id-1", read(1))
        assert spool.backlog() == 1


def test_acknowledged_items_leave_and_the_rest_stay_in_order(tmp_path: Path) -> None:
    with Spool(tmp_path / "spool.db") as spool:
        for n in range(4):
            spool.put(f"id-{n}", read(n))
        batch = spool.next_batch(2)
        spool.ack([item.seq for item in batch])
        assert [item.item_id for item in spool.next_batch(10)] == ["id-2", "id-3"]


def test_a_batch_holds_reads_only_and_stops_at_a_raw_message(tmp_path: Path) -> None:
    with Spool(tmp_path / "spool.db") as spool:
        spool.put("r1", read(1))
        spool.put("m1", '{"type": "lpr"}', endpoint="/v1/reads/frigate")
        spool.put("r2", read(2))
        assert [i.item_id for i in spool.next_batch(10)] == ["r1"]
        spool.ack([spool.next_batch(10)[0].seq])
        raw = spool.next_batch(10)
        assert [(i.item_id, i.endpoint) for i in raw] == [("m1", "/v1/reads/frigate")]


def test_a_buried_item_moves_to_the_dead_letters_with_its_reason(tmp_path: Path) -> None:
    path = tmp_path / "spool.db"
    with Spool(path) as spool:
        spool.put("id-1", read(1))
        spool.bury(spool.next_batch(1)[0].seq, "plate: refused")
    with Spool(path) as reopened:
        assert reopened.backlog() == 0
        dead = reopened.dead_items()
        assert [(d.item_id, d.endpoint, d.error) for d in dead] == [
            ("id-1", READS_ENDPOINT, "plate: refused")
        ]
