"""The change-log table of docs/audit.md, held to the code: every kind of change the
platform makes — each administrative change, each hot-list and hold change — produces an
entry of the documented ``type``, ``change`` and ``object``, with exactly the documented
fields before and after, and the table lists no kind that is not produced."""

from __future__ import annotations

import ast
import importlib
import inspect
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import plateledger
from plateledger.access.admin_changes import Actor, AdminChanges
from plateledger.access.approvals import Approvals
from plateledger.access.cases import Cases
from plateledger.access.policy_source import PolicySource
from plateledger.access.shared_hotlists import HotlistShares, SharedListPush, SharedLists
from plateledger.audit import NoteSigner
from plateledger.audit.changes import who
from plateledger.catalog import Agency, Principal, new_totp_secret
from plateledger.catalog.quarantine import NewItem
from plateledger.federation import NodeKey, NodeRegistry, VerifiedNode
from plateledger.hotlist import HitStore, HotlistStore
from plateledger.hotlist.alert import Alert, AlertRead
from plateledger.ingest.quarantine import Quarantine
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

FIRST = "— the first time, then"
"""A cell whose object may not exist before (the first disposition of a hit)."""

Kind = tuple[str, str, str]
Fields = tuple[frozenset[str] | None, bool, bool]
"""The documented field names (``None``: no value, the object did not exist), whether
they are the possible ones (an entry holds some of them) rather than exactly these, and
whether no value (``None``) is documented as well."""


