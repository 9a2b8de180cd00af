"""After sending and after a crash: follow-ups, the Sent-folder lookup, recovery, a person's decision.

- :func:`run_followups` files each sent reply in the Sent folder and sets
  ``\\Answered`` on the customer's message (both idempotent); a failure
  never touches the delivery state and is retried with backoff.
- :func:`recover_after_crash` settles replies a dead process left in
  ``sending``: found in the Sent folder -> ``sent``; otherwise ``unknown``.
- :func:`resolve_unknown` is a person's decision on an ``unknown`` reply.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Literal

from mailbot.config import Config
from mailbot.errors import ConfigError, MailbotError, SourceError
from mailbot.outbox_records import (
    SYSTEM,
    OutboxRunResult,
    OutboxStore,
    backoff,
    make_clock,
    record_sent,
    record_unknown,
)
from mailbot.sources.imap_conn import (
    NETWORK_ERRORS,
    Connector,
    close_connection,
    describe_error,
    open_connection,
)
from mailbot.sources.imap_outbox import append_sent, mark_answered, resolve_folder
from mailbot.store.imap import ImapQueries
from mailbot.store.outbox import OutboxItem, OutboxState

log = logging.getLogger("mailbot.outbox")

#: Tries of the after-send chores (Sent copy, \Answered), with the same backoff, before
#: they are left alone (about ten hours of an unreachable IMAP server).
MAX_FOLLOWUP_ATTEMPTS = 15


# -- after sending: Sent folder, \Answered ----------------------------------


def run_followups(
    config: Config, store: OutboxStore, *, now: datetime | None = None, connect: Connector = open_connection
) -> OutboxRunResult:
    """Copy sent replies to the Sent folder and flag the customer's message; failures retry with backoff.

    After a failure, the mailbox's other follow-ups wait for the next run
    (the server is likely down: no point waiting for each one to time out).
    """
    at = now or datetime.now(UTC)
    result = OutboxRunResult()
    unreachable: set[str] = set()
    for item in store.outbox_followups_due(at, max_attempts=MAX_FOLLOWUP_ATTEMPTS):
        if item.mailbox in unreachable:
            continue
        problems = _followup(config, store, item, connect)
        if not problems:
            store.record_followup(item.id, now=at, error=None)
            result.followups_done.append(item.id)
            continue
        unreachable.add(item.mailbox)
        error = "; ".join(problems)
        store.record_followup(item.id, now=at, error=error, retry_at=at + backoff(item.followup_attempts + 1))
        log.warning("outbox %d: sent, but: %s", item.id, error)
        result.followups_failed.append(item.id)
        result.problems.extend(problems)
    return result


def _followup(config: Config, store: OutboxStore, item: OutboxItem, connect: Connector) -> list[str]:
    """The after-send chores of one reply; both are idempotent. Returns what went wrong."""
    try:
        box = config.mailbox(item.mailbox)
    except ConfigError as exc:
        return [str(exc)]
    problems: list[str] = []
    if box.imap is not None and box.imap.sent_folder:
        try:
            append_sent(config, box.name, item.raw, connect=connect)
        except SourceError as exc:
            problems.append(f"Sent copy: {exc}")
    replied = store.outbox_replied_message(item.id)
    if box.imap is not None and replied is not None and replied[1] == f"imap:{box.name}":
        try:
            if isinstance(store, ImapQueries):
                mark_answered(config, store, box.name, replied[0], connect=connect)
        except SourceError as exc:
            problems.append(f"\\Answered: {exc}")
    return problems


# -- after a crash -------------------------------------------------------------


def sent_folder_has(
    config: Config, mailbox_name: str, message_id: str, *, connect: Connector = open_connection
) -> bool | None:
    """Whether the mailbox's Sent folder holds a message with this Message-ID.

    None when there is no IMAP Sent folder to look in; raises SourceError
    when the server cannot be asked.
    """
    box = config.mailbox(mailbox_name)
    if box.imap is None or not box.imap.sent_folder:
        return None
    settings = box.imap
    client = connect(box)
    try:
        folder = resolve_folder(client, settings.sent_folder or "")
        if folder is None:
            raise SourceError(f"imap:{box.name}: Sent folder {settings.sent_folder!r} does not exist")
        client.select_folder(folder, readonly=True)
        return bool(client.search(["HEADER", "Message-ID", message_id]))
    except NETWORK_ERRORS as exc:
        raise SourceError(f"imap:{box.name}: cannot search Sent: {describe_error(exc, settings)}") from exc
    finally:
        close_connection(client)


SentLookup = Callable[[Config, str, str], "bool | None"]


async def recover_after_crash(
    config: Config,
    store: OutboxStore,
    *,
    now: datetime | None = None,
    lookup: SentLookup = sent_folder_has,
) -> OutboxRunResult:
    """Settle replies left in ``sending`` by a process that stopped; run before any delivery.

    Only call this while no other process can be sending (the daemon holds
    the store lock): a reply in ``sending`` is taken to be orphaned.
    """
    clock = make_clock(now)
    result = OutboxRunResult()
    for item in await asyncio.to_thread(store.outbox_items, states=[OutboxState.SENDING], limit=100_000):
        try:
            found = await asyncio.to_thread(lookup, config, item.mailbox, item.message_id)
            checked = (
                "not found in the Sent folder" if found is False else "no Sent folder is configured to check"
            )
        except (MailbotError, OSError) as exc:
            found, checked = None, f"the Sent folder could not be checked: {exc}"
            result.problems.append(f"outbox {item.id}: {checked}")
        if found:
            await asyncio.to_thread(
                record_sent, config, store, item, at=item.sending_since or clock(),
                response="found in the Sent folder after a restart", **SYSTEM,
            )  # fmt: skip
            result.sent.append(item.id)
            continue
        since = item.sending_since.isoformat(timespec="seconds") if item.sending_since else "?"
        reason = f"the sending process stopped during the attempt started {since}; {checked}"
        await asyncio.to_thread(record_unknown, store, item, at=clock(), reason=reason)
        result.unknown.append(item.id)
    return result


# -- a person's decision -------------------------------------------------------


def resolve_unknown(
    config: Config,
    store: OutboxStore,
    outbox_id: int,
    *,
    decision: Literal["sent", "resend"],
    actor: str,
    role: str = "agent",
    now: datetime | None = None,
) -> OutboxItem:
    """Settle an ``unknown`` reply: it did arrive (``sent``), or send the same bytes again (``resend``)."""
    at = now or datetime.now(UTC)
    item = store.outbox_item(outbox_id)
    if item.state is not OutboxState.UNKNOWN:
        raise MailbotError(f"outbox item {outbox_id} is {item.state.value}; only unknown items are resolved")
    if decision == "sent":
        record_sent(
            config,
            store,
            item,
            at=item.sending_since or at,
            response=f"confirmed delivered by {actor}",
            actor=actor,
            role=role,
        )
    else:
        with store.transaction():
            store.requeue_outbox(outbox_id, now=at)
            store.audit(
                actor=actor,
                role=role,
                action="resend",
                entity="outbox",
                entity_id=outbox_id,
                detail={"draft": item.draft_id, "message_id": item.message_id},
            )
    return store.outbox_item(outbox_id)
