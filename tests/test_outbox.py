"""The outbox against a real (fault-injecting) aiosmtpd: never twice, never silently lost.

The server records every message it *accepted* (its DATA was complete) and
misbehaves on cue: 4xx or 5xx answers, a connection dropped before DATA or
after it (the message taken, the "250" never sent), a hang while a test
kills the worker process with SIGKILL. Every scenario ends with the same
two questions: how many copies did the server take (never more than one),
and does the store say where each reply stands (none silently lost).
"""

from __future__ import annotations

import asyncio
import os
import random
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from click.testing import CliRunner

from mailbot.commands.common import App
from mailbot.commands.outbox import outbox as outbox_cli
from mailbot.config import Config
from mailbot.mail.compose import HeaderError
from mailbot.mail.parse import parse_message
from mailbot.model import DraftState, DraftText, RawMessage, Stage, ThreadState
from mailbot.outbox import (
    BACKOFF_MAX,
    MAX_ATTEMPTS,
    backoff,
    deliver_due,
    recover_after_crash,
    reply_sender,
    resolve_unknown,
)
from mailbot.outbox_smtp import Verdict, transmit
from mailbot.pipeline import PipelineContext, process_message
from mailbot.policy.response import load_response_policy
from mailbot.sla_service import SlaClock
from mailbot.sources.imap import poll_mailbox
from mailbot.store.outbox import Followup, OutboxError, OutboxState
from tests.dovecot import PASSWORD, PASSWORD_ENV, Dovecot, free_port, running_dovecot
from tests.outbox_child import SUPPORT, OutboxTestStore, outbox_config

ROOT = Path(__file__).resolve().parents[1]
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
SMTP_PASSWORD = "smtp-pw-3Jd9"
SMTP_PASSWORD_ENV = "MAILBOT_TEST_SMTP_PASSWORD"


# -- the fault-injecting SMTP server ---------------------------------------------


class FaultySmtp:
    """aiosmtpd handler: accepts mail, or misbehaves as ``script`` says, one entry per message.

    Entries: ``ok``; an SMTP answer such as ``451 4.7.1 try later`` given to
    the end of DATA; ``drop_before_data`` (the connection closes at RCPT);
    ``drop_after_data`` (message taken, connection closed before "250");
    ``hang_before_data`` / ``hang_after_data`` (wait for ``release``).
    """

    def __init__(self) -> None:
        self.script: list[str] = []
        self.accepted: list[bytes] = []
        self.peers: set[tuple[str, int]] = set()
        self.delay = 0.0
        self.reached = threading.Event()  # a hang_* entry was reached
        self.release = threading.Event()
        self.port = 0

    def _next(self, stage: str) -> str:
        if self.script and self.script[0].endswith(stage):
            return self.script.pop(0)
        return ""

    async def _hang(self) -> None:
        self.reached.set()
        while not self.release.is_set():
            await asyncio.sleep(0.01)

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        self.peers.add(session.peer)
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        action = self._next("before_data")
        if action == "drop_before_data":
            server.transport.close()
            return "421 closing"
        if action == "hang_before_data":
            await self._hang()
            return "421 closing"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        action = self._next("after_data") or (self.script.pop(0) if self.script else "ok")
        if action[:1] in ("4", "5"):
            return action
        self.accepted.append(bytes(envelope.original_content))
        if self.delay:
            await asyncio.sleep(self.delay)
        if action == "drop_after_data":
            server.transport.close()
        elif action == "hang_after_data":
            await self._hang()
        return "250 2.0.0 Ok: queued"

    def message_ids(self) -> Counter[str]:
        return Counter(parse_message(raw).message_id for raw in self.accepted)


def _authenticate(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and auth_data.password == SMTP_PASSWORD.encode()
    return AuthResult(success=ok, handled=False)


def start_server(**options: Any) -> tuple[FaultySmtp, Controller]:
    handler = FaultySmtp()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), **options)
    controller.start()
    handler.port = controller.port
    return handler, controller


@pytest.fixture
def smtp() -> Iterator[FaultySmtp]:
    handler, controller = start_server()
    yield handler
    handler.release.set()
    controller.stop()


# -- the mailbot side --------------------------------------------------------------


@pytest.fixture
def store(tmp_path: Path) -> Iterator[OutboxTestStore]:
    opened = OutboxTestStore(tmp_path / "store.sqlite3")
    yield opened
    opened.close()


def context() -> PipelineContext:
    def nothing(*args: Any) -> Any:
        raise AssertionError("only parse and thread stages run in these tests")

    return PipelineContext(
        own_addresses=frozenset({SUPPORT}),
        classify=nothing,
        draft=nothing,
        check=nothing,
        clock=SlaClock(load_response_policy(ROOT / "policies" / "response.toml")),
        now=lambda: T0,
    )


