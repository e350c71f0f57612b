"""The deletion receipt: what one purge deleted, kept, and under which policies.

Each purge appends its receipt to the audit log as a ``retention_run`` entry; the log's
signed checkpoint then commits to it, and the returned receipt carries the entry's index
and the checkpoint signed just after the append.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from plateledger.audit import EntryType, new_entry


class AgencyDayCount(BaseModel):
    """Rows deleted of one owner agency's reads taken on one UTC day."""

    owner_id: int
    day: str = Field(description="UTC date of the reads, YYYY-MM-DD")
    rows: int


class HoldHonoured(BaseModel):
    """A hold in force during the run, and the expiring reads copied out for it."""

    hold_id: str
    case_number: str
    owner_agency: int
    case_agency: int | None = Field(
        default=None, description="the agency whose case it is (the owner, or a partner the "
        "hold names); absent in receipts written before it was recorded")
    rows_copied: int


class DeletionReceipt(BaseModel):
    """What a purge did. ``rows_deleted`` is the sum of ``counts``."""

    run_id: str
    cutoff: datetime = Field(description="reads expired at this moment were purged")
    started_at: datetime
    finished_at: datetime
    rows_deleted: int
    rows_in_dropped_partitions: int
    rows_deleted_in_place: int
    partitions_dropped: list[str]
    partitions_trimmed: list[str]
    counts: list[AgencyDayCount]
    oldest_read: datetime | None
    newest_read: datetime | None
    holds_honoured: list[HoldHonoured]
    held_rows_released: int = Field(description="held copies deleted: their hold ended")
    plates_removed: int = Field(description="plate dictionary entries no read uses any more")
    images_deleted: int = Field(
        default=0, description="plate crops and frames deleted with their reads")
    policies: dict[str, dict[str, Any]] = Field(description="policy per owner id")
    policy_set_hash: str
    audit_index: int | None = None
    checkpoint: str | None = Field(default=None, description="signed checkpoint after append")

    def audit_entry(self) -> dict[str, Any]:
        """The ``retention_run`` entry: every field but the log's own index and checkpoint."""
        body = self.model_dump(mode="json", exclude={"audit_index", "checkpoint"})
        body["agencies"] = sorted({str(c.owner_id) for c in self.counts})
        return new_entry(EntryType.RETENTION_RUN, **body)
