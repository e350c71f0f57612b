"""`plateledger admin …`: the catalog, directly (no server needed; it may be running).

The platform-level bootstrap lives here only: agencies and their class are set from this
command, never over HTTP. Use the same ``PLATELEDGER_SECRET_KEY`` as the server, or the
TOTP secrets enrolled here will not open there.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from plateledger.access import AccessError
from plateledger.access.admin_changes import Actor, AdminChanges
from plateledger.access.policy_source import compile_engine, preview_agreement
from plateledger.audit import AuditLog
from plateledger.catalog import (
    Catalog,
    CatalogError,
    new_totp_secret,
    open_catalog,
    totp_uri,
)
from plateledger.catalog.accounts import TOTP_ROLES
from plateledger.policy import PolicyError, parse_purpose
from plateledger.settings import Settings

app = typer.Typer(help="Agencies, users, cameras, keys, agreements: the catalog, directly.",
                  no_args_is_help=True)
agency_app = typer.Typer(help="Agencies and their requester class.", no_args_is_help=True)
user_app = typer.Typer(help="Individual user accounts.", no_args_is_help=True)
camera_app = typer.Typer(help="Cameras.", no_args_is_help=True)
key_app = typer.Typer(help="API keys of cameras and agents.", no_args_is_help=True)
agreement_app = typer.Typer(help="Sharing agreements.", no_args_is_help=True)
declaration_app = typer.Typer(help="Written declarations (625 ILCS 5/2-130).",
                              no_args_is_help=True)
for sub, name in ((agency_app, "agency"), (user_app, "user"), (camera_app, "camera"),
                  (key_app, "key"), (agreement_app, "agreement"),
                  (declaration_app, "declaration")):
    app.add_typer(sub, name=name)

out = Console()
err = Console(stderr=True)

DataDir = Annotated[
    Path, typer.Option("--data-dir", envvar="PLATELEDGER_DATA_DIR", help="where data lives")
]
CatalogUrl = Annotated[
    str | None,
    typer.Option("--catalog", envvar="PLATELEDGER_CATALOG_URL",
                 help="postgresql+psycopg://… (default: SQLite in the data directory)"),
]
Agency = Annotated[str, typer.Option("--agency", help="agency slug")]


@contextmanager
def catalog_at(data_dir: Path, url: str | None) -> Iterator[Catalog]:
    """The catalog of these options; a refusal ends the command with its message."""
    catalog = open_catalog(Settings(data_dir=data_dir, catalog_url=url))
    try:
        yield catalog
    except (CatalogError, AccessError) as exc:
        err.print(f"error: {exc}")
        raise typer.Exit(1) from None
    finally:
        catalog.close()


def changes(opened: Catalog) -> AdminChanges:
    """The changes of this catalog, each in one transaction with its audit entry (in the
    catalog's database) — the same functions the API's admin routes call."""
    return AdminChanges(opened, AuditLog(opened.engine, signer=None))


OPERATOR = Actor.operator


def agency_id(catalog: Catalog, slug: str) -> int:
    agency = catalog.agency_by_slug(slug)
    if agency is None:
        raise CatalogError(f"no agency `{slug}`")
    return agency.id


def show(title: str, columns: list[str], rows: list[list[object]]) -> None:
    table = Table(title=title)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    out.print(table)


@app.command()
def init(data_dir: DataDir = Path("data"), catalog: CatalogUrl = None) -> None:
    """Create the catalog (or bring its schema up to date)."""
    with catalog_at(data_dir, catalog) as opened:
        out.print(f"catalog ready at generation {opened.generation()}")


@agency_app.command("add")
def agency_add(
    name: Annotated[str, typer.Argument()],
    slug: Annotated[str, typer.Option(help="short id, e.g. ucpd")],
    kind: Annotated[str, typer.Option(help="municipal, county, state, federal, tribal, private")],
    state: Annotated[str, typer.Option("--state", help="home state, e.g. CA")],
    law_pack: Annotated[list[str] | None, typer.Option(help="law pack (repeatable)")] = None,
    jurisdiction: str = "",
    custodian: Annotated[str, typer.Option(help="custodian of records, contact")] = "",
    retention_days: Annotated[int | None, typer.Option(help="non-hit reads")] = None,
    hit_retention_days: int | None = None,
    image_retention_days: int | None = None,
    case_number_required: bool = False,
    data_dir: DataDir = Path("data"),
    catalog: CatalogUrl = None,
) -> None:
    """Add an agency with its requester class (kind and home state)."""
    with catalog_at(data_dir, catalog) as opened:
        agency = changes(opened).add_agency(
            OPERATOR(), name, slug, kind, state, jurisdiction=jurisdiction,
            law_packs=law_pack or None, custodian_contact=custodian,
            retention_nonhit_days=retention_days, retention_hit_days=hit_retention_days,
            retention_image_days=image_retention_days, case_number_required=case_number_required,
        )
        out.print(f"agency {agency.id} `{agency.slug}` added")


@agency_app.command("set")
def agency_set(
    slug: Annotated[str, typer.Argument(help="agency slug")],
    purpose: Annotated[list[str] | None, typer.Option(
        help="published purpose (repeatable; replaces the list)")] = None,
    all_purposes: Annotated[bool, typer.Option(
        help="publish no purpose list: whatever the packs allow")] = False,
    case_number_required: Annotated[bool | None, typer.Option(
        "--case-number-required/--no-case-number-required")] = None,
    custodian: Annotated[str | None, typer.Option(help="custodian of records")] = None,
    jurisdiction: Annotated[str | None, typer.Option()] = None,
    timezone: Annotated[str | None, typer.Option(
        help="IANA time zone of the agency's reports (America/Chicago)")] = None,
    state_timezone: Annotated[bool, typer.Option(
        help="count the reports' days in the home state's zone (clears --timezone)")] = False,
    portal_officer_names: Annotated[bool | None, typer.Option(
        "--portal-officer-names/--no-portal-officer-names",
        help="whether the public transparency page names the officers who searched")] = None,
    data_dir: DataDir = Path("data"),
    catalog: CatalogUrl = None,
) -> None:
    """Change an agency's published settings (in force for the next decision)."""
    settings: dict[str, Any] = {}
    if purpose and all_purposes:
        raise typer.BadParameter("give `--purpose` or `--all-purposes`, not both")
    if timezone is not None and state_timezone:
        raise typer.BadParameter("give `--timezone` or `--state-timezone`, not both")
    if timezone is not None or state_timezone:
        settings["timezone"] = timezone
    if portal_officer_names is not None:
        settings["portal_officer_names"] = portal_officer_names
    try:
        if purpose:
            settings["purposes"] = sorted({parse_purpose(p).value for p in purpose})
    except PolicyError as exc:
        raise typer.BadParameter(str(exc)) from None
    if all_purposes:
        settings["purposes"] = None
    if case_number_required is not None:
        settings["case_number_required"] = case_number_required
    if custodian is not None:
        settings["custodian_contact"] = custodian
    if jurisdiction is not None:
        settings["jurisdiction"] = jurisdiction
    if not settings:
        raise typer.BadParameter("name at least one setting to change")
    with catalog_at(data_dir, catalog) as opened:
        agency = changes(opened).update_agency(OPERATOR(), agency_id(opened, slug), **settings)
        out.print(f"agency `{agency.slug}` updated: {', '.join(sorted(settings))}")


@agency_app.command("class")
def agency_class(
    slug: Annotated[str, typer.Argument(help="agency slug")],
    kind: Annotated[str | None, typer.Option(
        help="municipal, county, state, federal, tribal, private")] = None,
    state: Annotated[str | None, typer.Option("--state", help="home state")] = None,
    law_enforcement: Annotated[bool | None, typer.Option(
        "--law-enforcement/--not-law-enforcement")] = None,
    data_dir: DataDir = Path("data"),
    catalog: CatalogUrl = None,
) -> None:
    """Change an agency's requester class — what the law packs judge its requests by (the
    platform operator only; no HTTP route can)."""
    with catalog_at(data_dir, catalog) as opened:
        agency = changes(opened).set_agency_class(
            OPERATOR(), agency_id(opened, slug), kind=kind, home_state=state,
            is_law_enforcement=law_enforcement)
        out.print(f"agency `{slug}` is now {agency.kind}, {agency.home_state}")


@agency_app.command("list")
def agency_list(data_dir: DataDir = Path("data"), catalog: CatalogUrl = None) -> None:
    """List agencies."""
    with catalog_at(data_dir, catalog) as opened:
        show("agencies", ["id", "slug", "name", "kind", "state", "packs", "non-hit days"], [
            [a.id, a.slug, a.name, a.kind, a.home_state, ",".join(a.law_packs),
             a.retention_nonhit_days] for a in opened.agencies()
        ])


@user_app.command("add")
def user_add(
    username: Annotated[str, typer.Argument()],
    agency: Agency,
    role: Annotated[list[str], typer.Option(help="admin, investigator, supervisor, auditor, "
                                            "dispatcher (repeatable)")],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True,
                                          confirmation_prompt=True)],
    display_name: str = "",
    totp: Annotated[bool, typer.Option(help="require a second factor")] = False,
    data_dir: DataDir = Path("data"),
    catalog: CatalogUrl = None,
) -> None:
    """Add an individual account; prints the TOTP secret once when one is needed."""
    with catalog_at(data_dir, catalog) as opened:
        needs = totp or (opened.require_totp and bool(TOTP_ROLES & set(role)))
        secret = new_totp_secret() if needs else None
        user = changes(opened).add_user(
            OPERATOR(), agency_id(opened, agency), username, password, role,
            display_name=display_name, totp_secret=secret, totp_required=totp,
        )
        out.print(f"user {user.id} `{user.username}` added")
        if secret:
            out.print(f"TOTP secret (shown once): {secret}\n{totp_uri(username, secret)}")


