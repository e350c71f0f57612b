"""Registering and revoking partner nodes, each change with its audit entry.

An add or a revoke writes the ``nodes`` row and a ``node_change`` entry (``object``
``node``, ``object_id`` the node's name; before and after: its ``url``, ``key_id``,
``agencies`` and ``revoked_at``) in one transaction of the catalog database, which holds
the audit log (`plateledger.audit.changes`): if the entry cannot be written, nothing is
changed.
"""

from __future__ import annotations

import getpass
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from plateledger.audit import AuditLog
from plateledger.audit.changes import change_entry, log_change, who
from plateledger.catalog import Catalog
from plateledger.catalog.models import Node
from plateledger.catalog.nodes import add_node, node_values, nodes, revoke_node
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
        )


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
    ) -> NodeRecord:
        """Register node ``name`` at ``url`` with ``public_key`` (base64, `NodePublicKey`)
        for ``agencies`` (slugs this catalog holds, with their class)."""
        key = NodePublicKey.parse(public_key)
        with self.catalog.change() as session:
            node = add_node(session, name, url, key.text(), key.key_id, agencies, datetime.now(UTC))
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

    def list(self) -> list[NodeRecord]:
        with self.catalog.change() as session:
            return [NodeRecord.of(n) for n in nodes(session)]
