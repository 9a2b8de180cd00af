"""The IMAP source against a real Dovecot (integration), plus its pure helpers (tables).

Dovecot is started by tests/dovecot.py on 127.0.0.1; each test reads its own
fresh user (every user name logs in with the same password), so tests do not
see each other's mail. Tests that kill or restart the server get their own
instance.
"""

from __future__ import annotations

import base64
import imaplib
import logging
import os
import random
import select
import socket
import ssl
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner
from imapclient.exceptions import IMAPClientError, LoginError

from mailbot.commands.common import App
from mailbot.commands.mailbox import mailbox_group
from mailbot.config import ImapSettings
from mailbot.errors import SourceError
from mailbot.sources.imap import (
    Backoff,
    ImapPollError,
    append_sent,
    mark_answered,
    open_connection,
    poll_mailbox,
    watch_mailbox,
    watch_mailbox_async,
)
from mailbot.sources.imap_conn import Connector, RedactCredentials, describe_error
from mailbot.sources.imap_outbox import _parse_ref
from mailbot.sources.imap_sync import _fetch, batches, body_hash, message_id_of, received_time
from mailbot.sources.imap_watch import ConnectionLost, wait_in_idle
from mailbot.store.imap import FolderState
from tests.dovecot import (
    PASSWORD,
    PASSWORD_ENV,
    Dovecot,
    ImapTestStore,
    imap_config,
    running_dovecot,
    sample_message,
)

REPO = Path(__file__).resolve().parents[1]
SOURCE = "imap:support"

# -- pure helpers (no server) ---------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"Message-ID: <a@b>\r\nSubject: x\r\n\r\nbody", "<a@b>"),
        (b"message-id:   <a@b>  \r\n\r\n", "<a@b>"),
        (b"Subject: x\r\nMessage-Id:\r\n <folded@b>\r\n\r\n", "<folded@b>"),
        (b"Message-ID: no-angles@b\r\n\r\n", "no-angles@b"),
        (b"Subject: x\r\n\r\nMessage-ID: <in-body@b>\r\n", None),
        (b"Message-ID:\r\n\r\n", None),
        (b"Subject: no header block end", None),
    ],
)
def test_message_id_of(raw, expected):
    assert message_id_of(raw) == expected


@pytest.mark.parametrize(
    ("first", "second", "same"),
    [
        (b"A: 1\r\n\r\nhello\r\nworld\r\n", b"Received: x\r\nA: 1\r\n\r\nhello\r\nworld\r\n", True),
        (b"A: 1\r\n\r\nhello\r\nworld\r\n", b"A: 1\n\nhello\nworld\n\n", True),
        (b"A: 1\r\n\r\nhello\r\nworld\r\n", b"A: 1\r\n\r\nhello\r\nWorld\r\n", False),
    ],
)
def test_body_hash_ignores_headers_and_line_endings_only(first, second, same):
    assert (body_hash(first) == body_hash(second)) is same


@pytest.mark.parametrize(
    ("uids", "sizes", "max_count", "max_bytes", "expected"),
    [
        ([1, 2, 3, 4, 5], {}, 2, 100, [[1, 2], [3, 4], [5]]),
        ([1, 2, 3], {1: 60, 2: 60, 3: 10}, 10, 100, [[1], [2, 3]]),
        ([7], {7: 1000}, 10, 100, [[7]]),  # too big alone: still fetched, in a batch of its own
        ([1, 2, 3], {2: 1000}, 10, 100, [[1], [2], [3]]),
        ([], {}, 10, 100, []),
    ],
)
def test_batches(uids, sizes, max_count, max_bytes, expected):
    assert list(batches(uids, sizes, max_count=max_count, max_bytes=max_bytes)) == expected


class _FakeFetchClient:
    """Answers FETCH from a list of prepared responses, one per call."""

    def __init__(self, answers: list[dict[int, dict[bytes, object]]]) -> None:
        self.answers = list(answers)
        self.asked: list[list[int]] = []

    def fetch(self, uids, wanted):
        self.asked.append(list(uids))
        return self.answers.pop(0)


def _body(uid: int) -> dict[bytes, object]:
    return {b"BODY[]": f"message {uid}".encode(), b"INTERNALDATE": None}


