"""Where a webhook may post: public addresses, and the networks the operator names.

A supervisor's webhook URL makes the server send requests. Left unchecked, it would post
to the server's own loopback services (the store's HTTP port, the catalog's), to the
cloud metadata address (169.254.169.254) or to hosts of the operator's private network:
requests no agency's supervisor should be able to make the server send. So a webhook
goes only to globally routable addresses, unless the operator lists a network
(``PLATELEDGER_WEBHOOK_NETWORKS``, e.g. a dispatch system on ``10.20.0.0/16``).

The check runs twice: when the URL is given (for an address written as one, in any
notation the resolver accepts, and for ``localhost``), and before each delivery, on every
address the host name resolves to then (`pin_delivery`). The delivery is then posted to
the first of those very addresses, never to the name: a name server that answers the
check with an allowed address and the connection with loopback (DNS rebinding) gets
nothing. The request still names the host (``Host``), and HTTPS verifies the
certificate against the name, sent as the TLS server name.
"""

from __future__ import annotations

import socket
from collections.abc import Iterable
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network
from urllib.parse import urlsplit

from plateledger.hotlist.errors import SubscriptionError

Network = IPv4Network | IPv6Network
Address = IPv4Address | IPv6Address

LOCAL_NAMES = ("localhost", "localhost.localdomain")


def parse_networks(text: str | Iterable[str]) -> tuple[Network, ...]:
    """Networks from CIDR text (``"10.20.0.0/16, 192.0.2.7"``); `ValueError` names a bad
    one."""
    parts = text.split(",") if isinstance(text, str) else list(text)
    found: list[Network] = []
    for part in (p.strip() for p in parts):
        if not part:
            continue
        try:
            found.append(ip_network(part, strict=False))
        except ValueError:
            raise ValueError(
                f"`{part[:64]}` is not a network (CIDR such as 10.20.0.0/16)"
            ) from None
    return tuple(found)


def refusal(address: Address, allowed: tuple[Network, ...]) -> str | None:
    """Why a webhook may not post to ``address`` (``None``: it may)."""
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if any(address.version == net.version and address in net for net in allowed):
        return None
    if address.is_global and not address.is_multicast:
        return None
    kind = (
        "loopback" if address.is_loopback
        else "link-local" if address.is_link_local
        else "unspecified" if address.is_unspecified
        else "multicast" if address.is_multicast
        else "private" if address.is_private
        else "reserved"
    )
    return (f"{address} is a {kind} address: a webhook posts only to public addresses "
            "and to the networks the operator lists (PLATELEDGER_WEBHOOK_NETWORKS)")


def _addresses(host: str, port: int, *, numeric: bool) -> list[Address]:
    flags = socket.AI_NUMERICHOST if numeric else 0
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=flags)
    return [ip_address(str(info[4][0]).split("%")[0]) for info in infos]


def check_url(url: str, allowed: tuple[Network, ...]) -> str:
    """``url`` stripped, if it is http(s) with a host that is not an address (or local
    name) a webhook may not post to; `SubscriptionError` otherwise. A host name is not
    resolved here (see `pin_delivery`)."""
    value = url.strip()
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SubscriptionError(f"webhook url `{value[:200]}` must be an http or https address")
    host = parts.hostname.rstrip(".").lower()
    if host in LOCAL_NAMES or host.endswith(".localhost"):
        addresses = [ip_address("127.0.0.1")]
    else:
        try:
            addresses = _addresses(host, 0, numeric=True)
        except (socket.gaierror, UnicodeError, ValueError):
            addresses = []  # a name: checked on every delivery, once resolved
    for address in addresses:
        why = refusal(address, allowed)
        if why is not None:
            raise SubscriptionError(f"webhook url `{value[:200]}`: {why}")
    return value


@dataclass(frozen=True, slots=True)
class Pinned:
    """A delivery's destination, resolved and checked: ``url`` names the checked address
    in place of the host, ``host`` is the ``Host`` header the original URL gives, and
    ``server_name`` the name HTTPS verifies the certificate against (``None`` for http)."""

    url: str
    host: str
    server_name: str | None


def pin_delivery(url: str, allowed: tuple[Network, ...]) -> Pinned | str:
    """Where a delivery to ``url`` goes now (`Pinned`), or why it may not be made (a
    message): every address its host resolves to must be one a webhook may post to, and
    the first of them is the one posted to."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        addresses = _addresses(host, port, numeric=False)
    except (socket.gaierror, UnicodeError, ValueError) as exc:
        return f"cannot resolve `{host[:200]}`: {exc}"
    if not addresses:
        return f"cannot resolve `{host[:200]}`: no address"
    for address in addresses:
        why = refusal(address, allowed)
        if why is not None:
            return why
    address = addresses[0]
    literal = f"[{address}]" if address.version == 6 else str(address)
    hostport = parts.netloc.rpartition("@")[2]
    userinfo = parts.netloc[: -len(hostport)] if hostport != parts.netloc else ""
    netloc = f"{userinfo}{literal}" + (f":{parts.port}" if parts.port else "")
    return Pinned(
        url=parts._replace(netloc=netloc).geturl(),
        host=hostport,
        server_name=host if parts.scheme == "https" else None,
    )
