"""Hot lists across nodes: a list owner shares a list with a partner node; matching runs on
the data owner's node, whose gate decides whether the list owner may receive each hit.

The list owner's node (`HotlistShares`):

- ``share`` / ``unshare`` one of an agency's lists with a registered, unrevoked node: a
  ``hotlist_shares`` row and a ``hotlist_share_change`` entry in one transaction;
- ``push_pending`` brings each partner up to date with a signed ``POST
  /v1/federation/hotlists`` (`NodeClient`): the whole list (every entry, expired ones
  with their expiry) under a version that only grows, whenever what the partner last
  accepted differs from the list now (an entry added, removed or expired, the list
  replaced), and ``unshare`` once the share ends or the list is deleted;
- ``receive_hit`` takes a partner's signed ``POST /v1/federation/hits``: a hit on a list it
  shared with that node, from an agency that node answers for. Logged
  (``shared_hit_received``, with the partner's entry index), stored and published on the
  alert stream, webhooks and MQTT as a local hit, in one transaction; a hit id already
  taken is answered again, never logged twice.

The data owner's node (`SharedLists`):

- ``receive`` stores a pushed list under the remote agency (whose class and state this
  catalog records), attributed to the node (``shared_hotlists``), as a ``hotlists`` row
  with its entries, so the one matcher holds it; one ``shared_hotlist_change`` entry per
  accepted version, all in one transaction. A version not above the last accepted one
  changes nothing. Its users never see it: hot-list routes show an agency's own lists to
  that agency's users only, and no local user belongs to a remote agency;
- ``lists`` / ``enqueue`` are the `HitService` hook: a hit on a shared list is decided by
  this node's gate as a local one (``receive_alert`` for the remote agency); both the
  allowed (``alert_delivery``) and the withheld (``alert_withheld``) entries name the
  node and the remote list; an allowed hit is queued in ``shared_hit_outbox``, never
  stored as a local hit nor published here;
- ``deliver_pending`` posts each queued hit to the list owner's node, signed, until that
  node acknowledges it; a node that is down is tried again later (backoff), a revoked
  node is never sent anything again (and its lists' hits are dropped at matching).

`SharedHotlists` wires both sides and a background thread (`SharedHotlistWorker`) that
pushes and delivers when woken (a list changed, a hit queued) and every few seconds.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import uuid
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import httpx
from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)
from sqlalchemy import Connection, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from plateledger.access.federated_pages import MAX_COUNT
from plateledger.audit import AuditLog, new_entry
from plateledger.audit.changes import change_entry, log_change
from plateledger.catalog import Catalog
from plateledger.catalog.models import Node
from plateledger.catalog.nodes import node_by_name
from plateledger.catalog.shared_hotlists import (
    hotlist_shares,
    shared_hit_outbox,
    shared_hotlist_entries,
    shared_hotlists,
)
from plateledger.federation import NodeClient, NodeKey, VerifiedNode
from plateledger.federation.verify import DEFAULT_WINDOW
from plateledger.hotlist import (
    Alert,
    AlertRead,
    Category,
    HitService,
    HotlistRuntime,
    HotlistStore,
    StoredEntry,
)
from plateledger.hotlist.entry import from_millis, parse_entry, to_millis
from plateledger.hotlist.schema import hotlist_entries, hotlist_hits, hotlists
from plateledger.hotlist.store import entries_held
from plateledger.plates import PlateError, normalize_plate
from plateledger.policy.filetype import parse_file_type

__all__ = [
    "HITS_PATH",
    "HOTLIST_SHARE_CHANGE",
    "LISTS_PATH",
    "SHARED_HIT_RECEIVED",
    "SHARED_HOTLIST_CHANGE",
    "HotlistShares",
    "PushResult",
    "ShareRefused",
    "ShareState",
    "SharedEntry",
    "SharedHit",
    "SharedHitAnswer",
    "SharedHotlistWorker",
    "SharedHotlists",
    "SharedListAnswer",
    "SharedListPush",
    "SharedLists",
]

log = logging.getLogger(__name__)

LISTS_PATH = "/v1/federation/hotlists"
HITS_PATH = "/v1/federation/hits"
HOTLIST_SHARE_CHANGE = "hotlist_share_change"
"""The list owner's entry of a list shared with a node, or unshared."""
SHARED_HOTLIST_CHANGE = "shared_hotlist_change"
"""The data owner's entry of a shared list stored, updated or removed."""
SHARED_HIT_RECEIVED = "shared_hit_received"
"""The list owner's entry of a hit a partner node delivered."""
UNSHARED = "unshared"
"""``pushed_digest`` of a share whose end the partner accepted."""
SHARE_VALUES = ("node", "shared_at", "unshared_at")
LIST_VALUES = ("name", "source", "category", "description", "file_type", "entry_count",
               "version")  # fmt: skip
RETRY_FIRST_SECONDS = 5
RETRY_MAX_SECONDS = 600
_CHUNK = 10_000


