"""Agency administration: ``/v1/admin/...`` for admins, always of their own agency.

The agency is the admin's, from the catalog; no request names an agency it acts for, and
request bodies refuse unknown fields (an ``agency_id`` or ``kind`` sent along is a 422).
Another agency's users, keys and agreements answer 404, as if they did not exist.
Every change is made by `plateledger.access.admin_changes`, in one transaction with its
audit entry (no entry, no change), before the answer; it is in force for the very next
decision. Who may call each route is decided by the policy set (the role pack's
``role-manage``), not here.

An agency's administrator may change its published settings (``PATCH /v1/admin/agency``:
purposes, case number, custodian, retention clocks …) but never its requester class or law
packs: those are the platform operator's (``plateledger admin agency-class``), or an
agency could make itself lawful to share with.

A new agreement is decided as a dry run first: the answer's ``dry_run`` says, for each
action it grants, whether the law packs would let the recipient have it and which rules
deny it. An agreement whose every action the packs would always deny is refused (422
``always_denied``, with the dry run) unless the request says ``force: true``; one with
some denied actions is created and its answer lists them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field, StrictInt, field_validator

from plateledger.access.admin_changes import Actor
from plateledger.access.policy_source import PolicySource, preview_agreement
from plateledger.api.deps import (
    AdminChangesDep,
    AdminUser,
    AgreementAdmin,
    CatalogDep,
    PolicyDep,
    Principal,
    UserAdmin,
)
from plateledger.api.errors import ApiError
from plateledger.api.ids import RowId
from plateledger.catalog import (
    Agency,
    AgreementRow,
    ApiKey,
    Camera,
    CatalogError,
    Conflict,
    DeclarationRow,
    NotFound,
    User,
    new_totp_secret,
    totp_uri,
)
from plateledger.catalog.accounts import TOTP_ROLES
from plateledger.catalog.sharing import EARLIEST, LATEST, MAX_LOOKBACK_DAYS, MAX_RESULT_CAP
from plateledger.policy import PolicyError, parse_purpose
from plateledger.policy.action import SEARCH_ACTIONS, Action, granted_actions

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
    timezone: str | None = Field(
        description="IANA zone of the agency's reports; null: its home state's")
    portal_officer_names: bool = Field(
        description="whether the public transparency page names the officers who searched")
    created_at: datetime
    updated_at: datetime


@router.get("/agency", response_model=AgencyPublic, summary="Your agency's settings")
def own_agency(admin: AdminUser, catalog: CatalogDep) -> Agency:
    agency = catalog.agency(admin.agency_id)
    if agency is None:
        raise ApiError(404, "not_found", "your agency no longer exists")
    return agency


class AgencyUpdate(BaseModel):
    """The settings of your agency to change; fields left out stay as they are. The
    requester class (kind, home state, law enforcement) and the law packs are not here."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    jurisdiction: str | None = Field(default=None, max_length=200)
    purposes: list[str] | None = Field(
        default=None, max_length=50,
        description="published purposes (the closed list); null: whatever the packs allow",
    )
    case_number_required: bool | None = None
    custodian_contact: str | None = Field(default=None, max_length=300)
    retention_nonhit_days: StrictInt | None = Field(
        default=None, ge=1, le=36_500,
        description="days a read that hit no list is kept; null: the law packs' clock. "
        "The shortest of this and the packs' clocks applies")
    retention_hit_days: StrictInt | None = Field(
        default=None, ge=1, le=36_500,
        description="days a read that hit a list is kept; null: the law packs' clock")
    retention_image_days: StrictInt | None = Field(
        default=None, ge=1, le=36_500,
        description="days an image is kept (never longer than its read); null: as its read")
    timezone: str | None = Field(
        default=None, max_length=64,
        description="IANA time zone the agency's reports count days in (America/Chicago); "
        "null: the home state's")
    portal_officer_names: bool | None = Field(
        default=None,
        description="whether the public transparency page names the officers who searched")


@router.patch("/agency", response_model=AgencyPublic,
              summary="Change your agency's published settings (in force at once)")
