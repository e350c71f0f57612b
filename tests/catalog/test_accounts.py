"""Accounts: argon2id passwords, TOTP, lock-out, and bearer tokens that expire and revoke."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from plateledger.catalog import (
    Agency,
    AuthError,
    Catalog,
    CatalogError,
    Conflict,
    NotFound,
    SecondFactorMissing,
    new_totp_secret,
    open_catalog,
    totp_code,
)
from plateledger.catalog.accounts import LoginThrottled, backoff
from plateledger.catalog.passwords import FAST
from plateledger.settings import Settings

PASSWORD = "correct horse battery staple"
NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)


@pytest.fixture
def agency(catalog: Catalog) -> Agency:
    return catalog.add_agency("Union City PD", "ucpd", "municipal", "CA")


def test_a_password_is_kept_only_as_an_argon2id_hash(catalog: Catalog, agency: Agency) -> None:
    catalog.add_user(agency.id, "alice", PASSWORD, ["admin"])
    with catalog.engine.connect() as conn:
        stored = conn.execute(text("SELECT password_hash FROM users")).scalar_one()
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored


def test_the_right_password_logs_in(catalog: Catalog, agency: Agency) -> None:
    user = catalog.add_user(agency.id, "alice", PASSWORD, ["admin"])
    logged_in = catalog.authenticate_password("alice", PASSWORD, None)
    assert logged_in.id == user.id
    assert logged_in.roles == ["admin"]


@pytest.mark.parametrize("role", ["investigator", "supervisor", "dispatcher", "auditor"])
def test_every_role_that_reaches_reads_or_audit_contents_needs_a_second_factor(
    catalog: Catalog, agency: Agency, role: str
) -> None:
    with pytest.raises(CatalogError, match="needs a TOTP secret"):
        catalog.add_user(agency.id, "eve", PASSWORD, [role])
    secret = new_totp_secret()
    catalog.add_user(agency.id, "eve", PASSWORD, ["admin", role], totp_secret=secret)
    with pytest.raises(AuthError):
        catalog.authenticate_password("eve", PASSWORD, None, now=NOW)
    assert catalog.authenticate_password("eve", PASSWORD, totp_code(secret, NOW), now=NOW)


def test_an_account_without_an_enrolled_second_factor_is_told_so_after_its_password(
    catalog: Catalog, agency: Agency
) -> None:
    # An account made while the second factor was off (a development catalog) gets no
    # token once it is on, and is told why - but only with the right password.
    catalog.require_totp = False
    catalog.add_user(agency.id, "audrey", PASSWORD, ["auditor"])
    catalog.require_totp = True
    with pytest.raises(AuthError) as wrong:
        catalog.authenticate_password("audrey", "wrong password here", None, now=NOW)
    assert not isinstance(wrong.value, SecondFactorMissing)
    with pytest.raises(SecondFactorMissing, match="no second factor enrolled"):
        catalog.authenticate_password("audrey", PASSWORD, None, now=NOW)
    secret = new_totp_secret()
    catalog.enroll_totp("audrey", secret)
    assert catalog.authenticate_password("audrey", PASSWORD, totp_code(secret, NOW), now=NOW)


def test_a_production_catalog_refuses_to_open_without_a_second_factor(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, environment="production", secret_key="s" * 32,
                        require_totp=False)
    with pytest.raises(CatalogError, match="requires a second factor"):
        open_catalog(settings, password_hasher=FAST)


def test_acting_for_another_agency_is_on_the_token_and_ends_its_sessions(
    catalog: Catalog, agency: Agency
) -> None:
    fbi = catalog.add_agency("FBI San Francisco", "fbi-sf", "federal", "CA")
    user = catalog.add_user(agency.id, "tfo", PASSWORD, ["admin"])
    before = catalog.issue_token(user)
    catalog.set_acting_for("tfo", fbi.id)
    assert catalog.user_for_token(before) is None
    principal = catalog.user_for_token(catalog.issue_token(user))
    assert principal is not None
    assert (principal.agency_id, principal.acting_for_id) == (agency.id, fbi.id)
    catalog.set_acting_for("tfo", None)
    again = catalog.user_for_token(catalog.issue_token(user))
    assert again is not None and again.acting_for_id is None
    with pytest.raises(NotFound):
        catalog.set_acting_for("tfo", 9999)


@pytest.mark.parametrize(
    ("username", "password"),
    [("alice", "wrong password here"), ("nobody", PASSWORD), ("ALICE", PASSWORD)],
)
def test_a_wrong_username_or_password_fails_with_one_message(
    catalog: Catalog, agency: Agency, username: str, password: str
) -> None:
    catalog.add_user(agency.id, "alice", PASSWORD, ["admin"])
    with pytest.raises(AuthError) as failure:
        catalog.authenticate_password(username, password, None)
    assert str(failure.value) == "the username, password or one-time code is not right"


@pytest.mark.parametrize(
    ("username", "password", "roles", "message"),
    [
        ("alice", "short", ["admin"], "at least 12 characters"),
        ("Alice Smith", PASSWORD, ["admin"], "username `Alice Smith`"),
        ("alice", PASSWORD, ["chief"], "unknown role `chief`"),
        ("alice", PASSWORD, [], "at least one role"),
        ("alice", PASSWORD, ["investigator"], "needs a TOTP secret"),
    ],
)
def test_a_user_outside_the_rules_is_refused(
    catalog: Catalog, agency: Agency, username: str, password: str, roles: list[str],
    message: str,
) -> None:
    with pytest.raises(CatalogError, match=message):
        catalog.add_user(agency.id, username, password, roles)
    assert catalog.users() == []


def test_usernames_are_unique_across_agencies(catalog: Catalog, agency: Agency) -> None:
    other = catalog.add_agency("Fremont PD", "fpd", "municipal", "CA")
    catalog.add_user(agency.id, "alice", PASSWORD, ["admin"])
    with pytest.raises(Conflict):
        catalog.add_user(other.id, "alice", PASSWORD, ["admin"])


def test_an_investigator_needs_a_current_totp_code(catalog: Catalog, agency: Agency) -> None:
    secret = new_totp_secret()
    catalog.add_user(agency.id, "ivy", PASSWORD, ["investigator"], totp_secret=secret)
    with pytest.raises(AuthError):
        catalog.authenticate_password("ivy", PASSWORD, None, now=NOW)
    with pytest.raises(AuthError):
        catalog.authenticate_password("ivy", PASSWORD, "000000", now=NOW)
    stale = totp_code(secret, NOW - timedelta(minutes=5))
    with pytest.raises(AuthError):
        catalog.authenticate_password("ivy", PASSWORD, stale, now=NOW)
    assert catalog.authenticate_password("ivy", PASSWORD, totp_code(secret, NOW), now=NOW)


def test_a_totp_code_cannot_be_used_twice(catalog: Catalog, agency: Agency) -> None:
    secret = new_totp_secret()
    catalog.add_user(agency.id, "ivy", PASSWORD, ["supervisor"], totp_secret=secret)
    code = totp_code(secret, NOW)
    catalog.authenticate_password("ivy", PASSWORD, code, now=NOW)
    with pytest.raises(AuthError):
        catalog.authenticate_password("ivy", PASSWORD, code, now=NOW + timedelta(seconds=5))


def test_the_totp_secret_is_not_stored_in_clear(catalog: Catalog, agency: Agency) -> None:
    secret = new_totp_secret()
    catalog.add_user(agency.id, "ivy", PASSWORD, ["investigator"], totp_secret=secret)
    with catalog.engine.connect() as conn:
        stored = conn.execute(text("SELECT totp_secret_encrypted FROM users")).scalar_one()
    assert secret not in stored
    assert "ivy" in repr(catalog.user_by_username("ivy"))
    assert stored not in repr(catalog.user_by_username("ivy"))


def test_without_required_totp_an_investigator_logs_in_with_the_password(
    catalog: Catalog, agency: Agency
) -> None:
    catalog.require_totp = False
    catalog.add_user(agency.id, "ivy", PASSWORD, ["investigator"])
    assert catalog.authenticate_password("ivy", PASSWORD, None).username == "ivy"


def test_five_failures_from_one_source_make_it_wait_and_the_wait_doubles(
    catalog: Catalog, agency: Agency
) -> None:
    catalog.add_user(agency.id, "alice", PASSWORD, ["admin"])
    for _ in range(4):
        with pytest.raises(AuthError) as failure:
            catalog.authenticate_password("alice", "wrong password!", None, now=NOW,
                                          source="10.0.0.9")
        assert not isinstance(failure.value, LoginThrottled)
    with pytest.raises(LoginThrottled) as first:
        catalog.authenticate_password("alice", "wrong password!", None, now=NOW,
                                      source="10.0.0.9")
    assert first.value.until == NOW + timedelta(seconds=15) and first.value.started
    with pytest.raises(LoginThrottled):  # waiting: not even the right password is tried
        catalog.authenticate_password("alice", PASSWORD, None, now=NOW + timedelta(seconds=14),
                                      source="10.0.0.9")
    later = NOW + timedelta(seconds=16)
    with pytest.raises(LoginThrottled) as second:
        catalog.authenticate_password("alice", "wrong password!", None, now=later,
                                      source="10.0.0.9")
    assert second.value.until == later + timedelta(seconds=30) and not second.value.started
    assert [backoff(n).total_seconds() for n in (4, 5, 6, 7, 20)] == [0, 15, 30, 60, 900]


def test_failures_from_one_source_never_lock_out_another(catalog: Catalog, agency: Agency) -> None:
    catalog.add_user(agency.id, "alice", PASSWORD, ["admin"])
    for _ in range(12):
        with pytest.raises(AuthError):
            catalog.authenticate_password("alice", "wrong password!", None, now=NOW,
                                          source="198.51.100.7")
    assert catalog.authenticate_password("alice", PASSWORD, None, now=NOW, source="10.0.0.9")


def test_a_success_resets_the_failure_count(catalog: Catalog, agency: Agency) -> None:
    catalog.add_user(agency.id, "alice", PASSWORD, ["admin"])
    for _ in range(4):
        with pytest.raises(AuthError):
            catalog.authenticate_password("alice", "wrong password!", None, now=NOW)
    catalog.authenticate_password("alice", PASSWORD, None, now=NOW)
    with pytest.raises(AuthError) as failure:
        catalog.authenticate_password("alice", "wrong password!", None, now=NOW)
    assert not isinstance(failure.value, LoginThrottled)


def test_an_administrator_unlocks_and_resets(catalog: Catalog, agency: Agency) -> None:
    catalog.add_user(agency.id, "alice", PASSWORD, ["admin"])
    for _ in range(5):
        with pytest.raises(AuthError):
            catalog.authenticate_password("alice", "wrong password!", None)
    catalog.unlock_user("alice")
    assert catalog.authenticate_password("alice", PASSWORD, None)
    catalog.set_password("alice", "a brand new passphrase")
    with pytest.raises(AuthError):
        catalog.authenticate_password("alice", PASSWORD, None)
    assert catalog.authenticate_password("alice", "a brand new passphrase", None)


def test_a_disabled_account_cannot_log_in(catalog: Catalog, agency: Agency) -> None:
    catalog.add_user(agency.id, "alice", PASSWORD, ["admin"])
    catalog.set_disabled("alice", True)
    with pytest.raises(AuthError):
        catalog.authenticate_password("alice", PASSWORD, None)


def test_a_token_names_the_user_and_the_agency_class_from_the_catalog(
    catalog: Catalog, agency: Agency
) -> None:
    user = catalog.add_user(agency.id, "alice", PASSWORD, ["admin", "dispatcher"],
                            totp_secret=new_totp_secret())
    token = catalog.issue_token(user)
    principal = catalog.user_for_token(token)
    assert principal is not None
    assert principal.user_id == user.id
    assert principal.username == "alice"
    assert (principal.agency_id, principal.agency_kind, principal.agency_home_state) == (
        agency.id, "municipal", "CA"
    )
    assert principal.roles == frozenset({"admin", "dispatcher"})


def test_a_token_is_kept_only_as_a_hash(catalog: Catalog, agency: Agency) -> None:
    token = catalog.issue_token(catalog.add_user(agency.id, "alice", PASSWORD, ["admin"]))
    with catalog.engine.connect() as conn:
        stored = conn.execute(text("SELECT token_hash FROM tokens")).scalar_one()
    assert token not in stored and len(stored) == 64


def test_a_token_expires_after_the_configured_time(catalog: Catalog, agency: Agency) -> None:
    user = catalog.add_user(agency.id, "alice", PASSWORD, ["admin"])
    issued = catalog.issue_token_record(user, now=NOW)
    assert issued.expires_at == NOW + timedelta(minutes=catalog.token_ttl_minutes)
    assert catalog.user_for_token(issued.raw, now=issued.expires_at - timedelta(seconds=1))
    assert catalog.user_for_token(issued.raw, now=issued.expires_at) is None


def test_a_revoked_token_no_longer_works(catalog: Catalog, agency: Agency) -> None:
    user = catalog.add_user(agency.id, "alice", PASSWORD, ["admin"])
    kept, revoked = catalog.issue_token(user), catalog.issue_token(user)
    assert catalog.revoke_token(revoked)
    assert not catalog.revoke_token(revoked)
    assert catalog.user_for_token(revoked) is None
    assert catalog.user_for_token(kept) is not None
    assert catalog.revoke_tokens(user.id) == 1
    assert catalog.user_for_token(kept) is None


@pytest.mark.parametrize("raw", ["", "plt_unknown", "Bearer x", "plk_0123456789ab_secret"])
def test_an_unknown_token_is_refused(catalog: Catalog, raw: str) -> None:
    assert catalog.user_for_token(raw) is None


def test_disabling_a_user_ends_their_tokens(catalog: Catalog, agency: Agency) -> None:
    token = catalog.issue_token(catalog.add_user(agency.id, "alice", PASSWORD, ["admin"]))
    catalog.set_disabled("alice", True)
    assert catalog.user_for_token(token) is None
