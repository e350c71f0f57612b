"""The requesting side: one signed request to one partner node, and how it ended.

`NodeClient.post` signs the JSON body with this node's key (`sign_request`) and sends it
once. It never retries: the owner may have decided and logged the request before an
answer was lost, and a retry would be a second search in the owner's log. A request
that gets no HTTP answer (refused connection, timeout) ends ``unavailable``; one the
owner refuses ends ``refused`` with the owner's error code; an answer ends ``answered``.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urljoin

import httpx

from plateledger.federation.keys import NodeKey
from plateledger.federation.signatures import sign_request

__all__ = ["NodeAnswer", "NodeClient", "NodeLink"]


@dataclass(frozen=True, slots=True)
class NodeAnswer:
    """How one request to one node ended."""

    outcome: Literal["answered", "refused", "unavailable"]
    status: int | None = None
    body: dict[str, Any] | None = None
    code: str | None = None
    """The owner's error code (``refused``), or what went wrong on the way
    (``unavailable``: ``timeout``, ``unreachable``, ``bad_answer``)."""


class NodeClient:
    """Signed requests from this node, over ``http`` (one client, shared; its timeout is
    how long a partner may take)."""

    def __init__(self, key: NodeKey, http: httpx.Client) -> None:
        self.key = key
        self.http = http

    def post(self, base_url: str, path: str, payload: Mapping[str, Any]) -> NodeAnswer:
        """Sign ``payload`` and post it to ``path`` under ``base_url``, once."""
        url = urljoin(base_url.rstrip("/") + "/", path.lstrip("/"))
        raw = json.dumps(payload, separators=(",", ":")).encode()
        headers = sign_request(self.key, "POST", url, raw, created=int(time.time()))
        try:
            response = self.http.post(url, content=raw, headers=headers)
        except httpx.TimeoutException:
            return NodeAnswer("unavailable", code="timeout")
        except httpx.TransportError:
            return NodeAnswer("unavailable", code="unreachable")
        try:
            body = response.json()
        except ValueError:
            return NodeAnswer("unavailable", response.status_code, code="bad_answer")
        if not isinstance(body, dict):
            return NodeAnswer("unavailable", response.status_code, code="bad_answer")
        if response.status_code == 200:
            return NodeAnswer("answered", 200, body)
        error = body.get("error")
        code = error.get("code") if isinstance(error, dict) else None
        if response.status_code >= 500:
            return NodeAnswer("unavailable", response.status_code, body, str(code or "error"))
        return NodeAnswer("refused", response.status_code, body, str(code or "refused"))


POOL_THREADS = 64
"""Requests to partners in flight at once, of all searches (each ends within the link's
timeout)."""


class NodeLink:
    """This node's key and one HTTP client for all its requests to partners, made on first
    use and kept until `close`: building a client costs tens of milliseconds (its TLS
    context), more than a partner's whole search, and a kept client reuses connections.
    ``timeout`` is how long a partner may take."""

    def __init__(self, key: Callable[[], NodeKey], timeout: float) -> None:
        self._key = key
        self.timeout = timeout
        self._client: NodeClient | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def client(self) -> NodeClient:
        with self._lock:
            if self._client is None:
                self._client = NodeClient(self._key(), httpx.Client(timeout=self.timeout))
            return self._client

    def pool(self) -> ThreadPoolExecutor:
        """The threads requests to partners are sent from, kept like the client: starting
        a thread for each request of each search waited on the scheduler every time on a
        busy machine. A request waits for a free thread past `POOL_THREADS` at once."""
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(POOL_THREADS, thread_name_prefix="federation")
            return self._pool

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.http.close()
                self._client = None
            if self._pool is not None:
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = None
