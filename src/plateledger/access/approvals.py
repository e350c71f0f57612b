"""Supervisor approvals of pattern-of-life (locate) searches, and agencies' search rules.

A locate search whose allowed owners' law packs demand it (Minnesota's tracking rule), or
whose requester's or owners' agencies asked for it (`SearchRules.locate_approval_required`),
does not run: it becomes a *pending approval* and the requester gets its id, nothing about
the reads. A supervisor of the requester's agency — whom the policy set lets both monitor
use (``view_audit``) and run the search itself (``search_locate``), and who is not the
requester — approves or refuses it with a note. The requester then posts the search again
with ``approval_id``: an approval is used once, by the user it was asked for, for the same
plate, kind, legal basis and requesting agency, and the same window and places the request's
entry records (`looks_at`), within `APPROVAL_TTL`. A request whose requester has since been
disabled is not approved (it may still be refused).

Every step is an audit entry written in the same transaction as the change it records:
``search_approval_request`` (with the legal basis, what it waits for, and no result),
``search_approval_decision`` (who decided, the note), ``approval_read`` (who listed which
approvals), and a ``policy_change`` for a change of an agency's search rules. The search
that uses an approval is an ordinary ``search`` entry whose query names the approval.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import Connection, select

from plateledger.access.errors import AccessDenied, AccessError, AuditUnavailable, NotPermitted
from plateledger.access.gate import AccessGate, AccessQuestion, Decision
from plateledger.access.legal_basis import LegalBasis, approval_required
from plateledger.access.policy_source import PolicySource, compile_engine, decide_own, may_act
from plateledger.audit import AuditLog, new_entry
from plateledger.catalog import Catalog, CatalogError, Principal
from plateledger.catalog.approvals import (
    ApprovalRow,
    SearchRules,
    approval_row,
    check_case_pattern,
    insert_approval,
    list_approvals,
    search_rules,
    set_approval_status,
    set_search_rules,
)
from plateledger.catalog.models import User
from plateledger.plates import normalize_plate
from plateledger.policy import Action

if TYPE_CHECKING:
    from plateledger.access.searches import SearchCreate

__all__ = [
    "APPROVAL_TTL",
    "ApprovalError",
    "ApprovalOut",
    "ApprovalPending",
    "ApprovalRow",
    "Approvals",
    "SearchRulesOut",
    "audit_fields",
    "check_case_number",
    "waits_because",
]

APPROVAL_TTL = timedelta(days=7)
"""How long an approval (pending or approved) stays open."""
REQUEST = "search_approval_request"
DECISION = "search_approval_decision"
READ = "approval_read"
SUPERVISOR = "supervisor"


class ApprovalError(AccessDenied):
    """An approval that cannot be used or decided; ``status`` is its HTTP status."""

    status = 422


class ApprovalNotFound(ApprovalError):
    status = 404


class ApprovalForbidden(ApprovalError):
    status = 403


class ApprovalConflict(ApprovalError):
    status = 409


class ApprovalGone(ApprovalError):
    status = 410


class ApprovalPending(AccessError):
    """The search waits for a supervisor: it did not run; ``approval`` is the pending
    approval (logged), to be answered with HTTP 202."""

    def __init__(self, approval: ApprovalOut) -> None:
        super().__init__("approval_pending", "the search waits for a supervisor's approval")
        self.approval = approval


class ApprovalOut(BaseModel):
    """An approval as its requester and their agency's supervisors see it."""

    id: str = Field(description="the approval's id: the `approval_id` of the search that "
                    "uses it")
    status: Literal["pending", "approved", "refused", "used", "expired"]
    waits_for: str = Field(description="whose decision it waits for")
    because: list[str] = Field(description="why the search waits for a supervisor")
    kind: str
    plate: str
    purpose: str
    offense_type: str | None
    case_number: str | None
    reason: str
    legal_basis: dict[str, str]
    requester: str
    requested_by: str
    created_at: datetime
    expires_at: datetime
    decided_by: str | None = None
    decided_at: datetime | None = None
    note: str = ""
    used_at: datetime | None = None
    request_index: int | None = Field(default=None, description="audit index of the request")
    decision_index: int | None = Field(default=None,
                                       description="audit index of the decision")
    next_step: str = Field(default="", description="what the requester does next")
    looks_at: dict[str, Any] | None = Field(
        default=None, description="the window and places the request asked for (`since`, "
        "`until`, cameras, area, region — whatever it gave), from its audit entry: what a "
        "supervisor approves, and what the search run under the approval must ask for; "
        "`{}`: no bound but the agency's lookback")


