"""Exports across nodes: a local user's export sent to the partner nodes that answer for
other owners, and a partner's export answered here.

An export is its own policy action (``export``) on every node: a partner that lets
another agency search its reads does not by that let it take them away. So, as a search
is (`plateledger.access.federated`):

- the requesting node decides, collects and logs the export over its own owners (an
  ``export`` entry), then sends it — signed, under the export's UUID, with the index of
  that entry — to every registered, unrevoked partner node in parallel, asking each for
  its first ``offset + max_rows`` reads in the kind's order;
- each owner's node decides ``export`` for its own agencies under its own packs and
  agreements, collects, logs its own ``export`` entry (the UUID, the asking node, the
  requester's entry index) and answers with only the reads it allows;
- the requesting node logs the fan-out (a ``federated_export`` entry: each node asked,
  how it ended, the index of its entry, the reads of each owner in the file and their
  digest) before a byte of the file is rendered, then merges the answers in the kind's
  order and cuts them to ``[offset, offset + max_rows)``.

Only exports of reads are sent (exact, wildcard, fuzzy, area, timeline, attributes):
a stakeout's or convoy's ranked plates and a pattern of life are answered per node by a
search; an export of those kinds is of this node's reads, and each partner's owner is
listed unavailable with the code ``export_kind_local``.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from pydantic import Field

from plateledger.access import exports
from plateledger.access.errors import AccessDenied
from plateledger.access.exports import MAX_EXPORT_ROWS, ExportCreate, ExportFile
from plateledger.access.federated import (
    FederatedSearch,
    FederatedSearchResponse,
    Partner,
    admit,
    ask_partners,
    local_owners,
    owner_answer,
    partner_request,
    partners,
    record_fan_out,
)
from plateledger.access.federated_pages import merge_pages
from plateledger.access.gate import AccessGate
from plateledger.access.searches import Asking, RemoteOwner
from plateledger.catalog import Principal
from plateledger.federation import NodeLink
from plateledger.retention.holds import HoldStore
from plateledger.store import ReadStore

__all__ = [
    "EXPORT_PATH",
    "FEDERATED_EXPORT",
    "READ_KINDS",
    "FederatedExport",
    "answer_export",
    "export",
]

EXPORT_PATH = "/v1/federation/exports"
FEDERATED_EXPORT = "federated_export"
"""The requesting node's entry of an export's fan-out to its partner nodes."""

READ_KINDS = frozenset({"exact", "wildcard", "fuzzy", "area", "timeline", "attributes"})
"""The kinds whose export is sent to partner nodes: those whose result is a list of reads."""

KIND_LOCAL = "export_kind_local"


class FederatedExport(FederatedSearch):
    """The body of a signed ``POST /v1/federation/exports``: a partner's search to export,
    and how many of its reads, newest first (the kind's order)."""

    max_rows: int = Field(default=MAX_EXPORT_ROWS, ge=1, le=MAX_EXPORT_ROWS,
                          description="at most this many reads, from the first")

    def export(self) -> ExportCreate:
        """The same export as a local user's (made for the requester's own agency)."""
        search = self.search()
        return ExportCreate(
            kind=search.kind, params=search.params, purpose=search.purpose,
            case_number=search.case_number, reason=search.reason, stakeout=search.stakeout,
            convoy=search.convoy, vehicle=search.vehicle, offense_type=search.offense_type,
            legal_basis=search.legal_basis, max_rows=self.max_rows, format="ndjson",
        )


def answer_export(
    gate: AccessGate,
    store: ReadStore,
    body: FederatedExport,
    *,
    node: str,
    key_id: str,
    node_agencies: tuple[str, ...],
    now: datetime | None = None,
) -> FederatedSearchResponse:
    """Decide ``export`` for this node's own owners under its own packs and agreements,
    collect the allowed owners' reads (no held copy of a case: those are this node's
    cases), log the ``export`` entry and answer as a partner's search is answered."""
    now = now or datetime.now(UTC)
    if body.kind not in READ_KINDS:
        raise AccessDenied(
            KIND_LOCAL, f"an export of a {body.kind} is not answered for partner nodes: "
            "only exports of reads are (" + ", ".join(sorted(READ_KINDS)) + ")",
        )
    if body.approval is not None:  # only a pattern of life takes one, and it is not exported
        raise AccessDenied("approval_mismatch", "an approval is of a pattern-of-life search")
    request = body.export()
    user, asking = admit(gate, body, node=node, key_id=key_id, node_agencies=node_agencies,
                         now=now)
    return owner_answer(gate, exports.collect_logged(gate, store, None, request, user, now=now,
                                                     asking=asking))


def export(
    gate: AccessGate,
    store: ReadStore,
    holds: HoldStore,
    body: ExportCreate,
    user: Principal,
    *,
    link: NodeLink,
    now: datetime | None = None,
) -> ExportFile:
    """A local user's export: of this node's own owners, and — where registered,
    unrevoked nodes answer for other owners — of theirs, each deciding and logging its
    own part (see the module). Raises `AccessDenied` (``export_too_deep``) where partners
    are asked and ``offset + max_rows`` passes `MAX_EXPORT_ROWS`."""
    found = [p for p in partners(gate) if p.agencies]
    here = Asking(owners=local_owners(gate))
    if not found:
        return exports.export(gate, store, holds, body, user, now=now, asking=here)
    if body.kind not in READ_KINDS:
        page = exports.collect_logged(gate, store, holds, body, user, now=now, asking=here)
        page = page.model_copy(update={"remote_owners": _not_sent(found)})
        return exports.file_of(page, body.format)
    end = body.params.offset + body.max_rows
    if end > MAX_EXPORT_ROWS:
        raise AccessDenied(
            "export_too_deep",
            f"with partner nodes asked, an export must end within the first "
            f"{MAX_EXPORT_ROWS} reads (offset + max_rows = {end}): narrow the search instead",
        )
    sent = body.model_copy(
        update={"params": body.params.model_copy(update={"offset": 0}), "max_rows": end}
    )
    facts = {"federated_export": {"offset": body.params.offset, "max_rows": body.max_rows}}
    local = exports.collect_logged(
        gate, store, holds, sent, user, now=now, asking=Asking(owners=here.owners, facts=facts)
    )
    agency = gate.catalog.agency(gate.requested_by(user, body.requested_by))
    if local.search_id is None or agency is None:  # both always set; nothing sent without
        raise AccessDenied("export_not_sent", "the export could not be sent to partner nodes")
    request = partner_request(user, agency, sent, uuid.UUID(local.search_id), local.audit_index)
    payload = request.model_dump(mode="json", exclude_none=True) | {"max_rows": end}
    asked = ask_partners(link, found, EXPORT_PATH, payload, local.search_id)
    # The file is a page of the kind's order: offset and max_rows as a search's offset and
    # limit (a copy, not validated: max_rows may pass one page of the search API).
    shape = body.model_copy(
        update={"params": body.params.model_copy(update={"limit": body.max_rows})}
    )
    merged = merge_pages(shape, local, [a.page for a in asked])
    merged["limit"] = body.max_rows
    index = record_fan_out(
        gate,
        FEDERATED_EXPORT,
        user=user,
        agency=agency,
        search_id=local.search_id,
        kind=body.kind,
        linked={"export_audit_index": local.audit_index},
        asked=asked,
        results=merged["results"],
        window={"offset": body.params.offset, "max_rows": body.max_rows,
                "total": merged["total"]},
        part="file",
    )
    page = local.model_copy(
        update=merged
        | {"remote_owners": [o for a in asked for o in a.owners], "federation_audit_index": index}
    )
    return exports.file_of(page, body.format)


def _not_sent(found: list[Partner]) -> list[RemoteOwner]:
    return [
        RemoteOwner(node=p.name, agency=slug, owner_id=local, status="unavailable",
                    code=KIND_LOCAL)
        for p in found
        for slug, local in sorted(p.agencies.items())
    ]
