"""``HotlistStore``: hot lists and their entries in the catalog database."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import Engine, Row, delete, func, insert, select, update

from plateledger.hotlist.category import Category, parse_category
from plateledger.hotlist.entry import ListEntry, from_millis, parse_entry, to_millis
from plateledger.hotlist.errors import FileTypeRefused, ImportRefused, UnknownList
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

    def __init__(self, engine: Engine, file_gate: FileTypeGate | None = None) -> None:
        self._engine = engine
        self._file_gate = file_gate
        self._listeners: list[Callable[[], None]] = []
        self._lock = threading.Lock()

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
                select(hotlists.c.id).where(
                    hotlists.c.owner_id == owner_id, hotlists.c.name == name
                )
            ).first()
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

    def delete_list(self, list_id: int, owner_id: int | None = None) -> None:
        """Delete a list and its entries (of ``owner_id`` when given), or ``UnknownList``."""
        with self._engine.begin() as conn:
            query = select(hotlists.c.id).where(hotlists.c.id == list_id)
            if owner_id is not None:
                query = query.where(hotlists.c.owner_id == owner_id)
            if conn.execute(query).first() is None:
                raise UnknownList(f"no hot list `{list_id}`")
            conn.execute(delete(hotlist_entries).where(hotlist_entries.c.list_id == list_id))
            conn.execute(delete(hotlists).where(hotlists.c.id == list_id))
        self._changed()

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
