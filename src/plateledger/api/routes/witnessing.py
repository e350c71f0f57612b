"""``GET /v1/witness/status``: what this node's witness holds of each partner node's log
(cross-witnessing, docs/federation.md), for auditors and supervisors (the role pack's
`view_audit`): the size of the last checkpoint the partner showed, the size this node last
cosigned and when, and each conflicting checkpoint kept as evidence, whole. Checkpoints
are tree heads: nothing in the answer is derived from reads."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from plateledger.api.deps import CatalogDep, Principal, require_action
from plateledger.audit import AuditLog
from plateledger.federation.witnessing import witness_status
from plateledger.policy import Action

router = APIRouter(prefix="/v1/witness", tags=["audit"])

Auditor = Annotated[Principal, Depends(require_action(Action.VIEW_AUDIT))]


class WitnessConflictOut(BaseModel):
    size: int = Field(description="the size of the refused checkpoint")
    reason: str = Field(
        description="`fork`: the same size as the checkpoint held, another root (409); "
        "`proof_rejected`: no valid consistency proof from the checkpoint held (422)"
    )
    seen_at: str
    held_size: int
    checkpoint: str = Field(description="the refused checkpoint, as the partner's log signed it")
    held_checkpoint: str | None = Field(description="the checkpoint held then, as signed")
    audit_index: int | None = Field(description="its `witness_conflict` entry in this log")


class WitnessedPartnerOut(BaseModel):
    node: str
    origin: str = Field(description="the partner's log, by its checkpoint origin")
    revoked: bool
    last_seen_size: int | None = Field(description="the last checkpoint it showed, signed")
    last_seen_at: str | None
    last_cosigned_size: int = Field(description="0: none cosigned yet")
    last_cosigned_at: str | None
    conflicts: list[WitnessConflictOut]


class WitnessStatusOut(BaseModel):
    partners: list[WitnessedPartnerOut]


@router.get("/status", summary="What this node's witness holds of its partners' logs")
def status(user: Auditor, catalog: CatalogDep) -> WitnessStatusOut:
    found = witness_status(catalog, AuditLog(catalog.engine, signer=None))
    return WitnessStatusOut(
        partners=[
            WitnessedPartnerOut(
                node=s.node,
                origin=s.origin,
                revoked=s.revoked,
                last_seen_size=s.seen_size,
                last_seen_at=s.seen_at,
                last_cosigned_size=s.cosigned_size,
                last_cosigned_at=s.cosigned_at,
                conflicts=[
                    WitnessConflictOut(
                        size=c.size,
                        reason=c.reason,
                        seen_at=c.seen_at,
                        held_size=c.held_size,
                        checkpoint=c.checkpoint,
                        held_checkpoint=c.held_checkpoint,
                        audit_index=c.audit_index,
                    )
                    for c in s.conflicts
                ],
            )
            for s in found
        ]
    )