class SearchRulesOut(BaseModel):
    """An agency's rules for its users' searches."""

    case_number_pattern: str | None = Field(
        description="regular expression every case number of the agency's searches and "
        "exports must match in full (e.g. `^\\d{2}-\\d{4,6}$`); null: any")
    locate_approval_required: bool = Field(
        description="every pattern-of-life search of the agency's data, or by its users, "
        "waits for a supervisor's approval")
    updated_at: datetime | None = None


def check_case_number(rules: SearchRules, case_number: str | None, slug: str) -> None:
    """Refuse (422 ``case_number_format``) a case number that does not match, in full, the
    pattern the agency set. A missing case number is for policy to judge."""
    if not case_number or rules.case_number_pattern is None:
        return
    if re.fullmatch(rules.case_number_pattern, case_number) is None:
        raise AccessDenied(
            "case_number_format",
            f"case number `{case_number[:64]}` does not have the format agency `{slug}` set "
            f"for its case numbers: `{rules.case_number_pattern}`",
        )


def asked(body: SearchCreate, plate: str, basis: LegalBasis,
          requested_by_id: int) -> dict[str, Any]:
    """What an approval is bound to, as a search asks it: everything the supervisor saw
    and decided on (`bound` of the stored approval must equal it)."""
    return {"plate": plate, "kind": body.kind, "legal_basis": basis.model_dump(),
            "requested_by": requested_by_id, "purpose": body.purpose,
            "offense_type": body.offense_type or None, "case_number": body.case_number or None,
            "reason": body.reason}


def bound(row: ApprovalRow) -> dict[str, Any]:
    """What the stored approval ``row`` was asked and decided for (see `asked`)."""
    return {"plate": row.plate, "kind": row.kind, "legal_basis": row.legal_basis,
            "requested_by": row.requested_by_agency_id, "purpose": row.purpose,
            "offense_type": row.offense_type or None, "case_number": row.case_number or None,
            "reason": row.reason}


PAGE_PARAMS = frozenset({"plate", "limit", "offset"})
"""Params that are not what a search looks at: the plate (bound on its own) and the page."""


def looks_at(query: Mapping[str, Any]) -> dict[str, Any]:
    """The window and places a search's ``params`` (as its entry's ``query`` records them,
    JSON) look at: ``since``, ``until``, cameras, area and region — whatever is given. The
    cameras are a set: the same cameras named in another order look at the same reads."""
    found = {k: v for k, v in query.items()
             if k not in PAGE_PARAMS and v is not None and v != [] and v != {}}
    if isinstance(found.get("cameras"), list):
        found["cameras"] = sorted({str(c) for c in found["cameras"]})
    return found


def _status(row: ApprovalRow, now: datetime) -> str:
    return row.status_at(now)


