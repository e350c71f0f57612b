"""The change-log table of docs/audit.md, held to the code: every kind of change the
platform makes — each administrative change, each hot-list and hold change — produces an
entry of the documented ``type``, ``change`` and ``object``, with exactly the documented
fields before and after, and the table lists no kind that is not produced."""

from __future__ import annotations

import inspect
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from plateledger.access.admin_changes import Actor, AdminChanges
from plateledger.audit.changes import who
from plateledger.catalog import new_totp_secret
from plateledger.hotlist import HotlistStore
from plateledger.retention import HoldStore, LegalHold, ReadSelection
from tests.access.test_admin_changes import (  # noqa: F401  (fixtures used by name)
    PASSWORD,
    Desk,
    desk,
    postgres_catalog_url,
)

DOC = Path(__file__).resolve().parents[2] / "docs" / "audit.md"
MARKER = "<!-- change-kinds-table"
SOME = "those changed, of"
"""A cell naming the fields a change may touch: an entry holds those it changed."""

Kind = tuple[str, str, str]
Fields = tuple[frozenset[str] | None, bool]
"""The documented field names (``None``: no value, the object did not exist), and whether
they are the possible ones (an entry holds some of them) rather than exactly these."""


def documented() -> dict[Kind, tuple[Fields, Fields]]:
    """The rows of the change-kinds table: (type, change, object) -> (before, after)."""
    text = DOC.read_text()
    table = text[text.index(MARKER):].split("\n\n")[0]
    rows: dict[Kind, tuple[Fields, Fields]] = {}
    for line in table.splitlines():
        if not line.startswith("| `"):
            continue
        cells = [cell.strip() for cell in line.split("|")[1:-1]]
        if cells[0] == "`type`":
            continue  # the header
        kind = (cells[0].strip("`"), cells[1].strip("`"), cells[2].strip("`"))
        assert kind not in rows, f"{kind} is listed twice"
        before = _fields(cells[3])
        after = before if cells[4] in ("the same", f"{SOME} the same") else _fields(cells[4])
        rows[kind] = (before, after)
    return rows


def _fields(cell: str) -> Fields:
    if cell == "—":
        return None, False
    names = frozenset(re.findall(r"`([a-z_]+)`", cell))
    assert names, f"no fields in `{cell}`"
    return names, cell.startswith(SOME)


def produce(desk: Desk, secrets: list[str] | None = None) -> list[dict[str, Any]]:  # noqa: F811
    """Make every kind of change once; return the entries they appended (and put the
    secrets the changes made in ``secrets``)."""
    made = [] if secrets is None else secrets
    start = desk.log.size()
    changes, admin, operator = desk.changes, desk.admin, Actor.operator()
    ucpd, fpd = desk.ucpd.id, desk.fpd.id
    called: set[str] = set()

    def call(name: str, *args: Any, **kwargs: Any) -> Any:
        called.add(name)
        return getattr(changes, name)(*args, **kwargs)

    call("add_agency", operator, "Hayward PD", "hpd", "municipal", "CA")
    call("set_agency_class", operator, fpd, kind="county")
    call("update_agency", admin, ucpd, retention_nonhit_days=30, purposes=["homicide"])
    declaration = call("add_declaration", admin, ucpd, "IL", signer="Chief",
                       signed_at=datetime(2026, 1, 1, tzinfo=UTC), document_digest="a" * 64)
    call("revoke_declaration", admin, declaration.id, agency_id=ucpd)
    call("add_user", admin, ucpd, "ivy", PASSWORD, ["investigator"])
    call("set_acting_for", admin, "ivy", fpd)
    call("set_roles", admin, "ivy", ["supervisor"])
    call("unlock_user", admin, "ivy")
    call("revoke_tokens", admin, "ivy")
    call("set_password", admin, "ivy", PASSWORD + " again")
    totp_secret = new_totp_secret()
    made.append(totp_secret)
    call("enroll_totp", admin, "ivy", totp_secret)
    call("add_camera", admin, "uc-1", ucpd, "fixed", lat=37.6, lon=-122.0)
    raw_key, key = call("issue_key", admin, ucpd, None, "gate")
    call("revoke_key", admin, key.prefix, agency_id=ucpd)
    raw = call("issue_ingest_url", admin, ucpd, "uc-1", "alprd")
    made += [str(raw_key), raw.split("_", 2)[2], PASSWORD + " again"]
    call("revoke_ingest_url", admin, raw.split("_")[1], agency_id=ucpd)
    zone = call("add_zone", admin, ucpd, "Clinic", "health_care", centre=(37.6, -122.0),
                radius_m=200.0)
    call("revoke_zone", admin, zone.id, agency_id=ucpd)
    agreement = call("add_agreement", admin, ucpd, fpd, actions=["search"],
                     purposes=["stolen_vehicle"], created_by="chief")
    call("revoke_agreement", admin, agreement.id, owner_id=ucpd)
    public = {name for name, member in inspect.getmembers(AdminChanges, inspect.isfunction)
              if not name.startswith("_")}
    assert called == public, "every administrative change is made here"

    officer = who("sgt-lee", ucpd)
    store = HotlistStore(desk.catalog.engine, audit_log=desk.log)
    store.create_tables()
    rows = [{"plate": "7ABC123"}, {"plate": "8XYZ999"}]
    report = store.import_list(ucpd, "stolen", "NCIC", "stolen_vehicle", rows,
                               changed_by=officer)
    store.import_list(ucpd, "stolen", "NCIC", "stolen_vehicle", rows, changed_by=officer)
    store.import_list(ucpd, "stolen", "NCIC", "stolen_vehicle", rows[:1], replace=False,
                      changed_by=officer)
    stored = store.add_entry(report.list_id, {"plate": "1AAA111"}, changed_by=officer)
    store.expire_entry(report.list_id, stored.id, changed_by=officer)
    store.remove_entry(report.list_id, stored.id, changed_by=officer)
    store.delete_list(report.list_id, changed_by=officer)

    holds = HoldStore(desk.catalog.engine, desk.log)
    now = datetime.now(UTC)
    hold = holds.place(LegalHold(case_number="26-1", reason="order", approver="sgt-lee",
                                 owner_agency=ucpd, selection=ReadSelection(plates=("7ABC123",)),
                                 expires_at=now + timedelta(days=30)),
                       placed_by="4", now=now, changed_by=officer)
    holds.release(hold.hold_id, released_by="4", reason="closed", now=now, changed_by=officer)
    return [desk.log.entry(i).entry for i in range(start, desk.log.size())]


