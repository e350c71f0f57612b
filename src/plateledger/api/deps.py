"""Request dependencies: the catalog, who is asking, and what role they need.

Who is asking always comes from the catalog (a bearer token or an API key looked up
there); nothing in a request body or header can set an agency, its class or a role.

- `CurrentUser`: the user of a valid bearer token, or 401 with ``WWW-Authenticate: Bearer``;
- `OptionalUser`: the same, or ``None`` when no token is sent (an invalid token is 401);
- `require_action` (``Depends(require_action(Action.MANAGE_USERS))``): 403 unless the
  policy set lets the user do that action on their own agency — the role pack decides who
  may act at all, so the answer names its rule (``role-manage``); `AdminUser`,
  `UserAdmin`, `AgreementAdmin` and `PolicyExplainer` are the usual ones;
- `require_role`: the older check of a role by name, for routers served without a policy
  engine;
- `CameraKey`: the holder of a valid ``X-API-Key``, or 401;
- `CatalogDep`: the server's `Catalog`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from plateledger.catalog import Catalog, KeyPrincipal, Principal
from plateledger.policy import AccessRequest, Action, OwnerDecision

log = logging.getLogger("plateledger.api")

__all__ = [
    "AdminUser",
    "AgreementAdmin",
    "CameraKey",
    "CatalogDep",
    "CurrentUser",
    "KeyPrincipal",
    "OptionalUser",
    "PolicyExplainer",
    "Principal",
    "UserAdmin",
    "bearer_token",
    "camera_key",
    "current_user",
    "optional_user",
    "own_agency_decision",
    "require_action",
    "require_role",
]

_bearer = HTTPBearer(auto_error=False, description="token from `POST /v1/auth/token`")
_api_key = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="key of a camera or agent"
)


def get_catalog(request: Request) -> Catalog:
    catalog: Catalog = request.app.state.catalog
    return catalog


CatalogDep = Annotated[Catalog, Depends(get_catalog)]
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def _unauthorized(message: str) -> HTTPException:
    return HTTPException(401, detail=message, headers={"WWW-Authenticate": "Bearer"})


def bearer_token(credentials: Credentials) -> str | None:
    """The raw bearer token of the request, if it sent one."""
    return credentials.credentials if credentials is not None else None


def optional_user(catalog: CatalogDep, credentials: Credentials) -> Principal | None:
    """The user of the bearer token; ``None`` without a token; 401 for a bad one."""
    if credentials is None:
        return None
    principal = catalog.user_for_token(credentials.credentials)
    if principal is None:
        raise _unauthorized("the token is not valid, has expired or was revoked")
    return principal


def current_user(user: Annotated[Principal | None, Depends(optional_user)]) -> Principal:
    """The user of the bearer token; 401 when there is none."""
    if user is None:
        raise _unauthorized("log in first: this needs a bearer token")
    return user


CurrentUser = Annotated[Principal, Depends(current_user)]
OptionalUser = Annotated[Principal | None, Depends(optional_user)]


def require_role(*roles: str) -> Callable[[Principal], Principal]:
    """A dependency that passes a user holding any of ``roles`` and answers 403 otherwise."""
    if not roles:
        raise ValueError("require_role needs at least one role")
    wanted = frozenset(roles)
    message = "this needs the role " + " or ".join(f"`{r}`" for r in sorted(wanted))

    def has_role(user: CurrentUser) -> Principal:
        if not user.roles & wanted:
            raise HTTPException(403, detail=message)
        return user

    return has_role


def own_agency_decision(request: Request, user: Principal, action: Action) -> OwnerDecision:
    """What the enforced policy set says about ``user`` doing ``action`` on their own
    agency (administration, the audit log, explanations). 503 when no decision can be made
    (fail closed)."""
    source = getattr(request.app.state, "policy", None)
    if source is None:
        raise HTTPException(503, detail="no policy decision could be made")
    try:
        decision = source.engine().decide(AccessRequest(
            user_id=user.user_id, user_agency_id=user.agency_id,
            requested_by_agency_id=user.agency_id, action=action, purpose=None,
            case_number=None, reason="", lookback_days=0, owners=[user.agency_id],
            now=datetime.now(UTC), user_roles=user.roles,
            acting_for_agency_id=user.acting_for_id,
        ))
    except Exception:
        log.exception("policy decision failed")
        raise HTTPException(503, detail="no policy decision could be made") from None
    verdict: OwnerDecision = decision.per_owner[user.agency_id]
    return verdict


def require_action(action: Action) -> Callable[[Request, Principal], Principal]:
    """A dependency that passes a user whom the policy set lets do ``action`` on their own
    agency, and answers 403 naming the rule that denied otherwise."""

    def allowed(request: Request, user: CurrentUser) -> Principal:
        verdict = own_agency_decision(request, user, action)
        if not verdict.allowed:
            raise HTTPException(
                403, detail=f"`{action.value}` is denied: " + "; ".join(verdict.reasons)
            )
        return user

    return allowed


AdminUser = Annotated[Principal, Depends(require_action(Action.MANAGE_AGENCY))]
"""An admin of their agency: settings, cameras and keys (``manage_agency``)."""
UserAdmin = Annotated[Principal, Depends(require_action(Action.MANAGE_USERS))]
AgreementAdmin = Annotated[Principal, Depends(require_action(Action.MANAGE_AGREEMENTS))]
PolicyExplainer = Annotated[Principal, Depends(require_action(Action.EXPLAIN_POLICY))]


def camera_key(
    catalog: CatalogDep, raw: Annotated[str | None, Depends(_api_key)]
) -> KeyPrincipal:
    """The holder of the ``X-API-Key`` header's key; 401 when missing, unknown or revoked."""
    if not raw:
        raise HTTPException(401, detail="send the camera's key in the `X-API-Key` header")
    principal = catalog.authenticate_api_key(raw)
    if principal is None:
        raise HTTPException(401, detail="the API key is not valid or was revoked")
    return principal


CameraKey = Annotated[KeyPrincipal, Depends(camera_key)]