@user_app.command("acting-for")
def user_acting_for(
    username: Annotated[str, typer.Argument()],
    agency: Annotated[str | None, typer.Option(
        help="slug of the agency the user acts for; leave out to clear")] = None,
    data_dir: DataDir = Path("data"),
    catalog: CatalogUrl = None,
) -> None:
    """Record the agency a user acts for (a federal task-force officer with a local login):
    policy treats them as that agency's class and every request of theirs as made for it."""
    with catalog_at(data_dir, catalog) as opened:
        changes(opened).set_acting_for(OPERATOR(), username,
                                       agency_id(opened, agency) if agency else None)
        out.print(f"user `{username}` acts for {agency or 'their own agency'}")


@user_app.command("enroll-totp")
def user_enroll_totp(
    username: Annotated[str, typer.Argument()],
    data_dir: DataDir = Path("data"),
    catalog: CatalogUrl = None,
) -> None:
    """Enrol a new second factor for a user; prints the secret once."""
    secret = new_totp_secret()
    with catalog_at(data_dir, catalog) as opened:
        changes(opened).enroll_totp(OPERATOR(), username, secret)
        out.print(f"TOTP secret (shown once): {secret}\n{totp_uri(username, secret)}")


@user_app.command("list")
def user_list(
    agency: Annotated[str | None, typer.Option(help="agency slug")] = None,
    data_dir: DataDir = Path("data"),
    catalog: CatalogUrl = None,
) -> None:
    """List users (of one agency)."""
    with catalog_at(data_dir, catalog) as opened:
        owner = agency_id(opened, agency) if agency else None
        show("users", ["id", "username", "agency", "roles", "locked until", "disabled"], [
            [u.id, u.username, u.agency_id, ",".join(u.roles), u.locked_until, u.disabled]
            for u in opened.users(owner)
        ])


