"""Requests a schema fuzzer (schemathesis, over docs/openapi.json) sent to the API, kept as
plain regressions. The promise: bad input gets a clear 4xx error saying what is wrong —
never a 500, never a stack trace.

Integer ids and offsets the schema left unbounded reached SQLite (64-bit INTEGER) or the
audit log's canonical JSON (integers up to 2**53) and answered 500 or 503; they are now
bounded in the schema (`plateledger.api.ids`) and answered 422. The others pin odd inputs
the API already answered well. The fuzzer itself is not a dependency of the project.
"""

from __future__ import annotations

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import Seed, code, login

TOO_BIG = 2**63  # one past SQLite's largest INTEGER
INTERNAL = "internal_error"


def _admin(client: TestClient) -> dict[str, str]:
    return login(client, "ucpd-admin")


def _assert_clear_4xx(response: httpx.Response, field: str | None = None) -> None:
    assert 400 <= response.status_code < 500, response.text
    error = response.json()["error"]
    assert error["message"]
    assert "Traceback" not in response.text
    if field is not None:
        assert any(d["field"] == field for d in error.get("details", [])), response.text


# --- 500s (and one 503) found by the fuzzer ---------------------------------------------


@pytest.mark.parametrize(("method", "path", "body"), [
    ("DELETE", f"/v1/hotlists/{TOO_BIG}", None),
    ("DELETE", f"/v1/hotlists/{TOO_BIG}/entries/1", None),
    ("POST", f"/v1/hotlists/{TOO_BIG}/entries/1/expire", {}),
])
def test_hotlist_id_past_sqlite_integer_is_a_4xx(
    client: TestClient, method: str, path: str, body: dict | None
) -> None:
    """A hot-list id no list can have is a 404 (or a 422), not a 500.

    ``DELETE /v1/hotlists/9223372036854775808`` (and its entry routes) as an admin."""
    response = client.request(method, path, headers=_admin(client), json=body)
    _assert_clear_4xx(response)


@pytest.mark.parametrize(("method", "body"), [("GET", None), ("POST", {"node": "peer"})])
def test_hotlist_shares_of_an_impossible_list_is_a_4xx(
    client: TestClient, method: str, body: dict | None
) -> None:
    """Reading or adding the shares of a list id past SQLite's range is a 4xx.

    ``GET|POST /v1/hotlists/9223372036854775808/shares`` as an admin."""
    response = client.request(
        method, f"/v1/hotlists/{TOO_BIG}/shares", headers=_admin(client), json=body
    )
    _assert_clear_4xx(response)


def test_unsharing_an_impossible_list_is_a_4xx(client: TestClient) -> None:
    """``DELETE /v1/hotlists/9223372036854775808/shares/peer`` as an admin: a 4xx."""
    response = client.delete(f"/v1/hotlists/{TOO_BIG}/shares/peer", headers=_admin(client))
    _assert_clear_4xx(response)


def test_revoking_an_impossible_zone_is_a_4xx(client: TestClient) -> None:
    """``DELETE /v1/admin/zones/9223372036854775808`` as an admin: a 4xx."""
    response = client.delete(f"/v1/admin/zones/{TOO_BIG}", headers=_admin(client))
    _assert_clear_4xx(response)


@pytest.mark.parametrize("kind", ["agreements", "declarations"])
def test_revoking_an_impossible_sharing_record_is_a_4xx(client: TestClient, kind: str) -> None:
    """``DELETE /v1/admin/{agreements|declarations}/9223372036854775808`` as an admin: a 4xx."""
    response = client.delete(f"/v1/admin/{kind}/{TOO_BIG}", headers=_admin(client))
    _assert_clear_4xx(response)


@pytest.mark.parametrize("action", ["replay", "discard"])
def test_acting_on_an_impossible_quarantine_item_is_a_4xx(
    client: TestClient, action: str
) -> None:
    """``POST /v1/admin/quarantine/9223372036854775808/replay`` (or ``/discard``): a 4xx."""
    response = client.post(f"/v1/admin/quarantine/{TOO_BIG}/{action}", headers=_admin(client))
    _assert_clear_4xx(response)


