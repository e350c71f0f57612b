"""The API's documentation pages, /docs (Swagger UI) and /redoc (ReDoc), served offline.

Both pages load their scripts and styles from the copies vendored from the npm registry into
``web/static/vendor`` (swagger-ui-dist and redoc, pinned in package.json, with their
LICENSE files), never from a CDN, so that they work on an air-gapped network. The pages hold
no data: they render the public OpenAPI schema, so no policy decision is involved.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse

router = APIRouter(include_in_schema=False)

OPENAPI_URL = "/openapi.json"
SWAGGER = "/static/vendor/swagger-ui"
REDOC = "/static/vendor/redoc"
OAUTH2_REDIRECT = "/docs/oauth2-redirect"


@router.get("/docs", response_class=HTMLResponse)
def swagger_ui() -> HTMLResponse:
    """Swagger UI over the OpenAPI schema, from the vendored swagger-ui-dist files."""
    return get_swagger_ui_html(
        openapi_url=OPENAPI_URL,
        title="plateledger — API",
        swagger_js_url=f"{SWAGGER}/swagger-ui-bundle.js",
        swagger_css_url=f"{SWAGGER}/swagger-ui.css",
        swagger_favicon_url=f"{SWAGGER}/favicon-32x32.png",
        oauth2_redirect_url=OAUTH2_REDIRECT,
    )


@router.get(OAUTH2_REDIRECT, response_class=HTMLResponse)
def swagger_ui_redirect() -> HTMLResponse:
    """Swagger UI's OAuth2 redirect page (inline script, nothing fetched)."""
    return get_swagger_ui_oauth2_redirect_html()


@router.get("/redoc", response_class=HTMLResponse)
def redoc() -> HTMLResponse:
    """ReDoc over the OpenAPI schema, from the vendored redoc.standalone.js; no web fonts."""
    return get_redoc_html(
        openapi_url=OPENAPI_URL,
        title="plateledger — API reference",
        redoc_js_url=f"{REDOC}/redoc.standalone.js",
        redoc_favicon_url=f"{SWAGGER}/favicon-32x32.png",
        with_google_fonts=False,
    )
