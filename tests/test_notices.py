"""Escalation notices and the daily digest against a real aiosmtpd: each sent once, never twice.

The SLA sweep records the notices (as in the daemon); :func:`deliver_notices`
sends them. A "restart" is a new :class:`Store` on the same file and a new
run. The server records every envelope it accepted and answers DATA as the
test's script says.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from email import message_from_bytes
from email.policy import default
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from mailbot.config import Config, ConfigFile, MailboxSettings
from mailbot.model import Address
from mailbot.notice_mail import InternalMail, NoticeFacts, compose_internal, notice_subject, one_line
from mailbot.notices import deliver_notices, digest_recipients, send_digest
from mailbot.outbox_smtp import SmtpUnavailable
from mailbot.policy.response import ResponsePolicy
from mailbot.sla_service import sweep_sla
from mailbot.store import Store, to_db_time
from tests.dovecot import free_port
from tests.outbox_child import SUPPORT, outbox_config

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
LEAD = "lead@example.com"
BOSS = "boss@example.com"


@dataclass
class Envelope:
    rcpt_tos: list[str]
    content: bytes


@dataclass
class RecordingSmtp:
    """Accepts mail, or answers DATA with the next scripted reply (``451 ...``, ``550 ...``)."""

    script: list[str] = field(default_factory=list)
    accepted: list[Envelope] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        answer = self.script.pop(0) if self.script else "ok"
        if answer != "ok":
            return answer
        self.accepted.append(Envelope(list(envelope.rcpt_tos), bytes(envelope.original_content)))
        return "250 2.0.0 Ok: queued"

    def copies_to(self, address: str) -> int:
        return sum(address in env.rcpt_tos for env in self.accepted)


@pytest.fixture
def smtp() -> Iterator[tuple[RecordingSmtp, int]]:
    handler = RecordingSmtp()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield handler, controller.port
    controller.stop()


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "store.sqlite3"


@pytest.fixture
def store(store_path: Path) -> Iterator[Store]:
    opened = Store(store_path)
    yield opened
    opened.close()


def policy(*, breached: list[str], due_soon: list[str] | None = None, **extra: Any) -> ResponsePolicy:
    return ResponsePolicy.model_validate(
        {
            "time_zone": "Europe/Amsterdam",
            "escalation": {"breached": breached, "due_soon": due_soon or []},
            **extra,
        }
    )


def add_thread(store: Store, *, subject: str = "Order 1001 late", mailbox: str = "support") -> int:
    """An open thread whose clock started at T0 - 30h, due at T0 - 6h: breached at T0."""
    started = T0 - timedelta(hours=30)
    with store.transaction() as db:
        cursor = db.execute(
            "INSERT INTO threads(mailbox, channel, subject, subject_key, customer, customer_name, state,"
            " created_at, updated_at, clock_started_at, due_at, due_soon_at)"
            " VALUES (?, 'email', ?, 'k', 'ann@example.net', 'Ann Customer', 'open', ?, ?, ?, ?, ?)",
            (
                mailbox,
                subject,
                to_db_time(started),
                to_db_time(started),
                to_db_time(started),
                to_db_time(T0 - timedelta(hours=6)),
                to_db_time(T0 - timedelta(hours=12)),
            ),
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid


def headers(raw: bytes) -> Any:
    return message_from_bytes(raw, policy=default)


async def never_connect(box: MailboxSettings) -> Any:
    raise AssertionError("no SMTP connection expected")


# -- notices ----------------------------------------------------------------------


@pytest.mark.integration
async def test_notice_sent_once_and_not_again_after_restart(
    smtp: tuple[RecordingSmtp, int], store: Store, store_path: Path, tmp_path: Path
) -> None:
    server, port = smtp
    config = outbox_config(tmp_path, port)
    thread = add_thread(store)
    assert sweep_sla(store, policy(breached=[LEAD, BOSS]), T0).notices == 1

    first = await deliver_notices(config, store, now=T0, time_zone="Europe/Amsterdam")

    assert (server.copies_to(LEAD), server.copies_to(BOSS)) == (1, 1)
    assert first.copies == 2 and len(first.sent) == 1
    message = headers(server.accepted[0].content)
    assert message["Subject"] == f"[mailbot] Thread {thread} breached: Order 1001 late"
    assert message["From"].addresses[0].addr_spec == SUPPORT
    assert {a.addr_spec for a in message["To"].addresses} == {LEAD, BOSS}
    assert message["Auto-Submitted"] == "auto-generated"
    body = message.get_content()
    assert f"/threads/{thread}" in body and "Overdue by: 6h00m" in body and "Ann Customer" in body
    assert store.notice(first.sent[0])["sent_at"] is not None  # type: ignore[index]

    store.close()
    reopened = Store(store_path)  # a restart: new store, new run, another sweep
    try:
        assert sweep_sla(reopened, policy(breached=[LEAD, BOSS]), T0 + timedelta(minutes=5)).notices == 0
        again = await deliver_notices(config, reopened, now=T0 + timedelta(minutes=5))
    finally:
        reopened.close()
    assert again.copies == 0 and again.sent == [] and len(server.accepted) == 2


@pytest.mark.integration
async def test_temporary_failure_is_retried_for_the_waiting_recipient_only(
    smtp: tuple[RecordingSmtp, int], store: Store, tmp_path: Path
) -> None:
    server, port = smtp
    config = outbox_config(tmp_path, port)
    add_thread(store)
    sweep_sla(store, policy(breached=[LEAD, BOSS]), T0)
    server.script = ["451 4.7.1 try again later"]  # the first copy (to LEAD) is deferred

    first = await deliver_notices(config, store, now=T0)
    assert first.sent == [] and len(first.waiting) == 1 and first.copies == 1
    assert (server.copies_to(LEAD), server.copies_to(BOSS)) == (0, 1)
    row = store.notice(first.waiting[0])
    assert row is not None and row["sent_at"] is None and "451" in (row["last_error"] or "")

    second = await deliver_notices(config, store, now=T0 + timedelta(minutes=1))
    assert second.sent == first.waiting and second.copies == 1
    assert (server.copies_to(LEAD), server.copies_to(BOSS)) == (1, 1)


@pytest.mark.integration
async def test_permanent_refusal_of_every_recipient_drops_the_notice(
    smtp: tuple[RecordingSmtp, int], store: Store, tmp_path: Path
) -> None:
    server, port = smtp
    add_thread(store)
    sweep_sla(store, policy(breached=[LEAD]), T0)
    server.script = ["550 5.1.1 no such user"]
    result = await deliver_notices(outbox_config(tmp_path, port), store, now=T0)
    again = await deliver_notices(outbox_config(tmp_path, port), store, now=T0 + timedelta(minutes=1))
    assert len(result.dropped) == 1 and result.sent == [] and server.accepted == []
    assert again.dropped == [] and again.waiting == [] and server.script == []


async def test_notice_without_recipients_is_closed_without_mail(store: Store, tmp_path: Path) -> None:
    add_thread(store)
    sweep_sla(store, policy(breached=[]), T0)
    result = await deliver_notices(outbox_config(tmp_path, 1), store, now=T0, connect=never_connect)
    assert len(result.sent) == 1 and result.copies == 0
    row = store.notice(result.sent[0])
    assert row is not None and row["sent_at"] is not None and row["recipients"] == []
    assert (
        await deliver_notices(outbox_config(tmp_path, 1), store, now=T0, connect=never_connect)
    ).sent == []


async def test_mailbox_without_smtp_waits_and_is_logged_once(
    store: Store, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = outbox_config(tmp_path, 1)
    no_smtp = Config(
        file=config.file,
        settings=ConfigFile.model_validate({"mailboxes": [{"name": "support", "address": SUPPORT}]}),
        store_path=config.store_path,
        policies_dir=config.policies_dir,
        phrasebank_dir=config.phrasebank_dir,
    )
    add_thread(store)
    sweep_sla(store, policy(breached=[LEAD]), T0)
    with caplog.at_level(logging.WARNING, logger="mailbot.notices"):
        runs = [await deliver_notices(no_smtp, store, now=T0, connect=never_connect) for _ in range(3)]
    assert all(len(run.waiting) == 1 and run.sent == [] for run in runs)
    assert sum("[mailboxes.smtp]" in r.getMessage() for r in caplog.records) == 1


async def test_notice_of_an_answered_thread_is_dropped(store: Store, tmp_path: Path) -> None:
    thread = add_thread(store)
    sweep_sla(store, policy(breached=[LEAD]), T0)
    store.update_thread(thread, clock_started_at=None)  # a reply stopped the clock meanwhile
    result = await deliver_notices(outbox_config(tmp_path, 1), store, now=T0, connect=never_connect)
    assert len(result.dropped) == 1 and result.copies == 0


@pytest.mark.integration
async def test_header_injection_in_thread_subject_is_inert(
    smtp: tuple[RecordingSmtp, int], store: Store, tmp_path: Path
) -> None:
    server, port = smtp
    hostile = "Late order\r\nBcc: evil@example.org\u2028X-Evil: yes =?utf-8?q?A=0D=0ACc:_x@example.org?="
    add_thread(store, subject=hostile)
    sweep_sla(store, policy(breached=[LEAD]), T0)
    result = await deliver_notices(outbox_config(tmp_path, port), store, now=T0)
    assert len(result.sent) == 1 and [env.rcpt_tos for env in server.accepted] == [[LEAD]]
    message = headers(server.accepted[0].content)
    assert message["Bcc"] is None and message["Cc"] is None and message["X-Evil"] is None
    subject = str(message["Subject"])  # decoded once, as a reader shows it
    assert "Bcc: evil@example.org X-Evil: yes" in subject and "\n" not in subject and "\r" not in subject
    assert subject.endswith("=?utf-8?q?A=0D=0ACc:_x@example.org?=")  # the look-alike stays text


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("plain", 100, "plain"),
        ("a\r\nBcc: x", 100, "a Bcc: x"),
        ("a\u2028b\x85c\x00d", 100, "a b c d"),
        ("  many   spaces ", 100, "many spaces"),
        ("abcdefghij", 5, "abcd…"),
    ],
)
def test_one_line(text: str, limit: int, expected: str) -> None:
    assert one_line(text, limit) == expected


@pytest.mark.parametrize(("level", "words"), [("breached", "breached"), ("due_soon", "due soon")])
def test_notice_subject(level: str, words: str) -> None:
    facts = NoticeFacts(7, level, "Where\nis it", "a@example.net", None, "support", None)
    assert notice_subject(facts) == f"[mailbot] Thread 7 {words}: Where is it"


def test_compose_refuses_a_bad_recipient() -> None:
    from mailbot.mail.compose import HeaderError

    mail = InternalMail(
        Address("Team", SUPPORT), ("ok@example.com", "x\r\nBcc: y@z"), "s", "t", "tok-12345678", T0
    )
    with pytest.raises(HeaderError):
        compose_internal(mail)


# -- the digest ---------------------------------------------------------------------


def test_digest_recipients_are_the_union_of_every_list() -> None:
    rules = policy(breached=[LEAD], due_soon=["Team@example.com"])
    with_box = ResponsePolicy.model_validate(
        {
            "escalation": {
                "breached": [LEAD],
                "due_soon": ["Team@example.com"],
                "mailbox": {"vip": {"breached": [BOSS, LEAD], "due_soon": []}},
            }
        }
    )
    assert digest_recipients(rules) == [LEAD, "team@example.com"]
    assert digest_recipients(with_box) == [BOSS, LEAD, "team@example.com"]


@pytest.mark.integration
async def test_digest_once_per_local_day(
    smtp: tuple[RecordingSmtp, int], store: Store, store_path: Path, tmp_path: Path
) -> None:
    server, port = smtp
    config = outbox_config(tmp_path, port)
    rules = policy(breached=[LEAD], due_soon=[BOSS])
    add_thread(store)
    at_eight = time(8, 0)
    early = datetime(2026, 11, 23, 6, 30, tzinfo=UTC)  # 07:30 in Amsterdam

    assert (await send_digest(config, store, rules, now=early, not_before=at_eight)).copies == 0
    first = await send_digest(config, store, rules, now=early + timedelta(hours=1), not_before=at_eight)
    assert first.sent == ["2026-11-23"] and first.copies == 2
    message = headers(server.accepted[0].content)
    assert message["Subject"].startswith("[mailbot] SLA digest 2026-11-23")
    assert "1 open threads" in message.get_content()

    store.close()
    reopened = Store(store_path)
    try:
        later = await send_digest(
            config, reopened, rules, now=early + timedelta(hours=9), not_before=at_eight
        )
        retry = await deliver_notices(config, reopened, now=early + timedelta(hours=9))
        assert later.copies == 0 and retry.copies == 0 and len(server.accepted) == 2
        next_day = await send_digest(config, reopened, rules, now=early + timedelta(days=1, hours=2))
        assert next_day.sent == ["2026-11-24"] and len(server.accepted) == 4
    finally:
        reopened.close()


@pytest.mark.integration
async def test_digest_deferred_by_4xx_is_resent_by_the_notice_run(
    smtp: tuple[RecordingSmtp, int], store: Store, tmp_path: Path
) -> None:
    server, port = smtp
    config = outbox_config(tmp_path, port)
    server.script = ["421 4.3.2 busy"]
    first = await send_digest(config, store, policy(breached=[LEAD]), now=T0)
    assert first.waiting == ["2026-11-23"] and server.accepted == []
    retry = await deliver_notices(config, store, now=T0 + timedelta(minutes=1))
    assert retry.sent == ["2026-11-23"] and [env.rcpt_tos for env in server.accepted] == [[LEAD]]


async def test_digest_when_smtp_is_down_waits(store: Store, tmp_path: Path) -> None:
    async def down(box: MailboxSettings) -> Any:
        raise SmtpUnavailable("smtp:support: cannot connect")

    result = await send_digest(
        outbox_config(tmp_path, 1), store, policy(breached=[LEAD]), now=T0, connect=down
    )
    row = store.digest("2026-11-23")
    assert result.waiting == ["2026-11-23"] and row is not None and row["sent_at"] is None
    assert row["attempts"] == 1 and "cannot connect" in (row["last_error"] or "")
