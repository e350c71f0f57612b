"""HTTP Message Signatures (RFC 9421) with Ed25519, and Content-Digest (RFC 9530).

A node request carries three headers beside its JSON body:

- ``Content-Digest: sha-256=:<base64 SHA-256 of the body>:`` (RFC 9530 §2);
- ``Signature-Input: sig1=("@method" "@authority" "@path" "@query" "content-digest"
  "content-type");created=<unix seconds>;keyid="<key id>";nonce="<random>";alg="ed25519";
  tag="plateledger-federation"`` (RFC 9421 §4.1);
- ``Signature: sig1=:<base64 Ed25519 signature of the signature base>:`` (§4.2).

The signature base (§2.5) is one line per covered component, ``"<name>": <value>``, then
``"@signature-params": <the inner list above>``, joined by newlines without a final one.
The components are those RFC 9421 §2.2 derives from the request: ``@method`` (upper
case), ``@authority`` (host, and port unless the default, lower case), ``@path`` and
``@query`` (``?`` and the query; ``?`` alone without one). ``@target-uri`` is left out on
purpose: a TLS-terminating proxy changes its scheme, while the authority, path and query
it forwards unchanged. The signer takes ``@authority`` from the URL it registered for the
receiver; the receiver from its own public URL (`url_authority`), never from the
``Host`` a request arrives with: a request signed for one node does not verify at
another.

The parser reads only this profile (one signature, string and integer parameters): a
request outside it is refused, never guessed at.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from plateledger.federation.errors import RequestRefused
from plateledger.federation.keys import NodeKey

__all__ = [
    "COVERED",
    "LABEL",
    "TAG",
    "RequestParts",
    "SignatureInput",
    "content_digest",
    "parse_signature",
    "request_parts",
    "sign_request",
    "signature_base",
    "url_authority",
]

LABEL = "sig1"
TAG = "plateledger-federation"
COVERED = ("@method", "@authority", "@path", "@query", "content-digest", "content-type")
"""What every node request signs, at least (the verifier refuses a signature covering
less)."""

_INPUT = re.compile(r'^([a-z*][a-z0-9_.*-]*)=\(((?:"[^"\\]*"(?: "[^"\\]*")*)?)\)((?:;.*)?)$')
_PARAM = re.compile(r';([a-z*][a-z0-9_.*-]*)=(-?[0-9]{1,15}|"[^"\\]*")')
_SIGNATURE = re.compile(r"^([a-z*][a-z0-9_.*-]*)=:([A-Za-z0-9+/=]*):$")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def content_digest(body: bytes) -> str:
    """The ``Content-Digest`` field value of ``body`` (RFC 9530, ``sha-256``)."""
    return f"sha-256=:{base64.b64encode(hashlib.sha256(body).digest()).decode()}:"


@dataclass(frozen=True, slots=True)
class RequestParts:
    """The derived components of one request (RFC 9421 §2.2)."""

    method: str
    authority: str
    path: str
    query: str

    def derived(self, name: str) -> str:
        return {
            "@method": self.method.upper(),
            "@authority": self.authority.lower(),
            "@path": self.path or "/",
            "@query": f"?{self.query}",
        }[name]


def url_authority(url: str) -> str:
    """The ``@authority`` of a request for ``url``: its host, and its port unless the
    scheme's default, lower case. A node derives its own from its public URL, never from
    a request's ``Host``."""
    split = urlsplit(url)
    host = (split.hostname or "").lower()
    port = split.port
    return host if port is None or _DEFAULT_PORTS.get(split.scheme) == port else f"{host}:{port}"


def request_parts(method: str, url: str) -> RequestParts:
    """The components of a request for ``url``, as its recipient will derive them."""
    split = urlsplit(url)
    return RequestParts(method, url_authority(url), split.path, split.query)


@dataclass(frozen=True, slots=True)
class SignatureInput:
    """One parsed signature: its covered components, parameters and value."""

    label: str
    components: tuple[str, ...]
    params: str
    """The parameters as sent (``;created=…;keyid="…"``), signed as they are."""
    created: int
    keyid: str
    nonce: str
    alg: str | None
    tag: str | None
    signature: bytes

    def serialized(self) -> str:
        """The ``@signature-params`` value: the inner list and its parameters."""
        inner = " ".join(f'"{c}"' for c in self.components)
        return f"({inner}){self.params}"