class Approvals:
    """The approvals and search rules of one catalog, each change logged with it."""

    def __init__(self, catalog: Catalog, audit_log: AuditLog,
                 policy: PolicySource | None = None, ttl: timedelta = APPROVAL_TTL) -> None:
        self.catalog = catalog
        self.audit_log = audit_log
        self.policy = policy
        self.ttl = ttl

    # -- plumbing ----------------------------------------------------------------------

    def _append(self, conn: Connection, entry: dict[str, Any], what: str) -> int:
        try:
            return self.audit_log.append(entry, connection=conn)
        except Exception as exc:  # fail closed: no entry, no change
            raise AuditUnavailable(f"the audit log could not record this {what}; nothing "
                                   "was changed or returned") from exc

    def _slug(self, agency_id: int) -> str:
        agency = self.catalog.agency(agency_id)
        return str(agency_id) if agency is None else str(agency.slug)

    def _policy(self) -> PolicySource:
        if self.policy is None:
            raise NotPermitted("forbidden", "approvals are decided on a server with policy")
        return self.policy

    def out(self, row: ApprovalRow, now: datetime | None = None) -> ApprovalOut:
        status = _status(row, now or datetime.now(UTC))
        steps = {
            "pending": f"wait: a {SUPERVISOR} of `{self._slug(row.agency_id)}` approves or "
                       "refuses it at POST /v1/approvals/{id}/approve or /refuse",
            "approved": "post the same search again with this `approval_id` (once)",
            "refused": "the search may not run under this request",
            "used": "the approved search has run; a new one needs a new approval",
            "expired": "ask again: the approval is past its time",
        }
        return ApprovalOut(
            id=row.id, status=status,
            waits_for=f"a {SUPERVISOR} of `{self._slug(row.agency_id)}` other than the "
                      "requester",
            because=list(row.waits_for), kind=row.kind, plate=row.plate,
            purpose=row.purpose, offense_type=row.offense_type, case_number=row.case_number,
            reason=row.reason, legal_basis=dict(row.legal_basis), requester=row.username,
            requested_by=self._slug(row.requested_by_agency_id), created_at=row.created_at,
            expires_at=row.expires_at, decided_by=row.decided_by, decided_at=row.decided_at,
            note=row.note, used_at=row.used_at, request_index=row.request_index,
            decision_index=row.decision_index,
            next_step=steps[status].replace("{id}", row.id),
            looks_at=self.asked_scope(row),
        )

    # -- search rules ------------------------------------------------------------------

    def rules(self, agency_id: int) -> SearchRules:
        with self.catalog.engine.connect() as conn:
            return search_rules(conn, agency_id)

    def set_rules(self, admin: Principal, *, case_number_pattern: str | None,
                  locate_approval_required: bool) -> SearchRules:
        """Replace the rules of the admin's agency (a bad pattern is `AccessDenied`), in one
        transaction with its ``policy_change`` entry."""
        if case_number_pattern is not None:
            try:
                check_case_pattern(case_number_pattern)
            except CatalogError as exc:
                raise AccessDenied("bad_case_number_pattern", str(exc)) from None
        slug = self._slug(admin.agency_id)
        now = datetime.now(UTC)
        policy_hash = compile_engine(self.catalog).policy_hash
        with self.catalog.engine.begin() as conn:
            before = search_rules(conn, admin.agency_id)
            after = set_search_rules(conn, admin.agency_id,
                                     case_number_pattern=case_number_pattern,
                                     locate_approval_required=locate_approval_required,
                                     now=now)
            self._append(conn, new_entry(
                "policy_change", user=admin.username, via="api", agency_id=admin.agency_id,
                change="search_rules", object="search_rules", object_id=slug, agency=slug,
                owner_agency=slug,
                before={"case_number_pattern": before.case_number_pattern,
                        "locate_approval_required": before.locate_approval_required},
                after={"case_number_pattern": after.case_number_pattern,
                       "locate_approval_required": after.locate_approval_required},
                policy_set_hash=policy_hash,
            ), "change of search rules")
        return after

    # -- the gate ----------------------------------------------------------------------

    def needed(self, question: AccessQuestion, decision: Decision) -> list[str]:
        """Why a pattern-of-life search with this decision waits for a supervisor (empty:
        it does not), by `waits_because` over the catalog's packs and rules."""
        user_agency = question.user.agency_id
        allowed = {o.owner_id for o in decision.outcomes.values() if o.allowed}
        agencies = {a.id: a for a in self.catalog.agencies()}
        with self.catalog.engine.connect() as conn:
            requiring = {i for i in {user_agency, *allowed}
                         if search_rules(conn, i).locate_approval_required}
        # The requester's own rule is said once, as the requester's.
        return waits_because(
            self._slug(user_agency), user_agency in requiring,
            [(agencies[i].slug, tuple(agencies[i].law_packs),
              i in requiring and i != user_agency)
             for i in sorted(allowed) if i in agencies],
        )

    def request(
        self, gate: AccessGate, question: AccessQuestion, decision: Decision,
        body: SearchCreate, basis: LegalBasis, because: Iterable[str], now: datetime,
    ) -> ApprovalOut:
        """Record a pending approval and its ``search_approval_request`` entry together;
        nothing about the reads is asked or answered. A search run again while the user
        already waits for the same kind, plate, legal basis, requesting agency, window and
        places gets that request back: the supervisors are not asked twice."""
        plate = normalize_plate(body.params.plate or "")
        query = body.params.model_dump(mode="json", exclude_none=True)
        query["plate"] = plate
        with self.catalog.engine.connect() as conn:
            for waiting in list_approvals(conn, question.user.agency_id,
                                          user_id=question.user.user_id,
                                          statuses=("pending",)):
                if (waiting.status_at(now) == "pending"
                        and bound(waiting) == asked(body, plate, basis,
                                                    question.requested_by_id)
                        and self.asked_scope(waiting) == looks_at(query)):
                    return self.out(waiting, now)
        approval_id = str(uuid.uuid4())
        names = {a.id: a.slug for a in self.catalog.agencies()}
        with self.catalog.engine.begin() as conn:
            row = insert_approval(
                conn, id=approval_id, agency_id=question.user.agency_id,
                user_id=question.user.user_id, username=question.user.username,
                requested_by_agency_id=question.requested_by_id, kind=body.kind,
                plate=plate, purpose=question.purpose, offense_type=body.offense_type,
                case_number=question.case_number, reason=question.reason,
                legal_basis=basis.model_dump(), waits_for=list(because), status="pending",
                created_at=now, expires_at=now + self.ttl, note="",
            )
            index = self._append(conn, new_entry(
                REQUEST, user=question.user.username,
                agency=names.get(question.user.agency_id, str(question.user.agency_id)),
                requested_by_agency=names.get(question.requested_by_id,
                                              str(question.requested_by_id)),
                purpose=question.purpose, offense_type=body.offense_type,
                case_number=question.case_number, reason=question.reason,
                reason_flags=list(decision.reason_flags), kind=body.kind, query=query,
                **basis.audit_facts(), approval_id=approval_id, waits_for=list(because),
                expires_at=row.expires_at.isoformat(), policy_set_hash=decision.policy_hash,
            ), "approval request")
            set_approval_status(conn, approval_id, expect="pending", status="pending",
                                request_index=index)
            row = approval_row(conn, approval_id) or row
        gate.alarms.observe(question, decision, index)
        return self.out(row, now)

    def consume(
        self, approval_id: str, user: Principal, body: SearchCreate, basis: LegalBasis,
        requested_by_id: int, now: datetime,
    ) -> ApprovalRow:
        """The approval ``approval_id``, checked against this search and marked used
        (`restore` gives it back if the search then fails); `ApprovalError` otherwise."""
        with self.catalog.engine.begin() as conn:
            row = approval_row(conn, approval_id)
            if row is None or row.agency_id != user.agency_id:
                raise ApprovalNotFound("approval_not_found",
                                       f"there is no approval `{approval_id[:40]}`")
            if row.user_id != user.user_id:
                raise ApprovalForbidden(
                    "approval_not_yours", f"approval `{row.id}` was asked for by another "
                    "user: an approval is used only by the user it was granted to")
            status = _status(row, now)
            if status == "pending":
                raise ApprovalConflict("approval_pending", f"approval `{row.id}` still "
                                       "waits for a supervisor's decision")
            if status == "refused":
                raise ApprovalForbidden(
                    "approval_refused", f"approval `{row.id}` was refused by "
                    f"`{row.decided_by}`: {row.note or 'no note'}")
            if status == "expired":
                raise ApprovalGone("approval_expired", f"approval `{row.id}` expired at "
                                   f"{row.expires_at.isoformat()}; ask again")
            if status == "used":
                raise ApprovalConflict("approval_used", f"approval `{row.id}` was used at "
                                       f"{row.used_at.isoformat() if row.used_at else '?'}"
                                       "; an approval is used once")
            wanted = asked(body, normalize_plate(body.params.plate or ""), basis,
                           requested_by_id)
            granted = bound(row)
            differs = sorted(k for k in wanted if wanted[k] != granted[k])
            scope = looks_at(body.params.model_dump(mode="json", exclude_none=True))
            if self.asked_scope(row) != scope:
                differs.append("window_or_places")
            if differs:
                raise ApprovalForbidden(
                    "approval_mismatch", f"approval `{row.id}` was granted for another "
                    f"{', '.join(d.replace('_', ' ') for d in differs)}: it is bound to what "
                    "the supervisor saw (the plate, the kind, the legal basis, the "
                    "requesting agency, the purpose, the offense, the case number and the "
                    "reason) and to the window and places its request's entry records")
            if not set_approval_status(conn, row.id, expect="approved", status="used",
                                       used_at=now):
                raise ApprovalConflict("approval_used", f"approval `{row.id}` was just used")
        return row

    def asked_scope(self, row: ApprovalRow) -> dict[str, Any] | None:
        """The window and places (`looks_at`) the request of ``row`` asked for, from its
        ``search_approval_request`` entry; ``None`` where that entry is not this request's
        (no search then matches it). `AuditUnavailable` when the log cannot be read."""
        if row.request_index is None:
            return None
        try:
            entry = self.audit_log.entry(row.request_index).entry
        except Exception as exc:  # fail closed: what was approved cannot be told
            raise AuditUnavailable("the audit log could not be read to check the approval's "
                                   "request; nothing was run") from exc
        query = entry.get("query")
        if entry.get("type") != REQUEST or entry.get("approval_id") != row.id \
                or not isinstance(query, Mapping):
            return None
        return looks_at(query)

    def restore(self, approval_id: str) -> None:
        """Give an approval back after the search that used it failed (no answer)."""
        with self.catalog.engine.begin() as conn:
            set_approval_status(conn, approval_id, expect="used", status="approved",
                                used_at=None)

    # -- supervisors -------------------------------------------------------------------

    def is_supervisor(self, user: Principal) -> bool:
        """Whether the policy set lets ``user`` both monitor use and run the search."""
        policy = self._policy()
        return (decide_own(policy, user, Action.VIEW_AUDIT).allowed
                and may_act(policy, user, Action.SEARCH_LOCATE).allowed)

    def _may_see(self, user: Principal) -> bool:
        """Supervisors see their agency's approvals; anyone the role pack lets run the
        search sees their own; nobody else sees any."""
        supervisor = self.is_supervisor(user)
        if not supervisor and not may_act(self._policy(), user, Action.SEARCH_LOCATE).allowed:
            raise NotPermitted("forbidden", "approvals are for those who may run "
                               "pattern-of-life searches and their supervisors")
        return supervisor

    def _log_read(self, conn: Connection, user: Principal, ids: list[str]) -> int:
        return self._append(conn, new_entry(
            READ, user=user.username, agency=self._slug(user.agency_id), approvals=ids,
        ), "reading of approvals")

    def listing(self, user: Principal, status: str | None = "pending") -> list[ApprovalOut]:
        """Supervisors: their agency's approvals; others: their own. Logged first."""
        supervisor = self._may_see(user)
        now = datetime.now(UTC)
        with self.catalog.engine.begin() as conn:
            rows = list_approvals(conn, user.agency_id,
                                  user_id=None if supervisor else user.user_id)
            rows = [r for r in rows if status is None or _status(r, now) == status]
            self._log_read(conn, user, [r.id for r in rows])
        return [self.out(r, now) for r in rows]

    def one(self, user: Principal, approval_id: str) -> ApprovalOut:
        supervisor = self._may_see(user)
        with self.catalog.engine.begin() as conn:
            row = approval_row(conn, approval_id)
            if row is None or row.agency_id != user.agency_id or (
                    not supervisor and row.user_id != user.user_id):
                raise ApprovalNotFound("approval_not_found",
                                       f"there is no approval `{approval_id[:40]}`")
            self._log_read(conn, user, [row.id])
        return self.out(row)

    def decide(self, user: Principal, approval_id: str, *, approve: bool,
               note: str) -> ApprovalOut:
        """A supervisor of the requester's agency, not the requester, approves or refuses
        a pending approval; the decision and its entry commit together."""
        if not self.is_supervisor(user):
            raise ApprovalForbidden(
                "not_a_supervisor", "approving a pattern-of-life search needs a supervisor: "
                "someone the policy set lets both read the audit log and run the search")
        now = datetime.now(UTC)
        policy_hash = self._policy().engine().policy_hash
        names = {a.id: a.slug for a in self.catalog.agencies()}
        with self.catalog.engine.begin() as conn:
            row = approval_row(conn, approval_id)
            if row is None or row.agency_id != user.agency_id:
                # Another agency's approval answers as one that does not exist.
                raise ApprovalNotFound("approval_not_found",
                                       f"there is no approval `{approval_id[:40]}`")
            if row.user_id == user.user_id:
                raise ApprovalForbidden("own_request", "a supervisor cannot approve or "
                                        "refuse their own request")
            disabled = conn.execute(select(User.disabled).where(User.id == row.user_id)
                                    ).scalar_one_or_none()
            if approve and disabled is not False:
                # Nobody may use it now, and it should not be waiting, approved, the day
                # the account is enabled again; refusing it is still possible.
                raise ApprovalConflict("requester_disabled", f"approval `{row.id}` was asked "
                                       f"for by `{row.username}`, whose account is disabled "
                                       "or gone: it cannot be approved (it may be refused)")
            status = _status(row, now)
            if status == "expired":
                raise ApprovalGone("approval_expired", f"approval `{row.id}` expired at "
                                   f"{row.expires_at.isoformat()}")
            if status != "pending":
                raise ApprovalConflict("already_decided", f"approval `{row.id}` is "
                                       f"{status}, not pending")
            decision = "approved" if approve else "refused"
            index = self._append(conn, new_entry(
                DECISION, user=user.username, agency=names.get(user.agency_id, ""),
                approval_id=row.id, decision=decision, note=note, requester=row.username,
                requested_by_agency=names.get(row.requested_by_agency_id, ""),
                kind=row.kind, query={"plate": row.plate}, purpose=row.purpose,
                offense_type=row.offense_type, case_number=row.case_number,
                **{f"legal_basis_{k}": v for k, v in row.legal_basis.items()},
                request_index=row.request_index, policy_set_hash=policy_hash,
            ), "approval decision")
            if not set_approval_status(conn, row.id, expect="pending", status=decision,
                                       decided_by=user.username, decided_at=now, note=note,
                                       decision_index=index):
                raise ApprovalConflict("already_decided", f"approval `{row.id}` was just "
                                       "decided")
            row = approval_row(conn, row.id) or row
        return self.out(row, now)


