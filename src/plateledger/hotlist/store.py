"""``HotlistStore``: hot lists and their entries in the catalog database.

A store with an audit log writes every change — a list added, replaced, appended to or
deleted; an entry added, removed or expired — in one transaction with its change entry
(`plateledger.audit.changes`): ``hotlist_change`` (``object`` ``hotlist``) and
``hotlist_entry_change`` (``object`` ``hotlist_entry``), each with the values before and
after. If the entry cannot be appended, the change is not made (`ChangeNotLogged`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import Connection, Engine, Row, delete, func, insert, select, update

from plateledger.audit.changes import change_entry, log_change, who
from plateledger.audit.log import AuditLog
from plateledger.hotlist.category import Category, parse_category
from plateledger.hotlist.entry import ListEntry, from_millis, parse_entry, to_millis
from plateledger.hotlist.errors import (
    FileTypeRefused,
    ImportRefused,
    ListTooLarge,
    UnknownEntry,
    UnknownList,
)
from plateledger.hotlist.gate import FileTypeGate, import_gate_error
from plateledger.hotlist.importing import ImportReport, RowError, SourceRow
from plateledger.hotlist.schema import create_tables, hotlist_entries, hotlists
from plateledger.hotlist.screening import list_text, screen_words, screened_class
from plateledger.policy.alert import ImportQuestion
from plateledger.policy.filetype import FileType, parse_file_type
from plateledger.policy.reason import ReasonFlag

OnError = Literal["keep", "refuse"]

log = logging.getLogger("plateledger.hotlist")

_INSERT_CHUNK = 10_000
_IN_CHUNK = 500

HOTLIST_CHANGE = "hotlist_change"
HOTLIST_ENTRY_CHANGE = "hotlist_entry_change"
LIST_VALUES = ("name", "source", "category", "description", "file_type", "entry_count")
"""What a ``hotlist_change`` entry shows of a list, before and after."""
ENTRY_VALUES = ("plate", "region", "reason", "case_number", "expires_at", "priority",
                "category", "file_type")
"""What a ``hotlist_entry_change`` entry shows of an entry, before and after."""
Actor = Mapping[str, Any]
"""Who makes a change: the actor fields of its entry (`plateledger.audit.changes.who`)."""


@dataclass(frozen=True, slots=True)
class Hotlist:
    """A list: owned by one agency, from one source, of one category."""

    id: int
    owner_id: int
    name: str
    source: str
    category: Category
    entry_count: int
    created_at: datetime
    updated_at: datetime
    description: str = ""
    file_type: FileType = FileType.UNSPECIFIED
    """The source file type of the list's entries that name none of their own."""

    @property
    def words(self) -> str:
        """What is screened of the list itself (`screening.list_text`)."""
        return list_text(self.name, self.source, self.description)

    @property
    def flags(self) -> frozenset[ReasonFlag]:
        """The flags the list's own words raise."""
        return screen_words(self.words)

    @property
    def screened_class(self) -> Category:
        """The class policy sees for the list's entries that add nothing of their own."""
        return screened_class(self.category, self.flags, file_type=self.file_type)


@dataclass(frozen=True, slots=True)
class StoredEntry:
    """A listed plate as stored, with the list it belongs to."""

    id: int
    list_id: int
    entry: ListEntry


@dataclass(frozen=True, slots=True)
class ActiveEntry:
    """What the matcher needs of an active entry (no reason, no case number)."""

    id: int
    list_id: int
    owner_id: int
    category: str
    plate: str
    region: str
    expires_at: int | None
    priority: int


def _validated(
    rows: Iterable[SourceRow | Mapping[str, object]],
) -> tuple[int, list[ListEntry], list[RowError]]:
    count = 0
    entries: list[ListEntry] = []
    errors: list[RowError] = []
    for position, row in enumerate(rows, start=1):
        count += 1
        fields: Mapping[str, object]
        if isinstance(row, SourceRow):
            line, fields, error = row.line, row.fields, row.error
        else:
            line_value = row.get("line", position)
            line = line_value if isinstance(line_value, int) else position
            fields, error = row, None
        if error is not None:
            errors.append(RowError(line, error))
            continue
        try:
            entries.append(parse_entry(fields))
        except ValueError as exc:
            errors.append(RowError(line, str(exc)))
    return count, entries, errors


