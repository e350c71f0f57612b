"""The ingest quarantine and camera aliases, for an agency's admins.

``GET /v1/admin/quarantine`` lists the items the agency's credentials sent that could not
be accepted (paged, filtered by status, format, reason or credential); each listing is a
``quarantine_read`` entry written before the answer. ``POST …/{id}/replay`` runs an item
through ingest again (after a camera alias or the camera was fixed): its reads are stored
once, and the item is marked replayed with its ``quarantine_change`` entry in the same
transaction; ``POST …/{id}/discard`` drops it, likewise logged. Quarantine is turned on or
off per credential (``PUT /v1/admin/quarantine/credentials/{kind}/{prefix}``), and camera
aliases are managed under ``/v1/admin/camera-aliases``. Who may: the agency's admins
(``manage_agency``), for their own agency only — another agency's item answers as one
that does not exist.

Admins never reach reads, so no plate is shown here: each item, conflict, outcome and
replay answer is masked (`plateledger.ingest.quarantine.shown`); the stored item stays
whole. A replay is made as the item's credential would make it now: with its camera
restriction (a key limited to one camera replays reads of that camera only), and not at
all when the credential has been revoked (409 ``credential_revoked``; the item stays held).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from plateledger.api.deps import AdminUser, CatalogDep, ImagesDep, IngestDep, SettingsDep
from plateledger.api.errors import ApiError
from plateledger.api.ids import Offset, RowId
from plateledger.api.routes.reads import CONFLICT, IngestResult, ItemErrorOut, ingest_bytes
from plateledger.audit import new_entry
from plateledger.audit.changes import ChangeNotLogged
from plateledger.catalog import KeyPrincipal
from plateledger.catalog.quarantine import QuarantineItem
from plateledger.ingest import ADAPTERS
from plateledger.ingest.quarantine import (
    Masker,
    Quarantine,
    QuarantineError,
    item_body,
    item_masker,
    shown,
)

router = APIRouter(prefix="/v1/admin", tags=["admin"])

MAX_SCANNED = 100_000
"""Most items a listing filtered by reason looks through (newest first)."""


class QuarantineItemOut(BaseModel):
    """An item as its agency's admin sees it: source, reasons and times as kept; plates,
    read ids and images masked (the stored item stays whole)."""

    id: int
    status: Literal["held", "replayed", "discarded"]
    credential_kind: str
    credential_prefix: str
    format: str
    content_type: str
    camera_hint: str | None
    item_index: int = Field(description="the item's position in its batch (-1: the whole body)")
    raw: str | None = Field(
        description="the item as sent, each plate (and candidate plate) replaced by a token "
        "(`pt_…`, keyed by the server's secret and the item: the same plate reads the same "
        "within the item, never across items), pictures and long text withheld; null when "
        "the item could not be parsed to be masked"
    )
    raw_withheld: str | None = Field(
        default=None,
        description="what of the item is not shown and why: all of it (`raw` is null), or a "
        "multipart webhook's frame (kept with the item, which a replay stores)",
    )
    reasons: list[str] = Field(description="why it was refused (any plate in it as a token)")
    read_id: str | None = Field(
        default=None, description="a conflicting read's id, as a token (`rt_…`)"
    )
    conflict: dict[str, Any] | None = Field(
        default=None,
        description="for a conflict: `differs`, the fields in which the posted version "
        "differs from the stored one, and `posted` and `stored`, each version's values with "
        "plates as tokens (`stored` is text when that read is another agency's or gone)",
    )
    received_at: datetime
    resolved_at: datetime | None
    resolved_by: str | None
    outcome: dict[str, Any] | None = Field(
        description="what a replay stored (`accepted`: read ids as tokens)"
    )

    @classmethod
    def of(cls, item: QuarantineItem, secret: str) -> QuarantineItemOut:
        masked = shown(item, secret)
        values = {
            name: masked[name] if name in masked else getattr(item, name)
            for name in cls.model_fields
        }
        return cls(**values)


class QuarantinePage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[QuarantineItemOut]
    read_index: int = Field(description="audit index of the `quarantine_read` entry")


class ReplayIngest(BaseModel):
    """A replay's ingest result as the admin sees it: read ids as tokens, plates in
    messages as tokens."""

    accepted: list[str] = Field(description="the reads stored, as tokens (`rt_…`)")
    errors: list[ItemErrorOut]
    ignored: int = 0
    not_kept: int = 0
    zone_dropped: int = 0
    batch: str = ""

    @classmethod
    def of(cls, result: IngestResult, masker: Masker) -> ReplayIngest:
        return cls(
            accepted=[masker.token(str(r), "rt_") for r in result.accepted],
            errors=[_masked_error(e, masker) for e in result.errors],
            ignored=result.ignored,
            not_kept=result.not_kept,
            zone_dropped=result.zone_dropped,
            batch=masker.text(result.batch),
        )


def _masked_error(error: ItemErrorOut, masker: Masker) -> ItemErrorOut:
    return error.model_copy(update={"message": _masked_text(error.message, masker)})


def _masked_text(text: str, masker: Masker) -> str:
    """``text`` with the item's plates and any read id (a UUID) as tokens."""
    return masker.text(text)


