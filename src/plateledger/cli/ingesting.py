"""`plateledger ingest FILE`: send a file of reads to a running server, with progress."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import httpx
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

from plateledger.cli.client import DEFAULT_URL, err, fail_on_error
from plateledger.ingest.adapters.csv import iter_csv_batches

out = Console()


def ingest(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    key: Annotated[str, typer.Option(envvar="PLATELEDGER_KEY", help="camera or agency API key")],
    url: Annotated[str, typer.Option(envvar="PLATELEDGER_URL")] = DEFAULT_URL,
    batch_size: Annotated[int, typer.Option(min=1, max=10_000)] = 5_000,
) -> None:
    """Send a CSV file of reads (header row; camera_id, ts, plate, confidence, …).

    Bad rows are reported by line number; the good ones are stored.
    """
    total_rows = _count_rows(file)
    accepted = rejected = 0
    with (
        httpx.Client(base_url=url, headers={"X-API-Key": key}, timeout=120) as client,
        Progress(
            "[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
            TimeRemainingColumn(), console=err,
        ) as progress,
    ):
        task = progress.add_task(f"sending {file.name}", total=total_rows)
        for result in iter_csv_batches(file, batch_size):
            for e in result.errors:
                err.print(f"[yellow]{e.field}[/yellow]: {e.message}")
            rejected += len(result.errors)
            if result.submissions:
                payload = [s.model_dump(mode="json") for _, s in result.submissions]
                response = client.post(
                    "/v1/reads", content=json.dumps(payload),
                    headers={"Content-Type": "application/json"},
                )
                body = fail_on_error(response)
                accepted += len(body["accepted"])
                for e in body["errors"]:
                    rejected += 1
                    # the server names the item of the batch it was sent; the file's line
                    # is that item's row (the header is line 1)
                    line = result.submissions[e["index"]][0] + 2
                    field = f": {e['field']}" if e["field"] else ""
                    err.print(f"[yellow]line {line}{field}[/yellow]: {e['message']}")
            progress.advance(task, len(result.submissions) + len(result.errors))
    out.print(f"{accepted} reads stored, {rejected} refused")
    if rejected and not accepted:
        raise typer.Exit(1)


def _count_rows(file: Path) -> int:
    """Data rows in the file (lines less the header), counted in one fast pass."""
    lines = 0
    with file.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            lines += chunk.count(b"\n")
    return max(lines - 1, 0)