class HotlistStore:
    """Hot lists over ``engine`` (the catalog database). Changes are atomic: a re-imported
    list is replaced in one transaction, and readers see either the old or the new one.

    ``file_gate`` asks policy, before anything is stored, whether the list's owner may hold
    entries of each file type in an import (its own law packs decide); the server's store
    always has one (`HotlistRuntime`). A store without one (tools, tests) imports any file
    type: delivery is decided by policy per hit all the same."""

    def __init__(
        self, engine: Engine, file_gate: FileTypeGate | None = None, *,
        audit_log: AuditLog | None = None, agency_name: Callable[[int], str] = str,
        max_entries: int | None = None,
    ) -> None:
        """``max_entries``: the most entries an agency's lists may hold in all (None: no
        limit); a change past it raises `ListTooLarge` and stores nothing."""
        self._engine = engine
        self.max_entries = max_entries
        self._file_gate = file_gate
        self._audit_log = audit_log
        self._agency_name = agency_name
        self._listeners: list[Callable[[], None]] = []
        self._lock = threading.Lock()

    def _check_size(
        self, conn: Connection, owner_id: int, adding: int, without: int | None = None
    ) -> None:
        """Raise `ListTooLarge` if the owner's lists (less list ``without``, being replaced)
        would hold more than ``max_entries`` with ``adding`` more."""
        if self.max_entries is None:
            return
        total = entries_held(conn, owner_id, without) + adding
        if total > self.max_entries:
            raise ListTooLarge(self.max_entries, total)

    def _log(self, conn: Connection, actor: Actor | None, entry_type: str, owner_id: int,
             **fields: Any) -> None:
        """Append the change's entry in the change's transaction (a store without an audit
        log logs nothing)."""
        if self._audit_log is None:
            return
        owner = self._agency_name(owner_id)
        entry = change_entry(entry_type, actor or who("plateledger", via="library"),
                             agency=owner, owner_agency=owner, **fields)
        log_change(self._audit_log, conn, entry)

    @property
    def engine(self) -> Engine:
        return self._engine

    def create_tables(self) -> None:
        create_tables(self._engine)

    def add_listener(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` (no arguments) after every committed change to any list."""
        with self._lock:
            self._listeners.append(callback)

    def _changed(self) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for callback in listeners:
            callback()

    def import_list(
        self,
        owner_id: int,
        name: str,
        source: str,
        category: Category | str,
        rows: Iterable[SourceRow | Mapping[str, object]],
        *,
        replace: bool = True,
        on_error: OnError = "keep",
        now: datetime | None = None,
        description: str = "",
        file_type: FileType | str = FileType.UNSPECIFIED,
        changed_by: Actor | None = None,
    ) -> ImportReport:
        """Import ``rows`` as the list ``name`` of ``owner_id``, taken from a file of
        ``file_type`` (an entry may name its own).

        An existing list of that name is replaced whole (``replace=True``) or added to;
        either way in one transaction. Bad rows are reported by line and left out
        (``on_error="keep"``) or make the whole import fail with ``ImportRefused``.
        A file type the owner's law packs forbid it to hold refuses the whole import
        (`FileTypeRefused`, naming the rules). The report says what screening found in the
        list's and the entries' words.
        """
        name = name.strip()
        if not name or len(name) > 128:
            raise ValueError("list name must be 1 to 128 characters")
        source = source.strip() or "local"
        if len(source) > 128:
            raise ValueError("list source must be at most 128 characters")
        description = description.strip()
        if len(description) > 500:
            raise ValueError("list description must be at most 500 characters")
        if not description.isprintable():
            raise ValueError("list description holds control characters")
        category = parse_category(str(category))
        list_file_type = parse_file_type(str(file_type))
        count, entries, errors = _validated(rows)
        if errors and on_error == "refuse":
            raise ImportRefused(errors)
        words = list_text(name, source, description)
        list_flags = screen_words(words) | _declared_flags(category.value)
        entry_flags = [
            screen_words(words, e.reason, e.case_number) | _declared_flags(category.value)
            | _declared_flags(e.category)
            for e in entries
        ]
        kinds = {(e.file_type or list_file_type.value,
                  screened_class(e.category or category, f, category,
                                 file_type=e.file_type or list_file_type.value))
                 for e, f in zip(entries, entry_flags, strict=True)}  # fmt: skip
        if not entries:
            kinds.add((list_file_type.value,
                       screened_class(category, list_flags, file_type=list_file_type.value)))
        self._check_file_types(owner_id, kinds)
        stamp = to_millis(now or datetime.now(UTC))
        expired = sum(1 for e in entries if e.expires_at is not None and e.expires_at <= stamp)
        with self._engine.begin() as conn:
            found = conn.execute(
                select(hotlists).where(
                    hotlists.c.owner_id == owner_id, hotlists.c.name == name
                )
            ).first()
            before = None if found is None else _list_values(found)
            self._check_size(conn, owner_id, len(entries),
                             None if found is None or not replace else int(found.id))
            if found is None:
                list_id = int(
                    conn.execute(
                        insert(hotlists).values(
                            owner_id=owner_id, name=name, source=source,
                            category=category.value, description=description, entry_count=0,
                            created_at=stamp, updated_at=stamp,
                            file_type=list_file_type.value,
                        )
                    ).inserted_primary_key[0]  # type: ignore[index]
                )  # fmt: skip
            else:
                list_id = int(found.id)
                if replace:
                    conn.execute(
                        delete(hotlist_entries).where(hotlist_entries.c.list_id == list_id)
                    )
            values = [
                {
                    "list_id": list_id, "plate": e.plate, "plate_key": e.plate_key,
                    "region": e.region, "reason": e.reason, "case_number": e.case_number,
                    "expires_at": e.expires_at, "priority": e.priority, "category": e.category,
                    "file_type": e.file_type,
                }
                for e in entries
            ]  # fmt: skip
            for start in range(0, len(values), _INSERT_CHUNK):
                conn.execute(insert(hotlist_entries), values[start : start + _INSERT_CHUNK])
            total = conn.execute(
                select(func.count()).where(hotlist_entries.c.list_id == list_id)
            ).scalar_one()
            conn.execute(
                update(hotlists)
                .where(hotlists.c.id == list_id)
                .values(source=source, category=category.value, description=description,
                        entry_count=total, updated_at=stamp, file_type=list_file_type.value)
            )  # fmt: skip
            after = _list_values(
                conn.execute(select(hotlists).where(hotlists.c.id == list_id)).one())
            change = "add" if found is None else "replace" if replace else "append"
            self._log(conn, changed_by, HOTLIST_CHANGE, owner_id, object="hotlist",
                      object_id=list_id, list_id=list_id, change=change, before=before,
                      after=after, imported=len(entries), rows_left_out=len(errors))
        self._changed()
        classes = {kind[1] for kind in kinds} if entries else set()
        return ImportReport(
            list_id=list_id,
            name=name,
            rows=count,
            imported=len(entries),
            already_expired=expired,
            replaced=found is not None and replace,
            errors=tuple(errors),
            flags=tuple(sorted(f.value for f in list_flags.union(*entry_flags))),
            flagged_entries=sum(1 for f in entry_flags if f - list_flags),
            screened_classes=tuple(sorted(c.value for c in classes)),
            file_types=tuple(sorted({kind[0] for kind in kinds})) if entries else (),
        )

    def _check_file_types(self, owner_id: int, kinds: set[tuple[str, Category]]) -> None:
        """Raise `FileTypeRefused` for the first (file type, screened class) of an import
        that the owner's law packs forbid it to hold; a gate that fails refuses."""
        if self._file_gate is None:
            return
        for file_type, screened in sorted(kinds):
            question = ImportQuestion(owner_id, file_type, screened.value)
            try:
                decision = self._file_gate.decide_import(question)
            except Exception:
                log.exception("file-type gate failed; refusing the import")
                decision = import_gate_error(question)
            if not decision.allowed:
                raise FileTypeRefused(file_type, decision.policy_ids)

    def lists(self, owner_id: int | None = None) -> list[Hotlist]:
        """Every list, or those of ``owner_id``, by name."""
        query = select(hotlists).order_by(hotlists.c.owner_id, hotlists.c.name)
        if owner_id is not None:
            query = query.where(hotlists.c.owner_id == owner_id)
        with self._engine.connect() as conn:
            return [
                _hotlist(r) for r in conn.execute(query)
            ]

    def lists_by_id(self, ids: Sequence[int]) -> dict[int, Hotlist]:
        """The lists with these ids that still exist."""
        found: dict[int, Hotlist] = {}
        unique = sorted(set(ids))
        with self._engine.connect() as conn:
            for start in range(0, len(unique), _IN_CHUNK):
                query = select(hotlists).where(hotlists.c.id.in_(unique[start:start + _IN_CHUNK]))
                for r in conn.execute(query):
                    found[r.id] = _hotlist(r)
        return found

    def entries(self, list_id: int) -> list[StoredEntry]:
        """The entries of a list, in import order (expired ones included)."""
        query = (
            select(hotlist_entries)
            .where(hotlist_entries.c.list_id == list_id)
            .order_by(hotlist_entries.c.id)
        )
        with self._engine.connect() as conn:
            return [_stored(r) for r in conn.execute(query)]

    def entries_by_id(self, ids: Sequence[int]) -> dict[int, StoredEntry]:
        """The entries with these ids that still exist (a replaced list's old ones do not)."""
        found: dict[int, StoredEntry] = {}
        unique = sorted(set(ids))
        with self._engine.connect() as conn:
            for start in range(0, len(unique), _IN_CHUNK):
                chunk = unique[start : start + _IN_CHUNK]
                query = select(hotlist_entries).where(hotlist_entries.c.id.in_(chunk))
                for r in conn.execute(query):
                    found[r.id] = _stored(r)
        return found

    def delete_list(self, list_id: int, owner_id: int | None = None, *,
                    changed_by: Actor | None = None) -> None:
        """Delete a list and its entries (of ``owner_id`` when given), or ``UnknownList``."""
        with self._engine.begin() as conn:
            found = self._list_row(conn, list_id, owner_id)
            conn.execute(delete(hotlist_entries).where(hotlist_entries.c.list_id == list_id))
            conn.execute(delete(hotlists).where(hotlists.c.id == list_id))
            self._log(conn, changed_by, HOTLIST_CHANGE, int(found.owner_id), object="hotlist",
                      object_id=list_id, list_id=list_id, change="delete",
                      before=_list_values(found), after=None)
        self._changed()

    @staticmethod
    def _list_row(conn: Connection, list_id: int, owner_id: int | None) -> Row[Any]:
        query = select(hotlists).where(hotlists.c.id == list_id)
        if owner_id is not None:
            query = query.where(hotlists.c.owner_id == owner_id)
        found = conn.execute(query).first()
        if found is None:
            raise UnknownList(f"no hot list `{list_id}`")
        return found

    @staticmethod
    def _entry_row(conn: Connection, list_id: int, entry_id: int) -> Row[Any]:
        found = conn.execute(select(hotlist_entries).where(
            hotlist_entries.c.id == entry_id, hotlist_entries.c.list_id == list_id)).first()
        if found is None:
            raise UnknownEntry(f"no entry `{entry_id}` in hot list `{list_id}`")
        return found

    def _recount(self, conn: Connection, list_id: int, stamp: int) -> None:
        total = conn.execute(
            select(func.count()).where(hotlist_entries.c.list_id == list_id)).scalar_one()
        conn.execute(update(hotlists).where(hotlists.c.id == list_id)
                     .values(entry_count=total, updated_at=stamp))

    def add_entry(
        self, list_id: int, fields: Mapping[str, object], *, owner_id: int | None = None,
        changed_by: Actor | None = None, now: datetime | None = None,
    ) -> StoredEntry:
        """Add one entry (fields as an import row's) to a list of ``owner_id`` (when given):
        ``ValueError`` for a bad row, `UnknownList`, or `FileTypeRefused` when the owner's
        law packs forbid it to hold the entry's file type."""
        entry = parse_entry(fields)
        with self._engine.connect() as conn:
            hotlist = _hotlist(self._list_row(conn, list_id, owner_id))
        words = hotlist.words
        flags = (screen_words(words, entry.reason, entry.case_number)
                 | _declared_flags(hotlist.category.value) | _declared_flags(entry.category))
        file_type = entry.file_type or hotlist.file_type.value
        self._check_file_types(hotlist.owner_id, {(file_type, screened_class(
            entry.category or hotlist.category, flags, hotlist.category,
            file_type=file_type))})
        stamp = to_millis(now or datetime.now(UTC))
        with self._engine.begin() as conn:
            self._list_row(conn, list_id, owner_id)  # still there
            self._check_size(conn, hotlist.owner_id, 1)
            entry_id = int(conn.execute(insert(hotlist_entries).values(
                list_id=list_id, plate=entry.plate, plate_key=entry.plate_key,
                region=entry.region, reason=entry.reason, case_number=entry.case_number,
                expires_at=entry.expires_at, priority=entry.priority, category=entry.category,
                file_type=entry.file_type,
            )).inserted_primary_key[0])  # type: ignore[index]
            self._recount(conn, list_id, stamp)
            self._log(conn, changed_by, HOTLIST_ENTRY_CHANGE, hotlist.owner_id,
                      object="hotlist_entry", object_id=entry_id, list_id=list_id,
                      change="add", before=None, after=_entry_values(entry))
        self._changed()
        return StoredEntry(entry_id, list_id, entry)

    def remove_entry(
        self, list_id: int, entry_id: int, *, owner_id: int | None = None,
        changed_by: Actor | None = None, now: datetime | None = None,
    ) -> None:
        """Remove one entry of a list (of ``owner_id`` when given), or `UnknownList` /
        `UnknownEntry`."""
        stamp = to_millis(now or datetime.now(UTC))
        with self._engine.begin() as conn:
            found = self._list_row(conn, list_id, owner_id)
            row = self._entry_row(conn, list_id, entry_id)
            conn.execute(delete(hotlist_entries).where(hotlist_entries.c.id == entry_id))
            self._recount(conn, list_id, stamp)
            self._log(conn, changed_by, HOTLIST_ENTRY_CHANGE, int(found.owner_id),
                      object="hotlist_entry", object_id=entry_id, list_id=list_id,
                      change="remove", before=_entry_values(_stored(row).entry), after=None)
        self._changed()

    def expire_entry(
        self, list_id: int, entry_id: int, *, owner_id: int | None = None,
        at: datetime | None = None, changed_by: Actor | None = None,
    ) -> StoredEntry:
        """Set when an entry of a list (of ``owner_id`` when given) stops matching: ``at``
        (aware), or now. `UnknownList` / `UnknownEntry`."""
        moment = at or datetime.now(UTC)
        if moment.tzinfo is None:
            raise ValueError("an expiry needs a time zone")
        stamp = to_millis(moment)
        with self._engine.begin() as conn:
            found = self._list_row(conn, list_id, owner_id)
            before = _stored(self._entry_row(conn, list_id, entry_id))
            conn.execute(update(hotlist_entries).where(hotlist_entries.c.id == entry_id)
                         .values(expires_at=stamp))
            conn.execute(update(hotlists).where(hotlists.c.id == list_id)
                         .values(updated_at=to_millis(datetime.now(UTC))))
            after = _stored(self._entry_row(conn, list_id, entry_id))
            self._log(conn, changed_by, HOTLIST_ENTRY_CHANGE, int(found.owner_id),
                      object="hotlist_entry", object_id=entry_id, list_id=list_id,
                      change="expire",
                      before={"expires_at": _when(before.entry.expires_at)},
                      after={"expires_at": _when(after.entry.expires_at)})
        self._changed()
        return after

    def active_entries(self, now: datetime | None = None) -> Iterator[ActiveEntry]:
        """Every entry not expired at ``now``, with its list's owner and category."""
        stamp = to_millis(now or datetime.now(UTC))
        e, h = hotlist_entries.c, hotlists.c
        query = (
            select(e.id, e.list_id, h.owner_id, h.category, e.plate, e.region,
                   e.expires_at, e.priority)
            .join_from(hotlist_entries, hotlists, e.list_id == h.id)
            .where((e.expires_at.is_(None)) | (e.expires_at > stamp))
        )  # fmt: skip
        with self._engine.connect() as conn:
            for r in conn.execute(query).yield_per(50_000):
                yield ActiveEntry(*r)


def _declared_flags(category: str) -> frozenset[ReasonFlag]:
    if category == Category.IMMIGRATION_VIOLATOR:
        return frozenset({ReasonFlag.IMMIGRATION})
    return frozenset()


def _when(millis: int | None) -> str | None:
    return None if millis is None else from_millis(millis).isoformat().replace("+00:00", "Z")


def _list_values(r: Row[Any]) -> dict[str, Any]:
    return {name: getattr(r, name) for name in LIST_VALUES}


def _entry_values(entry: ListEntry) -> dict[str, Any]:
    values = {name: getattr(entry, name) for name in ENTRY_VALUES}
    values["expires_at"] = _when(entry.expires_at)
    return values


def entries_held(conn: Connection, owner_id: int, without: int | None = None) -> int:
    """The entries ``owner_id``'s lists hold in all, less those of list ``without``."""
    query = select(func.count()).select_from(hotlist_entries.join(
        hotlists, hotlists.c.id == hotlist_entries.c.list_id)).where(
        hotlists.c.owner_id == owner_id)  # fmt: skip
    if without is not None:
        query = query.where(hotlists.c.id != without)
    return int(conn.execute(query).scalar_one())


def _hotlist(r: Row[Any]) -> Hotlist:
    return Hotlist(
        id=r.id, owner_id=r.owner_id, name=r.name, source=r.source,
        category=Category(r.category), entry_count=r.entry_count,
        created_at=from_millis(r.created_at), updated_at=from_millis(r.updated_at),
        description=r.description, file_type=FileType(r.file_type),
    )  # fmt: skip


def _stored(r: Row[Any]) -> StoredEntry:
    entry = ListEntry(
        plate=r.plate, region=r.region, reason=r.reason, case_number=r.case_number,
        expires_at=r.expires_at, priority=r.priority, category=r.category,
        file_type=r.file_type,
    )  # fmt: skip
    return StoredEntry(id=r.id, list_id=r.list_id, entry=entry)
