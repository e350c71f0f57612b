"""Registering and revoking partner nodes, each change with its audit entry.

An add, a revoke or a change of the node's log keys (``log_keys``: its audit log's
verifier key and its witness's cosigner key, for cross-witnessing) writes the ``nodes``
row and a ``node_change`` entry (``object`` ``node``, ``object_id`` the node's name;
before and after: its ``url``, ``key_id``, ``agencies``, ``log_key``, ``witness_key`` and
``revoked_at``) in one transaction of the catalog database, which holds
the audit log (`plateledger.audit.changes`): if the entry cannot be written, nothing is
changed.
"""

from __future__ import annotations

import getpass
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from plateledger.audit import AuditLog, NoteError
from plateledger.audit.changes import change_entry, log_change, who
from plateledger.audit.note import NoteVerifier
from plateledger.audit.witness import CosignerVerifier
from plateledger.catalog import Catalog
from plateledger.catalog.models import Node
from plateledger.catalog.nodes import add_node, node_values, nodes, revoke_node, set_log_keys
from plateledger.federation.errors import FederationError
from plateledger.federation.keys import NodePublicKey

__all__ = ["NODE_CHANGE", "NodeRecord", "NodeRegistry", "operator"]

NODE_CHANGE = "node_change"


def operator() -> dict[str, Any]:
    """The actor fields of a change made at this machine's command line."""
    return who(f"cli:{getpass.getuser()}", None, "plateledger node")


@dataclass(frozen=True, slots=True)
class NodeRecord:
    """A registered node, detached from the catalog."""

    name: str
    url: str
    public_key: str
    key_id: str
    agencies: tuple[str, ...]
    created_at: datetime
    revoked_at: datetime | None
    log_key: str | None = None
    witness_key: str | None = None

    @classmethod
    def of(cls, node: Node) -> NodeRecord:
        return cls(
            node.name,
            node.url,
            node.public_key,
            node.key_id,
            tuple(node.agencies),
            node.created_at,
            node.revoked_at,
            node.log_key,
            node.witness_key,
        )


def checked_log_key(text: str) -> str:
    """A log's note verifier key (``origin+id+key``, Ed25519); raise `FederationError`."""
    try:
        NoteVerifier.parse(text)
    except NoteError as exc:
        raise FederationError("invalid_key", f"log key: {exc}") from None
    return text.strip()


def checked_witness_key(text: str) -> str:
    """A witness's cosigner verifier key (``name+id+key``, type 0x04); raise
    `FederationError`."""
    try:
        CosignerVerifier.parse(text)
    except NoteError as exc:
        raise FederationError("invalid_key", f"witness key: {exc}") from None
    return text.strip()


class NodeRegistry:
    """The partner nodes of one catalog."""

    def __init__(self, catalog: Catalog, audit_log: AuditLog) -> None:
        self.catalog = catalog
        self.audit_log = audit_log

    def add(
        self,
        actor: Mapping[str, Any],
        name: str,
        url: str,
        public_key: str,
        agencies: Iterable[str],
        *,
        log_key: str | None = None,
        witness_key: str | None = None,
    ) -> NodeRecord:
        """Register node ``name`` at ``url`` with ``public_key`` (base64, `NodePublicKey`)
        for ``agencies`` (slugs this catalog holds, with their class), and, to witness
        each other's logs, its ``log_key`` and ``witness_key``."""
        key = NodePublicKey.parse(public_key)
        log_key = None if log_key is None else checked_log_key(log_key)
        witness_key = None if witness_key is None else checked_witness_key(witness_key)
        with self.catalog.change() as session:
            self.catalog.note_change(session)
            node = add_node(
                session,
                name,
                url,
                key.text(),
                key.key_id,
                agencies,
                datetime.now(UTC),
                log_key=log_key,
                witness_key=witness_key,
            )
            entry = change_entry(
                NODE_CHANGE,
                actor,
                object="node",
                object_id=name,
                change="add",
                node=name,
                before=None,
                after=node_values(node),
            )
            log_change(self.audit_log, session.connection(), entry)
            return NodeRecord.of(node)

    def revoke(self, actor: Mapping[str, Any], name: str) -> NodeRecord:
        """Revoke node ``name``'s key: its next request is refused."""
        with self.catalog.change() as session:
            self.catalog.note_change(session)
            node, before = revoke_node(session, name, datetime.now(UTC))
            entry = change_entry(
                NODE_CHANGE,
                actor,
                object="node",
                object_id=name,
                change="revoke",
                node=name,
                before=before,
                after=node_values(node),
            )
            log_change(self.audit_log, session.connection(), entry)
            return NodeRecord.of(node)

    def set_log_keys(
        self,
        actor: Mapping[str, Any],
        name: str,
        log_key: str,
        witness_key: str | None = None,
    ) -> NodeRecord:
        """Record node ``name``'s audit-log verifier key (this node then witnesses that log)
        and its witness's cosigner key (this node then sends its checkpoints there;
        ``None`` keeps the one recorded)."""
        log_key = checked_log_key(log_key)
        witness_key = None if witness_key is None else checked_witness_key(witness_key)
        with self.catalog.change() as session:
            self.catalog.note_change(session)
            node, before = set_log_keys(session, name, log_key, witness_key)
            entry = change_entry(
                NODE_CHANGE,
                actor,
                object="node",
                object_id=name,
                change="log_keys",
                node=name,
                before=before,
                after=node_values(node),
            )
            log_change(self.audit_log, session.connection(), entry)
            return NodeRecord.of(node)

    def list(self) -> list[NodeRecord]:
        with self.catalog.change() as session:
            self.catalog.note_change(session)
            return [NodeRecord.of(n) for n in nodes(session)]
