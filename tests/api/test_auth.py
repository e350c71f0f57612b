"""Logging in and out over HTTP: tokens, second factor, back-off per source, the 401 paths,
and what each role reads of the audit log (held to docs/accounts.md)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from plateledger.catalog import new_totp_secret, totp_code
from plateledger.catalog.accounts import FIRST_WAIT, FREE_FAILURES, MAX_WAIT
from plateledger.catalog.models import ROLES
from tests.api.conftest import PASSWORD, Seed, code, login


def test_a_login_returns_a_bearer_token_with_its_expiry(client: TestClient) -> None:
    response = client.post(
        "/v1/auth/token", json={"username": "ucpd-admin", "password": PASSWORD}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["access_token"].startswith("plt_")
    assert datetime.fromisoformat(body["expires_at"]) > datetime.now(UTC)


def test_me_names_the_user_and_the_agency_from_the_catalog(
    client: TestClient, seed: Seed
) -> None:
    response = client.get("/v1/me", headers=login(client, "ucpd-admin"))
    assert response.status_code == 200
    me = response.json()
    assert (me["username"], me["roles"]) == ("ucpd-admin", ["admin"])
    assert (me["agency_id"], me["agency_slug"], me["agency_kind"]) == (
        seed.ucpd_id, "ucpd", "municipal"
    )
    assert me["agency_home_state"] == "CA"


@pytest.mark.parametrize(
    "credentials",
    [
        {"username": "ucpd-admin", "password": "not the password"},
        {"username": "nobody", "password": PASSWORD},
        {"username": "ivy", "password": PASSWORD},
        {"username": "ivy", "password": PASSWORD, "totp": "123456"},
    ],
)
def test_a_failed_login_is_401_without_saying_which_part_was_wrong(
    client: TestClient, credentials: dict[str, str]
) -> None:
    response = client.post("/v1/auth/token", json=credentials)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert "username, password or one-time code" in response.text


def test_an_investigator_logs_in_with_a_totp_code(client: TestClient, seed: Seed) -> None:
    code = totp_code(seed.investigator_totp, datetime.now(UTC))
    assert client.get("/v1/me", headers=login(client, "ivy", code)).status_code == 200


def test_a_login_body_cannot_carry_an_agency_or_role(client: TestClient) -> None:
    response = client.post(
        "/v1/auth/token",
        json={"username": "ucpd-admin", "password": PASSWORD, "agency_id": 2, "roles": ["x"]},
    )
    assert response.status_code == 422


WRONG = {"username": "audrey", "password": "not the password"}


def test_five_failures_from_one_address_make_that_address_wait(client: TestClient) -> None:
    codes = [client.post("/v1/auth/token", json=WRONG).status_code for _ in range(5)]
    assert codes == [401, 401, 401, 401, 429]
    right = client.post("/v1/auth/token", json={"username": "audrey", "password": PASSWORD})
    assert right.status_code == 429
    assert 0 < int(right.headers["retry-after"]) <= 15
    assert "try again in" in right.json()["error"]["message"]


def test_guessing_from_one_address_does_not_lock_the_officer_out_elsewhere(
    client: TestClient, seed: Seed,
) -> None:
    for _ in range(8):
        client.post("/v1/auth/token", json=WRONG)
    at_the_station = TestClient(client.app, client=("10.20.30.40", 50000))
    response = at_the_station.post("/v1/auth/token", json={
        "username": "audrey", "password": PASSWORD, "totp": code(seed.auditor_totp)})
    assert response.status_code == 200


def test_while_a_source_waits_every_try_is_refused(client: TestClient) -> None:
    for _ in range(5):
        client.post("/v1/auth/token", json=WRONG)
    # the sixth failure comes while the source waits: refused before any check
    refused = client.post("/v1/auth/token", json=WRONG)
    assert refused.status_code == 429 and 0 < int(refused.headers["retry-after"]) <= 15


def test_an_unknown_username_is_answered_like_a_known_one(client: TestClient) -> None:
    unknown = {"username": "nobody-here", "password": "not the password"}
    codes = [client.post("/v1/auth/token", json=unknown).status_code for _ in range(5)]
    assert codes == [401, 401, 401, 401, 429]


def test_the_first_wait_raises_an_alarm_for_the_agency_admin(client: TestClient) -> None:
    for _ in range(5):
        client.post("/v1/auth/token", json=WRONG)
    alarms = client.get("/v1/alarms", headers=login(client, "ucpd-admin")).json()["alarms"]
    assert [(a["kind"], a["user"], a["agency"], a["count"]) for a in alarms] == [
        ("login_backoff", "audrey", "ucpd", 5)]
    assert alarms[0]["source"] == "testclient"
    other = client.get("/v1/alarms", headers=login(client, "fpd-admin")).json()["alarms"]
    assert other == []
    entry = client.get(f"/v1/audit/entries/{alarms[0]['index']}").json()["summary"]
    assert (entry["type"], entry["alarm"]) == ("alarm", "login_backoff")


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer plt_not-a-real-token"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
    ],
)
def test_without_a_valid_token_me_is_401(client: TestClient, headers: dict[str, str]) -> None:
    response = client.get("/v1/me", headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


def test_after_logout_the_token_no_longer_works(client: TestClient) -> None:
    headers = login(client, "ucpd-admin")
    other = login(client, "ucpd-admin")
    assert client.post("/v1/auth/logout", headers=headers).status_code == 204
    assert client.get("/v1/me", headers=headers).status_code == 401
    assert client.get("/v1/me", headers=other).status_code == 200


def test_an_admin_revokes_a_users_tokens(client: TestClient, seed: Seed) -> None:
    audrey = login(client, "audrey", code(seed.auditor_totp))
    admin = login(client, "ucpd-admin")
    response = client.post("/v1/admin/users/audrey/revoke-tokens", headers=admin)
    assert response.json() == {"revoked": 1}
    assert client.get("/v1/me", headers=audrey).status_code == 401


ACCOUNTS_DOC = Path(__file__).resolve().parents[2] / "docs" / "accounts.md"


def test_the_doc_states_the_back_off_the_code_applies() -> None:
    text = ACCOUNTS_DOC.read_text()
    assert f"After **{FREE_FAILURES}** failures" in text
    assert f"**{FIRST_WAIT.seconds} seconds**" in text
    assert f"up to **{MAX_WAIT.seconds // 60} minutes**: **429**" in text
    assert "an account is never locked" in text and "423" not in text


def audit_roles_table() -> dict[str, list[str]]:
    text = ACCOUNTS_DOC.read_text()
    table = text[text.index("<!-- audit-roles-table"):].split("\n\n")[0]
    rows = [line.split("|")[1:-1] for line in table.splitlines() if line.startswith("| ")]
    return {row[0].strip(" `"): [c.strip() for c in row[1:]] for row in rows[1:]}


@pytest.mark.parametrize("role", sorted(ROLES))
def test_the_doc_says_what_each_role_reads_and_the_server_agrees(
    client: TestClient, seed: Seed, role: str,
) -> None:
    entries, alarms = audit_roles_table()[role]
    secret = new_totp_secret()
    catalog = client.app.state.catalog  # type: ignore[attr-defined]
    catalog.add_user(seed.ucpd_id, f"doc-{role}", PASSWORD, [role], totp_secret=secret)
    headers = login(client, f"doc-{role}", code(secret))
    reads_full = entries.startswith("`full=1`") or entries == "as `auditor`"
    full = client.get("/v1/audit/entries", params={"full": 1}, headers=headers)
    assert full.status_code == (200 if reads_full else 403)
    listed = client.get("/v1/alarms", headers=headers)
    assert listed.status_code == (403 if alarms == "none" else 200)
