"""Sending spooled items to the server, in order, with back-off.

The server's answers and what they mean for the spool:

- 200 ``{"accepted": [ids], "errors": [{"index", "field", "message"}]}``: the batch is
  acknowledged; items named in ``errors`` go to the dead-letter table, the rest are
  deleted;
- 401/403: the key is wrong — nothing is the items' fault: keep them, back off;
- 408/429 and 5xx, or no connection: keep them, back off (1 s doubling to 60 s);
- another 4xx: the batch is bad. A batch of several is split and retried one by one, so
  that one bad read does not hold back the others; a single item is dead-lettered.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from plateledger.recognize.spool import READS_ENDPOINT, Spool, SpoolItem

log = logging.getLogger(__name__)

BATCH_SIZE = 100
"""Native reads per POST."""

MIN_BACKOFF, MAX_BACKOFF = 1.0, 60.0
"""Seconds to wait after a failed attempt: doubling from the first to the second."""


@dataclass
class SendStats:
    """What a sender has done so far (for the progress display)."""

    sent: int = 0
    dead: int = 0
    failures: int = 0
    last_error: str = ""
    backoff_until: float = 0.0


@dataclass
class ReadSender:
    """Delivers a `Spool`'s items to ``server`` with ``X-API-Key: key``."""

    server: str
    key: str
    timeout: float = 10.0
    batch_size: int = BATCH_SIZE
    stats: SendStats = field(default_factory=SendStats)
    _backoff: float = 0.0
    _single: bool = False

    def __post_init__(self) -> None:
        self._client = httpx.Client(
            base_url=self.server.rstrip("/"),
            headers={"X-API-Key": self.key, "Content-Type": "application/json"},
            timeout=self.timeout,
        )

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._client.close()

    def ready(self) -> bool:
        """Whether the back-off after the last failure is over."""
        return time.monotonic() >= self.stats.backoff_until

    def drain(self, spool: Spool, *, max_requests: int = 1000) -> bool:
        """Send until the spool is empty, a request fails or ``max_requests`` were made.

        Returns True when the spool was emptied. Does nothing while backing off.
        """
        for _ in range(max_requests):
            if not self.ready():
                return False
            batch = spool.next_batch(1 if self._single else self.batch_size)
            if not batch:
                self._single = False
                return True
            if not self.send_batch(spool, batch):
                return False
        return spool.backlog() == 0

    def send_batch(self, spool: Spool, batch: list[SpoolItem]) -> bool:
        """POST one batch and settle it in the spool; False if it must be retried later."""
        endpoint = batch[0].endpoint
        if endpoint == READS_ENDPOINT:
            content = "[" + ",".join(item.body for item in batch) + "]"
        else:
            content = batch[0].body
        spool.attempted([item.seq for item in batch])
        try:
            response = self._client.post(endpoint, content=content.encode())
        except httpx.HTTPError as exc:
            return self._retry_later(f"server unreachable: {exc}")
        status = response.status_code
        if 200 <= status < 300:
            answer = _answer(response)
            if answer is None:  # a proxy's or a web app's page: nothing was stored
                return self._retry_later(
                    f"the answer ({status}, {response.headers.get('content-type', 'no type')})"
                    " is not a plateledger server's: the reads are kept; check --server")
            self._settle(spool, batch, answer)
            self._backoff = 0.0
            return True
        if 300 <= status < 400:  # not a refusal: the reads are kept until --server is fixed
            where = response.headers.get("location", "?")[:200]
            return self._retry_later(f"the server redirects ({status}) to `{where}`: the "
                                     "reads are kept; point --server at the address it names")
        if status in (401, 403):
            return self._retry_later(f"server refused the key ({status}): {_reason(response)}")
        if status in (408, 429) or status >= 500:
            return self._retry_later(f"server error {status}: {_reason(response)}")
        if len(batch) > 1:
            # isolate the bad item(s): resend one by one until this stretch is through
            self._single = True
            return True
        spool.bury(batch[0].seq, f"http {status}: {_reason(response)}")
        self.stats.dead += 1
        log.warning("server rejected item `%s`: http %s", batch[0].item_id, status)
        return True

    def _settle(self, spool: Spool, batch: list[SpoolItem], answer: dict[str, Any]) -> None:
        errors: dict[int, list[str]] = {}
        for error in answer.get("errors", []):
            if isinstance(error, dict) and isinstance(error.get("index"), int):
                where = error.get("field") or ""
                errors.setdefault(error["index"], []).append(
                    f"{where}: {error.get('message', '')}" if where else str(error.get("message"))
                )
        if batch[0].endpoint != READS_ENDPOINT:
            # a raw message is one item (its errors' indexes count the reads inside it,
            # not items of ours): one with a refused read is kept in the dead table with
            # the server's reasons, even where its other reads were stored (sending it
            # again stores those once: they are identical re-posts)
            accepted = answer.get("accepted") or []
            messages = [m for ms in errors.values() for m in ms]
            if messages and accepted:
                messages = [f"partly stored ({len(accepted)} read(s) accepted); refused: "
                            + "; ".join(messages)]
            errors = {0: messages} if messages else {}
        good = [item.seq for i, item in enumerate(batch) if i not in errors]
        spool.ack(good)
        self.stats.sent += len(good)
        for i, messages in errors.items():
            if 0 <= i < len(batch):
                spool.bury(batch[i].seq, "; ".join(messages))
                self.stats.dead += 1
                log.warning("server rejected item `%s`: %s", batch[i].item_id, messages)

    def _retry_later(self, reason: str) -> bool:
        self._backoff = min(MAX_BACKOFF, max(MIN_BACKOFF, self._backoff * 2))
        self.stats.failures += 1
        self.stats.last_error = reason
        self.stats.backoff_until = time.monotonic() + self._backoff
        log.info("%s; retrying in %.0f s", reason, self._backoff)
        return False


def _answer(response: httpx.Response) -> dict[str, Any] | None:
    """The server's answer to a batch (JSON with an ``accepted`` list), or None for any
    other body (which acknowledges nothing)."""
    try:
        answer = response.json()
    except ValueError:
        return None
    if not isinstance(answer, dict) or not isinstance(answer.get("accepted"), list):
        return None
    if not isinstance(answer.get("errors", []), list):
        return None
    return answer


def _reason(response: httpx.Response) -> str:
    try:
        detail = response.json()
    except ValueError:
        return response.text[:200]
    return json.dumps(detail)[:200]


class SenderThread(threading.Thread):
    """Drains the spool at ``spool_path`` in the background until `stop` is called.

    It opens its own `Spool` connection (SQLite connections stay in their thread).
    """

    def __init__(self, spool_path: Path, sender: ReadSender, *, interval: float = 0.5) -> None:
        super().__init__(name="plateledger-sender", daemon=True)
        self.spool_path = spool_path
        self.sender = sender
        self.interval = interval
        self._stop_event = threading.Event()
        self._wake = threading.Event()
        self.backlog = 0

    def run(self) -> None:
        with Spool(self.spool_path) as spool:
            while not self._stop_event.is_set():
                try:
                    self.sender.drain(spool)
                except Exception as exc:  # the loop must outlive any one failure
                    self.sender.stats.last_error = f"sender failed: {exc}"
                    log.exception("sender failed")
                self.backlog = spool.backlog()
                self._wake.wait(self.interval)
                self._wake.clear()

    def wake(self) -> None:
        """Send now rather than at the next interval (new items were spooled)."""
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop after the current request; wait at most ``timeout`` seconds."""
        self._stop_event.set()
        self._wake.set()
        self.join(timeout)
