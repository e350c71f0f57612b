"""``GET /v1/reads/{read_id}/images/{kind}``: a read's plate crop or overview image.

HTTP shape only: the decision (``view_image``, for every owner), the look-up inside the
allowed scope and the ``image_view`` entry are `plateledger.access.images`.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from plateledger.access import images as image_views
from plateledger.access.images import ImageKind, ImageRequest
from plateledger.api.deps import CurrentUser, GateDep, ImagesDep, StoreDep

router = APIRouter(prefix="/v1/reads", tags=["search"])


@router.get(
    "/{read_id}/images/{kind}", response_class=Response,
    summary="A read's plate crop or overview image (decided as `view_image`, and logged)",
    responses={200: {"content": {"image/jpeg": {}}}},
)
async def view_image(
    user: CurrentUser,
    gate: GateDep,
    store: StoreDep,
    images: ImagesDep,
    read_id: uuid.UUID,
    kind: ImageKind,
    plate: Annotated[str, Query(max_length=32, description="the read's plate")],
    purpose: Annotated[str, Query(max_length=64)],
    reason: Annotated[str, Query(max_length=1000)],
    case_number: Annotated[str | None, Query(max_length=64)] = None,
    requested_by: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    asked = ImageRequest(read_id=read_id, kind=kind, plate=plate, purpose=purpose,
                         reason=reason, case_number=case_number, requested_by=requested_by)
    data = await asyncio.to_thread(image_views.view_image, gate, store, images, user, asked)
    return Response(data, media_type="image/jpeg", headers={"Cache-Control": "no-store"})
