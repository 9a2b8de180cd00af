"""The store's schema as named forward migrations.

Migrations are recorded by sqlite-utils in ``_sqlite_migrations`` and run at
every start; each runs in its own transaction. Never edit a migration that
has shipped: add a new one.
"""

from __future__ import annotations

import sqlite3

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("mailbot")


def run_script(db: Database, script: str) -> None:
    """Run SQL statements one by one inside the migration's transaction.

    ``executescript`` would COMMIT the surrounding transaction first, so a
    failing migration could leave half a schema behind.
    """
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            db.execute(statement)
            statement = ""
    if statement.strip():
        raise ValueError(f"incomplete SQL statement in migration: {statement.strip()[:80]}")


@migrations(name="0001_initial")
def _initial(db: Database) -> None:
    run_script(
        db,
        """
        CREATE TABLE raw_messages (
            sha256 TEXT PRIMARY KEY,
            data BLOB NOT NULL,
            size INTEGER NOT NULL
        );
        CREATE TABLE messages (
            id INTEGER PRIMARY KEY,
            sha256 TEXT NOT NULL UNIQUE REFERENCES raw_messages(sha256),
            source TEXT NOT NULL,
            source_ref TEXT NOT NULL,
            mailbox TEXT NOT NULL,
            channel TEXT NOT NULL,
            direction TEXT NOT NULL DEFAULT 'inbound',
            received_at TEXT NOT NULL,
            stage TEXT NOT NULL,
            error TEXT,
            error_stage TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            updated_at TEXT NOT NULL,
            message_id TEXT,
            in_reply_to TEXT,
            refs TEXT,
            subject TEXT,
            subject_key TEXT,
            sender TEXT,
            sender_name TEXT,
            reply_to TEXT,
            recipients TEXT,
            sent_date TEXT,
            body_text TEXT,
            new_text TEXT,
            quoted_text TEXT,
            signature TEXT,
            html TEXT,
            attachments TEXT,
            defects TEXT,
            postal_address TEXT,
            ocr_confidence REAL,
            is_auto INTEGER NOT NULL DEFAULT 0,
            auto_reason TEXT,
            thread_id INTEGER REFERENCES threads(id),
            thread_reason TEXT,
            language TEXT,
            language_confidence REAL,
            intent TEXT,
            confidence REAL,
            ranked TEXT,
            needs_triage INTEGER NOT NULL DEFAULT 0,
            entities TEXT,
            deadline TEXT
        );
        CREATE INDEX messages_stage ON messages(stage, error);
        CREATE INDEX messages_message_id ON messages(message_id);
        CREATE INDEX messages_thread ON messages(thread_id, received_at);
        CREATE INDEX messages_subject ON messages(subject_key, sender);

        CREATE TABLE source_items (
            source TEXT NOT NULL,
            ref TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            seen_at TEXT NOT NULL,
            PRIMARY KEY (source, ref, sha256)
        );
        CREATE INDEX source_items_sha ON source_items(source, sha256);

        CREATE TABLE source_health (
            source TEXT PRIMARY KEY,
            last_poll_at TEXT,
            last_ok_at TEXT,
            last_error TEXT,
            last_error_at TEXT
        );

        CREATE TABLE threads (
            id INTEGER PRIMARY KEY,
            mailbox TEXT NOT NULL,
            channel TEXT NOT NULL,
            subject TEXT NOT NULL,
            subject_key TEXT NOT NULL,
            customer TEXT NOT NULL,
            customer_name TEXT,
            state TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            last_message_at TEXT,
            clock_started_at TEXT,
            due_at TEXT,
            due_soon_at TEXT,
            due_reason TEXT,
            sla_state TEXT,
            closed_reason TEXT,
            closed_at TEXT,
            language TEXT,
            intent TEXT,
            needs_triage INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX threads_queue_order ON threads(state, due_at IS NULL, due_at, id);
        CREATE INDEX threads_sla_ok ON threads(due_soon_at)
            WHERE state = 'open' AND coalesce(sla_state, 'ok') = 'ok';
        CREATE INDEX threads_sla_unbreached ON threads(due_at)
            WHERE state = 'open' AND coalesce(sla_state, 'ok') != 'breached';

        CREATE TABLE sla_notices (
            key TEXT PRIMARY KEY,
            thread_id INTEGER NOT NULL REFERENCES threads(id),
            clock_started_at TEXT NOT NULL,
            level TEXT NOT NULL,
            recipients TEXT NOT NULL,
            created_at TEXT NOT NULL,
            sent_at TEXT
        );
        CREATE INDEX sla_notices_thread ON sla_notices(thread_id);
        CREATE INDEX threads_customer ON threads(customer, subject_key);

        CREATE TABLE closings (
            id INTEGER PRIMARY KEY,
            thread_id INTEGER NOT NULL REFERENCES threads(id),
            at TEXT NOT NULL,
            reason TEXT NOT NULL,
            actor TEXT NOT NULL
        );
        CREATE INDEX closings_thread ON closings(thread_id);

        CREATE TABLE postings (
            id INTEGER PRIMARY KEY,
            thread_id INTEGER NOT NULL REFERENCES threads(id),
            draft_id INTEGER NOT NULL UNIQUE REFERENCES drafts(id),
            at TEXT NOT NULL,
            actor TEXT NOT NULL
        );
        CREATE INDEX postings_thread ON postings(thread_id);

        CREATE TABLE drafts (
            id INTEGER PRIMARY KEY,
            thread_id INTEGER NOT NULL REFERENCES threads(id),
            message_id INTEGER NOT NULL REFERENCES messages(id),
            state TEXT NOT NULL,
            language TEXT NOT NULL,
            intent TEXT NOT NULL,
            template TEXT NOT NULL,
            subject TEXT NOT NULL,
            text TEXT NOT NULL,
            template_text TEXT NOT NULL,
            approved_text TEXT,
            approved_by TEXT,
            approval_reason TEXT,
            acknowledged_text TEXT,
            returned_comment TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            UNIQUE (message_id)
        );
        CREATE INDEX drafts_thread ON drafts(thread_id, state);

        CREATE TABLE findings (
            id INTEGER PRIMARY KEY,
            draft_id INTEGER NOT NULL REFERENCES drafts(id),
            rule TEXT NOT NULL,
            category TEXT NOT NULL,
            severity TEXT NOT NULL,
            start INTEGER NOT NULL,
            "end" INTEGER NOT NULL,
            text TEXT NOT NULL,
            message TEXT NOT NULL,
            suggestions TEXT NOT NULL
        );
        CREATE INDEX findings_draft ON findings(draft_id);

        CREATE TABLE users (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            role TEXT NOT NULL,
            password_hash TEXT NOT NULL,
            disabled INTEGER NOT NULL DEFAULT 0,
            failed_logins INTEGER NOT NULL DEFAULT 0,
            locked_until TEXT,
            time_zone TEXT,
            created_at TEXT NOT NULL
        );

        CREATE TABLE corrections (
            id INTEGER PRIMARY KEY,
            message_id INTEGER NOT NULL REFERENCES messages(id),
            language TEXT,
            old_intent TEXT,
            new_intent TEXT NOT NULL,
            actor TEXT NOT NULL,
            at TEXT NOT NULL,
            model_version TEXT
        );
        CREATE INDEX corrections_message ON corrections(message_id);

        CREATE TABLE audit (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            role TEXT NOT NULL,
            action TEXT NOT NULL,
            entity TEXT NOT NULL,
            entity_id INTEGER,
            before TEXT,
            after TEXT,
            detail TEXT
        );
        CREATE INDEX audit_entity ON audit(entity, entity_id);
        CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
            BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
        CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
            BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
        """,
    )
