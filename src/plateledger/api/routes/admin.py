"""Agency administration: ``/v1/admin/...`` for admins, always of their own agency.

The agency is the admin's, from the catalog; no request names an agency it acts for, and
request bodies refuse unknown fields (an ``agency_id`` or ``kind`` sent along is a 422).
Another agency's users, keys and agreements answer 404, as if they did not exist.
Every change is recorded in the audit log before the answer.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from plateledger.api.deps import AdminUser, CatalogDep, Principal
from plateledger.api.errors import ApiError
from plateledger.audit.entry import EntryType, new_entry
from plateledger.catalog import (
    Agency,
    Agreement,
    ApiKey,
    Camera,
    CatalogError,
    Conflict,
    NotFound,
    User,
    new_totp_secret,
    totp_uri,
)
from plateledger.catalog.accounts import TOTP_ROLES

router = APIRouter(prefix="/v1/admin", tags=["admin"])

Role = Literal["admin", "investigator", "supervisor", "auditor", "dispatcher"]


@contextmanager
def catalog_errors() -> Iterator[None]:
    """Turn the catalog's refusals into 404, 409 and 422 answers."""
    try:
        yield
    except NotFound as exc:
        raise ApiError(404, "not_found", str(exc)) from None
    except Conflict as exc:
        raise ApiError(409, "conflict", str(exc)) from None
    except CatalogError as exc:
        raise ApiError(422, "refused", str(exc)) from None


def record(
    request: Request, admin: Principal, entry_type: EntryType | str, **fields: Any
) -> None:
    """Append the change to the audit log, when the server has one, with the hash of the
    policy set in force after it (recompiled here if the change touched the catalog)."""
    log = getattr(request.app.state, "audit_log", None)
    if log is not None:
        source = getattr(request.app.state, "policy", None)
        policy_hash = None
        if source is not None:
            source.invalidate()  # the change is in force for the very next request
            policy_hash = source.engine().policy_hash
        log.append(new_entry(
            entry_type, user=admin.username, agency_id=admin.agency_id,
            policy_set_hash=policy_hash, **fields
        ))


class AgencyPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    slug: str
    kind: str
    home_state: str
    jurisdiction: str
    law_packs: list[str]
    purposes: list[str] | None
    case_number_required: bool
    custodian_contact: str
    retention_nonhit_days: int | None
    retention_hit_days: int | None
    retention_image_days: int | None
    is_law_enforcement: bool
    created_at: datetime
    updated_at: datetime


@router.get("/agency", response_model=AgencyPublic, summary="Your agency's settings")
def own_agency(admin: AdminUser, catalog: CatalogDep) -> Agency:
    agency = catalog.agency(admin.agency_id)
    if agency is None:
        raise ApiError(404, "not_found", "your agency no longer exists")
    return agency


class UserPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    display_name: str
    roles: list[str]
    totp_required: bool
    disabled: bool
    locked_until: datetime | None
    created_at: datetime


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=12, max_length=1024)
    roles: list[Role] = Field(min_length=1)
    display_name: str = Field(default="", max_length=200)
    totp: bool = Field(default=False, description="require a second factor even if no role does")


class UserCreated(UserPublic):
    totp_secret: str | None = Field(description="shown once: enrol it in an authenticator")
    totp_uri: str | None


def _own_user(catalog: CatalogDep, admin: Principal, username: str) -> User:
    user = catalog.user_by_username(username)
    if user is None or user.agency_id != admin.agency_id:
        raise ApiError(404, "not_found", f"no user `{username}` in your agency")
    return user


@router.get("/users", response_model=list[UserPublic], summary="Your agency's users")
def list_users(admin: AdminUser, catalog: CatalogDep) -> list[User]:
    return catalog.users(admin.agency_id)


@router.post("/users", response_model=UserCreated, status_code=201, summary="Add a user")
def create_user(
    body: UserCreate, admin: AdminUser, catalog: CatalogDep, request: Request
) -> UserCreated:
    needs_totp = body.totp or (catalog.require_totp and bool(TOTP_ROLES & set(body.roles)))
    secret = new_totp_secret() if needs_totp else None
    with catalog_errors():
        user = catalog.add_user(
            admin.agency_id, body.username, body.password, body.roles,
            display_name=body.display_name, totp_secret=secret, totp_required=body.totp,
        )
    record(request, admin, EntryType.USER_CHANGE, change="add", subject=user.username,
           roles=user.roles)
    public = UserPublic.model_validate(user)
    return UserCreated(
        **public.model_dump(), totp_secret=secret,
        totp_uri=totp_uri(user.username, secret) if secret else None,
    )


@router.post("/users/{username}/unlock", response_model=UserPublic, summary="Lift a lock-out")
def unlock_user(username: str, admin: AdminUser, catalog: CatalogDep, request: Request) -> User:
    _own_user(catalog, admin, username)
    user = catalog.unlock_user(username)
    record(request, admin, EntryType.USER_CHANGE, change="unlock", subject=username)
    return user


@router.post("/users/{username}/revoke-tokens", summary="Log a user out everywhere")
def revoke_user_tokens(
    username: str, admin: AdminUser, catalog: CatalogDep, request: Request
) -> dict[str, int]:
    user = _own_user(catalog, admin, username)
    revoked = catalog.revoke_tokens(user.id)
    record(request, admin, EntryType.USER_CHANGE, change="revoke_tokens", subject=username)
    return {"revoked": revoked}


class CameraPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    camera_id: str
    owner_id: int
    kind: str
    name: str
    lat: float | None
    lon: float | None
    heading: float | None
    active: bool


class CameraCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    camera_id: str = Field(min_length=1, max_length=64)
    kind: Literal["fixed", "mobile"] = "fixed"
    name: str = Field(default="", max_length=200)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    heading: float | None = Field(default=None, ge=0, lt=360)


@router.get("/cameras", response_model=list[CameraPublic], summary="Your agency's cameras")
def list_cameras(admin: AdminUser, catalog: CatalogDep) -> list[Camera]:
    return catalog.cameras(owner_id=admin.agency_id)


@router.post("/cameras", response_model=CameraPublic, status_code=201, summary="Add a camera")
def create_camera(
    body: CameraCreate, admin: AdminUser, catalog: CatalogDep, request: Request
) -> Camera:
    with catalog_errors():
        camera = catalog.add_camera(
            body.camera_id, admin.agency_id, body.kind, name=body.name, lat=body.lat,
            lon=body.lon, heading=body.heading,
        )
    record(request, admin, "camera_change", change="add", camera_id=camera.camera_id)
    return camera


class KeyPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    prefix: str
    camera_id: str | None
    label: str
    created_at: datetime
    revoked_at: datetime | None


class KeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    camera_id: str | None = Field(default=None, max_length=64)
    label: str = Field(default="", max_length=200)


class KeyCreated(KeyPublic):
    key: str = Field(description="shown once: the server keeps only its hash")


@router.get("/keys", response_model=list[KeyPublic], summary="Your agency's API keys")
def list_keys(admin: AdminUser, catalog: CatalogDep) -> list[ApiKey]:
    return catalog.api_keys(admin.agency_id)


@router.post("/keys", response_model=KeyCreated, status_code=201, summary="Issue an API key")
def create_key(
    body: KeyCreate, admin: AdminUser, catalog: CatalogDep, request: Request
) -> KeyCreated:
    with catalog_errors():
        raw = catalog.issue_api_key(admin.agency_id, body.camera_id, body.label)
    prefix = raw.split("_")[1]
    [key] = [k for k in catalog.api_keys(admin.agency_id) if k.prefix == prefix]
    record(request, admin, EntryType.KEY_CHANGE, change="issue", prefix=prefix,
           camera_id=body.camera_id)
    return KeyCreated(**KeyPublic.model_validate(key).model_dump(), key=raw)


@router.delete("/keys/{prefix}", status_code=204, summary="Revoke an API key")
def revoke_key(prefix: str, admin: AdminUser, catalog: CatalogDep, request: Request) -> Response:
    with catalog_errors():
        catalog.revoke_api_key(prefix, agency_id=admin.agency_id)
    record(request, admin, EntryType.KEY_CHANGE, change="revoke", prefix=prefix)
    return Response(status_code=204)


class AgreementPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    owner_id: int
    recipient_id: int
    actions: list[str]
    purposes: list[str]
    max_lookback_days: int | None
    case_number_required: bool
    result_cap: int | None
    images_allowed: bool
    starts_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    created_by: str


class AgreementCreate(BaseModel):
    """Your agency shares its data with ``recipient`` (a slug) on these terms."""

    model_config = ConfigDict(extra="forbid")

    recipient: str = Field(min_length=1, max_length=64)
    actions: list[Literal["search", "alert", "export"]] = Field(min_length=1)
    purposes: list[str] = Field(min_length=1, max_length=50)
    max_lookback_days: int | None = Field(default=None, ge=1)
    case_number_required: bool = True
    result_cap: int | None = Field(default=None, ge=1)
    images_allowed: bool = False
    starts_at: datetime | None = None
    expires_at: datetime | None = None


@router.get(
    "/agreements", response_model=list[AgreementPublic], summary="Agreements your agency owns"
)
def list_agreements(admin: AdminUser, catalog: CatalogDep) -> list[Agreement]:
    return catalog.agreements(owner_id=admin.agency_id)


@router.post(
    "/agreements", response_model=AgreementPublic, status_code=201,
    summary="Share your agency's data with another agency",
)
def create_agreement(
    body: AgreementCreate, admin: AdminUser, catalog: CatalogDep, request: Request
) -> Agreement:
    recipient = catalog.agency_by_slug(body.recipient)
    if recipient is None:
        raise ApiError(404, "not_found", f"no agency `{body.recipient}`")
    for moment in (body.starts_at, body.expires_at):
        if moment is not None and moment.tzinfo is None:
            raise ApiError(422, "refused", "give times with a time zone, e.g. `Z`")
    with catalog_errors():
        agreement = catalog.add_agreement(
            admin.agency_id, recipient.id, actions=body.actions, purposes=body.purposes,
            created_by=admin.username, max_lookback_days=body.max_lookback_days,
            case_number_required=body.case_number_required, result_cap=body.result_cap,
            images_allowed=body.images_allowed, starts_at=body.starts_at,
            expires_at=body.expires_at,
        )
    record(request, admin, EntryType.AGREEMENT_CHANGE, change="add", agreement_id=agreement.id,
           recipient_id=recipient.id, actions=agreement.actions, purposes=agreement.purposes)
    return agreement


@router.delete("/agreements/{agreement_id}", status_code=204, summary="Revoke an agreement")
def revoke_agreement(
    agreement_id: int, admin: AdminUser, catalog: CatalogDep, request: Request
) -> Response:
    with catalog_errors():
        catalog.revoke_agreement(agreement_id, owner_id=admin.agency_id)
    record(request, admin, EntryType.AGREEMENT_CHANGE, change="revoke",
           agreement_id=agreement_id)
    return Response(status_code=204)
