"""docs/accounts.md and docs/retention.md, sentence by sentence: the claims no other test
held, each held here against the real app (SQLite catalog, the embedded read store), the
real hold store and purge, or the real `plateledger` command.

Each test's docstring quotes the claim it holds. A claim the code does not keep is an
expected failure (``xfail(strict=True)``) whose reason says what happens instead.

The read store is one per test process and shared with other test files: every plate here
is unique to its test (`unique_plate`).
"""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import create_engine
from typer.testing import CliRunner

from plateledger.audit import AuditLog, NoteSigner
from plateledger.audit.changes import ChangeNotLogged
from plateledger.catalog.passwords import FAST
from plateledger.cli.main import app as cli
from plateledger.retention import HoldStore, LegalHold, ReadSelection, create_tables, purge
from plateledger.settings import Settings
from tests.api.conftest import PASSWORD, Seed, catalog_of, code, login, refuse_entries
from tests.factories import make_read, unique_plate

TOKEN = "/v1/auth/token"
WRONG = "not the password at all"
runner = CliRunner()


def _from(client: TestClient, host: str) -> TestClient:
    """The same app, reached from ``host``."""
    return TestClient(client.app, client=(host, 50000))


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- docs/accounts.md -------------------------------------------------------------------


def test_passwords_are_hashed_with_rfc_9106s_second_option_and_verify_under_any_hasher(
    settings: Settings, seed: Seed, client: TestClient,
) -> None:
    """"Hashed with argon2id (argon2-cffi; time cost 3, 64 MiB, parallelism 4 …) … a hash
    records its parameters, so it verifies under any hasher.\""""
    admin = login(client, "ucpd-admin")
    created = client.post("/v1/admin/users", headers=admin, json={
        "username": "hal", "password": PASSWORD, "roles": ["admin"]})
    assert created.status_code == 201, created.text
    with catalog_of(settings) as catalog:
        user = catalog.user_by_username("hal")
        assert user is not None
        assert user.password_hash.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
        # a hash made at the cheap test cost verifies under the production hasher
        assert PasswordHasher(time_cost=3, memory_cost=64 * 1024, parallelism=4).verify(
            FAST.hash(PASSWORD), PASSWORD)
    # and the server (production cost) logs in the production-cost user
    assert client.post(TOKEN, json={"username": "hal", "password": PASSWORD}).status_code == 200


def test_an_admin_made_to_need_a_code_gets_a_secret_once_and_must_give_a_code(
    client: TestClient,
) -> None:
    """"Admins may be made to need a code too (`--totp`, `"totp": true`)." and "The secret
    is shown once when the account is created (as text and an `otpauth://` URI)\""""
    admin = login(client, "ucpd-admin")
    created = client.post("/v1/admin/users", headers=admin, json={
        "username": "tess", "password": PASSWORD, "roles": ["admin"], "totp": True})
    assert created.status_code == 201, created.text
    secret = created.json()["totp_secret"]
    assert secret and created.json()["totp_uri"].startswith("otpauth://totp/")
    without = client.post(TOKEN, json={"username": "tess", "password": PASSWORD})
    assert without.status_code == 401
    listed = client.get("/v1/admin/users", headers=admin).json()
    assert [u["totp_required"] for u in listed if u["username"] == "tess"] == [True]
    assert all("totp_secret" not in u for u in listed)
    assert login(client, "tess", code(secret))


def test_the_cli_makes_an_admin_need_a_code_with_totp(settings: Settings, seed: Seed) -> None:
    """"Admins may be made to need a code too (`--totp` …)": `plateledger admin user add`
    shows the secret, and a login without a code is refused."""
    result = runner.invoke(cli, [
        "admin", "user", "add", "tom", "--agency", "ucpd", "--role", "admin", "--password",
        PASSWORD, "--totp", "--data-dir", str(settings.data_dir)],
        env={"PLATELEDGER_SECRET_KEY": settings.secret_key})
    assert result.exit_code == 0, result.output
    assert "otpauth://" in result.output
    with catalog_of(settings) as catalog:
        user = catalog.user_by_username("tom")
        assert user is not None and user.totp_required
        with pytest.raises(Exception, match="username, password or one-time code"):
            catalog.authenticate_password("tom", PASSWORD, None)


def test_roles_needing_a_second_factor_are_refused_to_a_user_without_one(
    client: TestClient, settings: Settings,
) -> None:
    """"`PUT /v1/admin/users/{username}/roles` … refused … where the roles need a second
    factor the user has not enrolled\""""
    admin = login(client, "ucpd-admin")
    created = client.post("/v1/admin/users", headers=admin, json={
        "username": "clerk", "password": PASSWORD, "roles": ["admin"]})
    assert created.status_code == 201 and created.json()["totp_secret"] is None
    clerk = login(client, "clerk")
    refused = client.put("/v1/admin/users/clerk/roles", headers=admin,
                         json={"roles": ["investigator"]})
    assert refused.status_code == 422
    assert "second factor" in refused.json()["error"]["message"]
    with catalog_of(settings) as catalog:
        user = catalog.user_by_username("clerk")
        assert user is not None and user.roles == ["admin"]
    assert client.get("/v1/me", headers=clerk).status_code == 200


