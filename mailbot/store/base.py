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
                self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute("PRAGMA foreign_keys=ON")
            migrations.apply(self.db)
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