class ShareRefused(Exception):
    """A share, a pushed list or a delivered hit that cannot be taken (HTTP ``status``)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


class SharedEntry(BaseModel):
    """One entry of a pushed list, as the list owner stores it (``id`` its own)."""

    model_config = ConfigDict(extra="forbid")

    id: int = Field(ge=1, le=MAX_COUNT)
    plate: str = Field(min_length=1, max_length=32)
    region: str = Field(default="", max_length=8)
    reason: str = Field(default="", max_length=500)
    case_number: str = Field(default="", max_length=64)
    expires_at: int | None = Field(default=None, ge=0, description="epoch milliseconds")
    priority: int = Field(default=0, ge=0, le=9)
    category: str = Field(default="", max_length=40)
    file_type: str = Field(default="", max_length=40)


class SharedListPush(BaseModel):
    """The body of a signed ``POST /v1/federation/hotlists``: the whole list, as of
    ``version``."""

    model_config = ConfigDict(extra="forbid")

    list_id: int = Field(ge=1, le=MAX_COUNT, description="the list's id on the list owner's node")
    agency: str = Field(min_length=1, max_length=64, description="the list owner's slug")
    change: Literal["share", "update", "unshare"]
    version: int = Field(
        ge=1, le=MAX_COUNT, description="grows with each push of this list to this node"
    )
    name: str = Field(min_length=1, max_length=128)
    source: str = Field(default="", max_length=128)
    category: Category
    description: str = Field(default="", max_length=500)
    file_type: str = Field(default="unspecified", max_length=40)
    entries: list[SharedEntry] = Field(default_factory=list, max_length=2_000_000)

    @model_validator(mode="after")
    def _consistent(self) -> SharedListPush:
        if self.change == "unshare" and self.entries:
            raise ValueError("an unshare carries no entries")
        ids = [e.id for e in self.entries]
        if len(set(ids)) != len(ids):
            raise ValueError("an entry id is given twice")
        return self


class SharedListAnswer(BaseModel):
    list_id: int = Field(description="the list's id on the list owner's node")
    version: int
    entries: int
    audit_index: int | None = Field(
        description="the data owner's `shared_hotlist_change` entry (none when the "
        "version was accepted before)"
    )


class SharedRead(BaseModel):
    model_config = ConfigDict(extra="forbid")

    read_id: str = Field(max_length=64)
    camera_id: str = Field(max_length=64)
    ts: AwareDatetime
    plate: str = Field(max_length=16)
    region: str = Field(default="", max_length=8)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)


class SharedHit(BaseModel):
    """The body of a signed ``POST /v1/federation/hits``: one hit on a shared list, as
    the data owner's gate let the list owner receive it. Its ids and index are logged
    here: at most `MAX_COUNT`, or 422 before anything is looked up."""

    model_config = ConfigDict(extra="forbid")

    hit_id: uuid.UUID
    list_id: int = Field(ge=1, le=MAX_COUNT, description="the list's id on the list owner's node")
    entry_id: int = Field(
        ge=1, le=MAX_COUNT, description="the entry's id on the list owner's node"
    )
    agency: str = Field(min_length=1, max_length=64, description="the list owner's slug")
    read_owner: str = Field(min_length=1, max_length=64, description="the read owner's slug")
    created_at: AwareDatetime = Field(
        description="when the data owner's node raised it: not later than now (give or take "
        "the signatures' window); the hit is kept for the retention from then"
    )
    category: str = Field(max_length=40)
    match_kind: Literal["exact", "confusable", "one_edit"]
    plate_listed: str = Field(max_length=16)
    region_listed: str = Field(default="", max_length=8)
    region_mismatch: bool = False
    priority: int = Field(default=0, ge=0, le=9)
    reason: str = Field(default="", max_length=500)
    case_number: str = Field(default="", max_length=64)
    read: SharedRead
    policy_ids: list[str] = Field(default_factory=list, max_length=64)
    audit_index: int = Field(
        ge=0, le=MAX_COUNT, description="the data owner's `alert_delivery` entry"
    )


class SharedHitAnswer(BaseModel):
    hit_id: str
    audit_index: int = Field(description="the list owner's `shared_hit_received` entry")
    duplicate: bool = Field(description="this hit id was received before: nothing new")


class ShareState(BaseModel):
    """One list shared with one node, as the list owner's node sees it."""

    list_id: int
    node: str
    shared_at: datetime
    unshared_at: datetime | None
    pushed_version: int = Field(description="the last version the node accepted (0: none)")
    current: bool = Field(description="the node holds the list as it is now")
    last_error: str = Field(description="why the last push failed, if it did")


@dataclass(frozen=True, slots=True)
class PushResult:
    list_id: int
    node: str
    change: str
    version: int
    outcome: str
    code: str | None


def _ms(now: datetime | None) -> int:
    return to_millis(now or datetime.now(UTC))


def _when(millis: int | None) -> str | None:
    return None if millis is None else from_millis(millis).isoformat()


def _nodes(engine: Any) -> dict[str, tuple[str, bool]]:
    """Registered nodes: name -> (url, revoked)."""
    with Session(engine) as session:
        return {n.name: (n.url, n.revoked_at is not None) for n in session.scalars(select(Node))}


def _share_values(row: Any) -> dict[str, Any]:
    return {"node": row.node, "shared_at": _when(row.shared_at),
            "unshared_at": _when(row.unshared_at)}  # fmt: skip


def _inserted(conn: Connection, statement: Any) -> int:
    """The primary key of the row ``statement`` inserted."""
    key = conn.execute(statement).inserted_primary_key
    assert key is not None
    return int(key[0])


def _digest(payload: Mapping[str, Any]) -> str:
    raw = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(raw).hexdigest()


