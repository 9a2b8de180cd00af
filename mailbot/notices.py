"""Sending the response policy's internal e-mail: escalation notices and the daily digest.

The SLA sweep (:mod:`mailbot.sla_service`) records each notice once; this
module sends what is recorded and not yet sent. The daemon calls
:func:`deliver_notices` at the outbox interval and :func:`send_digest` for
the daily digest. The rules, and why:

- A recipient's copy counts as sent only when the SMTP server accepted it
  (250 to the end of DATA), and that is recorded per recipient, so a retry
  after a temporary failure (4xx, no connection) reaches only those still
  waiting: nobody gets a notice twice, even across restarts.
- A connection lost *during* DATA may have delivered the copy; like the
  reply outbox, we never send such a copy again (logged as a warning).
  A 5xx refusal is final for that recipient (logged as an error).
- A notice with no recipients is closed as sent without an e-mail (the log
  line of the sweep is then the only notice); a notice whose thread was
  answered, closed or given a new clock before it could go out is dropped:
  it would ask someone to act on a thread that no longer needs it.
- A mailbox that cannot send (no ``[mailboxes.smtp]``, or not configured
  any more) keeps its notices waiting; the reason is logged once, not every
  run, and they go out once the mailbox can send.
- The digest is recorded (subject and body fixed) once per local day of the
  policy's time zone before anything is sent, so a restart never sends a
  second one, and a digest left waiting by a temporary failure is retried
  by :func:`deliver_notices` with the same text.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from mailbot.commands.sla import collect_report
from mailbot.config import Config, MailboxSettings
from mailbot.errors import ConfigError
from mailbot.mail.compose import HeaderError
from mailbot.notice_mail import (
    InternalMail,
    NoticeFacts,
    compose_internal,
    mail_token,
    notice_subject,
    notice_text,
)
from mailbot.outbox_records import make_clock, reply_sender
from mailbot.outbox_smtp import (
    FINAL_REPLY_TIMEOUT,
    Outcome,
    SmtpConnector,
    SmtpUnavailable,
    Verdict,
    close_smtp,
    open_smtp,
    transmit,
)
from mailbot.policy.response import ResponsePolicy
from mailbot.sla_digest import DIGEST_DAYS, digest_text
from mailbot.sla_report import GroupBy
from mailbot.sla_report_input import since_start
from mailbot.store import Store, from_db_time
from mailbot.store.notices import MailKind

log = logging.getLogger(__name__)


@dataclass
class NoticeRunResult:
    """What one run did, by notice key (digests by their day); ``problems`` are one-line reasons."""

    sent: list[str] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    copies: int = 0
    problems: list[str] = field(default_factory=list)

    def merge(self, other: NoticeRunResult) -> None:
        self.sent += other.sent
        self.waiting += other.waiting
        self.dropped += other.dropped
        self.copies += other.copies
        self.problems += other.problems

    def summary(self) -> str:
        return (
            f"notices: {len(self.sent)} done ({self.copies} e-mail(s)), {len(self.waiting)} waiting,"
            f" {len(self.dropped)} dropped"
        )


@dataclass(frozen=True)
class _Pending:
    """One notice or digest ready to go, with the recipients still to reach."""

    kind: MailKind
    key: str
    raw: bytes
    envelope_from: str
    todo: tuple[str, ...]
    delivered_before: bool
    last_error: str | None


# -- preparing ------------------------------------------------------------------


def _sending_box(config: Config, store: Store, kind: MailKind, row: dict[str, Any]) -> MailboxSettings | None:
    """The mailbox settings to send with, or None after logging (once) why it cannot send."""
    key = row["key"] if kind == "notice" else row["day"]
    try:
        box = config.mailbox(row["mailbox"])
    except ConfigError:
        problem = f"mailbox {row['mailbox']!r} is not configured any more"
    else:
        if box.smtp is not None:
            return box
        problem = f"mailbox {row['mailbox']!r} has no [mailboxes.smtp] settings"
    if store.note_mail_problem(kind, key, problem):
        log.warning("%s %s waits: %s; it goes out once the mailbox can send", kind, key, problem)
    return None


def _stale(row: dict[str, Any]) -> bool:
    """The thread no longer runs the clock the notice is about (answered, closed, restarted)."""
    current = from_db_time(row["thread_clock_started_at"])
    return row["thread_state"] != "open" or current != from_db_time(row["clock_started_at"])


def _prepare_notice(
    config: Config,
    store: Store,
    row: dict[str, Any],
    *,
    now: datetime,
    time_zone: str,
    result: NoticeRunResult,
) -> tuple[MailboxSettings, _Pending] | None:
    key = row["key"]
    if not row["recipients"]:
        store.close_mail("notice", key, now=now, sent=True, reason="no recipients configured")
        log.warning(
            "notice %s (thread %d): no escalation recipients configured; no e-mail", key, row["thread_id"]
        )
        result.sent.append(key)
        return None
    if _stale(row):
        store.close_mail("notice", key, now=now, sent=False, reason="thread answered or clock restarted")
        log.info("notice %s dropped: thread %d was answered or its clock restarted", key, row["thread_id"])
        result.dropped.append(key)
        return None
    box = _sending_box(config, store, "notice", row)
    if box is None:
        result.waiting.append(key)
        return None
    facts = NoticeFacts(
        thread_id=row["thread_id"],
        level=row["level"],
        subject=row["subject"],
        customer=row["customer"],
        customer_name=row["customer_name"],
        mailbox=row["mailbox"],
        due_at=from_db_time(row["due_at"]),
    )
    mail = InternalMail(
        sender=reply_sender(config, box.name),
        recipients=tuple(row["recipients"]),
        subject=notice_subject(facts),
        text=notice_text(facts, now=now, time_zone=time_zone),
        token=mail_token("notice", key),
        date=now,
    )
    return _pending(store, "notice", key, box, mail, row, result)


def _prepare_digest(
    config: Config, store: Store, row: dict[str, Any], *, now: datetime, result: NoticeRunResult
) -> tuple[MailboxSettings, _Pending] | None:
    day = row["day"]
    if not row["recipients"]:
        store.close_mail("digest", day, now=now, sent=True, reason="no recipients configured")
        log.warning("digest %s: no escalation recipients configured; no e-mail", day)
        result.sent.append(day)
        return None
    box = _sending_box(config, store, "digest", row)
    if box is None:
        result.waiting.append(day)
        return None
    mail = InternalMail(
        sender=reply_sender(config, box.name),
        recipients=tuple(row["recipients"]),
        subject=row["subject"],
        text=row["body"],
        token=mail_token("digest", day),
        date=now,
    )
    return _pending(store, "digest", day, box, mail, row, result)


def _pending(
    store: Store,
    kind: MailKind,
    key: str,
    box: MailboxSettings,
    mail: InternalMail,
    row: dict[str, Any],
    result: NoticeRunResult,
) -> tuple[MailboxSettings, _Pending] | None:
    try:
        raw = compose_internal(mail)
    except HeaderError as exc:  # our own sender or a recipient is malformed: a configuration problem
        if store.note_mail_problem(kind, key, str(exc)):
            log.error("%s %s cannot be written: %s", kind, key, exc)
        result.waiting.append(key)
        return None
    done = set(row["delivered_to"]) | set(row["refused_to"])
    todo = tuple(r for r in row["recipients"] if r not in done)
    item = _Pending(kind, key, raw, box.address, todo, bool(row["delivered_to"]), row["last_error"])
    return box, item


# -- sending --------------------------------------------------------------------


async def _send_mailbox(
    store: Store,
    box: MailboxSettings,
    items: list[_Pending],
    clock: Callable[[], datetime],
    connect: SmtpConnector,
) -> NoticeRunResult:
    """Send one mailbox's notices over one connection (reopened when it breaks)."""
    result = NoticeRunResult()
    data_timeout = max(FINAL_REPLY_TIMEOUT, box.smtp.timeout if box.smtp else 0.0)
    client = None
    unavailable: str | None = None  # no session this run: the rest wait without trying again
    try:
        for item in items:
            delivered: list[str] = []
            refused: list[str] = []
            error: str | None = unavailable
            for recipient in item.todo if unavailable is None else ():
                if client is None or not client.is_connected:
                    try:
                        client = await connect(box)
                    except SmtpUnavailable as exc:
                        error = unavailable = str(exc)
                        break
                outcome = await _transmit(client, item, recipient, data_timeout)
                if outcome.verdict is Verdict.DELIVERED:
                    delivered.append(recipient)
                elif outcome.verdict is Verdict.AMBIGUOUS:
                    log.warning(
                        "%s %s to %s may not have arrived: %s",
                        item.kind,
                        item.key,
                        recipient,
                        outcome.describe(),
                    )
                    delivered.append(recipient)
                elif outcome.verdict is Verdict.PERMANENT:
                    log.error("%s %s: %s refused: %s", item.kind, item.key, recipient, outcome.describe())
                    refused.append(recipient)
                else:
                    error = f"{recipient}: {outcome.describe()}"
            await asyncio.to_thread(_record, store, item, delivered, refused, error, clock(), result)
    finally:
        if client is not None:
            await close_smtp(client)
    return result