def documented() -> dict[Kind, tuple[Fields, Fields]]:
    """The rows of the change-kinds table: (type, change, object) -> (before, after)."""
    text = DOC.read_text()
    table = text[text.index(MARKER) :].split("\n\n")[0]
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
        return None, False, True
    first = cell.startswith(FIRST)
    cell = cell.removeprefix(FIRST).strip()
    names = frozenset(re.findall(r"`([a-z_]+)`", cell))
    assert names, f"no fields in `{cell}`"
    return names, cell.startswith(SOME), first


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
    declaration = call(
        "add_declaration",
        admin,
        ucpd,
        "IL",
        signer="Chief",
        signed_at=datetime(2026, 1, 1, tzinfo=UTC),
        document_digest="a" * 64,
    )
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
    zone = call(
        "add_zone", admin, ucpd, "Clinic", "health_care", centre=(37.6, -122.0), radius_m=200.0
    )
    call("revoke_zone", admin, zone.id, agency_id=ucpd)
    agreement = call(
        "add_agreement",
        admin,
        ucpd,
        fpd,
        actions=["search"],
        purposes=["stolen_vehicle"],
        created_by="chief",
    )
    call("revoke_agreement", admin, agreement.id, owner_id=ucpd)
    public = {
        name
        for name, member in inspect.getmembers(AdminChanges, inspect.isfunction)
        if not name.startswith("_")
    }
    assert called == public, "every administrative change is made here"

    officer = who("sgt-lee", ucpd)
    store = HotlistStore(desk.catalog.engine, audit_log=desk.log)
    store.create_tables()
    rows = [{"plate": "7ABC123"}, {"plate": "8XYZ999"}]
    report = store.import_list(ucpd, "stolen", "NCIC", "stolen_vehicle", rows, changed_by=officer)
    store.import_list(ucpd, "stolen", "NCIC", "stolen_vehicle", rows, changed_by=officer)
    store.import_list(
        ucpd, "stolen", "NCIC", "stolen_vehicle", rows[:1], replace=False, changed_by=officer
    )
    stored = store.add_entry(report.list_id, {"plate": "1AAA111"}, changed_by=officer)
    store.expire_entry(report.list_id, stored.id, changed_by=officer)
    store.remove_entry(report.list_id, stored.id, changed_by=officer)
    store.delete_list(report.list_id, changed_by=officer)

    holds = HoldStore(desk.catalog.engine, desk.log)
    now = datetime.now(UTC)
    hold = holds.place(
        LegalHold(
            case_number="26-1",
            reason="order",
            approver="sgt-lee",
            owner_agency=ucpd,
            selection=ReadSelection(plates=("7ABC123",)),
            expires_at=now + timedelta(days=30),
        ),
        placed_by="4",
        now=now,
        changed_by=officer,
    )
    holds.release(hold.hold_id, released_by="4", reason="closed", now=now, changed_by=officer)

    hits = HitStore(
        desk.catalog.engine,
        audit_log=desk.log,
        agency_name={desk.ucpd.id: "ucpd", desk.fpd.id: "fpd"}.__getitem__,
    )
    with desk.catalog.engine.begin() as conn:
        hits.insert(conn, [(_alert(desk.ucpd, now), ["ucpd-own-list"])])
    hits.record_disposition("hit-1", ucpd, "confirmed", by="sgt-lee", changed_by=officer)
    hits.record_disposition("hit-1", ucpd, "confirmed", "arrest", by="sgt-lee", changed_by=officer)

    chief = _principal(desk, desk.ucpd, "chief", "admin")
    Approvals(desk.catalog, desk.log).set_rules(
        chief, case_number_pattern=None, locate_approval_required=True
    )
    cases = Cases(desk.catalog, desk.log, PolicySource(desk.catalog, check_every=0))
    detective = _principal(desk, desk.ucpd, "dee", "investigator")
    cases.open(detective, "UC-1", "grey van")
    cases.set_status(detective, "UC-1", "closed")
    cases.set_status(detective, "UC-1", "open")

    quarantine = Quarantine(desk.catalog.engine, desk.log)
    chief_fields = who("chief", ucpd)
    quarantine.add_alias(chief_fields, "ucpd", agency_id=ucpd, source_format="openalpr",
                         external_key="lot-north-cam1", camera_id="uc-1",
                         camera_owner=lambda camera: ucpd)
    quarantine.remove_alias(chief_fields, "ucpd", agency_id=ucpd, source_format="openalpr",
                            external_key="lot-north-cam1")
    quarantine.set_credential(chief_fields, "ucpd", agency_id=ucpd, kind="api_key",
                              prefix=key.prefix, enabled=True)
    quarantine.set_credential(chief_fields, "ucpd", agency_id=ucpd, kind="ingest_url",
                              prefix=raw.split("_")[1], enabled=True)
    kept = NewItem(format="openalpr", content_type="application/json", camera_hint=None,
                   item_index=0, raw="{}", reasons=["unknown camera 'lot-north-cam1'"])
    for item_id, status in zip(quarantine.keep(ucpd, "api_key", key.prefix, [kept, kept]),
                               ("replayed", "discarded"), strict=True):
        item = quarantine.item(ucpd, item_id)
        if status == "replayed":  # a replay is logged as it starts, then as it ends
            quarantine.start_replay(chief_fields, "ucpd", item)
        quarantine.resolve(chief_fields, "ucpd", item, status, {})
    nodes = NodeRegistry(desk.catalog, desk.log)
    nodes.add(chief_fields, "fremont", "https://fremont.example",
              NodeKey.generate().public.text(), ["fpd"])
    nodes.set_log_keys(chief_fields, "fremont",
                       NoteSigner.generate("fremont.example/audit").verifier_key())
    nodes.revoke(chief_fields, "fremont")
    nodes.add(chief_fields, "newark", "https://newark.example",
              NodeKey.generate().public.text(), ["fpd"])
    shared = store.import_list(ucpd, "shared", "NCIC", "stolen_vehicle", rows,
                               changed_by=officer)
    shares = HotlistShares(desk.catalog, desk.log, store, None,
                           {ucpd: "ucpd", fpd: "fpd"}.__getitem__)
    shares.share(officer, shared.list_id, ucpd, "newark")
    shares.unshare(officer, shared.list_id, ucpd, "newark")
    shares.share(officer, shared.list_id, ucpd, "newark")
    partner = VerifiedNode("newark", "k" * 32, ("fpd",), "n" * 16)
    held = SharedLists(desk.catalog, desk.log, str)
    for version, change in enumerate(("share", "update", "unshare"), start=1):
        held.receive(partner, SharedListPush.model_validate({
            "list_id": 7, "agency": "fpd", "change": change, "version": version,
            "name": "stolen", "category": "stolen_vehicle",
            "entries": [] if change == "unshare" else [{"id": 1, "plate": "7ABC123"}]}))
    return [desk.log.entry(i).entry for i in range(start, desk.log.size())]


def _principal(desk: Desk, agency: Agency, username: str, *roles: str) -> Principal:  # noqa: F811
    account = desk.catalog.add_user(agency.id, username, PASSWORD, list(roles))
    principal = desk.catalog.user_for_token(desk.catalog.issue_token(account))
    assert principal is not None
    return principal


