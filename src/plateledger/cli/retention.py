"""``plateledger retention``: run a purge, show the clocks, list, place and release holds.

A running server owns the data directory, so these commands talk to it over HTTP
(``--url``). ``run --data-dir`` purges a local installation whose server is stopped: it
opens ``<data-dir>/store`` and the audit log in ``<data-dir>/catalog.sqlite`` directly,
and honours the stamped expiry of each read and the active legal holds.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import create_engine

from plateledger.cli.client import DEFAULT_URL, fail_on_error, load_token

app = typer.Typer(
    help="Retention: purge expired reads, show retention clocks, manage legal holds.",
    no_args_is_help=True,
)
holds_app = typer.Typer(help="Legal holds: reads kept past their clock for a case.",
                        no_args_is_help=True)
app.add_typer(holds_app, name="holds")
out = Console()
errors = Console(stderr=True)

Url = Annotated[str, typer.Option("--url", envvar="PLATELEDGER_URL", help="server address")]
Token = Annotated[str | None, typer.Option(envvar="PLATELEDGER_TOKEN", help="access token")]
DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", help="purge this local installation directly (server stopped)"),
]


def _call(method: str, url: str, path: str, token: str | None, body: Any = None) -> Any:
    headers = {"Authorization": f"Bearer {load_token(url, token)}"}
    try:
        response = httpx.request(method, f"{url.rstrip('/')}{path}", json=body,
                                 headers=headers, timeout=600)
    except httpx.HTTPError as exc:
        errors.print(f"[red]cannot reach {url}[/red]: {exc}")
        raise typer.Exit(1) from None
    return fail_on_error(response)


def _print_receipt(receipt: dict[str, Any]) -> None:
    out.print(
        f"deleted {receipt['rows_deleted']:,} rows "
        f"({receipt['rows_in_dropped_partitions']:,} in {len(receipt['partitions_dropped'])} "
        f"dropped partitions, {receipt['rows_deleted_in_place']:,} in place); "
        f"{len(receipt['holds_honoured'])} holds honoured; "
        f"receipt at audit index {receipt['audit_index']}"
    )


def _run_local(data_dir: Path) -> dict[str, Any]:
    from plateledger.audit import AuditLog, NoteSigner
    from plateledger.retention import HoldStore, create_tables, purge
    from plateledger.settings import Settings
    from plateledger.store import ReadStore, StoreLocked
    from plateledger.store.images import open_image_store

    settings = Settings(data_dir=data_dir)
    try:
        store = ReadStore.open(data_dir=settings.store_dir, partitioning=settings.partitioning)
    except StoreLocked:
        typer.echo(f"`{settings.store_dir}` is in use by a running server: run the purge "
                   "through it instead (`plateledger retention run --url URL`, as an "
                   "administrator), or stop it first", err=True)
        raise typer.Exit(1) from None
    engine = create_engine(settings.catalog_database_url)
    try:
        audit_log = AuditLog(engine, signer=NoteSigner.load(data_dir))
        audit_log.create_tables()
        create_tables(engine)
        now = datetime.now(UTC)
        holds = HoldStore(engine, audit_log).active(now)
        images = open_image_store(settings.images_url, settings.images_dir)
        return purge(store, now, {}, holds, audit_log, images).model_dump(mode="json")
    finally:
        store.close()
        engine.dispose()


@app.command()
def run(
    url: Url = DEFAULT_URL,
    token: Token = None,
    data_dir: DataDir = None,
    output: Annotated[str, typer.Option("--output", "-o", help="text or json")] = "text",
) -> None:
    """Purge expired reads now and print the deletion receipt (administrators only)."""
    if data_dir is not None:
        receipt = _run_local(data_dir)
    else:
        receipt = _call("POST", url, "/v1/retention/run", token)
    if output == "json":
        out.print_json(json.dumps(receipt))
    else:
        _print_receipt(receipt)


@app.command()
def show(url: Url = DEFAULT_URL, token: Token = None) -> None:
    """Show each owner agency's retention clocks and where they come from."""
    body = _call("GET", url, "/v1/retention/policies", token)
    table = Table("owner", "non-hit", "hit", "images", "audit log", "non-hits searchable",
                  "set by")
    for owner, p in body["policies"].items():
        table.add_row(
            owner, _duration(p["non_hit_s"]), _duration(p["hit_s"]), _duration(p["images_s"]),
            _duration(p["audit_log_s"]), "yes" if p["non_hits_searchable"] else "no",
            ", ".join(p["sources"]),
        )
    out.print(table)


def _duration(seconds: int) -> str:
    if seconds % 86400 == 0:
        return f"{seconds // 86400} d"
    return f"{seconds // 60} min"


@holds_app.command("list")
def list_holds(url: Url = DEFAULT_URL, token: Token = None) -> None:
    """List your agency's legal holds (another agency's are its own to list)."""
    body = _call("GET", url, "/v1/retention/holds", token)
    table = Table("hold", "case", "owner", "case agency", "approver", "expires", "active")
    for h in body["holds"]:
        table.add_row(h["hold_id"], h["case_number"], str(h["owner_agency"]),
                      str(h["case_agency"]), h["approver"], h["expires_at"],
                      "yes" if h["active"] else "no")
    out.print(table)


@holds_app.command("place")
def place(
    case_number: Annotated[str, typer.Option("--case", help="case number")],
    reason: Annotated[str, typer.Option(help="why the reads must be kept (it is logged)")],
    expires: Annotated[str, typer.Option(help="ISO-8601 time the hold ends")],
    plate: Annotated[list[str] | None, typer.Option(help="plate to keep (repeatable)")] = None,
    since: Annotated[str | None, typer.Option(help="ISO-8601 start of a time range")] = None,
    until: Annotated[str | None, typer.Option(help="ISO-8601 end of a time range")] = None,
    read_id: Annotated[list[str] | None, typer.Option(help="read id (repeatable)")] = None,
    case_agency: Annotated[str | None, typer.Option(
        help="slug of the agency whose case it is (default: yours); only its searches for "
             "the case number reach the held copies")] = None,
    url: Url = DEFAULT_URL,
    token: Token = None,
) -> None:
    """Place a legal hold; you are recorded as its approving supervisor."""
    body = {
        "case_number": case_number, "reason": reason, "expires_at": expires,
        "plates": plate or [], "since": since, "until": until, "read_ids": read_id or [],
        "case_agency": case_agency,
    }
    hold = _call("POST", url, "/v1/retention/holds", token, body)
    out.print(f"hold {hold['hold_id']} placed for case {hold['case_number']}")


@holds_app.command("release")
def release(
    hold_id: Annotated[str, typer.Argument(help="hold id")],
    reason: Annotated[str, typer.Option(help="why the hold ends (it is logged)")],
    url: Url = DEFAULT_URL,
    token: Token = None,
) -> None:
    """Release a legal hold; its held copies are deleted at the next purge."""
    hold = _call("POST", url, f"/v1/retention/holds/{hold_id}/release", token,
                 {"reason": reason})
    out.print(f"hold {hold['hold_id']} released")
