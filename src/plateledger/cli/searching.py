"""`plateledger login` and `plateledger search` (over HTTP)."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.table import Table

from plateledger.cli.client import DEFAULT_URL, fail_on_error, load_token, save_token

out = Console()

Url = Annotated[str, typer.Option("--url", envvar="PLATELEDGER_URL", help="server address")]


def login(
    url: Url = DEFAULT_URL,
    username: Annotated[str, typer.Option(prompt=True)] = "",
    password: Annotated[str, typer.Option(prompt=True, hide_input=True)] = "",
    totp: Annotated[str, typer.Option(
        prompt="one-time code (empty if your account has no second factor)",
        help="one-time code from your authenticator; every role that reaches reads or "
             "audit contents needs one",
    )] = "",
) -> None:
    """Log in and keep the token (mode 0600) for later commands; asks for the one-time
    code unless ``--totp`` gives it."""
    response = httpx.post(
        f"{url}/v1/auth/token",
        json={"username": username, "password": password, "totp": totp or None},
        timeout=30,
    )
    body = fail_on_error(response)
    path = save_token(url, body["access_token"])
    out.print(f"logged in; token saved in {path} until {body.get('expires_at')}")


def search(
    plate: Annotated[str | None, typer.Argument(help="plate, or pattern with * and ?")] = None,
    kind: Annotated[str, typer.Option(help="exact, wildcard, fuzzy or area")] = "exact",
    purpose: Annotated[str, typer.Option(help="purpose from the closed list")] = "",
    offense: Annotated[str, typer.Option(
        "--offense", help="NIBRS offense code the search is for (required; e.g. 240, 09A; "
                          "the list: GET /v1/offense-types)")] = "",
    case_number: Annotated[str | None, typer.Option("--case")] = None,
    reason: Annotated[str, typer.Option(help="why you search (it is logged)")] = "",
    requested_by: Annotated[
        str | None, typer.Option(help="slug of the agency you search for")
    ] = None,
    since: Annotated[str | None, typer.Option(help="ISO-8601 time")] = None,
    until: Annotated[str | None, typer.Option(help="ISO-8601 time")] = None,
    camera: Annotated[list[str] | None, typer.Option(help="camera id (repeatable)")] = None,
    region: Annotated[str | None, typer.Option(help="plate state, e.g. CA")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    output: Annotated[str, typer.Option("--output", "-o", help="table, json or csv")] = "table",
    export: Annotated[Path | None, typer.Option(
        help="write every matching read (up to 10,000) to this .csv or .ndjson file; an "
             "export is its own policy decision and audit entry")] = None,
    url: Url = DEFAULT_URL,
    token: Annotated[str | None, typer.Option(envvar="PLATELEDGER_TOKEN")] = None,
) -> None:
    """Search reads on a running server. Every search is decided by policy and logged."""
    params: dict[str, Any] = {"plate": plate, "limit": limit, "offset": offset}
    for name, value in (("since", since), ("until", until), ("region", region)):
        if value:
            params[name] = value
    if camera:
        params["cameras"] = camera
    body = {
        "kind": kind, "params": params, "purpose": purpose, "case_number": case_number,
        "reason": reason, "requested_by": requested_by, "offense_type": offense or None,
    }
    if export is not None:
        _export(url, token, body, export)
        return
    response = httpx.post(
        f"{url}/v1/searches",
        json=body,
        headers={"Authorization": f"Bearer {load_token(url, token)}"},
        timeout=120,
    )
    page = fail_on_error(response)
    if output == "json":
        typer.echo(json.dumps(page, indent=2))
        return
    if output == "csv":
        columns = ["read_id", "ts", "plate", "region", "camera_id", "owner_id", "lat", "lon",
                   "confidence", "distance"]
        writer = csv.DictWriter(sys.stdout, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(page["results"])
        return
    table = Table(title=f"{page['kind']} search: {page['total']} reads "
                        f"(showing {offset + 1}–{offset + len(page['results'])})")
    for column in ("time (UTC)", "plate", "region", "camera", "owner", "lat, lon", "conf"):
        table.add_column(column)
    for r in page["results"]:
        where = "" if r["lat"] is None else f"{r['lat']:.5f}, {r['lon']:.5f}"
        plate_text = r["plate"]
        if r.get("distance") not in (None, 0):
            plate_text += f" (~{r['distance']})"
        table.add_row(r["ts"][:23], plate_text, r["region"], r["camera_id"], str(r["owner_id"]),
                      where, f"{r['confidence']:.2f}")
    out.print(table)
    for owner in page.get("owners", []):
        if not owner["allowed"]:
            out.print(f"[yellow]owner {owner['owner_id']} denied[/yellow]: "
                      f"{', '.join(owner['policy_ids'])}")
    if page.get("audit_index") is not None:
        out.print(f"logged as audit entry {page['audit_index']}")


def _export(url: str, token: str | None, body: dict[str, Any], path: Path) -> None:
    fmt = "ndjson" if path.suffix.lower() in (".ndjson", ".jsonl") else "csv"
    response = httpx.post(
        f"{url}/v1/exports", json={**body, "format": fmt},
        headers={"Authorization": f"Bearer {load_token(url, token)}"}, timeout=600,
    )
    if response.status_code >= 400:
        fail_on_error(response)
    path.write_bytes(response.content)
    exported, total = response.headers.get("x-exported-count"), response.headers.get(
        "x-total-count")
    out.print(f"{exported} of {total} reads written to {path} "
              f"(audit entry {response.headers.get('x-audit-index')})")
    for denied in filter(None, response.headers.get("x-owners-denied", "").split(";")):
        owner, _, ids = denied.partition(":")
        out.print(f"[yellow]owner {owner} denied[/yellow]: {ids}")
