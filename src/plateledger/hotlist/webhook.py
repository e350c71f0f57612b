"""Webhook subscriptions and their outbox: signed, retried, dead-lettered, never dropped.

A delivered hit becomes one outbox row per active subscription of the list's owner, in the
same transaction as the hit itself. ``WebhookOutbox.deliver_due`` posts the rows that are
due; a failure (network error, or any status but 2xx) schedules the next attempt after an
exponential back-off, and after ``max_attempts`` the row is dead-lettered: kept, visible
through ``items`` and the API, and sent again only when someone calls ``retry``. Delivery
is at least once: receivers deduplicate on ``X-Plateledger-Delivery``.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

import httpx
from sqlalchemy import Connection, Engine, delete, insert, select, update

from plateledger.hotlist.alert import Alert
from plateledger.hotlist.destination import Network, Pinned, check_url, parse_networks, pin_delivery
from plateledger.hotlist.entry import from_millis, to_millis
from plateledger.hotlist.errors import SubscriptionError
from plateledger.hotlist.schema import webhook_outbox, webhook_subscriptions
from plateledger.hotlist.signature import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    SIGNATURE_HEADER,
    signature_header,
)

log = logging.getLogger("plateledger.hotlist.webhook")

CLAIM = timedelta(minutes=2)
"""A row being sent is pushed this far into the future, so that a second dispatcher does
not send it at the same time."""


class OutboxStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    DEAD = "dead"


@dataclass(frozen=True, slots=True)
class WebhookSubscription:
    """Where an agency's alerts are posted (the secret is shown once, at creation)."""

    id: int
    owner_id: int
    url: str
    description: str
    active: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """One alert for one subscription, and how its delivery went."""

    id: int
    subscription_id: int
    owner_id: int
    hit_id: str
    status: OutboxStatus
    attempts: int
    next_attempt_at: datetime
    last_error: str
    created_at: datetime
    delivered_at: datetime | None


@dataclass(frozen=True, slots=True)
class DeliveryRound:
    """What one ``deliver_due`` call did."""

    delivered: int = 0
    failed: int = 0
    dead: int = 0