def _keys(values: dict[str, Any] | None) -> frozenset[str] | None:
    return None if values is None else frozenset(values)


def test_the_change_log_table_lists_every_kind_with_its_before_and_after(
    desk: Desk,  # noqa: F811
) -> None:
    table = documented()
    entries = produce(desk)
    produced = {(e["type"], e["change"], e["object"]) for e in entries}
    assert sorted(produced - table.keys()) == [], "a change the table does not list"
    assert sorted(table.keys() - produced) == [], "a listed change no longer made"
    for entry in entries:
        kind = (entry["type"], entry["change"], entry["object"])
        for side, (names, some) in zip(("before", "after"), table[kind], strict=True):
            found = _keys(entry[side])
            if some:
                assert found and names is not None and found <= names, (kind, side, found)
            else:
                assert found == names, (kind, side, found)
        assert entry["user"] and entry["via"] and entry["time"] and entry["object_id"]


def test_each_kind_records_the_values_before_and_after(desk: Desk) -> None:  # noqa: F811
    secrets: list[str] = []
    entries = produce(desk, secrets)

    def one(entry_type: str, change: str) -> dict[str, Any]:
        [found] = [e for e in entries if (e["type"], e["change"]) == (entry_type, change)]
        return found

    assert one("agency_change", "add")["after"]["kind"] == "municipal"
    assert (one("agency_change", "class")["before"]["kind"],
            one("agency_change", "class")["after"]["kind"]) == ("municipal", "county")
    settings = one("policy_change", "agency_settings")
    assert settings["before"] == {"purposes": None, "retention_nonhit_days": None}
    assert settings["after"] == {"purposes": ["homicide"], "retention_nonhit_days": 30}
    assert one("policy_change", "declaration")["after"]["signed_at"].startswith("2026-01-01")
    assert one("policy_change", "declaration_revoke")["after"]["revoked_at"]
    assert one("user_change", "add")["after"]["roles"] == ["investigator"]
    acting = one("user_change", "acting_for")
    assert (acting["before"], acting["after"]) == ({"acting_for": None}, {"acting_for": "fpd"})
    roles = one("user_change", "roles")
    assert (roles["before"], roles["after"]) == ({"roles": ["investigator"]},
                                                 {"roles": ["supervisor"]})
    assert one("user_change", "unlock")["after"] == {"failed_logins": 0, "locked_until": None}
    assert one("user_change", "revoke_tokens")["after"] == {"live_tokens": 0}
    password = one("user_change", "reset_password")
    assert (password["before"]["password"], password["after"]["password"]) == ("old", "new")
    totp = one("user_change", "enroll_totp")
    assert (totp["before"]["totp_enrolled"], totp["after"]["totp_enrolled"]) == (False, True)
    camera = one("camera_change", "add")
    assert (camera["object_id"], camera["after"]["lat"]) == ("uc-1", 37.6)
    issued, revoked = one("key_change", "issue"), one("key_change", "revoke")
    assert issued["object_id"] == revoked["object_id"] and issued["after"]["label"] == "gate"
    assert (revoked["before"]["revoked_at"], bool(revoked["after"]["revoked_at"])) == (None, True)
    url = one("key_change", "issue_ingest_url")
    assert (url["after"]["camera_id"], url["after"]["label"]) == ("uc-1", "alprd")
    zone = one("zone_change", "add")
    assert (zone["after"]["place"], zone["after"]["radius_m"]) == ("health_care", 200.0)
    assert one("zone_change", "revoke")["after"]["revoked_at"]
    # no secret anywhere in the log: a key's prefix, never the key; no password
    text = str(entries)
    assert len(secrets) == 4 and [s for s in secrets if s in text] == []
    assert PASSWORD not in text