async def _transmit(client: Any, item: _Pending, recipient: str, data_timeout: float) -> Outcome:
    try:
        return await transmit(
            client, sender=item.envelope_from, recipient=recipient, raw=item.raw, data_timeout=data_timeout
        )
    except Exception as exc:  # a library surprise mid-send: it may have gone out, never resend
        log.exception("%s %s: unexpected error while sending", item.kind, item.key)
        client.close()
        return Outcome(Verdict.AMBIGUOUS, None, f"unexpected error while sending: {exc!r}")


def _record(
    store: Store,
    item: _Pending,
    delivered: list[str],
    refused: list[str],
    error: str | None,
    now: datetime,
    result: NoticeRunResult,
) -> None:
    """Write one run's outcome; close the row once nobody is left to try."""
    store.record_mail_attempt(item.kind, item.key, delivered=delivered, refused=refused, error=error)
    result.copies += len(delivered)
    left = set(item.todo) - set(delivered) - set(refused)
    if left:
        if error != item.last_error:  # the same trouble every run is logged once
            log.warning(
                "%s %s: %d recipient(s) wait for the next run: %s", item.kind, item.key, len(left), error
            )
        result.waiting.append(item.key)
        if error:
            result.problems.append(f"{item.kind} {item.key}: {error}")
    elif delivered or item.delivered_before:
        store.close_mail(item.kind, item.key, now=now, sent=True)
        result.sent.append(item.key)
    else:
        store.close_mail(item.kind, item.key, now=now, sent=False, reason="every recipient refused")
        result.dropped.append(item.key)