@pytest.mark.parametrize(
    ("answers", "fetched", "complete_to", "asked"),
    [
        ([{1: _body(1), 2: _body(2), 3: _body(3)}], [1, 2, 3], 3, [[1, 2, 3]]),
        ([{1: _body(1), 3: _body(3)}], [1, 3], 3, [[1, 2, 3]]),  # 2 expunged meanwhile
        ([{1: _body(1), 2: {b"FLAGS": ()}, 3: _body(3)}, {2: _body(2)}], [1, 2, 3], 3, [[1, 2, 3], [2]]),
        ([{1: _body(1), 2: {b"FLAGS": ()}, 3: _body(3)}, {}], [1, 3], 3, [[1, 2, 3], [2]]),
        ([{1: _body(1), 2: {b"FLAGS": ()}, 3: _body(3)}, {2: {b"FLAGS": ()}}], [1], 1, [[1, 2, 3], [2]]),
        ([{1: {b"FLAGS": ()}}, {1: {b"FLAGS": ()}}], [], 0, [[1, 2, 3], [1]]),
    ],
)
def test_fetch_batch_completeness(answers, fetched, complete_to, asked):
    client = _FakeFetchClient(answers)
    messages, upto = _fetch(client, [1, 2, 3])
    assert [m.uid for m in messages] == fetched
    assert all(m.data == f"message {m.uid}".encode() for m in messages)
    assert (upto, client.asked) == (complete_to, asked)


NOW = datetime(2025, 11, 3, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("internaldate", "expected"),
    [
        (
            datetime(2025, 11, 3, 13, 0, tzinfo=timezone(timedelta(hours=2))),
            datetime(2025, 11, 3, 11, 0, tzinfo=UTC),
        ),
        (datetime(2025, 11, 3, 11, 0), datetime(2025, 11, 3, 11, 0, tzinfo=UTC)),  # naive: taken as UTC
        (datetime(2030, 1, 1, tzinfo=UTC), NOW),  # never in the future
        (None, NOW),
    ],
)
def test_received_time(internaldate, expected):
    assert received_time(internaldate, NOW) == expected


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("INBOX/123/45", ("INBOX", 123, 45)),
        ("[Gmail]/All Mail/9/1", ("[Gmail]/All Mail", 9, 1)),
        ("INBOX/x/1", None),
        ("INBOX", None),
    ],
)
def test_parse_ref(ref, expected):
    assert _parse_ref(ref) == expected


def _settings() -> ImapSettings:
    server = Dovecot(base=Path("/nonexistent"), port=1143)
    settings = imap_config(server, Path("/nonexistent"), "u").mailbox("support").imap
    assert settings is not None
    return settings


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (
            ConnectionRefusedError(111, "Connection refused"),
            "cannot connect to 127.0.0.1:1143: connection refused",
        ),
        (TimeoutError("timed out"), "no answer from 127.0.0.1:1143 within 30s"),
        (
            LoginError("b'[AUTHENTICATIONFAILED] Authentication failed.'"),
            "login failed for u: server said [AUTH",
        ),
        (ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number"), "did not speak TLS"),
        (imaplib.IMAP4.abort("socket error: EOF"), "connection to 127.0.0.1:1143 lost: socket error: EOF"),
        (socket.gaierror(-2, "Name or service not known"), "cannot resolve host '127.0.0.1'"),
    ],
)
def test_describe_error_says_what_is_wrong(error, words):
    assert words in describe_error(error, _settings())


@pytest.mark.parametrize(
    ("message", "args", "hidden"),
    [
        ("> %r", (b'ABCD1 LOGIN user "hunter2"',), "hunter2"),
        ("> b'ABCD2 AUTHENTICATE XOAUTH2 dG9rZW4='", (), "dG9rZW4="),
        ("> b'ABCD1 login u pw-in-lower-case'", (), "pw-in-lower-case"),
    ],
)
def test_redact_credentials_filter(message, args, hidden):
    record = logging.LogRecord("imapclient.imaplib", logging.DEBUG, __file__, 1, message, args, None)
    assert RedactCredentials().filter(record)
    assert hidden not in record.getMessage()
    assert "REDACTED" in record.getMessage()


def test_redact_leaves_other_lines_alone():
    record = logging.LogRecord(
        "imapclient.imaplib", logging.DEBUG, __file__, 1, "> b'A3 SELECT INBOX'", (), None
    )
    RedactCredentials().filter(record)
    assert record.getMessage() == "> b'A3 SELECT INBOX'"


@pytest.mark.parametrize("failures", [1, 2, 5, 30])
def test_backoff_grows_and_is_capped(failures):
    backoff = Backoff(initial=1.0, maximum=10.0)
    expected = min(10.0, 2.0 ** (failures - 1))
    delay = backoff.delay(failures)
    assert expected * 0.8 <= delay <= expected * 1.2


class _FakeSocket:
    def gettimeout(self):
        return 30.0

    def settimeout(self, value):
        pass


class _FakeReader:
    def __init__(self, buffered: bytes):
        self.buffered = buffered

    def peek(self, size):
        return self.buffered


class _FakeIdleClient:
    """Plays back idle_check answers: a list per call, or "wait" to time out."""

    def __init__(self, script: list[object], buffered: bytes = b"") -> None:
        self.script = list(script)
        self.done = 0
        self._imap = type("Imap", (), {"file": _FakeReader(buffered)})()

    def socket(self):
        return _FakeSocket()

    def idle(self):
        pass

    def idle_check(self, timeout=None):
        step = self.script.pop(0) if self.script else []
        if step == "wait":
            time.sleep(timeout)
            return []
        return step

    def idle_done(self):
        self.done += 1
        return (b"Idle completed", [])


