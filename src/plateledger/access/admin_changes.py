"""Administrative changes, each atomic with its audit entry.

Every change to who may act and what is shared — agencies and their class, settings,
users and their roles, acting-for, unlocks, token revocations, passwords and second
factors, cameras, keys, collection zones, agreements, declarations — is one method here,
used by the API's admin routes and by ``plateledger admin`` alike. Each writes the change
and its entry in **one transaction** of the catalog database (which holds the audit log):
the entry names who (``user``, their agency, ``via``), when (``time``), what (``object``,
``object_id``, ``change``), the values ``before`` and ``after`` (`plateledger.audit.changes`),
and the hash of the policy set the change leaves in force. Secrets are never logged: a
key is named by its prefix, a password or second factor only as changed. If the entry
cannot be appended, the change is not made (`AuditUnavailable`).

An auditor answers "who turned this sharing on, and when" from the log alone: the
``agreement_change`` entry names the owner and the partner (``owner_agency``,
``partner_agency``), the terms, the admin and the time.
"""

from __future__ import annotations

import getpass
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from plateledger.access.errors import AuditUnavailable
from plateledger.access.policy_source import compile_engine
from plateledger.audit import AuditLog
from plateledger.audit.changes import change_entry, log_change, who
from plateledger.audit.entry import EntryType
from plateledger.catalog import (
    Agency,
    AgreementRow,
    ApiKey,
    Camera,
    Catalog,
    DeclarationRow,
    NotFound,
    Principal,
    User,
    Zone,
)

__all__ = ["Actor", "AdminChanges"]

AGENCY_CHANGE = "agency_change"
CAMERA_CHANGE = "camera_change"
ZONE_CHANGE = "zone_change"
ZONE_VALUES = ("name", "place", "centre_lat", "centre_lon", "radius_m", "polygon", "rule_id",
               "revoked_at")
SETTINGS = ("name", "jurisdiction", "law_packs", "purposes", "case_number_required",
            "custodian_contact", "retention_nonhit_days", "retention_hit_days",
            "retention_image_days", "is_law_enforcement")
AGENCY_CLASS = ("kind", "home_state", "is_law_enforcement")
TERMS = ("actions", "purposes", "max_lookback_days", "case_number_required", "result_cap",
         "images_allowed", "starts_at", "expires_at", "revoked_at", "created_by")


@dataclass(frozen=True)
class Actor:
    """Who makes a change: an agency's admin over the API, or the platform's operator at
    the command line."""

    username: str
    agency_id: int | None = None
    via: str = "api"

    @classmethod
    def admin(cls, user: Principal) -> Actor:
        return cls(user.username, user.agency_id, "api")

    @classmethod
    def operator(cls) -> Actor:
        return cls(f"cli:{getpass.getuser()}", None, "plateledger admin")


def _value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_value(v) for v in value]
    return value


def _values(row: object, names: Iterable[str]) -> dict[str, Any]:
    """A snapshot of ``row``'s ``names`` (taken before the row changes in place)."""
    return {name: _value(getattr(row, name)) for name in names}


