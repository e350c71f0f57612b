"""Group commit for reads: many requests, one INSERT, acknowledged only after it.

Every INSERT makes a ClickHouse part, so reads from concurrent requests are gathered until
``max_reads`` are waiting or the oldest has waited ``max_delay`` seconds, then written in
one durable INSERT. Each request's future resolves only after that INSERT returned, so an
acknowledged read survives ``kill -9`` (the table fsyncs parts on insert).

``max_reads`` is the size worth writing at once, not a cap: reads that arrive while a batch
is written gather, and the next INSERT takes them all. The server's default is 1,000 (one
relay's post). Clients wait for their acknowledgement before posting again (cameras and
relays do), so with a higher threshold every client ends up waiting on the same INSERT
and nothing is prepared while it is written: 8 clients posting 1,000 reads each made
13.6–15.3 k reads/s with 10,000 and 17.7–19.4 k with 500 to 3,000 (docs/benchmarks.md).

The batch is added with `ReadStore.add_reads`: one look-up per batch refuses reads whose id
is already taken for their plate (by another owner, or with other evidence), also between
requests of one batch, and each request's future resolves to the positions of its reads
that were refused. Only this thread writes, so two requests cannot both claim an id.
This thread is the one thing every read waits on: what can be prepared beforehand — the
reads' Arrow table and which of them have server-derived ids — is prepared by each
request on its own thread (`prepared`) and handed over with its reads.
What vendors sent beside the reads written (candidates, plate box, …) is written in the
same group commit, before the requests are acknowledged (`plateledger.store.candidates`).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from plateledger.read import PlateRead
from plateledger.store import ReadStore
from plateledger.store.arrow import reads_to_arrow
from plateledger.store.candidates import Extras, StoredRead, add_extras
from plateledger.store.identity import derived_positions

log = logging.getLogger("plateledger.ingest")


class BatcherClosed(RuntimeError):
    """The batcher is shutting down and takes no more reads."""


@dataclass
class _Pending:
    reads: list[PlateRead] = field(default_factory=list)
    futures: list[Future[frozenset[int]]] = field(default_factory=list)
    starts: list[int] = field(default_factory=list)
    """Where each future's reads begin in ``reads``."""
    extras: dict[uuid.UUID, Extras] = field(default_factory=dict)
    since: float = 0.0
    tables: list[pa.Table] = field(default_factory=list)
    """Each request's reads as Arrow, where every request brought them (`Prepared`)."""
    derived: list[int] = field(default_factory=list)
    """Positions in ``reads`` of reads with server-derived ids, likewise."""
    prepared: bool = True
    """Whether every request so far brought its `Prepared` (else the writer prepares)."""
    matched: list[Any] | None = field(default_factory=list)
    """What each request found matching its reads on arrival (hot-list hits), for
    ``on_commit``; None once a request came without (then ``on_commit`` matches)."""

    def table(self) -> pa.Table | None:
        if not self.prepared or not self.tables:
            return None
        return self.tables[0] if len(self.tables) == 1 else pa.concat_tables(self.tables)


@dataclass(frozen=True)
class Prepared:
    """What a request prepares of its reads for the writer, on its own thread."""

    table: pa.Table
    """The reads as `plateledger.store.arrow.reads_to_arrow` makes them."""
    derived: list[int]
    """Positions of the reads whose id the server derived (`derived_positions`)."""


def prepared(reads: Sequence[PlateRead]) -> Prepared:
    """The Arrow table and derived-id positions of ``reads``, made off the writer's thread."""
    return Prepared(reads_to_arrow(reads), derived_positions(reads))


