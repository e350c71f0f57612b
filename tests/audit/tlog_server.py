"""A real HTTP server (uvicorn, in a thread) over an app holding one test audit log."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from plateledger.api.errors import install_error_handlers
from plateledger.api.routes import audit, tlog
from plateledger.audit import AuditLog
from plateledger.settings import Settings


def tlog_app(log: AuditLog, data_dir: Path) -> FastAPI:
    """The public audit routes and the tlog routes over ``log``, keeping files in ``data_dir``."""
    app = FastAPI()
    install_error_handlers(app)
    app.include_router(audit.router)
    app.include_router(tlog.router)
    app.state.audit_log = log
    app.state.settings = Settings(data_dir=data_dir, secret_key="s" * 32)
    return app


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """Serve ``app`` on a free local port; yield its base URL."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