def _alert(owner: Agency, now: datetime) -> Alert:
    read = AlertRead(
        read_id="r-1", owner_id=owner.id, camera_id="uc-1", ts=now, plate="7ABC123", region="CA"
    )
    return Alert(
        hit_id="hit-1",
        created_at=now,
        list_id=1,
        list_owner_id=owner.id,
        entry_id=1,
        category="stolen_vehicle",
        match_kind="exact",
        plate_listed="7ABC123",
        region_listed="CA",
        region_mismatch=False,
        priority=1,
        reason="stolen",
        case_number="26-1",
        read=read,
    )


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
        for side, (names, some, none) in zip(("before", "after"), table[kind], strict=True):
            found = _keys(entry[side])
            if found is None and none:
                continue
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
    assert (
        one("agency_change", "class")["before"]["kind"],
        one("agency_change", "class")["after"]["kind"],
    ) == ("municipal", "county")
    settings = one("policy_change", "agency_settings")
    assert settings["before"] == {"purposes": None, "retention_nonhit_days": None}
    assert settings["after"] == {"purposes": ["homicide"], "retention_nonhit_days": 30}
    assert one("policy_change", "declaration")["after"]["signed_at"].startswith("2026-01-01")
    assert one("policy_change", "declaration_revoke")["after"]["revoked_at"]
    assert one("user_change", "add")["after"]["roles"] == ["investigator"]
    acting = one("user_change", "acting_for")
    assert (acting["before"], acting["after"]) == ({"acting_for": None}, {"acting_for": "fpd"})
    roles = one("user_change", "roles")
    assert (roles["before"], roles["after"]) == (
        {"roles": ["investigator"]},
        {"roles": ["supervisor"]},
    )
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


# -- the kinds the code can write, read from the code itself ---------------------------

SRC = Path(plateledger.__file__).resolve().parent
ABSENT = "—"
"""The table's ``object`` of a kind whose entry names none."""
Found = set[str | None]
"""Values an argument may take; ``None``: one that cannot be read from the code."""


class _Module:
    """One source module: its syntax tree, each node's parent, and the module itself (to
    read the constants it names)."""

    def __init__(self, path: Path) -> None:
        self.tree = ast.parse(path.read_text(), str(path))
        self.parents: dict[ast.AST, ast.AST] = {
            child: node for node in ast.walk(self.tree) for child in ast.iter_child_nodes(node)
        }
        name = ".".join(path.relative_to(SRC.parent).with_suffix("").parts)
        self.module = importlib.import_module(name.removesuffix(".__init__"))

    def function(self, node: ast.AST) -> ast.FunctionDef | None:
        while node in self.parents:
            node = self.parents[node]
            if isinstance(node, ast.FunctionDef):
                return node
        return None

    def calls_of(self, function: ast.FunctionDef) -> list[tuple[ast.Call, int]]:
        """The calls of ``function`` in this module, each with the number of parameters
        its call binds implicitly (``self``)."""
        method = isinstance(self.parents.get(function), ast.ClassDef)
        found = []
        for node in ast.walk(self.tree):
            if not isinstance(node, ast.Call):
                continue
            if isinstance(node.func, ast.Name) and node.func.id == function.name:
                found.append((node, 0))
            elif isinstance(node.func, ast.Attribute) and node.func.attr == function.name:
                found.append((node, 1 if method else 0))
        return found

    def constant(self, expr: ast.expr) -> str | None:
        """The string a module-level name or attribute (``EntryType.X``) stands for."""
        parts: list[str] = []
        while isinstance(expr, ast.Attribute):
            parts.insert(0, expr.attr)
            expr = expr.value
        if not isinstance(expr, ast.Name):
            return None
        value: Any = self.module
        for part in [expr.id, *parts]:
            value = getattr(value, part, None)
        return str(value) if isinstance(value, str) else None

    def values(self, expr: ast.expr, env: Env | None = None) -> Found:
        """The strings ``expr`` may be: a literal, either branch of a conditional, what a
        local name is assigned, a module's constant; a parameter's value as ``env`` binds
        it (one call of the enclosing function); ``None`` for anything else."""
        if isinstance(expr, ast.Constant):
            return {expr.value} if isinstance(expr.value, str) else {None}
        if isinstance(expr, ast.IfExp):
            return self.values(expr.body, env) | self.values(expr.orelse, env)
        function = self.function(expr)
        if isinstance(expr, ast.Name) and function is not None:
            if env is not None and expr.id in env:
                return self.values(env[expr.id])  # at the call, in the caller's scope
            if expr.id in _params(function):
                return {None}
            assigned = [
                node.value
                for node in ast.walk(function)
                if isinstance(node, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == expr.id for t in node.targets)
            ]
            if assigned:
                return set().union(*(self.values(v, env) for v in assigned))
        constant = self.constant(expr)
        return {constant} if constant is not None else {None}

    def keyword(self, call: ast.Call, name: str, env: Env | None) -> Found:
        """The values keyword ``name`` takes in ``call``: given, passed on through the
        enclosing function's ``**`` parameter (bound by ``env``), or absent (`ABSENT`)."""
        for k in call.keywords:
            if k.arg == name:
                return self.values(k.value, env)
        function = self.function(call)
        spread = [k.value for k in call.keywords if k.arg is None]
        kwarg = function.args.kwarg if function is not None else None
        if kwarg is not None and any(isinstance(s, ast.Name) and s.id == kwarg.arg for s in spread):
            if env is None:
                return {None}
            return self.values(env[f"**{name}"]) if f"**{name}" in env else {ABSENT}
        return {None} if spread else {ABSENT}

    def bindings(self, function: ast.FunctionDef) -> list[Env]:
        """For each call of ``function`` in this module, what its parameters are given
        (``**name`` for a keyword its ``**`` parameter takes)."""
        positional = [a.arg for a in (*function.args.posonlyargs, *function.args.args)]
        named = set(_params(function))
        found = []
        for call, implicit in self.calls_of(function):
            env: Env = {}
            for at, arg in enumerate(call.args):
                if at + implicit < len(positional):
                    env[positional[at + implicit]] = arg
            for k in call.keywords:
                if k.arg is not None:
                    env[k.arg if k.arg in named else f"**{k.arg}"] = k.value
            found.append(env)
        return found

    def kinds(self, call: ast.Call) -> set[Kind3]:
        """The (type, change, object) of the entry ``call`` makes: read at the call, or,
        where it depends on the enclosing function's parameters, at each call of that
        function (each call bound on its own, so that its values stay together)."""
        function = self.function(call)
        envs: list[Env | None] = [None]
        if function is not None and self.calls_of(function):
            envs = list(self.bindings(function))
        found: set[Kind3] = set()
        for env in envs:
            for entry_type in self.values(call.args[0], env):
                for change in self.keyword(call, "change", env):
                    for object_ in self.keyword(call, "object", env):
                        found.add((entry_type, change, object_))
        return found