def test_quarantine_offset_past_sqlite_integer_is_a_4xx(client: TestClient) -> None:
    """``GET /v1/admin/quarantine?offset=9223372036854775808``: a 422 naming ``offset``."""
    response = client.get(
        "/v1/admin/quarantine", params={"offset": TOO_BIG}, headers=_admin(client)
    )
    _assert_clear_4xx(response, "offset")


def test_quarantine_offset_past_json_safe_integer_is_a_4xx(client: TestClient) -> None:
    """An offset the audit entry cannot record (canonical JSON stops at 2**53) is the
    client's mistake, a 422 — not a 503 blaming the audit log.

    ``GET /v1/admin/quarantine?offset=9007199254740992`` as an admin."""
    response = client.get(
        "/v1/admin/quarantine", params={"offset": 2**53}, headers=_admin(client)
    )
    _assert_clear_4xx(response, "offset")


def test_retrying_an_impossible_outbox_item_is_a_4xx(client: TestClient) -> None:
    """``POST /v1/webhooks/outbox/9223372036854775808/retry`` as an admin: a 4xx."""
    response = client.post(f"/v1/webhooks/outbox/{TOO_BIG}/retry", headers=_admin(client))
    _assert_clear_4xx(response)


# --- odd inputs already answered well ----------------------------------------------------


def test_largest_sqlite_integer_list_id_is_not_found(client: TestClient) -> None:
    """The largest id SQLite can hold is simply an unknown list.

    ``DELETE /v1/hotlists/9223372036854775807`` -> 404 ``unknown_list``."""
    response = client.delete(f"/v1/hotlists/{2**63 - 1}", headers=_admin(client))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "unknown_list"


def test_negative_list_id_is_not_found(client: TestClient) -> None:
    """``DELETE /v1/hotlists/-1`` -> 404 ``unknown_list``."""
    response = client.delete("/v1/hotlists/-1", headers=_admin(client))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "unknown_list"


def test_float_notation_list_id_names_the_field(client: TestClient) -> None:
    """``DELETE /v1/hotlists/1e3`` -> 422 naming ``list_id``."""
    response = client.delete("/v1/hotlists/1e3", headers=_admin(client))
    assert response.status_code == 422
    _assert_clear_4xx(response, "list_id")


def test_largest_json_safe_quarantine_offset_is_an_empty_page(client: TestClient) -> None:
    """``GET /v1/admin/quarantine?offset=9007199254740991`` -> 200, no items."""
    response = client.get(
        "/v1/admin/quarantine", params={"offset": 2**53 - 1}, headers=_admin(client)
    )
    assert response.status_code == 200
    assert response.json()["items"] == []


def test_negative_quarantine_offset_names_the_field(client: TestClient) -> None:
    """``GET /v1/admin/quarantine?offset=-1`` -> 422 naming ``offset``."""
    response = client.get("/v1/admin/quarantine", params={"offset": -1}, headers=_admin(client))
    assert response.status_code == 422
    _assert_clear_4xx(response, "offset")


def test_huge_hit_id_is_not_found(client: TestClient, seed: Seed) -> None:
    """Hit ids are strings: ``GET /v1/hits/9223372036854775808`` -> 404 ``unknown_hit``."""
    headers = login(client, "ivy", code(seed.investigator_totp))
    response = client.get(f"/v1/hits/{TOO_BIG}", headers=headers)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "unknown_hit"


def test_huge_audit_index_is_bounded_by_the_schema(client: TestClient) -> None:
    """``GET /v1/audit/entries/9223372036854775808`` -> 422 naming ``index`` (bounded)."""
    response = client.get(f"/v1/audit/entries/{TOO_BIG}")
    assert response.status_code == 422
    _assert_clear_4xx(response, "index")


def test_huge_agency_id_sharing_is_not_found(client: TestClient) -> None:
    """``GET /v1/agencies/9223372036854775808/sharing`` -> 404 ``unknown_agency``."""
    response = client.get(f"/v1/agencies/{TOO_BIG}/sharing")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "unknown_agency"
