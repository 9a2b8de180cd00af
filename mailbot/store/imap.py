"""IMAP bookkeeping: per-folder sync state and where each fetched message lives.

Two tables, added by migration ``0002_imap_folders``:

``imap_folders``
    One row per (source, folder): the folder's UIDVALIDITY and the highest
    UID whose message is committed. The IMAP source writes it in the same
    transaction as the messages of a batch, so after any crash the state
    never claims a message that is not stored, and a re-fetch of the rest
    is harmless (content hashes make storing idempotent).
``imap_items``
    One row per (source, folder, UIDVALIDITY, UID) fetched: the content hash
    it was stored under, its Message-ID and the hash of its body (for
    recognising the same message when a server re-delivers it with rewritten
    headers after a UIDVALIDITY reset), and the after-store action still to
    do on the server (set when the batch commits, cleared once the server
    confirmed it, redone after a crash in between).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlite_utils import Database

from mailbot.store.base import StoreBase, to_db_time
from mailbot.store.schema import migrations, run_script


@migrations(name="0002_imap_folders")
def _imap_folders(db: Database) -> None:
    run_script(
        db,
        """
        CREATE TABLE imap_folders (
            source TEXT NOT NULL,
            folder TEXT NOT NULL,
            uidvalidity INTEGER NOT NULL,
            last_uid INTEGER NOT NULL,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (source, folder)
        );
        CREATE TABLE imap_items (
            source TEXT NOT NULL,
            folder TEXT NOT NULL,
            uidvalidity INTEGER NOT NULL,
            uid INTEGER NOT NULL,
            sha256 TEXT NOT NULL,
            message_id TEXT,
            body_sha256 TEXT,
            pending_action TEXT,
            seen_at TEXT NOT NULL,
            PRIMARY KEY (source, folder, uidvalidity, uid)
        );
        CREATE INDEX imap_items_sha ON imap_items(source, sha256);
        CREATE INDEX imap_items_message_id ON imap_items(source, message_id, body_sha256);
        CREATE INDEX imap_items_pending ON imap_items(source, folder, uidvalidity, pending_action);
        """,
    )


@dataclass(frozen=True)
class FolderState:
    """How far a folder has been stored: UIDs up to ``last_uid`` under ``uidvalidity``."""

    uidvalidity: int
    last_uid: int


@dataclass(frozen=True)
class ImapItem:
    """One fetched message as recorded in ``imap_items``."""

    folder: str
    uidvalidity: int
    uid: int
    sha256: str
    message_id: str | None
    body_sha256: str | None = None
    pending_action: str | None = None

    @property
    def ref(self) -> str:
        """The source_ref convention: ``<folder>/<uidvalidity>/<uid>``."""
        return f"{self.folder}/{self.uidvalidity}/{self.uid}"


def _now() -> str:
    return to_db_time(datetime.now(UTC))


class ImapQueries(StoreBase):
    """Folder sync state and fetched-item lookups for the IMAP source."""

    def imap_folder_state(self, source: str, folder: str) -> FolderState | None:
        row = self._one(
            "SELECT uidvalidity, last_uid FROM imap_folders WHERE source = ? AND folder = ?",
            (source, folder),
        )
        return None if row is None else FolderState(int(row["uidvalidity"]), int(row["last_uid"]))

    def imap_folder_states(self, source: str) -> dict[str, FolderState]:
        """Every folder of a source with its state (for reports)."""
        rows = self._rows(
            "SELECT folder, uidvalidity, last_uid FROM imap_folders WHERE source = ? ORDER BY folder",
            (source,),
        )
        return {row["folder"]: FolderState(int(row["uidvalidity"]), int(row["last_uid"])) for row in rows}

    def set_imap_folder_state(self, source: str, folder: str, state: FolderState) -> None:
        """Record how far a folder is stored; call inside the batch's transaction.

        One statement, so it needs no savepoint of its own: inside the batch's
        transaction it commits or rolls back with the messages.
        """
        with self._lock:
            self.db.execute(
                "INSERT INTO imap_folders(source, folder, uidvalidity, last_uid, updated_at)"
                " VALUES (?,?,?,?,?) ON CONFLICT(source, folder) DO UPDATE SET"
                " uidvalidity = excluded.uidvalidity, last_uid = excluded.last_uid,"
                " updated_at = excluded.updated_at",
                (source, folder, state.uidvalidity, state.last_uid, _now()),
            )

    def record_imap_item(self, source: str, item: ImapItem) -> None:
        """Note where a message was fetched from (idempotent per folder/UIDVALIDITY/UID).

        One statement (see :meth:`set_imap_folder_state`); called per message
        inside the batch's transaction.
        """
        with self._lock:
            self.db.execute(
                "INSERT OR REPLACE INTO imap_items(source, folder, uidvalidity, uid, sha256, message_id,"
                " body_sha256, pending_action, seen_at) VALUES (?,?,?,?,?,?,?,?,?)",
                (
                    source,
                    item.folder,
                    item.uidvalidity,
                    item.uid,
                    item.sha256,
                    item.message_id,
                    item.body_sha256,
                    item.pending_action,
                    _now(),
                ),
            )

    def imap_same_message(self, source: str, message_id: str, body_sha256: str) -> str | None:
        """The content hash of a message this source already has with this Message-ID and body.

        Servers may re-deliver a message with rewritten headers (a mailbox
        rebuilt after a UIDVALIDITY reset, a migration adding Received
        lines): same Message-ID, same body, different bytes. Both must match,
        so two different messages that merely share a Message-ID are kept.
        """
        value = self._scalar(
            "SELECT sha256 FROM imap_items WHERE source = ? AND message_id = ? AND body_sha256 = ? LIMIT 1",
            (source, message_id, body_sha256),
        )
        return None if value is None else str(value)

    def imap_pending_actions(self, source: str, folder: str, uidvalidity: int) -> dict[str, list[int]]:
        """UIDs whose after-store action (``flag``/``move``) is not yet confirmed, per action."""
        rows = self._rows(
            "SELECT uid, pending_action FROM imap_items WHERE source = ? AND folder = ? AND uidvalidity = ?"
            " AND pending_action IS NOT NULL ORDER BY uid",
            (source, folder, uidvalidity),
        )
        actions: dict[str, list[int]] = {}
        for row in rows:
            actions.setdefault(row["pending_action"], []).append(int(row["uid"]))
        return actions

    def clear_imap_pending(self, source: str, folder: str, uidvalidity: int, uids: list[int]) -> None:
        """The server confirmed the after-store action for these UIDs."""
        with self.transaction() as db:
            for start in range(0, len(uids), 500):
                chunk = uids[start : start + 500]
                marks = ",".join("?" * len(chunk))
                db.execute(
                    "UPDATE imap_items SET pending_action = NULL WHERE source = ? AND folder = ?"
                    f" AND uidvalidity = ? AND uid IN ({marks})",
                    (source, folder, uidvalidity, *chunk),
                )

    def drop_stale_imap_pending(self, source: str, folder: str, uidvalidity: int) -> int:
        """Forget actions for UIDs of an older UIDVALIDITY: they no longer address anything."""
        with self.transaction() as db:
            cursor = db.execute(
                "UPDATE imap_items SET pending_action = NULL WHERE source = ? AND folder = ?"
                " AND uidvalidity != ? AND pending_action IS NOT NULL",
                (source, folder, uidvalidity),
            )
            return int(cursor.rowcount)

    def imap_items_for(self, source: str, sha256: str) -> list[ImapItem]:
        """Where a stored message was seen in this source, newest first."""
        rows = self._rows(
            "SELECT folder, uidvalidity, uid, sha256, message_id, body_sha256, pending_action"
            " FROM imap_items WHERE source = ? AND sha256 = ? ORDER BY seen_at DESC, uid DESC",
            (source, sha256),
        )
        return [_item(row) for row in rows]

    def imap_item(self, source: str, folder: str, uidvalidity: int, uid: int) -> ImapItem | None:
        row = self._one(
            "SELECT folder, uidvalidity, uid, sha256, message_id, body_sha256, pending_action"
            " FROM imap_items WHERE source = ? AND folder = ? AND uidvalidity = ? AND uid = ?",
            (source, folder, uidvalidity, uid),
        )
        return None if row is None else _item(row)

    def imap_item_count(self, source: str) -> int:
        return int(self._scalar("SELECT count(*) FROM imap_items WHERE source = ?", (source,)))


def _item(row: dict[str, object]) -> ImapItem:
    return ImapItem(
        folder=str(row["folder"]),
        uidvalidity=int(str(row["uidvalidity"])),
        uid=int(str(row["uid"])),
        sha256=str(row["sha256"]),
        message_id=None if row["message_id"] is None else str(row["message_id"]),
        body_sha256=None if row["body_sha256"] is None else str(row["body_sha256"]),
        pending_action=None if row["pending_action"] is None else str(row["pending_action"]),
    )
