"""The IMAP bookkeeping queries (mailbot/store/imap.py) on an in-memory store."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from mailbot.model import RawMessage
from mailbot.store import Store
from mailbot.store.imap import FolderState, ImapItem

SOURCE = "imap:support"


_Store = Store


@pytest.fixture
def store():
    db = _Store(":memory:")
    yield db
    db.close()


def _item(uid: int, *, folder="INBOX", uidvalidity=7, sha="a" * 64, mid="<m@x>", body="b", action=None):
    return ImapItem(folder, uidvalidity, uid, sha, mid, body, action)


def test_migration_is_recorded_and_creates_tables(store):
    assert "0002_imap_folders" in store.schema_version()
    tables = {row["name"] for row in store._rows("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"imap_folders", "imap_items"} <= tables


def test_folder_state_is_absent_then_upserted_per_source_and_folder(store):
    assert store.imap_folder_state(SOURCE, "INBOX") is None
    store.set_imap_folder_state(SOURCE, "INBOX", FolderState(7, 10))
    store.set_imap_folder_state(SOURCE, "INBOX", FolderState(7, 25))
    store.set_imap_folder_state(SOURCE, "Support", FolderState(3, 4))
    store.set_imap_folder_state("imap:other", "INBOX", FolderState(1, 99))
    assert store.imap_folder_state(SOURCE, "INBOX") == FolderState(7, 25)
    assert store.imap_folder_states(SOURCE) == {"INBOX": FolderState(7, 25), "Support": FolderState(3, 4)}


def test_folder_state_rolls_back_with_the_batch_transaction(store):
    store.set_imap_folder_state(SOURCE, "INBOX", FolderState(7, 10))
    with pytest.raises(RuntimeError), store.transaction():
        store.store_raw(
            RawMessage(b"Subject: x\r\n\r\nhi", SOURCE, "INBOX/7/11", datetime.now(UTC)), mailbox="m"
        )
        store.set_imap_folder_state(SOURCE, "INBOX", FolderState(7, 11))
        raise RuntimeError("crash before commit")
    assert store.imap_folder_state(SOURCE, "INBOX") == FolderState(7, 10)
    assert store.count_by_stage() == {}


@pytest.mark.parametrize(
    ("message_id", "body", "expected"),
    [
        ("<m@x>", "b", "a" * 64),  # same Message-ID and body: the same message
        ("<m@x>", "other", None),  # same Message-ID, different body: a different message
        ("<n@x>", "b", None),  # same body, different Message-ID: a different message
    ],
)
def test_same_message_needs_message_id_and_body(store, message_id, body, expected):
    store.record_imap_item(SOURCE, _item(1))
    assert store.imap_same_message(SOURCE, message_id, body) == expected
    assert store.imap_same_message("imap:other", "<m@x>", "b") is None


def test_pending_actions_grouped_cleared_and_dropped_for_old_uidvalidity(store):
    store.record_imap_item(SOURCE, _item(1, action="flag"))
    store.record_imap_item(SOURCE, _item(2, action="flag"))
    store.record_imap_item(SOURCE, _item(3, action="move"))
    store.record_imap_item(SOURCE, _item(4))
    store.record_imap_item(SOURCE, _item(5, uidvalidity=6, action="flag"))
    assert store.imap_pending_actions(SOURCE, "INBOX", 7) == {"flag": [1, 2], "move": [3]}
    store.clear_imap_pending(SOURCE, "INBOX", 7, [1])
    assert store.imap_pending_actions(SOURCE, "INBOX", 7) == {"flag": [2], "move": [3]}
    assert store.drop_stale_imap_pending(SOURCE, "INBOX", 7) == 1
    assert store.imap_pending_actions(SOURCE, "INBOX", 6) == {}
    assert store.imap_pending_actions(SOURCE, "INBOX", 7) == {"flag": [2], "move": [3]}


def test_clear_pending_handles_more_uids_than_one_statement_takes(store):
    uids = list(range(1, 1201))
    with store.transaction():
        for uid in uids:
            store.record_imap_item(SOURCE, _item(uid, action="flag"))
    store.clear_imap_pending(SOURCE, "INBOX", 7, uids)
    assert store.imap_pending_actions(SOURCE, "INBOX", 7) == {}


def test_items_are_found_by_hash_and_by_location(store):
    store.record_imap_item(SOURCE, _item(1, folder="INBOX/Sub", sha="c" * 64))
    store.record_imap_item(SOURCE, _item(9, uidvalidity=8, sha="c" * 64))
    found = store.imap_items_for(SOURCE, "c" * 64)
    assert {(i.folder, i.uidvalidity, i.uid) for i in found} == {("INBOX/Sub", 7, 1), ("INBOX", 8, 9)}
    assert store.imap_item(SOURCE, "INBOX/Sub", 7, 1) == _item(1, folder="INBOX/Sub", sha="c" * 64)
    assert store.imap_item(SOURCE, "INBOX/Sub", 7, 2) is None
    assert store.imap_item_count(SOURCE) == 2
    assert found[0].ref.endswith(f"/{found[0].uidvalidity}/{found[0].uid}")


def test_recording_the_same_uid_twice_keeps_one_row(store):
    store.record_imap_item(SOURCE, _item(1, action="flag"))
    store.record_imap_item(SOURCE, _item(1))
    assert store.imap_item_count(SOURCE) == 1
    assert store.imap_pending_actions(SOURCE, "INBOX", 7) == {}
