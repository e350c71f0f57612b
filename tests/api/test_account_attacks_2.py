"""Accounts and administration against someone holding a legitimate login (docs/accounts.md):
an agency's admin reaches only its own users and keys, a user cannot widen what they get,
a session ends when what it was granted on changes, a one-time code serves once, the
back-off counts per username and source, and a failed login never tells which part was
wrong.

World: the API fixtures' Union City (`ucpd`: `ucpd-admin`, investigator `ivy`, auditor
`audrey`) and Fremont (`fpd`: `fpd-admin`), second factors on; some tests add Hayward
(`hpd`), which Fremont does not share with. A test marked ``xfail(strict=True)`` states a
promise the code does not keep yet.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from plateledger.access.admin_changes import Actor, AdminChanges
from plateledger.api.app import create_app
from plateledger.audit import AuditLog
from plateledger.catalog import AuthError, Catalog, new_totp_secret, open_catalog, totp_code
from plateledger.catalog.accounts import FREE_FAILURES
from plateledger.catalog.passwords import FAST
from plateledger.catalog.totp import STEP_SECONDS
from plateledger.settings import Settings
from tests.api.conftest import PASSWORD, Seed, code, login
from tests.factories import make_read, unique_plate

TOKEN = "/v1/auth/token"
REASON = "grey sedan seen leaving the burglary on Elm"


def opened(settings: Settings) -> Catalog:
    return open_catalog(settings, password_hasher=FAST)


def bearer(raw: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {raw}"}


def token_of(client: TestClient, username: str, totp: str | None = None) -> str:
    response = client.post(TOKEN, json={"username": username, "password": PASSWORD,
                                        "totp": totp})
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def from_address(client: TestClient, host: str) -> TestClient:
    """A client of the same server whose requests come from ``host``."""
    return TestClient(client.app, client=(host, 50000))


# --- an admin reaches only their own agency's users -------------------------------------

OTHER_AGENCY_USER_CHANGES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("PUT", "roles", {"roles": ["admin", "investigator"]}),
    ("PUT", "acting-for", {"agency": "ucpd"}),
    ("POST", "unlock", None),
    ("POST", "revoke-tokens", None),
]


@pytest.mark.parametrize(("method", "action", "body"), OTHER_AGENCY_USER_CHANGES)
def test_another_agencys_user_answers_like_a_user_that_does_not_exist(
    client: TestClient, settings: Settings, method: str, action: str,
    body: dict[str, Any] | None,
) -> None:
    fpd_admin = login(client, "fpd-admin")
    real = client.request(method, f"/v1/admin/users/audrey/{action}", headers=fpd_admin,
                          json=body)
    absent = client.request(method, f"/v1/admin/users/nobody-here/{action}",
                            headers=fpd_admin, json=body)
    assert (real.status_code, absent.status_code) == (404, 404)
    assert real.json()["error"]["code"] == absent.json()["error"]["code"] == "not_found"
    assert real.json()["error"]["message"].replace("audrey", "X") == \
        absent.json()["error"]["message"].replace("nobody-here", "X")
    catalog = opened(settings)
    try:
        audrey = catalog.user_by_username("audrey")
        assert audrey is not None
        assert (audrey.roles, audrey.acting_for_agency_id) == (["auditor"], None)
    finally:
        catalog.close()


def test_a_new_user_always_joins_the_admins_own_agency(
    client: TestClient, seed: Seed
) -> None:
    fpd_admin = login(client, "fpd-admin")
    for extra in ({"agency": "ucpd"}, {"agency_id": seed.ucpd_id}, {"acting_for": "ucpd"}):
        response = client.post("/v1/admin/users", headers=fpd_admin, json={
            "username": "mallory", "password": PASSWORD, "roles": ["auditor"], **extra})
        assert response.status_code == 422, extra
    created = client.post("/v1/admin/users", headers=fpd_admin, json={
        "username": "mallory", "password": PASSWORD, "roles": ["auditor"]})
    assert created.status_code == 201
    assert created.json()["acting_for_agency_id"] is None
    ucpd = [u["username"] for u in
            client.get("/v1/admin/users", headers=login(client, "ucpd-admin")).json()]
    assert "mallory" not in ucpd
    mallory = login(client, "mallory", code(created.json()["totp_secret"]))
    assert client.get("/v1/me", headers=mallory).json()["agency_slug"] == "fpd"


@pytest.mark.parametrize("role", ["federal", "ucpd:admin", "superuser", "ADMIN", "admin "])
def test_no_role_outside_the_closed_list_can_be_granted(
    client: TestClient, settings: Settings, role: str
) -> None:
    admin = login(client, "ucpd-admin")
    response = client.put("/v1/admin/users/audrey/roles", headers=admin,
                          json={"roles": [role]})
    assert response.status_code == 422
    catalog = opened(settings)
    try:
        audrey = catalog.user_by_username("audrey")
        assert audrey is not None and audrey.roles == ["auditor"]
    finally:
        catalog.close()


def test_an_admin_cannot_raise_or_change_their_own_roles(client: TestClient) -> None:
    admin = login(client, "ucpd-admin")
    response = client.put("/v1/admin/users/ucpd-admin/roles", headers=admin,
                          json={"roles": ["admin", "supervisor", "investigator"]})
    assert response.status_code == 422
    assert client.get("/v1/me", headers=admin).json()["roles"] == ["admin"]


def test_a_user_without_the_admin_role_cannot_change_their_own_roles_or_agency(
    client: TestClient, seed: Seed
) -> None:
    ivy = login(client, "ivy", code(seed.investigator_totp))
    for path, body in (("/v1/admin/users/ivy/roles", {"roles": ["admin"]}),
                       ("/v1/admin/users/ivy/acting-for", {"agency": "fpd"})):
        response = client.put(path, headers=ivy, json=body)
        assert response.status_code == 403, path
        assert "role-manage" in response.text
    me = client.get("/v1/me", headers=ivy).json()
    assert (me["roles"], me["agency_slug"]) == (["investigator"], "ucpd")


def test_acting_for_a_partner_does_not_borrow_the_partners_agreements(
    client: TestClient, settings: Settings, seed: Seed
) -> None:
    """Fremont shares with Union City. Hayward's admin records a Hayward investigator as
    acting for Union City: acting-for only narrows, so the officer still reaches no
    Fremont read, while Union City's own investigator does."""
    secret = new_totp_secret()
    catalog = opened(settings)
    try:
        hpd = catalog.add_agency("Hayward PD", "hpd", "municipal", "CA")
        catalog.add_user(hpd.id, "hpd-admin", PASSWORD, ["admin"])
        catalog.add_user(hpd.id, "hank", PASSWORD, ["investigator"], totp_secret=secret)
        catalog.add_camera("fpd-cam-9", seed.fpd_id, lat=37.55, lon=-121.98)
        catalog.add_agreement(seed.fpd_id, seed.ucpd_id, actions=("search",),
                              purposes=("stolen_vehicle",), created_by="fpd-admin",
                              case_number_required=True)
    finally:
        catalog.close()
    plate = unique_plate("8")
    client.app.state.store.insert_reads([  # type: ignore[attr-defined]
        make_read(plate, camera="fpd-cam-9", owner=seed.fpd_id, minutes_ago=10)])
    changed = client.put("/v1/admin/users/hank/acting-for",
                         headers=login(client, "hpd-admin"), json={"agency": "ucpd"})
    assert changed.status_code == 200, changed.text
    body = {"kind": "exact", "params": {"plate": plate}, "purpose": "stolen_vehicle",
            "offense_type": "240", "case_number": "UC-0912", "reason": REASON}
    partner = client.post("/v1/searches", json=body,
                          headers=login(client, "ivy", code(seed.investigator_totp))).json()
    assert [r["plate"] for r in partner["results"]] == [plate], partner
    borrowed = client.post("/v1/searches", json=body, headers=login(client, "hank", code(secret)))
    assert borrowed.status_code == 200, borrowed.text
    assert borrowed.json()["results"] == []
    owners = {o["owner_id"]: o for o in borrowed.json()["owners"]}
    assert not owners[seed.fpd_id]["allowed"]


