"""What a search may touch: the owners policy allowed, each with its limits."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import pyarrow as pa

from plateledger.read import PlateRead


@dataclass(frozen=True)
class OwnerLimit:
    """Limits policy set for one owner's data."""

    since: datetime | None = None
    """Oldest read time this owner's data may be searched back to (max lookback)."""
    result_cap: int | None = None
    images: bool = True
    images_since: datetime | None = None
    """Oldest read time whose images are still kept (the owner's images clock): an older
    read is shown without its image references (the purge deletes its images)..."""
    images_kept: Callable[[str, datetime, uuid.UUID], bool] | None = None
    """... unless this says (plate, time, read id) its images are kept past the clock (a
    legal hold selects the read)."""


@dataclass(frozen=True)
class Scope:
    """The owners a search runs over. An owner not in here is never read."""

    owners: Mapping[int, OwnerLimit] = field(default_factory=dict)

    def is_empty(self) -> bool:
        return not self.owners

    def sql(self, params: dict[str, object]) -> str:
        """A WHERE fragment restricting reads to the allowed owners and their lookback."""
        if not self.owners:
            return "0"
        unlimited = sorted(o for o, lim in self.owners.items() if lim.since is None)
        parts: list[str] = []
        if unlimited:
            params["scope_all"] = unlimited
            parts.append("owner_id IN {scope_all:Array(UInt32)}")
        # Owners with the same lookback (one decision's clock) share one condition: each
        # condition costs the engine ~0.3 ms per query.
        by_since: dict[datetime, list[int]] = {}
        for owner, lim in sorted(self.owners.items()):
            if lim.since is not None:
                by_since.setdefault(lim.since, []).append(owner)
        for i, (since, owners) in enumerate(sorted(by_since.items())):
            params[f"scope_o{i}"] = owners
            params[f"scope_s{i}"] = since
            parts.append(
                f"(owner_id IN {{scope_o{i}:Array(UInt32)}} "
                f"AND ts >= {{scope_s{i}:DateTime64(3, 'UTC')}})"
            )
        return "(" + " OR ".join(parts) + ")"

    def caps(self) -> dict[int, int]:
        """Owners whose data an agreement caps at a number of reads per search."""
        return {o: lim.result_cap for o, lim in sorted(self.owners.items())
                if lim.result_cap is not None}

    def capped(self, source: str, order: str, params: dict[str, object]) -> str:
        """``source`` (a SELECT of reads) limited to each capped owner's first reads in
        ``order``; ``source`` itself where no owner is capped (no extra work then)."""
        caps = self.caps()
        if not caps:
            return source
        params["cap_owners"] = list(caps)
        params["cap_values"] = list(caps.values())
        return (
            "SELECT * EXCEPT (owner_rank) FROM (SELECT *, row_number() OVER "
            f"(PARTITION BY owner_id ORDER BY {order}) AS owner_rank FROM ({source})) "
            "WHERE owner_rank <= transform(owner_id, {cap_owners:Array(UInt32)}, "
            "{cap_values:Array(UInt64)}, toUInt64(18446744073709551615))"
        )

    def within_caps(
        self, rows: pa.Table, used: Mapping[int, int] | None = None
    ) -> pa.Table:
        """``rows`` (reads with an ``owner_id`` column, in the order a kind caps them by)
        with each capped owner's reads past its cap left out; ``used``: reads of each
        owner this search already took. What a kind ranks, counts or draws from these is
        then of at most the cap's reads of each owner, as its rows are."""
        caps = self.caps()
        if not caps or not rows.num_rows:
            return rows
        owners = rows.column("owner_id").to_numpy().astype(np.int64)
        keep = np.ones(len(owners), dtype=np.bool_)
        for owner, cap in caps.items():
            at = np.flatnonzero(owners == owner)
            keep[at[max(cap - (used or {}).get(owner, 0), 0):]] = False
        return rows.filter(pa.array(keep))

    def images_allowed(self, owner_id: int) -> bool:
        limit = self.owners.get(owner_id)
        return bool(limit and limit.images)

    def images_shown(self, owner_id: int, ts: datetime, plate: str, read_id: uuid.UUID) -> bool:
        """Whether a read of ``owner_id`` (taken at ``ts``, of ``plate``) is shown with its
        images: policy allows them and the owner still keeps them (its images clock has
        not run out for the read, or a hold keeps them)."""
        limit = self.owners.get(owner_id)
        if not (limit and limit.images):
            return False
        if limit.images_since is None or ts > limit.images_since:
            return True
        return limit.images_kept is not None and limit.images_kept(plate, ts, read_id)

    def shows_images_of(self, read: PlateRead) -> bool:
        """`images_shown` for a stored read."""
        return self.images_shown(read.owner_id, read.ts, read.plate, read.read_id)
