"""A webhook is posted to the very address that was checked, never to one a name resolves
to a moment later (DNS rebinding), and HTTPS still verifies the certificate against the
name.

The attacker controls the name server of the webhook's host: it answers the check with an
address the operator allows and the connection with the server's own loopback, where an
internal service listens. Here the resolver is the process's own (``socket.getaddrinfo``)
answering as that name server would; the two receivers are real HTTP servers.
"""

from __future__ import annotations

import datetime as dt
import socket
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import Engine

from plateledger.hotlist import HitService, HotlistStore, OutboxStatus, WebhookOutbox
from tests.hotlist.conftest import OAKLAND
from tests.hotlist.receiver import Receiver
from tests.hotlist.test_webhooks import one_hit

NAME = "alerts.dispatch.test"
ALLOWED = "127.0.0.2"
"""The dispatch system's address: the operator lists it (``127.0.0.2/32``)."""
INTERNAL = "127.0.0.1"
"""Where the server's own services listen: never a webhook's destination."""


def numeric(args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    """Whether a ``getaddrinfo`` call asks for numeric hosts only (no name server)."""
    flags = kwargs.get("flags", args[3] if len(args) > 3 else 0)
    return bool(flags & socket.AI_NUMERICHOST)


class Resolver:
    """Answers ``NAME`` with each of ``answers`` in turn (the last one from then on);
    every other name, and any numeric-only question, as the system does."""

    def __init__(self, *answers: str) -> None:
        self.answers = list(answers)
        self.asked = 0
        self._real = socket.getaddrinfo

    def __call__(self, host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host != NAME or numeric(args, kwargs):
            return self._real(host, port, *args, **kwargs)
        answer = self.answers[min(self.asked, len(self.answers) - 1)]
        self.asked += 1
        return self._real(answer, port, *args, **kwargs)


@pytest.fixture
def dispatch() -> Iterator[Receiver]:
    server = Receiver(host=ALLOWED).start()
    yield server
    server.stop()


@pytest.fixture
def internal(dispatch: Receiver) -> Iterator[Receiver]:
    """An internal service on loopback, on the same port as the dispatch system."""
    server = Receiver(host=INTERNAL, port=dispatch.port).start()
    yield server
    server.stop()


def test_a_name_that_rebinds_after_the_check_is_posted_to_the_checked_address(
    engine: Engine, service: HitService, hotlists: HotlistStore, dispatch: Receiver,
    internal: Receiver, monkeypatch: pytest.MonkeyPatch,
) -> None:
    resolver = Resolver(ALLOWED, INTERNAL)
    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    outbox = WebhookOutbox(engine, networks=f"{ALLOWED}/32", timeout=5.0)
    try:
        outbox.subscribe(OAKLAND, f"http://{NAME}:{dispatch.port}/hooks/alerts")
        one_hit(service, hotlists)
        done = outbox.deliver_due()
        [item] = outbox.items(OAKLAND)
        assert done.delivered == 1, item.last_error
    finally:
        outbox.close()
    assert internal.received == [], "the post went to the address the name rebound to"
    [(headers, _)] = dispatch.received
    assert headers["Host"] == f"{NAME}:{dispatch.port}"  # the receiver still sees its name
    assert resolver.asked == 1  # resolved once: for the check, and that answer is used


def test_a_name_that_resolves_to_a_refused_address_among_allowed_ones_is_not_posted_to(
    engine: Engine, service: HitService, hotlists: HotlistStore, dispatch: Receiver,
    internal: Receiver, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A name answering with the allowed address and loopback together is refused whole:
    the connection could go to either."""
    real = socket.getaddrinfo

    def both(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host != NAME or numeric(args, kwargs):
            return real(host, port, *args, **kwargs)
        return [*real(ALLOWED, port, *args, **kwargs), *real(INTERNAL, port, *args, **kwargs)]

    monkeypatch.setattr(socket, "getaddrinfo", both)
    outbox = WebhookOutbox(engine, networks=f"{ALLOWED}/32", timeout=5.0)
    try:
        outbox.subscribe(OAKLAND, f"http://{NAME}:{dispatch.port}/hooks/alerts")
        one_hit(service, hotlists)
        assert outbox.deliver_due().failed == 1
        [item] = outbox.items(OAKLAND)
        assert item.status == OutboxStatus.PENDING and "loopback address" in item.last_error
    finally:
        outbox.close()
    assert dispatch.received == [] and internal.received == []


def certificate(tmp: Path, name: str) -> tuple[Path, Path]:
    """A self-signed certificate for ``name`` and its key, as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp / f"{name}.pem", tmp / f"{name}.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ))
    return cert_file, key_file


@pytest.mark.parametrize("served_name, delivered", [(NAME, True), ("other.dispatch.test", False)])
def test_https_to_the_checked_address_verifies_the_certificate_against_the_name(
    engine: Engine, service: HitService, hotlists: HotlistStore, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, served_name: str, delivered: bool,
) -> None:
    """Posting to the checked address keeps TLS honest: the certificate must be the
    name's (sent as the TLS server name), as it would be without the pinning."""
    cert_file, key_file = certificate(tmp_path, served_name)
    served = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    served.load_cert_chain(cert_file, key_file)
    trusted = ssl.create_default_context(cafile=str(cert_file))
    receiver = Receiver(host=ALLOWED, tls=served).start()
    monkeypatch.setattr(socket, "getaddrinfo", Resolver(ALLOWED))
    outbox = WebhookOutbox(engine, networks=f"{ALLOWED}/32",
                           client=httpx.Client(verify=trusted, timeout=5.0))
    try:
        outbox.subscribe(OAKLAND, f"https://{NAME}:{receiver.port}/hooks/alerts")
        one_hit(service, hotlists)
        done = outbox.deliver_due()
        [item] = outbox.items(OAKLAND)
    finally:
        outbox.close()
        receiver.stop()
    if delivered:
        assert done.delivered == 1
        [(headers, _)] = receiver.received
        assert headers["Host"] == f"{NAME}:{receiver.port}"
    else:
        assert done.failed == 1 and receiver.received == []
        assert "CERTIFICATE_VERIFY_FAILED" in item.last_error or "certificate" in item.last_error
