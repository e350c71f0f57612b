"""Cases: an agency's searches grouped under a case number, and the case report.

A case is a case number within an agency (`plateledger.catalog.cases`): its investigators
and supervisors open it (``POST /v1/cases``), close or reopen it, and read it. Its searches
are not copied anywhere: they are the audit log's ``search`` and ``export`` entries whose
user belongs to the case's agency (the entry's ``agency``) and whose ``case_number`` is the
case's number. A search by another agency under the same number is never part of it, nor
one that another agency's user said it ran *for* this agency.

Who may: the policy set decides, by the role pack's rule for exports (``export``,
``role-export``: investigators and supervisors), and the case must be of the user's own
agency — another agency's case answers as one that does not exist. Each change (open,
close, reopen) is a ``case_change`` entry written in the change's transaction; each reading
of a case is a ``case_read`` entry and each report a ``case_report`` entry, written before
anything is served (no entry, no answer).

The report lists, for each search, its legal basis and its result summary — the count of
reads matched and returned, per owner, and the digest of what was returned — never the
reads themselves: a report is a record of what was done, not a second copy of the data.
Each search's audit leaf index comes with its inclusion proof against the signed
checkpoint taken after the report's own entry, so anyone holding the log's verifier key
can check, from the report alone, that each listed entry is in the log.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import rfc8785
from pydantic import BaseModel, Field
from sqlalchemy.exc import SQLAlchemyError

from plateledger.access.approvals import Approvals, check_case_number
from plateledger.access.errors import AccessDenied, AuditUnavailable, NotPermitted, NotVisible
from plateledger.access.policy_source import PolicySource, may_act
from plateledger.audit import AuditLog, AuditRecord, Checkpoint, new_entry
from plateledger.audit.changes import ChangeNotLogged, change_entry, log_change, who
from plateledger.audit.redaction import denied as denied_owners
from plateledger.audit.redaction import released
from plateledger.catalog import Catalog, Principal
from plateledger.catalog.cases import (
    CASE_STATUSES,
    CaseRow,
    case_row,
    insert_case,
    list_cases,
    set_case_status,
)
from plateledger.policy import Action

__all__ = [
    "CASE_ENTRY_TYPES",
    "CaseConflict",
    "CaseDetail",
    "CaseOut",
    "CaseReport",
    "CaseSearch",
    "Cases",
    "InclusionProof",
]

CASE_ENTRY_TYPES = frozenset({"search", "export"})
"""The entries a case lists: the searches (and exports, which are searches written to a
file) of the case's agency's users that name its number."""
CHANGE = "case_change"
READ = "case_read"
REPORT = "case_report"
NO_BASIS = "none recorded"

log = logging.getLogger(__name__)


class CaseConflict(AccessDenied):
    """A case that already exists, or a change that does not apply (HTTP 409)."""


class CaseOut(BaseModel):
    """A case as its agency's investigators and supervisors see it."""

    number: str
    title: str
    status: Literal["open", "closed"]
    opened_by: str
    created_at: datetime
    closed_by: str | None = None
    closed_at: datetime | None = None
    change_index: int | None = Field(
        default=None, description="audit index of the change just made (open, close)"
    )


class OwnerDenied(BaseModel):
    agency: str
    policy_ids: list[str] = Field(default_factory=list)


class CaseSearch(BaseModel):
    """One search of a case, from its audit entry."""

    search_id: str = Field(description="the search's UUID, as in its answer and entry")
    time: str
    user: str
    entry_type: Literal["search", "export"]
    kind: str = Field(description="the search kind (exact, wildcard, stakeout …)")
    plate: str | None = Field(default=None, description="the plate or pattern searched")
    purpose: str
    offense_type: str | None = None
    legal_basis: str = Field(description=f"warrant or court order, or `{NO_BASIS}`")
    owners_allowed: list[str]
    owners_denied: list[OwnerDenied]
    result_count: int | None = Field(default=None, description="reads matched")
    returned: int | None = Field(default=None, description="reads returned")
    returned_by_owner: dict[str, int] = Field(default_factory=dict)
    result_digest: str = Field(default="", description="SHA-256 of the returned read ids")
    audit_index: int = Field(description="the search's leaf index in the audit log")