def _masked_details(details: Any, masker: Masker) -> Any:
    if isinstance(details, list):
        return [_masked_details(d, masker) for d in details]
    if isinstance(details, dict):
        return {k: _masked_details(v, masker) for k, v in details.items()}
    if isinstance(details, str):
        return _masked_text(details, masker)
    return details


class ReplayResult(BaseModel):
    item: QuarantineItemOut
    result: ReplayIngest
    change_index: int


class DiscardResult(BaseModel):
    item: QuarantineItemOut
    change_index: int


def _quarantine(ingest: Any) -> Quarantine:
    return Quarantine(ingest.audit_log.engine, ingest.audit_log)


def _purged(ingest: Any, catalog: Any, admin: Any) -> Quarantine:
    """The quarantine, its agency's items past the clock deleted first: an item is raw
    read data, none is listed, shown, replayed or discarded past the agency's clock for
    non-hits (an item is shown by every answer that names it)."""
    quarantine = _quarantine(ingest)
    clock = ingest.retention_for(admin.agency_id).non_hit
    quarantine.purge(admin.agency_id, _slug(catalog, admin.agency_id), clock)
    return quarantine


def _actor(admin: Any) -> dict[str, Any]:
    return {"user": admin.username, "agency_id": admin.agency_id, "via": "api"}


def _slug(catalog: Any, agency_id: int) -> str:
    agency = catalog.agency(agency_id)
    return str(agency_id) if agency is None else str(agency.slug)


def _fail(exc: QuarantineError) -> ApiError:
    return ApiError(exc.status, exc.code, str(exc))


