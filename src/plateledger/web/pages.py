"""The page routes: server-rendered shells that the ES modules under ``/static`` fill in.

Who may see what is decided by the JSON API, never by these pages: every shell is
public, and the investigator and auditor pages show nothing until the API, called with
the user's bearer token, answers. The transparency page renders the signed checkpoint on
the server, so that it reads without JavaScript.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from plateledger import __version__
from plateledger.hotlist import Category, FileType
from plateledger.web import context

__all__ = ["STATIC_DIR", "TEMPLATE_DIR", "install", "router"]

PACKAGE_DIR = Path(__file__).resolve().parent
STATIC_DIR = PACKAGE_DIR / "static"
TEMPLATE_DIR = PACKAGE_DIR / "templates"

# Only this server's own assets and API: the pages work air-gapped, and an injected
# script or a stray CDN reference fails loudly in the browser instead of leaking.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    )
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}

templates = Jinja2Templates(directory=TEMPLATE_DIR)
router = APIRouter(include_in_schema=False)


def _page(request: Request, template: str, **values: Any) -> HTMLResponse:
    response = templates.TemplateResponse(
        request,
        template,
        {"version": __version__, "page": template.removesuffix(".html"), **values},
        headers=SECURITY_HEADERS,
    )
    return response


@router.get("/", response_class=HTMLResponse)
def landing(request: Request) -> HTMLResponse:
    return _page(request, "index.html")


@router.get("/login", response_class=HTMLResponse)
def login(request: Request) -> HTMLResponse:
    return _page(request, "login.html")


@router.get("/search", response_class=HTMLResponse)
def search(request: Request) -> HTMLResponse:
    return _page(
        request,
        "search.html",
        purposes=context.purposes(),
        agencies=context.agencies(request),
    )


@router.get("/workspace", response_class=HTMLResponse)
def workspace(request: Request) -> HTMLResponse:
    return _page(
        request, "workspace.html", purposes=context.purposes(), agencies=context.agencies(request)
    )


@router.get("/alerts", response_class=HTMLResponse)
def alerts(request: Request) -> HTMLResponse:
    return _page(request, "alerts.html", purposes=context.purposes())


@router.get("/hotlists", response_class=HTMLResponse)
def hotlists(request: Request) -> HTMLResponse:
    return _page(
        request,
        "hotlists.html",
        categories=[c.value for c in Category],
        file_types=[f.value for f in FileType],
    )


@router.get("/reads/{read_id}", response_class=HTMLResponse)
def read_page(request: Request, read_id: uuid.UUID) -> HTMLResponse:
    return _page(
        request,
        "read.html",
        read_id=str(read_id),
        purposes=context.purposes(),
        agencies=context.agencies(request),
    )


@router.get("/cameras", response_class=HTMLResponse)
def cameras(request: Request) -> HTMLResponse:
    return _page(request, "cameras.html")


@router.get("/transparency", response_class=HTMLResponse)
def transparency(request: Request) -> HTMLResponse:
    return _page(
        request,
        "transparency.html",
        checkpoint=context.checkpoint(request),
        purposes=context.purposes(),
        agencies=context.agencies(request),
    )


@router.get("/audit", response_class=HTMLResponse)
def audit(request: Request) -> HTMLResponse:
    return _page(
        request,
        "audit.html",
        purposes=context.purposes(),
        agencies=context.agencies(request),
    )


@router.get("/approvals", response_class=HTMLResponse)
def approvals(request: Request) -> HTMLResponse:
    return _page(request, "approvals.html")


@router.get("/cases", response_class=HTMLResponse)
def cases(request: Request) -> HTMLResponse:
    return _page(request, "cases.html")


@router.get("/cases/{number}", response_class=HTMLResponse)
def case_page(request: Request, number: str) -> HTMLResponse:
    return _page(request, "case.html", number=number[:64])


def _has_pages(app: FastAPI) -> bool:
    for route in app.router.routes:
        # FastAPI may keep an included router whole, or copy its routes one by one.
        if getattr(route, "original_router", None) is router:
            return True
        if getattr(route, "path", None) == "/transparency":
            return True
    return False


def install(app: FastAPI) -> None:
    """Add the page routes and the ``/static`` assets to ``app``; a second call is a no-op."""
    if not _has_pages(app):
        from plateledger.web.portal import router as portal_router

        app.include_router(router)
        app.include_router(portal_router)
    if not any(getattr(route, "path", None) == "/static" for route in app.router.routes):
        app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
