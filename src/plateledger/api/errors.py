"""One error shape for every failure, and no stack trace to any client.

``{"error": {"code": "...", "message": "...", "details": [...]}}`` — validation errors list
each bad field with its location.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from plateledger.access.errors import (
    AccessDenied,
    AccessError,
    Conflict,
    FailClosed,
    NotPermitted,
    NotVisible,
    Throttled,
)
from plateledger.audit.changes import ChangeNotLogged
from plateledger.audit.errors import TamperedLogError
from plateledger.plates import PlateError
from plateledger.policy.clocks import RetentionError
from plateledger.store import StoreError

log = logging.getLogger("plateledger.api")


class ApiError(Exception):
    """An error with an HTTP status the handlers raise on purpose."""

    def __init__(self, status: int, code: str, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details


ACCESS_STATUS: tuple[tuple[type[AccessError], int], ...] = (
    (Conflict, 409),
    (AccessDenied, 422),
    (NotVisible, 404),
    (NotPermitted, 403),
    (Throttled, 429),
    (FailClosed, 503),
)
"""The one mapping of how an access ends (`plateledger.access.errors`) to an HTTP status;
the first class that matches wins."""


def access_status(exc: AccessError) -> int:
    for kind, status in ACCESS_STATUS:
        if isinstance(exc, kind):
            return status
    return 500


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        body["details"] = details
    return {"error": body}


def _location(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path")]
    return ".".join(parts)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(
            error_body(exc.code, exc.message, exc.details), status_code=exc.status
        )

    @app.exception_handler(AccessError)
    async def _access_error(request: Request, exc: AccessError) -> JSONResponse:
        wait = {"Retry-After": str(exc.retry_after)} if isinstance(exc, Throttled) else None
        return JSONResponse(
            error_body(exc.code, exc.message, exc.details), status_code=access_status(exc),
            headers=wait
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        details = [
            {"field": _location(tuple(e.get("loc", ()))), "message": str(e.get("msg", ""))}
            for e in exc.errors()
        ]
        return JSONResponse(
            error_body("invalid_request", "the request is not valid", details), status_code=422
        )

    @app.exception_handler(ValidationError)
    async def _model_validation(request: Request, exc: ValidationError) -> JSONResponse:
        details = [
            {"field": _location(tuple(e.get("loc", ()))), "message": str(e.get("msg", ""))}
            for e in exc.errors()
        ]
        return JSONResponse(
            error_body("invalid_request", "the request is not valid", details), status_code=422
        )

    @app.exception_handler(PlateError)
    async def _plate(request: Request, exc: PlateError) -> JSONResponse:
        return JSONResponse(error_body("invalid_plate", str(exc)), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(
            error_body("http_error", str(exc.detail)),
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(ChangeNotLogged)
    async def _not_logged(request: Request, exc: ChangeNotLogged) -> JSONResponse:
        # a change whose entry could not be appended was not made: fail closed, as a
        # search without its entry does (a route that says more catches it itself)
        return JSONResponse(error_body("fail_closed", str(exc)), status_code=503)

    @app.exception_handler(TamperedLogError)
    async def _tampered(request: Request, exc: TamperedLogError) -> JSONResponse:
        log.error("audit log tampered, seen on %s: %s", request.url.path, exc)
        return JSONResponse(error_body("audit_log_tampered", str(exc)), status_code=503)

    @app.exception_handler(RetentionError)
    async def _retention(request: Request, exc: RetentionError) -> JSONResponse:
        # a catalog written before the clocks were checked (a 0-day clock): the agency's
        # reads cannot be given an expiry, so none is taken until an admin sets them
        log.error("retention clocks unusable, seen on %s: %s", request.url.path, exc)
        return JSONResponse(error_body(
            "retention_unavailable",
            f"this agency's retention clocks cannot be worked out ({exc}); nothing of the "
            "request was stored or changed: an administrator must set them again "
            "(PATCH /v1/admin/agency)"), status_code=503)

    @app.exception_handler(StoreError)
    async def _store(request: Request, exc: StoreError) -> JSONResponse:
        log.error("read store error on %s: %s", request.url.path, exc)
        return JSONResponse(
            error_body("store_unavailable", "the read store could not answer; try again"),
            status_code=503,
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s", request.url.path)
        return JSONResponse(
            error_body("internal_error", "an internal error occurred; it has been logged"),
            status_code=500,
        )
