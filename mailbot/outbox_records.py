"""What an outbox run writes: the store it needs, its result, and each outcome with its audit entry.

Shared by the worker (:mod:`mailbot.outbox`) and recovery
(:mod:`mailbot.outbox_recovery`). Every outcome is one store transaction
that moves the outbox row (the store refuses a move the state machine does
not allow) together with the draft's state and the audit entry, so a crash
between two of them is impossible.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from mailbot.config import Config
from mailbot.errors import ConfigError
from mailbot.model import Address, DraftState, RawMessage
from mailbot.outbox_smtp import Outcome
from mailbot.store.outbox import Followup, OutboxItem, OutboxState

log = logging.getLogger("mailbot.outbox")

#: Attempts per reply before a temporary problem becomes ``failed``.
MAX_ATTEMPTS = 8
#: Wait after the first temporary failure; doubles each time up to BACKOFF_MAX.
BACKOFF_FIRST = timedelta(minutes=1)
BACKOFF_MAX = timedelta(hours=1)

SYSTEM = {"actor": "mailbot", "role": "system"}


class OutboxStore(Protocol):
    """What the outbox needs from the store (``Store`` with ``OutboxQueries`` mixed in)."""

    def transaction(self) -> AbstractContextManager[Any]: ...
    def store_raw(self, raw: RawMessage, *, mailbox: str) -> tuple[int, bool]: ...
    def set_draft_state(self, draft_id: int, state: DraftState) -> None: ...
    def audit(
        self,
        *,
        actor: str,
        role: str,
        action: str,
        entity: str,
        entity_id: int | None,
        before: str | None = None,
        after: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None: ...
    def outbox_item(self, outbox_id: int) -> OutboxItem: ...
    def outbox_items(
        self, *, states: Iterable[OutboxState] | None = None, limit: int = 200
    ) -> list[OutboxItem]: ...
    def outbox_due(self, now: datetime, *, limit: int = 500) -> list[OutboxItem]: ...
    def outbox_followups_due(
        self, now: datetime, *, max_attempts: int, limit: int = 100
    ) -> list[OutboxItem]: ...
    def outbox_replied_message(self, outbox_id: int) -> tuple[str, str] | None: ...
    def claim_outbox(self, outbox_id: int, *, now: datetime) -> bool: ...
    def defer_outbox(
        self,
        outbox_id: int,
        *,
        now: datetime,
        next_attempt_at: datetime,
        error: str,
        code: int | None,
        claimed: bool,
    ) -> None: ...
    def fail_outbox(self, outbox_id: int, *, now: datetime, error: str, code: int | None) -> None: ...
    def mark_outbox_unknown(self, outbox_id: int, *, now: datetime, reason: str) -> None: ...
    def mark_outbox_sent(
        self,
        outbox_id: int,
        *,
        now: datetime,
        response: str,
        sent_message_id: int,
        followup: Followup | None,
    ) -> None: ...
    def requeue_outbox(self, outbox_id: int, *, now: datetime) -> None: ...
    def record_followup(
        self, outbox_id: int, *, now: datetime, error: str | None, retry_at: datetime | None = None
    ) -> None: ...


@dataclass
class OutboxRunResult:
    """What one run did, by outbox id; ``problems`` are one-line reasons for the log."""

    sent: list[int] = field(default_factory=list)
    deferred: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    unknown: list[int] = field(default_factory=list)
    followups_done: list[int] = field(default_factory=list)
    followups_failed: list[int] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def merge(self, other: OutboxRunResult) -> None:
        for name in self.__dataclass_fields__:
            getattr(self, name).extend(getattr(other, name))

    def summary(self) -> str:
        return (
            f"outbox: {len(self.sent)} sent, {len(self.deferred)} to retry, {len(self.failed)} failed,"
            f" {len(self.unknown)} unknown"
            + (f"; {len(self.followups_failed)} Sent copy/flag problem(s)" if self.followups_failed else "")
        )


def backoff(attempts: int) -> timedelta:
    """Wait before the next try after ``attempts`` tries: 1, 2, 4 ... minutes, at most an hour."""
    return min(BACKOFF_FIRST * (1 << max(attempts - 1, 0)), BACKOFF_MAX)


def reply_sender(config: Config, mailbox: str) -> Address:
    """The From of replies from a mailbox: its address and display name (for ``enqueue_outbox``)."""
    box = config.mailbox(mailbox)
    return Address(box.display_name, box.address)


def make_clock(now: datetime | None) -> Callable[[], datetime]:
    """A clock fixed at ``now`` (tests), or the real one."""
    return (lambda: now) if now is not None else (lambda: datetime.now(UTC))


# -- sent, failed, unknown: each one transaction with its audit entry ----------


def _needs_followup(config: Config, store: OutboxStore, item: OutboxItem) -> bool:
    try:
        box = config.mailbox(item.mailbox)
    except ConfigError:
        return False
    if box.imap is None:
        return False
    replied = store.outbox_replied_message(item.id)
    answered = replied is not None and replied[1] == f"imap:{box.name}"
    return bool(box.imap.sent_folder) or answered


def record_sent(
    config: Config,
    store: OutboxStore,
    item: OutboxItem,
    *,
    at: datetime,
    response: str,
    actor: str,
    role: str,
) -> int:
    """Store the sent bytes as our outbound message, mark row and draft sent; returns the message id."""
    followup = Followup.PENDING if _needs_followup(config, store, item) else None
    # Not a durable commit: a power cut that loses it leaves the row in "sending",
    # which recovery turns into "unknown" (never into a second send); the next
    # claim's durable commit writes it to disk anyway.
    with store.transaction():
        message_row, _ = store.store_raw(
            RawMessage(item.raw, source=f"outbox:{item.mailbox}", source_ref=item.message_id, received_at=at),
            mailbox=item.mailbox,
        )
        store.mark_outbox_sent(
            item.id, now=at, response=response, sent_message_id=message_row, followup=followup
        )
        store.set_draft_state(item.draft_id, DraftState.SENT)
        store.audit(
            actor=actor,
            role=role,
            action="sent",
            entity="draft",
            entity_id=item.draft_id,
            detail={"outbox": item.id, "message_id": item.message_id, "to": item.to_addr, "server": response},
        )
    log.info("outbox %d: sent to %s (%s): %s", item.id, item.to_addr, item.message_id, response)
    return message_row


def record_failed(store: OutboxStore, item: OutboxItem, *, at: datetime, outcome: Outcome, why: str) -> None:
    """Not delivered, not retried: the draft goes back to ``approved`` so the agent sees it."""
    with store.transaction():
        store.fail_outbox(item.id, now=at, error=why, code=outcome.code)
        store.set_draft_state(item.draft_id, DraftState.APPROVED)
        store.audit(
            **SYSTEM,
            action="send_failed",
            entity="draft",
            entity_id=item.draft_id,
            detail={"outbox": item.id, "to": item.to_addr, "code": outcome.code, "reason": why},
        )
    log.warning("outbox %d: sending to %s failed: %s", item.id, item.to_addr, why)


def record_unknown(store: OutboxStore, item: OutboxItem, *, at: datetime, reason: str) -> None:
    with store.transaction():
        store.mark_outbox_unknown(item.id, now=at, reason=reason)
        store.audit(
            **SYSTEM,
            action="unknown",
            entity="outbox",
            entity_id=item.id,
            detail={"draft": item.draft_id, "to": item.to_addr, "reason": reason},
        )
    log.error(
        "outbox %d: may or may not have reached %s (%s); a person must decide: "
        "mailbot outbox resolve %d --sent|--resend",
        item.id,
        item.to_addr,
        reason,
        item.id,
    )


def record_deferred(
    store: OutboxStore, item: OutboxItem, *, at: datetime, outcome: Outcome, attempts: int, claimed: bool
) -> bool:
    """A temporary failure: retry later, or give up after MAX_ATTEMPTS; True when given up."""
    if attempts >= MAX_ATTEMPTS:
        why = f"gave up after {attempts} attempts; last: {outcome.describe()}"
        if not claimed:  # never reached SMTP this time: still counts as an attempt
            store.defer_outbox(
                item.id, now=at, next_attempt_at=at, error=why, code=outcome.code, claimed=False
            )
        record_failed(store, item, at=at, outcome=outcome, why=why)
        return True
    later = at + backoff(attempts)
    store.defer_outbox(
        item.id, now=at, next_attempt_at=later, error=outcome.describe(), code=outcome.code, claimed=claimed
    )
    log.warning(
        "outbox %d: temporary failure (%s); attempt %d of %d, next at %s",
        item.id,
        outcome.describe(),
        attempts,
        MAX_ATTEMPTS,
        later.isoformat(timespec="seconds"),
    )
    return False
