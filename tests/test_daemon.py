"""``mailbot run`` as a real process: kill -9 during ingest, the store lock, clean stops."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from mailbot.model import Stage
from mailbot.store import Store

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
COUNT = 400


def message(n: int) -> bytes:
    return (
        f"From: Customer {n} <c{n}@example.com>\r\nTo: support@demo.mailbot.example\r\n"
        f"Subject: Order {10000 + n} has not arrived\r\nMessage-ID: <m{n}@example.com>\r\n"
        f"Date: Mon, 23 Nov 2026 09:{n % 60:02d}:00 +0000\r\n\r\n"
        f"Hello, my order {10000 + n} has not arrived yet. Where is it?\r\n"
    ).encode()


@pytest.fixture
def setup(tmp_path: Path) -> Path:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for n in range(COUNT):
        (inbox / f"{n:04d}.eml").write_bytes(message(n))
    config = tmp_path / "config.toml"
    config.write_text(
        textwrap.dedent(
            f"""
            [store]
            path = "store.sqlite3"
            [daemon]
            pipeline_interval = 1
            sla_interval = 1
            [paths]
            policies = "{ROOT / "policies"}"
            phrasebank = "{ROOT / "phrasebank"}"
            [web]
            enabled = false
            [[mailboxes]]
            name = "support"
            address = "support@demo.mailbot.example"
            [[folders]]
            name = "inbox"
            path = "inbox"
            mailbox = "support"
            interval = 1
            settle_seconds = 0
            """
        )
    )
    return config


def start(config: Path, log_name: str = "daemon.log") -> subprocess.Popen[bytes]:
    """Start `mailbot run`; its log is appended to a file beside the config."""
    with (config.parent / log_name).open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "mailbot", "--config", str(config), "run"],
            stdout=subprocess.DEVNULL,
            stderr=log,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )


def counts(store_path: Path) -> tuple[int, int, int]:
    if not store_path.exists():
        return 0, 0, 0
    store = Store(store_path)
    try:
        by_stage = store.count_by_stage()
        return sum(by_stage.values()), by_stage.get(Stage.CHECKED.value, 0), len(store.errors())
    finally:
        store.close()


def wait_for(predicate, timeout: float) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return predicate()


def test_kill_9_during_ingest_loses_and_doubles_nothing(setup: Path) -> None:
    store_path = setup.parent / "store.sqlite3"
    rng = random.Random(4)
    for _ in range(4):
        proc = start(setup)
        try:
            # Wait until it is storing, then kill it at a random moment.
            wait_for(lambda: counts(store_path)[0] > 0, 60)
            time.sleep(rng.uniform(0.05, 1.0))
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
    proc = start(setup)
    try:
        done = wait_for(lambda: counts(store_path)[1] == COUNT, 240)
        assert done, (counts(store_path), (setup.parent / "daemon.log").read_text()[-3000:])
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 0
    total, done, errors = counts(store_path)
    assert (total, done, errors) == (COUNT, COUNT, 0)
    store = Store(store_path)
    try:
        threads = store.queue(limit=COUNT * 2)
        assert len(threads) == COUNT  # one thread per customer, none doubled
        assert all(store.thread_message_ids(t.id).__len__() == 1 for t in threads)
        drafts = [store.draft_for_message(m) for t in threads for m in store.thread_message_ids(t.id)]
        assert all(d is not None for d in drafts)
    finally:
        store.close()


def test_second_daemon_refuses_and_sigterm_stops_cleanly(setup: Path) -> None:
    first = start(setup)
    try:
        assert wait_for(lambda: counts(setup.parent / "store.sqlite3")[0] > 0, 60)
        second = start(setup, "second.log")
        assert second.wait(60) == 2
        assert "already runs on this store" in (setup.parent / "second.log").read_text()
    finally:
        first.send_signal(signal.SIGTERM)
        assert first.wait(60) == 0
