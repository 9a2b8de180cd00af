"""Session-wide test settings."""

from __future__ import annotations

import os
import tempfile

import pytest


def pytest_configure(config: pytest.Config) -> None:
    """Keep trained wording models of this run out of the user's cache, shared by child processes."""
    os.environ.setdefault("MAILBOT_CACHE_DIR", tempfile.mkdtemp(prefix="mailbot-test-cache-"))