@pytest.mark.parametrize(
    ("script", "outcome"),
    [
        ([[(b"OK", b"Still here")], [(3, b"EXISTS")]], True),
        ([[(1, b"FETCH", (b"FLAGS", ()))], [(4, b"RECENT")]], True),
        ([[], [], []], ConnectionLost),  # readable socket, nothing to read: EOF
        ([[(b"BYE", b"Server", b"shutting", b"down.")]], ConnectionLost),
        (["wait", "wait"], False),  # renewal time reached
    ],
)
def test_wait_in_idle(script, outcome):
    client = _FakeIdleClient(script)
    stop = threading.Event()
    if outcome is ConnectionLost:
        with pytest.raises(ConnectionLost):
            wait_in_idle(client, stop, renew=5.0)
        return
    assert wait_in_idle(client, stop, renew=0.15 if outcome is False else 5.0) is outcome
    assert client.done == 1


def test_wait_in_idle_sees_lines_already_buffered_with_the_idle_reply():
    # "+ idling\r\n* 1 EXISTS\r\n" in one packet: the EXISTS is in imaplib's buffer, not the socket.
    client = _FakeIdleClient(["wait"] * 100, buffered=b"* 1 EXISTS\r\n")
    assert wait_in_idle(client, threading.Event(), renew=5.0) is True
    assert len(client.script) == 100  # did not wait for the socket at all


# -- fixtures and helpers for the server tests -----------------------------------


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    with running_dovecot() as server:
        yield server


@pytest.fixture
def own_dovecot() -> Iterator[Dovecot]:
    """A Dovecot this test may kill and restart."""
    with running_dovecot() as server:
        yield server


@pytest.fixture(scope="session")
def tls_dovecot() -> Iterator[Dovecot]:
    with running_dovecot(tls=True) as server:
        yield server


@pytest.fixture
def user() -> str:
    return f"u{uuid.uuid4().hex[:12]}"


@pytest.fixture(autouse=True)
def _password(monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)


@pytest.fixture
def store(tmp_path) -> Iterator[ImapTestStore]:
    db = ImapTestStore(tmp_path / "store.sqlite3")
    yield db
    db.close()


