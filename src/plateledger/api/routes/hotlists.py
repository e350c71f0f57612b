"""Hot lists, hits, dispositions and webhook subscriptions of the caller's own agency.

Needs the server's `HotlistRuntime` (`HotlistDep`; 503 without one). Lists and webhooks
are managed by supervisors and administrators; every user of the agency sees its hits and
records dispositions. Nobody sees another agency's lists or hits here.

Every change of a list or of one of its entries is written in one transaction with its
``hotlist_change`` / ``hotlist_entry_change`` audit entry (who, when, the values before
and after); if that entry cannot be written, nothing is changed (503).
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, Query, UploadFile
from pydantic import BaseModel, ConfigDict, Field, field_validator

from plateledger.access.errors import AuditUnavailable
from plateledger.api.deps import CurrentUser, HotlistDep, Principal, require_action
from plateledger.api.errors import ApiError
from plateledger.api.ids import RowId
from plateledger.audit.changes import ChangeNotLogged, who
from plateledger.hotlist import (
    Category,
    Disposition,
    DispositionError,
    FileType,
    FileTypeRefused,
    HitAction,
    HitRecord,
    Hotlist,
    ImportRefused,
    ImportReport,
    ListTooLarge,
    StoredEntry,
    SubscriptionError,
    UnknownEntry,
    UnknownHit,
    UnknownList,
    parse_file,
)
from plateledger.hotlist.entry import from_millis
from plateledger.hotlist.importing import FileFormat
from plateledger.policy import Action

FILE_TYPES = ", ".join(f.value for f in FileType)
FILE_TYPE_HELP = (f"the file the list comes from, one of: {FILE_TYPES}; an entry may name its "
                  "own. The owner's law packs may refuse a file type (422 naming the rule)")

router = APIRouter(prefix="/v1", tags=["hotlists"])

Manager = Annotated[Principal, Depends(require_action(Action.MANAGE_HOTLISTS))]
Receiver = Annotated[Principal, Depends(require_action(Action.RECEIVE_ALERT))]
"""Hits carry reads: only the roles that may receive alerts (the role pack's
`role-receive-alert`) list, open or dispose of them."""
"""Who may manage lists and webhooks is the role pack's `role-manage-hotlists`."""
MAX_UPLOAD = 200 * 1024 * 1024
"""Largest import file accepted (an NCIC extract of a few million rows)."""


Runtime = HotlistDep


class HotlistPublic(BaseModel):
    id: int
    name: str
    source: str
    description: str
    category: Category
    screened_class: Category = Field(
        description="the class policy sees for the list's entries (immigration_violator when "
        "the list's source, name or description is about immigration enforcement)"
    )
    flags: list[str] = Field(description="what screening found in the list's own words")
    file_type: str = Field(description="the file the list comes from")
    entry_count: int
    created_at: datetime
    updated_at: datetime


class ImportRow(BaseModel):
    model_config = ConfigDict(extra="forbid")

    plate: str = Field(max_length=32)
    region: str = Field(default="", max_length=8)
    reason: str = Field(default="", max_length=500)
    case_number: str = Field(default="", max_length=64)
    expires: str = Field(default="", max_length=40, description="YYYY-MM-DD or ISO-8601")
    priority: int = Field(default=0, ge=0, le=9)
    category: Category | None = Field(default=None, description="the entry's own; none: the list's")


class HotlistImport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=128)
    source: str = Field(default="local", max_length=128)
    description: str = Field(default="", max_length=500)
    category: Category
    file_type: str = Field(default=FileType.UNSPECIFIED.value, max_length=64,
                           description=FILE_TYPE_HELP)
    entries: list[ImportRow] = Field(max_length=2_000_000)
    replace: bool = True
    on_error: Literal["keep", "refuse"] = "keep"