# --- sessions end when what they were granted on changes ---------------------------------


def test_a_password_reset_ends_the_sessions_it_was_granted_on(
    client: TestClient, settings: Settings
) -> None:
    raw = token_of(client, "ucpd-admin")
    assert client.get("/v1/me", headers=bearer(raw)).status_code == 200
    catalog = opened(settings)
    try:
        catalog.set_password("ucpd-admin", "a brand new passphrase")
    finally:
        catalog.close()
    refused = client.get("/v1/me", headers=bearer(raw))
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"] == "Bearer"


def test_changing_a_users_roles_ends_the_sessions_of_the_old_roles(
    client: TestClient, seed: Seed
) -> None:
    raw = token_of(client, "audrey", code(seed.auditor_totp))
    changed = client.put("/v1/admin/users/audrey/roles", headers=login(client, "ucpd-admin"),
                         json={"roles": ["supervisor"]})
    assert changed.status_code == 200, changed.text
    assert client.get("/v1/me", headers=bearer(raw)).status_code == 401


def test_re_enrolling_a_second_factor_ends_the_sessions_of_the_old_one(
    client: TestClient, settings: Settings, seed: Seed
) -> None:
    raw = token_of(client, "ivy", code(seed.investigator_totp))
    assert client.get("/v1/me", headers=bearer(raw)).status_code == 200
    catalog = opened(settings)
    try:
        changes = AdminChanges(catalog, AuditLog(catalog.engine, signer=None))
        changes.enroll_totp(Actor.operator(), "ivy", new_totp_secret())
    finally:
        catalog.close()
    assert client.get("/v1/me", headers=bearer(raw)).status_code == 401


