"""Partner nodes and the nonces of their signed requests (migration
``0021_federation_nodes``).

A node row names a partner plateledger node, where it answers (``url``), its Ed25519 public
key and key id, and the owner agencies it answers for — slugs of agencies this catalog
holds, whose class this catalog records (a request never sets it). Every function takes a
``Session`` or a ``Connection``, so that a change commits with its audit entry.

For cross-witnessing (migration ``0023_node_log_keys``) a node also records its partner's
audit-log verifier key (``log_key``: its name is the log's origin) and the cosigner key of
the partner's witness (``witness_key``): this node witnesses that log while the node is not
revoked, and sends its own checkpoints to that witness.

Nonces are kept in the catalog database, not in a process's memory: several API processes
may serve one node (DESIGN.md, "many nodes"), and a request replayed to a sibling process
must be refused too. The primary key (key id, nonce) makes the check and the remembering
one atomic insert.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import Connection, delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from plateledger.catalog.errors import CatalogError, Conflict, NotFound
from plateledger.catalog.models import Agency, Node, NodeNonce

__all__ = [
    "NODE_VALUES",
    "add_node",
    "node_by_key_id",
    "node_by_name",
    "node_values",
    "nodes",
    "remember_nonce",
    "remote_agency_slugs",
    "revoke_node",
    "set_log_keys",
    "witnessed_log_keys",
]

NODE_VALUES = ("url", "key_id", "agencies", "log_key", "witness_key", "revoked_at")
"""What a node's change entry records of it (the public key is named by its key id)."""


def node_values(node: Node) -> dict[str, object]:
    return {
        "url": node.url,
        "key_id": node.key_id,
        "agencies": list(node.agencies),
        "log_key": node.log_key,
        "witness_key": node.witness_key,
        "revoked_at": None if node.revoked_at is None else node.revoked_at.isoformat(),
    }


def nodes(session: Session) -> list[Node]:
    """Every registered node, revoked ones too, by name."""
    return list(session.scalars(select(Node).order_by(Node.name)))


def node_by_name(session: Session, name: str) -> Node | None:
    return session.scalar(select(Node).where(Node.name == name))


def node_by_key_id(session: Session, key_id: str) -> Node | None:
    return session.scalar(select(Node).where(Node.key_id == key_id))


def add_node(
    session: Session,
    name: str,
    url: str,
    public_key: str,
    key_id: str,
    agencies: Iterable[str],
    now: datetime,
    log_key: str | None = None,
    witness_key: str | None = None,
) -> Node:
    """Register a node; raise `Conflict` for a name or key already registered (revoked
    ones included: a revoked key never comes back) and `CatalogError` for an agency
    slug this catalog does not hold."""
    slugs = sorted(set(agencies))
    if not slugs:
        raise CatalogError("a node answers for at least one agency (`--agency SLUG`)")
    known = set(session.scalars(select(Agency.slug).where(Agency.slug.in_(slugs))))
    missing = [s for s in slugs if s not in known]
    if missing:
        raise CatalogError(
            f"no agency `{missing[0]}` in this catalog: add it with its class "
            "first (`plateledger admin agency add`)"
        )
    if node_by_name(session, name) is not None:
        raise Conflict(f"a node `{name}` is already registered")
    if node_by_key_id(session, key_id) is not None:
        raise Conflict(f"key `{key_id}` is already registered")
    _check_origin(session, name, log_key)
    node = Node(
        name=name,
        url=url,
        public_key=public_key,
        key_id=key_id,
        agencies=slugs,
        created_at=now,
        log_key=log_key,
        witness_key=witness_key,
    )
    session.add(node)
    session.flush()
    return node


def log_origin(log_key: str) -> str:
    """The origin (log name) of a registered log key: what its checkpoints are named."""
    return log_key.split("+", 1)[0]


def _check_origin(session: Session, name: str, log_key: str | None) -> None:
    """Refuse a log origin another unrevoked node holds: the witness finds a log by it."""
    if log_key is None:
        return
    for other in nodes(session):
        if (
            other.name != name
            and other.revoked_at is None
            and other.log_key is not None
            and log_origin(other.log_key) == log_origin(log_key)
        ):
            raise Conflict(f"node `{other.name}` holds the log `{log_origin(log_key)}` already")


def set_log_keys(
    session: Session, name: str, log_key: str, witness_key: str | None
) -> tuple[Node, dict[str, object]]:
    """Record node ``name``'s log verifier key and its witness's cosigner key (``None``:
    keep the one recorded); return the node and its values before. Raises `NotFound`,
    `Conflict` for a revoked node or an origin another unrevoked node holds."""
    node = node_by_name(session, name)
    if node is None:
        raise NotFound(f"no node `{name}`")
    if node.revoked_at is not None:
        raise Conflict(f"node `{name}` is revoked")
    _check_origin(session, name, log_key)
    before = node_values(node)
    node.log_key = log_key
    if witness_key is not None:
        node.witness_key = witness_key
    session.flush()
    return node, before


def witnessed_log_keys(session: Session, origin: str) -> list[str]:
    """The log keys of ``origin`` that unrevoked nodes registered: the logs witnessed."""
    return [
        node.log_key
        for node in nodes(session)
        if node.revoked_at is None and node.log_key is not None
        and log_origin(node.log_key) == origin
    ]


def revoke_node(session: Session, name: str, now: datetime) -> tuple[Node, dict[str, object]]:
    """Revoke a node's key; return the node and its values before. Raises `NotFound`."""
    node = node_by_name(session, name)
    if node is None:
        raise NotFound(f"no node `{name}`")
    before = node_values(node)
    if node.revoked_at is None:
        node.revoked_at = now
        session.flush()
    return node, before


def remote_agency_slugs(session: Session) -> set[str]:
    """The agencies some registered node answers for (their reads are not kept here)."""
    return {slug for node in nodes(session) for slug in node.agencies}


def remember_nonce(
    connection: Connection, key_id: str, nonce: str, now: datetime, window: timedelta
) -> bool:
    """Remember ``nonce`` of ``key_id`` as seen ``now``; return ``False`` when it was seen
    already (a replay). Nonces older than twice ``window`` are forgotten first: a request
    that old is refused by its timestamp before its nonce is looked at."""
    connection.execute(delete(NodeNonce).where(NodeNonce.seen_at < now - 2 * window))
    try:
        with connection.begin_nested():
            connection.execute(insert(NodeNonce).values(key_id=key_id, nonce=nonce, seen_at=now))
    except IntegrityError:
        return False
    return True
