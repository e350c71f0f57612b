"""How far back each owner's images are gone: the purge's record, for the searches.

Where an owner keeps images for less time than reads, the purge deletes the images of
reads older than ``cutoff - images clock``. A search must not show references to them
afterwards, even if the clock is lengthened later (then ``now - clock`` reaches back past
what the purge already deleted). So each purge that deletes images records, per owner,
the moment before which they are gone (``images_purges``: the latest is the greatest,
the clock never brings images back), and `ImagesGone` serves the searches that record
from memory: updated at once by a purge in this process, read again from the table
after ``ttl`` for a purge another process ran against a shared ClickHouse.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from datetime import UTC, datetime

import pyarrow as pa

from plateledger.store.readstore import ReadStore

IMAGE_PURGES = "image_purges"


def ensure_image_purges_table(store: ReadStore) -> None:
    store.engine.command(
        f"CREATE TABLE IF NOT EXISTS {store.db}.{IMAGE_PURGES} ("
        "owner_id UInt32, gone_before DateTime64(3, 'UTC'), recorded_at DateTime64(3, 'UTC')"
        ") ENGINE = MergeTree ORDER BY owner_id"
    )


class ImagesGone:
    """Per owner, the moment before which its images are deleted (the purge's record)."""

    def __init__(self, store: ReadStore, ttl: float = 60.0) -> None:
        self.store = store
        self.ttl = ttl
        self._lock = threading.Lock()
        self._gone: dict[int, datetime] = {}
        self._loaded = float("-inf")
        self._table = False

    def _ensure_table(self) -> None:
        if not self._table:
            ensure_image_purges_table(self.store)
            self._table = True

    def mark(self, gone_before: Mapping[int, datetime]) -> None:
        """Record that every image of each owner's reads older than its moment is gone."""
        if not gone_before:
            return
        self._ensure_table()
        now = datetime.now(UTC)
        owners = sorted(gone_before)
        self.store.engine.insert_arrow(IMAGE_PURGES, pa.table({
            "owner_id": pa.array(owners, pa.uint32()),
            "gone_before": pa.array([gone_before[o] for o in owners], pa.timestamp("ms", "UTC")),
            "recorded_at": pa.array([now] * len(owners), pa.timestamp("ms", "UTC")),
        }))
        with self._lock:
            for owner in owners:
                known = self._gone.get(owner)
                if known is None or gone_before[owner] > known:
                    self._gone[owner] = gone_before[owner]

    def current(self) -> Mapping[int, datetime]:
        """Each owner's moment (owners whose images no purge deleted are absent)."""
        with self._lock:
            if time.monotonic() - self._loaded < self.ttl:
                return dict(self._gone)
        self._ensure_table()
        rows = self.store.query(
            f"SELECT owner_id, max(gone_before) AS gone FROM {{db}}.{IMAGE_PURGES} "
            "GROUP BY owner_id"
        ).to_pylist()
        with self._lock:
            for row in rows:
                owner, gone = int(row["owner_id"]), row["gone"]
                if owner not in self._gone or gone > self._gone[owner]:
                    self._gone[owner] = gone
            self._loaded = time.monotonic()
            return dict(self._gone)