def update_agency(body: AgencyUpdate, admin: AdminUser, changes_: AdminChangesDep) -> Agency:
    changes: dict[str, Any] = {name: getattr(body, name) for name in body.model_fields_set}
    for name in ("name", "jurisdiction", "case_number_required", "custodian_contact",
                 "portal_officer_names"):
        if name in changes and changes[name] is None:
            raise ApiError(422, "refused", f"`{name}` cannot be null")
    if not changes:
        raise ApiError(422, "refused", "name at least one setting to change")
    if changes.get("purposes") is not None:
        try:
            changes["purposes"] = sorted({parse_purpose(p).value for p in changes["purposes"]})
        except PolicyError as exc:
            raise ApiError(422, "unknown_purpose", str(exc)) from None
        if not changes["purposes"]:
            raise ApiError(422, "refused", "publish at least one purpose, or null for all")
    with catalog_errors():
        return changes_.update_agency(Actor.admin(admin), admin.agency_id, **changes)


class DeclarationPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    agency_id: int
    owner_state: str
    signer: str
    signed_at: datetime
    document_digest: str
    created_at: datetime
    revoked_at: datetime | None


@router.get("/declarations", response_model=list[DeclarationPublic],
            summary="Written declarations your agency signed (625 ILCS 5/2-130)")
def list_declarations(admin: AdminUser, catalog: CatalogDep) -> list[DeclarationRow]:
    return catalog.declarations(agency_id=admin.agency_id)


@router.delete("/declarations/{declaration_id}", status_code=204,
               summary="Revoke a written declaration of your agency (in force at once)")
def revoke_declaration(
    declaration_id: RowId, admin: AdminUser, changes: AdminChangesDep
) -> Response:
    with catalog_errors():
        changes.revoke_declaration(Actor.admin(admin), declaration_id,
                                   agency_id=admin.agency_id)
    return Response(status_code=204)


class UserPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    display_name: str
    roles: list[str]
    acting_for_agency_id: int | None = Field(
        default=None, description="the agency this user acts for; policy treats them as it"
    )
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
def list_users(admin: UserAdmin, catalog: CatalogDep) -> list[User]:
    return catalog.users(admin.agency_id)


@router.post("/users", response_model=UserCreated, status_code=201, summary="Add a user")
def create_user(
    body: UserCreate, admin: UserAdmin, catalog: CatalogDep, changes: AdminChangesDep
) -> UserCreated:
    needs_totp = body.totp or (catalog.require_totp and bool(TOTP_ROLES & set(body.roles)))
    secret = new_totp_secret() if needs_totp else None
    with catalog_errors():
        user = changes.add_user(
            Actor.admin(admin), admin.agency_id, body.username, body.password, body.roles,
            display_name=body.display_name, totp_secret=secret, totp_required=body.totp,
        )
    public = UserPublic.model_validate(user)
    return UserCreated(
        **public.model_dump(), totp_secret=secret,
        totp_uri=totp_uri(user.username, secret) if secret else None,
    )


class RolesUpdate(BaseModel):
    """The user's roles from now on (their sessions end: they log in again)."""

    model_config = ConfigDict(extra="forbid")

    roles: list[Role] = Field(min_length=1, max_length=5)


@router.put("/users/{username}/roles", response_model=UserPublic,
            summary="Replace a user's roles (their sessions end)")
def set_roles(
    username: str, body: RolesUpdate, admin: UserAdmin, catalog: CatalogDep,
    changes: AdminChangesDep,
) -> User:
    _own_user(catalog, admin, username)
    if username == admin.username:
        raise ApiError(422, "refused", "an administrator may not change their own roles")
    with catalog_errors():
        return changes.set_roles(Actor.admin(admin), username, body.roles)


class ActingFor(BaseModel):
    """The agency (a slug) the user acts for — a federal task-force officer with a local
    login acts for the federal agency; null: for your own agency."""

    model_config = ConfigDict(extra="forbid")

    agency: str | None = Field(max_length=64)


@router.put("/users/{username}/acting-for", response_model=UserPublic,
            summary="Record the agency a user acts for (their requests are made for it)")