def signature_base(
    components: Sequence[str],
    params: str,
    parts: RequestParts,
    fields: Mapping[str, str],
) -> bytes:
    """The signature base of RFC 9421 §2.5. ``fields`` maps lower-case header names to
    their values; a covered field that is absent is refused."""
    lines = []
    for name in components:
        if name.startswith("@"):
            if name not in ("@method", "@authority", "@path", "@query"):
                raise RequestRefused(
                    "signature_invalid", f"derived component `{name[:32]}` is not supported"
                )
            value = parts.derived(name)
        else:
            found = fields.get(name)
            if found is None:
                raise RequestRefused("signature_invalid", f"signed header `{name[:64]}` is missing")
            value = found.strip()
        lines.append(f'"{name}": {value}')
    inner = " ".join(f'"{c}"' for c in components)
    lines.append(f'"@signature-params": ({inner}){params}')
    return "\n".join(lines).encode()


def sign_request(
    key: NodeKey,
    method: str,
    url: str,
    body: bytes,
    *,
    created: int,
    nonce: str | None = None,
    content_type: str = "application/json",
) -> dict[str, str]:
    """The headers that sign a request of ``method`` to ``url`` with ``body``."""
    nonce = nonce or secrets.token_urlsafe(24)
    fields = {"content-digest": content_digest(body), "content-type": content_type}
    params = (
        f';created={created};keyid="{key.public.key_id}";nonce="{nonce}";alg="ed25519";tag="{TAG}"'
    )
    base = signature_base(COVERED, params, request_parts(method, url), fields)
    inner = " ".join(f'"{c}"' for c in COVERED)
    signature = base64.b64encode(key.sign(base)).decode()
    return {
        "Content-Type": content_type,
        "Content-Digest": fields["content-digest"],
        "Signature-Input": f"{LABEL}=({inner}){params}",
        "Signature": f"{LABEL}=:{signature}:",
    }


def parse_signature(signature_input: str | None, signature: str | None) -> SignatureInput:
    """Parse the two signature headers of this profile; raise `RequestRefused`."""
    if not signature_input or not signature:
        raise RequestRefused(
            "signature_missing",
            "a node request must be signed (`Signature-Input` and `Signature`, RFC 9421)",
        )
    found = _INPUT.match(signature_input.strip())
    value = _SIGNATURE.match(signature.strip())
    if found is None or value is None:
        raise RequestRefused(
            "signature_invalid", "`Signature-Input` or `Signature` is not one RFC 9421 signature"
        )
    label, inner, params = found.groups()
    if value.group(1) != label:
        raise RequestRefused(
            "signature_invalid", "`Signature` names another label than `Signature-Input`"
        )
    components = tuple(part.strip('"') for part in inner.split(" ")) if inner else ()
    if len(set(components)) != len(components):
        raise RequestRefused("signature_invalid", "a component is covered twice")
    matched = _PARAM.findall(params)
    if "".join(f";{k}={v}" for k, v in matched) != params:
        raise RequestRefused("signature_invalid", "signature parameters are not understood")
    values = dict(matched)
    if len(values) != len(matched):
        raise RequestRefused("signature_invalid", "a signature parameter is given twice")
    created, keyid, nonce = values.get("created"), values.get("keyid"), values.get("nonce")
    if created is None or not (created.isascii() and created.lstrip("-").isdigit()):
        raise RequestRefused("signature_invalid", "the signature has no `created` time")
    if keyid is None or not keyid.startswith('"'):
        raise RequestRefused("signature_invalid", "the signature names no `keyid`")
    if nonce is None or not nonce.startswith('"') or not 16 <= len(nonce) - 2 <= 64:
        raise RequestRefused(
            "signature_invalid", "the signature has no `nonce` of 16 to 64 characters"
        )
    try:
        raw = base64.b64decode(value.group(2), validate=True)
    except (binascii.Error, ValueError):
        raise RequestRefused("signature_invalid", "the signature is not base64") from None
    alg, tag = values.get("alg"), values.get("tag")
    return SignatureInput(
        label=label,
        components=components,
        params=params,
        created=int(created),
        keyid=keyid.strip('"'),
        nonce=nonce.strip('"'),
        alg=None if alg is None else alg.strip('"'),
        tag=None if tag is None else tag.strip('"'),
        signature=raw,
    )