class HotlistShares:
    """The list owner's side (see the module)."""

    def __init__(
        self,
        catalog: Catalog,
        audit_log: AuditLog,
        store: HotlistStore,
        service: HitService | None,
        agency_name: Callable[[int], str],
    ) -> None:
        self.catalog = catalog
        self.audit_log = audit_log
        self.store = store
        self.service = service
        """Where a received hit is stored and published (none: hits are not taken)."""
        self.agency_name = agency_name

    def _state(self, row: Any) -> ShareState:
        current = (
            (row.pushed_digest == UNSHARED)
            if row.unshared_at is not None
            else (row.pushed_version > 0 and row.pushed_digest == self._key(row.list_id))
        )
        return ShareState(
            list_id=row.list_id, node=row.node, shared_at=from_millis(row.shared_at),
            unshared_at=None if row.unshared_at is None else from_millis(row.unshared_at),
            pushed_version=row.pushed_version, current=current, last_error=row.last_error,
        )  # fmt: skip

    def _owned_list(self, list_id: int, owner_id: int) -> None:
        found = self.store.lists_by_id([list_id]).get(list_id)
        if found is None or found.owner_id != owner_id:
            raise ShareRefused(404, "unknown_list", f"no hot list `{list_id}`")

    def share(self, actor: Mapping[str, Any], list_id: int, owner_id: int, node: str,
              now: datetime | None = None) -> ShareState:  # fmt: skip
        """Share list ``list_id`` of ``owner_id`` with registered node ``node``."""
        self._owned_list(list_id, owner_id)
        with Session(self.catalog.engine) as session:
            found = node_by_name(session, node)
            if found is None:
                raise ShareRefused(404, "unknown_node", f"no node `{node[:64]}` is registered")
            if found.revoked_at is not None:
                raise ShareRefused(409, "node_revoked", f"the key of node `{node}` was revoked")
        stamp = _ms(now)
        s = hotlist_shares.c
        with self.catalog.engine.begin() as conn:
            row = conn.execute(select(hotlist_shares).where(
                s.list_id == list_id, s.node == node)).first()  # fmt: skip
            if row is not None and row.unshared_at is None:
                raise ShareRefused(
                    409, "already_shared", f"list `{list_id}` is already shared with `{node}`"
                )
            before = None if row is None else _share_values(row)
            if row is None:
                conn.execute(insert(hotlist_shares).values(
                    list_id=list_id, owner_id=owner_id, node=node, shared_at=stamp,
                    unshared_at=None, version=0, pushed_version=0, pushed_digest="",
                    last_error=""))  # fmt: skip
            else:
                conn.execute(update(hotlist_shares).where(s.id == row.id).values(
                    shared_at=stamp, unshared_at=None))  # fmt: skip
            after = conn.execute(select(hotlist_shares).where(
                s.list_id == list_id, s.node == node)).one()  # fmt: skip
            self._log(conn, actor, "share", owner_id, list_id, node, before, _share_values(after))
        return self._state(after)

    def unshare(self, actor: Mapping[str, Any], list_id: int, owner_id: int, node: str,
                now: datetime | None = None) -> ShareState:  # fmt: skip
        """End the share: the node is told to drop the list at the next push."""
        stamp = _ms(now)
        s = hotlist_shares.c
        with self.catalog.engine.begin() as conn:
            row = conn.execute(select(hotlist_shares).where(
                s.list_id == list_id, s.node == node, s.owner_id == owner_id,
                s.unshared_at.is_(None))).first()  # fmt: skip
            if row is None:
                raise ShareRefused(
                    404, "not_shared", f"list `{list_id}` is not shared with `{node[:64]}`"
                )
            conn.execute(update(hotlist_shares).where(s.id == row.id).values(unshared_at=stamp))
            after = conn.execute(select(hotlist_shares).where(s.id == row.id)).one()
            self._log(
                conn,
                actor,
                "unshare",
                owner_id,
                list_id,
                node,
                _share_values(row),
                _share_values(after),
            )
        return self._state(after)

    def _log(self, conn: Connection, actor: Mapping[str, Any], change: str, owner_id: int,
             list_id: int, node: str, before: dict[str, Any] | None,
             after: dict[str, Any]) -> None:  # fmt: skip
        owner = self.agency_name(owner_id)
        entry = change_entry(
            HOTLIST_SHARE_CHANGE, actor, object="hotlist_share", object_id=f"{list_id}:{node}",
            change=change, agency=owner, owner_agency=owner, list_id=list_id, node=node,
            before=before, after=after,
        )  # fmt: skip
        log_change(self.audit_log, conn, entry)

    def shares(self, list_id: int, owner_id: int) -> list[ShareState]:
        self._owned_list(list_id, owner_id)
        s = hotlist_shares.c
        with self.catalog.engine.connect() as conn:
            rows = list(conn.execute(select(hotlist_shares).where(
                s.list_id == list_id).order_by(s.node)))  # fmt: skip
        return [self._state(r) for r in rows]

    def has_shares(self) -> bool:
        with self.catalog.engine.connect() as conn:
            return bool(conn.execute(select(func.count()).select_from(hotlist_shares)).scalar())

    def _payload(self, list_id: int) -> dict[str, Any] | None:
        """What a push carries of the list now (without change and version), or ``None``
        for a list that no longer exists."""
        hotlist = self.store.lists_by_id([list_id]).get(list_id)
        if hotlist is None:
            return None
        entries: list[StoredEntry] = self.store.entries(list_id)
        return {
            "list_id": list_id, "agency": self.agency_name(hotlist.owner_id),
            "name": hotlist.name, "source": hotlist.source,
            "category": hotlist.category.value, "description": hotlist.description,
            "file_type": hotlist.file_type.value,
            "entries": [{"id": e.id, "plate": e.entry.plate, "region": e.entry.region,
                         "reason": e.entry.reason, "case_number": e.entry.case_number,
                         "expires_at": e.entry.expires_at, "priority": e.entry.priority,
                         "category": e.entry.category, "file_type": e.entry.file_type}
                        for e in entries],
        }  # fmt: skip

    def _key(self, list_id: int) -> str | None:
        """What changes whenever the list does, read without reading its entries: the
        list's row (every change of it or of an entry sets ``updated_at`` and the count)
        and its entries' count, ids and expiries summed; ``None`` for a list gone."""
        h, e = hotlists.c, hotlist_entries.c
        with self.catalog.engine.connect() as conn:
            found = conn.execute(select(hotlists).where(h.id == list_id)).first()
            if found is None:
                return None
            count, top, ids, expiries = conn.execute(
                select(func.count(), func.max(e.id), func.sum(e.id),
                       func.sum(func.coalesce(e.expires_at, -1))).where(e.list_id == list_id)
            ).one()  # fmt: skip
        row = {k: getattr(found, k) for k in (*LIST_VALUES[:-1], "owner_id", "updated_at")}
        return _digest({**row, "entries": [count, top, ids, expiries]})

    def push_pending(self, client: NodeClient, list_id: int | None = None) -> list[PushResult]:
        """Bring every partner (of ``list_id``'s shares, when given) up to date: push the
        lists that changed since the partner last accepted one, and the ends of shares.
        A push that fails is tried again at the next call."""
        s = hotlist_shares.c
        query = select(hotlist_shares).order_by(s.id)
        if list_id is not None:
            query = query.where(s.list_id == list_id)
        with self.catalog.engine.connect() as conn:
            rows = list(conn.execute(query))
        if not rows:
            return []
        known = _nodes(self.catalog.engine)
        results: list[PushResult] = []
        for row in rows:
            node = known.get(row.node)
            if node is None or node[1]:
                continue  # a revoked node is sent nothing
            key = None if row.unshared_at is not None else self._key(row.list_id)
            if key == row.pushed_digest:
                continue  # the partner holds the list as it is
            payload = None if key is None else self._payload(row.list_id)
            if payload is not None and key is not None:
                digest = key
                fresh = row.pushed_version == 0 or row.pushed_digest == UNSHARED
                change = "share" if fresh else "update"
            else:
                if row.pushed_version == 0 or row.pushed_digest == UNSHARED:
                    continue
                digest, change = UNSHARED, "unshare"
                hotlist = self.store.lists_by_id([row.list_id]).get(row.list_id)
                payload = {
                    "list_id": row.list_id, "agency": self.agency_name(row.owner_id),
                    "name": hotlist.name if hotlist else "-",
                    "category": (hotlist.category if hotlist
                                 else Category.INVESTIGATIVE_INTEREST).value,
                }  # fmt: skip
            version = self._claim(row.id, row.version)
            if version is None:
                continue  # another process is pushing this share
            answer = client.post(
                node[0], LISTS_PATH, {**payload, "change": change, "version": version}
            )
            with self.catalog.engine.begin() as conn:
                if answer.outcome == "answered":
                    conn.execute(
                        update(hotlist_shares)
                        .where(s.id == row.id, s.pushed_version < version)
                        .values(pushed_version=version, pushed_digest=digest, last_error="")
                    )
                else:
                    conn.execute(
                        update(hotlist_shares)
                        .where(s.id == row.id)
                        .values(last_error=f"{answer.outcome}: {answer.code}"[:300])
                    )
            results.append(PushResult(row.list_id, row.node, change, version, answer.outcome,
                                      answer.code))  # fmt: skip
        return results

    def _claim(self, share_id: int, seen: int) -> int | None:
        """Take the next version of a share, unless another process took it meanwhile."""
        s = hotlist_shares.c
        with self.catalog.engine.begin() as conn:
            taken = conn.execute(
                update(hotlist_shares)
                .where(s.id == share_id, s.version == seen)
                .values(version=seen + 1)
            ).rowcount
        return seen + 1 if taken else None

    def receive_hit(self, node: VerifiedNode, hit: SharedHit) -> SharedHitAnswer:
        """Take a hit ``node`` delivered (see the module); raise `ShareRefused`."""
        if not node.answers_for(hit.read_owner):
            raise ShareRefused(403, "agency_not_registered",
                               f"node `{node.name}` is not registered for agency "
                               f"`{hit.read_owner[:64]}`")  # fmt: skip
        read_owner = self.catalog.agency_by_slug(hit.read_owner)
        if read_owner is None:
            raise ShareRefused(403, "unknown_agency", f"no agency `{hit.read_owner[:64]}` here")
        latest = datetime.now(UTC) + DEFAULT_WINDOW
        if hit.created_at > latest or hit.read.ts > latest:
            # a hit dated ahead would head the feed and outlive its retention (or overflow)
            raise ShareRefused(422, "invalid_entry", "a hit or its read is dated in the future")
        hit_id = str(hit.hit_id)
        s = hotlist_shares.c
        try:
            with self.catalog.engine.begin() as conn:
                # a live share only: once the list owner ended it, no hit is taken
                share = conn.execute(select(hotlist_shares).where(
                    s.list_id == hit.list_id, s.node == node.name,
                    s.unshared_at.is_(None))).first()  # fmt: skip
                if share is None or self.agency_name(share.owner_id) != hit.agency:
                    raise ShareRefused(
                        404,
                        "not_shared",
                        f"list `{hit.list_id}` of "
                        f"`{hit.agency[:64]}` is not shared with `{node.name}`",
                    )
                known = self._known(conn, hit_id, hit.list_id)
                if known is not None:
                    return known
                listed = self._listed(conn, hit)
                entry = new_entry(
                    SHARED_HIT_RECEIVED, hit_id=hit_id, node=node.name, key_id=node.key_id,
                    agency=hit.agency, owner_agency=hit.read_owner, list_id=hit.list_id,
                    entry_id=hit.entry_id, category=listed.category, match_kind=hit.match_kind,
                    read_id=hit.read.read_id, sender_audit_index=hit.audit_index,
                    policy_ids=list(hit.policy_ids),
                )  # fmt: skip
                index = log_change(self.audit_log, conn, entry)
                alert = Alert(
                    hit_id=hit_id, created_at=hit.created_at, list_id=hit.list_id,
                    list_owner_id=share.owner_id, entry_id=hit.entry_id, category=listed.category,
                    match_kind=hit.match_kind, plate_listed=listed.plate,
                    region_listed=listed.region, region_mismatch=hit.region_mismatch,
                    priority=listed.priority, reason=listed.reason,
                    case_number=listed.case_number,
                    read=AlertRead(read_id=hit.read.read_id, owner_id=read_owner.id,
                                   camera_id=hit.read.camera_id, ts=hit.read.ts,
                                   plate=hit.read.plate, region=hit.read.region,
                                   lat=hit.read.lat, lon=hit.read.lon),
                    audit_index=index,
                )  # fmt: skip
                service = self.service
                if service is None:
                    raise ShareRefused(503, "unavailable", "this node takes no hits")
                service.hits.insert(conn, [(alert, hit.policy_ids)])
                if service.webhooks is not None:
                    service.webhooks.enqueue(conn, [alert])
        except IntegrityError:  # the same hit, taken meanwhile by another request
            with self.catalog.engine.connect() as conn:
                known = self._known(conn, hit_id, hit.list_id)
            if known is None:
                raise
            return known
        for sink in service.sinks:
            try:
                sink.publish(alert)
            except Exception:  # a live channel failing must not undo a stored hit
                log.exception("alert channel %s failed", type(sink).__name__)
        if service.webhooks is not None:
            service.webhooks.wake()
        return SharedHitAnswer(hit_id=hit_id, audit_index=index, duplicate=False)

    @staticmethod
    def _listed(conn: Connection, hit: SharedHit) -> Any:
        """The entry of the shared list that ``hit`` names, listing the plate it names;
        else `ShareRefused` (404): a partner raises hits on what the list holds, never on
        a plate it chose (nor on an entry removed since). The alert carries the entry's own
        plate, state, reason, case number and priority and its list's category, not the
        partner's copy of them. An entry that expired before the read was made refuses it
        (409 ``entry_expired``)."""
        e, h = hotlist_entries.c, hotlists.c
        listed = conn.execute(
            select(e.plate, e.region, e.reason, e.case_number, e.priority, e.expires_at,
                   h.category)
            .join(hotlists, h.id == e.list_id)
            .where(e.id == hit.entry_id, e.list_id == hit.list_id)).first()  # fmt: skip
        try:
            plate = normalize_plate(hit.plate_listed)
        except PlateError:
            plate = ""
        if listed is None or listed.plate != plate:
            raise ShareRefused(404, "unknown_entry",
                               f"list `{hit.list_id}` holds no entry `{hit.entry_id}` "
                               "listing the plate this hit names")  # fmt: skip
        if listed.expires_at is not None and listed.expires_at <= to_millis(hit.read.ts):
            # the list no longer wanted the plate when it was read (a recovered car)
            raise ShareRefused(409, "entry_expired",
                               f"entry `{hit.entry_id}` of list `{hit.list_id}` expired "
                               "before the read this hit names")  # fmt: skip
        return listed

    @staticmethod
    def _known(conn: Connection, hit_id: str, list_id: int) -> SharedHitAnswer | None:
        h = hotlist_hits.c
        row = conn.execute(select(h.list_id, h.audit_index).where(h.hit_id == hit_id)).first()
        if row is None:
            return None
        if row.list_id != list_id:
            raise ShareRefused(409, "hit_id_reused", f"hit `{hit_id}` is another hit here")
        return SharedHitAnswer(hit_id=hit_id, audit_index=row.audit_index, duplicate=True)


