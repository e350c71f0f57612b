"""Page tokens: the later pages of one search are logged as its pages, not as new searches.

Every page of a search is an access: decided again (an agreement may have ended since the
first page) and logged before it is answered. Asked with a plain `offset`, a page looked
like a search of its own, so paging through 1,000 results counted ten searches on the
agency's portal and reports. A search's answer now carries a `page_token`; a later page
asked with it, by the same user, for the same search (everything but `params.offset` and
`params.limit` the same), is logged with ``page_of``: the search UUID of the first page.
A token is good for `TOKEN_HOURS` from the first page (a later page's answer passes on the
same limit).
The public counts of searches leave such pages out (their accesses are still logged,
decided and counted as releases to partners).

The token is signed (HMAC-SHA256) with a key derived from the node's secret key (the
catalog's ``page_token_key``), so a page can claim to continue only a search this node
ran for the same user; it is good for `TOKEN_HOURS` (one shift). A bad, altered, expired
or borrowed token is refused (422), nothing is searched, and the search can be run again
as a new one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from plateledger.access.errors import AccessDenied
from plateledger.catalog.principals import Principal

__all__ = ["TOKEN_HOURS", "Continued", "check", "issue"]

TOKEN_HOURS = 8
"""How long a page token is good for."""

def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def search_digest(body: Any) -> str:
    """What makes two requests the same search: the body (a `SearchCreate`) without its
    page (``params.offset``, ``params.limit``) and its token."""
    data = body.model_dump(mode="json", exclude={"page_token"})
    params = dict(data.get("params") or {})
    params.pop("offset", None)
    params.pop("limit", None)
    data["params"] = params
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _holder(user: Principal) -> str:
    """Who may use a token: the user, of their agency, acting for whom they act for (a
    search made for another agency is another search)."""
    return f"{user.user_id}:{user.agency_id}:{user.username}:{user.acting_for_id or ''}"


@dataclass(frozen=True)
class Continued:
    """What a valid token says: the search it continues and until when."""

    search_id: str
    expires: int
    """Seconds since the epoch: the first page's time and `TOKEN_HOURS`."""


def issue(key: bytes, search_id: str, user: Principal, body: Any, now: datetime,
          expires: int | None = None) -> str:
    """The token of search ``search_id`` (its first page's UUID), run by ``user`` as
    ``body``, signed with ``key`` (the catalog's ``page_token_key``), good until
    ``expires`` (a later page passes on its first page's: a chain of pages cannot keep a
    search open past its shift) or `TOKEN_HOURS` from ``now``."""
    until = expires if expires is not None else int(
        (now + timedelta(hours=TOKEN_HOURS)).timestamp())
    claims = {"s": search_id, "u": _holder(user), "d": search_digest(body), "e": until}
    payload = json.dumps(claims, sort_keys=True, separators=(",", ":")).encode()
    mac = hmac.new(key, payload, hashlib.sha256).digest()
    return f"{_b64(payload)}.{_b64(mac)}"


def check(key: bytes, token: str, user: Principal, body: Any, now: datetime) -> Continued:
    """The search a page asked with ``token`` continues; `AccessDenied` (422) when the
    token is not this node's, is altered or expired, or is asked by another user (or by
    the user now acting for another agency) or for another search."""
    again = "run the search again without `page_token` (a new search)"
    try:
        encoded, mac = token.split(".")
        payload = _unb64(encoded)
        given = _unb64(mac)
    except ValueError:
        raise AccessDenied("page_token_invalid",
                           f"`page_token` is not a page token of this node; {again}") from None
    if not hmac.compare_digest(hmac.new(key, payload, hashlib.sha256).digest(), given):
        raise AccessDenied("page_token_invalid",
                           f"`page_token` is not a page token of this node; {again}")
    claims = json.loads(payload)
    if claims.get("u") != _holder(user):
        raise AccessDenied("page_token_mismatch", "`page_token` was given to another user, "
                           f"or to this user acting for another agency; {again}")
    if claims.get("d") != search_digest(body):
        raise AccessDenied("page_token_mismatch",
                           "`page_token` belongs to another search: only `params.offset` and "
                           f"`params.limit` may change from page to page; {again}")
    expires = int(claims.get("e", 0))
    if expires < now.timestamp():
        raise AccessDenied("page_token_expired", "the search's first page is older than "
                           f"{TOKEN_HOURS} hours; {again}")
    return Continued(str(uuid.UUID(str(claims["s"]))), expires)