def waits_because(
    requester: str, requester_requires: bool,
    allowed_owners: Iterable[tuple[str, Iterable[str], bool]],
) -> list[str]:
    """Why a pattern-of-life search waits for a supervisor (empty: it does not): the
    requester's agency's rule, and for each owner the decision *allowed* — ``(slug, law
    packs, its own rule)`` — a pack that demands it (Minnesota) or the owner's rule. Only
    policy and settings count, never the reads; a denied owner changes nothing."""
    because: list[str] = []
    if requester_requires:
        because.append(f"agency `{requester}` has every pattern-of-life search by its users "
                       "approved by a supervisor")
    for slug, packs, requires in allowed_owners:
        if approval_required(packs):
            because.append(f"`{slug}` data: Minnesota's tracking rule (Minn. Stat. 13.824 "
                           "subd. 2)")
        elif requires:
            because.append(f"`{slug}` has every pattern-of-life search of its data approved "
                           "by a supervisor")
    return because


def audit_fields(approval: ApprovalRow | None) -> Mapping[str, Any]:
    """What a locate search's entry records of its approval (in its query; its legal basis
    is recorded as every search's is, `plateledger.access.searches.decide_run_log`)."""
    if approval is None:
        return {}
    return {"approval_id": approval.id, "approved_by": approval.decided_by,
            "approval_index": approval.decision_index}
