"""Sharing agreements between agencies, and Illinois written declarations."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import select

from plateledger.catalog.agencies import STATE
from plateledger.catalog.database import CatalogDatabase
from plateledger.catalog.errors import CatalogError, NotFound
from plateledger.catalog.models import Agency, AgreementRow, DeclarationRow
from plateledger.catalog.timeutil import utc_now

MAX_LOOKBACK_DAYS = 36_500
"""The longest lookback an agreement may set (a hundred years): beyond it no time can be
computed, and every search of the recipient would fail."""
MAX_RESULT_CAP = 1_000_000
"""The largest per-search result cap an agreement may set."""
EARLIEST, LATEST = datetime(1970, 1, 1, tzinfo=UTC), datetime(2200, 1, 1, tzinfo=UTC)
"""The moments an agreement may start or expire between."""

AGREEMENT_ACTIONS = frozenset({
    "search", "alert", "export",
    "search_exact", "search_wildcard", "search_fuzzy", "search_area", "search_convoy",
    "search_locate", "search_timeline", "search_stakeout", "search_attributes", "view_image",
    "receive_alert",
})
"""What an agreement can let the recipient do with the owner's data: the coarse names
(``search``: every search kind; ``alert``: hot-list alerts; ``export``) or single actions
(``search_exact`` alone shares exact lookups and no wildcard, fuzzy or area search)."""
SEARCH_NAMES = frozenset(a for a in AGREEMENT_ACTIONS if a.startswith("search_"))
"""Every search kind: an agreement granting them all shares what ``search`` shares."""
SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")


class SharingRecords(CatalogDatabase):
    """Agreements and declarations of the `Catalog`."""

    def add_agreement(
        self,
        owner_id: int,
        recipient_id: int,
        *,
        actions: Iterable[str],
        purposes: Iterable[str],
        created_by: str,
        max_lookback_days: int | None = None,
        case_number_required: bool = True,
        result_cap: int | None = None,
        images_allowed: bool = False,
        starts_at: datetime | None = None,
        expires_at: datetime | None = None,
    ) -> AgreementRow:
        """Let ``recipient_id`` run ``actions`` on ``owner_id``'s data for ``purposes``.

        Preconditions: two different agencies; at least one action of `AGREEMENT_ACTIONS`
        and one purpose; times aware; ``expires_at`` after ``starts_at`` (default: now).
        Purposes are checked against the closed list by the policy compiler, not here.
        """
        chosen_actions = sorted(set(actions))
        chosen_purposes = sorted(set(purposes))
        bad = [a for a in chosen_actions if a not in AGREEMENT_ACTIONS]
        if bad:
            known = sorted(AGREEMENT_ACTIONS)
            raise CatalogError(f"unknown action `{bad[0]}`: actions are {known}")
        if not chosen_actions or not chosen_purposes:
            raise CatalogError("an agreement needs at least one action and one purpose")
        searches = "search" in chosen_actions or set(chosen_actions) >= SEARCH_NAMES
        if images_allowed and not searches:
            raise CatalogError("`images_allowed` shares the images of the reads a partner may "
                               "search: it needs `search` among the actions")
        if "view_image" in chosen_actions and not images_allowed:
            # it would open nothing: a search shows, and a view serves, images only where
            # the agreement shares them
            raise CatalogError("`view_image` comes with `images_allowed` and `search`: share "
                               "images to let the partner open those of the reads it may "
                               "search")
        if owner_id == recipient_id:
            raise CatalogError("an agency needs no agreement with itself")
        for name, value, most in (("max_lookback_days", max_lookback_days, MAX_LOOKBACK_DAYS),
                                  ("result_cap", result_cap, MAX_RESULT_CAP)):
            if value is not None and not 1 <= value <= most:
                raise CatalogError(f"`{name}` must be 1 to {most:,}, not `{value}`")
        for name, moment in (("starts_at", starts_at), ("expires_at", expires_at)):
            if moment is not None and moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)  # as the catalog stores it
            if moment is not None and not EARLIEST <= moment <= LATEST:
                raise CatalogError(f"`{name}` must fall between {EARLIEST.year} and "
                                   f"{LATEST.year} (UTC)")
        starts = starts_at or utc_now()
        if expires_at is not None and expires_at <= starts:
            raise CatalogError("an agreement must expire after it starts")
        with self._transaction() as session:
            for agency_id in (owner_id, recipient_id):
                if session.get(Agency, agency_id) is None:
                    raise NotFound(f"no agency `{agency_id}`")
            agreement = AgreementRow(
                owner_id=owner_id, recipient_id=recipient_id, actions=chosen_actions,
                purposes=chosen_purposes, max_lookback_days=max_lookback_days,
                case_number_required=case_number_required, result_cap=result_cap,
                images_allowed=images_allowed, starts_at=starts, expires_at=expires_at,
                created_by=created_by,
            )
            session.add(agreement)
            self._bump(session)
        return agreement

    def revoke_agreement(self, agreement_id: int, *, owner_id: int | None = None) -> AgreementRow:
        """Revoke an agreement now (of ``owner_id``, when given: another owner's agreement
        is reported as not found)."""
        with self._transaction() as session:
            agreement = session.get(AgreementRow, agreement_id)
            if agreement is None or (owner_id is not None and agreement.owner_id != owner_id):
                raise NotFound(f"no agreement `{agreement_id}`")
            if agreement.revoked_at is not None:
                raise CatalogError(f"agreement `{agreement_id}` is already revoked")
            agreement.revoked_at = utc_now()
            self._bump(session)
        return agreement

    def agreement(self, agreement_id: int) -> AgreementRow | None:
        with self._sessions() as session:
            return session.get(AgreementRow, agreement_id)

    def agreements(
        self,
        *,
        owner_id: int | None = None,
        recipient_id: int | None = None,
        in_force_at: datetime | None = None,
    ) -> list[AgreementRow]:
        """Agreements (revoked and expired ones too unless ``in_force_at`` is given),
        optionally of one owner or one recipient, oldest first."""
        query = select(AgreementRow).order_by(AgreementRow.id)
        if owner_id is not None:
            query = query.where(AgreementRow.owner_id == owner_id)
        if recipient_id is not None:
            query = query.where(AgreementRow.recipient_id == recipient_id)
        with self._sessions() as session:
            found = list(session.scalars(query))
        if in_force_at is not None:
            found = [a for a in found if a.in_force(in_force_at)]
        return found

    def add_declaration(
        self,
        agency_id: int,
        owner_state: str,
        *,
        signer: str,
        signed_at: datetime,
        document_digest: str,
    ) -> DeclarationRow:
        """Record that ``signer`` signed, at ``signed_at``, the written declaration of
        agency ``agency_id`` for data of ``owner_state``; ``document_digest`` is the hex
        SHA-256 of the signed document."""
        if not STATE.match(owner_state):
            raise CatalogError(f"owner state `{owner_state}` must be a two-letter code")
        if not signer.strip():
            raise CatalogError("a declaration needs the name of its signer")
        if not SHA256_HEX.match(document_digest):
            raise CatalogError("the document digest must be 64 lower-case hex characters")
        with self._transaction() as session:
            if session.get(Agency, agency_id) is None:
                raise NotFound(f"no agency `{agency_id}`")
            declaration = DeclarationRow(
                agency_id=agency_id, owner_state=owner_state, signer=signer.strip(),
                signed_at=signed_at, document_digest=document_digest,
            )
            session.add(declaration)
            self._bump(session)
        return declaration

    def declaration(self, declaration_id: int) -> DeclarationRow | None:
        with self._sessions() as session:
            return session.get(DeclarationRow, declaration_id)

    def revoke_declaration(
        self, declaration_id: int, *, agency_id: int | None = None, at: datetime | None = None
    ) -> DeclarationRow:
        """Revoke a declaration now (of ``agency_id``, when given: another agency's is
        reported as not found); from then on it no longer counts."""
        with self._transaction() as session:
            declaration = session.get(DeclarationRow, declaration_id)
            if declaration is None or (
                agency_id is not None and declaration.agency_id != agency_id
            ):
                raise NotFound(f"no declaration `{declaration_id}`")
            if declaration.revoked_at is not None:
                raise CatalogError(f"declaration `{declaration_id}` is already revoked")
            declaration.revoked_at = at or utc_now()
            self._bump(session)
        return declaration

    def declarations(
        self, *, agency_id: int | None = None, owner_state: str | None = None
    ) -> list[DeclarationRow]:
        """Declarations, optionally of one agency or for one owner state, oldest first."""
        query = select(DeclarationRow).order_by(DeclarationRow.id)
        if agency_id is not None:
            query = query.where(DeclarationRow.agency_id == agency_id)
        if owner_state is not None:
            query = query.where(DeclarationRow.owner_state == owner_state)
        with self._sessions() as session:
            return list(session.scalars(query))