async def _deliver(
    store: Store,
    prepared: list[tuple[MailboxSettings, _Pending]],
    clock: Callable[[], datetime],
    connect: SmtpConnector,
) -> NoticeRunResult:
    by_box: dict[str, tuple[MailboxSettings, list[_Pending]]] = {}
    for box, item in prepared:
        by_box.setdefault(box.name, (box, []))[1].append(item)
    result = NoticeRunResult()
    runs = await asyncio.gather(
        *(_send_mailbox(store, box, items, clock, connect) for box, items in by_box.values()),
        return_exceptions=True,
    )
    for name, run in zip(by_box, runs, strict=True):
        if isinstance(run, BaseException):  # one mailbox's failure must not hide the others' results
            log.error("notices: mailbox %s: run stopped: %r", name, run, exc_info=run)
            result.problems.append(f"notices: mailbox {name}: {run!r}")
        else:
            result.merge(run)
    return result


# -- entry points ---------------------------------------------------------------


async def deliver_notices(
    config: Config,
    store: Store,
    *,
    now: datetime | None = None,
    connect: SmtpConnector = open_smtp,
    time_zone: str = "UTC",
    limit: int = 200,
) -> NoticeRunResult:
    """Send every unsent escalation notice, and any digest still waiting; never a copy twice.

    ``time_zone`` is the one due times are shown in (the response policy's).
    """
    clock = make_clock(now)
    moment = clock()
    result = NoticeRunResult()
    prepared: list[tuple[MailboxSettings, _Pending]] = []
    for row in await asyncio.to_thread(store.unsent_notices, limit=limit):
        ready = await asyncio.to_thread(
            _prepare_notice, config, store, row, now=moment, time_zone=time_zone, result=result
        )
        if ready is not None:
            prepared.append(ready)
    for row in await asyncio.to_thread(store.unsent_digests):
        ready = await asyncio.to_thread(_prepare_digest, config, store, row, now=moment, result=result)
        if ready is not None:
            prepared.append(ready)
    result.merge(await _deliver(store, prepared, clock, connect))
    if result.sent or result.dropped or result.copies:
        log.info("%s", result.summary())
    return result