@user_app.command("reset-password")
def user_reset_password(
    username: Annotated[str, typer.Argument()],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True,
                                          confirmation_prompt=True)],
    data_dir: DataDir = Path("data"),
    catalog: CatalogUrl = None,
) -> None:
    """Set a new password; unlocks the account and ends its sessions."""
    with catalog_at(data_dir, catalog) as opened:
        changes(opened).set_password(OPERATOR(), username, password)
        out.print(f"password of `{username}` replaced; its tokens are revoked")


@user_app.command("unlock")
def user_unlock(
    username: Annotated[str, typer.Argument()],
    data_dir: DataDir = Path("data"),
    catalog: CatalogUrl = None,
) -> None:
    """Lift a lock-out after failed logins."""
    with catalog_at(data_dir, catalog) as opened:
        changes(opened).unlock_user(OPERATOR(), username)
        out.print(f"`{username}` unlocked")


@camera_app.command("add")
def camera_add(
    camera_id: Annotated[str, typer.Argument()],
    agency: Agency,
    kind: Annotated[str, typer.Option(help="fixed or mobile")] = "fixed",
    name: str = "",
    lat: float | None = None,
    lon: float | None = None,
    heading: float | None = None,
    data_dir: DataDir = Path("data"),
    catalog: CatalogUrl = None,
) -> None:
    """Add a camera (a fixed one needs --lat and --lon)."""
    with catalog_at(data_dir, catalog) as opened:
        camera = changes(opened).add_camera(OPERATOR(), camera_id, agency_id(opened, agency),
                                            kind, name=name, lat=lat, lon=lon, heading=heading)
        out.print(f"camera `{camera.camera_id}` added")


