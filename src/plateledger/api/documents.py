"""What every answer of the API carries for the browser that opens it.

* An HTML document the API renders (a case report, a statutory report) runs no script
  and cannot be framed (`DOCUMENT_HEADERS`), as the pages cannot.
* An answer under ``/v1/`` is ``Cache-Control: no-store`` unless its route says otherwise
  (`NoStore`): searches, hits, cases, audit entries and analytics carry plates, reasons
  and case numbers that a browser on a shared workstation must not keep. Routes whose
  answers may be kept (the log's immutable tiles, the basemap) set their own.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

DOCUMENT_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'"
)
DOCUMENT_HEADERS = {
    "Content-Security-Policy": DOCUMENT_CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


class NoStore:
    """ASGI middleware: ``Cache-Control: no-store`` on every ``/v1/`` answer that sets no
    ``Cache-Control`` of its own."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope.get("path", "")).startswith("/v1/"):
            await self.app(scope, receive, send)
            return

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if not any(name.lower() == b"cache-control" for name, _ in headers):
                    headers.append((b"cache-control", b"no-store"))
                    message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, sending)