def digest_recipients(policy: ResponsePolicy) -> list[str]:
    """Everyone who receives any escalation notice (default and per-mailbox lists), once each."""
    escalation = policy.escalation
    lists = [escalation.due_soon, escalation.breached]
    for own in escalation.mailbox.values():
        lists += [own.due_soon or (), own.breached or ()]
    return sorted({address.lower() for group in lists for address in group})


def digest_mailbox(config: Config) -> str:
    """The mailbox the digest is sent from: the first one that can send (else the first one)."""
    boxes = config.settings.mailboxes
    return next((box.name for box in boxes if box.smtp is not None), boxes[0].name)


async def send_digest(
    config: Config,
    store: Store,
    policy: ResponsePolicy,
    *,
    now: datetime | None = None,
    connect: SmtpConnector = open_smtp,
    language: str = "en",
    not_before: time | None = None,
) -> NoticeRunResult:
    """Write today's digest (once per local day of the policy's zone) and send it.

    With ``not_before`` (a local time) nothing happens earlier in the day,
    so the daemon may call this at every outbox run: the first call after
    that time writes and sends the digest, later ones find the day done
    (also after a restart, or downtime across the usual time). Only the
    call that writes the digest sends it; a copy left waiting by a
    temporary failure is retried by :func:`deliver_notices`.
    """
    clock = make_clock(now)
    moment = clock()
    zone = ZoneInfo(policy.time_zone)
    local = moment.astimezone(zone)
    result = NoticeRunResult()
    if not_before is not None and local.time() < not_before:
        return result
    day = local.date().isoformat()
    if await asyncio.to_thread(store.digest, day) is not None:
        return result  # written earlier today; if it still waits, deliver_notices retries it
    if not await asyncio.to_thread(_record_digest, config, store, policy, moment, day, language):
        return result
    row = await asyncio.to_thread(store.digest, day)
    if row is None:
        return result
    ready = await asyncio.to_thread(_prepare_digest, config, store, row, now=moment, result=result)
    if ready is not None:
        result.merge(await _deliver(store, [ready], clock, connect))
    return result


def _record_digest(
    config: Config, store: Store, policy: ResponsePolicy, moment: datetime, day: str, language: str
) -> bool:
    """Compute and store the day's digest; False when another run stored it first."""
    since = since_start(f"{DIGEST_DAYS}d", ZoneInfo(policy.time_zone), moment)
    by = GroupBy.MAILBOX if len(config.settings.mailboxes) > 1 else None
    report = collect_report(store, policy, now=moment, since=since, by=by)
    subject, body = digest_text(report, language)
    return store.record_digest(
        day=day,
        mailbox=digest_mailbox(config),
        recipients=digest_recipients(policy),
        subject=f"[mailbot] {subject}",
        body=body,
        now=moment.astimezone(UTC),
    )
