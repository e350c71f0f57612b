"""`plateledger serve`: the API server, one process owning the data directory."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from pydantic import ValidationError

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
    # One process and no reloader: chDB is neither multi-process nor fork-safe. The C
    # HTTP parser (httptools) rather than the pure-Python one: every request is parsed on
    # the event loop, which the searches' Python shares.
    uvicorn.run(
        create_app(settings, settle_heap=True), host=settings.host, port=settings.port, workers=1,
        http="httptools", log_level="info", access_log=False,
    )


def serve(
    data_dir: DataDir = Path("data"),
    store: StoreUrl = None,
    catalog: CatalogUrl = None,
    host: Annotated[str, typer.Option(envvar="PLATELEDGER_HOST")] = "127.0.0.1",
    port: Annotated[int, typer.Option(envvar="PLATELEDGER_PORT", min=1, max=65535)] = 8080,
    public_url: Annotated[str | None, typer.Option(
        envvar="PLATELEDGER_PUBLIC_URL",
        help="this node's URL as partner nodes register it (default http://HOST:PORT): "
        "a partner's request is answered only if signed for it")] = None,
) -> None:
    """Serve the API (and the web pages) on HOST:PORT."""
    try:
        settings = settings_from(data_dir, store, catalog, host=host, port=port,
                                 public_url=public_url)
    except ValidationError as exc:
        problems = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
        raise typer.BadParameter(problems) from None
    run_server(settings)


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