def wait_for(condition: Callable[[], bool], timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def stored_count(store) -> int:
    return int(store._scalar("SELECT count(*) FROM messages"))


def stored_message_ids(store) -> list[str | None]:
    return [message_id_of(bytes(row["data"])) for row in store._rows("SELECT data FROM raw_messages")]


def server_flags(server: Dovecot, user: str, folder: str = "INBOX") -> dict[int, set[bytes]]:
    with server.client(user) as client:
        client.select_folder(folder, readonly=True)
        uids = client.search(["ALL"])
        return {uid: set(data[b"FLAGS"]) for uid, data in client.fetch(uids, ["FLAGS"]).items()}


@contextmanager
def watching(config, store, name="support", **options) -> Iterator[list[SourceError]]:
    """Run watch_mailbox in a thread for the duration of the block; yields the errors it reported."""
    errors: list[SourceError] = []
    stop = threading.Event()
    options.setdefault("backoff", Backoff(initial=0.1, maximum=0.5))
    thread = threading.Thread(
        target=watch_mailbox, args=(config, store, name, stop, errors.append), kwargs=options, daemon=True
    )
    thread.start()
    try:
        yield errors
    finally:
        stop.set()
        thread.join(timeout=15)
        assert not thread.is_alive(), "the watcher did not stop"


def counting(calls: list[str], method: str) -> Connector:
    """A connector that counts calls of one client method (the one factory, wrapped)."""

    def connect(box):
        client = open_connection(box)
        original = getattr(client, method)

        def counted(*args, **kwargs):
            calls.append(method)
            return original(*args, **kwargs)

        setattr(client, method, counted)
        return client

    return connect


# -- polling ---------------------------------------------------------------------


@pytest.mark.integration
def test_poll_stores_every_message_once_without_marking_it_read(dovecot, user, store, tmp_path):
    seeded = [sample_message(i, kind=("text", "html", "attachment")[i % 3]) for i in range(30)]
    dovecot.append(user, seeded)
    config = imap_config(dovecot, tmp_path, user, batch_size=7)
    lines: list[str] = []

    first = poll_mailbox(config, store, "support", progress=lines.append)

    assert (first.stored, first.duplicates) == (30, 0)
    assert sorted(bytes(r["data"]) for r in store._rows("SELECT data FROM raw_messages")) == sorted(seeded)
    assert lines[-1].endswith("30/30 messages (100%)") and len(lines) == 5
    assert store.imap_folder_state(SOURCE, "INBOX").last_uid == 30
    refs = {r["source_ref"] for r in store._rows("SELECT source_ref FROM messages")}
    uidvalidity = store.imap_folder_state(SOURCE, "INBOX").uidvalidity
    assert refs == {f"INBOX/{uidvalidity}/{uid}" for uid in range(1, 31)}
    assert all(b"\\Seen" not in flags for flags in server_flags(dovecot, user).values())

    again = poll_mailbox(config, store, "support")
    dovecot.append(user, [sample_message(i) for i in range(100, 104)])
    more = poll_mailbox(config, store, "support")
    assert (again.fetched, more.stored, stored_count(store)) == (0, 4, 34)


@pytest.mark.integration
def test_received_at_is_the_servers_internaldate(dovecot, user, store, tmp_path):
    when = datetime(2025, 10, 1, 8, 30, tzinfo=UTC)
    with dovecot.client(user) as client:
        client.append("INBOX", sample_message(1), msg_time=when)
    poll_mailbox(imap_config(dovecot, tmp_path, user), store, "support")
    assert store._scalar("SELECT received_at FROM messages") == "2025-10-01T08:30:00.000000Z"


@pytest.mark.integration
def test_after_store_flag_sets_the_keyword_after_storing(dovecot, user, store, tmp_path):
    dovecot.append(user, [sample_message(i) for i in range(5)])
    config = imap_config(dovecot, tmp_path, user, after_store="flag", flag="$Stored")
    poll_mailbox(config, store, "support")
    assert all(b"$Stored" in flags for flags in server_flags(dovecot, user).values())
    assert (
        store.imap_pending_actions(SOURCE, "INBOX", store.imap_folder_state(SOURCE, "INBOX").uidvalidity)
        == {}
    )


@pytest.mark.integration
def test_after_store_move_empties_the_folder_and_stores_once(dovecot, user, store, tmp_path):
    dovecot.append(user, [sample_message(i) for i in range(6)])
    config = imap_config(dovecot, tmp_path, user, after_store="move", move_to="Archive")
    first = poll_mailbox(config, store, "support")
    second = poll_mailbox(config, store, "support")
    assert (first.stored, second.fetched) == (6, 0)
    assert server_flags(dovecot, user) == {}
    assert len(server_flags(dovecot, user, "Archive")) == 6


@pytest.mark.integration
def test_failed_after_store_action_is_reported_and_redone_next_pass(dovecot, user, store, tmp_path):
    dovecot.append(user, [sample_message(i) for i in range(4)])
    config = imap_config(dovecot, tmp_path, user, after_store="flag", flag="$Stored")

    def failing_flags(box):
        client = open_connection(box)

        def refuse(*args, **kwargs):
            raise IMAPClientError("STORE failed (test)")

        client.add_flags = refuse
        return client

    with pytest.raises(ImapPollError, match=r"after-store action failed \(keyword \$Stored\)") as caught:
        poll_mailbox(config, store, "support", connect=failing_flags)
    assert caught.value.result.stored == 4
    assert all(b"$Stored" not in flags for flags in server_flags(dovecot, user).values())

    again = poll_mailbox(config, store, "support")
    assert again.fetched == 0
    assert all(b"$Stored" in flags for flags in server_flags(dovecot, user).values())


@pytest.mark.integration
def test_uidvalidity_reset_rescans_without_duplicates(dovecot, user, store, tmp_path):
    originals = [sample_message(i, seed=5) for i in range(12)]
    dovecot.append(user, originals, folder="Support")
    config = imap_config(dovecot, tmp_path, user, folders=["Support"])
    poll_mailbox(config, store, "support")
    old = store.imap_folder_state(SOURCE, "Support")

    dovecot.recreate_folder(user, "Support")
    rewritten = [
        b"Received: from rebuild.example.com; Tue, 4 Nov 2025 09:00:00 +0000\r\n" + m for m in originals[:6]
    ]
    same_id_new_body = originals[0].replace(b"Regards,", b"Kind regards, and one more thing:")
    new = [sample_message(i, seed=6) for i in range(3)]
    dovecot.append(user, [*rewritten, *originals[6:], same_id_new_body, *new], folder="Support")

    result = poll_mailbox(config, store, "support")

    folder = result.folders[0]
    assert folder.rescanned and store.imap_folder_state(SOURCE, "Support").uidvalidity != old.uidvalidity
    assert (folder.stored, folder.duplicates) == (4, 12)  # 3 new + a different body under a known Message-ID
    assert stored_count(store) == 16
    assert store.imap_folder_state(SOURCE, "Support").last_uid == 16


@pytest.mark.integration
def test_dovecot_killed_mid_fetch_then_next_poll_completes(own_dovecot, user, store, tmp_path):
    seeded = [sample_message(i) for i in range(120)]
    own_dovecot.append(user, seeded)
    config = imap_config(own_dovecot, tmp_path, user, batch_size=20)
    calls = []

    def kill_after_second_batch(line: str) -> None:
        calls.append(line)
        if len(calls) == 2:
            own_dovecot.kill()

    with pytest.raises(SourceError, match=r"connection to 127\.0\.0\.1:\d+ lost|cannot connect"):
        poll_mailbox(config, store, "support", progress=kill_after_second_batch)
    partial = stored_count(store)
    assert 40 <= partial < 120

    own_dovecot.start()
    result = poll_mailbox(config, store, "support")
    assert result.stored == 120 - partial
    assert sorted(map(str, stored_message_ids(store))) == sorted(str(message_id_of(m)) for m in seeded)
    assert store.imap_item_count(SOURCE) == 120


@pytest.mark.integration
def test_timeout_of_a_silent_server_is_a_clear_error(user, store, tmp_path, dovecot):
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        server = Dovecot(base=tmp_path, port=silent.getsockname()[1])
        config = imap_config(server, tmp_path, user, timeout=0.5)
        with pytest.raises(SourceError, match=r"no answer from 127\.0\.0\.1:\d+ within 0\.5s"):
            poll_mailbox(config, store, "support")


# -- kill -9 of the poller -----------------------------------------------------------


def _read_line(process: subprocess.Popen[bytes], timeout: float) -> str | None:
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], timeout)
    if not ready:
        return None
    return process.stdout.readline().decode()


