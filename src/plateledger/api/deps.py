"""Request dependencies: the catalog, who is asking, and what role they need.

Who is asking always comes from the catalog (a bearer token or an API key looked up
there); nothing in a request body or header can set an agency, its class or a role.

- `CurrentUser`: the user of a valid bearer token, or 401 with ``WWW-Authenticate: Bearer``;
- `OptionalUser`: the same, or ``None`` when no token is sent (an invalid token is 401);
- `require_action` (``Depends(require_action(Action.MANAGE_USERS))``): 403 unless the
  policy set lets the user do that action on their own agency — the role pack decides who
  may act at all, so the answer names its rule (``role-manage``); `AdminUser`,
  `UserAdmin`, `AgreementAdmin` and `PolicyExplainer` are the usual ones;
- `CameraKey`: the holder of a valid ``X-API-Key``, or 401;
- the server's services, typed: `SettingsDep`, `CatalogDep`, `StoreDep`, `AuditLogDep`,
  `GateDep`, `PolicyDep`, `HotlistDep`, `RetentionDep`, `HoldsDep`, `ImagesDep`,
  `AlarmsDep`, `IngestDep`, `AdminChangesDep`. The app factory installs them
  (`Resources.install`); a route whose service is missing answers 503, never a silently
  skipped decision or entry.

Routes and pages reach the server's services only through these aliases (or `service`):
nothing else reads ``app.state``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

from fastapi import Depends, HTTPException, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from starlette.requests import HTTPConnection

from plateledger.access import AccessGate
from plateledger.access.admin_changes import AdminChanges
from plateledger.access.alarm import AlarmMonitor
from plateledger.access.policy_source import PolicySource, may_act
from plateledger.api.errors import ApiError
from plateledger.api.resources import Ingest
from plateledger.audit import AuditLog
from plateledger.catalog import Catalog, KeyPrincipal, Principal
from plateledger.federation import NodeLink
from plateledger.hotlist import HotlistRuntime
from plateledger.policy import Action
from plateledger.retention import HoldStore, RetentionScheduler
from plateledger.settings import Settings
from plateledger.store import ReadStore
from plateledger.store.images import CropStore

log = logging.getLogger("plateledger.api")

__all__ = [
    "AdminChangesDep",
    "AdminUser",
    "AgreementAdmin",
    "AlarmsDep",
    "AuditLogDep",
    "CameraKey",
    "CatalogDep",
    "CurrentUser",
    "GateDep",
    "HoldsDep",
    "HotlistDep",
    "ImagesDep",
    "IngestDep",
    "KeyPrincipal",
    "OptionalUser",
    "PolicyDep",
    "PolicyExplainer",
    "Principal",
    "RetentionDep",
    "SettingsDep",
    "StoreDep",
    "UserAdmin",
    "bearer_token",
    "camera_key",
    "current_user",
    "optional_user",
    "require_action",
    "service",
]

_bearer = HTTPBearer(auto_error=False, description="token from `POST /v1/auth/token`")
_api_key = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="key of a camera or agent"
)


T = TypeVar("T")

def service(connection: HTTPConnection, name: str, kind: type[T]) -> T | None:
    """The server's service ``name`` if it is installed and a ``kind``; ``None`` otherwise
    (for the public page shells, which leave out what is not running)."""
    found = getattr(connection.app.state, name, None)
    return found if isinstance(found, kind) else None


def _required(name: str, kind: type[T], what: str) -> Callable[[Request], T]:
    def get(request: Request) -> T:
        found = service(request, name, kind)
        if found is None:
            # Fail closed: a missing service is never a skipped decision or entry.
            raise ApiError(503, "service_unavailable",
                           f"{what} is not running on this server")
        return found

    get.__name__ = f"get_{name}"
    return get


get_catalog = _required("catalog", Catalog, "the catalog")
get_store = _required("store", ReadStore, "the read store")
get_audit_log = _required("audit_log", AuditLog, "the audit log")
get_gate = _required("access", AccessGate, "the access gate")
get_policy = _required("policy", PolicySource, "the policy engine")
get_hotlist = _required("hotlist", HotlistRuntime, "the hot-list runtime")
get_retention = _required("retention", RetentionScheduler, "retention")
get_alarms = _required("alarms", AlarmMonitor, "the alarm monitor")
get_ingest = _required("ingest", Ingest, "ingest")
get_settings = _required("settings", Settings, "the settings")
get_node_link = _required("node_link", NodeLink, "federation")


def _looked_up(get: Callable[[Request], T]) -> Callable[[Request], Awaitable[T]]:
    """``get`` as the dependency routes use. FastAPI runs a plain function's dependency on
    a worker thread, one hop per dependency per request (two fifths of the dependency
    time of a partner node's search, sampled); finding an installed service never blocks,
    so it runs on the event loop. ``get`` itself stays callable for code that has the
    request in hand."""

    async def dependency(request: Request) -> T:
        return get(request)

    dependency.__name__ = get.__name__
    dependency.__doc__ = get.__doc__
    return dependency


_catalog = _looked_up(get_catalog)
_audit_log = _looked_up(get_audit_log)
_policy = _looked_up(get_policy)
_retention = _looked_up(get_retention)


async def get_images(request: Request) -> CropStore:
    """The image store (a protocol: any object the factory installed as ``images``)."""
    found: CropStore | None = getattr(request.app.state, "images", None)
    if found is None:
        raise ApiError(503, "service_unavailable", "the image store is not running on this "
                       "server")
    return found


async def get_holds(retention: Annotated[RetentionScheduler, Depends(_retention)]) -> HoldStore:
    return retention.holds


async def get_admin_changes(
    catalog: Annotated[Catalog, Depends(_catalog)],
    audit_log: Annotated[AuditLog, Depends(_audit_log)],
    policy: Annotated[PolicySource, Depends(_policy)],
) -> AdminChanges:
    """Administrative changes, each atomic with its entry, in force for the next request."""
    return AdminChanges(catalog, audit_log, on_change=policy.invalidate)


SettingsDep = Annotated[Settings, Depends(_looked_up(get_settings))]
NodeLinkDep = Annotated[NodeLink, Depends(_looked_up(get_node_link))]
CatalogDep = Annotated[Catalog, Depends(_catalog)]
StoreDep = Annotated[ReadStore, Depends(_looked_up(get_store))]
AuditLogDep = Annotated[AuditLog, Depends(_audit_log)]
GateDep = Annotated[AccessGate, Depends(_looked_up(get_gate))]
PolicyDep = Annotated[PolicySource, Depends(_policy)]
HotlistDep = Annotated[HotlistRuntime, Depends(_looked_up(get_hotlist))]
RetentionDep = Annotated[RetentionScheduler, Depends(_retention)]
HoldsDep = Annotated[HoldStore, Depends(get_holds)]
AlarmsDep = Annotated[AlarmMonitor, Depends(_looked_up(get_alarms))]
IngestDep = Annotated[Ingest, Depends(_looked_up(get_ingest))]
ImagesDep = Annotated[CropStore, Depends(get_images)]
AdminChangesDep = Annotated[AdminChanges, Depends(get_admin_changes)]
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


async def current_user(user: Annotated[Principal | None, Depends(optional_user)]) -> Principal:
    """The user of the bearer token; 401 when there is none."""
    if user is None:
        raise _unauthorized("log in first: this needs a bearer token")
    return user


CurrentUser = Annotated[Principal, Depends(current_user)]
OptionalUser = Annotated[Principal | None, Depends(optional_user)]


def require_action(action: Action) -> Callable[[PolicySource, Principal], Principal]:
    """A dependency that passes a user whom the policy set lets do ``action`` on their own
    agency, and answers 403 naming the rule that denied otherwise."""

    def allowed(source: PolicyDep, user: CurrentUser) -> Principal:
        verdict = may_act(source, user, action)
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
