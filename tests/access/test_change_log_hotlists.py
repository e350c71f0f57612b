"""Hot lists and their entries are changed with their change entry in one transaction, on
SQLite and on PostgreSQL: each entry carries who, the object and the values before and
after; an entry that cannot be appended leaves the list as it was."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from plateledger.audit import AuditLog
from plateledger.audit.changes import ChangeNotLogged, who
from plateledger.hotlist import HotlistStore
from tests.access.test_admin_changes import (  # noqa: F401  (fixtures used by name)
    Desk,
    desk,
    postgres_catalog_url,
)

ROWS = [
    {"plate": "7ABC123", "region": "CA", "reason": "stolen 5/1", "case_number": "26-1"},
    {"plate": "8XYZ999", "region": "CA", "reason": "stolen 5/2", "case_number": "26-2"},
]
OFFICER = who("sgt-lee", 1)


def _store(desk: Desk) -> HotlistStore:  # noqa: F811
    store = HotlistStore(desk.catalog.engine, audit_log=desk.log,
                         agency_name=lambda i: {desk.ucpd.id: "ucpd", desk.fpd.id: "fpd"}[i])
    store.create_tables()
    return store


def _import(store: HotlistStore, desk: Desk, rows: list[dict[str, str]],  # noqa: F811
            **options: object) -> int:
    report = store.import_list(desk.ucpd.id, "stolen", "NCIC", "stolen_vehicle", rows,
                               changed_by=OFFICER, **options)  # type: ignore[arg-type]
    return report.list_id


def test_a_lists_life_is_in_the_log_with_before_and_after(desk: Desk) -> None:  # noqa: F811
    store = _store(desk)
    list_id = _import(store, desk, ROWS)
    added = desk.last()
    assert (added["type"], added["object"], added["object_id"], added["change"]) == (
        "hotlist_change", "hotlist", str(list_id), "add")
    assert (added["user"], added["agency_id"], added["agency"]) == ("sgt-lee", 1, "ucpd")
    assert added["before"] is None
    assert added["after"] == {"name": "stolen", "source": "NCIC", "category": "stolen_vehicle",
                              "description": "", "file_type": "unspecified", "entry_count": 2}

    _import(store, desk, ROWS[:1])
    replaced = desk.last()
    assert replaced["change"] == "replace"
    assert (replaced["before"]["entry_count"], replaced["after"]["entry_count"]) == (2, 1)

    _import(store, desk, ROWS[1:], replace=False, description="from the state feed")
    appended = desk.last()
    assert appended["change"] == "append"
    assert appended["before"]["description"] == ""
    assert appended["after"]["description"] == "from the state feed"
    assert appended["after"]["entry_count"] == 2

    store.delete_list(list_id, owner_id=desk.ucpd.id, changed_by=OFFICER)
    deleted = desk.last()
    assert (deleted["change"], deleted["after"]) == ("delete", None)
    assert deleted["before"]["entry_count"] == 2 and deleted["before"]["name"] == "stolen"


def test_an_entrys_life_is_in_the_log_with_before_and_after(desk: Desk) -> None:  # noqa: F811
    store = _store(desk)
    list_id = _import(store, desk, ROWS)
    stored = store.add_entry(list_id, {"plate": "5DEF456", "region": "NV", "reason": "warrant",
                                       "case_number": "26-9", "priority": "3"},
                             owner_id=desk.ucpd.id, changed_by=OFFICER)
    added = desk.last()
    assert (added["type"], added["object"], added["object_id"], added["change"]) == (
        "hotlist_entry_change", "hotlist_entry", str(stored.id), "add")
    assert added["list_id"] == list_id and added["before"] is None
    assert added["after"] == {"plate": "5DEF456", "region": "NV", "reason": "warrant",
                              "case_number": "26-9", "expires_at": None, "priority": 3,
                              "category": "", "file_type": ""}

    at = datetime(2031, 1, 2, 3, 4, 5, tzinfo=UTC)
    store.expire_entry(list_id, stored.id, owner_id=desk.ucpd.id, at=at, changed_by=OFFICER)
    expired = desk.last()
    assert expired["change"] == "expire"
    assert expired["before"] == {"expires_at": None}
    assert expired["after"] == {"expires_at": "2031-01-02T03:04:05Z"}

    store.remove_entry(list_id, stored.id, owner_id=desk.ucpd.id, changed_by=OFFICER)
    removed = desk.last()
    assert (removed["change"], removed["after"]) == ("remove", None)
    assert removed["before"]["plate"] == "5DEF456"
    assert removed["before"]["expires_at"] == "2031-01-02T03:04:05Z"
    assert [s.entry.plate for s in store.entries(list_id)] == ["7ABC123", "8XYZ999"]
    assert store.lists(desk.ucpd.id)[0].entry_count == 2


Change = Callable[[HotlistStore, Desk, int, int], object]

CHANGES: list[tuple[str, Change]] = [
    ("import a new list",
     lambda s, d, _l, _e: s.import_list(d.ucpd.id, "new", "local", "warrant", ROWS,
                                        changed_by=OFFICER)),
    ("replace a list", lambda s, d, _l, _e: _import(s, d, ROWS[:1])),
    ("append to a list", lambda s, d, _l, _e: _import(s, d, ROWS[:1], replace=False)),
    ("delete a list",
     lambda s, d, list_id, _e: s.delete_list(list_id, owner_id=d.ucpd.id, changed_by=OFFICER)),
    ("add an entry",
     lambda s, d, list_id, _e: s.add_entry(list_id, {"plate": "1AAA111"}, owner_id=d.ucpd.id,
                                           changed_by=OFFICER)),
    ("remove an entry",
     lambda s, d, list_id, entry_id: s.remove_entry(list_id, entry_id, owner_id=d.ucpd.id,
                                                    changed_by=OFFICER)),
    ("expire an entry",
     lambda s, d, list_id, entry_id: s.expire_entry(list_id, entry_id, owner_id=d.ucpd.id,
                                                    changed_by=OFFICER)),
]


@pytest.mark.parametrize(("name", "change"), CHANGES, ids=[c[0] for c in CHANGES])
def test_no_entry_means_no_change_to_a_list(desk: Desk, name: str,  # noqa: F811
                                             change: Change) -> None:
    store = _store(desk)
    list_id = _import(store, desk, ROWS)
    heard: list[str] = []
    store.add_listener(lambda: heard.append("changed"))
    lists_before = store.lists()
    entries_before = store.entries(list_id)
    desk.break_log()
    with pytest.raises(ChangeNotLogged, match="nothing was changed"):
        change(store, desk, list_id, entries_before[0].id)
    assert store.lists() == lists_before, name
    assert store.entries(list_id) == entries_before, name
    assert heard == []  # the matcher's index was not told of a change that was not made


def test_a_log_in_another_database_cannot_record_a_change_so_none_is_made(
    desk: Desk, tmp_path: Path  # noqa: F811
) -> None:
    elsewhere = create_engine(f"sqlite:///{tmp_path / 'elsewhere.sqlite'}")
    try:
        log = AuditLog(elsewhere, signer=None)
        log.create_tables()
        store = HotlistStore(desk.catalog.engine, audit_log=log)
        store.create_tables()
        with pytest.raises(ChangeNotLogged, match="another database"):
            store.import_list(desk.ucpd.id, "stolen", "NCIC", "stolen_vehicle", ROWS)
        assert store.lists() == [] and log.size() == 0
    finally:
        elsewhere.dispose()
