"""The purge's record of how far back each owner's images are gone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from plateledger.store import ReadStore
from plateledger.store.image_purges import IMAGE_PURGES, ImagesGone


def test_the_latest_moment_wins_and_another_process_reads_it(store: ReadStore) -> None:
    """A later purge under a longer clock records an earlier moment: images already
    deleted stay deleted, so the greater moment is kept. A second reader (another
    process against the same store) learns it from the table."""
    store.engine.command(f"DROP TABLE IF EXISTS {store.db}.{IMAGE_PURGES}")
    now = datetime.now(UTC).replace(microsecond=0)
    gone = ImagesGone(store)
    assert gone.current() == {}
    gone.mark({7: now - timedelta(days=1), 8: now - timedelta(days=3)})
    gone.mark({7: now - timedelta(days=30)})  # the clock was lengthened since
    assert gone.current() == {7: now - timedelta(days=1), 8: now - timedelta(days=3)}
    assert ImagesGone(store).current() == gone.current()