def customer_mail(n: int, *, name: str = "Ann Customer", reply_to: str = "") -> bytes:
    extra = f"Reply-To: {reply_to}\r\n" if reply_to else ""
    return (
        f"From: {name} <ann{n}@example.net>\r\nTo: {SUPPORT}\r\nSubject: Order {1000 + n} late\r\n"
        f"Message-ID: <c{n}@example.net>\r\nReferences: <root{n}@example.net>\r\n{extra}"
        f"Date: Mon, 23 Nov 2026 08:00:00 +0000\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        f"Where is order {1000 + n}?\r\n"
    ).encode()


def queue_reply(
    config: Config,
    store: OutboxTestStore,
    n: int,
    *,
    text: str = "Your parcel left today.",
    raw: bytes | None = None,
    source: str = "folder:test",
) -> int:
    """A customer message, threaded, with a draft in ``sending``, queued as ``actions.send`` does."""
    message, _ = store.store_raw(
        RawMessage(raw or customer_mail(n), source, f"ref{n}", T0), mailbox="support"
    )
    process_message(store, message, context(), until=Stage.THREADED)
    detail = store.message_detail(message)
    subject = f"Re: {detail['subject']}"
    draft = store.save_draft(
        thread_id=detail["thread_id"],
        message_id=message,
        draft=DraftText("en", "delivery", "en/delivery", subject, text),
        template_text=text,
    )
    with store.transaction():
        store.set_draft_state(draft, DraftState.SENDING)
        return store.enqueue_outbox(
            draft_id=draft,
            thread_id=detail["thread_id"],
            mailbox=detail["mailbox"],
            channel="email",
            to_addr=detail["reply_to"] or detail["sender"],
            to_name=detail["sender_name"],
            subject=subject,
            text=text,
            in_reply_to=detail["message_id"],
            references=[*detail["refs"], detail["message_id"]],
            actor="agent1",
            sender=reply_sender(config, "support"),
            now=T0,
        )


def states(store: OutboxTestStore) -> dict[int, str]:
    return {item.id: item.state.value for item in store.outbox_items(limit=10_000)}


@pytest.fixture
def config(tmp_path: Path, smtp: FaultySmtp) -> Config:
    return outbox_config(tmp_path, smtp.port)


# -- unit: backoff, the state machine in the store ----------------------------------


@pytest.mark.parametrize(
    ("attempts", "wait"),
    [(1, timedelta(minutes=1)), (2, timedelta(minutes=2)), (4, timedelta(minutes=8)), (7, BACKOFF_MAX)],
)
def test_backoff(attempts: int, wait: timedelta) -> None:
    assert backoff(attempts) == wait


def test_enqueue_is_idempotent_per_draft(tmp_path: Path, store: OutboxTestStore) -> None:
    config = outbox_config(tmp_path, 1)
    first = queue_reply(config, store, 1)
    item = store.outbox_item(first)
    again = store.enqueue_outbox(
        draft_id=item.draft_id,
        thread_id=item.thread_id,
        mailbox="support",
        channel="email",
        to_addr="someone.else@example.net",
        to_name=None,
        subject="Other",
        text="Other text",
        in_reply_to=None,
        references=[],
        actor="agent2",
        sender=reply_sender(config, "support"),
    )
    assert again == first
    assert store.outbox_item(first) == item  # nothing changed: same bytes, same Message-ID
    assert store._scalar("SELECT count(*) FROM outbox") == 1
    parsed = parse_message(item.raw)
    assert parsed.message_id == item.message_id and item.message_id.endswith("@example.com>")
    assert parsed.in_reply_to == "<c1@example.net>"
    assert parsed.references == ("<root1@example.net>", "<c1@example.net>")
    assert (
        parsed.sender is not None and parsed.sender.addr == SUPPORT and parsed.sender.name == "Support Team"
    )
    assert parsed.subject == "Re: Order 1001 late"


def test_reply_to_is_honoured(tmp_path: Path, store: OutboxTestStore) -> None:
    config = outbox_config(tmp_path, 1)
    item = store.outbox_item(queue_reply(config, store, 1, raw=customer_mail(1, reply_to="desk@example.org")))
    assert item.to_addr == "desk@example.org"
    assert [a.addr for a in parse_message(item.raw).to] == ["desk@example.org"]


def test_header_injection_is_refused_and_nothing_is_queued(tmp_path: Path, store: OutboxTestStore) -> None:
    config = outbox_config(tmp_path, 1)
    hostile = customer_mail(1, name="=?utf-8?q?Ann=0D=0ABcc=3A_victim=40example.org?=")
    item = store.outbox_item(queue_reply(config, store, 1, raw=hostile))
    assert b"\r\nBcc:" not in item.raw and parse_message(item.raw).to[0].addr == "ann1@example.net"
    literal = store.outbox_item(
        _enqueue_fresh(config, store, to_name="=?utf-8?q?Ann=0D=0ABcc:_v@example.org?=")
    )
    assert b"\r\nBcc:" not in literal.raw  # text that only looks encoded goes out encoded, on one line
    with pytest.raises(HeaderError):
        _enqueue_fresh(config, store, subject="Refund\r\nBcc: victim@example.org")
    with pytest.raises(HeaderError):
        _enqueue_fresh(config, store, to_addr="ann@example.net\r\nBcc: victim@example.org")
    with pytest.raises(HeaderError):
        _enqueue_fresh(config, store, to_addr="ann@example.net, victim@example.org")
    assert store._scalar("SELECT count(*) FROM outbox") == 2