def test_acting_for_set_over_http_ends_the_users_sessions_and_is_an_audit_entry(
    client: TestClient, seed: Seed,
) -> None:
    """"`PUT /v1/admin/users/{username}/acting-for {"agency": "fbi-sf"}` … the change
    revokes the user's tokens and is an audit entry.\""""
    ivy = login(client, "ivy", code(seed.investigator_totp))
    log = client.app.state.audit_log  # type: ignore[attr-defined]
    before = log.size()
    admin = login(client, "ucpd-admin")
    changed = client.put("/v1/admin/users/ivy/acting-for", headers=admin,
                         json={"agency": "fpd"})
    assert changed.status_code == 200, changed.text
    assert changed.json()["acting_for_agency_id"] == seed.fpd_id
    gone = client.get("/v1/me", headers=ivy)
    assert gone.status_code == 401 and gone.headers["www-authenticate"] == "Bearer"
    entries = [log.entry(i).entry for i in range(before, log.size())]
    assert [(e["type"], e["change"], e["before"], e["after"]) for e in entries] == [
        ("user_change", "acting_for", {"acting_for": None}, {"acting_for": "fpd"})]
    assert entries[0]["user"] == "ucpd-admin"


def test_another_agencys_user_cannot_be_given_roles_or_an_agency_to_act_for(
    client: TestClient, settings: Settings,
) -> None:
    """"Another agency's users … answer 404" — for the roles and acting-for routes too, and
    nothing about the user changes."""
    fpd_admin = login(client, "fpd-admin")
    roles = client.put("/v1/admin/users/ivy/roles", headers=fpd_admin,
                       json={"roles": ["admin"]})
    acting = client.put("/v1/admin/users/ivy/acting-for", headers=fpd_admin,
                        json={"agency": "fpd"})
    assert roles.status_code == acting.status_code == 404
    with catalog_of(settings) as catalog:
        user = catalog.user_by_username("ivy")
        assert user is not None
        assert (user.roles, user.acting_for_agency_id) == (["investigator"], None)


def test_logins_failures_back_off_and_tokens_leave_the_generation_alone(
    client: TestClient, settings: Settings, seed: Seed,
) -> None:
    """"Logins, failed-login counters, login back-off and tokens do not move it.\""""
    with catalog_of(settings) as catalog:
        before = catalog.generation()
        guesser = _from(client, "10.9.8.7")
        answers = [guesser.post(TOKEN, json={"username": "audrey", "password": WRONG})
                   .status_code for _ in range(6)]
        assert answers[-1] == 429
        headers = login(client, "audrey", code(seed.auditor_totp))
        assert client.post("/v1/auth/logout", headers=headers).status_code == 204
        assert catalog.generation() == before


def test_a_token_lasts_480_minutes_by_default(client: TestClient) -> None:
    """"A token expires after `PLATELEDGER_TOKEN_TTL_MINUTES` (default 480).\""""
    assert Settings().token_ttl_minutes == 480
    asked = datetime.now(UTC)
    body = client.post(TOKEN, json={"username": "ucpd-admin", "password": PASSWORD}).json()
    lasts = datetime.fromisoformat(body["expires_at"]) - asked
    assert timedelta(minutes=480) - timedelta(seconds=5) < lasts <= timedelta(
        minutes=480, seconds=5)