class AdminChanges:
    """The administrative changes of one catalog, each logged in its own transaction.

    ``on_change`` runs after each committed change (a server puts the change in force for
    its very next decision)."""

    def __init__(
        self, catalog: Catalog, audit_log: AuditLog,
        on_change: Callable[[], None] = lambda: None,
    ) -> None:
        self.catalog = catalog
        self.audit_log = audit_log
        self.on_change = on_change

    @contextmanager
    def _change(self) -> Iterator[Session]:
        with self.catalog.change() as session:
            yield session
        self.on_change()

    def _log(self, session: Session, actor: Actor, entry_type: str, *, object: str,
             object_id: str | int, change: str, before: dict[str, Any] | None,
             after: dict[str, Any] | None, **fields: Any) -> int:
        """Append the change's entry in the change's transaction, with the hash of the
        policy set the change leaves in force (compiled from what the change wrote)."""
        try:
            policy_hash = compile_engine(self.catalog).policy_hash
            entry = change_entry(
                entry_type, who(actor.username, actor.agency_id, actor.via), object=object,
                object_id=object_id, change=change, before=before, after=after, **fields,
                policy_set_hash=policy_hash)
            return log_change(self.audit_log, session.connection(), entry)
        except Exception as exc:  # fail closed: no entry, no change
            raise AuditUnavailable("the audit log could not record this change; nothing "
                                   "was changed") from exc

    def _slug(self, agency_id: int | None) -> str | None:
        if agency_id is None:
            return None
        agency = self.catalog.agency(agency_id)
        return str(agency_id) if agency is None else str(agency.slug)

    def _agency(self, agency_id: int) -> Agency:
        agency = self.catalog.agency(agency_id)
        if agency is None:
            raise NotFound(f"no agency `{agency_id}`")
        return agency

    def _user(self, username: str) -> User:
        user = self.catalog.user_by_username(username)
        if user is None:
            raise NotFound(f"no user `{username}`")
        return user

    # -- agencies ----------------------------------------------------------------------

    def add_agency(self, actor: Actor, name: str, slug: str, kind: str, home_state: str,
                   **settings: Any) -> Agency:
        with self._change() as session:
            agency = self.catalog.add_agency(name, slug, kind, home_state, **settings)
            after = _values(agency, ("name", "kind", "home_state", *SETTINGS))
            self._log(session, actor, AGENCY_CHANGE, object="agency", object_id=agency.slug,
                      change="add", agency=agency.slug,
                      kind=agency.kind, home_state=agency.home_state,
                      law_packs=list(agency.law_packs), before=None, after=after)
        return agency

    def set_agency_class(self, actor: Actor, agency_id: int, **changes: Any) -> Agency:
        with self._change() as session:
            before = _values(self._agency(agency_id), AGENCY_CLASS)
            agency = self.catalog.set_agency_class(agency_id, **changes)
            self._log(session, actor, AGENCY_CHANGE, object="agency", object_id=agency.slug,
                      change="class", agency=agency.slug,
                      kind=agency.kind, home_state=agency.home_state,
                      law_enforcement=agency.is_law_enforcement, before=before,
                      after=_values(agency, AGENCY_CLASS))
        return agency

    def update_agency(self, actor: Actor, agency_id: int, **changes: Any) -> Agency:
        """Change an agency's published settings (`Catalog.update_agency`)."""
        names = sorted(changes)
        with self._change() as session:
            before = _values(self._agency(agency_id), names)
            agency = self.catalog.update_agency(agency_id, **changes)
            after = _values(agency, names)
            self._log(session, actor, EntryType.POLICY_CHANGE, object="agency",
                      object_id=agency.slug, change="agency_settings", agency=agency.slug,
                      owner_agency=agency.slug, settings=names, values=after, before=before,
                      after=after)
        return agency

    # -- declarations ------------------------------------------------------------------

    def add_declaration(self, actor: Actor, agency_id: int, owner_state: str, *, signer: str,
                        signed_at: datetime, document_digest: str) -> DeclarationRow:
        with self._change() as session:
            declaration = self.catalog.add_declaration(
                agency_id, owner_state, signer=signer, signed_at=signed_at,
                document_digest=document_digest)
            self._log(session, actor, EntryType.POLICY_CHANGE, object="declaration",
                      object_id=declaration.id, change="declaration",
                      agency=self._slug(agency_id), owner_agency=self._slug(agency_id),
                      declaration_id=declaration.id, owner_state=owner_state, signer=signer,
                      document_digest=document_digest, before=None,
                      after={"signed_at": _value(signed_at), "revoked_at": None})
        return declaration

    def revoke_declaration(self, actor: Actor, declaration_id: int, *,
                           agency_id: int | None = None) -> DeclarationRow:
        with self._change() as session:
            declaration = self.catalog.revoke_declaration(declaration_id, agency_id=agency_id)
            self._log(session, actor, EntryType.POLICY_CHANGE, object="declaration",
                      object_id=declaration_id, change="declaration_revoke",
                      agency=self._slug(declaration.agency_id),
                      declaration_id=declaration_id, owner_state=declaration.owner_state,
                      owner_agency=self._slug(declaration.agency_id),
                      before={"revoked_at": None},
                      after={"revoked_at": _value(declaration.revoked_at)})
        return declaration

    # -- users -------------------------------------------------------------------------

    def add_user(self, actor: Actor, agency_id: int, username: str, password: str,
                 roles: Iterable[str], **options: Any) -> User:
        with self._change() as session:
            user = self.catalog.add_user(agency_id, username, password, roles, **options)
            self._log(session, actor, EntryType.USER_CHANGE, object="user", object_id=username,
                      change="add", subject=username,
                      agency=self._slug(agency_id), roles=list(user.roles), before=None,
                      after=_values(user, ("roles", "display_name", "totp_required")))
        return user

    def set_acting_for(self, actor: Actor, username: str, agency_id: int | None) -> User:
        with self._change() as session:
            before = self._slug(self._user(username).acting_for_agency_id)
            user = self.catalog.set_acting_for(username, agency_id)
            self._log(session, actor, EntryType.USER_CHANGE, object="user", object_id=username,
                      change="acting_for",
                      subject=username, agency=self._slug(user.agency_id),
                      acting_for_agency_id=user.acting_for_agency_id,
                      before={"acting_for": before},
                      after={"acting_for": self._slug(user.acting_for_agency_id)})
        return user

    def set_roles(self, actor: Actor, username: str, roles: Iterable[str]) -> User:
        """Replace a user's roles (`Catalog.set_roles`; their sessions end)."""
        with self._change() as session:
            before = list(self._user(username).roles)
            user = self.catalog.set_roles(username, roles)
            self._log(session, actor, EntryType.USER_CHANGE, object="user", object_id=username,
                      change="roles", subject=username, agency=self._slug(user.agency_id),
                      before={"roles": before}, after={"roles": list(user.roles)})
        return user

    def unlock_user(self, actor: Actor, username: str) -> User:
        with self._change() as session:
            before = _values(self._user(username), ("failed_logins", "locked_until"))
            user = self.catalog.unlock_user(username)
            self._log(session, actor, EntryType.USER_CHANGE, object="user", object_id=username,
                      change="unlock", subject=username,
                      agency=self._slug(user.agency_id), before=before,
                      after=_values(user, ("failed_logins", "locked_until")))
        return user

    def revoke_tokens(self, actor: Actor, username: str) -> int:
        with self._change() as session:
            user = self._user(username)
            revoked = self.catalog.revoke_tokens(user.id)
            self._log(session, actor, EntryType.USER_CHANGE, object="user", object_id=username,
                      change="revoke_tokens", subject=username,
                      agency=self._slug(user.agency_id), revoked=revoked,
                      before={"live_tokens": revoked}, after={"live_tokens": 0})
        return revoked

    def set_password(self, actor: Actor, username: str, password: str) -> User:
        """A new password (never logged); unlocks the account and ends its sessions."""
        with self._change() as session:
            before = _values(self._user(username), ("failed_logins", "locked_until"))
            user = self.catalog.set_password(username, password)
            self._log(session, actor, EntryType.USER_CHANGE, object="user", object_id=username,
                      change="reset_password", subject=username,
                      agency=self._slug(user.agency_id),
                      before={**before, "password": "old"},
                      after={**_values(user, ("failed_logins", "locked_until")),
                             "password": "new"})
        return user

    def enroll_totp(self, actor: Actor, username: str, secret: str) -> User:
        """A new second factor (the secret is never logged)."""
        with self._change() as session:
            enrolled = self._user(username).totp_secret_encrypted is not None
            user = self.catalog.enroll_totp(username, secret)
            self._log(session, actor, EntryType.USER_CHANGE, object="user", object_id=username,
                      change="enroll_totp", subject=username,
                      agency=self._slug(user.agency_id),
                      before={"totp_enrolled": enrolled, "totp_secret": "old" if enrolled
                              else None},
                      after={"totp_enrolled": True, "totp_secret": "new"})
        return user

    # -- cameras and keys --------------------------------------------------------------

    def add_camera(self, actor: Actor, camera_id: str, owner_id: int, kind: str,
                   **details: Any) -> Camera:
        with self._change() as session:
            camera = self.catalog.add_camera(camera_id, owner_id, kind, **details)
            self._log(session, actor, CAMERA_CHANGE, object="camera", object_id=camera_id,
                      change="add", camera_id=camera_id,
                      agency=self._slug(owner_id), before=None, after=_values(
                          camera, ("kind", "name", "lat", "lon", "heading", "active")))
        return camera

    def issue_key(self, actor: Actor, agency_id: int, camera_id: str | None,
                  label: str) -> tuple[str, ApiKey]:
        """A new API key: the raw key (shown once, never logged) and its record."""
        with self._change() as session:
            raw = self.catalog.issue_api_key(agency_id, camera_id, label)
            prefix = raw.split("_")[1]
            [key] = [k for k in self.catalog.api_keys(agency_id) if k.prefix == prefix]
            self._log(session, actor, EntryType.KEY_CHANGE, object="api_key", object_id=prefix,
                      change="issue", prefix=prefix,
                      agency=self._slug(agency_id), camera_id=camera_id, before=None,
                      after={"camera_id": camera_id, "label": label})
        return raw, key

    def revoke_key(self, actor: Actor, prefix: str, *, agency_id: int | None = None) -> ApiKey:
        with self._change() as session:
            key = self.catalog.revoke_api_key(prefix, agency_id=agency_id)
            self._log(session, actor, EntryType.KEY_CHANGE, object="api_key", object_id=prefix,
                      change="revoke", prefix=prefix,
                      agency=self._slug(key.agency_id), before={"revoked_at": None},
                      after={"revoked_at": _value(key.revoked_at)})
        return key

    def issue_ingest_url(self, actor: Actor, agency_id: int, camera_id: str,
                         label: str) -> str:
        """A new ingest-URL credential of one camera (shown once, never logged)."""
        with self._change() as session:
            raw = self.catalog.issue_ingest_url(agency_id, camera_id, label)
            prefix = raw.split("_")[1]
            self._log(session, actor, EntryType.KEY_CHANGE, object="ingest_url",
                      object_id=prefix, change="issue_ingest_url",
                      prefix=prefix, agency=self._slug(agency_id), camera_id=camera_id,
                      before=None, after={"camera_id": camera_id, "label": label})
        return raw

    def revoke_ingest_url(self, actor: Actor, prefix: str, *,
                          agency_id: int | None = None) -> None:
        with self._change() as session:
            row = self.catalog.revoke_ingest_url(prefix, agency_id=agency_id)
            self._log(session, actor, EntryType.KEY_CHANGE, object="ingest_url",
                      object_id=prefix, change="revoke_ingest_url",
                      prefix=prefix, agency=self._slug(row.agency_id),
                      before={"revoked_at": None}, after={"revoked_at": _value(row.revoked_at)})

    # -- collection zones --------------------------------------------------------------

    def add_zone(self, actor: Actor, agency_id: int, name: str, place: str, *,
                 centre: tuple[float, float] | None = None, radius_m: float | None = None,
                 polygon: list[tuple[float, float]] | None = None) -> Zone:
        """Record a collection zone of ``agency_id`` (`Catalog.add_zone`)."""
        with self._change() as session:
            zone = self.catalog.add_zone(agency_id, name, place, centre=centre,
                                         radius_m=radius_m, polygon=polygon)
            self._log(session, actor, ZONE_CHANGE, object="zone", object_id=zone.id,
                      change="add", zone_id=zone.id,
                      agency=self._slug(agency_id), owner_agency=self._slug(agency_id),
                      rule_id=zone.rule_id, before=None, after=_values(zone, ZONE_VALUES))
        return zone

    def revoke_zone(self, actor: Actor, zone_id: int, *, agency_id: int | None = None) -> Zone:
        """Revoke a zone (of ``agency_id``, when given): it no longer applies."""
        with self._change() as session:
            zone = self.catalog.revoke_zone(zone_id, agency_id=agency_id)
            self._log(session, actor, ZONE_CHANGE, object="zone", object_id=zone_id,
                      change="revoke", zone_id=zone_id,
                      agency=self._slug(zone.agency_id),
                      owner_agency=self._slug(zone.agency_id), rule_id=zone.rule_id,
                      before={"revoked_at": None},
                      after={"revoked_at": _value(zone.revoked_at)})
        return zone

    # -- agreements --------------------------------------------------------------------

    def add_agreement(self, actor: Actor, owner_id: int, recipient_id: int, *,
                      always_denied: Iterable[str] = (), **terms: Any) -> AgreementRow:
        """Share ``owner_id``'s data with ``recipient_id`` on ``terms``
        (`Catalog.add_agreement`); ``always_denied`` names the actions the dry run found
        the law packs will always deny."""
        with self._change() as session:
            agreement = self.catalog.add_agreement(owner_id, recipient_id, **terms)
            self._log(session, actor, EntryType.AGREEMENT_CHANGE, object="agreement",
                      object_id=agreement.id, change="add",
                      agency=self._slug(owner_id),
                      agreement_id=agreement.id, owner_agency=self._slug(owner_id),
                      partner_agency=self._slug(recipient_id), recipient_id=recipient_id,
                      actions=list(agreement.actions), purposes=list(agreement.purposes),
                      always_denied=list(always_denied), before=None,
                      after=_values(agreement, TERMS))
        return agreement

    def revoke_agreement(self, actor: Actor, agreement_id: int, *,
                         owner_id: int | None = None) -> AgreementRow:
        with self._change() as session:
            agreement = self.catalog.revoke_agreement(agreement_id, owner_id=owner_id)
            terms = _values(agreement, TERMS) | {"revoked_at": None}
            self._log(session, actor, EntryType.AGREEMENT_CHANGE, object="agreement",
                      object_id=agreement_id, change="revoke",
                      agency=self._slug(agreement.owner_id),
                      agreement_id=agreement_id, owner_agency=self._slug(agreement.owner_id),
                      partner_agency=self._slug(agreement.recipient_id),
                      terms=terms, before={"revoked_at": None},
                      after={"revoked_at": _value(agreement.revoked_at)})
        return agreement