def _enqueue_fresh(config: Config, store: OutboxTestStore, **change: Any) -> int:
    message, _ = store.store_raw(
        RawMessage(customer_mail(99) + os.urandom(4).hex().encode(), "folder:test", "x", T0),
        mailbox="support",
    )
    process_message(store, message, context(), until=Stage.THREADED)
    thread = store.message(message).thread_id
    assert thread is not None
    draft = store.save_draft(
        thread_id=thread, message_id=message, draft=DraftText("en", "x", "x", "s", "t"), template_text="t"
    )
    values: dict[str, Any] = {
        "draft_id": draft,
        "thread_id": thread,
        "mailbox": "support",
        "channel": "email",
        "to_addr": "ann@example.net",
        "to_name": None,
        "subject": "Re: x",
        "text": "text",
        "in_reply_to": None,
        "references": [],
        "actor": "agent1",
        "sender": reply_sender(config, "support"),
    }
    values.update(change)
    return store.enqueue_outbox(**values)


def test_letters_are_not_for_the_email_outbox(tmp_path: Path, store: OutboxTestStore) -> None:
    with pytest.raises(OutboxError, match="letter"):
        _enqueue_fresh(outbox_config(tmp_path, 1), store, channel="letter")


def test_the_state_machine_is_enforced_by_the_store(tmp_path: Path, store: OutboxTestStore) -> None:
    import sqlite3

    item = store.outbox_item(queue_reply(outbox_config(tmp_path, 1), store, 1))
    with pytest.raises(OutboxError, match="is queued; expected sending"):
        store.mark_outbox_unknown(item.id, now=T0, reason="x")
    with pytest.raises(sqlite3.IntegrityError, match="transition not allowed"):
        store.db.execute("UPDATE outbox SET state = 'sent' WHERE id = ?", (item.id,))
    with pytest.raises(sqlite3.IntegrityError, match="never changes"):
        store.db.execute("UPDATE outbox SET message_id = '<other@x>' WHERE id = ?", (item.id,))
    with pytest.raises(sqlite3.IntegrityError, match="bytes change only"):
        store.db.execute("UPDATE outbox SET raw = x'00' WHERE id = ?", (item.id,))
    assert store.claim_outbox(item.id, now=T0) is True
    assert store.claim_outbox(item.id, now=T0) is False  # a second worker gets nothing
    store.mark_outbox_unknown(item.id, now=T0, reason="test")
    store.requeue_outbox(item.id, now=T0)
    assert store.claim_outbox(item.id, now=T0) is True
    store.db.execute("UPDATE outbox SET state = 'sent' WHERE id = ?", (item.id,))
    for target in ("queued", "sending", "failed", "unknown"):
        with pytest.raises(sqlite3.IntegrityError, match="transition not allowed"):
            store.db.execute("UPDATE outbox SET state = ? WHERE id = ?", (target, item.id))


# -- against the SMTP server --------------------------------------------------------


@pytest.mark.integration
async def test_a_reply_goes_out_once_and_answers_the_thread(
    config: Config, store: OutboxTestStore, smtp: FaultySmtp
) -> None:
    outbox_id = queue_reply(config, store, 1)
    item = store.outbox_item(outbox_id)
    result = await deliver_due(config, store, now=T0 + timedelta(seconds=5))
    assert (result.sent, result.failed, result.unknown, result.deferred) == ([outbox_id], [], [], [])
    assert smtp.accepted == [item.raw]  # byte for byte what was queued
    sent = store.outbox_item(outbox_id)
    assert (
        sent.state is OutboxState.SENT and sent.attempts == 1 and sent.smtp_response == "250 2.0.0 Ok: queued"
    )
    assert store.draft(item.draft_id)["state"] == DraftState.SENT.value
    assert [e["action"] for e in store.audit_entries("draft", item.draft_id)] == ["sent"]
    # The stored copy is our outbound message; the normal pipeline threads it and the clock stops.
    assert sent.sent_message_id is not None and store.raw_bytes(sent.sent_message_id) == item.raw
    assert store.thread(item.thread_id).state is ThreadState.OPEN
    process_message(store, sent.sent_message_id, context(), until=Stage.THREADED)
    assert store.message(sent.sent_message_id).thread_id == item.thread_id
    thread = store.thread(item.thread_id)
    assert thread.state is ThreadState.ANSWERED and thread.clock_started_at is None
    again = await deliver_due(config, store, now=T0 + timedelta(days=1))
    assert again.sent == [] and len(smtp.accepted) == 1


