"""User accounts: argon2id passwords, TOTP second factor, login back-off and bearer tokens.

A login takes the username, the password and (where required) a TOTP code, and fails with
one message whatever part was wrong. Failures are counted per username *and source
address*: after five in a row from one source, that source waits before its next try (15
seconds, doubling with each further failure, at most 15 minutes) while the user can still
log in from anywhere else — nobody can lock an officer out by guessing at their name.
Tokens are random, kept only as SHA-256, expire after ``token_ttl_minutes`` and
can be revoked. Failed-login counters and tokens do not bump the catalog generation: they
change nothing that policy reads.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update

from plateledger.catalog import credentials
from plateledger.catalog.database import CatalogDatabase
from plateledger.catalog.errors import (
    AuthError,
    CatalogError,
    Conflict,
    NotFound,
    SecondFactorMissing,
)
from plateledger.catalog.models import ROLES, Agency, LoginThrottle, Token, User
from plateledger.catalog.passwords import check_password_rules, verify_password
from plateledger.catalog.principals import IssuedToken, Principal
from plateledger.catalog.timeutil import utc_now
from plateledger.catalog.totp import matching_step

FREE_FAILURES = 5
"""Failed logins of one username from one source before that source must wait."""
FIRST_WAIT = timedelta(seconds=15)
MAX_WAIT = timedelta(minutes=15)
FORGET_AFTER = timedelta(days=1)
"""A source's failures older than this are forgotten."""


def backoff(failures: int) -> timedelta:
    """How long a source waits after its ``failures``-th failure in a row (none before
    `FREE_FAILURES`; then `FIRST_WAIT`, doubling, at most `MAX_WAIT`)."""
    if failures < FREE_FAILURES:
        return timedelta(0)
    doublings = min(failures - FREE_FAILURES, 32)
    wait: timedelta = FIRST_WAIT * (1 << doublings)
    return min(MAX_WAIT, wait)


class LoginThrottled(AuthError):
    """Too many failed logins of this username from this source: wait until ``until``.

    ``started`` is true on the failure that started the wait (the one to alarm about);
    ``agency_id`` is the user's agency, ``None`` for an unknown username."""

    def __init__(self, until: datetime, failures: int, agency_id: int | None,
                 started: bool) -> None:
        super().__init__("too many failed logins from this address; wait before trying again")
        self.until = until
        self.failures = failures
        self.agency_id = agency_id
        self.started = started

TOTP_ROLES = frozenset({"investigator", "supervisor", "dispatcher", "auditor"})
"""Roles that reach reads or audit contents, and so need a second factor (the FBI CJIS
security policy has required multi-factor authentication for such access since October
2024) unless ``Settings.require_totp`` is off, which only a development server allows.
An account with one of them is refused at creation without a TOTP secret, and refused a
token at login while none is enrolled."""
_USERNAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789._-@")


def _check_roles(roles: Iterable[str]) -> list[str]:
    chosen = sorted(set(roles))
    unknown = [r for r in chosen if r not in ROLES]
    if unknown:
        raise CatalogError(f"unknown role `{unknown[0]}`: roles are {sorted(ROLES)}")
    if not chosen:
        raise CatalogError("a user needs at least one role")
    return chosen


