"""What the page shells are rendered with: purposes, agencies and the signed checkpoint.

Everything here is public: the closed list of purposes, the agencies' names and the
checkpoint are shown on the transparency page too. Nothing here needs a login, and
nothing here fails a page: a part that is not available is left out.
"""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from plateledger.api.deps import service
from plateledger.audit import AuditError, AuditLog, Checkpoint
from plateledger.catalog import Catalog
from plateledger.policy.purpose import Purpose

log = logging.getLogger("plateledger.web")

# Labels where capitalising the words would be wrong.
_LABELS = {Purpose.AMBER_ALERT: "AMBER alert", Purpose.OTHER: "Other (explain in the reason)"}


@dataclass(frozen=True, slots=True)
class CheckpointView:
    """A signed checkpoint, split into what a reader wants to see."""

    note: str
    origin: str
    size: int
    root_hash: str
    signatures: tuple[str, ...]


def purpose_label(purpose: Purpose) -> str:
    return _LABELS.get(purpose, purpose.value.replace("_", " ").capitalize())


def purposes() -> list[dict[str, str]]:
    """The closed list of purposes, as ``{"value", "label"}`` in the policy's order."""
    return [{"value": p.value, "label": purpose_label(p)} for p in Purpose]


def agencies(request: Request) -> list[dict[str, Any]]:
    """Every agency in the catalog (id, slug, name, kind, home state); empty without one."""
    catalog = service(request, "catalog", Catalog)
    if catalog is None:
        return []
    try:
        rows = catalog.agencies()
    except Exception:  # a page shell must render even when the catalog cannot answer
        log.exception("listing agencies for a page failed")
        return []
    return [
        {"id": a.id, "slug": a.slug, "name": a.name, "kind": a.kind,
         "home_state": a.home_state}
        for a in rows
    ]


def parse_checkpoint(note: str) -> CheckpointView:
    """Split a signed note into the checkpoint's fields and its signature lines.

    Raises ``NoteError`` when the text before the blank line is not a checkpoint.
    """
    body, _, signed = note.partition("\n\n")
    checkpoint = Checkpoint.parse(body + "\n")
    signatures = tuple(line for line in signed.splitlines() if line)
    return CheckpointView(
        note=note, origin=checkpoint.origin, size=checkpoint.size,
        root_hash=base64.b64encode(checkpoint.root_hash).decode(), signatures=signatures,
    )


def checkpoint(request: Request) -> CheckpointView | None:
    """The audit log's current signed checkpoint, or ``None`` when the log is not open."""
    audit_log = service(request, "audit_log", AuditLog)
    if audit_log is None:
        return None
    try:
        return parse_checkpoint(audit_log.checkpoint())
    except AuditError:
        log.exception("the checkpoint could not be read for the transparency page")
        return None
