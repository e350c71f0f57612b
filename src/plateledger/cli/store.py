"""`plateledger store …`: schema for a ClickHouse server or cluster."""

from __future__ import annotations

from typing import Annotated

import typer

from plateledger.store.candidates import candidates_ddl, cluster_candidates_ddl
from plateledger.store.schema import (
    camera_hours_ddl,
    cluster_ddl,
    plates_ddl,
    reads_ddl,
    replicated_engine,
)

app = typer.Typer(help="The read store's schema.", no_args_is_help=True)


@app.command("ddl")
def ddl(
    cluster: Annotated[
        str | None, typer.Option(help="print the cluster variant for this cluster name")
    ] = None,
    database: Annotated[str, typer.Option(help="database name")] = "plateledger",
    partitioning: Annotated[str, typer.Option(help="month, week or day")] = "month",
) -> None:
    """Print the CREATE statements (ReplicatedMergeTree shards behind a Distributed table
    when --cluster is given)."""
    if partitioning not in ("month", "week", "day"):
        raise typer.BadParameter("partitioning must be month, week or day")
    part = partitioning  # narrowed by the check above
    if cluster:
        statements = [
            *cluster_ddl(database, cluster, partitioning=part),  # type: ignore[arg-type]
            *cluster_candidates_ddl(database, cluster, replicated_engine(database)),
        ]
    else:
        statements = [
            f"CREATE DATABASE IF NOT EXISTS {database}",
            reads_ddl(database, partitioning=part),  # type: ignore[arg-type]
            *plates_ddl(database),
            *camera_hours_ddl(database),
            *candidates_ddl(database),
        ]
    typer.echo(";\n\n".join(statements) + ";")
