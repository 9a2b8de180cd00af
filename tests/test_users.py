"""Accounts: argon2 hashes, roles, lock-out, disabled users."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mailbot import users
from mailbot.errors import MailbotError, NotFoundError
from mailbot.gate import Role
from mailbot.store import Store

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "u.sqlite3")
    users.add_user(s, "ann", Role.AGENT, "correct horse battery")
    return s


def test_password_is_hashed_with_argon2(store: Store) -> None:
    row = store.user("ann")
    assert row is not None and row["password_hash"].startswith("$argon2")
    assert "correct horse" not in row["password_hash"]
    assert users.authenticate(store, "ann", "correct horse battery", now=NOW) == users.Actor(
        "ann", Role.AGENT
    )


def test_wrong_password_unknown_user_and_short_password(store: Store) -> None:
    with pytest.raises(users.AuthError, match="wrong name or password"):
        users.authenticate(store, "ann", "nope", now=NOW)
    with pytest.raises(users.AuthError, match="wrong name or password"):
        users.authenticate(store, "bob", "whatever", now=NOW)
    with pytest.raises(MailbotError, match="at least"):
        users.add_user(store, "bob", Role.ADMIN, "short")
    with pytest.raises(MailbotError, match="already exists"):
        users.add_user(store, "ann", Role.ADMIN, "long enough password")


def test_lock_out_after_repeated_failures(store: Store) -> None:
    for _ in range(users.MAX_FAILURES):
        with pytest.raises(users.AuthError):
            users.authenticate(store, "ann", "bad guess", now=NOW)
    with pytest.raises(users.AuthError):  # locked: even the right password fails
        users.authenticate(store, "ann", "correct horse battery", now=NOW + timedelta(minutes=1))
    later = NOW + users.LOCK_FOR + timedelta(seconds=1)
    assert users.authenticate(store, "ann", "correct horse battery", now=later).name == "ann"


def test_disabled_user_cannot_log_in_or_act(store: Store) -> None:
    users.set_disabled(store, "ann", disabled=True)
    with pytest.raises(users.AuthError):
        users.authenticate(store, "ann", "correct horse battery", now=NOW)
    with pytest.raises(users.AuthError, match="disabled"):
        users.actor(store, "ann")
    with pytest.raises(NotFoundError):
        users.actor(store, "nobody")
    users.set_disabled(store, "ann", disabled=False)
    assert users.actor(store, "ann").role is Role.AGENT


def test_new_password_lifts_lock(store: Store) -> None:
    for _ in range(users.MAX_FAILURES):
        with pytest.raises(users.AuthError):
            users.authenticate(store, "ann", "bad guess", now=NOW)
    users.set_password(store, "ann", "a brand new password")
    assert users.authenticate(store, "ann", "a brand new password", now=NOW).name == "ann"