class ReadBatcher:
    """Batches reads into the store from a single writer thread."""

    def __init__(
        self,
        store: ReadStore,
        *,
        max_reads: int = 10_000,
        max_delay: float = 1.0,
        on_commit: Callable[[list[PlateRead], list[Any] | None], None] | None = None,
    ):
        """``on_commit`` receives each written batch, in order, on a thread of its own
        (alert delivery), with what its requests matched on arrival (``submit``), so it
        never delays an acknowledgement."""
        self.store = store
        self.on_commit = on_commit
        self._committed: queue.Queue[tuple[list[PlateRead], list[Any] | None] | None] = (
            queue.Queue())
        self._follower: threading.Thread | None = None
        if on_commit is not None:
            self._follower = threading.Thread(
                target=self._follow, name="read-batcher-follower", daemon=True
            )
            self._follower.start()
        self.max_reads = max_reads
        self.max_delay = max_delay
        self._pending = _Pending()
        self._cond = threading.Condition()
        self._closing = False
        self.batches_written = 0
        self.reads_written = 0
        self._thread = threading.Thread(target=self._run, name="read-batcher", daemon=True)
        self._thread.start()

    def submit(
        self,
        reads: Sequence[PlateRead],
        extras: Mapping[uuid.UUID, Extras] | None = None,
        ready: Prepared | None = None,
        matched: Sequence[Any] | None = None,
    ) -> Future[frozenset[int]]:
        """Queue reads (with what the vendor sent beside them, by read id, what the
        request prepared of them: `prepared`, and what it found matching them on arrival:
        handed to ``on_commit`` with the batch, None if not matched); the future
        completes when they are durably stored (or fails), with the positions in ``reads``
        of those refused because their id is taken."""
        future: Future[frozenset[int]] = Future()
        if not reads:
            future.set_result(frozenset())
            return future
        with self._cond:
            if self._closing:
                raise BatcherClosed("the server is shutting down; retry later")
            first = not self._pending.reads
            if first:
                self._pending.since = time.monotonic()
            start = len(self._pending.reads)
            self._pending.starts.append(start)
            if ready is None or ready.table.num_rows != len(reads):
                self._pending.prepared = False
            elif self._pending.prepared:
                self._pending.tables.append(ready.table)
                self._pending.derived.extend(start + p for p in ready.derived)
            if extras:
                # The first read of an id in the batch is the one stored (a later one only
                # if it is the same read): only its extras are, never a refused version's.
                claimed = {r.read_id for r in self._pending.reads}
                for r in reads:
                    if r.read_id not in claimed:
                        claimed.add(r.read_id)
                        if r.read_id in extras:
                            self._pending.extras[r.read_id] = extras[r.read_id]
            self._pending.reads.extend(reads)
            if matched is None:
                self._pending.matched = None
            elif self._pending.matched is not None:
                self._pending.matched.extend(matched)
            self._pending.futures.append(future)
            # wake the writer to start the delay clock, or to write a full batch now
            if first or len(self._pending.reads) >= self.max_reads:
                self._cond.notify()
        return future

    def pending(self) -> int:
        with self._cond:
            return len(self._pending.reads)

    def _take(self) -> _Pending | None:
        with self._cond:
            while True:
                if self._pending.reads:
                    waited = time.monotonic() - self._pending.since
                    full = len(self._pending.reads) >= self.max_reads
                    if full or waited >= self.max_delay or self._closing:
                        batch, self._pending = self._pending, _Pending()
                        return batch
                    self._cond.wait(self.max_delay - waited)
                elif self._closing:
                    return None
                else:
                    self._cond.wait()

    def _run(self) -> None:
        while (batch := self._take()) is not None:
            try:
                table = batch.table()
                derived = batch.derived if table is not None else None
                added = self.store.add_reads(batch.reads, table=table, derived=derived)
            except Exception as exc:  # every waiting request must learn of the failure
                for future in batch.futures:
                    future.set_exception(exc)
                continue
            self._add_extras(batch.extras, added.written)
            self.batches_written += 1
            self.reads_written += len(added.written)
            ends = [*batch.starts[1:], len(batch.reads)]
            for future, start, end in zip(batch.futures, batch.starts, ends, strict=True):
                future.set_result(frozenset(p - start for p in added.refused if start <= p < end))
            if self.on_commit is not None and added.written:
                self._committed.put((added.written, batch.matched))

    def _add_extras(self, extras: dict[uuid.UUID, Extras], written: list[PlateRead]) -> None:
        """Write the extras of the reads just written (a refused read's are dropped)."""
        rows = [(StoredRead(r.read_id, r.owner_id, r.plate, r.expires_at), extras[r.read_id])
                for r in written if r.read_id in extras]
        if not rows:
            return
        try:
            add_extras(self.store.engine, rows)
        except Exception:  # the reads are stored: their candidates are not worth a refusal
            log.exception("storing the candidates of %d reads failed", len(rows))

    def _follow(self) -> None:
        assert self.on_commit is not None
        while (committed := self._committed.get()) is not None:
            try:
                self.on_commit(*committed)
            except Exception:  # a failing follower must not stop ingest; it is logged
                log.exception("processing a committed batch failed")

    def close(self) -> None:
        """Write what is pending, then stop."""
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        self._thread.join()
        if self._follower is not None:
            self._committed.put(None)
            self._follower.join()
