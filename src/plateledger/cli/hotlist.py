"""`plateledger hotlist`: import and list hot lists on a running server (over HTTP)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import httpx
import typer
from rich.console import Console
from rich.table import Table

from plateledger.cli.client import DEFAULT_URL, fail_on_error, load_token

app = typer.Typer(help="Hot lists: import CSV or NCIC-style files, list them.")
out = Console()

Url = Annotated[str, typer.Option("--url", envvar="PLATELEDGER_URL", help="server address")]
Token = Annotated[str | None, typer.Option("--token", envvar="PLATELEDGER_TOKEN")]


@app.command("import")
def import_file(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    name: Annotated[str, typer.Option(help="list name (an existing list is replaced)")],
    category: Annotated[str, typer.Option(help="e.g. stolen_vehicle, warrant, amber_alert")],
    source: Annotated[str, typer.Option(help="where the list comes from, e.g. an NCIC file")] = "",
    description: Annotated[str, typer.Option(help="what the list is for")] = "",
    fmt: Annotated[str, typer.Option("--format", help="auto, csv, ncic-pipe or ncic-fixed")] = (
        "auto"
    ),
    refuse: Annotated[bool, typer.Option(help="refuse the whole file if a row is bad")] = False,
    append: Annotated[bool, typer.Option(help="add to the list instead of replacing it")] = False,
    file_type: Annotated[str, typer.Option(
        "--file-type", help="the file the list comes from: ncic_stolen_vehicle, state, local …"
    )] = "unspecified",
    url: Url = DEFAULT_URL,
    token: Token = None,
) -> None:
    """Upload a hot-list file; bad rows are listed by line number."""
    with file.open("rb") as handle:
        response = httpx.post(
            f"{url}/v1/hotlists/import",
            headers={"Authorization": f"Bearer {load_token(url, token)}"},
            files={"file": (file.name, handle, "text/plain")},
            data={"name": name, "category": category, "source": source or file.name,
                  "description": description,
                  "format": fmt, "replace": str(not append).lower(),
                  "on_error": "refuse" if refuse else "keep", "file_type": file_type},
            timeout=600,
        )  # fmt: skip
    report = fail_on_error(response)
    out.print(
        f"list {report['list_id']} `{report['name']}`: {report['imported']} of "
        f"{report['rows']} rows imported ({report['already_expired']} already expired)"
    )
    for error in report["errors"]:
        out.print(f"  line {error['line']}: {error['message']}")
    if report.get("flags"):
        out.print(
            f"[yellow]screening flagged this list ({', '.join(report['flags'])}); "
            f"{report['flagged_entries']} entries on their own words. Policy will see the "
            f"class {', '.join(report['screened_classes'])}.[/yellow]"
        )


@app.command("list")
def list_hotlists(url: Url = DEFAULT_URL, token: Token = None) -> None:
    """The hot lists of your agency."""
    response = httpx.get(
        f"{url}/v1/hotlists",
        headers={"Authorization": f"Bearer {load_token(url, token)}"},
        timeout=30,
    )
    lists = fail_on_error(response)
    table = Table("id", "name", "category", "screened as", "source", "entries", "updated")
    for item in lists:
        table.add_row(str(item["id"]), item["name"], item["category"], item["screened_class"],
                      item["source"], str(item["entry_count"]), item["updated_at"])  # fmt: skip
    out.print(table)


@app.command("share")
def share(
    list_id: Annotated[int, typer.Argument(help="a list of your agency")],
    node: Annotated[str, typer.Option(help="a registered partner node (`plateledger node list`)")],
    url: Url = DEFAULT_URL,
    token: Token = None,
) -> None:
    """Share a list with a partner node: the node matches its reads against it and sends
    the hits its policy allows (docs/federation.md, "Hot lists across nodes")."""
    response = httpx.post(
        f"{url}/v1/hotlists/{list_id}/shares",
        headers={"Authorization": f"Bearer {load_token(url, token)}"},
        json={"node": node},
        timeout=60,
    )
    _print_share(fail_on_error(response))


@app.command("unshare")
def unshare(
    list_id: Annotated[int, typer.Argument(help="a list of your agency")],
    node: Annotated[str, typer.Option(help="the partner node to take it back from")],
    url: Url = DEFAULT_URL,
    token: Token = None,
) -> None:
    """End a share: the node is told to drop the list."""
    response = httpx.delete(
        f"{url}/v1/hotlists/{list_id}/shares/{node}",
        headers={"Authorization": f"Bearer {load_token(url, token)}"},
        timeout=60,
    )
    _print_share(fail_on_error(response))


@app.command("shares")
def shares(
    list_id: Annotated[int, typer.Argument(help="a list of your agency")],
    url: Url = DEFAULT_URL,
    token: Token = None,
) -> None:
    """The nodes a list is shared with, and whether each holds it as it is now."""
    response = httpx.get(
        f"{url}/v1/hotlists/{list_id}/shares",
        headers={"Authorization": f"Bearer {load_token(url, token)}"},
        timeout=30,
    )
    table = Table("node", "shared", "unshared", "version held", "up to date", "last error")
    for item in fail_on_error(response):
        table.add_row(item["node"], item["shared_at"], item["unshared_at"] or "",
                      str(item["pushed_version"]), "yes" if item["current"] else "no",
                      item["last_error"])  # fmt: skip
    out.print(table)


def _print_share(answer: dict[str, object]) -> None:
    state = answer["share"]
    assert isinstance(state, dict)
    ended = " (unshared)" if state["unshared_at"] else ""
    held = "holds it as it is now" if state["current"] else "does not hold it as it is yet"
    out.print(f"list {state['list_id']} with node `{state['node']}`{ended}: the node {held}")
    pushes = answer.get("pushes")
    for push in pushes if isinstance(pushes, list) else []:
        code = f" ({push['code']})" if push.get("code") else ""
        out.print(f"  push {push['change']} v{push['version']}: {push['outcome']}{code}")
