"""Legal holds: reads kept past their clock for one case, by a supervisor's approval.

A hold names its owner agency (whose reads it keeps), its case agency (whose case it is:
the owner unless the hold names another, a partner that asked the owner to keep them), a
case number, a reason, the
approving supervisor, an expiry, and a selection of reads: any of plates, a time range
and read ids. Placing and releasing a hold each append a ``legal_hold`` audit entry
(a change entry: who, when, the values before and after) in the same transaction as the
change: no audit entry, no change (`ChangeNotLogged`).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.engine import RowMapping

from plateledger.audit import AuditLog, EntryType
from plateledger.audit.changes import change_entry, log_change, who
from plateledger.plates import PlateError, normalize_plate
from plateledger.retention.schema import legal_holds
from plateledger.store import literals as sqltext

MAX_SELECTED_PLATES = 1000
MAX_SELECTED_READS = 10_000


class HoldError(ValueError):
    """A hold that cannot be placed or released as asked."""


def _stamp(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise HoldError("hold times need a time zone")
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _parse(text: str | None) -> datetime | None:
    if text is None:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass(frozen=True)
class ReadSelection:
    """Which of the owner's reads a hold keeps.

    A read is selected when its id is listed, or when it matches every one of the other
    criteria given (plates, and the time range ``[since, until]``). At least one
    criterion is required: a hold never keeps "everything".
    """

    plates: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    read_ids: tuple[uuid.UUID, ...] = ()

    def __post_init__(self) -> None:
        if not (self.plates or self.since or self.until or self.read_ids):
            raise HoldError("a hold needs plates, a time range or read ids")
        if len(self.plates) > MAX_SELECTED_PLATES:
            raise HoldError(f"a hold may name at most {MAX_SELECTED_PLATES} plates")
        if len(self.read_ids) > MAX_SELECTED_READS:
            raise HoldError(f"a hold may name at most {MAX_SELECTED_READS} read ids")
        if self.since and self.until and self.since > self.until:
            raise HoldError("hold `since` must not be after `until`")
        normalized: list[str] = []
        for plate in self.plates:
            try:
                normalized.append(normalize_plate(plate))
            except PlateError as exc:
                raise HoldError(f"hold plate `{plate}`: {exc}") from None
        object.__setattr__(self, "plates", tuple(sorted(set(normalized))))

    def sql(self) -> str:
        """A WHERE fragment over read columns, with its values as literals."""
        criteria: list[str] = []
        if self.plates:
            criteria.append(f"plate IN {sqltext.strings(self.plates)}")
        if self.since:
            criteria.append(f"ts >= {sqltext.moment(self.since)}")
        if self.until:
            criteria.append(f"ts <= {sqltext.moment(self.until)}")
        alternatives: list[str] = []
        if criteria:
            alternatives.append("(" + " AND ".join(criteria) + ")")
        if self.read_ids:
            alternatives.append(f"read_id IN {sqltext.uuids(self.read_ids)}")
        return "(" + " OR ".join(alternatives) + ")"

    def selects(self, plate: str, ts: datetime, read_id: uuid.UUID) -> bool:
        """Whether a read (its normalised plate, time and id) is one `sql` selects."""
        if read_id in self.read_ids:
            return True
        if not (self.plates or self.since or self.until):
            return False
        return ((not self.plates or plate in self.plates)
                and (self.since is None or ts >= self.since)
                and (self.until is None or ts <= self.until))

    def as_json(self) -> dict[str, Any]:
        return {
            "plates": list(self.plates),
            "since": None if self.since is None else _stamp(self.since),
            "until": None if self.until is None else _stamp(self.until),
            "read_ids": [str(i) for i in self.read_ids],
        }


def _new_hold_id() -> str:
    return str(uuid.uuid4())


@dataclass(frozen=True)
class LegalHold:
    """A preservation order for one case over one owner agency's reads.

    ``case_agency`` is the agency whose case it is (``None`` when placed: the owner):
    only a search made by that agency, for ``case_number``, reaches the hold's copies."""

    case_number: str
    reason: str
    approver: str
    owner_agency: int
    selection: ReadSelection
    expires_at: datetime
    hold_id: str = field(default_factory=_new_hold_id)
    placed_at: datetime | None = None
    placed_by: str = ""
    released_at: datetime | None = None
    released_by: str | None = None
    release_reason: str | None = None
    case_agency: int | None = None

    def __post_init__(self) -> None:
        if self.case_agency is None:
            object.__setattr__(self, "case_agency", self.owner_agency)
        for name in ("case_number", "reason", "approver"):
            if not str(getattr(self, name)).strip():
                raise HoldError(f"a hold needs a `{name}`")
        if len(self.case_number) > 64:
            raise HoldError("a case number is at most 64 characters")
        if self.expires_at.tzinfo is None:
            raise HoldError("hold expiry needs a time zone")

    def active(self, now: datetime) -> bool:
        """Placed, not released, and not past its expiry at ``now``."""
        return self.released_at is None and self.expires_at > now

    def keeps(self, owner_id: int, plate: str, ts: datetime, read_id: uuid.UUID) -> bool:
        """Whether this hold selects a read of ``owner_id`` (see `reads_sql`)."""
        return owner_id == self.owner_agency and self.selection.selects(plate, ts, read_id)

    def reads_sql(self) -> str:
        """A WHERE fragment selecting the reads this hold keeps (its owner's only)."""
        return f"(owner_id = {int(self.owner_agency)} AND {self.selection.sql()})"

    def as_json(self) -> dict[str, Any]:
        return {
            "hold_id": self.hold_id,
            "case_number": self.case_number,
            "reason": self.reason,
            "approver": self.approver,
            "owner_agency": self.owner_agency,
            "case_agency": self.case_agency,
            "selection": self.selection.as_json(),
            "expires_at": _stamp(self.expires_at),
            "placed_at": None if self.placed_at is None else _stamp(self.placed_at),
            "placed_by": self.placed_by,
            "released_at": None if self.released_at is None else _stamp(self.released_at),
            "released_by": self.released_by,
            "release_reason": self.release_reason,
        }


