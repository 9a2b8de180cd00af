"""The outbox table: one row per approved reply, a state machine that never sends twice.

States (migration ``0003_outbox``)::

    queued ──► sending ──► sent
      ▲  │        │ ├────► failed ──(enqueue again)──► queued
      │  │        │ └────► unknown ──(a person)──► sent | queued
      │  └────────┼──────► failed        (connection failures, attempts used up)
      └───────────┘ temporary error: back to queued with next_attempt_at

Why each rule exists:

- The MIME bytes and the Message-ID are written when the reply is queued,
  so every attempt sends identical bytes; triggers refuse to change the
  Message-ID ever, or the bytes except when re-arming a ``failed`` row.
- ``sending`` is committed (durably) *before* the first byte goes to the
  SMTP server. A row found in ``sending`` after a crash may or may not have
  been delivered, so it is never sent again automatically: the outbox looks
  in the Sent folder or marks it ``unknown`` for a person.
- A trigger refuses every transition not drawn above, so no code path can
  take a ``sent`` reply back to ``queued``.
- One row per draft (``UNIQUE(draft_id)``): queueing the same draft twice
  returns the same row.
- ``followup`` tracks the after-send chores (copy to Sent, ``\\Answered``
  on the customer's message), which may fail and be retried without ever
  touching the delivery state.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlite_utils import Database

from mailbot.errors import MailbotError, NotFoundError
from mailbot.mail.compose import Reply, check_address, compose_reply, new_message_id, reply_threading
from mailbot.model import Address, Channel
from mailbot.store.base import StoreBase, from_db_time, to_db_time
from mailbot.store.schema import migrations, run_script


class OutboxState(StrEnum):
    """Where a queued reply stands; see the module docstring for the transitions."""

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    UNKNOWN = "unknown"


class Followup(StrEnum):
    """After-send chores (Sent copy, ``\\Answered``): never part of the delivery state."""

    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"


#: Every transition the state machine allows, as ``old>new``.
TRANSITIONS = frozenset(
    {
        "queued>sending",
        "queued>queued",
        "queued>failed",
        "sending>sent",
        "sending>queued",
        "sending>failed",
        "sending>unknown",
        "unknown>sent",
        "unknown>queued",
        "failed>queued",
    }
)


@migrations(name="0003_outbox")
def _outbox(db: Database) -> None:
    allowed = ", ".join(f"'{t}'" for t in sorted(TRANSITIONS))
    states = ", ".join(f"'{s.value}'" for s in OutboxState)
    run_script(
        db,
        f"""
        CREATE TABLE outbox (
            id INTEGER PRIMARY KEY,
            draft_id INTEGER NOT NULL UNIQUE REFERENCES drafts(id),
            thread_id INTEGER NOT NULL REFERENCES threads(id),
            mailbox TEXT NOT NULL,
            channel TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ({states})),
            message_id TEXT NOT NULL UNIQUE,
            envelope_from TEXT NOT NULL,
            to_addr TEXT NOT NULL,
            subject TEXT NOT NULL,
            raw BLOB NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT NOT NULL,
            last_error TEXT,
            last_code INTEGER,
            smtp_response TEXT,
            created_by TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            sending_since TEXT,
            sent_at TEXT,
            sent_message_id INTEGER REFERENCES messages(id),
            followup TEXT,
            followup_attempts INTEGER NOT NULL DEFAULT 0,
            followup_next_at TEXT,
            followup_error TEXT
        );
        CREATE INDEX outbox_due ON outbox(state, next_attempt_at);
        CREATE INDEX outbox_followup ON outbox(followup);
        CREATE TRIGGER outbox_transitions BEFORE UPDATE OF state ON outbox
            WHEN old.state || '>' || new.state NOT IN ({allowed})
            BEGIN SELECT RAISE(ABORT, 'outbox: transition not allowed'); END;
        CREATE TRIGGER outbox_message_id_fixed BEFORE UPDATE OF message_id ON outbox
            WHEN new.message_id != old.message_id
            BEGIN SELECT RAISE(ABORT, 'outbox: the Message-ID of a queued reply never changes'); END;
        CREATE TRIGGER outbox_bytes_fixed BEFORE UPDATE OF raw ON outbox
            WHEN old.state != 'failed' AND new.raw != old.raw
            BEGIN SELECT RAISE(ABORT, 'outbox: the bytes change only when a failed reply is re-queued'); END;
        """,
    )


class OutboxError(MailbotError):
    """An outbox row is not in the state an operation needs (or cannot be queued)."""


@dataclass(frozen=True)
class OutboxItem:
    """One queued reply as stored."""

    id: int
    draft_id: int
    thread_id: int
    mailbox: str
    channel: str
    state: OutboxState
    message_id: str
    envelope_from: str
    to_addr: str
    subject: str
    raw: bytes
    attempts: int
    next_attempt_at: datetime
    created_by: str
    created_at: datetime
    last_error: str | None = None
    last_code: int | None = None
    smtp_response: str | None = None
    sending_since: datetime | None = None
    sent_at: datetime | None = None
    sent_message_id: int | None = None
    followup: Followup | None = None
    followup_attempts: int = 0
    followup_next_at: datetime | None = None
    followup_error: str | None = None


def _item(row: dict[str, Any]) -> OutboxItem:
    def when(name: str) -> datetime:
        value = from_db_time(row[name])
        assert value is not None
        return value

    return OutboxItem(
        id=row["id"],
        draft_id=row["draft_id"],
        thread_id=row["thread_id"],
        mailbox=row["mailbox"],
        channel=row["channel"],
        state=OutboxState(row["state"]),
        message_id=row["message_id"],
        envelope_from=row["envelope_from"],
        to_addr=row["to_addr"],
        subject=row["subject"],
        raw=bytes(row["raw"]),
        attempts=row["attempts"],
        next_attempt_at=when("next_attempt_at"),
        created_by=row["created_by"],
        created_at=when("created_at"),
        last_error=row["last_error"],
        last_code=row["last_code"],
        smtp_response=row["smtp_response"],
        sending_since=from_db_time(row["sending_since"]),
        sent_at=from_db_time(row["sent_at"]),
        sent_message_id=row["sent_message_id"],
        followup=None if row["followup"] is None else Followup(row["followup"]),
        followup_attempts=row["followup_attempts"],
        followup_next_at=from_db_time(row["followup_next_at"]),
        followup_error=row["followup_error"],
    )


class OutboxQueries(StoreBase):
    """Queueing replies and moving them through the outbox states, one guarded UPDATE each."""

    def enqueue_outbox(
        self,
        *,
        draft_id: int,
        thread_id: int,
        mailbox: str,
        channel: str,
        to_addr: str,
        to_name: str | None,
        subject: str,
        text: str,
        in_reply_to: str | None,
        references: list[str],
        actor: str,
        sender: Address,
        html: str | None = None,
        now: datetime | None = None,
    ) -> int:
        """Queue a reply: build its MIME bytes with a fresh, fixed Message-ID; return the outbox id.

        Idempotent per draft: while the draft's row is queued, sending, sent
        or unknown, the existing id is returned and nothing changes. A row
        that ``failed`` (nothing was delivered) is re-armed in place with the
        new text, the same Message-ID and fresh attempts. ``sender`` is the
        mailbox's From address (see ``mailbot.outbox.reply_sender``). Raises
        :class:`~mailbot.mail.compose.HeaderError` for an unsafe header value
        or address, :class:`OutboxError` for a channel other than e-mail.
        """
        if channel != Channel.EMAIL.value:
            raise OutboxError(f"draft {draft_id}: the e-mail outbox cannot send a {channel!r} reply")
        at = now or datetime.now(UTC)
        stamp = to_db_time(at)
        with self.transaction() as db:
            row = db.execute(
                "SELECT id, state, message_id FROM outbox WHERE draft_id = ?", (draft_id,)
            ).fetchone()
            if row is not None and row[1] != OutboxState.FAILED.value:
                return int(row[0])
            owner = db.execute("SELECT thread_id FROM drafts WHERE id = ?", (draft_id,)).fetchone()
            if owner is None:
                raise NotFoundError(f"draft {draft_id} does not exist")
            if int(owner[0]) != thread_id:
                raise OutboxError(f"draft {draft_id} belongs to thread {owner[0]}, not {thread_id}")
            message_id = row[2] if row is not None else new_message_id(sender.addr, secrets.token_hex(16))
            parent, refs = reply_threading(in_reply_to, references)
            reply = Reply(
                sender=sender,
                to=Address(to_name or "", to_addr),
                subject=subject,
                text=text,
                message_id=message_id,
                date=at,
                in_reply_to=parent,
                references=refs,
                html=html,
            )
            raw = compose_reply(reply)
            # The envelope uses the addresses as checked (IDNA domains): SMTP without SMTPUTF8 is ASCII.
            to_addr, envelope_from = (
                check_address(to_addr, what="To"),
                check_address(sender.addr, what="From"),
            )
            if row is not None:
                db.execute(
                    "UPDATE outbox SET state = 'queued', raw = ?, to_addr = ?, subject = ?, attempts = 0,"
                    " next_attempt_at = ?, last_error = NULL, last_code = NULL, smtp_response = NULL,"
                    " created_by = ?, updated_at = ?, sending_since = NULL WHERE id = ?",
                    (raw, to_addr, subject, stamp, actor, stamp, row[0]),
                )
                return int(row[0])
            cursor = db.execute(
                "INSERT INTO outbox(draft_id, thread_id, mailbox, channel, state, message_id, envelope_from,"
                " to_addr, subject, raw, next_attempt_at, created_by, created_at, updated_at)"
                " VALUES (?,?,?,?,'queued',?,?,?,?,?,?,?,?,?)",
                (
                    draft_id,
                    thread_id,
                    mailbox,
                    channel,
                    message_id,
                    envelope_from,
                    to_addr,
                    subject,
                    raw,
                    stamp,
                    actor,
                    stamp,
                    stamp,
                ),
            )
            return int(cursor.lastrowid or 0)

    # -- reading -------------------------------------------------------------

    def outbox_item(self, outbox_id: int) -> OutboxItem:
        row = self._one("SELECT * FROM outbox WHERE id = ?", (outbox_id,))
        if row is None:
            raise NotFoundError(f"outbox item {outbox_id} does not exist")
        return _item(row)

    def outbox_for_draft(self, draft_id: int) -> OutboxItem | None:
        row = self._one("SELECT * FROM outbox WHERE draft_id = ?", (draft_id,))
        return None if row is None else _item(row)

    def outbox_items(
        self, *, states: Iterable[OutboxState] | None = None, limit: int = 200
    ) -> list[OutboxItem]:
        """Rows in the given states (all when None), oldest first."""
        wanted = [s.value for s in states] if states is not None else [s.value for s in OutboxState]
        marks = ",".join("?" * len(wanted))
        rows = self._rows(
            f"SELECT * FROM outbox WHERE state IN ({marks}) ORDER BY id LIMIT ?", (*wanted, limit)
        )
        return [_item(row) for row in rows]

    def outbox_due(self, now: datetime, *, limit: int = 500) -> list[OutboxItem]:
        """Queued e-mail replies whose next attempt is due, oldest first."""
        rows = self._rows(
            "SELECT * FROM outbox WHERE state = 'queued' AND next_attempt_at <= ? AND channel = 'email'"
            " ORDER BY next_attempt_at, id LIMIT ?",
            (to_db_time(now), limit),
        )
        return [_item(row) for row in rows]

    def outbox_followups_due(self, now: datetime, *, max_attempts: int, limit: int = 100) -> list[OutboxItem]:
        """Sent replies whose Sent copy / ``\\Answered`` flag is still to do, and due again."""
        rows = self._rows(
            "SELECT * FROM outbox WHERE followup IN ('pending', 'failed') AND followup_attempts < ?"
            " AND (followup_next_at IS NULL OR followup_next_at <= ?) ORDER BY id LIMIT ?",
            (max_attempts, to_db_time(now), limit),
        )
        return [_item(row) for row in rows]

    def outbox_counts(self) -> dict[str, int]:
        return {
            row["state"]: row["n"]
            for row in self._rows("SELECT state, count(*) AS n FROM outbox GROUP BY state")
        }

    def outbox_replied_message(self, outbox_id: int) -> tuple[str, str] | None:
        """(content hash, source) of the customer message the reply answers."""
        row = self._one(
            "SELECT m.sha256, m.source FROM outbox o JOIN drafts d ON d.id = o.draft_id"
            " JOIN messages m ON m.id = d.message_id WHERE o.id = ?",
            (outbox_id,),
        )
        return None if row is None else (str(row["sha256"]), str(row["source"]))

    # -- transitions -----------------------------------------------------------

    def _move(
        self,
        outbox_id: int,
        old: tuple[OutboxState, ...],
        new: OutboxState,
        fields: dict[str, Any],
        *,
        count_attempt: bool = False,
    ) -> None:
        """One guarded UPDATE: only from ``old``; raises OutboxError when the row is elsewhere."""
        values = {"state": new.value, **fields}
        assignments = ", ".join(f"{name} = ?" for name in values)  # names come from code
        if count_attempt:
            assignments += ", attempts = attempts + 1"
        marks = ",".join("?" * len(old))
        with self.transaction() as db:
            cursor = db.execute(
                f"UPDATE outbox SET {assignments} WHERE id = ? AND state IN ({marks})",
                (*values.values(), outbox_id, *(s.value for s in old)),
            )
            if cursor.rowcount != 1:
                state = db.execute("SELECT state FROM outbox WHERE id = ?", (outbox_id,)).fetchone()
                where = "does not exist" if state is None else f"is {state[0]}"
                raise OutboxError(
                    f"outbox item {outbox_id} {where}; expected {'/'.join(s.value for s in old)}"
                )

    def claim_outbox(self, outbox_id: int, *, now: datetime) -> bool:
        """queued -> sending, one attempt more; False when another worker got there first."""
        stamp = to_db_time(now)
        with self.durable_transaction() as db:  # on disk before the first byte goes out
            cursor = db.execute(
                "UPDATE outbox SET state = 'sending', attempts = attempts + 1, sending_since = ?,"
                " updated_at = ? WHERE id = ? AND state = 'queued'",
                (stamp, stamp, outbox_id),
            )
            return cursor.rowcount == 1

    def defer_outbox(
        self,
        outbox_id: int,
        *,
        now: datetime,
        next_attempt_at: datetime,
        error: str,
        code: int | None,
        claimed: bool,
    ) -> None:
        """A temporary failure: back to queued until ``next_attempt_at``.

        ``claimed`` says whether the row was moved to sending first; a
        failure before that (no connection) still uses up an attempt.
        """
        fields = {
            "next_attempt_at": to_db_time(next_attempt_at),
            "last_error": error[:2000],
            "last_code": code,
            "sending_since": None,
            "updated_at": to_db_time(now),
        }
        if claimed:
            self._move(outbox_id, (OutboxState.SENDING,), OutboxState.QUEUED, fields)
        else:
            self._move(outbox_id, (OutboxState.QUEUED,), OutboxState.QUEUED, fields, count_attempt=True)

    def fail_outbox(self, outbox_id: int, *, now: datetime, error: str, code: int | None) -> None:
        """Nothing was delivered and nothing more will be tried: a person must act."""
        self._move(
            outbox_id,
            (OutboxState.SENDING, OutboxState.QUEUED),
            OutboxState.FAILED,
            {
                "last_error": error[:2000],
                "last_code": code,
                "sending_since": None,
                "updated_at": to_db_time(now),
            },
        )

    def mark_outbox_unknown(self, outbox_id: int, *, now: datetime, reason: str) -> None:
        """Maybe delivered, maybe not: never retried automatically."""
        self._move(
            outbox_id,
            (OutboxState.SENDING,),
            OutboxState.UNKNOWN,
            {"last_error": reason[:2000], "updated_at": to_db_time(now)},
        )

    def mark_outbox_sent(
        self,
        outbox_id: int,
        *,
        now: datetime,
        response: str,
        sent_message_id: int,
        followup: Followup | None,
    ) -> None:
        """Delivered (or a person confirmed it was); ``sent_message_id`` is the stored copy."""
        self._move(
            outbox_id,
            (OutboxState.SENDING, OutboxState.UNKNOWN),
            OutboxState.SENT,
            {
                "smtp_response": response[:2000],
                "sent_at": to_db_time(now),
                "sent_message_id": sent_message_id,
                "followup": None if followup is None else followup.value,
                "updated_at": to_db_time(now),
            },
        )

    def requeue_outbox(self, outbox_id: int, *, now: datetime) -> None:
        """A person decided an ``unknown`` reply was not delivered: send the same bytes again."""
        stamp = to_db_time(now)
        self._move(
            outbox_id,
            (OutboxState.UNKNOWN,),
            OutboxState.QUEUED,
            {"next_attempt_at": stamp, "sending_since": None, "updated_at": stamp},
        )

    def record_followup(
        self, outbox_id: int, *, now: datetime, error: str | None, retry_at: datetime | None = None
    ) -> None:
        """Outcome of the after-send chores: done (no error), or failed and tried again at ``retry_at``."""
        stamp = to_db_time(now)
        with self.transaction() as db:
            db.execute(
                "UPDATE outbox SET followup = ?, followup_error = ?,"
                " followup_attempts = followup_attempts + 1, followup_next_at = ?, updated_at = ?"
                " WHERE id = ? AND state = 'sent'",
                (
                    (Followup.DONE if error is None else Followup.FAILED).value,
                    None if error is None else error[:2000],
                    None if retry_at is None else to_db_time(retry_at),
                    stamp,
                    outbox_id,
                ),
            )