@pytest.mark.integration
async def test_many_replies_share_one_connection(
    config: Config, store: OutboxTestStore, smtp: FaultySmtp
) -> None:
    ids = [queue_reply(config, store, n) for n in range(12)]
    result = await deliver_due(config, store, now=T0)
    assert sorted(result.sent) == ids
    assert len(smtp.peers) == 1
    assert smtp.message_ids() == Counter({store.outbox_item(i).message_id: 1 for i in ids})


@pytest.mark.integration
async def test_4xx_then_success_retries_with_backoff(
    config: Config, store: OutboxTestStore, smtp: FaultySmtp
) -> None:
    outbox_id = queue_reply(config, store, 1)
    smtp.script = ["451 4.7.1 Greylisted, try again later"]
    first = await deliver_due(config, store, now=T0)
    assert first.deferred == [outbox_id] and smtp.accepted == []
    item = store.outbox_item(outbox_id)
    assert item.state is OutboxState.QUEUED and item.attempts == 1 and item.last_code == 451
    assert item.next_attempt_at == T0 + timedelta(minutes=1)
    assert "Greylisted" in (item.last_error or "")
    assert store.draft(item.draft_id)["state"] == DraftState.SENDING.value
    early = await deliver_due(config, store, now=T0 + timedelta(seconds=30))
    assert early.sent == early.deferred == []
    later = await deliver_due(config, store, now=T0 + timedelta(minutes=1, seconds=1))
    assert later.sent == [outbox_id]
    assert smtp.accepted == [item.raw]
    assert store.outbox_item(outbox_id).attempts == 2


@pytest.mark.integration
async def test_5xx_fails_with_the_servers_answer(
    config: Config, store: OutboxTestStore, smtp: FaultySmtp
) -> None:
    outbox_id = queue_reply(config, store, 1)
    smtp.script = ["550 5.1.1 <ann1@example.net>: Recipient address rejected: User unknown"]
    result = await deliver_due(config, store, now=T0)
    assert result.failed == [outbox_id]
    item = store.outbox_item(outbox_id)
    assert item.state is OutboxState.FAILED and item.last_code == 550
    assert "550 5.1.1" in (item.last_error or "") and "User unknown" in (item.last_error or "")
    assert store.draft(item.draft_id)["state"] == DraftState.APPROVED.value  # back on the agent's desk
    entry = store.audit_entries("draft", item.draft_id)[-1]
    assert entry["action"] == "send_failed" and "User unknown" in entry["detail"]
    assert (await deliver_due(config, store, now=T0 + timedelta(days=1))).sent == []
    assert smtp.accepted == []
    # The agent sends again (e.g. after fixing the address): the same row, the same Message-ID.
    again = store.enqueue_outbox(
        draft_id=item.draft_id,
        thread_id=item.thread_id,
        mailbox="support",
        channel="email",
        to_addr="ann.fixed@example.net",
        to_name="Ann",
        subject="Re: Order 1001 late",
        text="Second try.",
        in_reply_to="<c1@example.net>",
        references=[],
        actor="agent1",
        sender=reply_sender(config, "support"),
        now=T0 + timedelta(hours=1),
    )
    assert again == outbox_id
    rearmed = store.outbox_item(outbox_id)
    assert rearmed.state is OutboxState.QUEUED and rearmed.attempts == 0
    assert rearmed.message_id == item.message_id and rearmed.raw != item.raw
    assert (await deliver_due(config, store, now=T0 + timedelta(hours=1))).sent == [outbox_id]
    assert [parse_message(raw).to[0].addr for raw in smtp.accepted] == ["ann.fixed@example.net"]


@pytest.mark.integration
async def test_mixed_answers_in_one_run_on_one_connection(
    config: Config, store: OutboxTestStore, smtp: FaultySmtp
) -> None:
    ids = [queue_reply(config, store, n) for n in range(4)]
    smtp.script = ["ok", "550 5.7.1 Rejected", "452 4.2.2 Mailbox full", "ok"]
    result = await deliver_due(config, store, now=T0)
    assert (result.sent, result.failed, result.deferred) == ([ids[0], ids[3]], [ids[1]], [ids[2]])
    assert len(smtp.peers) == 1  # RSET after a refusal, the connection goes on