class CaseDetail(CaseOut):
    searches: list[CaseSearch]
    read_index: int = Field(description="audit index of the `case_read` entry of this answer")


class InclusionProof(BaseModel):
    """The audit path of one leaf in the tree of the report's checkpoint (base64)."""

    index: int
    leaf_hash: str
    hashes: list[str]


class CaseReport(BaseModel):
    """A case report: the case, its searches, and the proofs that they are logged."""

    case: CaseOut
    agency: str
    agency_name: str
    searches: list[CaseSearch]
    generated_at: datetime
    generated_by: str
    report_index: int = Field(description="audit index of the `case_report` entry")
    checkpoint: str = Field(
        description="the signed checkpoint (C2SP signed note) the proofs lead to"
    )
    checkpoint_size: int
    root_hash: str
    verifier_key: str = Field(
        description="the log's verifier key, to check the "
        "checkpoint's signature (compare it with one published "
        "elsewhere)"
    )
    proofs: list[InclusionProof] = Field(description="one per search, then the report's own entry")
    reads_listed: bool = Field(
        default=False,
        description="always false: a case report lists counts and digests, never the reads",
    )


def legal_basis_text(entry: Mapping[str, Any]) -> str:
    """The legal basis an entry records (its query's ``legal_basis`` or the entry's
    ``legal_basis_*`` facts) as one line; `NO_BASIS` where it records none."""
    query = entry.get("query") if isinstance(entry.get("query"), Mapping) else {}
    assert isinstance(query, Mapping)
    basis = query.get("legal_basis") or entry.get("legal_basis")
    facts: Mapping[str, Any] = entry
    if isinstance(basis, Mapping):
        facts = {f"legal_basis_{k}": v for k, v in basis.items()}
    elif isinstance(basis, str) and basis:
        return basis
    kind, number, court = (facts.get(f"legal_basis_{k}") for k in ("kind", "number", "court"))
    if not (kind or number):
        return NO_BASIS
    text = f"{str(kind or '').replace('_', ' ')} {number or ''}".strip()
    return f"{text} ({court})" if court else text


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def case_search(record: AuditRecord) -> CaseSearch:
    """The case's view of one search or export entry."""
    entry = record.entry
    query = entry.get("query") if isinstance(entry.get("query"), Mapping) else {}
    assert isinstance(query, Mapping)
    search_id = query.get("search_id")
    by_owner = entry.get("returned_by_owner")
    plate = query.get("plate")
    return CaseSearch(
        search_id=str(search_id) if search_id else f"entry-{record.index}",
        time=str(entry.get("time") or record.time),
        user=str(entry.get("user") or ""),
        entry_type="export" if entry.get("type") == "export" else "search",
        kind=str(entry.get("kind") or ""),
        plate=str(plate) if plate else None,
        purpose=str(entry.get("purpose") or ""),
        offense_type=str(query.get("offense_type") or entry.get("offense_type") or "") or None,
        legal_basis=legal_basis_text(entry),
        owners_allowed=released(entry),
        owners_denied=[
            OwnerDenied(agency=a, policy_ids=p) for a, p in denied_owners(entry).items()
        ],
        result_count=_int(entry.get("result_count")),
        returned=_int(entry.get("returned")),
        returned_by_owner={str(k): int(v) for k, v in by_owner.items() if _int(v) is not None}
        if isinstance(by_owner, Mapping)
        else {},
        result_digest=str(entry.get("result_digest") or ""),
        audit_index=record.index,
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _out(row: CaseRow, change_index: int | None = None) -> CaseOut:
    return CaseOut(
        number=row.number,
        title=row.title,
        status=row.status,
        opened_by=row.opened_by,
        created_at=row.created_at,
        closed_by=row.closed_by,
        closed_at=row.closed_at,
        change_index=change_index,
    )


def clean_number(number: str) -> str:
    """A case number as stored: surrounding blanks removed; 1 to 64 printable characters."""
    text = number.strip()
    if not text or len(text) > 64 or not text.isprintable() or "/" in text:
        raise AccessDenied(
            "bad_case_number",
            "a case number has 1 to 64 printable "
            "characters, none of them `/` (it names the case in URLs)",
        )
    return text


@dataclass(frozen=True)
class Cases:
    """The cases of one catalog, each change and each reading logged with it."""

    catalog: Catalog
    audit_log: AuditLog
    policy: PolicySource

    # -- who may -----------------------------------------------------------------------

    def _may(self, user: Principal) -> str:
        """The slug of ``user``'s agency once the policy set lets them work cases (the
        role pack's export rule: investigators and supervisors); `NotPermitted` naming the
        rule otherwise."""
        verdict = may_act(self.policy, user, Action.EXPORT)
        if not verdict.allowed:
            raise NotPermitted(
                "forbidden",
                "cases are for investigators and supervisors: " + "; ".join(verdict.reasons),
            )
        agency = self.catalog.agency(user.agency_id)
        return str(user.agency_id) if agency is None else str(agency.slug)

    def _case(self, user: Principal, number: str) -> CaseRow:
        with self.catalog.engine.connect() as conn:
            row = case_row(conn, user.agency_id, number)
        if row is None:
            # Another agency's case answers as one that does not exist.
            raise NotVisible("no_such_case", f"your agency has no case `{number[:64]}`")
        return row

    # -- changes -----------------------------------------------------------------------

    def _log_change(
        self,
        conn: Any,
        user: Principal,
        slug: str,
        change: str,
        before: CaseRow | None,
        after: CaseRow,
    ) -> int:
        try:
            return log_change(
                self.audit_log,
                conn,
                change_entry(
                    CHANGE,
                    who(user.username, user.agency_id),
                    object="case",
                    object_id=after.number,
                    change=change,
                    agency=slug,
                    before=None if before is None else before.values(),
                    after=after.values(),
                ),
            )
        except ChangeNotLogged as exc:
            raise AuditUnavailable(str(exc)) from exc

    def open(self, user: Principal, number: str, title: str) -> CaseOut:
        """Open case ``number`` of ``user``'s agency; its number has the agency's format,
        if it set one (422), and is new (`CaseConflict`). Logged in the same transaction."""
        slug = self._may(user)
        number = clean_number(number)
        rules = Approvals(self.catalog, self.audit_log).rules(user.agency_id)
        check_case_number(rules, number, slug)
        now = datetime.now(UTC)
        with self.catalog.engine.begin() as conn:
            if case_row(conn, user.agency_id, number) is not None:
                raise CaseConflict("case_exists", f"your agency already has case `{number}`")
            row = insert_case(
                conn,
                agency_id=user.agency_id,
                number=number,
                title=" ".join(title.split()),
                opened_by=user.username,
                now=now,
            )
            index = self._log_change(conn, user, slug, "open", None, row)
        return _out(row, index)

    def set_status(self, user: Principal, number: str, status: str) -> CaseOut:
        """Close (``closed``) or reopen (``open``) a case of ``user``'s agency, logged in
        the same transaction; `CaseConflict` when it already has that status."""
        if status not in CASE_STATUSES:
            raise AccessDenied("bad_status", f"a case is {' or '.join(CASE_STATUSES)}")
        slug = self._may(user)
        now = datetime.now(UTC)
        with self.catalog.engine.begin() as conn:
            row = case_row(conn, user.agency_id, number)
            if row is None:
                raise NotVisible("no_such_case", f"your agency has no case `{number[:64]}`")
            if row.status == status:
                raise CaseConflict("case_unchanged", f"case `{number}` is already {status}")
            after = set_case_status(conn, row, status=status, by=user.username, now=now)
            if after is None:
                raise CaseConflict("case_changed", f"case `{number}` was just changed")
            index = self._log_change(
                conn, user, slug, "close" if status == "closed" else "reopen", row, after
            )
        return _out(after, index)

    # -- readings ----------------------------------------------------------------------

    def listing(self, user: Principal, status: str | None = None) -> list[CaseOut]:
        """The cases of ``user``'s agency, newest first (numbers and titles only)."""
        self._may(user)
        with self.catalog.engine.connect() as conn:
            return [_out(r) for r in list_cases(conn, user.agency_id, status=status)]

    def searches(self, slug: str, number: str) -> list[CaseSearch]:
        """The searches of case ``number`` of the agency ``slug``, in log order: entries
        of its users (``agency``) naming the number, never another agency's.

        The database finds the entries whose stored bytes name both (`AuditLog.containing`:
        the canonical JSON of ``"case_number":<number>`` and ``"agency":<slug>``), so a
        case is not a read of the whole log; each found entry is then checked field by
        field, and against its leaf hash."""
        try:
            found = self.audit_log.containing(
                b'"case_number":' + rfc8785.dumps(number), b'"agency":' + rfc8785.dumps(slug)
            )
        except SQLAlchemyError as exc:  # the log cannot be read: nothing is served
            log.exception("the audit log could not be read for a case")
            raise AuditUnavailable(
                "the audit log could not be read; nothing of the case was served") from exc
        return [
            case_search(r)
            for r in found
            if r.entry.get("type") in CASE_ENTRY_TYPES
            and r.entry.get("agency") == slug
            and r.entry.get("case_number") == number
        ]

    def _log_reading(
        self,
        user: Principal,
        slug: str,
        entry_type: str,
        number: str,
        found: list[CaseSearch],
        **fields: Any,
    ) -> int:
        try:
            return self.audit_log.append(
                new_entry(
                    entry_type,
                    user=user.username,
                    agency=slug,
                    case_number=number,
                    indexes=[s.audit_index for s in found],
                    search_ids=[s.search_id for s in found],
                    **fields,
                )
            )
        except Exception as exc:  # fail closed: no record of the reading, nothing served
            raise AuditUnavailable(
                f"the audit log could not record this {entry_type}; nothing was served"
            ) from exc

    def detail(self, user: Principal, number: str) -> CaseDetail:
        """Case ``number`` of ``user``'s agency with its searches; logged first."""
        slug = self._may(user)
        row = self._case(user, number)
        found = self.searches(slug, row.number)
        index = self._log_reading(user, slug, READ, row.number, found)
        return CaseDetail(**_out(row).model_dump(), searches=found, read_index=index)

    def report(self, user: Principal, number: str, fmt: str) -> CaseReport:
        """The report of case ``number``: logged (``case_report``) first, then each search
        and the report's own entry proven against the checkpoint signed after it."""
        slug = self._may(user)
        row = self._case(user, number)
        agency = self.catalog.agency(user.agency_id)
        found = self.searches(slug, row.number)
        index = self._log_reading(
            user, slug, REPORT, row.number, found, format=fmt, reads_listed=False
        )
        signer = self.audit_log.signer
        if signer is None:
            raise AuditUnavailable(
                "the audit log has no signing key: no checkpoint to prove the report against"
            )
        note = self.audit_log.checkpoint()
        checkpoint = Checkpoint.parse(note.partition("\n\n")[0] + "\n")
        proofs = []
        for at in [*(s.audit_index for s in found), index]:
            path = self.audit_log.inclusion_proof(at, checkpoint.size)
            proofs.append(
                InclusionProof(
                    index=at,
                    leaf_hash=_b64(self.audit_log.entry(at).leaf_hash),
                    hashes=[_b64(h) for h in path],
                )
            )
        return CaseReport(
            case=_out(row),
            agency=slug,
            agency_name=agency.name if agency else slug,
            searches=found,
            generated_at=datetime.now(UTC),
            generated_by=user.username,
            report_index=index,
            checkpoint=note,
            checkpoint_size=checkpoint.size,
            root_hash=_b64(checkpoint.root_hash),
            verifier_key=signer.verifier_key(),
            proofs=proofs,
        )