@camera_app.command("list")
def camera_list(
    agency: Annotated[str | None, typer.Option(help="agency slug")] = None,
    data_dir: DataDir = Path("data"),
    catalog: CatalogUrl = None,
) -> None:
    """List cameras (of one agency)."""
    with catalog_at(data_dir, catalog) as opened:
        owner = agency_id(opened, agency) if agency else None
        show("cameras", ["camera", "owner", "kind", "name", "lat", "lon", "active"], [
            [c.camera_id, c.owner_id, c.kind, c.name, c.lat, c.lon, c.active]
            for c in opened.cameras(owner)
        ])


@key_app.command("issue")
def key_issue(
    agency: Agency,
    camera: Annotated[str | None, typer.Option(help="limit the key to one camera")] = None,
    label: str = "",
    data_dir: DataDir = Path("data"),
    catalog: CatalogUrl = None,
) -> None:
    """Issue an API key; it is printed once (only its hash is kept)."""
    with catalog_at(data_dir, catalog) as opened:
        raw, _ = changes(opened).issue_key(OPERATOR(), agency_id(opened, agency), camera,
                                           label)
        out.print(raw, soft_wrap=True)


@key_app.command("revoke")
def key_revoke(
    prefix: Annotated[str, typer.Argument(help="the key's public prefix")],
    data_dir: DataDir = Path("data"),
    catalog: CatalogUrl = None,
) -> None:
    """Revoke an API key (a running server stops accepting it within seconds)."""
    with catalog_at(data_dir, catalog) as opened:
        changes(opened).revoke_key(OPERATOR(), prefix)
        out.print(f"key `{prefix}` revoked")


@key_app.command("issue-url")
def key_issue_url(
    agency: Agency,
    camera: Annotated[str, typer.Option(help="the one camera whose reads the URL adds")],
    label: str = "",
    data_dir: DataDir = Path("data"),
    catalog: CatalogUrl = None,
) -> None:
    """Issue an ingest URL's credential for a client that cannot send a key header
    (alprd): post to /v1/ingest/<credential>/<format>. Printed once (only its hash is
    kept); it ends up in the logs of whatever the URL passes through (docs/formats.md)."""
    with catalog_at(data_dir, catalog) as opened:
        raw = changes(opened).issue_ingest_url(OPERATOR(), agency_id(opened, agency), camera,
                                               label)
        out.print(raw, soft_wrap=True)


@key_app.command("revoke-url")
def key_revoke_url(
    prefix: Annotated[str, typer.Argument(help="the credential's public prefix")],
    data_dir: DataDir = Path("data"),
    catalog: CatalogUrl = None,
) -> None:
    """Revoke an ingest URL's credential."""
    with catalog_at(data_dir, catalog) as opened:
        changes(opened).revoke_ingest_url(OPERATOR(), prefix)
        out.print(f"ingest URL `{prefix}` revoked")


@key_app.command("list")
def key_list(
    agency: Annotated[str | None, typer.Option(help="agency slug")] = None,
    data_dir: DataDir = Path("data"),
    catalog: CatalogUrl = None,
) -> None:
    """List API keys (prefixes only)."""
    with catalog_at(data_dir, catalog) as opened:
        owner = agency_id(opened, agency) if agency else None
        show("keys", ["prefix", "agency", "camera", "label", "created", "revoked"], [
            [k.prefix, k.agency_id, k.camera_id, k.label, k.created_at, k.revoked_at]
            for k in opened.api_keys(owner)
        ])


