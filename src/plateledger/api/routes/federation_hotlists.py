"""Hot lists across nodes (`plateledger.access.shared_hotlists`).

A list owner's managers share one of their agency's lists with a registered partner node
(``POST /v1/hotlists/{list_id}/shares``), see how each partner stands, and end a share.
Between nodes, two routes accept only requests signed by a registered, unrevoked node
(the same verification as ``POST /v1/federation/searches``): the list owner's node pushes
a list (``POST /v1/federation/hotlists``), and the data owner's node delivers a hit its
gate allowed (``POST /v1/federation/hits``).
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from plateledger.access.errors import AuditUnavailable
from plateledger.access.shared_hotlists import (
    PushResult,
    SharedHit,
    SharedHitAnswer,
    SharedHotlists,
    SharedListAnswer,
    SharedListPush,
    ShareRefused,
    ShareState,
)
from plateledger.api.deps import Principal, require_action
from plateledger.api.errors import ApiError
from plateledger.api.ids import RowId
from plateledger.api.routes.federation import REFUSED, SignedFirst, SignedNode
from plateledger.audit.changes import ChangeNotLogged, who
from plateledger.policy import Action

router = APIRouter(tags=["hotlists"], route_class=SignedFirst)

Manager = Annotated[Principal, Depends(require_action(Action.MANAGE_HOTLISTS))]


async def get_shared(request: Request) -> SharedHotlists:
    shared = getattr(request.app.state, "shared_hotlists", None)
    if not isinstance(shared, SharedHotlists):
        raise ApiError(503, "unavailable", "hot lists across nodes are not running")
    return shared


Shared = Annotated[SharedHotlists, Depends(get_shared)]

NODE_REFUSED: dict[int | str, dict[str, Any]] = {
    **{k: v for k, v in REFUSED.items() if k != 409},
    422: {"description": "a malformed body or entry (`invalid_entry`): nothing is stored"},
}


class ShareCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    node: str = Field(min_length=1, max_length=64, description="a registered node's name")


class PushPublic(BaseModel):
    node: str
    change: str
    version: int
    outcome: str = Field(description="answered, refused or unavailable (tried again later)")
    code: str | None


class ShareAnswer(BaseModel):
    share: ShareState
    pushes: list[PushPublic] = Field(description="this list's pushes made right away")


def _refused(exc: ShareRefused) -> ApiError:
    return ApiError(exc.status, exc.code, exc.message)


def _pushes(results: list[PushResult], node: str) -> list[PushPublic]:
    return [PushPublic(node=r.node, change=r.change, version=r.version, outcome=r.outcome,
                       code=r.code) for r in results if r.node == node]  # fmt: skip


@router.post("/v1/hotlists/{list_id}/shares", response_model=ShareAnswer, status_code=201)
def share_hotlist(list_id: RowId, body: ShareCreate, user: Manager, shared: Shared) -> ShareAnswer:
    """Share a list of the caller's agency with a registered partner node; the list (and
    each later change) is pushed to it, signed. Logged (`hotlist_share_change`)."""
    try:
        state = shared.shares.share(who(user.username, user.agency_id), list_id,
                                    user.agency_id, body.node)  # fmt: skip
    except ShareRefused as exc:
        raise _refused(exc) from None
    except ChangeNotLogged as exc:
        raise AuditUnavailable(str(exc)) from exc
    pushes = _pushes(shared.push_now(list_id), body.node)
    return ShareAnswer(
        share=_find(shared, list_id, user.agency_id, body.node, state), pushes=pushes
    )


def _find(shared: SharedHotlists, list_id: int, owner_id: int, node: str,
          fallback: ShareState) -> ShareState:  # fmt: skip
    return next((s for s in shared.shares.shares(list_id, owner_id) if s.node == node), fallback)


@router.get("/v1/hotlists/{list_id}/shares", response_model=list[ShareState])
def list_shares(list_id: RowId, user: Manager, shared: Shared) -> list[ShareState]:
    """The nodes a list of the caller's agency is shared with, and whether each holds it
    as it is now."""
    try:
        return shared.shares.shares(list_id, user.agency_id)
    except ShareRefused as exc:
        raise _refused(exc) from None


@router.delete("/v1/hotlists/{list_id}/shares/{node}", response_model=ShareAnswer)
def unshare_hotlist(list_id: RowId, node: str, user: Manager, shared: Shared) -> ShareAnswer:
    """End a share: the node is told to drop the list. Logged (`hotlist_share_change`)."""
    try:
        state = shared.shares.unshare(who(user.username, user.agency_id), list_id,
                                      user.agency_id, node)  # fmt: skip
    except ShareRefused as exc:
        raise _refused(exc) from None
    except ChangeNotLogged as exc:
        raise AuditUnavailable(str(exc)) from exc
    pushes = _pushes(shared.push_now(list_id), node)
    return ShareAnswer(share=_find(shared, list_id, user.agency_id, node, state), pushes=pushes)


@router.post(
    "/v1/federation/hotlists",
    response_model=SharedListAnswer,
    responses={
        **NODE_REFUSED,
        409: {
            "description": "an older version than the one held "
            "(`stale_version`), a list name the agency has here, or a version naming "
            "another agency than the list's (`list_agency_changed`)"
        },
        413: {"description": "a body past the server's limit (`body_too_large`), read no "
              "further"},
        422: {"description": "a malformed body or entry (`invalid_entry`), a file type not "
              "on the closed list (`invalid_file_type`), or a list past the agency's entry "
              "cap (`list_too_large`): nothing is stored"},
    },
    summary="Hold a partner node's shared hot list (signed; the whole list, versioned)",
)
async def receive_list(node: SignedNode, body: SharedListPush, shared: Shared) -> SharedListAnswer:
    try:
        return await asyncio.to_thread(shared.lists.receive, node, body)
    except ShareRefused as exc:
        raise _refused(exc) from None
    except ChangeNotLogged as exc:
        raise AuditUnavailable(str(exc)) from exc


@router.post(
    "/v1/federation/hits",
    response_model=SharedHitAnswer,
    responses={
        **NODE_REFUSED,
        404: {"description": "a list not shared with that node (`not_shared`)"},
        409: {"description": "an entry that had expired when the read was made "
              "(`entry_expired`), or a hit id this node holds as another hit "
              "(`hit_id_reused`)"},
    },
    summary="Take a hit on a shared list that the data owner's node let this node receive",
)
async def receive_hit(node: SignedNode, body: SharedHit, shared: Shared) -> SharedHitAnswer:
    try:
        return await asyncio.to_thread(shared.shares.receive_hit, node, body)
    except ShareRefused as exc:
        raise _refused(exc) from None
    except ChangeNotLogged as exc:
        raise AuditUnavailable(str(exc)) from exc