@router.get(
    "/quarantine",
    response_model=QuarantinePage,
    summary="Items your agency's credentials sent that could not be accepted",
)
def list_quarantine(
    admin: AdminUser,
    ingest: IngestDep,
    catalog: CatalogDep,
    settings: SettingsDep,
    status: Annotated[Literal["held", "replayed", "discarded"] | None, Query()] = None,
    format: Annotated[str | None, Query(max_length=32)] = None,
    reason: Annotated[str | None, Query(max_length=200, description="part of a reason")] = None,
    credential: Annotated[str | None, Query(max_length=16, description="a prefix")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Offset = 0,
) -> QuarantinePage:
    quarantine = _purged(ingest, catalog, admin)
    if reason is None:
        items, total = quarantine.items(
            admin.agency_id,
            status=status,
            format=format,
            credential=credential,
            limit=limit,
            offset=offset,
        )
    else:
        # matched against the reasons as shown, never as stored: a reason may quote a
        # plate, and a filter on the stored text would tell its characters one by one
        every, _ = quarantine.items(
            admin.agency_id,
            status=status,
            format=format,
            credential=credential,
            limit=MAX_SCANNED,
            offset=0,
        )
        part = reason.lower()
        found = [
            i
            for i in every
            if any(part in r.lower() for r in shown(i, settings.secret_key)["reasons"])
        ]
        items, total = found[offset : offset + limit], len(found)
    try:  # no entry, no answer
        index = ingest.audit_log.append(
            new_entry(
                "quarantine_read",
                user=admin.username,
                agency=_slug(catalog, admin.agency_id),
                filters={
                    "status": status,
                    "format": format,
                    "reason": reason,
                    "credential": credential,
                    "limit": limit,
                    "offset": offset,
                },
                item_ids=[i.id for i in items],
            )
        )
    except Exception as exc:
        raise ApiError(
            503,
            "audit_unavailable",
            "the audit log could not record this reading; nothing is shown",
        ) from exc
    return QuarantinePage(
        total=total,
        limit=limit,
        offset=offset,
        items=[QuarantineItemOut.of(i, settings.secret_key) for i in items],
        read_index=index,
    )


@router.post(
    "/quarantine/{item_id}/replay",
    response_model=ReplayResult,
    summary="Run a quarantined item through ingest again (after fixing the mapping)",
)
async def replay_quarantined(
    item_id: RowId,
    admin: AdminUser,
    ingest: IngestDep,
    catalog: CatalogDep,
    images: ImagesDep,
    settings: SettingsDep,
    partial: Annotated[bool, Query(
        description="store the reads of the item that can be stored and resolve it, "
        "leaving out (and listing, in the answer and the `quarantine_change` entry) those "
        "still refused; by default an item is replayed whole or not at all")] = False,
) -> ReplayResult:
    quarantine = _purged(ingest, catalog, admin)
    try:
        item = quarantine.item(admin.agency_id, item_id)
    except QuarantineError as exc:
        raise _fail(exc) from None
    if item.status != "held":
        raise ApiError(
            409, "already_resolved", f"quarantined item `{item_id}` was {item.status} already"
        )
    masker = item_masker(item, settings.secret_key)
    # As its credential would post it now: with the camera it is limited to (an ingest
    # URL's reads are stored as its camera, after the aliases; a camera-scoped key's may
    # only be of its camera), an API key's with the `?camera=` it came with — and not at
    # all once the credential is revoked.
    credential = _credential_now(catalog, item.credential_kind, item.credential_prefix)
    if credential is None or credential.agency_id != item.agency_id:
        raise ApiError(
            409,
            "credential_revoked",
            f"the {item.credential_kind} `{item.credential_prefix}` that sent this item has "
            "been revoked (or no longer exists): the item is not replayed and stays held; "
            "discard it, or have the camera post again with a valid credential",
        )
    adapter = ADAPTERS.get(item.format)
    if adapter is None:  # posted to a format that does not exist (kept whole, not lost)
        raise ApiError(
            409,
            "unknown_format",
            f"the item was posted as format `{item.format}`, which this server does not "
            "read: it is not replayed and stays held; discard it once the camera posts "
            "to a format that exists",
        )
    by_url = item.credential_kind == "ingest_url"
    actor, agency = _actor(admin), _slug(catalog, admin.agency_id)
    # Logged before any read is stored (503 and nothing stored if it cannot be): the
    # replay's own entry, with the reads accepted, follows once they are.
    started = quarantine.start_replay(actor, agency, item)
    try:
        result = await ingest_bytes(
            ingest,
            credential,
            adapter,
            item_body(item),
            item.content_type,
            None if by_url else item.camera_hint,
            credential_kind="replay",
            images=images,
            url_camera=credential.camera_id if by_url else None,
            whole=not partial,
        )
    except ApiError as exc:  # refused whole (a conflict again): plates masked in the answer
        raise ApiError(
            exc.status,
            exc.code,
            _masked_text(exc.message, masker),
            _masked_details(exc.details, masker),
        ) from None
    refused = [_masked_error(e, masker) for e in result.errors if e.code != CONFLICT]
    if any(e.code == CONFLICT for e in result.errors):  # found as the reads are stored
        raise ApiError(
            409,
            "read_conflict",
            "a read of the item still conflicts with a stored read; the item stays held "
            f"({len(result.accepted)} other read(s) of it were stored, which a later replay "
            "finds stored already)",
            [_masked_error(e, masker).model_dump() for e in result.errors],
        )
    try:
        outcome: dict[str, Any] = {"accepted": [str(r) for r in result.accepted]}
        if refused:  # (only with `partial`: left out by the admin's choice, and said so)
            outcome["refused"] = [e.model_dump() for e in refused]
        done, index = quarantine.resolve(actor, agency, item, "replayed", outcome)
    except QuarantineError as exc:
        raise _fail(exc) from None
    except ChangeNotLogged:
        raise ApiError(
            503,
            "fail_closed",
            f"the item's reads were stored (entry {started} logged the replay's start) but "
            "the replay's end could not be logged: the item stays held; replay it again "
            "once the audit log takes entries (its reads, stored already, are not stored "
            "twice)",
        ) from None
    return ReplayResult(
        item=QuarantineItemOut.of(done, settings.secret_key),
        result=ReplayIngest.of(result, masker),
        change_index=index,
    )


@router.post(
    "/quarantine/{item_id}/discard",
    response_model=DiscardResult,
    summary="Discard a quarantined item (logged)",
)
def discard_quarantined(
    item_id: RowId,
    admin: AdminUser,
    ingest: IngestDep,
    catalog: CatalogDep,
    settings: SettingsDep,
) -> DiscardResult:
    quarantine = _purged(ingest, catalog, admin)
    try:
        item = quarantine.item(admin.agency_id, item_id)
        done, index = quarantine.resolve(
            _actor(admin), _slug(catalog, admin.agency_id), item, "discarded", {}
        )
    except QuarantineError as exc:
        raise _fail(exc) from None
    return DiscardResult(item=QuarantineItemOut.of(done, settings.secret_key), change_index=index)


class QuarantineSetting(BaseModel):
    enabled: bool


@router.put(
    "/quarantine/credentials/{kind}/{prefix}",
    status_code=204,
    summary="Turn quarantine on or off for one of your agency's credentials",
)
def set_quarantine(
    kind: Literal["api_key", "ingest_url"],
    prefix: str,
    setting: QuarantineSetting,
    admin: AdminUser,
    ingest: IngestDep,
    catalog: CatalogDep,
) -> Response:
    if not _owns_credential(catalog, admin.agency_id, kind, prefix):
        raise ApiError(404, "not_found", f"your agency has no {kind} `{prefix}`")
    _quarantine(ingest).set_credential(
        _actor(admin),
        _slug(catalog, admin.agency_id),
        agency_id=admin.agency_id,
        kind=kind,
        prefix=prefix,
        enabled=setting.enabled,
    )
    return Response(status_code=204)


def _credential_now(catalog: Any, kind: str, prefix: str) -> KeyPrincipal | None:
    """The credential ``prefix`` of ``kind`` as it stands now, with its camera restriction;
    ``None`` when it is revoked or gone."""
    from sqlalchemy import select

    from plateledger.catalog.models import ApiKey, IngestUrl

    model: Any = ApiKey if kind == "api_key" else IngestUrl
    with catalog.engine.connect() as conn:
        row = conn.execute(
            select(model.agency_id, model.camera_id, model.revoked_at).where(model.prefix == prefix)
        ).first()
    if row is None or row.revoked_at is not None:
        return None
    return KeyPrincipal(int(row.agency_id), row.camera_id, prefix)


def _owns_credential(catalog: Any, agency_id: int, kind: str, prefix: str) -> bool:
    from sqlalchemy import select

    from plateledger.catalog.models import ApiKey, IngestUrl

    model: Any = ApiKey if kind == "api_key" else IngestUrl
    with catalog.engine.connect() as conn:
        owner = conn.execute(select(model.agency_id).where(model.prefix == prefix)).scalar()
    return bool(owner == agency_id)


class AliasIn(BaseModel):
    source_format: str = Field(max_length=32, description="openalpr, rekor, frigate, …")
    external_key: str = Field(
        min_length=1,
        max_length=128,
        description="the adapter's name for the camera: `<site_id>-cam<camera_id>` "
        "(OpenALPR), `<agent_uid>-cam<camera_id>` (Rekor), the camera name (Frigate)",
    )
    camera_id: str = Field(max_length=64, description="your registered camera")


class AliasOut(BaseModel):
    source_format: str
    external_key: str
    camera_id: str
    created_by: str
    created_at: datetime


@router.get(
    "/camera-aliases", response_model=list[AliasOut], summary="Your agency's camera aliases"
)
def list_aliases(admin: AdminUser, ingest: IngestDep) -> list[AliasOut]:
    return [
        AliasOut(**{k: getattr(a, k) for k in AliasOut.model_fields})
        for a in _quarantine(ingest).list_aliases(admin.agency_id)
    ]


@router.post(
    "/camera-aliases",
    response_model=AliasOut,
    status_code=201,
    summary="Map a vendor's camera name to one of your cameras",
)
def add_alias(alias: AliasIn, admin: AdminUser, ingest: IngestDep, catalog: CatalogDep) -> AliasOut:
    if alias.source_format not in ADAPTERS:
        raise ApiError(422, "unknown_format", f"unknown format `{alias.source_format}`")

    def owner(camera_id: str) -> int | None:
        camera = catalog.camera(camera_id)
        return None if camera is None else int(camera.owner_id)

    try:
        added = _quarantine(ingest).add_alias(
            _actor(admin),
            _slug(catalog, admin.agency_id),
            agency_id=admin.agency_id,
            source_format=alias.source_format,
            external_key=alias.external_key,
            camera_id=alias.camera_id,
            camera_owner=owner,
        )
    except QuarantineError as exc:
        raise _fail(exc) from None
    return AliasOut(**{k: getattr(added, k) for k in AliasOut.model_fields})


@router.delete(
    "/camera-aliases/{source_format}/{external_key}",
    status_code=204,
    summary="Remove a camera alias",
)
def remove_alias(
    source_format: str, external_key: str, admin: AdminUser, ingest: IngestDep, catalog: CatalogDep
) -> Response:
    try:
        _quarantine(ingest).remove_alias(
            _actor(admin),
            _slug(catalog, admin.agency_id),
            agency_id=admin.agency_id,
            source_format=source_format,
            external_key=external_key,
        )
    except QuarantineError as exc:
        raise _fail(exc) from None
    return Response(status_code=204)