def test_an_expired_token_answers_401_with_www_authenticate(
    client: TestClient, settings: Settings,
) -> None:
    """"A missing, unknown, expired or revoked token answers 401 with
    `WWW-Authenticate: Bearer`" (the expired case, over HTTP)."""
    with catalog_of(settings) as catalog:
        user = catalog.user_by_username("ucpd-admin")
        assert user is not None
        issued = catalog.issue_token_record(user, now=datetime.now(UTC) - timedelta(hours=9))
    response = client.get("/v1/me", headers={"Authorization": f"Bearer {issued.raw}"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("command", ["unlock", "reset-password"])
def test_the_cli_lifts_every_sources_wait(
    client: TestClient, settings: Settings, seed: Seed, command: str,
) -> None:
    """"`plateledger admin user unlock`, `user reset-password` … clear every source's
    wait.\""""
    sources = [_from(client, "10.1.1.1"), _from(client, "10.2.2.2")]
    for source in sources:
        answers = [source.post(TOKEN, json={"username": "ucpd-admin", "password": WRONG})
                   .status_code for _ in range(5)]
        assert answers[-1] == 429
    password = PASSWORD if command == "unlock" else "a brand new passphrase"
    extra = ["--password", password] if command == "reset-password" else []
    result = runner.invoke(cli, [
        "admin", "user", command, "ucpd-admin", *extra, "--data-dir", str(settings.data_dir)],
        env={"PLATELEDGER_SECRET_KEY": settings.secret_key})
    assert result.exit_code == 0, result.output
    for source in sources:
        response = source.post(TOKEN, json={"username": "ucpd-admin", "password": password})
        assert response.status_code == 200, response.text


def test_plateledger_login_asks_for_the_code_unless_totp_gives_it(tmp_path: Path) -> None:
    """"`plateledger login` asks for the code unless `--totp` gives it.\""""
    url = f"http://127.0.0.1:{_closed_port()}"
    args = ["login", "--url", url, "--username", "ivy", "--password", PASSWORD]
    env = {"HOME": str(tmp_path)}
    asked = runner.invoke(cli, args, input="123456\n", env=env)
    assert "one-time code" in asked.output
    given = runner.invoke(cli, [*args, "--totp", "123456"], env=env)
    assert "one-time code" not in given.output


def test_no_http_endpoint_creates_or_reclassifies_an_agency(client: TestClient) -> None:
    """"Agencies themselves (and their class) are created and reclassified only from the
    command line …: there is no HTTP endpoint for the platform bootstrap\""""
    paths = client.app.openapi()["paths"]  # type: ignore[attr-defined]
    changing = sorted(
        (path, method)
        for path, operations in paths.items() if "agenc" in path
        for method in operations if method not in ("get", "head", "parameters")
    )
    assert changing == [("/v1/admin/agency", "patch")]
    admin = login(client, "ucpd-admin")
    for path in ("/v1/admin/agencies", "/v1/agencies"):
        made = client.post(path, headers=admin, json={
            "name": "Rogue PD", "slug": "rogue", "kind": "federal", "home_state": "NV"})
        assert made.status_code in (404, 405)


def test_a_disabled_users_right_password_answers_like_a_wrong_one(
    client: TestClient, settings: Settings,
) -> None:
    """"A wrong username, password or code answers **401** with one message, whatever part
    was wrong" — a disabled account's right password included, so it tells nothing."""
    with catalog_of(settings) as catalog:
        catalog.set_disabled("ucpd-admin", True)
    disabled = client.post(TOKEN, json={"username": "ucpd-admin", "password": PASSWORD})
    unknown = client.post(TOKEN, json={"username": "nobody-at-all", "password": PASSWORD})
    assert disabled.status_code == unknown.status_code == 401
    assert disabled.json() == unknown.json()


# --- docs/retention.md ------------------------------------------------------------------


def _holds(tmp_path: Path) -> tuple[HoldStore, AuditLog]:
    engine = create_engine(f"sqlite:///{tmp_path / 'holds.sqlite'}")
    log = AuditLog(engine, signer=NoteSigner.generate("retention.docs.example/log"))
    log.create_tables()
    create_tables(engine)
    return HoldStore(engine, log), log


def _hold(plate: str, now: datetime) -> LegalHold:
    return LegalHold(case_number="26-004411", reason="preservation order, superior court",
                     approver="sgt-17", owner_agency=1,
                     selection=ReadSelection(plates=(plate,)),
                     expires_at=now + timedelta(days=30))


def test_a_hold_whose_entry_cannot_be_appended_is_not_placed(tmp_path: Path) -> None:
    """"`place(…)` … append[s] a `legal_hold` entry … **in the same transaction** as the
    change: if the entry cannot be appended, the hold is not placed\""""
    holds, log = _holds(tmp_path)
    now = datetime.now(UTC)
    refuse_entries(holds.engine)
    with pytest.raises(ChangeNotLogged):
        holds.place(_hold(unique_plate(), now), placed_by="u-4", now=now)
    assert holds.list() == [] and holds.active(now) == []
    assert log.size() == 0


def test_a_hold_whose_release_cannot_be_logged_stays_in_force(tmp_path: Path) -> None:
    """"… if the entry cannot be appended, the hold is not … released\""""
    holds, log = _holds(tmp_path)
    now = datetime.now(UTC)
    placed = holds.place(_hold(unique_plate(), now), placed_by="u-4", now=now)
    refuse_entries(holds.engine)
    with pytest.raises(ChangeNotLogged):
        holds.release(placed.hold_id, released_by="u-9", reason="case closed", now=now)
    assert [h.hold_id for h in holds.active(now)] == [placed.hold_id]
    assert holds.get(placed.hold_id).released_at is None
    assert log.size() == 1


def test_a_purge_whose_receipt_cannot_be_appended_raises_after_deleting(
    client: TestClient, tmp_path: Path,
) -> None:
    """"If the audit append fails after the deletion, the purge raises; the deleted rows
    then have no receipt\""""
    store = client.app.state.store  # type: ignore[attr-defined]
    now = datetime.now(UTC)
    plate = unique_plate("6")
    store.insert_reads([make_read(plate, minutes_ago=600, keep_days=0.1, now=now)])
    count = f"SELECT count() AS n FROM {{db}}.reads WHERE plate = '{plate}'"
    assert store.query(count).column("n").to_pylist() == [1]
    _, log = _holds(tmp_path)
    refuse_entries(log.engine)
    with pytest.raises(Exception, match="refuses entries"):
        purge(store, now, {}, [], log)
    assert store.query(count).column("n").to_pylist() == [0]
    assert log.size() == 0
