"""An agency's retention clocks as the catalog sets them, and what they mean for a
search's scope: an image older than its owner's images clock is never shown, unless a
legal hold keeps it (the purge keeps the images of the reads an active hold selects)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime

from plateledger.catalog import Agency
from plateledger.policy.clocks import RetentionError, RetentionPolicy, policy_in_days
from plateledger.retention.holds import LegalHold
from plateledger.search import Scope

log = logging.getLogger(__name__)


def agency_retention(agency: Agency) -> RetentionPolicy:
    """The agency's clocks: its law packs' presets and its own settings (the catalog's
    ``retention_*_days``), the strictest wins."""
    return policy_in_days(agency.law_packs, agency.retention_nonhit_days,
                          agency.retention_hit_days, agency.retention_image_days)


def with_image_clocks(
    scope: Scope, agencies: Mapping[int, Agency], now: datetime,
    holds: Callable[[], Sequence[LegalHold]] = tuple,
    stored: Callable[[uuid.UUID], bool] | None = None,
    gone: Callable[[], Mapping[int, datetime]] | None = None,
) -> Scope:
    """``scope`` with each owner whose images policy allows limited to the images its
    images clock still keeps (`OwnerLimit.images_since`) and those an active hold keeps
    past it (``holds``: the holds in force, asked only where an images clock is shorter
    than a read's) and that are still stored (``stored``, by read id: a hold placed after
    the purge deleted a read's images brings none back), never further back than the
    purge already deleted them (``gone``: per owner, `plateledger.store.image_purges`,
    asked only where an owner's images are shown; a clock lengthened after a purge
    brings none back either); an owner whose clocks
    cannot be worked out is shown no image (fail closed)."""
    owners = {}
    in_force: Sequence[LegalHold] | None = None
    deleted: Mapping[int, datetime] | None = None
    for owner, limit in scope.owners.items():
        if not limit.images:
            owners[owner] = limit
            continue
        agency = agencies.get(owner)
        try:
            clocks = agency_retention(agency) if agency is not None else None
        except RetentionError:
            log.exception("the images clock of agency %s cannot be worked out", owner)
            clocks = None
        if clocks is None:
            owners[owner] = replace(limit, images=False)
            continue
        kept = None
        if clocks.images_go_first:
            in_force = holds() if in_force is None else in_force
            kept = held_images(owner, in_force, stored)
        since = now - clocks.images
        if gone is not None:
            deleted = gone() if deleted is None else deleted
            since = max(since, deleted.get(owner, since))
        owners[owner] = replace(limit, images_since=since, images_kept=kept)
    return Scope(owners)


def held_images(
    owner: int, holds: Sequence[LegalHold], stored: Callable[[uuid.UUID], bool] | None = None,
) -> Callable[[str, datetime, uuid.UUID], bool] | None:
    """Whether one of ``holds`` keeps a read of ``owner`` (plate, time, id) and, where
    ``stored`` can tell, its images are still there; None where no hold is ``owner``'s."""
    mine = [h for h in holds if h.owner_agency == owner]
    if not mine:
        return None
    return lambda plate, ts, read_id: (
        any(h.keeps(owner, plate, ts, read_id) for h in mine)
        and (stored is None or stored(read_id)))