def test_a_second_factor_sealed_under_another_secret_key_never_verifies(
    settings: Settings, seed: Seed
) -> None:
    """The server's key changed: the enrolled secret cannot be opened, so the right code
    fails like a wrong one (enrol again), never a 500 and never a login without it."""
    rotated = settings.model_copy(update={"secret_key": "z" * 32})
    with TestClient(create_app(rotated)) as other:
        refused = other.post(TOKEN, json={"username": "ivy", "password": PASSWORD,
                                          "totp": code(seed.investigator_totp)})
        assert refused.status_code == 401
        assert "username, password or one-time code" in refused.text
        assert other.post(TOKEN, json={"username": "ivy", "password": PASSWORD}
                          ).status_code == 401


# --- a one-time code serves once ---------------------------------------------------------


def test_a_one_time_code_serves_one_login_only(client: TestClient, seed: Seed) -> None:
    once = code(seed.auditor_totp)
    first = client.post(TOKEN, json={"username": "audrey", "password": PASSWORD, "totp": once})
    assert first.status_code == 200
    elsewhere = from_address(client, "10.9.8.7")
    again = elsewhere.post(TOKEN, json={"username": "audrey", "password": PASSWORD,
                                        "totp": once})
    assert again.status_code == 401


def test_a_code_of_an_earlier_step_fails_once_a_later_one_was_used(
    settings: Settings, seed: Seed
) -> None:
    """One step of drift is accepted either way: the next step's code logs in, after which
    the current step's code (still inside the window) is refused."""
    at = datetime(2026, 3, 2, 9, 0, 10, tzinfo=UTC)
    step = timedelta(seconds=STEP_SECONDS)
    catalog = opened(settings)
    try:
        ahead = totp_code(seed.investigator_totp, at + step)
        assert catalog.authenticate_password("ivy", PASSWORD, ahead, now=at)
        for earlier in (totp_code(seed.investigator_totp, at),
                        totp_code(seed.investigator_totp, at - step)):
            with pytest.raises(AuthError):
                catalog.authenticate_password("ivy", PASSWORD, earlier, now=at)
    finally:
        catalog.close()


# --- the back-off: per username and source, as the doc says ------------------------------

WRONG = "not the password"


