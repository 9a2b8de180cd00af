"""Logging setup, with secrets kept out of every log line.

Secrets come from environment variables named in the config; the redacting
filter replaces the *values* of those variables wherever they would appear,
and masks IMAP LOGIN/AUTHENTICATE arguments, so a debug log can be shared.
"""

from __future__ import annotations

import logging
import os
import re
from typing import IO

_LOGIN = re.compile(r"(\b(?:LOGIN|AUTHENTICATE)\s+\S+\s+)(\S+)", re.IGNORECASE)
_SECRET_ENV = re.compile(r"(PASSWORD|PASSWD|TOKEN|SECRET|KEY)", re.IGNORECASE)


class RedactSecrets(logging.Filter):
    """Replace secret values (from the environment) and login arguments with ***."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()
        self.refresh()

    def refresh(self) -> None:
        """Collect values of environment variables that look like secrets."""
        self.secrets = {
            value for name, value in os.environ.items() if _SECRET_ENV.search(name) and len(value) >= 4
        }

    def add(self, value: str | None) -> None:
        if value and len(value) >= 4:
            self.secrets.add(value)

    def redact(self, text: str) -> str:
        text = _LOGIN.sub(r"\1***", text)
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = self.redact(message)
        if clean != message:
            record.msg = clean
            record.args = ()
        return True


REDACTOR = RedactSecrets()


def configure_logging(level: str, *, stream: IO[str]) -> None:
    """One handler on the root logger, with secrets redacted."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_mailbot", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(stream)
    handler._mailbot = True  # type: ignore[attr-defined]
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    REDACTOR.refresh()
    handler.addFilter(REDACTOR)
    root.addHandler(handler)
    root.setLevel(level)
    # One line per job run every few seconds drowns what matters; job errors
    # are logged by mailbot itself with the job's name.
    logging.getLogger("apscheduler").setLevel(max(logging.WARNING, root.level))
