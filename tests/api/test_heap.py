"""A server settles its heap once started; an app built and dropped (as tests do) does not."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from plateledger.api import heap
from plateledger.api.app import create_app
from plateledger.settings import Settings


@pytest.fixture
def restored_gc() -> Iterator[None]:
    """Leave the collector as the test found it (the suite builds many apps)."""
    threshold = gc.get_threshold()
    gc.unfreeze()
    try:
        yield
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)


def test_settling_leaves_what_is_alive_out_of_collections(restored_gc: None) -> None:
    alive = [[i] for i in range(1_000)]
    heap.settle()
    assert gc.get_freeze_count() >= len(alive)
    assert gc.get_threshold()[0] == heap.YOUNG_THRESHOLD
    # frozen objects are still freed by reference counting, and new cycles still collected
    cycle: list[object] = []
    cycle.append(cycle)
    del cycle
    assert gc.collect() >= 1


def test_a_server_app_settles_once_started_and_a_plain_app_does_not(
    settings: Settings, restored_gc: None
) -> None:
    with TestClient(create_app(settings)) as client:
        assert client.get("/v1/audit/checkpoint").status_code == 200
        assert gc.get_freeze_count() == 0
    with TestClient(create_app(settings, settle_heap=True)) as client:
        assert client.get("/v1/audit/checkpoint").status_code == 200
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold()[0] == heap.YOUNG_THRESHOLD