class EntryPublic(BaseModel):
    """One entry of a list, as stored."""

    id: int
    list_id: int
    plate: str
    region: str
    reason: str
    case_number: str
    expires_at: datetime | None
    priority: int
    category: str = Field(description="the entry's own category; empty: its list's")
    file_type: str = Field(description="the entry's own file type; empty: its list's")


class EntryExpire(BaseModel):
    model_config = ConfigDict(extra="forbid")

    at: datetime | None = Field(default=None, description="when it stops matching "
                                "(with a time zone); default: now")

    @field_validator("at")
    @classmethod
    def _in_range(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("give a time zone (Z for UTC)")
        try:
            value.timestamp()
        except (OverflowError, OSError):
            raise ValueError("out of range") from None
        return value


class RowErrorPublic(BaseModel):
    line: int
    message: str


class ImportReportPublic(BaseModel):
    list_id: int
    name: str
    rows: int
    imported: int
    already_expired: int
    replaced: bool
    errors: list[RowErrorPublic]
    flags: list[str] = Field(
        description="what screening found in the list's and the entries' words (an alarm: "
        "policy decides on each entry's screened class when a hit comes)"
    )
    flagged_entries: int
    screened_classes: list[str]
    file_types: list[str] = Field(
        description="the file types of the imported entries (the list's where one names none)"
    )


class DispositionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    disposition: Disposition
    action: HitAction = HitAction.NONE
    note: str = Field(default="", max_length=1000)


class StatsPublic(BaseModel):
    matches: int
    pending: int
    confirmed: int
    misread: int
    wrong_state: int
    dismissed: int
    stops: int
    outcomes: dict[str, int]
    by_kind: dict[str, int]
    by_category: dict[str, int]


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(max_length=2048)
    secret: str | None = Field(default=None, min_length=16, max_length=128)
    description: str = Field(default="", max_length=200)


class WebhookUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    active: bool


class WebhookPublic(BaseModel):
    id: int
    url: str
    description: str
    active: bool
    created_at: datetime
    secret: str | None = Field(default=None, description="shown once, when created")


class OutboxItemPublic(BaseModel):
    id: int
    subscription_id: int
    hit_id: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str
    created_at: datetime
    delivered_at: datetime | None


def _report(report: ImportReport) -> ImportReportPublic:
    return ImportReportPublic(
        list_id=report.list_id, name=report.name, rows=report.rows, imported=report.imported,
        already_expired=report.already_expired, replaced=report.replaced,
        errors=[RowErrorPublic(line=e.line, message=e.message) for e in report.errors],
        flags=list(report.flags), flagged_entries=report.flagged_entries,
        screened_classes=list(report.screened_classes), file_types=list(report.file_types),
    )  # fmt: skip


def _public(hotlist: Hotlist) -> HotlistPublic:
    return HotlistPublic(
        id=hotlist.id, name=hotlist.name, source=hotlist.source,
        description=hotlist.description, category=hotlist.category,
        screened_class=hotlist.screened_class, flags=sorted(f.value for f in hotlist.flags),
        file_type=hotlist.file_type.value,
        entry_count=hotlist.entry_count, created_at=hotlist.created_at,
        updated_at=hotlist.updated_at,
    )  # fmt: skip


def _actor(user: Principal) -> dict[str, Any]:
    return who(user.username, user.agency_id)


def _entry(stored: StoredEntry) -> EntryPublic:
    entry = stored.entry
    return EntryPublic(
        id=stored.id, list_id=stored.list_id, plate=entry.plate, region=entry.region,
        reason=entry.reason, case_number=entry.case_number,
        expires_at=None if entry.expires_at is None else from_millis(entry.expires_at),
        priority=entry.priority, category=entry.category, file_type=entry.file_type,
    )  # fmt: skip


def _refused(exc: ImportRefused) -> ApiError:
    details = [{"field": f"line {e.line}", "message": e.message} for e in exc.errors[:1000]]
    return ApiError(422, "import_refused", str(exc), details)


def _file_type_refused(exc: FileTypeRefused) -> ApiError:
    details = [{"field": "file_type", "message": rule} for rule in exc.policy_ids]
    return ApiError(422, "file_type_refused", str(exc), details)


def _too_large(exc: ListTooLarge) -> ApiError:
    """422 ``list_too_large``: the agency's lists would pass their limit; nothing stored."""
    return ApiError(422, "list_too_large", str(exc))


# -- lists ------------------------------------------------------------------------


@router.get("/hotlists", response_model=list[HotlistPublic])
def list_hotlists(user: CurrentUser, runtime: Runtime) -> list[HotlistPublic]:
    """The hot lists of the caller's agency, with what screening found in their words."""
    return [_public(h) for h in runtime.store.lists(user.agency_id)]


@router.post("/hotlists", response_model=ImportReportPublic, status_code=201)
def import_hotlist(body: HotlistImport, user: Manager, runtime: Runtime) -> ImportReportPublic:
    """Import (or replace) a list from JSON rows."""
    rows = [{**row.model_dump(exclude={"category"}),
             "category": row.category.value if row.category else ""} for row in body.entries]
    try:
        report = runtime.store.import_list(
            user.agency_id, body.name, body.source, body.category, rows,
            replace=body.replace, on_error=body.on_error, description=body.description,
            file_type=body.file_type, changed_by=_actor(user),
        )  # fmt: skip
    except ChangeNotLogged as exc:
        raise AuditUnavailable(str(exc)) from exc
    except ImportRefused as exc:
        raise _refused(exc) from None
    except FileTypeRefused as exc:
        raise _file_type_refused(exc) from None
    except ListTooLarge as exc:
        raise _too_large(exc) from None
    except ValueError as exc:
        raise ApiError(422, "invalid_list", str(exc)) from None
    return _report(report)


@router.post("/hotlists/import", response_model=ImportReportPublic, status_code=201)
def upload_hotlist(
    user: Manager,
    runtime: Runtime,
    file: Annotated[UploadFile, File(description="CSV or NCIC-style extract")],
    name: Annotated[str, Form(min_length=1, max_length=128)],
    category: Annotated[Category, Form()],
    source: Annotated[str, Form(max_length=128)] = "",
    description: Annotated[str, Form(max_length=500)] = "",
    format: Annotated[FileFormat, Form()] = "auto",
    replace: Annotated[bool, Form()] = True,
    on_error: Annotated[Literal["keep", "refuse"], Form()] = "keep",
    file_type: Annotated[str, Form(max_length=64, description=FILE_TYPE_HELP)] = (
        FileType.UNSPECIFIED.value
    ),
) -> ImportReportPublic:
    """Import (or replace) a list from an uploaded file (see docs/hotlists.md)."""
    data = file.file.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise ApiError(413, "file_too_large", f"the file is over {MAX_UPLOAD} bytes")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    rows = parse_file(text, format, file.filename or "")
    try:
        report = runtime.store.import_list(
            user.agency_id, name, source or file.filename or "local", category, rows,
            replace=replace, on_error=on_error, description=description,
            file_type=file_type, changed_by=_actor(user),
        )  # fmt: skip
    except ChangeNotLogged as exc:
        raise AuditUnavailable(str(exc)) from exc
    except ImportRefused as exc:
        raise _refused(exc) from None
    except FileTypeRefused as exc:
        raise _file_type_refused(exc) from None
    except ListTooLarge as exc:
        raise _too_large(exc) from None
    except ValueError as exc:
        raise ApiError(422, "invalid_list", str(exc)) from None
    return _report(report)


@router.delete("/hotlists/{list_id}", status_code=204)
def delete_hotlist(list_id: RowId, user: Manager, runtime: Runtime) -> None:
    try:
        runtime.store.delete_list(list_id, owner_id=user.agency_id, changed_by=_actor(user))
    except ChangeNotLogged as exc:
        raise AuditUnavailable(str(exc)) from exc
    except UnknownList as exc:
        raise ApiError(404, "unknown_list", str(exc)) from None


@router.get("/hotlists/{list_id}/entries", response_model=list[EntryPublic])
def list_hotlist_entries(list_id: RowId, user: Manager, runtime: Runtime) -> list[EntryPublic]:
    """The entries of a list of the caller's agency, in import order (expired ones too)."""
    if all(h.id != list_id for h in runtime.store.lists(user.agency_id)):
        raise ApiError(404, "unknown_list", f"no hot list `{list_id}`")
    return [_entry(stored) for stored in runtime.store.entries(list_id)]


@router.post("/hotlists/{list_id}/entries", response_model=EntryPublic, status_code=201)
def add_hotlist_entry(
    list_id: RowId, body: ImportRow, user: Manager, runtime: Runtime
) -> EntryPublic:
    """Add one plate to a list of the caller's agency (logged with its values)."""
    row = {**body.model_dump(exclude={"category"}),
           "category": body.category.value if body.category else ""}
    try:
        stored = runtime.store.add_entry(list_id, row, owner_id=user.agency_id,
                                         changed_by=_actor(user))
    except ChangeNotLogged as exc:
        raise AuditUnavailable(str(exc)) from exc
    except UnknownList as exc:
        raise ApiError(404, "unknown_list", str(exc)) from None
    except FileTypeRefused as exc:
        raise _file_type_refused(exc) from None
    except ListTooLarge as exc:
        raise _too_large(exc) from None
    except ValueError as exc:
        raise ApiError(422, "invalid_entry", str(exc)) from None
    return _entry(stored)


@router.delete("/hotlists/{list_id}/entries/{entry_id}", status_code=204)
def remove_hotlist_entry(list_id: RowId, entry_id: RowId, user: Manager, runtime: Runtime) -> None:
    """Remove one plate from a list of the caller's agency (logged with its values)."""
    try:
        runtime.store.remove_entry(list_id, entry_id, owner_id=user.agency_id,
                                   changed_by=_actor(user))
    except ChangeNotLogged as exc:
        raise AuditUnavailable(str(exc)) from exc
    except (UnknownList, UnknownEntry) as exc:
        raise ApiError(404, "unknown_entry", str(exc)) from None


@router.post("/hotlists/{list_id}/entries/{entry_id}/expire", response_model=EntryPublic)
def expire_hotlist_entry(
    list_id: RowId, entry_id: RowId, body: EntryExpire, user: Manager, runtime: Runtime
) -> EntryPublic:
    """Make one plate of a list stop matching at ``at`` (default: now)."""
    try:
        stored = runtime.store.expire_entry(list_id, entry_id, owner_id=user.agency_id,
                                            at=body.at, changed_by=_actor(user))
    except ChangeNotLogged as exc:
        raise AuditUnavailable(str(exc)) from exc
    except (UnknownList, UnknownEntry) as exc:
        raise ApiError(404, "unknown_entry", str(exc)) from None
    except ValueError as exc:
        raise ApiError(422, "invalid_expiry", str(exc)) from None
    return _entry(stored)


# -- hits and dispositions --------------------------------------------------------


@router.get("/hits", response_model=list[HitRecord])
def list_hits(
    user: Receiver,
    runtime: Runtime,
    since: datetime | None = None,
    until: datetime | None = None,
    pending: bool = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[HitRecord]:
    """Hits delivered to the caller's agency, newest first."""
    return runtime.hits.list_hits(
        user.agency_id, since=since, until=until, pending_only=pending, limit=limit,
        offset=offset,
    )  # fmt: skip


@router.get("/hits/stats", response_model=StatsPublic)
def hit_stats(
    user: CurrentUser, runtime: Runtime, since: datetime, until: datetime
) -> dict[str, Any]:
    """Matches, confirmations, stops and outcomes in [since, until)."""
    return dataclasses.asdict(runtime.hits.disposition_stats(user.agency_id, since, until))


@router.get("/hits/{hit_id}", response_model=HitRecord)
def get_hit(hit_id: str, user: Receiver, runtime: Runtime) -> HitRecord:
    try:
        return runtime.hits.get(hit_id, user.agency_id)
    except UnknownHit as exc:
        raise ApiError(404, "unknown_hit", str(exc)) from None


@router.post("/hits/{hit_id}/disposition", response_model=HitRecord)
def record_disposition(
    hit_id: str, body: DispositionCreate, user: Receiver, runtime: Runtime
) -> HitRecord:
    """Record the officer's check (confirmed, misread, wrong state, dismissed) and action,
    with its ``hit_disposition`` audit entry (nothing is recorded without it)."""
    try:
        return runtime.hits.record_disposition(
            hit_id, user.agency_id, body.disposition, body.action, by=user.username,
            note=body.note, changed_by=_actor(user),
        )  # fmt: skip
    except ChangeNotLogged as exc:
        raise AuditUnavailable(str(exc)) from exc
    except UnknownHit as exc:
        raise ApiError(404, "unknown_hit", str(exc)) from None
    except DispositionError as exc:
        raise ApiError(422, "invalid_disposition", str(exc)) from None


# -- webhook subscriptions --------------------------------------------------------


@router.get("/webhooks", response_model=list[WebhookPublic])
def list_webhooks(user: Manager, runtime: Runtime) -> list[WebhookPublic]:
    return [
        WebhookPublic(id=s.id, url=s.url, description=s.description, active=s.active,
                      created_at=s.created_at)
        for s in runtime.webhooks.subscriptions(user.agency_id)
    ]  # fmt: skip


@router.post("/webhooks", response_model=WebhookPublic, status_code=201)
def create_webhook(body: WebhookCreate, user: Manager, runtime: Runtime) -> WebhookPublic:
    """Subscribe a URL to the agency's alerts; the answer holds the signing secret, once."""
    try:
        sub, secret = runtime.webhooks.subscribe(
            user.agency_id, body.url, secret=body.secret, description=body.description
        )
    except SubscriptionError as exc:
        raise ApiError(422, "invalid_webhook", str(exc)) from None
    return WebhookPublic(id=sub.id, url=sub.url, description=sub.description,
                         active=sub.active, created_at=sub.created_at, secret=secret)  # fmt: skip


@router.patch("/webhooks/{subscription_id}", status_code=204)
def update_webhook(
    subscription_id: RowId, body: WebhookUpdate, user: Manager, runtime: Runtime
) -> None:
    try:
        runtime.webhooks.set_active(user.agency_id, subscription_id, body.active)
    except SubscriptionError as exc:
        raise ApiError(404, "unknown_webhook", str(exc)) from None


@router.delete("/webhooks/{subscription_id}", status_code=204)
def delete_webhook(subscription_id: RowId, user: Manager, runtime: Runtime) -> None:
    try:
        runtime.webhooks.unsubscribe(user.agency_id, subscription_id)
    except SubscriptionError as exc:
        raise ApiError(404, "unknown_webhook", str(exc)) from None


@router.get("/webhooks/outbox", response_model=list[OutboxItemPublic])
def webhook_outbox(
    user: Manager,
    runtime: Runtime,
    status: Literal["pending", "delivered", "dead"] | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    """Deliveries of the agency's alerts; ``status=dead`` lists the dead letters."""
    return [dataclasses.asdict(i) for i in runtime.webhooks.items(user.agency_id, status, limit)]


@router.post("/webhooks/outbox/{item_id}/retry", status_code=204)
def retry_webhook(item_id: RowId, user: Manager, runtime: Runtime) -> None:
    try:
        runtime.webhooks.retry(user.agency_id, item_id)
    except SubscriptionError as exc:
        raise ApiError(404, "unknown_dead_letter", str(exc)) from None
