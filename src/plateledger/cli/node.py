"""`plateledger node …`: this node's key, and the partner nodes it answers.

``node key`` prints this node's public key and its fingerprint (the key id), made on
first use under ``<data-dir>/keys/``; partners register it with ``node add``, out of
band. ``node add`` and ``node revoke`` write the change with its audit entry in one
transaction; a revoked node's next request is refused.

For cross-witnessing, ``node key`` also prints this node's audit-log key and witness key;
a partner records them with ``node add --log-key … --witness-key …`` or ``node log-key``,
and ``node witness-status`` shows what this node's witness holds of each partner's log.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from plateledger.audit import AuditLog, NoteSigner
from plateledger.cli.admin import CatalogUrl, DataDir, catalog_at, out, show
from plateledger.federation import FederationError, NodeKey, NodeRegistry
from plateledger.federation.registry import operator
from plateledger.federation.witnessing import witness_cosigner, witness_status
from plateledger.settings import Settings

app = typer.Typer(help="Federation: this node's key and its partner nodes.", no_args_is_help=True)


@app.command("key")
def node_key(data_dir: DataDir = Path("data")) -> None:
    """Print this node's public key and fingerprint (making the key on first use)."""
    key = NodeKey.load_or_create(data_dir)
    out.print(f"public key:  {key.public.text()}")
    out.print(f"fingerprint: {key.public.key_id}")
    # for cross-witnessing: the log's verifier key and this node's witness key (made on
    # first use, as the server makes them); long lines, printed unwrapped
    signer = NoteSigner.load_or_create(data_dir, Settings(data_dir=data_dir).audit_origin)
    typer.echo(f"log key:     {signer.verifier_key()}")
    typer.echo(f"witness key: {witness_cosigner(data_dir / 'witness', signer.name).verifier_key()}")


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
    log_key: Annotated[
        str | None,
        typer.Option(help="its audit log's verifier key (`node key` prints it): witness that log"),
    ] = None,
    witness_key: Annotated[
        str | None,
        typer.Option(help="its witness key (`node key` prints it): send it our checkpoints"),
    ] = None,
    data_dir: DataDir = Path("data"),
    catalog: CatalogUrl = None,
) -> None:
    """Register a partner node, its key and the agencies it answers for."""
    with catalog_at(data_dir, catalog) as opened:
        try:
            node = NodeRegistry(opened, AuditLog(opened.engine, signer=None)).add(
                operator(), name, url, key, agency, log_key=log_key, witness_key=witness_key
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


@app.command("log-key")
def node_log_key(
    name: Annotated[str, typer.Argument(help="the partner node's name")],
    log_key: Annotated[str, typer.Argument(help="its audit log's verifier key")],
    witness_key: Annotated[
        str | None, typer.Option(help="its witness key (default: keep the one recorded)")
    ] = None,
    data_dir: DataDir = Path("data"),
    catalog: CatalogUrl = None,
) -> None:
    """Record a partner node's audit-log key (this node witnesses that log) and its
    witness key (this node sends its checkpoints there)."""
    with catalog_at(data_dir, catalog) as opened:
        try:
            node = NodeRegistry(opened, AuditLog(opened.engine, signer=None)).set_log_keys(
                operator(), name, log_key, witness_key
            )
        except FederationError as exc:
            out.print(f"error: {exc.message}")
            raise typer.Exit(1) from None
        origin = (node.log_key or "").split("+", 1)[0]
        out.print(f"node `{node.name}`: witnessing log `{origin}`")


@app.command("witness-status")
def node_witness_status(
    conflicts: Annotated[
        bool, typer.Option("--conflicts", help="also print each conflicting checkpoint kept")
    ] = False,
    data_dir: DataDir = Path("data"),
    catalog: CatalogUrl = None,
) -> None:
    """What this node's witness holds of each partner's log: the size it last cosigned,
    the last size it was shown, and the conflicting checkpoints it kept as evidence."""
    with catalog_at(data_dir, catalog) as opened:
        found = witness_status(opened, AuditLog(opened.engine, signer=None))
    show(
        "partner logs witnessed",
        ["node", "log", "revoked", "last seen", "last cosigned", "cosigned at", "conflicts"],
        [
            [
                s.node,
                s.origin,
                "yes" if s.revoked else "no",
                s.seen_size,
                s.cosigned_size,
                s.cosigned_at,
                len(s.conflicts),
            ]
            for s in found
        ],
    )
    if conflicts:
        for s in found:
            for c in s.conflicts:
                typer.echo(
                    f"\n{s.node}: conflict at size {c.size} ({c.reason}), seen {c.seen_at}, "
                    f"held size {c.held_size}, audit entry {c.audit_index}"
                )
                typer.echo(c.checkpoint, nl=False)
