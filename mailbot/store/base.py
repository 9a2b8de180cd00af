"""Opening the SQLite store: WAL, durability, migrations, one writer at a time.

One :class:`StoreBase` wraps one connection. Calls are serialised with a
re-entrant lock because the daemon reaches the store from the event loop and
from worker threads (IMAP, OCR).

Durability is chosen per kind of write. Storing raw bytes uses
:meth:`durable_transaction` (``synchronous=FULL``: the commit is on disk
before a source is told "stored" and moves a file or flags a message), which
makes "no message is lost" hold across power loss, not only across crashes.
Stage results use ``synchronous=NORMAL``: in WAL mode a crash never corrupts
or reorders them, a power loss can at worst drop the last few, and every
stage re-derives its output from the stored raw bytes anyway. The next FULL
commit also makes every earlier WAL frame durable.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from mailbot.errors import StoreError
from mailbot.store.schema import migrations

_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def to_db_time(value: datetime) -> str:
    """Timestamps are stored as fixed-width UTC text, so text order is time order."""
    if value.tzinfo is None:
        raise ValueError("naive datetime given to the store")
    return value.astimezone(UTC).strftime(_FORMAT)


def from_db_time(value: str | None) -> datetime | None:
    if value is None:
        return None
    return datetime.fromisoformat(value)


def to_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def from_json(value: str | None, default: Any = None) -> Any:
    return default if value is None else json.loads(value)


def _enable_wal(db: Database, patience: float = 30.0) -> None:
    """Switch a store to WAL, retrying while another process does the same.

    Changing the journal mode of a fresh file needs an exclusive lock, and
    SQLite reports "database is locked" at once instead of calling the busy
    handler when two connections try it together. Once the file is in WAL
    mode (every store after its first open) the pragma is a no-op read.
    """
    deadline = time.monotonic() + patience
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def _migrate(db: Database) -> None:
    """Apply pending migrations while holding SQLite's write lock.

    sqlite-utils reads the list of applied migrations before it opens each
    migration's transaction, so two processes opening a fresh store at once
    (the daemon and ``mailbot queue``, or a test reading the store the daemon
    is creating) could both run ``0001_initial`` and one would fail with
    "table already exists". ``BEGIN IMMEDIATE`` makes the second wait (up to
    the busy timeout) and then find nothing pending. The common case, an
    up-to-date store, is checked first without taking the lock.
    """
    if not migrations.pending(db):
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        migrations.apply(db)  # each migration becomes a savepoint in this transaction
    except BaseException:
        db.conn.rollback()
        raise
    db.execute("COMMIT")


class StoreBase:
    """The connection, its lock and the transaction helper."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path) if str(path) != ":memory:" else None
        try:
            if self.path is not None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(str(path), timeout=30.0, check_same_thread=False, isolation_level=None)
            self.db = Database(conn, execute_plugins=False)
            if self.path is not None:
                _enable_wal(self.db)
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute("PRAGMA foreign_keys=ON")
            _migrate(self.db)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{path}: cannot open the store: {exc}") from exc
        self._lock = threading.RLock()

    def close(self) -> None:
        with self._lock:
            self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[Database]:
        """One atomic unit of work; nested calls become savepoints."""
        with self._lock, self.db.atomic() as db:
            yield db

    @contextmanager
    def durable_transaction(self) -> Iterator[Database]:
        """A transaction whose commit is on disk before it returns (fsync).

        Nested inside another transaction it is a savepoint: the outermost
        transaction decides, so a batch of raw messages (IMAP) must open
        its outer transaction with this method.
        """
        with self._lock:
            if self.db.conn.in_transaction:
                with self.db.atomic() as db:
                    yield db
                return
            self.db.execute("PRAGMA synchronous=FULL")
            try:
                with self.db.atomic() as db:
                    yield db
            finally:
                self.db.execute("PRAGMA synchronous=NORMAL")

    def _rows(self, sql: str, params: Any = ()) -> list[dict[str, Any]]:
        with self._lock:
            cursor = self.db.execute(sql, params)
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def _one(self, sql: str, params: Any = ()) -> dict[str, Any] | None:
        rows = self._rows(sql, params)
        return rows[0] if rows else None

    def _scalar(self, sql: str, params: Any = ()) -> Any:
        with self._lock:
            row = self.db.execute(sql, params).fetchone()
            return None if row is None else row[0]

    def schema_version(self) -> list[str]:
        """Names of applied migrations, oldest first."""
        return [m.name for m in migrations.applied(self.db)]