class SharedLists:
    """The data owner's side (see the module); the `HitService`'s ``shared`` hook."""

    def __init__(self, catalog: Catalog, audit_log: AuditLog,
                 agency_name: Callable[[int], str]) -> None:  # fmt: skip
        self.catalog = catalog
        self.audit_log = audit_log
        self.agency_name = agency_name
        self.on_change: Callable[[], None] = lambda: None
        """Called after a pushed list changed the stored lists (the index reloads)."""
        self.on_queue: Callable[[], None] = lambda: None
        """Called after hits were queued (the worker delivers)."""
        self.max_entries: int | None = None
        """The most entries an agency's lists may hold here in all, pushed ones too (the
        hot-list store's cap, set by `SharedHotlists.attach`)."""

    def receive(self, node: VerifiedNode, push: SharedListPush,
                now: datetime | None = None) -> SharedListAnswer:  # fmt: skip
        """Store ``push`` from ``node`` (see the module); raise `ShareRefused` with nothing
        stored."""
        if not node.answers_for(push.agency):
            raise ShareRefused(403, "agency_not_registered", f"node `{node.name}` is not "
                               f"registered for agency `{push.agency[:64]}`")  # fmt: skip
        agency = self.catalog.agency_by_slug(push.agency)
        if agency is None:
            raise ShareRefused(403, "unknown_agency", f"no agency `{push.agency[:64]}` here")
        try:  # stored as the closed list names it: the matcher reads it back as such
            push = push.model_copy(update={"file_type": parse_file_type(push.file_type).value})
        except ValueError as exc:
            raise ShareRefused(422, "invalid_file_type", str(exc)) from None
        parsed = []
        for item in push.entries:
            try:
                parsed.append((item.id, parse_entry({
                    "plate": item.plate, "region": item.region, "reason": item.reason,
                    "case_number": item.case_number, "priority": item.priority,
                    "category": item.category, "file_type": item.file_type,
                    "expires": None if item.expires_at is None else from_millis(item.expires_at),
                })))  # fmt: skip
            except (ValueError, OverflowError, OSError) as exc:  # a time past the clock's
                raise ShareRefused(422, "invalid_entry", f"entry {item.id}: {exc}") from None
        stamp = _ms(now)
        try:
            with self.catalog.engine.begin() as conn:
                answer = self._store(conn, node, push, agency.id, parsed, stamp)
        except IntegrityError:
            raise ShareRefused(
                409,
                "list_name_taken",
                f"agency `{push.agency[:64]}` already has a list named `{push.name[:128]}` here",
            ) from None
        if answer.audit_index is not None:
            self.on_change()
        return answer

    def _store(
        self,
        conn: Connection,
        node: VerifiedNode,
        push: SharedListPush,
        owner_id: int,
        parsed: list[tuple[int, Any]],
        stamp: int,
    ) -> SharedListAnswer:
        sh, h = shared_hotlists.c, hotlists.c
        row = conn.execute(select(shared_hotlists).where(
            sh.node == node.name, sh.remote_list_id == push.list_id)).first()  # fmt: skip
        if row is not None and push.version < row.version:
            raise ShareRefused(
                409,
                "stale_version",
                f"version {push.version} of list "
                f"`{push.list_id}` is older than {row.version}, accepted here",
            )
        if row is not None and push.version == row.version:
            count = 0 if row.list_id is None else self._count(conn, row.list_id)
            return SharedListAnswer(list_id=push.list_id, version=row.version, entries=count,
                                    audit_index=None)  # fmt: skip
        if row is not None and row.agency != push.agency:
            # a hit is decided for the list's agency and sent naming it: one agency a list
            raise ShareRefused(
                409, "list_agency_changed",
                f"list `{push.list_id}` is agency `{row.agency}`'s here, not "
                f"`{push.agency[:64]}`'s: unshare it and share a new list",
            )
        if push.change != "unshare":
            self._check_size(conn, owner_id, len(parsed), None if row is None else row.list_id)
        if push.change == "unshare" and (row is None or row.list_id is None):
            if row is not None:  # ended before (a retry whose answer was lost)
                conn.execute(update(shared_hotlists).where(sh.id == row.id).values(
                    version=push.version))  # fmt: skip
            return SharedListAnswer(list_id=push.list_id, version=push.version, entries=0,
                                    audit_index=None)  # fmt: skip
        before = None
        if row is not None and row.list_id is not None:
            held = conn.execute(select(hotlists).where(h.id == row.list_id)).one()
            before = {**{k: getattr(held, k) for k in LIST_VALUES[:-1]}, "version": row.version}
        if row is None:
            shared_id = _inserted(
                conn,
                insert(shared_hotlists).values(
                    node=node.name,
                    key_id=node.key_id,
                    remote_list_id=push.list_id,
                    agency=push.agency,
                    list_id=None,
                    version=push.version,
                    received_at=stamp,
                    unshared_at=None,
                ),
            )
            list_id = None
        else:
            shared_id, list_id = int(row.id), row.list_id
        if list_id is not None:
            conn.execute(
                delete(shared_hotlist_entries).where(
                    shared_hotlist_entries.c.shared_id == shared_id
                )
            )
            conn.execute(delete(hotlist_entries).where(hotlist_entries.c.list_id == list_id))
        if push.change == "unshare":
            if list_id is not None:
                conn.execute(delete(hotlists).where(h.id == list_id))
            conn.execute(
                update(shared_hotlists)
                .where(sh.id == shared_id)
                .values(list_id=None, version=push.version, received_at=stamp, unshared_at=stamp)
            )
            change, after, count = "unshare", None, 0
        else:
            values = {"owner_id": owner_id, "name": push.name, "source": push.source or "-",
                      "category": push.category.value, "description": push.description,
                      "file_type": push.file_type, "updated_at": stamp}  # fmt: skip
            change = "share" if list_id is None else "update"
            if list_id is None:
                list_id = _inserted(
                    conn, insert(hotlists).values(**values, entry_count=0, created_at=stamp)
                )
            else:
                conn.execute(update(hotlists).where(h.id == list_id).values(**values))
            rows = [{"list_id": list_id, "plate": e.plate, "plate_key": e.plate_key,
                     "region": e.region, "reason": e.reason, "case_number": e.case_number,
                     "expires_at": e.expires_at, "priority": e.priority,
                     "category": e.category, "file_type": e.file_type}
                    for _, e in parsed]  # fmt: skip
            for start in range(0, len(rows), _CHUNK):
                conn.execute(insert(hotlist_entries), rows[start : start + _CHUNK])
            local_ids = list(
                conn.execute(
                    select(hotlist_entries.c.id)
                    .where(hotlist_entries.c.list_id == list_id)
                    .order_by(hotlist_entries.c.id)
                ).scalars()
            )
            mapping = [{"entry_id": local, "shared_id": shared_id, "remote_entry_id": remote}
                       for local, (remote, _) in zip(local_ids, parsed, strict=True)]  # fmt: skip
            for start in range(0, len(mapping), _CHUNK):
                conn.execute(insert(shared_hotlist_entries), mapping[start : start + _CHUNK])
            count = len(parsed)
            conn.execute(update(hotlists).where(h.id == list_id).values(entry_count=count))
            conn.execute(
                update(shared_hotlists)
                .where(sh.id == shared_id)
                .values(list_id=list_id, version=push.version, received_at=stamp, unshared_at=None)
            )
            after = {
                **{k: v for k, v in values.items() if k in LIST_VALUES},
                "entry_count": count,
                "version": push.version,
            }
        entry = change_entry(
            SHARED_HOTLIST_CHANGE, {"user": f"node:{node.name}", "via": "federation"},
            object="shared_hotlist", object_id=f"{node.name}:{push.list_id}", change=change,
            agency=push.agency, owner_agency=push.agency, node=node.name, key_id=node.key_id,
            remote_list_id=push.list_id, list_id=list_id, before=before, after=after,
        )  # fmt: skip
        index = log_change(self.audit_log, conn, entry)
        return SharedListAnswer(list_id=push.list_id, version=push.version, entries=count,
                                audit_index=index)  # fmt: skip

    def _check_size(self, conn: Connection, owner_id: int, adding: int,
                    without: int | None) -> None:  # fmt: skip
        """Refuse (422 ``list_too_large``) a list that would take its agency's lists here
        (less ``without``, the version it replaces) past `max_entries`, as a local import."""
        if self.max_entries is None:
            return
        total = entries_held(conn, owner_id, without) + adding
        if total > self.max_entries:
            raise ShareRefused(422, "list_too_large",
                               f"the agency's lists here would hold {total:,} entries, more "
                               f"than the {self.max_entries:,} allowed")  # fmt: skip

    @staticmethod
    def _count(conn: Connection, list_id: int) -> int:
        return int(conn.execute(select(func.count()).where(
            hotlist_entries.c.list_id == list_id)).scalar_one())  # fmt: skip

    # --- the HitService hook ---------------------------------------------------------

    def lists(self, list_ids: Collection[int]) -> dict[int, dict[str, Any] | None]:
        if not list_ids:
            return {}
        sh = shared_hotlists.c
        with self.catalog.engine.connect() as conn:
            rows = list(conn.execute(select(sh.list_id, sh.node, sh.remote_list_id).where(
                sh.list_id.in_(sorted(list_ids)))))  # fmt: skip
        if not rows:
            return {}
        known = _nodes(self.catalog.engine)
        found: dict[int, dict[str, Any] | None] = {}
        for list_id, node, remote in rows:
            trusted = node in known and not known[node][1]
            found[list_id] = {"list_node": node, "remote_list_id": remote} if trusted else None
        return found

    def enqueue(self, conn: Connection, alerts: Sequence[tuple[Alert, Sequence[str]]]) -> None:
        sh, se = shared_hotlists.c, shared_hotlist_entries.c
        lists = {r.list_id: r for r in conn.execute(select(shared_hotlists).where(
            sh.list_id.in_(sorted({a.list_id for a, _ in alerts}))))}  # fmt: skip
        remote = {r.entry_id: r.remote_entry_id for r in conn.execute(
            select(se.entry_id, se.remote_entry_id).where(
                se.entry_id.in_(sorted({a.entry_id for a, _ in alerts}))))}  # fmt: skip
        rows = []
        for alert, policy_ids in alerts:
            shared = lists.get(alert.list_id)
            if shared is None or alert.entry_id not in remote or alert.audit_index is None:
                continue  # unshared between the match and now: nothing to deliver
            read = alert.read
            body = SharedHit(
                hit_id=uuid.UUID(alert.hit_id), list_id=shared.remote_list_id,
                entry_id=remote[alert.entry_id], agency=shared.agency,
                read_owner=self.agency_name(read.owner_id), created_at=alert.created_at,
                category=alert.category, match_kind=alert.match_kind,
                plate_listed=alert.plate_listed, region_listed=alert.region_listed,
                region_mismatch=alert.region_mismatch, priority=alert.priority,
                reason=alert.reason, case_number=alert.case_number,
                read=SharedRead(read_id=read.read_id, camera_id=read.camera_id, ts=read.ts,
                                plate=read.plate, region=read.region, lat=read.lat,
                                lon=read.lon),
                policy_ids=list(policy_ids), audit_index=alert.audit_index,
            )  # fmt: skip
            rows.append({"hit_id": alert.hit_id, "node": shared.node, "shared_id": shared.id,
                         "body": body.model_dump_json(), "status": "pending", "attempts": 0,
                         "next_attempt_at": to_millis(alert.created_at), "last_error": "",
                         "audit_index": alert.audit_index, "receipt_index": None,
                         "created_at": to_millis(alert.created_at),
                         "delivered_at": None})  # fmt: skip
        if rows:
            conn.execute(insert(shared_hit_outbox), rows)

    def wake(self) -> None:
        self.on_queue()

    # --- delivery ---------------------------------------------------------------------

    def has_pending(self) -> bool:
        o = shared_hit_outbox.c
        with self.catalog.engine.connect() as conn:
            return conn.execute(select(o.hit_id).where(o.status == "pending").limit(1)).first() \
                is not None  # fmt: skip

    def outbox(self) -> list[dict[str, Any]]:
        """Every queued hit and how its delivery stands (no body), oldest first."""
        o = shared_hit_outbox.c
        query = select(o.hit_id, o.node, o.status, o.attempts, o.next_attempt_at, o.last_error,
                       o.audit_index, o.receipt_index).order_by(o.created_at, o.hit_id)  # fmt: skip
        with self.catalog.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    def deliver_pending(self, client: NodeClient, now: datetime | None = None) -> int:
        """Post each queued hit that is due to its list owner's node; return how many were
        acknowledged. A node that does not answer is tried again later (each miss doubles
        the wait, up to ten minutes); one whose key was revoked here is never sent to."""
        stamp = _ms(now)
        o = shared_hit_outbox.c
        with self.catalog.engine.connect() as conn:
            rows = list(conn.execute(select(shared_hit_outbox).where(
                o.status == "pending", o.next_attempt_at <= stamp).order_by(
                o.created_at).limit(500)))  # fmt: skip
        if not rows:
            return 0
        known = _nodes(self.catalog.engine)
        done = 0
        for row in rows:
            node = known.get(row.node)
            if node is None or node[1]:
                self._set(row.hit_id, status="stopped", last_error="node_revoked")
                continue
            answer = client.post(node[0], HITS_PATH, json.loads(row.body))
            if answer.outcome == "answered" and answer.body is not None:
                try:
                    receipt = SharedHitAnswer.model_validate(answer.body)
                except ValidationError:
                    receipt = None
                if receipt is not None and receipt.hit_id == row.hit_id:
                    self._set(row.hit_id, status="delivered", receipt_index=receipt.audit_index,
                              delivered_at=_ms(None), last_error="")  # fmt: skip
                    done += 1
                    continue
                answer_code = "bad_answer"
            else:
                answer_code = f"{answer.outcome}: {answer.code}"
            if answer.outcome == "refused" and answer.code not in ("signature_expired",):
                self._set(row.hit_id, status="refused", last_error=answer_code[:300],
                          attempts=row.attempts + 1)  # fmt: skip
                continue
            wait = min(RETRY_FIRST_SECONDS * 2**row.attempts, RETRY_MAX_SECONDS)
            self._set(row.hit_id, attempts=row.attempts + 1, last_error=answer_code[:300],
                      next_attempt_at=stamp + wait * 1000)  # fmt: skip
        return done

    def _set(self, hit_id: str, **values: Any) -> None:
        with self.catalog.engine.begin() as conn:
            conn.execute(update(shared_hit_outbox).where(
                shared_hit_outbox.c.hit_id == hit_id).values(**values))  # fmt: skip


