"""One post's way in, beside validation: camera aliases, what the vendor sent beyond the
read (candidates, plate box, image size, vehicle year and orientation), a webhook's image,
and the quarantine of what could not be accepted (`plateledger.ingest.quarantine`).

Used by the ingest routes for each body, and for a replay of a quarantined item.
"""

from __future__ import annotations

import threading
import uuid
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from plateledger.catalog.quarantine import NewItem
from plateledger.ingest.batch import AdapterResult, media_type
from plateledger.ingest.quarantine import (
    CONFLICT_REASON,
    Quarantine,
    body_text,
    map_cameras,
    raw_items,
)
from plateledger.read import PlateRead, ReadSubmission, has_derived_id
from plateledger.store.arrow import rows_to_reads
from plateledger.store.candidates import Extras
from plateledger.store.schema import READ_SELECT

CONFLICT_CODE = "read_conflict"
REPLAY = "replay"
"""The credential kind of a quarantined item's replay: nothing of it is quarantined again."""


class _Turns:
    """One lock per read id, held by the post that writes a frame for it until its reads
    are stored or refused; kept only while some post holds or waits for it."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[uuid.UUID, list[Any]] = {}

    def hold(self, read_id: uuid.UUID) -> None:
        with self._guard:
            entry = self._locks.setdefault(read_id, [threading.Lock(), 0])
            entry[1] += 1
        entry[0].acquire()

    def release(self, read_id: uuid.UUID) -> None:
        with self._guard:
            entry = self._locks[read_id]
            entry[0].release()
            entry[1] -= 1
            if entry[1] == 0:
                del self._locks[read_id]


_FRAMES = _Turns()


class Intake:
    """The extra steps of one post. ``ingest`` is the server's `Ingest`; ``images`` its
    image store (or None where the route takes no image)."""

    def __init__(
        self,
        ingest: Any,
        images: Any,
        agency_id: int,
        credential_kind: str,
        prefix: str,
        format_name: str,
        content_type: str | None,
        camera_hint: str | None,
    ) -> None:
        self.ingest = ingest
        self.images = images
        self.agency_id = agency_id
        self.kind = credential_kind
        self.prefix = prefix
        self.format = format_name
        self.content_type = content_type
        self.camera_hint = camera_hint
        self.quarantine = Quarantine(ingest.audit_log.engine, ingest.audit_log)
        self.extras: dict[uuid.UUID, Extras] = {}
        self.frames: dict[uuid.UUID, bytes] = {}
        self.written: set[uuid.UUID] = set()
        """Ids whose frame this post wrote (none was stored before)."""
        self._extras_at: dict[int, Extras] = {}
        self._frames_at: dict[int, bytes] = {}
        self._chosen: set[uuid.UUID] = set()
        self._held: list[uuid.UUID] = []

    def map_cameras(
        self, submissions: Sequence[tuple[int, ReadSubmission]], fallback: str | None = None
    ) -> list[tuple[int, ReadSubmission]]:
        """Each vendor camera name the agency mapped, replaced by its registered camera;
        any other name by ``fallback``, if given."""
        aliases = self.quarantine.aliases(self.agency_id, self.format)
        return map_cameras(submissions, aliases, fallback)

    def take_extras(
        self, parsed: AdapterResult, submissions: Sequence[tuple[int, ReadSubmission]]
    ) -> list[tuple[int, ReadSubmission]]:
        """Note each read's extras and frame by its position in the post; a read that came
        with a frame names it as its overview image (written once the read is to be
        stored). Which copy of an id brings them is decided once the reads refused before
        storing are known (`choose`)."""
        out: list[tuple[int, ReadSubmission]] = []
        for position, (index, sub) in enumerate(submissions):
            extras = parsed.extras.get(position)
            if extras is not None:
                self._extras_at[position] = extras
            frame = parsed.images.get(index)
            if frame and self.images is not None:
                self._frames_at[position] = frame
                read_id = sub.stable_id(self.agency_id)  # the id it is stored under
                sub = sub.model_copy(
                    update={
                        "images": sub.images.model_copy(
                            update={"overview": self.images.ref(read_id, "overview")}
                        ),
                    }
                )
            out.append((index, sub))
        return out

    def choose(self, reads: Sequence[tuple[int, PlateRead]]) -> None:
        """``reads``: the reads left to store, each with its position in the post (as
        `take_extras` numbered them). The first of each id brings its extras and frame:
        a later one of the same id is stored only if it is the same read (a retry), else
        refused for the conflict, and a copy refused before storing (unknown camera, out
        of retention, in a zone) brings nothing — what a refused copy sent never ends up
        on the read that is kept."""
        for position, read in reads:
            if read.read_id in self._chosen:
                continue
            self._chosen.add(read.read_id)
            extras = self._extras_at.get(position)
            if extras is not None:
                self.extras[read.read_id] = extras
            frame = self._frames_at.get(position)
            if frame is not None:
                self.frames[read.read_id] = frame

    def put_images(self, reads: Sequence[tuple[int, PlateRead]]) -> None:
        """Write the frames of the reads about to be stored (never over a stored image),
        noting those written now (`drop_images` takes them back if their read is not
        stored). Posts bringing a frame for one id take turns, from here until
        `release_frames`: the one whose read is stored is the one whose frame it names."""
        ids = sorted({read.read_id for _, read in reads if read.read_id in self.frames})
        for read_id in ids:
            _FRAMES.hold(read_id)
            self._held.append(read_id)
        for _, read in reads:
            frame = self.frames.get(read.read_id)
            if frame is not None and not self.images.exists(read.read_id, "overview"):
                self.images.put(read.read_id, "overview", frame)
                self.written.add(read.read_id)

    def drop_images(self, reads: Sequence[tuple[int, PlateRead]]) -> None:
        """Delete the frames this post wrote for ``reads``, which were not stored (refused
        for a conflict, or the store could not take them): no read names them, so no
        purge would ever find them. (A frame that was there before is left.)"""
        for _, read in reads:
            if read.read_id in self.written:
                self.written.discard(read.read_id)
                self.images.delete(read.read_id, "overview")

    def release_frames(self) -> None:
        """Let the next post bringing a frame of these ids go on (once this post's reads
        are stored or refused)."""
        while self._held:
            _FRAMES.release(self._held.pop())

    def settle(
        self,
        body: bytes,
        conflicting: Sequence[tuple[int, PlateRead]],
        errors: Sequence[tuple[int, str, str]],
    ) -> tuple[list[int], bool]:
        """After the reads are stored (their extras with them, by the batcher): quarantine
        the items that could not be accepted; ``conflicting`` are the reads refused for a
        conflict, with their item index (an item's other reads may have been stored).
        Returns the quarantined items' ids, and whether an item other than a conflict was
        kept (then the post is answered 2xx)."""
        store = self.ingest.batcher.store
        if not errors or self.kind == REPLAY:
            return [], False  # (a replay still refused stays held as the one item it is)
        policy = self.ingest.retention_for(self.agency_id)
        if not policy.non_hits_searchable:
            return [], False  # a law that forbids keeping non-hits (NH) keeps no item either
        keep_all = self.quarantine.enabled(self.kind, self.prefix)
        reasons: dict[int, list[str]] = defaultdict(list)
        conflicts: set[int] = set()
        for index, message, code in errors:
            if code == CONFLICT_CODE:
                conflicts.add(index)
                reasons[index].append(CONFLICT_REASON)
            elif keep_all:
                reasons[index].append(message)
        if not reasons:
            return [], False
        # An item is raw read data: none is kept past the agency's clock for non-hits.
        agency_name = getattr(self.ingest, "_agency_name", str)(self.agency_id)
        self.quarantine.purge(self.agency_id, agency_name, policy.non_hit)
        media, raws = raw_items(body, self.content_type)
        items: list[NewItem] = []
        for index in sorted(reasons):
            raw = raws.get(index)
            item_index, item_media = index, media
            if raw is None:  # kept whole: a body that cannot be split, or read at all
                raw, item_index = raws.get(-1), -1
                if raw is None:
                    item_media, raw = media_type(self.content_type) or media, body_text(body)
            read_id, versions = None, None
            if index in conflicts:
                posted = [r for i, r in conflicting if i == index]
                if posted:
                    read_id = str(posted[0].read_id)
                    versions = {
                        "posted": posted[0].model_dump(mode="json"),
                        "stored": self._stored(store, posted[0]),
                    }
            items.append(
                NewItem(
                    format=self.format,
                    content_type=item_media,
                    camera_hint=self.camera_hint,
                    item_index=item_index,
                    raw=raw,
                    reasons=list(dict.fromkeys(reasons[index])),
                    read_id=read_id,
                    stored_version=versions,
                )
            )
        ids = self.quarantine.keep(self.agency_id, self.kind, self.prefix, items)
        return ids, bool(set(reasons) - conflicts)

    def _stored(self, store: Any, posted: PlateRead) -> dict[str, Any] | str:
        """The stored version of a read, if it is this agency's (another agency's read is
        not shown here: only that it exists)."""
        params: dict[str, Any] = {"id": str(posted.read_id)}
        if has_derived_id(posted):
            # a derived id names its camera, time and plate: a stored copy has them
            params.update(plate=posted.plate, ts=posted.ts)
            where = ("plate = {plate:String} AND ts = {ts:DateTime64(3, 'UTC')} "
                     "AND read_id = {id:UUID}")
        else:  # a client's own id is kept as it is (`plateledger.store.schema`)
            where = "stored_id = {id:UUID}"
        rows = store.query(
            f"SELECT {READ_SELECT} FROM {{db}}.reads WHERE {where} AND expires_at > now() "
            "ORDER BY received_at LIMIT 1",
            params,
        )
        found = rows_to_reads(rows)
        if not found:
            return "no longer stored"
        if found[0].owner_id != self.agency_id:
            return "stored by another agency"
        return found[0].model_dump(mode="json")

    @staticmethod
    def batch_note(accepted: int, errors: Sequence[Any], quarantined: Sequence[int]) -> str:
        """How the batch was treated, in words (docs/formats.md: each item stands alone)."""
        conflicts = sum(1 for e in errors if e.code == CONFLICT_CODE)
        note = f"each item stands alone: {accepted} read(s) accepted, {len(errors)} refused"
        if conflicts:
            note += f" ({conflicts} for conflicting with a stored read, which is kept as it was)"
        if quarantined:
            note += f"; {len(quarantined)} item(s) kept in quarantine"
        return note