@pytest.mark.integration
def test_kill_9_of_the_poller_loses_and_duplicates_nothing(dovecot, user, tmp_path):
    seeded = [sample_message(i, kind="html" if i % 4 == 0 else "text", seed=9) for i in range(1000)]
    dovecot.append(user, seeded)
    rng = random.Random()
    kills, delays = 0, []
    command = [sys.executable, str(REPO / "tests" / "imap_poll_child.py"), str(dovecot.port), user]
    command += [str(tmp_path), "10", "flag"]
    for _ in range(15):
        with subprocess.Popen(
            command, stdout=subprocess.PIPE, cwd=REPO, env={**os.environ, PASSWORD_ENV: PASSWORD}
        ) as child:
            first = _read_line(child, timeout=30)  # a batch is committed: the fetch is under way
            if not first or first.startswith("done"):
                break
            delay = rng.uniform(0.0, 0.12)
            delays.append(round(delay, 3))
            time.sleep(delay)
            child.kill()  # SIGKILL
            if child.wait(timeout=10) == -9:
                kills += 1
    assert kills >= 3, f"the poller finished before it could be killed often enough (delays {delays})"

    store = ImapTestStore(tmp_path / "store.sqlite3")
    try:
        poll_mailbox(
            imap_config(dovecot, tmp_path, user, batch_size=10, after_store="flag"), store, "support"
        )
        ids = stored_message_ids(store)
        assert len(ids) == 1000 and set(ids) == {message_id_of(m) for m in seeded}, f"delays {delays}"
        assert stored_count(store) == 1000
        per_sha = store._rows("SELECT sha256, count(*) AS n FROM source_items GROUP BY sha256 HAVING n > 1")
        assert per_sha == []
        assert store.imap_item_count(SOURCE) == 1000
        state = store.imap_folder_state(SOURCE, "INBOX")
        assert state is not None and state == FolderState(state.uidvalidity, 1000)
        assert store.imap_pending_actions(SOURCE, "INBOX", state.uidvalidity) == {}
    finally:
        store.close()
    flags = server_flags(dovecot, user)
    assert len(flags) == 1000
    assert all(b"$MailbotStored" in f and b"\\Seen" not in f for f in flags.values())


# -- push, fallback, reconnect -----------------------------------------------------


@pytest.mark.integration
def test_new_mail_during_idle_is_stored_by_push(dovecot, user, store, tmp_path):
    config = imap_config(dovecot, tmp_path, user, interval=3600)  # polling alone would take an hour
    idles: list[str] = []
    with watching(config, store, connect=counting(idles, "idle")) as errors:
        assert wait_for(lambda: store.imap_folder_state(SOURCE, "INBOX") is not None and bool(idles))
        dovecot.append(user, [sample_message(1)])
        assert wait_for(lambda: stored_count(store) == 1, timeout=15)
    assert errors == []


@pytest.mark.integration
def test_mail_arriving_between_sync_and_idle_is_not_missed(dovecot, user, store, tmp_path):
    config = imap_config(dovecot, tmp_path, user, interval=3600)

    def append_just_before_idle(box):
        client = open_connection(box)
        original = client.idle

        def idle():
            if not getattr(client, "appended", False):
                client.appended = True
                dovecot.append(user, [sample_message(7)])
            return original()

        client.idle = idle
        return client

    with watching(config, store, connect=append_just_before_idle) as errors:
        assert wait_for(lambda: stored_count(store) == 1, timeout=15)
    assert errors == []


@pytest.mark.integration
def test_idle_is_renewed(dovecot, user, store, tmp_path):
    config = imap_config(dovecot, tmp_path, user, interval=3600)
    idles: list[str] = []
    with watching(config, store, connect=counting(idles, "idle"), idle_renew=0.3) as errors:
        assert wait_for(lambda: len(idles) >= 4, timeout=10)
    assert errors == []


