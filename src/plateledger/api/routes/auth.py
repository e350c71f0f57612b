"""Logging in and out: ``POST /v1/auth/token``, ``POST /v1/auth/logout``, ``GET /v1/me``.

A failed login never says which part was wrong. After five failures in a row of one
username from one source address, that source answers 429 with ``Retry-After`` (15 seconds,
doubling, at most 15 minutes) while other sources still log in; the first wait raises a
``login_backoff`` alarm for the user's agency. Individual accounts only; agency and roles
come from the catalog.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from plateledger.access.alarm import LOGIN_BACKOFF
from plateledger.api.deps import AlarmsDep, CatalogDep, CurrentUser, bearer_token
from plateledger.catalog import AuthError
from plateledger.catalog.accounts import LoginThrottled
from plateledger.catalog.timeutil import utc_now

router = APIRouter(tags=["auth"])


class TokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)
    totp: str | None = Field(default=None, max_length=16, description="one-time code, if needed")


class TokenResponse(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_at: datetime


class Me(BaseModel):
    user_id: int
    username: str
    display_name: str
    roles: list[str]
    agency_id: int
    agency_slug: str
    agency_name: str
    agency_kind: str
    agency_home_state: str


@router.post(
    "/v1/auth/token",
    response_model=TokenResponse,
    summary="Log in with username, password and (where required) a TOTP code",
    responses={401: {"description": "wrong credentials"},
               429: {"description": "too many failures from this address: wait"}},
)
def issue_token(
    request: Request, body: TokenRequest, catalog: CatalogDep, monitor: AlarmsDep
) -> TokenResponse:
    source = request.client.host if request.client is not None else ""
    try:
        user = catalog.authenticate_password(body.username, body.password, body.totp,
                                             source=source)
    except LoginThrottled as exc:
        wait = max(1, math.ceil((exc.until - utc_now()).total_seconds()))
        if exc.started and exc.agency_id is not None:
            monitor.raise_alarm(LOGIN_BACKOFF, body.username, exc.agency_id, exc.failures,
                                source=source, retry_after_seconds=wait)
        raise HTTPException(
            429, detail=f"too many failed logins from this address; try again in {wait} "
            "seconds, or from another device", headers={"Retry-After": str(wait)},
        ) from None
    except AuthError as exc:
        raise HTTPException(401, detail=str(exc), headers={"WWW-Authenticate": "Bearer"}) from None
    issued = catalog.issue_token_record(user)
    return TokenResponse(access_token=issued.raw, expires_at=issued.expires_at)


@router.post("/v1/auth/logout", status_code=204, summary="Revoke the token of this request")
def logout(
    user: CurrentUser, catalog: CatalogDep, token: Annotated[str | None, Depends(bearer_token)]
) -> Response:
    if token is not None:
        catalog.revoke_token(token)
    return Response(status_code=204)


@router.get("/v1/me", response_model=Me, summary="Who the token belongs to, per the catalog")
def me(user: CurrentUser, catalog: CatalogDep) -> Me:
    account = catalog.user(user.user_id)
    agency = catalog.agency(user.agency_id)
    if account is None or agency is None:
        raise HTTPException(401, detail="the account no longer exists")
    return Me(
        user_id=user.user_id, username=user.username, display_name=account.display_name,
        roles=sorted(user.roles), agency_id=agency.id, agency_slug=agency.slug,
        agency_name=agency.name, agency_kind=agency.kind,
        agency_home_state=agency.home_state,
    )
