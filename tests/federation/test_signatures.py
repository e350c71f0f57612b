"""HTTP Message Signatures as RFC 9421 writes them: the signature base of Appendix B.2.6
byte for byte, signed with the RFC's own Ed25519 test key to the RFC's signature; and the
parser of this profile refusing what it does not understand."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.serialization import load_der_private_key
from hypothesis import given, settings
from hypothesis import strategies as st

from plateledger.federation import NodeKey, RequestRefused
from plateledger.federation.keys import NodePublicKey
from plateledger.federation.signatures import (
    COVERED,
    RequestParts,
    content_digest,
    parse_signature,
    request_parts,
    sign_request,
    signature_base,
)

# RFC 9421 Appendix B.1.4 (test-key-ed25519) and B.2.6 (signing a request using ed25519)
RFC_PRIVATE_DER = "MC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF"
RFC_BASE = (
    '"date": Tue, 20 Apr 2021 02:07:55 GMT\n'
    '"@method": POST\n'
    '"@path": /foo\n'
    '"@authority": example.com\n'
    '"content-type": application/json\n'
    '"content-length": 18\n'
    '"@signature-params": ("date" "@method" "@path" "@authority" "content-type" '
    '"content-length");created=1618884473;keyid="test-key-ed25519"'
)
RFC_SIGNATURE = (
    "wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw=="
)


def rfc_key() -> NodeKey:
    private = load_der_private_key(base64.b64decode(RFC_PRIVATE_DER), password=None)
    return NodeKey(private)  # type: ignore[arg-type]


def test_the_signature_base_of_rfc_9421_b_2_6_byte_for_byte() -> None:
    parts = request_parts("post", "https://example.com/foo?param=Value&Pet=dog")
    fields = {
        "date": "Tue, 20 Apr 2021 02:07:55 GMT",
        "content-type": "application/json",
        "content-length": "18",
    }
    components = ("date", "@method", "@path", "@authority", "content-type", "content-length")
    base = signature_base(components, ';created=1618884473;keyid="test-key-ed25519"', parts, fields)
    assert base.decode() == RFC_BASE
    assert base64.b64encode(rfc_key().sign(base)).decode() == RFC_SIGNATURE


def test_rfc_9421_b_2_6_signature_verifies_and_a_changed_base_does_not() -> None:
    public = rfc_key().public
    signature = base64.b64decode(RFC_SIGNATURE)
    assert public.verify(signature, RFC_BASE.encode())
    assert not public.verify(signature, RFC_BASE.replace("/foo", "/bar").encode())


def test_content_digest_is_rfc_9530_sha_256() -> None:
    # RFC 9530 §B.1: the body {"hello": "world"} followed by a newline
    assert content_digest(b'{"hello": "world"}\n') == (
        "sha-256=:RK/0qy18MlBSVnWgjwz6lZEWjP/lF5HF9bvEF8FabDg=:"
    )


def test_authority_and_query_are_derived_as_the_recipient_sees_them() -> None:
    assert request_parts("POST", "https://Node.Example:443/v1/x").authority == "node.example"
    assert request_parts("POST", "http://127.0.0.1:8081/v1/x").authority == "127.0.0.1:8081"
    parts = RequestParts("post", "h", "/p", "")
    assert (parts.derived("@method"), parts.derived("@query")) == ("POST", "?")


def test_a_signed_request_parses_back_to_what_was_signed() -> None:
    key = NodeKey.generate()
    headers = sign_request(
        key, "POST", "http://h/v1/federation/searches", b"{}", created=1_700_000_000, nonce="n" * 20
    )
    signed = parse_signature(headers["Signature-Input"], headers["Signature"])
    assert signed.components == COVERED
    assert (signed.created, signed.keyid, signed.nonce, signed.alg) == (
        1_700_000_000,
        key.public.key_id,
        "n" * 20,
        "ed25519",
    )
    base = signature_base(
        signed.components,
        signed.params,
        request_parts("POST", "http://h/v1/federation/searches"),
        {k.lower(): v for k, v in headers.items()},
    )
    assert key.public.verify(signed.signature, base)
    assert NodePublicKey.parse(key.public.text()) == key.public


@pytest.mark.parametrize(
    ("signature_input", "signature", "code"),
    [
        (None, None, "signature_missing"),
        (
            'sig1=("@method");created=1;keyid="k";nonce="0123456789abcdef"',
            None,
            "signature_missing",
        ),
        ('sig1=("@method")created=1', "sig1=:AA==:", "signature_invalid"),
        (
            'sig1=("@method");created=1;keyid="k";nonce="0123456789abcdef"',
            "sig2=:AA==:",
            "signature_invalid",
        ),
        ('sig1=("@method");keyid="k";nonce="0123456789abcdef"', "sig1=:AA==:", "signature_invalid"),
        ('sig1=("@method");created=1;nonce="0123456789abcdef"', "sig1=:AA==:", "signature_invalid"),
        ('sig1=("@method");created=1;keyid="k";nonce="short"', "sig1=:AA==:", "signature_invalid"),
        (
            'sig1=("@method");created=1;created=2;keyid="k";nonce="0123456789abcdef"',
            "sig1=:AA==:",
            "signature_invalid",
        ),
        (
            'sig1=("@method" "@method");created=1;keyid="k";nonce="0123456789abcdef"',
            "sig1=:AA==:",
            "signature_invalid",
        ),
        (
            'sig1=("@method");created=1;keyid="k";nonce="0123456789abcdef"',
            "sig1=:not base64!:",
            "signature_invalid",
        ),
    ],
)
def test_a_signature_outside_this_profile_is_refused(
    signature_input: str | None, signature: str | None, code: str
) -> None:
    with pytest.raises(RequestRefused) as refused:
        parse_signature(signature_input, signature)
    assert refused.value.code == code


def test_a_key_that_is_not_ed25519_base64_is_refused() -> None:
    with pytest.raises(Exception, match="not a base64 Ed25519 public key"):
        NodePublicKey.parse("not a key")


@settings(max_examples=300, deadline=None)
@given(
    signature_input=st.one_of(
        st.none(),
        st.text(max_size=200),
        st.builds(
            lambda inner, params: f"sig1=({inner}){params}",
            st.text(alphabet='"@abc- ', max_size=40),
            st.text(alphabet=';=created"keyidnoncealg0123456789-', max_size=80),
        ),
    ),
    signature=st.one_of(st.none(), st.text(max_size=120), st.just("sig1=:AA==:")),
)
def test_any_header_text_is_parsed_or_refused_never_an_error(
    signature_input: str | None, signature: str | None
) -> None:
    try:
        parsed = parse_signature(signature_input, signature)
    except RequestRefused as refused:
        assert refused.code in ("signature_missing", "signature_invalid")
    else:
        assert 16 <= len(parsed.nonce) <= 64 and parsed.keyid