@pytest.mark.integration
def test_each_folder_is_watched_on_its_own_connection(dovecot, user, store, tmp_path):
    dovecot.append(user, [sample_message(1)], folder="Support")
    config = imap_config(dovecot, tmp_path, user, folders=["INBOX", "Support"], interval=3600)
    with watching(config, store) as errors:
        assert wait_for(lambda: stored_count(store) == 1)
        dovecot.append(user, [sample_message(2)], folder="Support")
        dovecot.append(user, [sample_message(3)])
        assert wait_for(lambda: stored_count(store) == 3, timeout=15)
    assert errors == []


@pytest.mark.integration
def test_polling_goes_on_past_a_missing_folder(dovecot, user, store, tmp_path):
    config = imap_config(dovecot, tmp_path, user, idle=False, interval=0.2, folders=["Nope", "INBOX"])
    with watching(config, store) as errors:
        dovecot.append(user, [sample_message(1)])
        assert wait_for(lambda: stored_count(store) == 1)
        dovecot.append(user, [sample_message(2)])
        assert wait_for(lambda: stored_count(store) == 2)
    assert errors and all("folder 'Nope' does not exist" in str(e) for e in errors)


@pytest.mark.integration
def test_server_without_idle_is_polled(user, store, tmp_path):
    with running_dovecot(idle=False) as server:
        config = imap_config(server, tmp_path, user, interval=0.3)
        idles: list[str] = []
        with watching(config, store, connect=counting(idles, "idle")) as errors:
            server.append(user, [sample_message(1)])
            assert wait_for(lambda: stored_count(store) == 1)
        assert (idles, errors) == ([], [])


@pytest.mark.integration
def test_watch_reconnects_after_server_restart(own_dovecot, user, store, tmp_path):
    config = imap_config(own_dovecot, tmp_path, user, interval=3600)
    with watching(config, store) as errors:
        assert wait_for(lambda: store.imap_folder_state(SOURCE, "INBOX") is not None)
        time.sleep(0.3)  # in IDLE now
        own_dovecot.kill()
        assert wait_for(lambda: len(errors) >= 2, timeout=15)  # lost connection, then refused
        own_dovecot.start()
        own_dovecot.append(user, [sample_message(1)])
        assert wait_for(lambda: stored_count(store) == 1, timeout=20)
    assert any("lost" in str(e) or "closed" in str(e) for e in errors)
    assert any("connection refused" in str(e) for e in errors)


@pytest.mark.integration
def test_one_broken_mailbox_does_not_stop_another(dovecot, user, store, tmp_path):
    broken: dict[str, object] = {
        "name": "broken",
        "address": "broken@example.com",
        "imap": {"host": "127.0.0.1", "port": dovecot.port, "tls": "plain", "username": "x"}
        | {"password_env": "MAILBOT_TEST_NO_SUCH_VARIABLE"},
    }
    config = imap_config(dovecot, tmp_path, user, extra=[broken], interval=3600)
    with watching(config, store, "broken") as broken_errors, watching(config, store) as errors:
        dovecot.append(user, [sample_message(1)])
        assert wait_for(lambda: stored_count(store) == 1)
        assert wait_for(lambda: len(broken_errors) >= 2)
    assert errors == []
    assert "MAILBOT_TEST_NO_SUCH_VARIABLE (password_env) is not set" in str(broken_errors[0])


@pytest.mark.integration
async def test_async_watch_stops_on_its_event(dovecot, user, store, tmp_path):
    import asyncio

    config = imap_config(dovecot, tmp_path, user, interval=3600)
    stop = asyncio.Event()
    task = asyncio.create_task(watch_mailbox_async(config, store, "support", stop))
    dovecot.append(user, [sample_message(1)])
    for _ in range(200):
        if stored_count(store) == 1:
            break
        await asyncio.sleep(0.05)
    stop.set()
    await asyncio.wait_for(task, timeout=10)
    assert stored_count(store) == 1


# -- errors people see ----------------------------------------------------------------


def _write_config(tmp_path: Path, server: Dovecot, user: str, folders: list[str]) -> Path:
    (tmp_path / "policies").mkdir(exist_ok=True)
    path = tmp_path / "config.toml"
    path.write_text(
        '[store]\npath = "store.sqlite3"\n\n'
        '[[mailboxes]]\nname = "support"\naddress = "support@example.com"\n\n'
        "[mailboxes.imap]\n"
        f'host = "127.0.0.1"\nport = {server.port}\ntls = "plain"\nusername = "{user}"\n'
        f'password_env = "{PASSWORD_ENV}"\nfolders = {folders!r}\n'.replace("'", '"')
    )
    return path