def test_rotating_usernames_from_one_address_gives_each_its_own_count(
    client: TestClient,
) -> None:
    """Failures are counted per username *and* source: a guesser spreading tries over
    names gets ``FREE_FAILURES - 1`` answers per name before each name's wait."""
    names = ["audrey", "ivy", "ucpd-admin", "no-such-user"]
    for name in names:
        codes = [client.post(TOKEN, json={"username": name, "password": WRONG}).status_code
                 for _ in range(FREE_FAILURES - 1)]
        assert codes == [401] * (FREE_FAILURES - 1), name
    for name in names:
        assert client.post(TOKEN, json={"username": name, "password": WRONG}
                           ).status_code == 429, name


def test_rotating_addresses_for_one_user_raises_an_alarm_for_every_waiting_source(
    client: TestClient,
) -> None:
    """Every source of one user gets its own free tries (the doc's choice: nobody can lock
    an officer out), and every source that is made to wait raises an alarm, so spread
    guessing is seen by the agency."""
    sources = ["10.0.0.1", "10.0.0.2", "10.0.0.3"]
    for host in sources:
        guesser = from_address(client, host)
        codes = [guesser.post(TOKEN, json={"username": "audrey", "password": WRONG}
                              ).status_code for _ in range(FREE_FAILURES)]
        assert codes == [401] * (FREE_FAILURES - 1) + [429], host
    alarms = client.get("/v1/alarms", headers=login(client, "ucpd-admin")).json()["alarms"]
    assert sorted(a["source"] for a in alarms if a["user"] == "audrey") == sources


def test_unlock_lifts_every_sources_wait(client: TestClient) -> None:
    for host in ("10.0.0.1", "10.0.0.2"):
        guesser = from_address(client, host)
        for _ in range(FREE_FAILURES):
            guesser.post(TOKEN, json={"username": "ucpd-admin", "password": WRONG})
    # an admin account has no second factor here: the other admin unlocks it by API
    admin = login(from_address(client, "10.0.0.9"), "ucpd-admin")
    assert client.post("/v1/admin/users/ucpd-admin/unlock", headers=admin
                       ).status_code == 200
    for host in ("10.0.0.1", "10.0.0.2"):
        assert from_address(client, host).post(
            TOKEN, json={"username": "ucpd-admin", "password": PASSWORD}).status_code == 200


def test_a_password_reset_lifts_every_sources_wait(
    client: TestClient, settings: Settings
) -> None:
    guesser = from_address(client, "10.0.0.1")
    for _ in range(FREE_FAILURES):
        guesser.post(TOKEN, json={"username": "ucpd-admin", "password": WRONG})
    catalog = opened(settings)
    try:
        changes = AdminChanges(catalog, AuditLog(catalog.engine, signer=None))
        changes.set_password(Actor.operator(), "ucpd-admin", "a brand new passphrase")
    finally:
        catalog.close()
    response = guesser.post(TOKEN, json={"username": "ucpd-admin",
                                         "password": "a brand new passphrase"})
    assert response.status_code == 200, response.text


# --- no enumeration oracle ---------------------------------------------------------------


def _answer(client: TestClient, body: dict[str, Any]) -> tuple[int, str, dict[str, Any]]:
    response = client.post(TOKEN, json=body)
    return response.status_code, response.headers.get("www-authenticate", ""), response.json()


def test_a_failed_login_answers_the_same_for_every_kind_of_wrong(
    client: TestClient, settings: Settings
) -> None:
    catalog = opened(settings)
    try:
        agency = catalog.agency_by_slug("ucpd")
        assert agency is not None
        catalog.add_user(agency.id, "gone", PASSWORD, ["admin"])
        catalog.set_disabled("gone", True)
    finally:
        catalog.close()
    tries = [
        {"username": "nobody-here", "password": PASSWORD},
        {"username": "ucpd-admin", "password": WRONG},
        {"username": "gone", "password": PASSWORD},
        {"username": "ivy", "password": WRONG, "totp": "123456"},
        {"username": "ivy", "password": PASSWORD, "totp": "000000"},
        {"username": "ivy", "password": PASSWORD},
    ]
    answers = [_answer(from_address(client, f"10.1.0.{i}"), body)
               for i, body in enumerate(tries)]
    assert answers[0][0] == 401
    assert all(a == answers[0] for a in answers), answers


