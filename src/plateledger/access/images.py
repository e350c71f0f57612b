"""Image views: a read's plate crop or overview image.

Viewing an image is its own policy action (``view_image``), decided for every owner like a
search (an agreement may share reads without their images), and logged as an
``image_view`` entry before any byte is returned. The read is then looked up inside the
allowed scope only (`plateledger.search.read_by_id`), so a read that does not exist and a
read the requester may not see answer alike (`NotVisible`, with the same entry). The plate
is asked for with the read id so that the read is found by primary key, not by a scan.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from plateledger.access.errors import AccessDenied, NotVisible
from plateledger.access.gate import AccessGate
from plateledger.access.held import asking_agencies, held_read
from plateledger.audit.entry import EntryType
from plateledger.catalog import Principal
from plateledger.plates import PlateError, normalize_plate
from plateledger.retention.holds import HoldStore
from plateledger.search import Scope, SearchPage
from plateledger.search.read_by_id import search_read
from plateledger.store import ReadStore
from plateledger.store.images import CropStore

__all__ = ["ImageKind", "ImageRequest", "view_image"]

ImageKind = Literal["plate", "overview"]


@dataclass(frozen=True)
class ImageRequest:
    """One image asked for: which read (id and plate), which image, and why."""

    read_id: uuid.UUID
    kind: ImageKind
    plate: str
    purpose: str
    reason: str
    case_number: str | None = None
    requested_by: str | None = None


def view_image(
    gate: AccessGate, store: ReadStore, images: CropStore, user: Principal, asked: ImageRequest,
    *, now: datetime | None = None,
) -> bytes:
    """Decide ``view_image`` for every owner, look the read up inside the allowed scope,
    log, return the image's bytes. The answer depends only on what the decision allows.
    An image older than its owner's images clock is not served (the purge deletes it),
    whatever its read's own clock, unless an active hold selects the read: the gate's
    scope says so (`plateledger.access.clocks`), and the read comes without its image
    reference. A read past its own clock is found among the copies the holds of the
    view's case kept, for that case's agency alone (`held_read`), as a case search
    finds them."""
    try:
        normalized = normalize_plate(asked.plate)
    except PlateError as exc:
        raise AccessDenied("invalid_plate", str(exc)) from None
    now = now or datetime.now(UTC)
    question = gate.question(
        user, action="view_image", purpose=asked.purpose, case_number=asked.case_number,
        reason=asked.reason, requested_by=asked.requested_by, lookback_days=0, now=now,
    )
    found: dict[str, Any] = {}

    def execute(scope: Scope) -> SearchPage:
        """The read, and its image fetched before the entry is written: a read shown
        without the image asked for (past its clock, never stored) is logged as nothing
        returned, since nothing leaves the owner."""
        page = search_read(store, asked.read_id, normalized, scope)
        if not page.results:
            # the read may be gone but for a legal hold of the case this view is made for
            page = held_read(store, HoldStore(gate.catalog.engine, gate.audit_log),
                             question.case_number,
                             asking_agencies(question.user, question.requested_by_id),
                             question.now, asked.read_id, normalized, scope, page)
        if not page.results:
            return page
        read = page.results[0]
        ref = read.image_plate if asked.kind == "plate" else read.image_overview
        # Only the image this server stored for this very read is served: a reference is
        # text a client may have posted, and one naming another read's image (another
        # agency's, say) must not lend it out under this read's decision.
        own = ref == images.ref(read.read_id, asked.kind)
        found["read"] = read
        found["data"] = images.get(ref) if ref and own else None
        if found["data"] is None:
            return page.model_copy(update={"results": [], "total": 0})
        return page

    decision, page, _ = gate.run(
        question, kind="image",
        query={"read_id": str(asked.read_id), "plate": normalized, "image": asked.kind},
        execute=execute, entry_type=EntryType.IMAGE_VIEW,
    )
    if page.results:
        return bytes(found["data"])
    if "read" in found:
        raise NotVisible("no_image", f"read {asked.read_id} has no {asked.kind} image on "
                         "this server")
    # Which owners refused is the same for every read id (it is the decision, not the
    # data): saying so tells the requester why without saying whose read this is.
    denied = [{"owner_id": o.owner_id, "policy_ids": list(o.policy_ids)}
              for o in decision.outcomes.values() if not o.allowed]
    raise NotVisible("no_such_read", f"no read {asked.read_id} of plate `{normalized}` "
                     "whose images you may view", {"owners_denied": denied})