@pytest.mark.integration
def test_wrong_password_is_a_clear_error(dovecot, user, store, tmp_path, monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, "wrong")
    with pytest.raises(SourceError, match=rf"^imap:support: login failed for {user}: .*AUTHENTICATIONFAILED"):
        poll_mailbox(imap_config(dovecot, tmp_path, user), store, "support")

    config_path = _write_config(tmp_path, dovecot, user, ["INBOX"])
    outcome = CliRunner().invoke(mailbox_group, ["test", "support"], obj=App(str(config_path)))
    assert outcome.exit_code == 1
    assert f"FAIL  login: login failed for {user}" in outcome.output
    assert "Traceback" not in outcome.output


@pytest.mark.integration
def test_unknown_folder_is_a_clear_error_and_other_folders_still_work(dovecot, user, store, tmp_path):
    dovecot.append(user, [sample_message(1)])
    config = imap_config(dovecot, tmp_path, user, folders=["Nope", "INBOX"])
    with pytest.raises(
        ImapPollError, match="imap:support: folder 'Nope' does not exist on the server"
    ) as caught:
        poll_mailbox(config, store, "support")
    assert caught.value.result.stored == 1

    config_path = _write_config(tmp_path, dovecot, user, ["INBOX", "Nope"])
    outcome = CliRunner().invoke(mailbox_group, ["test", "support"], obj=App(str(config_path)))
    assert outcome.exit_code == 1
    assert "FAIL  folder 'Nope': does not exist (server has: Archive, INBOX, Sent)" in outcome.output
    assert "ok    folder 'INBOX': 1 messages" in outcome.output
    assert "Traceback" not in outcome.output


@pytest.mark.integration
def test_mailbox_test_reports_a_working_mailbox(dovecot, user, tmp_path):
    config_path = _write_config(tmp_path, dovecot, user, ["INBOX"])
    outcome = CliRunner().invoke(mailbox_group, ["test", "support"], obj=App(str(config_path)))
    assert outcome.exit_code == 0, outcome.output
    assert "ok    new mail: push (IDLE)" in outcome.output
    assert "ok    sent_folder: replies are filed in 'Sent'" in outcome.output
    assert "warn  tls: plain" in outcome.output
    assert outcome.output.rstrip().endswith("mailbox support: ready")


# -- TLS, XOAUTH2 and what reaches the log -------------------------------------------------


@pytest.mark.integration
@pytest.mark.parametrize("mode", ["implicit", "starttls"])
def test_tls_modes_connect_when_the_certificate_is_trusted(
    tls_dovecot, user, store, tmp_path, monkeypatch, mode
):
    monkeypatch.setenv("SSL_CERT_FILE", str(tls_dovecot.ca_file))
    port = tls_dovecot.tls_port if mode == "implicit" else tls_dovecot.port
    tls_dovecot.append(user, [sample_message(1)])
    config = imap_config(tls_dovecot, tmp_path, user, tls=mode, port=port)
    assert poll_mailbox(config, store, "support").stored == 1


@pytest.mark.integration
@pytest.mark.parametrize(
    ("mode", "use_tls_port", "words"),
    [
        ("implicit", True, "TLS failure with 127.0.0.1:.*: certificate not trusted"),
        ("starttls", False, "TLS failure with 127.0.0.1:.*: certificate not trusted"),
        ("implicit", False, "TLS failure with 127.0.0.1:.*"),  # TLS spoken to a plain port
    ],
)
def test_tls_failures_are_clear(tls_dovecot, user, store, tmp_path, monkeypatch, mode, use_tls_port, words):
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    port = tls_dovecot.tls_port if use_tls_port else tls_dovecot.port
    config = imap_config(tls_dovecot, tmp_path, user, tls=mode, port=port, timeout=5)
    with pytest.raises(SourceError, match=words):
        poll_mailbox(config, store, "support")


@pytest.mark.integration
def test_starttls_is_required_when_configured(dovecot, user, store, tmp_path):
    config = imap_config(dovecot, tmp_path, user, tls="starttls")  # this server has ssl = no
    with pytest.raises(SourceError, match="does not offer STARTTLS"):
        poll_mailbox(config, store, "support")


@pytest.mark.integration
def test_xoauth2_login_and_nothing_secret_in_the_debug_log(
    dovecot, user, store, tmp_path, monkeypatch, caplog
):
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("MAILBOT_TEST_TOKEN", PASSWORD)
    dovecot.append(user, [sample_message(1)])
    oauth = imap_config(dovecot, tmp_path, user, password_env=None, oauth2_token_env="MAILBOT_TEST_TOKEN")
    assert poll_mailbox(oauth, store, "support").stored == 1
    poll_mailbox(imap_config(dovecot, tmp_path, user), store, "support")  # password LOGIN

    assert "LOGIN **REDACTED**" in caplog.text or "AUTHENTICATE **REDACTED**" in caplog.text
    auth_string = f"user={user}\1auth=Bearer {PASSWORD}\1\1".encode()
    assert PASSWORD not in caplog.text
    assert base64.b64encode(auth_string).decode() not in caplog.text

    monkeypatch.setenv("MAILBOT_TEST_TOKEN", "expired-token")
    with pytest.raises(SourceError, match=f"login failed for {user}"):
        poll_mailbox(oauth, store, "support")