class WebhookOutbox:
    """Subscriptions and the outbox over ``engine``; posts with ``client`` (httpx)."""

    def __init__(
        self,
        engine: Engine,
        *,
        client: httpx.Client | None = None,
        max_attempts: int = 12,
        base_delay: timedelta = timedelta(seconds=5),
        max_delay: timedelta = timedelta(hours=1),
        timeout: float = 10.0,
        networks: str | Sequence[str] = (),
    ) -> None:
        """``networks``: CIDR networks a webhook may post to besides public addresses
        (see `plateledger.hotlist.destination`)."""
        self._engine = engine
        self.networks: tuple[Network, ...] = parse_networks(networks)
        self._client = client or httpx.Client(timeout=timeout, follow_redirects=False)
        self.max_attempts = max_attempts
        self.base_delay = base_delay
        self.max_delay = max_delay
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- subscriptions -------------------------------------------------------------

    def subscribe(
        self, owner_id: int, url: str, *, secret: str | None = None, description: str = ""
    ) -> tuple[WebhookSubscription, str]:
        """Add a subscription; return it and its signing secret (generated unless given)."""
        url = check_url(url, self.networks)
        secret = secret or secrets.token_urlsafe(32)
        if len(secret) < 16:
            raise SubscriptionError("webhook secret must be at least 16 characters")
        stamp = to_millis(datetime.now(UTC))
        with self._engine.begin() as conn:
            new_id = conn.execute(
                insert(webhook_subscriptions).values(
                    owner_id=owner_id, url=url, secret=secret, description=description[:200],
                    active=True, created_at=stamp,
                )
            ).inserted_primary_key[0]  # type: ignore[index]  # fmt: skip
        return self.subscription(owner_id, int(new_id)), secret

    def subscriptions(self, owner_id: int) -> list[WebhookSubscription]:
        query = (
            select(webhook_subscriptions)
            .where(webhook_subscriptions.c.owner_id == owner_id)
            .order_by(webhook_subscriptions.c.id)
        )
        with self._engine.connect() as conn:
            return [
                WebhookSubscription(r.id, r.owner_id, r.url, r.description, r.active,
                                    from_millis(r.created_at))
                for r in conn.execute(query)
            ]  # fmt: skip

    def subscription(self, owner_id: int, subscription_id: int) -> WebhookSubscription:
        for found in self.subscriptions(owner_id):
            if found.id == subscription_id:
                return found
        raise SubscriptionError(f"no webhook subscription `{subscription_id}`")

    def set_active(self, owner_id: int, subscription_id: int, active: bool) -> None:
        """Pause or resume a subscription (a paused one gets no new outbox rows)."""
        self.subscription(owner_id, subscription_id)
        with self._engine.begin() as conn:
            conn.execute(
                update(webhook_subscriptions)
                .where(webhook_subscriptions.c.id == subscription_id)
                .values(active=active)
            )

    def unsubscribe(self, owner_id: int, subscription_id: int) -> None:
        """Delete a subscription; its undelivered rows are dead-lettered, not dropped."""
        self.subscription(owner_id, subscription_id)
        with self._engine.begin() as conn:
            conn.execute(
                update(webhook_outbox)
                .where(webhook_outbox.c.subscription_id == subscription_id,
                       webhook_outbox.c.status == OutboxStatus.PENDING.value)
                .values(status=OutboxStatus.DEAD.value, last_error="subscription deleted")
            )  # fmt: skip
            conn.execute(
                delete(webhook_subscriptions).where(webhook_subscriptions.c.id == subscription_id)
            )

    # -- the outbox ----------------------------------------------------------------

    def enqueue(self, conn: Connection, alerts: Sequence[Alert]) -> int:
        """Add one row per alert and active subscription of its list's owner, in ``conn``'s
        transaction; return how many."""
        owners = sorted({a.list_owner_id for a in alerts})
        if not owners:
            return 0
        subs: dict[int, list[int]] = {}
        query = select(webhook_subscriptions.c.id, webhook_subscriptions.c.owner_id).where(
            webhook_subscriptions.c.owner_id.in_(owners), webhook_subscriptions.c.active
        )
        for sub_id, owner in conn.execute(query):
            subs.setdefault(owner, []).append(sub_id)
        stamp = to_millis(datetime.now(UTC))
        rows = [
            {"subscription_id": sub_id, "owner_id": alert.list_owner_id,
             "hit_id": alert.hit_id, "body": alert.model_dump_json(),
             "status": OutboxStatus.PENDING.value, "attempts": 0, "next_attempt_at": stamp,
             "last_error": "", "created_at": stamp}
            for alert in alerts
            for sub_id in subs.get(alert.list_owner_id, ())
        ]  # fmt: skip
        if rows:
            conn.execute(insert(webhook_outbox), rows)
        return len(rows)

    def items(
        self, owner_id: int, status: OutboxStatus | str | None = None, limit: int = 100
    ) -> list[OutboxItem]:
        """Outbox rows of ``owner_id`` (dead letters with ``status="dead"``), newest first."""
        o = webhook_outbox.c
        query = select(webhook_outbox).where(o.owner_id == owner_id)
        if status is not None:
            query = query.where(o.status == OutboxStatus(status).value)
        query = query.order_by(o.id.desc()).limit(limit)
        with self._engine.connect() as conn:
            return [
                OutboxItem(
                    r.id, r.subscription_id, r.owner_id, r.hit_id, OutboxStatus(r.status),
                    r.attempts, from_millis(r.next_attempt_at), r.last_error,
                    from_millis(r.created_at),
                    None if r.delivered_at is None else from_millis(r.delivered_at),
                )
                for r in conn.execute(query)
            ]  # fmt: skip

    def retry(self, owner_id: int, item_id: int) -> None:
        """Send a dead letter again (from a fresh count of attempts)."""
        with self._engine.begin() as conn:
            done = conn.execute(
                update(webhook_outbox)
                .where(webhook_outbox.c.id == item_id, webhook_outbox.c.owner_id == owner_id,
                       webhook_outbox.c.status == OutboxStatus.DEAD.value)
                .values(status=OutboxStatus.PENDING.value, attempts=0,
                        next_attempt_at=to_millis(datetime.now(UTC)))
            )  # fmt: skip
        if done.rowcount == 0:
            raise SubscriptionError(f"no dead letter `{item_id}`")
        self.wake()

    def backoff(self, attempts: int) -> timedelta:
        """Delay before attempt ``attempts + 1``: doubling from ``base_delay``, capped."""
        delay: timedelta = self.base_delay * (2 ** max(0, attempts - 1))
        return min(self.max_delay, delay)

    def deliver_due(self, now: datetime | None = None, limit: int = 100) -> DeliveryRound:
        """Post up to ``limit`` rows due at ``now``; return what happened."""
        moment = now or datetime.now(UTC)
        stamp = to_millis(moment)
        o, s = webhook_outbox.c, webhook_subscriptions.c
        query = (
            select(o.id, o.body, o.attempts, o.next_attempt_at, s.url, s.secret)
            .join_from(webhook_outbox, webhook_subscriptions, o.subscription_id == s.id)
            .where(o.status == OutboxStatus.PENDING.value, o.next_attempt_at <= stamp)
            .order_by(o.next_attempt_at, o.id)
            .limit(limit)
        )
        with self._engine.connect() as conn:
            due = list(conn.execute(query))
        delivered = failed = dead = 0
        for row in due:
            if not self._claim(row.id, row.next_attempt_at, stamp):
                continue
            error = self._post(row.id, row.url, row.secret, row.body.encode())
            attempts = row.attempts + 1
            if error is None:
                values = {
                    "status": OutboxStatus.DELIVERED.value, "attempts": attempts,
                    "delivered_at": to_millis(datetime.now(UTC)), "last_error": "",
                }  # fmt: skip
                delivered += 1
            elif attempts >= self.max_attempts:
                values = {
                    "status": OutboxStatus.DEAD.value, "attempts": attempts,
                    "last_error": error[:500],
                }  # fmt: skip
                dead += 1
                log.error("webhook delivery %s dead-lettered: %s", row.id, error)
            else:
                values = {
                    "attempts": attempts, "last_error": error[:500],
                    "next_attempt_at": to_millis(moment + self.backoff(attempts)),
                }  # fmt: skip
                failed += 1
            with self._engine.begin() as conn:
                conn.execute(update(webhook_outbox).where(o.id == row.id).values(**values))
        return DeliveryRound(delivered, failed, dead)

    def _claim(self, item_id: int, seen_next: int, stamp: int) -> bool:
        with self._engine.begin() as conn:
            done = conn.execute(
                update(webhook_outbox)
                .where(webhook_outbox.c.id == item_id,
                       webhook_outbox.c.next_attempt_at == seen_next,
                       webhook_outbox.c.status == OutboxStatus.PENDING.value)
                .values(next_attempt_at=stamp + int(CLAIM.total_seconds() * 1000))
            )  # fmt: skip
        return bool(done.rowcount)

    def _post(self, item_id: int, url: str, secret: str, body: bytes) -> str | None:
        """Post one body to the address the URL's host resolves to now, once checked
        (`pin_delivery`); ``None`` on success, else why it failed (an address a webhook
        may not post to is a failure: nothing is sent)."""
        pinned = pin_delivery(url, self.networks)
        if not isinstance(pinned, Pinned):
            return pinned
        headers = {
            "Host": pinned.host,
            "Content-Type": "application/json",
            SIGNATURE_HEADER: signature_header(secret, body),
            DELIVERY_HEADER: str(item_id),
            EVENT_HEADER: "alert",
        }
        try:
            response = self._client.post(
                pinned.url, content=body, headers=headers,
                extensions={"sni_hostname": pinned.server_name} if pinned.server_name else None,
            )
        except httpx.HTTPError as exc:
            return f"{type(exc).__name__}: {exc}"
        if response.is_success:
            return None
        return f"http status {response.status_code}"

    # -- the background dispatcher -----------------------------------------------------

    def wake(self) -> None:
        """Tell the background dispatcher that rows may be due now."""
        self._wake.set()

    def start(self, poll: float = 1.0) -> None:
        """Deliver in a background thread, every ``poll`` seconds and whenever woken."""
        if self._thread is not None:
            return
        self._stop.clear()

        def run() -> None:
            while not self._stop.is_set():
                self._wake.clear()
                try:
                    while True:
                        done = self.deliver_due()
                        if done.delivered + done.failed + done.dead == 0:
                            break
                except Exception:  # keep the dispatcher alive; rows stay in the outbox
                    log.exception("webhook dispatcher round failed")
                self._wake.wait(poll)

        self._thread = threading.Thread(target=run, name="webhook-outbox", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    def close(self) -> None:
        self.stop()
        self._client.close()
