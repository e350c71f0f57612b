"""`plateledger admin quarantine …` and `plateledger admin camera-alias …`: an agency's
ingest quarantine and camera aliases, over HTTP as the agency's admin (the server owns the
read store a replay writes to; log in first with `plateledger login`).

Each replay, discard, setting and alias change is made by the same route the API offers
and logged there, in the change's transaction.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console

from plateledger.cli.client import DEFAULT_URL, fail_on_error, load_token

app = typer.Typer(
    help="Items an agency's credentials sent that could not be accepted.", no_args_is_help=True
)
alias_app = typer.Typer(
    help="Vendor camera names mapped to registered cameras.", no_args_is_help=True
)

out = Console()

Url = Annotated[str, typer.Option("--url", envvar="PLATELEDGER_URL")]
Token = Annotated[
    str | None, typer.Option("--token", envvar="PLATELEDGER_TOKEN", help="default: the saved login")
]


def _client(url: str, token: str | None) -> httpx.Client:
    return httpx.Client(
        base_url=url, timeout=120, headers={"Authorization": f"Bearer {load_token(url, token)}"}
    )


def _show(value: Any) -> None:
    out.print_json(json.dumps(value, default=str))


@app.command("list")
def quarantine_list(
    status: Annotated[str | None, typer.Option(help="held, replayed or discarded")] = None,
    format: Annotated[str | None, typer.Option("--format", help="openalpr, rekor, …")] = None,
    reason: Annotated[str | None, typer.Option(help="part of a reason")] = None,
    credential: Annotated[str | None, typer.Option(help="a credential's prefix")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 100,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    url: Url = DEFAULT_URL,
    token: Token = None,
) -> None:
    """List your agency's quarantined items, newest first (each listing is logged)."""
    params = {
        k: v
        for k, v in {
            "status": status,
            "format": format,
            "reason": reason,
            "credential": credential,
        }.items()
        if v is not None
    }
    with _client(url, token) as client:
        page = fail_on_error(
            client.get("/v1/admin/quarantine", params=params | {"limit": limit, "offset": offset})
        )
    typer.echo(f"{page['total']} item(s)")
    for item in page["items"]:
        typer.echo(
            f"{item['id']}\t{item['status']}\t{item['format']}\t"
            f"{item['credential_kind']}:{item['credential_prefix']}\t"
            f"{'; '.join(item['reasons'])}"
        )


@app.command("replay")
def quarantine_replay(item_id: int, url: Url = DEFAULT_URL, token: Token = None) -> None:
    """Run an item through ingest again, once its camera alias or camera is fixed."""
    with _client(url, token) as client:
        done = fail_on_error(client.post(f"/v1/admin/quarantine/{item_id}/replay"))
    accepted = done["result"]["accepted"]
    out.print(
        f"item {item_id} replayed: {len(accepted)} read(s) stored ({', '.join(accepted)})",
        markup=False,
        highlight=False,
    )


@app.command("discard")
def quarantine_discard(item_id: int, url: Url = DEFAULT_URL, token: Token = None) -> None:
    """Discard an item (logged)."""
    with _client(url, token) as client:
        fail_on_error(client.post(f"/v1/admin/quarantine/{item_id}/discard"))
    out.print(f"item {item_id} discarded")


def _set(kind: str, prefix: str, enabled: bool, url: str, token: str | None) -> None:
    with _client(url, token) as client:
        fail_on_error(
            client.put(
                f"/v1/admin/quarantine/credentials/{kind}/{prefix}", json={"enabled": enabled}
            )
        )
    out.print(f"quarantine {'on' if enabled else 'off'} for {kind} {prefix}")


@app.command("enable")
def quarantine_enable(
    kind: Annotated[str, typer.Argument(help="api_key or ingest_url")],
    prefix: str,
    url: Url = DEFAULT_URL,
    token: Token = None,
) -> None:
    """Keep what this credential sends that cannot be accepted, instead of refusing it."""
    _set(kind, prefix, True, url, token)


@app.command("disable")
def quarantine_disable(
    kind: Annotated[str, typer.Argument(help="api_key or ingest_url")],
    prefix: str,
    url: Url = DEFAULT_URL,
    token: Token = None,
) -> None:
    """Refuse again what this credential sends that cannot be accepted."""
    _set(kind, prefix, False, url, token)


@alias_app.command("add")
def alias_add(
    source_format: Annotated[str, typer.Argument(help="openalpr, rekor, frigate, …")],
    external_key: Annotated[
        str,
        typer.Argument(
            help="`<site_id>-cam<camera_id>` (openalpr), `<agent_uid>-cam<camera_id>` (rekor), "
            "the camera name (frigate)"
        ),
    ],
    camera_id: Annotated[str, typer.Argument(help="your registered camera")],
    url: Url = DEFAULT_URL,
    token: Token = None,
) -> None:
    """Map a vendor's camera name to one of your cameras (logged)."""
    with _client(url, token) as client:
        fail_on_error(
            client.post(
                "/v1/admin/camera-aliases",
                json={
                    "source_format": source_format,
                    "external_key": external_key,
                    "camera_id": camera_id,
                },
            )
        )
    out.print(f"{source_format} `{external_key}` → {camera_id}", markup=False, highlight=False)


@alias_app.command("list")
def alias_list(url: Url = DEFAULT_URL, token: Token = None) -> None:
    """Your agency's camera aliases."""
    with _client(url, token) as client:
        aliases = fail_on_error(client.get("/v1/admin/camera-aliases"))
    for alias in aliases:
        typer.echo(f"{alias['source_format']}\t{alias['external_key']}\t{alias['camera_id']}")


@alias_app.command("remove")
def alias_remove(
    source_format: str, external_key: str, url: Url = DEFAULT_URL, token: Token = None
) -> None:
    """Remove a camera alias (logged)."""
    with _client(url, token) as client:
        fail_on_error(client.delete(f"/v1/admin/camera-aliases/{source_format}/{external_key}"))
    out.print(f"{source_format} `{external_key}` removed", markup=False, highlight=False)