# -- the outbox side ---------------------------------------------------------------


def _reply(number: int) -> bytes:
    return (
        f"From: support@example.com\r\nTo: customer@example.net\r\nSubject: Re: Order\r\n"
        f"Message-ID: <reply-{number}@example.com>\r\n\r\nThank you, we are on it.\r\n"
    ).encode()


@pytest.mark.integration
@pytest.mark.parametrize("sent_folder", ["Sent", "\\Sent"])
def test_append_sent_files_a_reply_once(dovecot, user, tmp_path, sent_folder):
    config = imap_config(dovecot, tmp_path, user, sent_folder=sent_folder)
    append_sent(config, "support", _reply(1))
    append_sent(config, "support", _reply(1))  # the outbox retried after a crash
    append_sent(config, "support", _reply(2))
    flags = server_flags(dovecot, user, "Sent")
    assert len(flags) == 2
    assert all(b"\\Seen" in f for f in flags.values())


@pytest.mark.integration
def test_append_sent_to_a_missing_folder_is_a_clear_error_and_empty_means_off(dovecot, user, tmp_path):
    with pytest.raises(SourceError, match="Sent folder 'Sent Items' does not exist"):
        append_sent(imap_config(dovecot, tmp_path, user, sent_folder="Sent Items"), "support", _reply(1))
    append_sent(imap_config(dovecot, tmp_path, user, sent_folder=""), "support", _reply(1))
    assert server_flags(dovecot, user, "Sent") == {}


@pytest.mark.integration
@pytest.mark.parametrize("after_store", ["nothing", "move"])
def test_mark_answered_finds_the_customers_message(dovecot, user, store, tmp_path, after_store):
    dovecot.append(user, [sample_message(i) for i in range(3)])
    config = imap_config(dovecot, tmp_path, user, after_store=after_store, move_to="Archive")
    poll_mailbox(config, store, "support")
    sha = store.imap_items_for(SOURCE, store._scalar("SELECT sha256 FROM messages WHERE id = 2"))[0].sha256

    mark_answered(config, store, "support", sha)

    folder = "Archive" if after_store == "move" else "INBOX"
    answered = [uid for uid, f in server_flags(dovecot, user, folder).items() if b"\\Answered" in f]
    assert len(answered) == 1
    with dovecot.client(user) as client:
        client.select_folder(folder, readonly=True)
        raw = client.fetch(answered, ["BODY.PEEK[]"])[answered[0]][b"BODY[]"]
    assert message_id_of(raw) == message_id_of(sample_message(1))


@pytest.mark.integration
def test_mark_answered_by_ref_and_clear_error_when_gone(dovecot, user, store, tmp_path):
    dovecot.append(user, [sample_message(1)])
    config = imap_config(dovecot, tmp_path, user)
    poll_mailbox(config, store, "support")
    ref = store._scalar("SELECT source_ref FROM messages")
    mark_answered(config, store, "support", ref)
    assert all(b"\\Answered" in f for f in server_flags(dovecot, user).values())

    with dovecot.client(user) as client:
        client.select_folder("INBOX")
        client.delete_messages(client.search(["ALL"]))
        client.expunge()
    with pytest.raises(SourceError, match="is no longer on the server"):
        mark_answered(config, store, "support", ref)


@pytest.mark.integration
def test_every_call_goes_through_the_one_connector(dovecot, user, store, tmp_path):
    dovecot.append(user, [sample_message(1)])
    config = imap_config(dovecot, tmp_path, user)
    made: list[str] = []

    def connector(box):
        made.append(box.name)
        return open_connection(box)

    poll_mailbox(config, store, "support", connect=connector)
    append_sent(config, "support", _reply(1), connect=connector)
    mark_answered(
        config, store, "support", store._scalar("SELECT source_ref FROM messages"), connect=connector
    )
    assert made == ["support", "support", "support"]


def test_a_refused_connection_needs_no_server(tmp_path, store):
    server = Dovecot(base=tmp_path, port=1)  # nothing listens on port 1
    with pytest.raises(SourceError, match=r"cannot connect to 127\.0\.0\.1:1: connection refused"):
        poll_mailbox(imap_config(server, tmp_path, "u"), store, "support")


def test_missing_secret_is_named(tmp_path, store, monkeypatch):
    monkeypatch.delenv(PASSWORD_ENV)
    server = Dovecot(base=tmp_path, port=1)
    with pytest.raises(SourceError, match=f"environment variable {PASSWORD_ENV} .* is not set"):
        poll_mailbox(imap_config(server, tmp_path, "u"), store, "support")
