"""`plateledger serve`: the API server, one process owning the data directory."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
import uvicorn

from plateledger.api import create_app
from plateledger.settings import Settings

DataDir = Annotated[
    Path, typer.Option("--data-dir", envvar="PLATELEDGER_DATA_DIR", help="where data lives")
]
StoreUrl = Annotated[
    str | None,
    typer.Option("--store", envvar="PLATELEDGER_STORE_URL",
                 help="clickhouse://user:pass@host:8123/db (default: embedded chDB)"),
]
CatalogUrl = Annotated[
    str | None,
    typer.Option("--catalog", envvar="PLATELEDGER_CATALOG_URL",
                 help="postgresql+psycopg://… (default: SQLite in the data directory)"),
]


def settings_from(
    data_dir: Path, store: str | None, catalog: str | None, **overrides: object
) -> Settings:
    return Settings.model_validate(
        {"data_dir": data_dir, "store_url": store, "catalog_url": catalog, **overrides}
    )


def run_server(settings: Settings) -> None:
    # One process and no reloader: chDB is neither multi-process nor fork-safe.
    uvicorn.run(
        create_app(settings, settle_heap=True), host=settings.host, port=settings.port, workers=1,
        log_level="info", access_log=False,
    )


def serve(
    data_dir: DataDir = Path("data"),
    store: StoreUrl = None,
    catalog: CatalogUrl = None,
    host: Annotated[str, typer.Option(envvar="PLATELEDGER_HOST")] = "127.0.0.1",
    port: Annotated[int, typer.Option(envvar="PLATELEDGER_PORT")] = 8080,
) -> None:
    """Serve the API (and the web pages) on HOST:PORT."""
    run_server(settings_from(data_dir, store, catalog, host=host, port=port))


def openapi(
    out: Annotated[Path | None, typer.Option(help="write here instead of standard output")] = None,
) -> None:
    """Print the HTTP API's OpenAPI schema (the same as a server's /openapi.json)."""
    import json

    schema = create_app(Settings()).openapi()
    text = json.dumps(schema, indent=2, sort_keys=True) + "\n"
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text)
