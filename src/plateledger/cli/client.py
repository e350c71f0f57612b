"""Talking to a running server: CLI commands that need its data go over HTTP, because the
server's process owns the data directory."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import httpx
import typer
from rich.console import Console

DEFAULT_URL = "http://127.0.0.1:8080"
err = Console(stderr=True)


def credentials_file() -> Path:
    base = Path(os.environ.get("XDG_CONFIG_HOME", Path.home() / ".config"))
    return base / "plateledger" / "credentials.json"


def save_token(url: str, token: str) -> Path:
    path = credentials_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    saved: dict[str, str] = {}
    if path.exists():
        saved = json.loads(path.read_text())
    saved[url.rstrip("/")] = token
    path.touch(mode=0o600, exist_ok=True)
    path.write_text(json.dumps(saved, indent=2))
    path.chmod(0o600)
    return path


def load_token(url: str, token: str | None) -> str:
    if token:
        return token
    env = os.environ.get("PLATELEDGER_TOKEN")
    if env:
        return env
    path = credentials_file()
    saved: dict[str, Any] = {}
    if path.exists():
        saved = json.loads(path.read_text())
        found = saved.get(url.rstrip("/"))
        if isinstance(found, str):
            return found
    err.print(f"[red]not logged in to {url}[/red]: run `plateledger login --url {url}`",
              highlight=False, soft_wrap=True)
    others = sorted(u for u, t in saved.items() if isinstance(t, str))
    if others:  # logged in elsewhere: most likely the server meant
        err.print(f"logged in to {', '.join(others)}: pass `--url {others[-1]}` (or set "
                  "PLATELEDGER_URL) to use it", highlight=False, soft_wrap=True)
    raise typer.Exit(2)


def fail_on_error(response: httpx.Response) -> Any:
    """The JSON body, or a readable error and exit code 1."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.is_success:
        return body
    message = response.text[:300]
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        error = body["error"]
        message = f"{error.get('message')}"
        for detail in error.get("details") or []:
            if isinstance(detail, dict):
                where = detail.get("field") or detail.get("index", "")
                message += f"\n  - {where}: {detail.get('message')}"
    err.print(f"[red]error {response.status_code}[/red]: {message}")
    raise typer.Exit(1)
