"""Messages: raw bytes first, then each stage's result, errors kept beside them."""

from __future__ import annotations

import hashlib
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from mailbot.errors import NotFoundError
from mailbot.model import (
    Channel,
    Classification,
    Direction,
    ParsedMessage,
    RawMessage,
    Stage,
    StoredMessage,
)
from mailbot.store.base import StoreBase, from_db_time, from_json, to_db_time, to_json


def _now() -> str:
    return to_db_time(datetime.now(UTC))


def _stored(row: dict[str, Any]) -> StoredMessage:
    received = from_db_time(row["received_at"])
    assert received is not None
    return StoredMessage(
        id=row["id"],
        sha256=row["sha256"],
        source=row["source"],
        source_ref=row["source_ref"],
        channel=Channel(row["channel"]),
        received_at=received,
        stage=Stage(row["stage"]),
        direction=Direction(row["direction"]),
        error=row["error"],
        error_stage=row["error_stage"],
        attempts=row["attempts"],
        thread_id=row["thread_id"],
        message_id=row["message_id"],
        subject=row["subject"],
        sender=row["sender"],
        sender_name=row["sender_name"],
        new_text=row["new_text"],
        language=row["language"],
        intent=row["intent"],
        confidence=row["confidence"],
        needs_triage=bool(row["needs_triage"]),
        is_auto=bool(row["is_auto"]),
        extra={"mailbox": row["mailbox"]},
    )


_SUMMARY_COLUMNS = (
    "id, sha256, source, source_ref, mailbox, channel, direction, received_at, stage, error, error_stage,"
    " attempts, thread_id, message_id, subject, sender, sender_name, new_text, language, intent,"
    " confidence, needs_triage, is_auto"
)


