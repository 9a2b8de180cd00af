"""What the SLA report reads: each thread's history as values, and ``--since``.

The store builds these from its rows (``mailbot/store/reports.py``); tests
build them by hand. Kept apart from :mod:`mailbot.sla_report` so the report
module holds only the figures.

Who answered: the agent of a reply is the actor of the audit entry with
action ``send`` that belongs to it. An entry on the reply message itself
(entity ``message``) is matched exactly; an entry on a draft or the thread
(the outbox audits the draft it sends) is matched to the first reply stored
after it in the same thread, allowing :data:`SEND_SLACK` for a reply whose
stored time is a little earlier than the audit entry. A reply with neither
is ``(unknown)``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from mailbot.lifecycle import EventKind
from mailbot.model import Channel

NO_VALUE = "(none)"
"""Group key of a thread without an intent or language yet."""
UNKNOWN_AGENT = "(unknown)"
"""Agent of a reply no audited send belongs to."""
UNANSWERED = "(unanswered)"
"""Agent key of clocks nobody has answered (still open, or closed without a reply)."""

SEND_SLACK = timedelta(minutes=10)


@dataclass(frozen=True)
class HistoryEvent:
    """One message or closing of a thread, with what the report needs of it.

    ``kind`` follows :func:`mailbot.store.threads.ThreadQueries.thread_events`:
    outbound messages are replies, inbound auto-replies are automatic.
    """

    at: datetime
    kind: EventKind
    message_id: int | None = None
    deadline: datetime | None = None
    intent: str | None = None
    language: str | None = None


@dataclass(frozen=True)
class SendRecord:
    """An audit entry with action ``send``: who sent, when, and which message if known."""

    at: datetime
    actor: str
    message_id: int | None = None


@dataclass(frozen=True)
class ThreadHistory:
    """A thread's labels and every event the report replays."""

    thread_id: int
    mailbox: str
    channel: Channel
    intent: str | None
    language: str | None
    events: tuple[HistoryEvent, ...]
    sends: tuple[SendRecord, ...] = field(default=())


@dataclass(frozen=True)
class OpenThread:
    """An open thread as the store holds it now (its current clock's due times)."""

    thread_id: int
    mailbox: str
    intent: str | None
    language: str | None
    due_at: datetime | None
    due_soon_at: datetime | None


def agent_of_reply(sends: tuple[SendRecord, ...], reply: HistoryEvent, claimed: set[int]) -> str:
    """Who sent ``reply``; ``claimed`` holds indexes of loose sends already matched (updated).

    Replies must be passed in time order, so each loose send goes to the
    first reply stored after it.
    """
    for record in sends:
        if record.message_id is not None and record.message_id == reply.message_id:
            return record.actor
    for index, record in sorted(enumerate(sends), key=lambda pair: pair[1].at):
        if index in claimed or record.message_id is not None:
            continue
        if record.at <= reply.at + SEND_SLACK:
            claimed.add(index)
            return record.actor
    return UNKNOWN_AGENT


_DAYS = re.compile(r"^(\d{1,4})d$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_FORMATS = "write YYYY-MM-DD (e.g. 2026-11-01) or Nd (e.g. 7d)"


def since_start(text: str, zone: ZoneInfo, now: datetime) -> datetime:
    """Read ``--since``: ``YYYY-MM-DD`` or ``Nd`` (N days ago), as local midnight in UTC.

    ``0d`` is today's local midnight, ``7d`` the midnight seven days before
    it. Raises ValueError with a sentence for people on anything else, and
    for a day after today.
    """
    value = text.strip()
    today = now.astimezone(zone).date()
    if match := _DAYS.match(value):
        day = today - timedelta(days=int(match.group(1)))
    elif _DATE.match(value):
        try:
            day = date.fromisoformat(value)
        except ValueError as exc:
            raise ValueError(f"'{text}' is not a date ({exc}): {_FORMATS}") from None
    else:
        raise ValueError(f"'{text}' is not a date: {_FORMATS}")
    if day > today:
        raise ValueError(f"'{text}' is after today ({today.isoformat()})")
    return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)