class SharedHotlistWorker:
    """Pushes lists and delivers hits in a daemon thread: when woken, and every
    ``interval`` seconds (what failed is tried again then)."""

    def __init__(self, shares: HotlistShares, lists: SharedLists,
                 client: Callable[[httpx.Client], NodeClient], timeout: float,
                 interval: float = RETRY_FIRST_SECONDS) -> None:  # fmt: skip
        self.shares = shares
        self.lists = lists
        self.client = client
        self.timeout = timeout
        self.interval = interval
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def run_once(self) -> None:
        """Push what changed and deliver what is due, once (one pass at a time)."""
        with self._lock:
            pushing, delivering = self.shares.has_shares(), self.lists.has_pending()
            if not (pushing or delivering):
                return
            with httpx.Client(timeout=self.timeout) as http:
                client = self.client(http)
                if pushing:
                    self.shares.push_pending(client)
                if delivering:
                    self.lists.deliver_pending(client)

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="shared-hotlists", daemon=True)
        self._thread.start()

    def stop(self, timeout: float | None = None) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.interval)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                self.run_once()
            except Exception:  # the next pass tries again
                log.exception("pushing shared lists or delivering their hits failed")


class SharedHotlists:
    """Both sides of one node and their worker. Build the `SharedLists` hook first (the
    hot-list runtime takes it), then `attach` the runtime."""

    def __init__(self, catalog: Catalog, audit_log: AuditLog, *,
                 agency_name: Callable[[int], str], node_key: Callable[[], NodeKey],
                 timeout: float) -> None:  # fmt: skip
        self.catalog = catalog
        self.audit_log = audit_log
        self.agency_name = agency_name
        self.node_key = node_key
        self.timeout = timeout
        self.lists = SharedLists(catalog, audit_log, agency_name)
        self._shares: HotlistShares | None = None
        self._worker: SharedHotlistWorker | None = None

    def attach(self, runtime: HotlistRuntime) -> None:
        self._shares = HotlistShares(
            self.catalog, self.audit_log, runtime.store, runtime.service, self.agency_name
        )
        self._worker = SharedHotlistWorker(self._shares, self.lists, self.client, self.timeout)
        self.lists.max_entries = runtime.store.max_entries
        self.lists.on_change = lambda: runtime.index.load(runtime.store)
        self.lists.on_queue = self._worker.wake
        runtime.store.add_listener(self._worker.wake)

    def client(self, http: httpx.Client) -> NodeClient:
        return NodeClient(self.node_key(), http)

    @property
    def shares(self) -> HotlistShares:
        assert self._shares is not None, "attach the hot-list runtime first"
        return self._shares

    @property
    def worker(self) -> SharedHotlistWorker:
        assert self._worker is not None, "attach the hot-list runtime first"
        return self._worker

    def push_now(self, list_id: int) -> list[PushResult]:
        """Push ``list_id``'s shares now (the answer of a share or unshare says how the
        partners took it); the worker tries again what fails."""
        with self.worker._lock, httpx.Client(timeout=self.timeout) as http:
            return self.shares.push_pending(self.client(http), list_id)

    def start(self) -> None:
        self.worker.start()

    def close(self) -> None:
        if self._worker is not None:
            self._worker.stop(timeout=30)
