"""The outbox worker: send approved replies once, and never twice.

The daemon schedules two entry points:

- :func:`recover_after_crash` once at start, before anything else sends.
  A reply left in ``sending`` by a process that died may or may not have
  reached the SMTP server. It is never resent blindly: when the mailbox has
  an IMAP Sent folder, the reply's Message-ID is looked up there (found:
  ``sent``); otherwise, or when not found, it becomes ``unknown`` and waits
  for a person (``mailbot outbox resolve ID --sent|--resend``).
- :func:`deliver_due` at an interval: every queued reply whose time has come
  is claimed (``queued -> sending``, committed durably *before* the first
  byte goes out), transmitted over one SMTP connection per mailbox, and
  judged (see :mod:`mailbot.outbox_smtp`): delivered -> ``sent``; 4xx or a
  connection lost before DATA -> back to ``queued`` with exponential
  backoff, ``failed`` after :data:`MAX_ATTEMPTS`; 5xx -> ``failed`` with the
  server's answer for the agent; connection lost during DATA -> ``unknown``.

Marking a reply ``sent`` is one transaction: the exact bytes are stored as
an outbound message of the mailbox (source ``outbox:<mailbox>``, so the
normal pipeline threads it by its In-Reply-To and the lifecycle stops the
thread's clock at the moment the server accepted it), the outbox row becomes
``sent`` and the draft ``sent``, and the audit log says so. The copy to the
Sent folder and ``\\Answered`` on the customer's message come after, as
"follow-ups": their failure is logged and recorded and retried on later
runs, and never makes a delivered reply look undelivered.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from mailbot.config import Config
from mailbot.errors import ConfigError
from mailbot.outbox_records import (
    BACKOFF_FIRST,
    BACKOFF_MAX,
    MAX_ATTEMPTS,
    SYSTEM,
    OutboxRunResult,
    OutboxStore,
    backoff,
    make_clock,
    record_deferred,
    record_failed,
    record_sent,
    record_unknown,
    reply_sender,
)
from mailbot.outbox_recovery import (
    MAX_FOLLOWUP_ATTEMPTS,
    recover_after_crash,
    resolve_unknown,
    run_followups,
    sent_folder_has,
)
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
from mailbot.sources.imap_conn import Connector, open_connection
from mailbot.store.outbox import OutboxItem

log = logging.getLogger(__name__)

# -- delivering ---------------------------------------------------------------


async def _deliver_mailbox(
    config: Config,
    store: OutboxStore,
    mailbox: str,
    items: list[OutboxItem],
    clock: Callable[[], datetime],
    connect: SmtpConnector,
) -> OutboxRunResult:
    """Send one mailbox's due replies in order over one connection (reopened when it breaks)."""
    result = OutboxRunResult()
    try:
        box = config.mailbox(mailbox)
    except ConfigError as exc:
        result.problems.append(f"outbox: {exc}")
        await _defer_all(store, items, clock, f"mailbox {mailbox!r} is not configured", result)
        return result
    data_timeout = max(FINAL_REPLY_TIMEOUT, box.smtp.timeout if box.smtp else 0.0)
    client = None
    try:
        for index, item in enumerate(items):
            if client is None or not client.is_connected:
                try:
                    client = await connect(box)
                except SmtpUnavailable as exc:
                    # No session, so nothing of this mailbox can go out now: all wait for the next try.
                    log.error("outbox: %s", exc)
                    result.problems.append(str(exc))
                    await _defer_all(store, items[index:], clock, str(exc), result)
                    return result
            if not await asyncio.to_thread(store.claim_outbox, item.id, now=clock()):
                continue  # another worker took it, or a person changed it meanwhile
            try:
                outcome = await transmit(
                    client,
                    sender=item.envelope_from,
                    recipient=item.to_addr,
                    raw=item.raw,
                    data_timeout=data_timeout,
                )
            except Exception as exc:  # a bug or a library surprise mid-send: it may have gone out
                log.exception("outbox %d: unexpected error while sending", item.id)
                client.close()
                outcome = Outcome(Verdict.AMBIGUOUS, None, f"unexpected error while sending: {exc!r}")
            await asyncio.to_thread(_judge, config, store, item, outcome, clock(), result)
    finally:
        if client is not None:
            await close_smtp(client)
    return result


async def _defer_all(
    store: OutboxStore,
    items: list[OutboxItem],
    clock: Callable[[], datetime],
    reason: str,
    result: OutboxRunResult,
) -> None:
    """Items that could not even be tried (no SMTP session): each uses up an attempt."""
    outcome = Outcome(Verdict.TEMPORARY, None, reason)
    for item in items:
        gave_up = await asyncio.to_thread(
            record_deferred,
            store,
            item,
            at=clock(),
            outcome=outcome,
            attempts=item.attempts + 1,
            claimed=False,
        )
        (result.failed if gave_up else result.deferred).append(item.id)


def _judge(
    config: Config,
    store: OutboxStore,
    item: OutboxItem,
    outcome: Outcome,
    at: datetime,
    result: OutboxRunResult,
) -> None:
    """Write one attempt's outcome (the row is in ``sending``)."""
    if outcome.verdict is Verdict.DELIVERED:
        record_sent(config, store, item, at=at, response=outcome.describe(), **SYSTEM)
        result.sent.append(item.id)
    elif outcome.verdict is Verdict.PERMANENT:
        record_failed(store, item, at=at, outcome=outcome, why=f"refused: {outcome.describe()}")
        result.failed.append(item.id)
    elif outcome.verdict is Verdict.AMBIGUOUS:
        record_unknown(store, item, at=at, reason=outcome.describe())
        result.unknown.append(item.id)
    else:
        gave_up = record_deferred(
            store, item, at=at, outcome=outcome, attempts=item.attempts + 1, claimed=True
        )
        (result.failed if gave_up else result.deferred).append(item.id)


async def deliver_due(
    config: Config,
    store: OutboxStore,
    *,
    now: datetime | None = None,
    connect: SmtpConnector = open_smtp,
    imap_connect: Connector = open_connection,
    limit: int = 500,
) -> OutboxRunResult:
    """Send every reply that is due (mailboxes side by side), then do pending follow-ups.

    ``now`` fixes the clock for tests; by default each step reads the time.
    """
    clock = make_clock(now)
    due = await asyncio.to_thread(store.outbox_due, clock(), limit=limit)
    by_mailbox: dict[str, list[OutboxItem]] = {}
    for item in due:
        by_mailbox.setdefault(item.mailbox, []).append(item)
    result = OutboxRunResult()
    runs = await asyncio.gather(
        *(_deliver_mailbox(config, store, name, items, clock, connect) for name, items in by_mailbox.items()),
        return_exceptions=True,
    )
    for name, run in zip(by_mailbox, runs, strict=True):
        if isinstance(run, BaseException):  # one mailbox's failure must not hide the others' results
            log.error("outbox: mailbox %s: run stopped: %r", name, run, exc_info=run)
            result.problems.append(f"outbox: mailbox {name}: {run!r}")
        else:
            result.merge(run)
    result.merge(await asyncio.to_thread(run_followups, config, store, now=clock(), connect=imap_connect))
    if due or result.followups_failed:
        log.info("%s", result.summary())
    return result


__all__ = [
    "BACKOFF_FIRST",
    "BACKOFF_MAX",
    "MAX_ATTEMPTS",
    "MAX_FOLLOWUP_ATTEMPTS",
    "OutboxRunResult",
    "OutboxStore",
    "backoff",
    "deliver_due",
    "recover_after_crash",
    "reply_sender",
    "resolve_unknown",
    "run_followups",
    "sent_folder_has",
]