@agreement_app.command("add")
def agreement_add(
    owner: Annotated[str, typer.Option(help="slug of the agency whose data is shared")],
    recipient: Annotated[str, typer.Option(help="slug of the agency that receives it")],
    action: Annotated[list[str], typer.Option(help="search, alert, export (repeatable)")],
    purpose: Annotated[list[str], typer.Option(help="allowed purpose (repeatable)")],
    created_by: Annotated[str, typer.Option(help="who approved it")],
    max_lookback_days: int | None = None,
    result_cap: int | None = None,
    case_number_required: bool = True,
    images_allowed: bool = False,
    expires: Annotated[datetime | None, typer.Option(help="expiry, ISO-8601 (UTC)")] = None,
    force: Annotated[bool, typer.Option(
        help="add it even if the law packs would deny every action")] = False,
    data_dir: DataDir = Path("data"),
    catalog: CatalogUrl = None,
) -> None:
    """Add a sharing agreement from owner to recipient, after a dry run that shows, per
    action, whether the law packs would deny it and by which rules. Actions: search (every
    kind), alert, export, or single ones such as search_exact."""
    with catalog_at(data_dir, catalog) as opened:
        owner_id, recipient_id = agency_id(opened, owner), agency_id(opened, recipient)
        try:
            previews = preview_agreement(
                compile_engine(opened), owner_id, recipient_id, actions=action,
                purposes=purpose, max_lookback_days=max_lookback_days,
                case_number_required=case_number_required, result_cap=result_cap,
                images_allowed=images_allowed, starts_at=None,
                expires_at=expires.replace(tzinfo=expires.tzinfo or UTC) if expires else None,
                now=datetime.now(UTC),
            )
        except PolicyError as exc:
            raise CatalogError(str(exc)) from None
        show("dry run", ["action", "allowed purposes", "denied by"], [
            [p.action.value, ",".join(x.value for x in p.allowed_purposes) or "none",
             ",".join(p.denied_by)] for p in previews
        ])
        denied = [p for p in previews if p.always_denied]
        if denied and len(denied) == len(previews) and not force:
            raise CatalogError(
                "the law packs will always deny every action of this agreement; "
                "add `--force` to add it anyway"
            )
        for p in denied:
            out.print(f"warning: the law packs will always deny `{p.action.value}`: "
                      f"{', '.join(p.denied_by)}")
        agreement = changes(opened).add_agreement(
            OPERATOR(), owner_id, recipient_id,
            always_denied=[p.action.value for p in denied], actions=action,
            purposes=purpose, created_by=created_by, max_lookback_days=max_lookback_days,
            result_cap=result_cap, case_number_required=case_number_required,
            images_allowed=images_allowed,
            expires_at=expires.replace(tzinfo=expires.tzinfo or UTC) if expires else None,
        )
        out.print(f"agreement {agreement.id} added")


@agreement_app.command("revoke")
def agreement_revoke(
    agreement_id: Annotated[int, typer.Argument()],
    data_dir: DataDir = Path("data"),
    catalog: CatalogUrl = None,
) -> None:
    """Revoke an agreement now."""
    with catalog_at(data_dir, catalog) as opened:
        changes(opened).revoke_agreement(OPERATOR(), agreement_id)
        out.print(f"agreement {agreement_id} revoked")


@agreement_app.command("list")
def agreement_list(data_dir: DataDir = Path("data"), catalog: CatalogUrl = None) -> None:
    """List agreements, revoked and expired ones included."""
    with catalog_at(data_dir, catalog) as opened:
        show("agreements", ["id", "owner", "recipient", "actions", "purposes", "expires",
                            "revoked"], [
            [a.id, a.owner_id, a.recipient_id, ",".join(a.actions), ",".join(a.purposes),
             a.expires_at, a.revoked_at] for a in opened.agreements()
        ])


@declaration_app.command("add")
def declaration_add(
    agency: Agency,
    document: Annotated[Path, typer.Option(exists=True, dir_okay=False,
                                           help="the signed declaration (its digest is kept)")],
    signer: Annotated[str, typer.Option(help="who signed it")],
    signed_at: Annotated[datetime, typer.Option(help="when, ISO-8601 (UTC)")],
    owner_state: Annotated[str, typer.Option(help="state whose data it covers")] = "IL",
    data_dir: DataDir = Path("data"),
    catalog: CatalogUrl = None,
) -> None:
    """Record an agency's signed written declaration."""
    digest = hashlib.sha256(document.read_bytes()).hexdigest()
    with catalog_at(data_dir, catalog) as opened:
        declaration = changes(opened).add_declaration(
            OPERATOR(), agency_id(opened, agency), owner_state, signer=signer,
            signed_at=signed_at.replace(tzinfo=signed_at.tzinfo or UTC),
            document_digest=digest,
        )
        out.print(f"declaration {declaration.id} recorded (sha256 {digest})")


@declaration_app.command("list")
def declaration_list(
    agency: Annotated[str | None, typer.Option(help="agency slug")] = None,
    data_dir: DataDir = Path("data"),
    catalog: CatalogUrl = None,
) -> None:
    """List written declarations, revoked ones included."""
    with catalog_at(data_dir, catalog) as opened:
        chosen = agency_id(opened, agency) if agency else None
        show("declarations", ["id", "agency", "state", "signer", "signed", "revoked"], [
            [d.id, d.agency_id, d.owner_state, d.signer, d.signed_at, d.revoked_at]
            for d in opened.declarations(agency_id=chosen)
        ])


@declaration_app.command("revoke")
def declaration_revoke(
    declaration_id: Annotated[int, typer.Argument()],
    data_dir: DataDir = Path("data"),
    catalog: CatalogUrl = None,
) -> None:
    """Revoke a written declaration now: it no longer counts for the next decision."""
    with catalog_at(data_dir, catalog) as opened:
        changes(opened).revoke_declaration(OPERATOR(), declaration_id)
        out.print(f"declaration {declaration_id} revoked")
