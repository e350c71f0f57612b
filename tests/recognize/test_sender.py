"""The sender delivers spooled reads in order, and keeps them until they are acknowledged."""

from __future__ import annotations

import json
from pathlib import Path

from plateledger.recognize.sender import ReadSender
from plateledger.recognize.spool import Spool
from tests.recognize.conftest import Intake, free_port


def fill(spool: Spool, plates: list[str]) -> None:
    for n, plate in enumerate(plates):
        spool.put(f"id-{n}", json.dumps({"read_id": f"id-{n}", "plate": plate}))


def test_reads_are_sent_in_order_with_the_key_and_then_deleted(
    tmp_path: Path, intake: Intake
) -> None:
    sender = ReadSender(intake.url, "secret-key", batch_size=2)
    with Spool(tmp_path / "spool.db") as spool:
        fill(spool, ["AAA1111", "BBB2222", "CCC3333"])
        assert sender.drain(spool)
        assert spool.backlog() == 0
    assert [r["plate"] for r in intake.reads()] == ["AAA1111", "BBB2222", "CCC3333"]
    assert len(intake.requests) == 2
    assert all(headers["X-API-Key"] == "secret-key" for _, headers, _ in intake.requests)


def test_reads_stay_spooled_while_the_server_is_unreachable(tmp_path: Path) -> None:
    sender = ReadSender(f"http://127.0.0.1:{free_port()}", "k", timeout=1.0)
    with Spool(tmp_path / "spool.db") as spool:
        fill(spool, ["AAA1111"])
        assert not sender.drain(spool)
        assert spool.backlog() == 1
        assert "unreachable" in sender.stats.last_error
        assert not sender.ready()  # backing off


def test_reads_stay_spooled_after_a_server_error(tmp_path: Path, intake: Intake) -> None:
    intake.status = 503
    sender = ReadSender(intake.url, "k")
    with Spool(tmp_path / "spool.db") as spool:
        fill(spool, ["AAA1111", "BBB2222"])
        assert not sender.drain(spool)
        assert spool.backlog() == 2
        assert spool.dead_count() == 0


def test_a_read_the_server_rejects_goes_to_the_dead_letters(
    tmp_path: Path, intake: Intake
) -> None:
    sender = ReadSender(intake.url, "k")
    with Spool(tmp_path / "spool.db") as spool:
        fill(spool, ["AAA1111", intake.reject_plate, "CCC3333"])
        assert sender.drain(spool)
        assert spool.backlog() == 0
        assert [d.error for d in spool.dead_items()] == ["plate: refused"]
    assert sender.stats.sent == 2 and sender.stats.dead == 1


def test_a_refused_batch_is_retried_item_by_item(tmp_path: Path, intake: Intake) -> None:
    intake.status = 422
    sender = ReadSender(intake.url, "k")
    with Spool(tmp_path / "spool.db") as spool:
        fill(spool, ["AAA1111", "BBB2222"])
        sender.drain(spool)
        assert spool.dead_count() == 2
    assert [len(json.loads(body)) for _, _, body in intake.requests] == [2, 1, 1]


def test_a_resent_batch_carries_the_same_read_ids(tmp_path: Path, intake: Intake) -> None:
    intake.status = 500
    sender = ReadSender(intake.url, "k")
    with Spool(tmp_path / "spool.db") as spool:
        fill(spool, ["AAA1111"])
        sender.drain(spool)
        intake.status = 200
        sender.stats.backoff_until = 0.0
        assert sender.drain(spool)
    ids = [json.loads(body)[0]["read_id"] for _, _, body in intake.requests]
    assert ids == ["id-0", "id-0"]