@pytest.mark.integration
async def test_connection_dropped_after_data_is_unknown_never_resent(
    config: Config, store: OutboxTestStore, smtp: FaultySmtp
) -> None:
    outbox_id = queue_reply(config, store, 1)
    smtp.script = ["drop_after_data"]
    result = await deliver_due(config, store, now=T0)
    assert result.unknown == [outbox_id]
    item = store.outbox_item(outbox_id)
    assert item.state is OutboxState.UNKNOWN and "may have accepted" in (item.last_error or "")
    for hours in (1, 5, 48):
        assert (await deliver_due(config, store, now=T0 + timedelta(hours=hours))).sent == []
    assert smtp.message_ids() == Counter({item.message_id: 1})
    assert store.draft(item.draft_id)["state"] == DraftState.SENDING.value  # still waiting for a person
    resolved = resolve_unknown(
        config, store, outbox_id, decision="sent", actor="agent1", now=T0 + timedelta(hours=2)
    )
    assert resolved.state is OutboxState.SENT and store.draft(item.draft_id)["state"] == DraftState.SENT.value
    assert store.message(resolved.sent_message_id or 0).received_at == item.sending_since
    assert smtp.message_ids() == Counter({item.message_id: 1})
    with pytest.raises(Exception, match="only unknown items"):
        resolve_unknown(config, store, outbox_id, decision="resend", actor="agent1")


@pytest.mark.integration
async def test_connection_dropped_before_data_is_retried(
    config: Config, store: OutboxTestStore, smtp: FaultySmtp
) -> None:
    outbox_id = queue_reply(config, store, 1)
    smtp.script = ["drop_before_data"]
    result = await deliver_due(config, store, now=T0)
    assert result.deferred == [outbox_id] and smtp.accepted == []
    assert "before DATA" in (store.outbox_item(outbox_id).last_error or "")
    assert (await deliver_due(config, store, now=T0 + timedelta(minutes=2))).sent == [outbox_id]
    assert len(smtp.accepted) == 1


@pytest.mark.integration
async def test_temporary_errors_give_up_after_max_attempts(
    config: Config, store: OutboxTestStore, smtp: FaultySmtp
) -> None:
    outbox_id = queue_reply(config, store, 1)
    smtp.script = ["421 4.3.2 Service shutting down"] * MAX_ATTEMPTS
    now = T0
    for attempt in range(1, MAX_ATTEMPTS + 1):
        result = await deliver_due(config, store, now=now)
        assert result.deferred == ([outbox_id] if attempt < MAX_ATTEMPTS else [])
        now += BACKOFF_MAX
    item = store.outbox_item(outbox_id)
    assert item.state is OutboxState.FAILED and item.attempts == MAX_ATTEMPTS
    assert f"gave up after {MAX_ATTEMPTS} attempts" in (item.last_error or "")
    assert smtp.accepted == []


@pytest.mark.integration
async def test_server_down_counts_attempts_without_ever_sending(
    tmp_path: Path, store: OutboxTestStore
) -> None:
    config = outbox_config(tmp_path, free_port())  # nobody listens
    outbox_id = queue_reply(config, store, 1)
    result = await deliver_due(config, store, now=T0)
    assert result.deferred == [outbox_id]
    assert result.problems and "connection refused" in result.problems[0]
    item = store.outbox_item(outbox_id)
    assert item.state is OutboxState.QUEUED and item.attempts == 1 and item.sending_since is None


@pytest.mark.integration
async def test_international_domain_goes_out_as_idna(
    config: Config, store: OutboxTestStore, smtp: FaultySmtp
) -> None:
    outbox_id = _enqueue_fresh(config, store, to_addr="janis@bērni.lv", to_name="Jānis Bērziņš")
    assert store.outbox_item(outbox_id).to_addr == "janis@xn--brni-bva.lv"
    assert (await deliver_due(config, store)).sent == [outbox_id]
    assert parse_message(smtp.accepted[0]).to[0].addr == "janis@xn--brni-bva.lv"


class _Exploding:
    """An SMTP client that fails in a way nobody planned for."""

    is_connected = True

    async def mail(self, sender: str) -> None:
        raise RuntimeError("surprise")

    def close(self) -> None:
        self.is_connected = False

    async def quit(self) -> None:
        self.is_connected = False


async def test_an_unexpected_error_while_sending_is_unknown_not_retried(
    tmp_path: Path, store: OutboxTestStore
) -> None:
    config = outbox_config(tmp_path, 1)
    outbox_id = queue_reply(config, store, 1)

    async def connect(box: Any) -> Any:
        return _Exploding()

    result = await deliver_due(config, store, now=T0, connect=connect)
    assert result.unknown == [outbox_id]
    assert "surprise" in (store.outbox_item(outbox_id).last_error or "")


@pytest.mark.integration
async def test_transmit_judges_each_answer(smtp: FaultySmtp) -> None:
    import aiosmtplib

    client = aiosmtplib.SMTP(hostname="127.0.0.1", port=smtp.port, start_tls=False)
    await client.connect()
    raw = b"Subject: x\r\n\r\nbody\r\n"
    smtp.script = ["ok", "451 later", "554 no"]
    verdicts = [
        (await transmit(client, sender=SUPPORT, recipient="a@example.net", raw=raw)).verdict for _ in range(3)
    ]
    assert verdicts == [Verdict.DELIVERED, Verdict.TEMPORARY, Verdict.PERMANENT]
    smtp.script = ["drop_after_data"]
    outcome = await transmit(client, sender=SUPPORT, recipient="a@example.net", raw=raw)
    assert outcome.verdict is Verdict.AMBIGUOUS and not client.is_connected