class AccountRecords(CatalogDatabase):
    """Users, logins and tokens of the `Catalog`."""

    _dummy: str | None = None

    def _dummy_hash(self) -> str:
        """A hash at this catalog's cost that no password matches."""
        if self._dummy is None:
            self._dummy = self.password_hasher.hash(credentials.new_token())
        return self._dummy

    def needs_totp(self, user: User) -> bool:
        """Whether a login of ``user`` must give a TOTP code."""
        return user.totp_required or (
            self.require_totp and bool(TOTP_ROLES.intersection(user.roles))
        )

    def add_user(
        self,
        agency_id: int,
        username: str,
        password: str,
        roles: Iterable[str],
        *,
        display_name: str = "",
        totp_secret: str | None = None,
        totp_required: bool = False,
    ) -> User:
        """Add an individual account to agency ``agency_id``.

        Precondition: where a second factor is needed (``totp_required``, or a role in
        `TOTP_ROLES` while TOTP is required) ``totp_secret`` is given (see
        `new_totp_secret`); the caller shows it to the user once.
        """
        chosen = _check_roles(roles)
        if not username or len(username) > 64 or not set(username) <= _USERNAME_CHARS:
            raise CatalogError(
                f"username `{username}` must be lower-case letters, digits and `._-@`"
            )
        try:
            check_password_rules(password)
        except ValueError as exc:
            raise CatalogError(str(exc)) from None
        user = User(
            agency_id=agency_id, username=username, display_name=display_name, roles=chosen,
            password_hash=self.password_hasher.hash(password), totp_required=totp_required,
            totp_secret_encrypted=self._secrets.seal(totp_secret) if totp_secret else None,
        )
        if self.needs_totp(user) and not totp_secret:
            raise CatalogError(f"user `{username}` needs a TOTP secret: their roles require one")
        with self._transaction() as session:
            if session.get(Agency, agency_id) is None:
                raise NotFound(f"no agency `{agency_id}`")
            if session.scalar(select(User.id).where(User.username == username)) is not None:
                raise Conflict(f"username `{username}` is taken")
            session.add(user)
            self._bump(session)
        return user

    def users(self, agency_id: int | None = None) -> list[User]:
        """Every user, or those of ``agency_id``, by username."""
        query = select(User).order_by(User.username)
        if agency_id is not None:
            query = query.where(User.agency_id == agency_id)
        with self._sessions() as session:
            return list(session.scalars(query))

    def user(self, user_id: int) -> User | None:
        with self._sessions() as session:
            return session.get(User, user_id)

    def user_by_username(self, username: str) -> User | None:
        with self._sessions() as session:
            return session.scalar(select(User).where(User.username == username))

    def _change_user(self, username: str, **values: object) -> User:
        with self._transaction() as session:
            user = session.scalar(select(User).where(User.username == username))
            if user is None:
                raise NotFound(f"no user `{username}`")
            for name, value in values.items():
                setattr(user, name, value)
            user.updated_at = utc_now()
            self._bump(session)
        return user

    def set_roles(self, username: str, roles: Iterable[str]) -> User:
        """Replace the user's roles (refused where the new roles need a second factor the
        user has not enrolled); the user's tokens are revoked, so that no session keeps
        the old roles."""
        chosen = _check_roles(roles)
        current = self.user_by_username(username)
        if current is None:
            raise NotFound(f"no user `{username}`")
        needs = self.require_totp and bool(TOTP_ROLES.intersection(chosen))
        if needs and current.totp_secret_encrypted is None:
            raise CatalogError(f"user `{username}` needs a second factor for these roles: "
                               "enrol one first")
        user = self._change_user(username, roles=chosen)
        self.revoke_tokens(user.id)
        return user

    def set_password(self, username: str, password: str) -> User:
        """Replace the password, clear any lock-out and revoke the user's tokens."""
        try:
            check_password_rules(password)
        except ValueError as exc:
            raise CatalogError(str(exc)) from None
        with self._transaction() as session:  # every source's wait too, as an unlock
            session.execute(delete(LoginThrottle).where(LoginThrottle.username == username))
        user = self._change_user(
            username, password_hash=self.password_hasher.hash(password), failed_logins=0,
            locked_until=None,
        )
        self.revoke_tokens(user.id)
        return user

    def unlock_user(self, username: str) -> User:
        """Clear the user's failed logins and every source's wait."""
        with self._transaction() as session:
            session.execute(delete(LoginThrottle).where(LoginThrottle.username == username))
        return self._change_user(username, failed_logins=0, locked_until=None)

    def set_disabled(self, username: str, disabled: bool) -> User:
        """Disable (or enable) an account; disabling revokes its tokens."""
        user = self._change_user(username, disabled=disabled)
        if disabled:
            self.revoke_tokens(user.id)
        return user

    def set_acting_for(self, username: str, agency_id: int | None) -> User:
        """Record that ``username`` acts for agency ``agency_id`` (``None``: for their own):
        policy then treats the user as of that agency's class and every request of theirs
        as made for it. Only an administrator sets this; never a request. The user's
        tokens are revoked, so that no session outlives the change."""
        with self._transaction() as session:
            user = session.scalar(select(User).where(User.username == username))
            if user is None:
                raise NotFound(f"no user `{username}`")
            if agency_id is not None:
                if session.get(Agency, agency_id) is None:
                    raise NotFound(f"no agency `{agency_id}`")
                if agency_id == user.agency_id:
                    agency_id = None
            user.acting_for_agency_id = agency_id
            user.updated_at = utc_now()
            self._bump(session)
        self.revoke_tokens(user.id)
        return user

    def enroll_totp(self, username: str, secret: str) -> User:
        """Replace the user's TOTP secret with ``secret`` (shown to them once) and revoke
        their tokens: re-enrolling is what follows a lost or stolen authenticator."""
        user = self._change_user(
            username, totp_secret_encrypted=self._secrets.seal(secret), totp_last_step=0
        )
        self.revoke_tokens(user.id)
        return user

    def authenticate_password(
        self, username: str, password: str, totp_code: str | None, *,
        now: datetime | None = None, source: str = "",
    ) -> User:
        """The user whose password (and, where needed, TOTP code) this is.

        ``source`` is the address the login comes from. Raises `LoginThrottled` while that
        source must wait (and on the failure that makes it wait), and `AuthError` (one
        message for every cause) otherwise. Unknown usernames are counted the same way, so
        the answers do not tell which names exist.
        """
        at = now or utc_now()
        key = (username[:64], source[:64])
        with self._transaction() as session:
            throttle = session.get(LoginThrottle, key, with_for_update=True)
            if throttle is not None and throttle.blocked_until is not None \
                    and throttle.blocked_until > at:
                raise LoginThrottled(throttle.blocked_until, throttle.failures, None, False)
            user = session.scalar(
                select(User).where(User.username == username).with_for_update()
            )
            if user is None or user.disabled:
                # spend the same time as a real check: no user enumeration by timing
                verify_password(self.password_hasher, self._dummy_hash(), password)
                ok = False
            else:
                ok = verify_password(self.password_hasher, user.password_hash, password)
            step = None
            if ok and user is not None and self.needs_totp(user) \
                    and user.totp_secret_encrypted is None:
                raise SecondFactorMissing(user.username)
            if ok and user is not None and self.needs_totp(user):
                step = self._totp_step(user, totp_code, at)
                ok = step is not None
            if ok and user is not None:
                user.failed_logins = 0
                user.locked_until = None
                if step is not None:
                    user.totp_last_step = step
                if throttle is not None:
                    session.delete(throttle)
                return user
            session.execute(delete(LoginThrottle).where(
                LoginThrottle.updated_at < at - FORGET_AFTER))
            if throttle is None:
                throttle = LoginThrottle(username=key[0], source=key[1], failures=0)
                session.add(throttle)
            throttle.failures += 1
            throttle.updated_at = at
            wait = backoff(throttle.failures)
            throttle.blocked_until = at + wait if wait else None
            failures = throttle.failures
            agency_id = None
            if user is not None and not user.disabled:
                user.failed_logins += 1
                agency_id = user.agency_id
        if wait:
            raise LoginThrottled(at + wait, failures, agency_id,
                                 started=failures == FREE_FAILURES)
        raise AuthError()

    def _totp_step(self, user: User, code: str | None, at: datetime) -> int | None:
        """The time step ``code`` matches, if it is newer than the last one used."""
        if not code or user.totp_secret_encrypted is None:
            return None
        secret = self._secrets.open(user.totp_secret_encrypted)
        if secret is None:
            return None
        step = matching_step(secret, code, at)
        if step is None or step <= user.totp_last_step:
            return None
        return step

    def issue_token_record(self, user: User, *, now: datetime | None = None) -> IssuedToken:
        """A new bearer token for ``user`` (shown once) and its expiry."""
        at = now or utc_now()
        raw = credentials.new_token()
        expires = at + timedelta(minutes=self.token_ttl_minutes)
        with self._transaction() as session:
            session.add(
                Token(
                    token_hash=credentials.digest(raw), user_id=user.id, created_at=at,
                    expires_at=expires,
                )
            )
        return IssuedToken(raw, expires)

    def issue_token(self, user: User) -> str:
        """A new bearer token for ``user``, shown once."""
        return self.issue_token_record(user).raw

    def user_for_token(self, raw: str, *, now: datetime | None = None) -> Principal | None:
        """The principal of a valid token: known, not expired, not revoked, its user
        enabled. Agency and class come from the catalog as it is now."""
        at = now or utc_now()
        query = (
            select(Token, User, Agency)
            .join(User, Token.user_id == User.id)
            .join(Agency, User.agency_id == Agency.id)
            .where(Token.token_hash == credentials.digest(raw))
        )
        with self._sessions() as session:
            row = session.execute(query).first()
        if row is None:
            return None
        token, user, agency = row
        if token.revoked_at is not None or token.expires_at <= at or user.disabled:
            return None
        return Principal(
            user_id=user.id, username=user.username, agency_id=agency.id,
            agency_kind=agency.kind, agency_home_state=agency.home_state,
            roles=frozenset(user.roles), acting_for_id=user.acting_for_agency_id,
        )

    def revoke_token(self, raw: str) -> bool:
        """Revoke one token (logout); false when it was unknown or already revoked."""
        with self._transaction() as session:
            result = session.execute(
                update(Token)
                .where(Token.token_hash == credentials.digest(raw), Token.revoked_at.is_(None))
                .values(revoked_at=utc_now())
            )
        return bool(getattr(result, "rowcount", 0))

    def revoke_tokens(self, user_id: int) -> int:
        """Revoke every live token of a user; returns how many."""
        with self._transaction() as session:
            result = session.execute(
                update(Token)
                .where(Token.user_id == user_id, Token.revoked_at.is_(None))
                .values(revoked_at=utc_now())
            )
        return int(getattr(result, "rowcount", 0))