class MessageQueries(StoreBase):
    """Ingest and per-stage persistence of messages."""

    def store_raw(self, raw: RawMessage, *, mailbox: str) -> tuple[int, bool]:
        """Store raw bytes (once per content hash) and note the source item.

        Returns the message id and whether it was new. Idempotent: storing
        the same bytes again, from any source, creates nothing new.
        """
        sha = hashlib.sha256(raw.data).hexdigest()
        now = _now()
        with self.durable_transaction() as db:
            db.execute(
                "INSERT OR IGNORE INTO source_items(source, ref, sha256, seen_at) VALUES (?,?,?,?)",
                (raw.source, raw.source_ref, sha, now),
            )
            existing = db.execute("SELECT id FROM messages WHERE sha256 = ?", (sha,)).fetchone()
            if existing:
                return int(existing[0]), False
            db.execute(
                "INSERT OR IGNORE INTO raw_messages(sha256, data, size) VALUES (?,?,?)",
                (sha, raw.data, len(raw.data)),
            )
            cursor = db.execute(
                "INSERT INTO messages(sha256, source, source_ref, mailbox, channel, received_at, stage,"
                " updated_at) VALUES (?,?,?,?,?,?,?,?)",
                (
                    sha,
                    raw.source,
                    raw.source_ref,
                    mailbox,
                    raw.channel.value,
                    to_db_time(raw.received_at),
                    Stage.STORED.value,
                    now,
                ),
            )
            return int(cursor.lastrowid or 0), True

    def record_poll(self, source: str, *, at: datetime, error: str | None = None) -> None:
        """Note that a source was polled (and whether it failed), for the admin's health page."""
        stamp = to_db_time(at)
        with self.transaction() as db:
            db.execute("INSERT OR IGNORE INTO source_health(source) VALUES (?)", (source,))
            if error is None:
                db.execute(
                    "UPDATE source_health SET last_poll_at = ?, last_ok_at = ? WHERE source = ?",
                    (stamp, stamp, source),
                )
            else:
                db.execute(
                    "UPDATE source_health SET last_poll_at = ?, last_error = ?, last_error_at = ?"
                    " WHERE source = ?",
                    (stamp, error[:1000], stamp, source),
                )

    def source_health(self) -> dict[str, dict[str, Any]]:
        """Per source: when it was last polled, last succeeded, and its last error."""
        rows = self._rows("SELECT * FROM source_health")
        return {
            row["source"]: {
                "last_poll_at": from_db_time(row["last_poll_at"]),
                "last_ok_at": from_db_time(row["last_ok_at"]),
                "last_error": row["last_error"],
                "last_error_at": from_db_time(row["last_error_at"]),
            }
            for row in rows
        }

    def source_hashes(self, source: str) -> set[str]:
        """Content hashes a source has already handed over (its bookkeeping)."""
        return {
            row["sha256"] for row in self._rows("SELECT sha256 FROM source_items WHERE source = ?", (source,))
        }

    def has_hash(self, sha256: str) -> bool:
        return self._scalar("SELECT 1 FROM messages WHERE sha256 = ?", (sha256,)) is not None

    def raw_bytes(self, message_id: int) -> bytes:
        data = self._scalar(
            "SELECT r.data FROM raw_messages r JOIN messages m ON m.sha256 = r.sha256 WHERE m.id = ?",
            (message_id,),
        )
        if data is None:
            raise NotFoundError(f"message {message_id} does not exist")
        return bytes(data)

    def message(self, message_id: int) -> StoredMessage:
        row = self._one(f"SELECT {_SUMMARY_COLUMNS} FROM messages WHERE id = ?", (message_id,))
        if row is None:
            raise NotFoundError(f"message {message_id} does not exist")
        return _stored(row)

    def message_detail(self, message_id: int) -> dict[str, Any]:
        """Every stored field of a message (for `show` and the UI), JSON decoded."""
        row = self._one("SELECT * FROM messages WHERE id = ?", (message_id,))
        if row is None:
            raise NotFoundError(f"message {message_id} does not exist")
        for key in ("refs", "recipients", "attachments", "defects", "ranked", "entities", "postal_address"):
            row[key] = from_json(row[key], [])
        return row

    def pending(self, *, limit: int = 500, max_attempts: int = 5) -> list[StoredMessage]:
        """Messages not yet through the pipeline whose errors may be retried automatically."""
        rows = self._rows(
            f"SELECT {_SUMMARY_COLUMNS} FROM messages WHERE stage != ? AND (error IS NULL OR attempts < ?)"
            " ORDER BY id LIMIT ?",
            (Stage.CHECKED.value, max_attempts, limit),
        )
        return [_stored(row) for row in rows]

    def count_by_stage(self) -> dict[str, int]:
        return {
            row["stage"]: row["n"]
            for row in self._rows("SELECT stage, count(*) AS n FROM messages GROUP BY stage")
        }

    def advance(self, message_id: int, stage: Stage, fields: dict[str, Any] | None = None) -> None:
        """Persist a stage's result and its new state in one step; clears the error."""
        values = dict(fields or {})
        values.update(stage=stage.value, error=None, error_stage=None, updated_at=_now())
        assignments = ", ".join(f"{name} = ?" for name in values)
        with self.transaction() as db:
            db.execute(
                f"UPDATE messages SET {assignments} WHERE id = ?",  # names come from code, not input
                (*values.values(), message_id),
            )

    def record_error(self, message_id: int, stage: Stage, error: str) -> None:
        """Keep the message, note what failed; it shows in `mailbot errors`."""
        with self.transaction() as db:
            db.execute(
                "UPDATE messages SET error = ?, error_stage = ?, attempts = attempts + 1, updated_at = ?"
                " WHERE id = ?",
                (error[:4000], stage.value, _now(), message_id),
            )

    def errors(self) -> list[StoredMessage]:
        rows = self._rows(f"SELECT {_SUMMARY_COLUMNS} FROM messages WHERE error IS NOT NULL ORDER BY id")
        return [_stored(row) for row in rows]

    def clear_errors(self, message_ids: list[int] | None = None) -> int:
        """Make failed messages eligible again (attempts reset); returns how many."""
        with self.transaction() as db:
            if message_ids is None:
                cursor = db.execute(
                    "UPDATE messages SET error = NULL, error_stage = NULL, attempts = 0"
                    " WHERE error IS NOT NULL"
                )
            else:
                marks = ",".join("?" * len(message_ids))
                cursor = db.execute(
                    f"UPDATE messages SET error = NULL, error_stage = NULL, attempts = 0"
                    f" WHERE error IS NOT NULL AND id IN ({marks})",
                    message_ids,
                )
            return int(cursor.rowcount)

    def reset_stage(self, message_ids: list[int], stage: Stage) -> int:
        """Send messages back to an earlier stage so later stages re-run."""
        marks = ",".join("?" * len(message_ids))
        with self.transaction() as db:
            cursor = db.execute(
                f"UPDATE messages SET stage = ?, error = NULL, error_stage = NULL, attempts = 0"
                f" WHERE id IN ({marks})",
                (stage.value, *message_ids),
            )
            return int(cursor.rowcount)

    @staticmethod
    def parsed_fields(parsed: ParsedMessage, subject_key: str) -> dict[str, Any]:
        """Columns the parse stage fills."""
        sender = parsed.sender
        return {
            "message_id": parsed.message_id,
            "in_reply_to": parsed.in_reply_to,
            "refs": to_json(list(parsed.references)),
            "subject": parsed.subject,
            "subject_key": subject_key,
            "sender": sender.addr if sender else None,
            "sender_name": sender.name if sender else None,
            "reply_to": parsed.reply_to.addr if parsed.reply_to else None,
            "recipients": to_json([a.addr for a in (*parsed.to, *parsed.cc)]),
            "sent_date": to_db_time(parsed.date) if parsed.date else None,
            "body_text": parsed.body_text,
            "new_text": parsed.new_text,
            "quoted_text": parsed.quoted_text,
            "signature": parsed.signature,
            "html": parsed.html,
            "attachments": to_json([asdict(a) for a in parsed.attachments]),
            "defects": to_json(list(parsed.defects)),
            "postal_address": to_json(list(parsed.postal_address)),
            "ocr_confidence": parsed.ocr_confidence,
            "is_auto": int(parsed.is_auto),
            "auto_reason": parsed.auto_reason,
        }

    @staticmethod
    def classified_fields(result: Classification) -> dict[str, Any]:
        """Columns the classify stage fills."""
        return {
            "language": result.language,
            "language_confidence": result.language_confidence,
            "intent": result.intent,
            "confidence": result.confidence,
            "ranked": to_json([list(pair) for pair in result.ranked]),
            "needs_triage": int(result.needs_triage),
            "entities": to_json([asdict(e) for e in result.entities]),
            "deadline": to_db_time(result.deadline) if result.deadline else None,
        }
