"""``HotlistIndex``: the in-memory matcher every stored read goes through.

The index holds the active entries of every list as sorted integer arrays (see
``codes``): plate codes for exact matches, confusion-key codes for OCR-confusable ones and
the codes of every key's deletion variants for one-edit matches. A batch of reads is
matched with a handful of vectorised look-ups; only the rare candidates come back to
Python, where one-edit candidates are verified and ranked.

An index is immutable once built: a change to the lists builds a new snapshot off to the
side and swaps it in with one assignment, so matching never waits for a rebuild and never
sees half of one.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from plateledger.hotlist.codes import Codes, key_variant_codes, plate_codes
from plateledger.hotlist.entry import to_millis
from plateledger.hotlist.store import ActiveEntry, HotlistStore
from plateledger.plates import MAX_PLATE_LENGTH
from plateledger.read import PlateRead

MIN_FUZZY_LENGTH = 5
"""One edit is matched only between keys the longer of which is at least this long: one
edit away from a four-character plate is too many plates to be a lead (a four-character
read still matches a five-character listed plate it is one deletion of, and a
five-character read a four-character listed plate)."""

NO_EXPIRY = np.iinfo(np.int64).max


class MatchKind(StrEnum):
    """How a read matched an entry, best first. Matching compares confusion keys: a
    confusable match has the same key as the listed plate, a one-edit match a key one
    substitution, insertion or deletion away (Levenshtein distance 1)."""

    EXACT = "exact"
    CONFUSABLE = "confusable"
    ONE_EDIT = "one_edit"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {MatchKind.EXACT: 0, MatchKind.CONFUSABLE: 1, MatchKind.ONE_EDIT: 2}


@dataclass(frozen=True, slots=True)
class Hit:
    """A candidate hit: ``read`` matched ``entry_id`` of list ``list_id`` (owner
    ``list_owner_id``). Policy has not been asked yet."""

    read: PlateRead
    entry_id: int
    list_id: int
    list_owner_id: int
    category: str
    kind: MatchKind
    plate_listed: str
    region_listed: str
    region_mismatch: bool
    priority: int

    @property
    def read_owner_id(self) -> int:
        return self.read.owner_id


# Tags appended to codes (code * TAGS + tag) so that one sorted table answers every kind of
# question: a deletion variant tagged with the position deleted (a same-length
# substitution), the full key, any deletion variant (the read lacks a character), and the
# plate itself.
TAGS = 16
FULL_KEY = 10
ANY_DELETION = 11
PLATE = 12

HASH_BITS = 28
"""The prefilter has 2**28 bits (32 MiB): most look-ups stop there, before any search."""
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_SHIFT = np.uint64(64 - HASH_BITS)


def _slots(codes: Codes) -> npt.NDArray[np.uint64]:
    """The prefilter bit of each code (Fibonacci hashing; uint64 products wrap)."""
    return (codes.astype(np.uint64) * _GOLDEN) >> _SHIFT


class _Snapshot:
    """One immutable generation of the index."""

    def __init__(self, entries: Sequence[ActiveEntry]) -> None:
        n = len(entries)
        self.size = n
        self.entry_ids = np.fromiter((e.id for e in entries), dtype=np.int64, count=n)
        self.list_ids = np.fromiter((e.list_id for e in entries), dtype=np.int64, count=n)
        self.owner_ids = np.fromiter((e.owner_id for e in entries), dtype=np.int64, count=n)
        self.expires = np.fromiter(
            (NO_EXPIRY if e.expires_at is None else e.expires_at for e in entries),
            dtype=np.int64, count=n,
        )  # fmt: skip
        self.priority = np.fromiter((e.priority for e in entries), dtype=np.int64, count=n)
        plates = [e.plate for e in entries]
        self.plates = np.array(plates, dtype=f"<U{MAX_PLATE_LENGTH}")
        self.regions = np.array([e.region for e in entries], dtype="<U8")
        self.categories = sorted({e.category for e in entries})
        lookup = {c: i for i, c in enumerate(self.categories)}
        self.category_idx = np.fromiter(
            (lookup[e.category] for e in entries), dtype=np.int64, count=n
        )
        codes, keys, lengths = plate_codes(plates)
        rows = np.arange(n, dtype=np.int64)
        tables = [(codes * TAGS + PLATE, rows), (keys * TAGS + FULL_KEY, rows)]
        fuzzy_rows = rows[lengths >= MIN_FUZZY_LENGTH]
        if len(fuzzy_rows):
            variants = key_variant_codes([plates[i] for i in fuzzy_rows])
            positions = np.arange(variants.shape[1])[None, :]
            real = positions < lengths[fuzzy_rows][:, None]  # deletions of real characters
            owners = np.broadcast_to(fuzzy_rows[:, None], variants.shape)[real]
            tables.append(((variants * TAGS + positions)[real], owners))
            tables.append((variants[real] * TAGS + ANY_DELETION, owners))
        all_codes = np.concatenate([t[0] for t in tables])
        all_rows = np.concatenate([t[1] for t in tables])
        order = np.lexsort((all_rows, all_codes))
        all_codes, all_rows = all_codes[order], all_rows[order]
        distinct = np.ones(len(all_codes), dtype=np.bool_)  # one row per (code, entry)
        distinct[1:] = (all_codes[1:] != all_codes[:-1]) | (all_rows[1:] != all_rows[:-1])
        self.codes: Codes = all_codes[distinct]
        self.rows = all_rows[distinct].astype(np.int32)
        self.filter = np.zeros((1 << HASH_BITS) // 8, dtype=np.uint8)
        slots = _slots(self.codes)
        np.bitwise_or.at(
            self.filter,
            (slots >> np.uint64(3)).astype(np.int64),
            np.left_shift(np.uint8(1), (slots & np.uint64(7)).astype(np.uint8)),
        )

    @staticmethod
    def _queries(plates: list[str]) -> tuple[Codes, npt.NDArray[np.int64], Codes]:
        """Every look-up a batch needs: tagged code, position of the read, kind rank."""
        codes, keys, lengths = plate_codes(plates)
        positions = np.arange(len(plates), dtype=np.int64)
        parts = [
            (codes * TAGS + PLATE, positions, MatchKind.EXACT.rank),
            (keys * TAGS + FULL_KEY, positions, MatchKind.CONFUSABLE.rank),
        ]
        fuzzy = np.flatnonzero(lengths >= MIN_FUZZY_LENGTH)
        if len(fuzzy):
            variants = key_variant_codes([plates[i] for i in fuzzy])
            columns = np.arange(variants.shape[1])[None, :]
            real = columns < lengths[fuzzy][:, None]
            owners = np.broadcast_to(fuzzy[:, None], variants.shape)[real]
            edit = MatchKind.ONE_EDIT.rank
            parts.append(((variants * TAGS + columns)[real], owners, edit))  # substitution
            parts.append((variants[real] * TAGS + FULL_KEY, owners, edit))  # read has one more
        # read has one less: a listed key of at least five, so a read of at least four
        shorter = np.flatnonzero(lengths >= MIN_FUZZY_LENGTH - 1)
        if len(shorter):
            parts.append((keys[shorter] * TAGS + ANY_DELETION, shorter, MatchKind.ONE_EDIT.rank))
        queries = np.concatenate([p[0] for p in parts])
        readers = np.concatenate([p[1] for p in parts])
        ranks = np.concatenate([np.full(len(p[0]), p[2], dtype=np.int64) for p in parts])
        return queries, readers, ranks

    def match(self, reads: Sequence[PlateRead], now_ms: int) -> list[Hit]:
        if not reads or self.size == 0:
            return []
        queries, readers, ranks = self._queries([r.plate for r in reads])
        slots = _slots(queries)
        maybe = (self.filter[(slots >> np.uint64(3)).astype(np.int64)]
                 >> (slots & np.uint64(7)).astype(np.uint8)) & 1  # fmt: skip
        keep = np.flatnonzero(maybe)
        order = keep[np.argsort(queries[keep])]  # sorted needles make binary searches cheap
        queries, readers, ranks = queries[order], readers[order], ranks[order]
        left = np.searchsorted(self.codes, queries, side="left")
        counts = np.searchsorted(self.codes, queries, side="right") - left
        found = counts > 0
        if not found.any():
            return []
        left, counts = left[found], counts[found]
        total = int(counts.sum())
        starts = np.repeat(left - (np.cumsum(counts) - counts), counts)
        rows = self.rows[starts + np.arange(total)].astype(np.int64)
        read_idx = np.repeat(readers[found], counts)
        ranks = np.repeat(ranks[found], counts)
        # one hit per (read, entry) with its best kind, on active entries only
        order = np.lexsort((ranks, rows, read_idx))
        read_idx, rows, ranks = read_idx[order], rows[order], ranks[order]
        first = np.ones(len(rows), dtype=np.bool_)
        first[1:] = (read_idx[1:] != read_idx[:-1]) | (rows[1:] != rows[:-1])
        keep = np.flatnonzero(first & (self.expires[rows] > now_ms))
        read_idx, rows, ranks = read_idx[keep], rows[keep], ranks[keep]
        order = np.lexsort((-self.priority[rows], ranks, read_idx))
        return self._hits(reads, read_idx[order], rows[order], ranks[order])

    def _hits(
        self,
        reads: Sequence[PlateRead],
        read_idx: npt.NDArray[np.int64],
        rows: npt.NDArray[np.int64],
        ranks: npt.NDArray[np.int64],
    ) -> list[Hit]:
        kinds = list(MatchKind)
        categories = self.categories
        found: list[Hit] = []
        for i, entry_id, list_id, owner, category, rank, listed, region, priority in zip(
            read_idx.tolist(), self.entry_ids[rows].tolist(), self.list_ids[rows].tolist(),
            self.owner_ids[rows].tolist(), self.category_idx[rows].tolist(), ranks.tolist(),
            self.plates[rows].tolist(), self.regions[rows].tolist(),
            self.priority[rows].tolist(), strict=True,
        ):  # fmt: skip
            read = reads[i]
            found.append(
                Hit(
                    read=read,
                    entry_id=entry_id,
                    list_id=list_id,
                    list_owner_id=owner,
                    category=categories[category],
                    kind=kinds[rank],
                    plate_listed=listed,
                    region_listed=region,
                    region_mismatch=bool(read.region and region and read.region != region),
                    priority=priority,
                )
            )
        return found


class HotlistIndex:
    """The matcher over every active hot-list entry. Thread-safe: any number of threads may
    match while another rebuilds."""

    def __init__(self, entries: Iterable[ActiveEntry] = ()) -> None:
        self._build_lock = threading.Lock()
        self._snapshot = _Snapshot(list(entries))

    @property
    def size(self) -> int:
        """Entries in the current generation (expired ones drop out at the next rebuild)."""
        return self._snapshot.size

    def replace(self, entries: Iterable[ActiveEntry]) -> None:
        """Build a new generation from ``entries`` and swap it in; matching goes on meanwhile."""
        with self._build_lock:
            snapshot = _Snapshot(list(entries))
            self._snapshot = snapshot  # one reference assignment: atomic for readers

    def load(self, store: HotlistStore, now: datetime | None = None) -> None:
        """Rebuild from the store's entries active at ``now``."""
        self.replace(store.active_entries(now))

    def follow(self, store: HotlistStore) -> None:
        """Load from ``store`` now and after each change to its lists."""
        store.add_listener(lambda: self.load(store))
        self.load(store)

    def match_reads(self, reads: Sequence[PlateRead], now: datetime | None = None) -> list[Hit]:
        """Every hit of ``reads`` on entries active at ``now``: grouped by read in input
        order, each read's hits ranked exact, confusable, one edit (then region agreement,
        distance, priority)."""
        snapshot = self._snapshot
        return snapshot.match(reads, to_millis(now or datetime.now(UTC)))
