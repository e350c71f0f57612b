"""`plateledger node …`: this node's key, and the partner nodes it answers.

``node key`` prints this node's public key and its fingerprint (the key id), made on
first use under ``<data-dir>/keys/``; partners register it with ``node add``, out of
band. ``node add`` and ``node revoke`` write the change with its audit entry in one
transaction; a revoked node's next request is refused.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from plateledger.audit import AuditLog
from plateledger.cli.admin import CatalogUrl, DataDir, catalog_at, out, show
from plateledger.federation import FederationError, NodeKey, NodeRegistry
from plateledger.federation.registry import operator

app = typer.Typer(help="Federation: this node's key and its partner nodes.", no_args_is_help=True)


@app.command("key")
def node_key(data_dir: DataDir = Path("data")) -> None:
    """Print this node's public key and fingerprint (making the key on first use)."""
    key = NodeKey.load_or_create(data_dir)
    out.print(f"public key:  {key.public.text()}")
    out.print(f"fingerprint: {key.public.key_id}")


@app.command("add")
def node_add(
    name: Annotated[str, typer.Argument(help="the partner node's name")],
    url: Annotated[str, typer.Option(help="where the node answers (https://…)")],
    key: Annotated[str, typer.Option(help="its public key, as its `node key` prints it")],
    agency: Annotated[
        list[str],
        typer.Option(
            help="slug of an agency the node answers for (repeat); the agency must be in "
            "this catalog with its class"
        ),
    ],
    data_dir: DataDir = Path("data"),
    catalog: CatalogUrl = None,
) -> None:
    """Register a partner node, its key and the agencies it answers for."""
    with catalog_at(data_dir, catalog) as opened:
        try:
            node = NodeRegistry(opened, AuditLog(opened.engine, signer=None)).add(
                operator(), name, url, key, agency
            )
        except FederationError as exc:
            out.print(f"error: {exc.message}")
            raise typer.Exit(1) from None
        out.print(
            f"registered node `{node.name}` (key {node.key_id}) for {', '.join(node.agencies)}"
        )


@app.command("list")
def node_list(data_dir: DataDir = Path("data"), catalog: CatalogUrl = None) -> None:
    """List the partner nodes, revoked ones too."""
    with catalog_at(data_dir, catalog) as opened:
        nodes = NodeRegistry(opened, AuditLog(opened.engine, signer=None)).list()
        show(
            "nodes",
            ["name", "url", "key id", "agencies", "revoked"],
            [
                [
                    n.name,
                    n.url,
                    n.key_id,
                    ", ".join(n.agencies),
                    None if n.revoked_at is None else n.revoked_at.isoformat(),
                ]
                for n in nodes
            ],
        )


@app.command("revoke")
def node_revoke(
    name: Annotated[str, typer.Argument(help="the partner node's name")],
    data_dir: DataDir = Path("data"),
    catalog: CatalogUrl = None,
) -> None:
    """Revoke a partner node's key: its next request is refused."""
    with catalog_at(data_dir, catalog) as opened:
        node = NodeRegistry(opened, AuditLog(opened.engine, signer=None)).revoke(operator(), name)
        out.print(f"revoked node `{node.name}` (key {node.key_id})")
