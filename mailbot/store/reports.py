"""Report queries: thread histories and open clocks for the SLA report.

Read-only. The rows become the values of :mod:`mailbot.sla_report_input`,
so the report itself stays pure. A thread is read whole (every message and
closing) when it saw a message since the start of the period, because a
clock started in the period may depend on what came before it.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from mailbot.lifecycle import EventKind
from mailbot.model import Channel, Direction
from mailbot.sla_report_input import SEND_SLACK, HistoryEvent, OpenThread, SendRecord, ThreadHistory
from mailbot.store.base import StoreBase, from_db_time, to_db_time

_IN_PERIOD = "SELECT id FROM threads WHERE last_message_at >= :since"

# Audit entries of sent replies, resolved to their thread: on the reply message
# itself, on the draft that was sent, or on the thread.
_SENDS = f"""
SELECT a.at, a.actor, a.entity, a.entity_id,
       CASE a.entity WHEN 'message' THEN m.thread_id WHEN 'draft' THEN d.thread_id
                     WHEN 'thread' THEN a.entity_id END AS thread_id
FROM audit a
LEFT JOIN messages m ON a.entity = 'message' AND m.id = a.entity_id
LEFT JOIN drafts d ON a.entity = 'draft' AND d.id = a.entity_id
WHERE a.action = 'send' AND a.at >= :sends_since
  AND CASE a.entity WHEN 'message' THEN m.thread_id WHEN 'draft' THEN d.thread_id
                    WHEN 'thread' THEN a.entity_id END IN ({_IN_PERIOD})
"""


def _at(value: str) -> datetime:
    at = from_db_time(value)
    assert at is not None
    return at


def _event(row: dict[str, Any]) -> HistoryEvent:
    if row["direction"] == Direction.OUTBOUND.value:
        kind = EventKind.REPLY
    elif row["is_auto"]:
        kind = EventKind.AUTOMATIC
    else:
        kind = EventKind.CUSTOMER
    return HistoryEvent(
        at=_at(row["received_at"]),
        kind=kind,
        message_id=row["id"],
        deadline=from_db_time(row["deadline"]),
        intent=row["intent"],
        language=row["language"],
    )


class ReportQueries(StoreBase):
    """Histories and open threads for :func:`mailbot.sla_report.build_report`."""

    def sla_histories(self, since: datetime) -> list[ThreadHistory]:
        """Every thread with a message at or after ``since``, with all of its events and sends."""
        params = {"since": to_db_time(since), "sends_since": to_db_time(since - SEND_SLACK)}
        events: dict[int, list[HistoryEvent]] = defaultdict(list)
        for row in self._rows(
            "SELECT thread_id, id, received_at, direction, is_auto, deadline, intent, language"
            f" FROM messages WHERE thread_id IN ({_IN_PERIOD})",
            params,
        ):
            events[row["thread_id"]].append(_event(row))
        for row in self._rows(
            f"SELECT thread_id, at FROM closings WHERE thread_id IN ({_IN_PERIOD})", params
        ):
            events[row["thread_id"]].append(HistoryEvent(at=_at(row["at"]), kind=EventKind.CLOSED))
        sends: dict[int, list[SendRecord]] = defaultdict(list)
        for row in self._rows(_SENDS, params):
            message_id = row["entity_id"] if row["entity"] == "message" else None
            sends[row["thread_id"]].append(SendRecord(_at(row["at"]), row["actor"], message_id))
        return [
            ThreadHistory(
                thread_id=row["id"],
                mailbox=row["mailbox"],
                channel=Channel(row["channel"]),
                intent=row["intent"],
                language=row["language"],
                events=tuple(events[row["id"]]),
                sends=tuple(sends[row["id"]]),
            )
            for row in self._rows(
                "SELECT id, mailbox, channel, intent, language FROM threads"
                " WHERE last_message_at >= :since ORDER BY id",
                params,
            )
        ]

    def open_threads(self) -> list[OpenThread]:
        """Every open thread with the due times of its current clock."""
        return [
            OpenThread(
                thread_id=row["id"],
                mailbox=row["mailbox"],
                intent=row["intent"],
                language=row["language"],
                due_at=from_db_time(row["due_at"]),
                due_soon_at=from_db_time(row["due_soon_at"]),
            )
            for row in self._rows(
                "SELECT id, mailbox, intent, language, due_at, due_soon_at FROM threads"
                " WHERE state = 'open' ORDER BY id"
            )
        ]
