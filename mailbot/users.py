"""People's accounts: argon2 password hashes, roles, lock-out after failures.

Logging in and acting from the CLI both resolve to an :class:`Actor` (name
and role); every action checks the role on the server side through
:mod:`mailbot.gate`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from mailbot.errors import MailbotError, NotFoundError
from mailbot.gate import Role
from mailbot.store import Store

MAX_FAILURES = 5
LOCK_FOR = timedelta(minutes=15)
MIN_PASSWORD = 10

_HASHER = PasswordHasher()
# Verifying against this when the user does not exist keeps the timing alike.
_DUMMY_HASH = _HASHER.hash("not a real password, only for timing")


class AuthError(MailbotError):
    """Wrong name or password, a disabled account, or a locked one (deliberately vague)."""


@dataclass(frozen=True)
class Actor:
    """A person acting in mailbot (or the system itself)."""

    name: str
    role: Role


SYSTEM = Actor("mailbot", Role.ADMIN)


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise MailbotError(f"a password needs at least {MIN_PASSWORD} characters")


def add_user(store: Store, name: str, role: Role, password: str) -> None:
    if store.user(name) is not None:
        raise MailbotError(f"a user named {name!r} already exists")
    check_password_rules(password)
    store.add_user(name=name, role=role.value, password_hash=_HASHER.hash(password))


def set_password(store: Store, name: str, password: str) -> None:
    check_password_rules(password)
    store.update_user(name, password_hash=_HASHER.hash(password), failed_logins=0, locked_until=None)


def set_disabled(store: Store, name: str, *, disabled: bool) -> None:
    store.update_user(name, disabled=int(disabled))


def actor(store: Store, name: str) -> Actor:
    """The named, enabled user (for the CLI's ``--as NAME``)."""
    row = store.user(name)
    if row is None:
        raise NotFoundError(f"no user named {name!r} (add one with `mailbot user add`)")
    if row["disabled"]:
        raise AuthError(f"user {name!r} is disabled")
    return Actor(row["name"], Role(row["role"]))


def authenticate(store: Store, name: str, password: str, *, now: datetime | None = None) -> Actor:
    """Check a password; count failures and lock the account for a while after too many."""
    moment = now or datetime.now(UTC)
    row = store.user(name)
    if row is None:
        _verify(_DUMMY_HASH, password)
        raise AuthError("wrong name or password")
    locked = store.locked_until(name)
    if locked is not None and locked > moment:
        raise AuthError("wrong name or password")
    if row["disabled"] or not _verify(row["password_hash"], password):
        failures = row["failed_logins"] + 1
        fields: dict[str, object] = {"failed_logins": failures}
        if failures >= MAX_FAILURES:
            fields.update(failed_logins=0, locked_until=moment + LOCK_FOR)
        store.update_user(name, **fields)
        raise AuthError("wrong name or password")
    if row["failed_logins"] or row["locked_until"]:
        store.update_user(name, failed_logins=0, locked_until=None)
    if _HASHER.check_needs_rehash(row["password_hash"]):
        store.update_user(name, password_hash=_HASHER.hash(password))
    return Actor(row["name"], Role(row["role"]))


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
