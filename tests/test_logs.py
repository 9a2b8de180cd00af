"""Secrets never reach the log: values of secret-looking variables and LOGIN arguments are masked."""

from __future__ import annotations

import io
import logging

import pytest

from mailbot.logs import configure_logging


@pytest.fixture(autouse=True)
def restore_logging() -> object:
    """configure_logging changes the root logger; put it back for the other tests."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    quiet = logging.getLogger("apscheduler").level
    yield None
    root.handlers[:] = handlers
    root.setLevel(level)
    logging.getLogger("apscheduler").setLevel(quiet)


def test_secret_values_and_login_arguments_are_redacted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAILBOT_IMAP_SUPPORT_PASSWORD", "hunter2-very-secret")
    monkeypatch.setenv("MAILBOT_HOME", "/srv/mailbot")  # not a secret: kept
    stream = io.StringIO()
    configure_logging("DEBUG", stream=stream)
    log = logging.getLogger("mailbot.test")
    log.info("connecting with %s", "hunter2-very-secret")
    log.debug("> a001 LOGIN support@example.com s3cretpass")
    log.info("home is %s", "/srv/mailbot")
    out = stream.getvalue()
    assert "hunter2-very-secret" not in out and "s3cretpass" not in out
    assert "connecting with ***" in out and "LOGIN support@example.com ***" in out
    assert "home is /srv/mailbot" in out


def test_scheduler_chatter_is_quiet_at_info(monkeypatch: pytest.MonkeyPatch) -> None:
    stream = io.StringIO()
    configure_logging("INFO", stream=stream)
    logging.getLogger("apscheduler.executors.default").info("Job executed successfully")
    logging.getLogger("apscheduler.scheduler").warning("Run time of job was missed")
    assert "executed successfully" not in stream.getvalue()
    assert "was missed" in stream.getvalue()