Env = dict[str, ast.expr]
Kind3 = tuple[str | None, str | None, str | None]


def _params(function: ast.FunctionDef) -> list[str]:
    args = function.args
    return [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)]


def written_kinds() -> set[Kind3]:
    """Every (type, change, object) an entry of the change log can be written with, read
    from the source: each call of `change_entry`, and each ``new_entry`` given ``change``
    and ``before`` or ``after`` (a change written without the helper). ``None`` where the
    code computes a value this reading cannot follow."""
    kinds: set[Kind3] = set()
    for path in sorted(SRC.rglob("*.py")):
        if "change" not in path.read_text() or path == SRC / "audit" / "changes.py":
            continue  # (`change_entry` itself: its callers are read instead)
        module: _Module | None = None
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            names = {k.arg for k in node.keywords}
            if node.func.id == "new_entry" and not (
                "change" in names and names & {"before", "after"}
            ):
                continue
            if node.func.id not in ("change_entry", "new_entry") or not node.args:
                continue
            module = module or _Module(path)
            # the same call, found in the module's own tree
            [call] = [
                n
                for n in ast.walk(module.tree)
                if isinstance(n, ast.Call)
                and (n.lineno, n.col_offset) == (node.lineno, node.col_offset)
            ]
            kinds |= module.kinds(call)
    return kinds


def test_every_kind_the_code_can_write_is_in_the_table() -> None:
    """Read from the source, not from a list kept here: a new call of `change_entry` (or a
    change written with ``new_entry``) whose kind the table lacks fails this test."""
    table = documented().keys()
    written = written_kinds()
    assert written, "no change entry found in the source"
    types = {t for t, _, _ in written}
    assert None not in types, "an entry type the source reading cannot follow"
    assert {"agency_change", "hit_disposition", "case_change", "legal_hold"} <= types

    def listed(kind: Kind3) -> bool:
        return any(
            all(want is None or want == got for want, got in zip(kind, row, strict=True))
            for row in table
        )

    assert sorted(map(str, (k for k in written if not listed(k)))) == [], (
        "a kind of change the code writes that the table does not list"
    )
    assert sorted(t for t, _, _ in table if t not in types) == [], (
        "a type the table lists that no code writes"
    )