def test_probing_another_agencys_keys_tells_nothing(client: TestClient) -> None:
    ucpd = login(client, "ucpd-admin")
    created = client.post("/v1/admin/keys", headers=ucpd, json={"label": "agent 1"}).json()
    assert client.delete(f"/v1/admin/keys/{created['prefix']}", headers=ucpd
                         ).status_code == 204
    fpd = login(client, "fpd-admin")
    assert client.get("/v1/admin/keys", headers=fpd).json() == []
    revoked = client.delete(f"/v1/admin/keys/{created['prefix']}", headers=fpd)
    absent = client.delete("/v1/admin/keys/000000000000", headers=fpd)
    assert (revoked.status_code, absent.status_code) == (404, 404)
    assert revoked.json()["error"]["code"] == absent.json()["error"]["code"]


def test_a_key_limited_to_a_camera_works_only_until_revoked(client: TestClient) -> None:
    admin = login(client, "ucpd-admin")
    assert client.post("/v1/admin/cameras", headers=admin, json={
        "camera_id": "ucpd-fx-31", "lat": 37.59, "lon": -122.02}).status_code == 201
    created = client.post("/v1/admin/keys", headers=admin,
                          json={"camera_id": "ucpd-fx-31"}).json()
    other = client.post("/v1/admin/keys", headers=login(client, "fpd-admin"),
                        json={"camera_id": "ucpd-fx-31"})
    assert other.status_code == 404
    key = {"X-API-Key": created["key"]}
    assert client.post("/v1/reads", headers=key, json=[]).status_code != 401
    assert client.delete(f"/v1/admin/keys/{created['prefix']}", headers=admin
                         ).status_code == 204
    assert client.post("/v1/reads", headers=key, json=[]).status_code == 401


# --- refusals are answers, never stack traces --------------------------------------------

ODD: list[tuple[str, str, Any]] = [
    ("PUT", "/v1/admin/users/" + "a" * 500 + "/roles", {"roles": ["auditor"]}),
    ("PUT", "/v1/admin/users/audrey/roles", {"roles": []}),
    ("PUT", "/v1/admin/users/audrey/roles", {"roles": ["auditor"] * 50}),
    ("PUT", "/v1/admin/users/audrey/acting-for", {"agency": "\x00' OR 1=1 --"}),
    ("PUT", "/v1/admin/users/audrey/acting-for", {"agency": 7}),
    ("PUT", "/v1/admin/users/audrey/acting-for", {}),
    ("POST", "/v1/admin/users", {"username": "Robert'); DROP TABLE users;--",
                                 "password": PASSWORD, "roles": ["admin"]}),
    ("POST", "/v1/admin/users", {"username": "ucpd-admin", "password": PASSWORD,
                                 "roles": ["admin"]}),
    ("POST", "/v1/admin/users", {"username": "weak", "password": "x" * 11,
                                 "roles": ["admin"]}),
    ("DELETE", "/v1/admin/keys/%00%ff", None),
    ("POST", "/v1/admin/keys", {"camera_id": "no-such-camera"}),
]


@pytest.mark.parametrize(("method", "path", "body"), ODD)
def test_odd_admin_input_is_refused_without_internals(
    client: TestClient, method: str, path: str, body: Any
) -> None:
    response = client.request(method, path, headers=login(client, "ucpd-admin"), json=body)
    assert 400 <= response.status_code < 500, response.text
    for internal in ("Traceback", "sqlalchemy", "sqlite3", "File \"", ".py"):
        assert internal not in response.text, response.text


@pytest.mark.parametrize("body", [
    {"username": "ivy", "password": PASSWORD, "totp": "x" * 17},
    {"username": "", "password": PASSWORD},
    {"username": "ivy\x00", "password": PASSWORD},
    {"username": "ivy", "password": "p" * 2000},
    {"username": ["ivy"], "password": PASSWORD},
])
def test_an_odd_login_is_refused_without_internals(
    client: TestClient, body: dict[str, Any]
) -> None:
    response = client.post(TOKEN, json=body)
    assert response.status_code in (401, 422), response.text
    for internal in ("Traceback", "sqlalchemy", "sqlite3", "File \""):
        assert internal not in response.text, response.text
