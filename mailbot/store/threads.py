"""Threads: candidates for threading, lifecycle persistence and the queue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from mailbot.errors import NotFoundError
from mailbot.lifecycle import EventKind, ThreadEvent
from mailbot.model import Channel, Direction, ThreadState, ThreadSummary
from mailbot.store.base import StoreBase, from_db_time, to_db_time, to_json


def _summary(row: dict[str, Any]) -> ThreadSummary:
    return ThreadSummary(
        id=row["id"],
        subject=row["subject"],
        customer=row["customer"],
        mailbox=row["mailbox"],
        channel=Channel(row["channel"]),
        state=ThreadState(row["state"]),
        clock_started_at=from_db_time(row["clock_started_at"]),
        due_at=from_db_time(row["due_at"]),
        last_message_at=from_db_time(row["last_message_at"]),
        message_count=row.get("message_count") or 0,
        language=row["language"],
        intent=row["intent"],
        needs_triage=bool(row["needs_triage"]),
        closed_reason=row["closed_reason"],
    )


_THREAD_COLUMNS = (
    "t.id, t.subject, t.customer, t.mailbox, t.channel, t.state, t.clock_started_at, t.due_at,"
    " t.last_message_at, t.language, t.intent, t.needs_triage, t.closed_reason, t.due_reason, t.sla_state"
)


class ThreadQueries(StoreBase):
    """Threading lookups and the conversation lifecycle."""

    def thread_by_references(self, message_ids: list[str], mailbox: str) -> int | None:
        """The newest thread holding any of these Message-IDs in this mailbox."""
        ids = [m for m in message_ids if m]
        if not ids:
            return None
        marks = ",".join("?" * len(ids))
        value = self._scalar(
            f"SELECT thread_id FROM messages WHERE message_id IN ({marks}) AND mailbox = ?"
            " AND thread_id IS NOT NULL ORDER BY id DESC LIMIT 1",
            (*ids, mailbox),
        )
        return None if value is None else int(value)

    def existing_thread(self, thread_ids: list[int], mailbox: str) -> int | None:
        """The first of these thread ids that exists in this mailbox (a case code we printed)."""
        for thread_id in thread_ids:
            if self._scalar("SELECT 1 FROM threads WHERE id = ? AND mailbox = ?", (thread_id, mailbox)):
                return thread_id
        return None

    def thread_by_customer(self, customer: str, mailbox: str, since: datetime) -> int | None:
        """The customer's most recent thread in this mailbox, active since ``since``."""
        value = self._scalar(
            "SELECT id FROM threads WHERE customer = ? AND mailbox = ? AND last_message_at >= ?"
            " ORDER BY last_message_at DESC LIMIT 1",
            (customer, mailbox, to_db_time(since)),
        )
        return None if value is None else int(value)

    def thread_by_subject(self, subject_key: str, customer: str, mailbox: str, since: datetime) -> int | None:
        """A recent thread of the same customer with the same normalised subject."""
        value = self._scalar(
            "SELECT id FROM threads WHERE customer = ? AND subject_key = ? AND mailbox = ?"
            " AND last_message_at >= ? ORDER BY last_message_at DESC LIMIT 1",
            (customer, subject_key, mailbox, to_db_time(since)),
        )
        return None if value is None else int(value)

    def create_thread(
        self,
        *,
        mailbox: str,
        channel: Channel,
        subject: str,
        subject_key: str,
        customer: str,
        customer_name: str | None,
        at: datetime,
    ) -> int:
        now = to_db_time(datetime.now(UTC))
        with self.transaction() as db:
            cursor = db.execute(
                "INSERT INTO threads(mailbox, channel, subject, subject_key, customer, customer_name, state,"
                " created_at, updated_at, last_message_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (
                    mailbox,
                    channel.value,
                    subject,
                    subject_key,
                    customer,
                    customer_name,
                    ThreadState.OPEN.value,
                    now,
                    now,
                    to_db_time(at),
                ),
            )
            return int(cursor.lastrowid or 0)

    def thread_events(self, thread_id: int) -> list[ThreadEvent]:
        """Every lifecycle event of a thread: its messages and its closing."""
        events: list[ThreadEvent] = []
        for row in self._rows(
            "SELECT direction, is_auto, received_at FROM messages WHERE thread_id = ?", (thread_id,)
        ):
            at = from_db_time(row["received_at"])
            assert at is not None
            if row["direction"] == Direction.OUTBOUND.value:
                kind = EventKind.REPLY
            elif row["is_auto"]:
                kind = EventKind.AUTOMATIC
            else:
                kind = EventKind.CUSTOMER
            events.append(ThreadEvent(at, kind))
        for row in self._rows("SELECT at FROM closings WHERE thread_id = ?", (thread_id,)):
            at = from_db_time(row["at"])
            assert at is not None
            events.append(ThreadEvent(at, EventKind.CLOSED))
        for row in self._rows("SELECT at FROM postings WHERE thread_id = ?", (thread_id,)):
            at = from_db_time(row["at"])
            assert at is not None
            events.append(ThreadEvent(at, EventKind.REPLY))
        return events

    def update_thread(self, thread_id: int, **fields: Any) -> None:
        """Persist recomputed thread fields (state, clock, due time, labels)."""
        values = {k: (to_db_time(v) if isinstance(v, datetime) else v) for k, v in fields.items()}
        values["updated_at"] = to_db_time(datetime.now(UTC))
        assignments = ", ".join(f"{name} = ?" for name in values)
        with self.transaction() as db:
            db.execute(f"UPDATE threads SET {assignments} WHERE id = ?", (*values.values(), thread_id))

    def thread_row(self, thread_id: int) -> dict[str, Any]:
        row = self._one("SELECT * FROM threads WHERE id = ?", (thread_id,))
        if row is None:
            raise NotFoundError(f"thread {thread_id} does not exist")
        return row

    def thread(self, thread_id: int) -> ThreadSummary:
        row = self._one(
            f"SELECT {_THREAD_COLUMNS}, (SELECT count(*) FROM messages m WHERE m.thread_id = t.id)"
            " AS message_count FROM threads t WHERE t.id = ?",
            (thread_id,),
        )
        if row is None:
            raise NotFoundError(f"thread {thread_id} does not exist")
        return _summary(row)

    def thread_message_ids(self, thread_id: int) -> list[int]:
        rows = self._rows(
            "SELECT id FROM messages WHERE thread_id = ? ORDER BY received_at, id", (thread_id,)
        )
        return [row["id"] for row in rows]

    def queue(
        self,
        *,
        limit: int = 50,
        mailbox: str | None = None,
        states: tuple[ThreadState, ...] = (ThreadState.OPEN,),
    ) -> list[ThreadSummary]:
        """Threads waiting for an answer, soonest due first (no due time last)."""
        where = [f"t.state IN ({','.join('?' * len(states))})"]
        params: list[Any] = [s.value for s in states]
        if mailbox:
            where.append("t.mailbox = ?")
            params.append(mailbox)
        rows = self._rows(
            f"SELECT {_THREAD_COLUMNS}, (SELECT count(*) FROM messages m WHERE m.thread_id = t.id)"
            f" AS message_count FROM threads t WHERE {' AND '.join(where)}"
            " ORDER BY t.due_at IS NULL, t.due_at, t.id LIMIT ?",
            (*params, limit),
        )
        return [_summary(row) for row in rows]

    def record_closing(self, thread_id: int, *, reason: str, actor: str, at: datetime) -> None:
        """Note that a person closed the thread; the lifecycle fold reads it back."""
        with self.transaction() as db:
            db.execute(
                "INSERT INTO closings(thread_id, at, reason, actor) VALUES (?,?,?,?)",
                (thread_id, to_db_time(at), reason, actor),
            )
            db.execute(
                "UPDATE threads SET closed_at = ?, closed_reason = ? WHERE id = ?",
                (to_db_time(at), reason, thread_id),
            )

    def record_posting(self, *, thread_id: int, draft_id: int, actor: str, at: datetime) -> bool:
        """A reply letter was posted (answers the thread); once per draft."""
        with self.transaction() as db:
            cursor = db.execute(
                "INSERT OR IGNORE INTO postings(thread_id, draft_id, at, actor) VALUES (?,?,?,?)",
                (thread_id, draft_id, to_db_time(at), actor),
            )
            return cursor.rowcount == 1

    def thread_last_message_at(self, thread_id: int) -> datetime | None:
        return from_db_time(
            self._scalar("SELECT max(received_at) FROM messages WHERE thread_id = ?", (thread_id,))
        )

    def customer_deadline(self, thread_id: int, *, since: datetime) -> datetime | None:
        """The earliest deadline a customer named in messages still waiting for an answer."""
        return from_db_time(
            self._scalar(
                "SELECT min(deadline) FROM messages WHERE thread_id = ? AND direction = 'inbound'"
                " AND received_at >= ? AND deadline IS NOT NULL",
                (thread_id, to_db_time(since)),
            )
        )

    def sla_transitions(self, now: datetime, *, limit: int = 10_000) -> list[dict[str, Any]]:
        """Open threads whose SLA state is behind the clock: due soon or breached by now.

        Both conditions are range scans on partial indexes (threads_sla_ok,
        threads_sla_unbreached), so a sweep costs what changed, not the size
        of the store. Keep the WHERE terms exactly as the indexes state them,
        or SQLite stops using them.
        """
        stamp = to_db_time(now)
        return self._rows(
            "SELECT id, mailbox, clock_started_at, due_at, due_soon_at, sla_state FROM threads"
            " WHERE state = 'open' AND due_soon_at <= ? AND coalesce(sla_state, 'ok') = 'ok'"
            " UNION SELECT id, mailbox, clock_started_at, due_at, due_soon_at, sla_state FROM threads"
            " WHERE state = 'open' AND due_at < ? AND coalesce(sla_state, 'ok') != 'breached'"
            " LIMIT ?",
            (stamp, stamp, limit),
        )

    def notice_keys(self, thread_id: int) -> set[str]:
        return {r["key"] for r in self._rows("SELECT key FROM sla_notices WHERE thread_id = ?", (thread_id,))}

    def record_notice(
        self, *, key: str, thread_id: int, started_at: datetime, level: str, recipients: list[str]
    ) -> bool:
        """Remember a notice (once per key); returns False if it was already there."""
        with self.transaction() as db:
            cursor = db.execute(
                "INSERT OR IGNORE INTO sla_notices(key, thread_id, clock_started_at, level, recipients,"
                " created_at) VALUES (?,?,?,?,?,?)",
                (
                    key,
                    thread_id,
                    to_db_time(started_at),
                    level,
                    to_json(recipients),
                    to_db_time(datetime.now(UTC)),
                ),
            )
            return cursor.rowcount == 1

    def thread_count(self) -> int:
        return int(self._scalar("SELECT count(*) FROM threads"))

    def threads_with_open_clock(self) -> list[int]:
        return [row["id"] for row in self._rows("SELECT id FROM threads WHERE state = 'open'")]

    @staticmethod
    def subject_window_start(received_at: datetime, days: int = 30) -> datetime:
        """How far back the subject fallback looks for a thread to join."""
        return received_at - timedelta(days=days)
