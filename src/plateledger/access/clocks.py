"""An agency's retention clocks as the catalog sets them, and what they mean for a
search's scope: an image older than its owner's images clock is never shown."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta

from plateledger.catalog import Agency
from plateledger.policy.clocks import RetentionError, RetentionPolicy, policy_for_agency
from plateledger.search import Scope

log = logging.getLogger(__name__)


def agency_retention(agency: Agency) -> RetentionPolicy:
    """The agency's clocks: its law packs' presets and its own settings (the catalog's
    ``retention_*_days``), the strictest wins."""

    def days(value: int | None) -> timedelta | None:
        return None if value is None else timedelta(days=value)

    return policy_for_agency(
        agency.law_packs,
        non_hit=days(agency.retention_nonhit_days),
        hit=days(agency.retention_hit_days),
        images=days(agency.retention_image_days),
    )


def with_image_clocks(scope: Scope, agencies: Mapping[int, Agency], now: datetime) -> Scope:
    """``scope`` with each owner whose images policy allows limited to the images its
    images clock still keeps (`OwnerLimit.images_since`); an owner whose clocks cannot be
    worked out is shown no image (fail closed)."""
    owners = {}
    for owner, limit in scope.owners.items():
        if not limit.images:
            owners[owner] = limit
            continue
        agency = agencies.get(owner)
        try:
            clock = agency_retention(agency).images if agency is not None else None
        except RetentionError:
            log.exception("the images clock of agency %s cannot be worked out", owner)
            clock = None
        owners[owner] = replace(limit, images_since=now - clock) if clock is not None else \
            replace(limit, images=False)
    return Scope(owners)