# -- TLS and login --------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    from tests.dovecot import _make_certificates

    return _make_certificates(tmp_path_factory.mktemp("certs"))


def _server_context(certificates: tuple[Path, Path, Path]) -> Any:
    import ssl

    _, cert, key = certificates
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


@pytest.mark.integration
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
@pytest.mark.parametrize("mode", ["starttls", "implicit"])
async def test_tls_and_login(
    mode: str,
    tmp_path: Path,
    store: OutboxTestStore,
    certificates: tuple[Path, Path, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(certificates[0]))
    monkeypatch.setenv(SMTP_PASSWORD_ENV, SMTP_PASSWORD)
    tls = _server_context(certificates)
    options: dict[str, Any] = {"authenticator": _authenticate, "auth_required": True}
    if mode == "starttls":
        options.update(tls_context=tls, require_starttls=True)
    else:  # aiosmtpd cannot tell an implicit-TLS transport from plain: let it offer AUTH anyway
        options.update(ssl_context=tls, auth_require_tls=False)
    handler, controller = start_server(**options)
    try:
        config = outbox_config(
            tmp_path, handler.port, tls=mode, username="support", password_env=SMTP_PASSWORD_ENV
        )
        outbox_id = queue_reply(config, store, 1)
        result = await deliver_due(config, store, now=T0)
        assert result.sent == [outbox_id] and len(handler.accepted) == 1
        monkeypatch.setenv(SMTP_PASSWORD_ENV, "wrong")
        second = queue_reply(config, store, 2)
        refused = await deliver_due(config, store, now=T0)
        assert refused.deferred == [second] and "login failed for support" in refused.problems[0]
        assert SMTP_PASSWORD not in str(refused) and "wrong" not in refused.problems[0]
    finally:
        controller.stop()


@pytest.mark.integration
async def test_starttls_required_but_not_offered(
    tmp_path: Path, store: OutboxTestStore, smtp: FaultySmtp
) -> None:
    config = outbox_config(tmp_path, smtp.port, tls="starttls")
    outbox_id = queue_reply(config, store, 1)
    result = await deliver_due(config, store, now=T0)
    assert result.deferred == [outbox_id] and "does not offer STARTTLS" in result.problems[0]
    assert smtp.accepted == []


@pytest.mark.integration
async def test_untrusted_certificate_is_refused(
    tmp_path: Path, store: OutboxTestStore, certificates: tuple[Path, Path, Path]
) -> None:
    handler, controller = start_server(ssl_context=_server_context(certificates))
    try:
        config = outbox_config(tmp_path, handler.port, tls="implicit")
        queue_reply(config, store, 1)
        result = await deliver_due(config, store, now=T0)
        assert "certificate not trusted" in result.problems[0] and handler.accepted == []
    finally:
        controller.stop()


# -- kill -9 ------------------------------------------------------------------------------


def _start_child(work: Path, port: int) -> subprocess.Popen[bytes]:
    child = subprocess.Popen(
        [sys.executable, str(ROOT / "tests" / "outbox_child.py"), str(work), str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        cwd=ROOT,
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == b"started"
    return child


def _end(child: subprocess.Popen[bytes], *, kill: bool) -> int:
    """SIGKILL (or let finish) the worker; its exit status."""
    if kill:
        child.kill()
    status = child.wait(timeout=60)
    assert child.stdout is not None
    child.stdout.close()
    return status


def _wait(event: threading.Event, timeout: float = 20.0) -> None:
    assert event.wait(timeout), "the worker never reached the server"


@pytest.mark.integration
@pytest.mark.parametrize(
    ("hang", "decision"),
    [("hang_after_data", "sent"), ("hang_before_data", "resend")],
    ids=["after", "before"],
)
async def test_kill_9_during_sending(
    hang: str, decision: str, config: Config, store: OutboxTestStore, smtp: FaultySmtp, tmp_path: Path
) -> None:
    outbox_id = queue_reply(config, store, 1)
    message_id = store.outbox_item(outbox_id).message_id
    smtp.script = [hang]
    child = _start_child(tmp_path, smtp.port)
    _wait(smtp.reached)
    assert _end(child, kill=True) == -9
    assert store.outbox_item(outbox_id).state is OutboxState.SENDING
    smtp.release.set()

    # A restarted worker must not send it again on its own...
    recovered = await recover_after_crash(config, store, now=T0 + timedelta(minutes=1))
    assert recovered.unknown == [outbox_id]
    item = store.outbox_item(outbox_id)
    assert "no Sent folder is configured" in (item.last_error or "")
    assert (await deliver_due(config, store, now=T0 + timedelta(hours=1))).sent == []
    expected = 1 if hang == "hang_after_data" else 0
    assert smtp.message_ids()[message_id] == expected
    # ...a person decides, and then it is settled exactly once.
    later = T0 + timedelta(hours=2)
    resolve_unknown(config, store, outbox_id, decision=decision, actor="agent1", now=later)  # type: ignore[arg-type]
    await deliver_due(config, store, now=later)
    assert store.outbox_item(outbox_id).state is OutboxState.SENT
    assert smtp.message_ids() == Counter({message_id: 1})


@pytest.mark.integration
@pytest.mark.slow
async def test_kill_9_many_times_no_duplicates_no_losses(
    config: Config, store: OutboxTestStore, smtp: FaultySmtp, tmp_path: Path
) -> None:
    count = 30
    ids = [queue_reply(config, store, n) for n in range(count)]
    smtp.delay = 0.05  # the worker waits for each "250": that is where a kill hurts
    rng = random.Random()
    kills = unknown_seen = 0
    for _ in range(12):
        before = len(smtp.accepted)
        child = _start_child(tmp_path, smtp.port)
        target = before + rng.randint(1, 4)
        deadline = time.monotonic() + 20
        while len(smtp.accepted) < target and child.poll() is None and time.monotonic() < deadline:
            await asyncio.sleep(0.002)
        if child.poll() is not None:
            _end(child, kill=False)
            break
        assert _end(child, kill=True) == -9
        kills += 1
        recovered = await recover_after_crash(config, store)
        unknown_seen += len(recovered.unknown)
        due = {item.id for item in store.outbox_due(T0 + timedelta(days=365), limit=10_000)}
        assert not due & set(recovered.unknown)  # no worker will send those by itself
        accepted = smtp.message_ids()
        assert all(n == 1 for n in accepted.values()), accepted
        for item_id in recovered.unknown:  # the person checks the server's log
            item = store.outbox_item(item_id)
            decision = "sent" if accepted[item.message_id] else "resend"
            resolve_unknown(config, store, item_id, decision=decision, actor="agent1")  # type: ignore[arg-type]
    await asyncio.sleep(smtp.delay * 2)
    assert _end(_start_child(tmp_path, smtp.port), kill=False) == 0
    assert kills >= 3 and unknown_seen >= 3, (kills, unknown_seen)
    counts = smtp.message_ids()
    assert all(n == 1 for n in counts.values()), counts  # zero duplicates
    assert set(states(store).values()) == {"sent"} and len(counts) == count  # zero losses
    assert {store.outbox_item(i).message_id for i in ids} == set(counts)


# -- the Sent folder and \Answered, on a real IMAP server (Dovecot) ----------------------


@pytest.fixture(scope="module")
def dovecot() -> Iterator[Dovecot]:
    with running_dovecot() as server:
        yield server


@pytest.fixture
def imap_user(dovecot: Dovecot, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    return f"u{uuid.uuid4().hex[:12]}"


def imap_settings(dovecot: Dovecot, user: str, **extra: Any) -> dict[str, Any]:
    settings = {"host": "127.0.0.1", "port": dovecot.port, "tls": "plain", "username": user}
    settings.update(password_env=PASSWORD_ENV, sent_folder="Sent", **extra)
    return settings


def folder_messages(dovecot: Dovecot, user: str, folder: str) -> list[tuple[bytes, set[bytes]]]:
    """(bytes, flags) of every message in a folder."""
    with dovecot.client(user) as client:
        client.select_folder(folder, readonly=True)
        uids = client.search(["ALL"])
        data = client.fetch(uids, ["BODY.PEEK[]", "FLAGS"])
        return [(bytes(data[uid][b"BODY[]"]), set(data[uid][b"FLAGS"])) for uid in uids]


@pytest.mark.integration
async def test_sent_copy_and_answered_flag(
    dovecot: Dovecot, imap_user: str, store: OutboxTestStore, smtp: FaultySmtp, tmp_path: Path
) -> None:
    config = outbox_config(tmp_path, smtp.port, imap=imap_settings(dovecot, imap_user))
    dovecot.append(imap_user, [customer_mail(1)])
    assert poll_mailbox(config, store, "support").stored == 1  # the customer's mail came by IMAP
    outbox_id = queue_reply(config, store, 1)
    result = await deliver_due(config, store, now=T0)
    assert result.sent == [outbox_id] and result.followups_done == [outbox_id]
    item = store.outbox_item(outbox_id)
    assert item.followup is Followup.DONE and item.followup_attempts == 1
    sent = folder_messages(dovecot, imap_user, "Sent")
    assert [raw for raw, _ in sent] == [item.raw] and b"\\Seen" in sent[0][1]
    [(_, flags)] = folder_messages(dovecot, imap_user, "INBOX")
    assert b"\\Answered" in flags
    again = await deliver_due(config, store, now=T0 + timedelta(hours=1))
    assert again.followups_done == [] and len(folder_messages(dovecot, imap_user, "Sent")) == 1


@pytest.mark.integration
async def test_a_failing_sent_copy_never_unsends(
    dovecot: Dovecot, imap_user: str, store: OutboxTestStore, smtp: FaultySmtp, tmp_path: Path
) -> None:
    down = outbox_config(tmp_path, smtp.port, imap={**imap_settings(dovecot, imap_user), "port": free_port()})
    outbox_id = queue_reply(down, store, 1)
    result = await deliver_due(down, store, now=T0)
    assert result.sent == [outbox_id] and result.followups_failed == [outbox_id]
    item = store.outbox_item(outbox_id)
    assert item.state is OutboxState.SENT and item.followup is Followup.FAILED
    assert "connection refused" in (item.followup_error or "")
    assert store.draft(item.draft_id)["state"] == DraftState.SENT.value
    up = outbox_config(tmp_path, smtp.port, imap=imap_settings(dovecot, imap_user))
    retried = await deliver_due(up, store, now=T0 + timedelta(minutes=5))
    assert retried.sent == [] and retried.followups_done == [outbox_id]
    assert [raw for raw, _ in folder_messages(dovecot, imap_user, "Sent")] == [item.raw]
    assert len(smtp.accepted) == 1


@pytest.mark.integration
@pytest.mark.parametrize("in_sent", [True, False], ids=["found", "not-found"])
async def test_recovery_looks_in_the_sent_folder(
    in_sent: bool, dovecot: Dovecot, imap_user: str, store: OutboxTestStore, smtp: FaultySmtp, tmp_path: Path
) -> None:
    config = outbox_config(tmp_path, smtp.port, imap=imap_settings(dovecot, imap_user))
    outbox_id = queue_reply(config, store, 1)
    smtp.script = ["hang_after_data"]
    child = _start_child(tmp_path, smtp.port)
    _wait(smtp.reached)
    assert _end(child, kill=True) == -9
    smtp.release.set()
    if in_sent:  # a provider that files what its SMTP server accepted (Gmail, Microsoft 365 do)
        dovecot.append(imap_user, smtp.accepted, folder="Sent")
    result = await recover_after_crash(config, store, now=T0 + timedelta(minutes=1))
    item = store.outbox_item(outbox_id)
    if in_sent:
        assert result.sent == [outbox_id] and item.state is OutboxState.SENT
        assert item.smtp_response == "found in the Sent folder after a restart"
        assert store.draft(item.draft_id)["state"] == DraftState.SENT.value
        await deliver_due(config, store, now=T0 + timedelta(minutes=2))  # follow-up: no second copy
        assert len(folder_messages(dovecot, imap_user, "Sent")) == 1
    else:
        assert result.unknown == [outbox_id] and item.state is OutboxState.UNKNOWN
        assert "not found in the Sent folder" in (item.last_error or "")
    assert len(smtp.accepted) == 1


@pytest.mark.integration
async def test_recovery_with_the_imap_server_down_asks_a_person(
    dovecot: Dovecot, imap_user: str, store: OutboxTestStore, tmp_path: Path
) -> None:
    config = outbox_config(tmp_path, 1, imap={**imap_settings(dovecot, imap_user), "port": free_port()})
    outbox_id = queue_reply(config, store, 1)
    assert store.claim_outbox(outbox_id, now=T0)  # as if the process died right after
    result = await recover_after_crash(config, store, now=T0)
    assert result.unknown == [outbox_id] and "could not be checked" in result.problems[0]
    assert store.outbox_item(outbox_id).state is OutboxState.UNKNOWN


# -- the CLI ----------------------------------------------------------------------------


@pytest.mark.integration
async def test_cli_lists_and_resolves(config: Config, store: OutboxTestStore, smtp: FaultySmtp) -> None:
    first, second = queue_reply(config, store, 1), queue_reply(config, store, 2)
    smtp.script = ["drop_after_data", "550 5.1.1 User unknown"]
    await deliver_due(config, store, now=T0)
    runner = CliRunner()
    app = App(config_path=None, _config=config, _store=store)
    listed = runner.invoke(outbox_cli, ["list"], obj=app)
    assert listed.exit_code == 0, listed.output
    assert f"{first}  unknown" in listed.output and f"{second}  failed" in listed.output
    assert "User unknown" in listed.output
    as_json = runner.invoke(outbox_cli, ["list", "--state", "failed", "--format", "json"], obj=app)
    assert '"state": "failed"' in as_json.output and '"state": "unknown"' not in as_json.output
    missing = runner.invoke(outbox_cli, ["resolve", str(first)], obj=app)
    assert missing.exit_code == 2 and "--sent or --resend" in missing.output
    done = runner.invoke(outbox_cli, ["resolve", str(first), "--resend"], obj=app)
    assert done.exit_code == 0 and f"outbox {first}: queued" in done.output
    await deliver_due(config, store)  # requeued "now" by the CLI: due at once
    assert store.outbox_item(first).state is OutboxState.SENT
    entry = store.audit_entries("outbox", first)[-1]
    assert entry["action"] == "resend" and entry["actor"].startswith("cli:")
