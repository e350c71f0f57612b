"""``plateledger reports``: the statutory reports.

``schedule`` writes every report that is due (Oregon's monthly and quarterly audits within
two days of the end of their period, the annual ones after the year) into the reports
folder and logs each one in the audit log. ``plateledger serve`` does the same on its own
schedule (settings ``reports_schedule``, ``reports_dir``, ``reports_every_minutes``); this
command is for an installation without a running server, or with that schedule off.
``--now`` sets the clock, to write a past period's reports or to check what would be
written. ``--without-store`` writes them without the read store's elements (their
elements then say so), for a store another process holds open.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="Statutory reports: write the ones that are due.",
                  no_args_is_help=True)


@app.command()
def schedule(
    data_dir: Annotated[Path, typer.Option("--data-dir", help="the installation")],
    out: Annotated[Path | None, typer.Option(help="reports folder (default DATA/reports)")]
    = None,
    now: Annotated[str | None, typer.Option(help="the clock, RFC 3339 (default: now)")]
    = None,
    without_store: Annotated[bool, typer.Option(
        help="leave out what the read store holds (active times, plates)")] = False,
) -> None:
    """Write the reports that are due and log each generation."""
    from plateledger.audit import AuditLog, NoteSigner
    from plateledger.catalog import open_catalog
    from plateledger.settings import Settings
    from plateledger.store import ReadStore, StoreLocked
    from plateledger.transparency.writer import write_due

    try:
        clock = datetime.fromisoformat(now) if now else datetime.now(UTC)
    except ValueError:
        typer.echo(f"--now: not an RFC 3339 time: {now!r}", err=True)
        raise typer.Exit(2) from None
    clock = clock if clock.tzinfo else clock.replace(tzinfo=UTC)
    settings = Settings(data_dir=data_dir)
    try:
        store = None if without_store else ReadStore.open(
            data_dir=settings.store_dir, url=settings.store_url,
            partitioning=settings.partitioning)
    except StoreLocked:
        typer.echo(f"`{settings.store_dir}` is in use by a running server, which writes the "
                   "reports that are due itself: stop it, or run this with --without-store to "
                   "leave out what the read store holds", err=True)
        raise typer.Exit(1) from None
    catalog = open_catalog(settings)
    try:
        log = AuditLog(catalog.engine, signer=NoteSigner.load(data_dir))
        log.create_tables()
        written = write_due(log, catalog, out or settings.reports_folder, clock, store=store)
    finally:
        if store is not None:
            store.close()
        catalog.close()
    typer.echo(json.dumps([w.__dict__ for w in written], indent=1))