def set_acting_for(
    username: str, body: ActingFor, admin: UserAdmin, catalog: CatalogDep,
    changes: AdminChangesDep,
) -> User:
    _own_user(catalog, admin, username)
    agency_id = None
    if body.agency is not None:
        found = catalog.agency_by_slug(body.agency)
        if found is None:
            raise ApiError(404, "not_found", f"no agency `{body.agency}`")
        agency_id = found.id
    with catalog_errors():
        return changes.set_acting_for(Actor.admin(admin), username, agency_id)


@router.post("/users/{username}/unlock", response_model=UserPublic, summary="Lift a lock-out")
def unlock_user(
    username: str, admin: UserAdmin, catalog: CatalogDep, changes: AdminChangesDep
) -> User:
    _own_user(catalog, admin, username)
    with catalog_errors():
        return changes.unlock_user(Actor.admin(admin), username)


@router.post("/users/{username}/revoke-tokens", summary="Log a user out everywhere")
def revoke_user_tokens(
    username: str, admin: UserAdmin, catalog: CatalogDep, changes: AdminChangesDep
) -> dict[str, int]:
    _own_user(catalog, admin, username)
    with catalog_errors():
        return {"revoked": changes.revoke_tokens(Actor.admin(admin), username)}


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
def create_camera(body: CameraCreate, admin: AdminUser, changes: AdminChangesDep) -> Camera:
    with catalog_errors():
        return changes.add_camera(
            Actor.admin(admin), body.camera_id, admin.agency_id, body.kind, name=body.name,
            lat=body.lat, lon=body.lon, heading=body.heading,
        )


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
def create_key(body: KeyCreate, admin: AdminUser, changes: AdminChangesDep) -> KeyCreated:
    with catalog_errors():
        raw, key = changes.issue_key(Actor.admin(admin), admin.agency_id, body.camera_id,
                                     body.label)
    return KeyCreated(**KeyPublic.model_validate(key).model_dump(), key=raw)


@router.delete("/keys/{prefix}", status_code=204, summary="Revoke an API key")
def revoke_key(prefix: str, admin: AdminUser, changes: AdminChangesDep) -> Response:
    with catalog_errors():
        changes.revoke_key(Actor.admin(admin), prefix, agency_id=admin.agency_id)
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


class ActionDryRun(BaseModel):
    action: str
    allowed_purposes: list[str] = Field(
        description="purposes of the agreement under which the packs let the recipient in"
    )
    always_denied: bool
    denied_by: list[str] = Field(description="ids of the rules that deny the other purposes")
    reasons: list[str]


class AgreementCreated(AgreementPublic):
    dry_run: list[ActionDryRun] = Field(
        description="each granted action decided as a dry run at creation"
    )
    warnings: list[str]


AgreementAction = Literal[
    "search", "alert", "export", "search_exact", "search_wildcard", "search_fuzzy",
    "search_area", "search_convoy", "search_locate", "search_timeline", "view_image",
    "receive_alert",
]