def _from_row(row: RowMapping) -> LegalHold:
    since, until = _parse(row["since"]), _parse(row["until"])
    expires_at, placed_at = _parse(row["expires_at"]), _parse(row["placed_at"])
    if expires_at is None:
        raise HoldError(f"stored hold `{row['hold_id']}` has no expiry")
    return LegalHold(
        hold_id=row["hold_id"],
        case_number=row["case_number"],
        reason=row["reason"],
        approver=row["approver"],
        owner_agency=int(row["owner_agency"]),
        case_agency=int(row["case_agency"]),
        selection=ReadSelection(
            plates=tuple(json.loads(row["plates"])),
            since=since,
            until=until,
            read_ids=tuple(uuid.UUID(i) for i in json.loads(row["read_ids"])),
        ),
        expires_at=expires_at,
        placed_at=placed_at,
        placed_by=row["placed_by"],
        released_at=_parse(row["released_at"]),
        released_by=row["released_by"],
        release_reason=row["release_reason"],
    )


class HoldStore:
    """Legal holds in the catalog database; every change is logged first."""

    def __init__(self, engine: Engine, audit_log: AuditLog) -> None:
        self.engine = engine
        self.audit_log = audit_log

    def place(self, hold: LegalHold, *, placed_by: str, now: datetime,
              changed_by: Mapping[str, Any] | None = None) -> LegalHold:
        """Store ``hold`` with its audit entry, in one transaction; returns it as stored.
        Requires ``hold.expires_at > now``. ``changed_by`` names the actor in the entry
        (`plateledger.audit.changes.who`; default: ``placed_by``)."""
        if not hold.expires_at > now:
            raise HoldError("a hold must expire after the moment it is placed")
        placed = replace(hold, placed_at=now, placed_by=placed_by)
        after = {k: v for k, v in placed.as_json().items()
                 if k not in ("hold_id", "released_at", "released_by", "release_reason")}
        entry = _entry(placed, "place", changed_by or who(placed_by), None, after)
        selection = placed.selection
        with self.engine.begin() as conn:
            index = log_change(self.audit_log, conn, entry)
            conn.execute(
                insert(legal_holds).values(
                    hold_id=placed.hold_id,
                    case_number=placed.case_number,
                    reason=placed.reason,
                    approver=placed.approver,
                    owner_agency=placed.owner_agency,
                    case_agency=placed.case_agency,
                    plates=json.dumps(list(selection.plates)),
                    since=None if selection.since is None else _stamp(selection.since),
                    until=None if selection.until is None else _stamp(selection.until),
                    read_ids=json.dumps([str(i) for i in selection.read_ids]),
                    expires_at=_stamp(placed.expires_at),
                    placed_at=_stamp(now),
                    placed_by=placed_by,
                    placed_audit_index=index,
                )
            )
        return placed

    def release(self, hold_id: str, *, released_by: str, reason: str, now: datetime,
                changed_by: Mapping[str, Any] | None = None) -> LegalHold:
        """Store the release of an unreleased hold with its audit entry, in one
        transaction; its held copies go at the next purge."""
        hold = self.get(hold_id)
        if hold.released_at is not None:
            raise HoldError(f"hold `{hold_id}` was already released")
        if not reason.strip():
            raise HoldError("releasing a hold needs a reason")
        released = replace(hold, released_at=now, released_by=released_by, release_reason=reason)
        names = ("released_at", "released_by", "release_reason")
        before = {name: hold.as_json()[name] for name in names}
        after = {name: released.as_json()[name] for name in names}
        entry = _entry(released, "release", changed_by or who(released_by), before, after)
        with self.engine.begin() as conn:
            moved = conn.execute(
                update(legal_holds)
                .where(legal_holds.c.hold_id == hold_id, legal_holds.c.released_at.is_(None))
                .values(released_at=_stamp(now), released_by=released_by,
                        release_reason=reason)
            )
            if moved.rowcount != 1:
                raise HoldError(f"hold `{hold_id}` was already released")
            index = log_change(self.audit_log, conn, entry)
            conn.execute(update(legal_holds).where(legal_holds.c.hold_id == hold_id)
                         .values(released_audit_index=index))
        return released

    def get(self, hold_id: str) -> LegalHold:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(legal_holds).where(legal_holds.c.hold_id == hold_id)
            ).mappings().first()
        if row is None:
            raise HoldError(f"no hold `{hold_id}`")
        return _from_row(row)

    def active(self, now: datetime) -> Sequence[LegalHold]:
        """Holds in force at ``now`` (not released, not expired)."""
        query = select(legal_holds).where(
            legal_holds.c.released_at.is_(None), legal_holds.c.expires_at > _stamp(now)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(legal_holds.c.placed_at)).mappings().all()
        return [_from_row(row) for row in rows]

    def list(self, *, owner_agency: int | None = None) -> Sequence[LegalHold]:
        """Every hold, placed first first (optionally one owner agency's)."""
        query = select(legal_holds)
        if owner_agency is not None:
            query = query.where(legal_holds.c.owner_agency == owner_agency)
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(legal_holds.c.placed_at)).mappings().all()
        return [_from_row(row) for row in rows]

    def for_case(self, case_number: str, now: datetime, *,
                 case_agency: int) -> Sequence[LegalHold]:
        """Active holds of one case — ``case_agency``'s case ``case_number``: what a search
        made by that agency for that case may reach. The number alone names no case: case
        numbers are short and guessable, and another agency's may read the same."""
        return [h for h in self.active(now)
                if h.case_number == case_number and h.case_agency == case_agency]


def _entry(hold: LegalHold, action: str, actor: Mapping[str, Any],
           before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> dict[str, Any]:
    """The ``legal_hold`` change entry of placing or releasing ``hold``."""
    fields = hold.as_json()
    return change_entry(
        EntryType.LEGAL_HOLD, actor, object="legal_hold", object_id=hold.hold_id,
        change=action, before=before, after=after, action=action,
        hold_id=hold.hold_id, owner_agency=str(hold.owner_agency),
        case_agency=str(hold.case_agency),
        case_number=fields["case_number"], reason=fields["reason"],
        approver=fields["approver"], selection=fields["selection"],
        expires_at=fields["expires_at"], release_reason=fields["release_reason"],
    )
