"""Webhooks: signed, retried with back-off, dead-lettered and never dropped."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy import Engine, insert

from plateledger.hotlist import (
    HitService,
    HotlistStore,
    OutboxStatus,
    SubscriptionError,
    WebhookOutbox,
    signature_header,
    verify_signature,
)
from plateledger.hotlist.schema import webhook_subscriptions
from plateledger.settings import Settings
from tests.factories import make_read
from tests.hotlist.conftest import OAKLAND, SAN_JOSE
from tests.hotlist.receiver import Receiver

SECRET = "s3cret-for-the-webhook-tests"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver().start()
    yield server
    server.stop()


def one_hit(service: HitService, hotlists: HotlistStore) -> None:
    hotlists.import_list(OAKLAND, "own", "local", "stolen_vehicle", [{"plate": "7ABC123"}])
    assert service.process([make_read("7ABC123", owner=OAKLAND)]).delivered == 1


def test_signature_covers_timestamp_and_body() -> None:
    body = b'{"hit_id": "1"}'
    header = signature_header(SECRET, body, timestamp=1_700_000_000)
    assert verify_signature(SECRET, header, body, now=1_700_000_100)
    assert not verify_signature(SECRET, header, body + b" ", now=1_700_000_100)
    assert not verify_signature("another-secret-entirely", header, body, now=1_700_000_100)
    assert not verify_signature(SECRET, header, body, now=1_700_000_000 + 301)  # replayed
    assert not verify_signature(SECRET, "v1=abc", body)


def test_a_delivery_is_signed_and_names_the_hit(
    service: HitService, hotlists: HotlistStore, webhooks: WebhookOutbox, receiver: Receiver
) -> None:
    webhooks.subscribe(OAKLAND, receiver.url, secret=SECRET)
    one_hit(service, hotlists)
    assert webhooks.deliver_due().delivered == 1
    [(headers, body)] = receiver.received
    assert verify_signature(SECRET, headers["X-Plateledger-Signature"], body)
    assert json.loads(body)["read"]["plate"] == "7ABC123"
    assert headers["X-Plateledger-Event"] == "alert"


def test_a_receiver_that_is_down_gets_the_alert_when_it_comes_back(
    service: HitService, hotlists: HotlistStore, webhooks: WebhookOutbox, receiver: Receiver
) -> None:
    webhooks.subscribe(OAKLAND, receiver.url, secret=SECRET)
    receiver.stop()
    one_hit(service, hotlists)
    now = datetime.now(UTC)
    assert webhooks.deliver_due(now).failed == 1
    [item] = webhooks.items(OAKLAND)
    assert (item.status, item.attempts) == (OutboxStatus.PENDING, 1)
    assert item.next_attempt_at >= now + timedelta(seconds=5) - timedelta(milliseconds=1)
    assert webhooks.deliver_due(now + timedelta(seconds=1)).delivered == 0  # not yet due
    receiver.start()  # same port
    assert webhooks.deliver_due(now + timedelta(seconds=6)).delivered == 1
    assert len(receiver.received) == 1
    assert webhooks.items(OAKLAND)[0].status is OutboxStatus.DELIVERED


def test_back_off_doubles_up_to_a_cap(webhooks: WebhookOutbox) -> None:
    delays = [webhooks.backoff(n).total_seconds() for n in (1, 2, 3, 4)]
    assert delays == [5, 10, 20, 40]
    assert webhooks.backoff(30) == webhooks.max_delay


def test_after_the_last_attempt_an_alert_is_dead_lettered_and_can_be_retried(
    service: HitService, hotlists: HotlistStore, webhooks: WebhookOutbox, receiver: Receiver
) -> None:
    receiver.status = 500
    webhooks.subscribe(OAKLAND, receiver.url, secret=SECRET)
    one_hit(service, hotlists)
    moment = datetime.now(UTC)
    rounds = []
    for _ in range(3):
        rounds.append(webhooks.deliver_due(moment))
        moment += timedelta(hours=2)
    assert [(r.failed, r.dead) for r in rounds] == [(1, 0), (1, 0), (0, 1)]
    [dead] = webhooks.items(OAKLAND, status="dead")
    assert dead.last_error == "http status 500"
    receiver.status = 200
    webhooks.retry(OAKLAND, dead.id)
    assert webhooks.deliver_due(moment).delivered == 1


def test_deleting_a_subscription_dead_letters_what_it_had_not_sent(
    service: HitService, hotlists: HotlistStore, webhooks: WebhookOutbox, receiver: Receiver
) -> None:
    sub, _ = webhooks.subscribe(OAKLAND, receiver.url, secret=SECRET)
    one_hit(service, hotlists)
    webhooks.unsubscribe(OAKLAND, sub.id)
    [item] = webhooks.items(OAKLAND)
    assert (item.status, item.last_error) == (OutboxStatus.DEAD, "subscription deleted")


def test_only_the_list_owner_subscriptions_receive_its_alerts(
    service: HitService, hotlists: HotlistStore, webhooks: WebhookOutbox, receiver: Receiver
) -> None:
    webhooks.subscribe(SAN_JOSE, receiver.url, secret=SECRET)
    one_hit(service, hotlists)
    assert webhooks.deliver_due().delivered == 0
    assert webhooks.items(SAN_JOSE) == []


def test_the_background_dispatcher_delivers_without_being_asked(
    service: HitService, hotlists: HotlistStore, webhooks: WebhookOutbox, receiver: Receiver
) -> None:
    webhooks.subscribe(OAKLAND, receiver.url, secret=SECRET)
    webhooks.start(poll=0.2)
    one_hit(service, hotlists)
    assert receiver.arrived.wait(timeout=30)
    webhooks.stop()


@pytest.mark.parametrize("url", ["ftp://example.org/x", "not a url", "http:///nohost"])
def test_a_subscription_needs_an_http_address(webhooks: WebhookOutbox, url: str) -> None:
    with pytest.raises(SubscriptionError, match="must be an http or https address"):
        webhooks.subscribe(OAKLAND, url)


def test_a_generated_secret_is_returned_once(webhooks: WebhookOutbox) -> None:
    sub, secret = webhooks.subscribe(OAKLAND, "https://hooks.example.org/a")
    assert len(secret) >= 32
    assert not hasattr(sub, "secret")


# -- where a webhook may post ------------------------------------------------------------


@pytest.mark.parametrize("url", ["http://10.20.0.5/hook", "http://192.168.1.9/",
                                 "http://[fd00::7]/hook", "http://[::ffff:10.20.0.5]/",
                                 "http://localhost/hook", "http://100.64.0.1/"])
def test_a_private_address_is_refused_unless_the_operator_lists_its_network(
    engine: Engine, url: str
) -> None:
    """A webhook to the operator's private network (a dispatch system, say) is refused
    until the operator lists that network; then it is taken, and only that network."""
    closed = WebhookOutbox(engine)
    try:
        with pytest.raises(SubscriptionError, match="address"):
            closed.subscribe(OAKLAND, url)
    finally:
        closed.close()
    opened = WebhookOutbox(engine, networks="10.20.0.0/16, 192.168.1.0/24, fd00::/8, "
                                            "127.0.0.1, 100.64.0.0/10")
    try:
        assert opened.subscribe(OAKLAND, url)[0].url == url
        with pytest.raises(SubscriptionError, match="private address"):
            opened.subscribe(OAKLAND, "http://10.21.0.5/hook")  # not a listed network
    finally:
        opened.close()


def test_a_name_that_resolves_to_a_refused_address_is_not_posted_to(
    engine: Engine, service: HitService, hotlists: HotlistStore, receiver: Receiver
) -> None:
    """The name is resolved before each delivery: a subscription whose host now resolves
    to loopback (written straight into the table, as a name that resolved elsewhere when
    it was given would be) fails its attempt, with nothing sent, and is retried later."""
    outbox = WebhookOutbox(engine, max_attempts=3, timeout=5.0)
    try:
        with engine.begin() as conn:
            conn.execute(insert(webhook_subscriptions).values(
                owner_id=OAKLAND, url=receiver.url.replace("127.0.0.1", "localhost"),
                secret=SECRET, description="", active=True, created_at=0))
        one_hit(service, hotlists)
        done = outbox.deliver_due()
        assert (done.delivered, done.failed) == (0, 1)
        assert receiver.received == []
        [item] = outbox.items(OAKLAND)
        assert item.status == OutboxStatus.PENDING and "loopback address" in item.last_error
    finally:
        outbox.close()


def test_webhook_networks_must_be_networks() -> None:
    """A mistyped network is refused when the server starts, not at the first alert."""
    with pytest.raises(ValidationError, match="not a network"):
        Settings(webhook_networks="10.20.0.0/16, dispatch.local")
    assert Settings(webhook_networks="10.20.0.0/16, 192.0.2.7").webhook_networks