class AgreementCreate(BaseModel):
    """Your agency shares its data with ``recipient`` (a slug) on these terms."""

    model_config = ConfigDict(extra="forbid")

    recipient: str = Field(min_length=1, max_length=64)
    actions: list[AgreementAction] = Field(
        min_length=1,
        description="`search` (every kind), `alert`, `export`, or single kinds such as "
                    "`search_exact`",
    )
    purposes: list[str] = Field(min_length=1, max_length=50)
    max_lookback_days: int | None = Field(default=None, ge=1, le=MAX_LOOKBACK_DAYS)
    case_number_required: bool = True
    result_cap: int | None = Field(default=None, ge=1, le=MAX_RESULT_CAP)
    images_allowed: bool = False
    starts_at: datetime | None = None
    expires_at: datetime | None = None

    @field_validator("starts_at", "expires_at")
    @classmethod
    def _on_the_calendar(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        try:
            moment = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
        except (OverflowError, ValueError):
            raise ValueError("out of range") from None
        if not EARLIEST <= moment <= LATEST:
            raise ValueError(f"must fall between {EARLIEST.year} and {LATEST.year} (UTC)")
        return value
    force: bool = Field(
        default=False, description="create it even if the packs would deny every action"
    )


@router.get(
    "/agreements", response_model=list[AgreementPublic], summary="Agreements your agency owns"
)
def list_agreements(admin: AgreementAdmin, catalog: CatalogDep) -> list[AgreementRow]:
    return catalog.agreements(owner_id=admin.agency_id)


def dry_run(
    source: PolicySource, admin: Principal, recipient_id: int, body: AgreementCreate
) -> list[ActionDryRun]:
    """``body`` decided as a dry run under the policy set in force (with the agreement)."""
    if admin.agency_id == recipient_id:
        raise ApiError(422, "refused", "an agency needs no agreement with itself")
    try:
        granted = granted_actions(body.actions)
    except PolicyError as exc:
        raise ApiError(422, "refused", str(exc)) from None
    if body.images_allowed and not granted >= SEARCH_ACTIONS:
        raise ApiError(422, "refused", "`images_allowed` shares the images of the reads a "
                       "partner may search: it needs `search` among the actions")
    if Action.VIEW_IMAGE in granted and not body.images_allowed:
        # it would open nothing: a search shows, and a view serves, images only where
        # the agreement shares them
        raise ApiError(422, "refused", "`view_image` comes with `images_allowed` and "
                       "`search`: tick `images_allowed` to share the images of the reads "
                       "the partner may search")
    try:
        previews = preview_agreement(
            source.engine(), admin.agency_id, recipient_id, actions=body.actions,
            purposes=body.purposes, max_lookback_days=body.max_lookback_days,
            case_number_required=body.case_number_required, result_cap=body.result_cap,
            images_allowed=body.images_allowed, starts_at=body.starts_at,
            expires_at=body.expires_at, now=datetime.now(UTC),
        )
    except PolicyError as exc:
        raise ApiError(422, "refused", str(exc)) from None
    return [
        ActionDryRun(action=p.action.value, allowed_purposes=[x.value for x in p.allowed_purposes],
                     always_denied=p.always_denied, denied_by=list(p.denied_by),
                     reasons=list(p.reasons))
        for p in previews
    ]


@router.post(
    "/agreements", response_model=AgreementCreated, status_code=201,
    summary="Share your agency's data with another agency (decided as a dry run first)",
    responses={422: {"description": "refused; `always_denied` carries the dry run"}},
)
def create_agreement(
    body: AgreementCreate, admin: AgreementAdmin, catalog: CatalogDep, source: PolicyDep,
    changes: AdminChangesDep,
) -> AgreementCreated:
    recipient = catalog.agency_by_slug(body.recipient)
    if recipient is None:
        raise ApiError(404, "not_found", f"no agency `{body.recipient}`")
    for moment in (body.starts_at, body.expires_at):
        if moment is not None and moment.tzinfo is None:
            raise ApiError(422, "refused", "give times with a time zone, e.g. `Z`")
    preview = dry_run(source, admin, recipient.id, body)
    denied = [p for p in preview if p.always_denied]
    warnings = [
        f"the law packs will always deny `{p.action}` to `{recipient.slug}`: "
        + ", ".join(p.denied_by)
        for p in denied
    ]
    if denied and len(denied) == len(preview) and not body.force:
        raise ApiError(
            422, "always_denied",
            "the law packs will always deny every action of this agreement: "
            + "; ".join(warnings) + "; send `force: true` to create it anyway",
        )
    with catalog_errors():
        agreement = changes.add_agreement(
            Actor.admin(admin), admin.agency_id, recipient.id,
            always_denied=[p.action for p in denied], actions=body.actions,
            purposes=body.purposes, created_by=admin.username,
            max_lookback_days=body.max_lookback_days,
            case_number_required=body.case_number_required, result_cap=body.result_cap,
            images_allowed=body.images_allowed, starts_at=body.starts_at,
            expires_at=body.expires_at,
        )
    public = AgreementPublic.model_validate(agreement)
    return AgreementCreated(**public.model_dump(), dry_run=preview, warnings=warnings)


@router.delete("/agreements/{agreement_id}", status_code=204, summary="Revoke an agreement")
def revoke_agreement(
    agreement_id: RowId, admin: AgreementAdmin, changes: AdminChangesDep
) -> Response:
    with catalog_errors():
        changes.revoke_agreement(Actor.admin(admin), agreement_id, owner_id=admin.agency_id)
    return Response(status_code=204)
