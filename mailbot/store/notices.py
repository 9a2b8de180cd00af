"""Internal e-mail of the response policy: SLA escalation notices and the daily digest.

Both are "one message to a list of colleagues" and go through the same
bookkeeping, kept per recipient so a retry never sends a copy twice to
someone who already has one:

- ``delivered_to``: recipients whose copy the SMTP server accepted (or may
  have accepted: a connection lost during DATA is never retried).
- ``refused_to``: recipients the server refused for good (5xx).
- ``attempts`` / ``last_error``: temporary trouble, retried on the next run;
  ``last_error`` also lets a problem that repeats every run (a mailbox
  without SMTP settings) be logged once instead of every run.
- ``sent_at``: set once nobody is left to try and at least one copy went
  out (or the notice had no recipients); ``dropped_at``: closed without a
  copy accepted (every recipient refused, or a notice outdated before it
  could go out). Either one ends the row's life: it is never tried again.

The notice rows are written by the SLA sweep (``record_notice``, migration
``0001``); migration ``0004_notice_digests`` adds the delivery columns and
the ``digests`` table, one row per local day, so a restart never sends a
second digest for the same day.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, Literal

from sqlite_utils import Database

from mailbot.store.base import StoreBase, from_json, to_db_time, to_json
from mailbot.store.schema import migrations, run_script

#: Which internal mail a bookkeeping call is about.
MailKind = Literal["notice", "digest"]

_TABLES: dict[MailKind, tuple[str, str]] = {"notice": ("sla_notices", "key"), "digest": ("digests", "day")}


@migrations(name="0004_notice_digests")
def _notice_digests(db: Database) -> None:
    run_script(
        db,
        """
        ALTER TABLE sla_notices ADD COLUMN delivered_to TEXT NOT NULL DEFAULT '[]';
        ALTER TABLE sla_notices ADD COLUMN refused_to TEXT NOT NULL DEFAULT '[]';
        ALTER TABLE sla_notices ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE sla_notices ADD COLUMN last_error TEXT;
        ALTER TABLE sla_notices ADD COLUMN dropped_at TEXT;
        CREATE INDEX sla_notices_unsent ON sla_notices(created_at)
            WHERE sent_at IS NULL AND dropped_at IS NULL;

        CREATE TABLE digests (
            day TEXT PRIMARY KEY,
            mailbox TEXT NOT NULL,
            recipients TEXT NOT NULL,
            subject TEXT NOT NULL,
            body TEXT NOT NULL,
            created_at TEXT NOT NULL,
            delivered_to TEXT NOT NULL DEFAULT '[]',
            refused_to TEXT NOT NULL DEFAULT '[]',
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            sent_at TEXT,
            dropped_at TEXT
        );
        """,
    )


def _decoded(row: dict[str, Any]) -> dict[str, Any]:
    for name in ("recipients", "delivered_to", "refused_to"):
        row[name] = from_json(row[name], [])
    return row


class NoticeQueries(StoreBase):
    """Unsent notices and digests, and what each delivery attempt achieved."""

    def unsent_notices(self, *, limit: int = 200) -> list[dict[str, Any]]:
        """Notices still to send, oldest first, with what the e-mail tells about the thread.

        ``thread_clock_started_at`` is the thread's clock *now*; it differs
        from the notice's ``clock_started_at`` once the thread was answered
        or a new clock started.
        """
        return [
            _decoded(row)
            for row in self._rows(
                "SELECT n.key, n.thread_id, n.clock_started_at, n.level, n.recipients, n.created_at,"
                " n.delivered_to, n.refused_to, n.attempts, n.last_error,"
                " t.mailbox, t.subject, t.customer, t.customer_name, t.state AS thread_state,"
                " t.clock_started_at AS thread_clock_started_at, t.due_at"
                " FROM sla_notices n JOIN threads t ON t.id = n.thread_id"
                " WHERE n.sent_at IS NULL AND n.dropped_at IS NULL"
                " ORDER BY n.created_at, n.key LIMIT ?",
                (limit,),
            )
        ]

    def notice(self, key: str) -> dict[str, Any] | None:
        row = self._one("SELECT * FROM sla_notices WHERE key = ?", (key,))
        return None if row is None else _decoded(row)

    def record_digest(
        self, *, day: str, mailbox: str, recipients: list[str], subject: str, body: str, now: datetime
    ) -> bool:
        """Remember the digest of a local day (once); False if that day already has one."""
        with self.transaction() as db:
            cursor = db.execute(
                "INSERT OR IGNORE INTO digests(day, mailbox, recipients, subject, body, created_at)"
                " VALUES (?,?,?,?,?,?)",
                (day, mailbox, to_json(recipients), subject, body, to_db_time(now)),
            )
            return cursor.rowcount == 1

    def digest(self, day: str) -> dict[str, Any] | None:
        row = self._one("SELECT * FROM digests WHERE day = ?", (day,))
        return None if row is None else _decoded(row)

    def unsent_digests(self) -> list[dict[str, Any]]:
        return [
            _decoded(row)
            for row in self._rows(
                "SELECT * FROM digests WHERE sent_at IS NULL AND dropped_at IS NULL ORDER BY day"
            )
        ]

    def record_mail_attempt(
        self,
        kind: MailKind,
        key: str,
        *,
        delivered: Iterable[str],
        refused: Iterable[str],
        error: str | None,
    ) -> None:
        """One run's outcome for one notice/digest: recipients done, and the temporary error if any."""
        table, column = _TABLES[kind]
        with self.transaction() as db:
            row = db.execute(
                f"SELECT delivered_to, refused_to FROM {table} WHERE {column} = ?", (key,)
            ).fetchone()
            if row is None:
                return
            done = list(dict.fromkeys([*from_json(row[0], []), *delivered]))
            failed = list(dict.fromkeys([*from_json(row[1], []), *refused]))
            db.execute(
                f"UPDATE {table} SET delivered_to = ?, refused_to = ?, attempts = attempts + 1,"
                f" last_error = ? WHERE {column} = ?",
                (to_json(done), to_json(failed), error, key),
            )

    def close_mail(
        self, kind: MailKind, key: str, *, now: datetime, sent: bool, reason: str | None = None
    ) -> None:
        """End a notice's/digest's life: ``sent_at`` when sent, else ``dropped_at`` with the reason."""
        table, column = _TABLES[kind]
        stamp = "sent_at" if sent else "dropped_at"
        with self.transaction() as db:
            db.execute(
                f"UPDATE {table} SET {stamp} = ?, last_error = coalesce(?, last_error)"
                f" WHERE {column} = ? AND sent_at IS NULL AND dropped_at IS NULL",
                (to_db_time(now), reason, key),
            )

    def note_mail_problem(self, kind: MailKind, key: str, problem: str) -> bool:
        """Remember why a row cannot be tried now; True only when that is news (log it then)."""
        table, column = _TABLES[kind]
        with self.transaction() as db:
            cursor = db.execute(
                f"UPDATE {table} SET last_error = ? WHERE {column} = ? AND last_error IS NOT ?",
                (problem, key, problem),
            )
            return cursor.rowcount == 1
