"""The folder source on real files: .eml folders, Maildir, mbox, move after store."""

from __future__ import annotations

import mailbox
import os
import time
from pathlib import Path

import pytest

from mailbot.errors import SourceError
from mailbot.sources.folder import FolderPoller, ingest_paths
from mailbot.store import Store


def msg(n: int) -> bytes:
    return f"From: a{n}@example.com\r\nSubject: s{n}\r\nMessage-ID: <{n}@x>\r\n\r\nbody {n}\r\n".encode()


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "s.sqlite3")


def old(path: Path) -> Path:
    stamp = time.time() - 60
    os.utime(path, (stamp, stamp))
    return path


def test_each_file_is_stored_once(tmp_path: Path, store: Store) -> None:
    inbox = tmp_path / "in"
    inbox.mkdir()
    for n in range(3):
        (inbox / f"{n}.eml").write_bytes(msg(n))
        old(inbox / f"{n}.eml")
    (inbox / "notes.txt").write_text("not mail")
    poller = FolderPoller("t", inbox, "support")
    first = poller.scan(store)
    second = poller.scan(store)
    assert (first.stored, first.duplicates) == (3, 0)
    assert (second.stored, second.duplicates) == (0, 3)
    assert sorted(store.raw_bytes(m.id) for m in store.pending()) == [msg(0), msg(1), msg(2)]
    assert sorted(p.name for p in inbox.iterdir()) == ["0.eml", "1.eml", "2.eml", "notes.txt"]  # kept


def test_files_still_being_written_wait(tmp_path: Path, store: Store) -> None:
    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / "fresh.eml").write_bytes(msg(1))
    poller = FolderPoller("t", inbox, "support", settle_seconds=30)
    assert poller.scan(store).stored == 0
    old(inbox / "fresh.eml")
    assert poller.scan(store).stored == 1


def test_move_after_store(tmp_path: Path, store: Store) -> None:
    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / "a.eml").write_bytes(msg(1))
    old(inbox / "a.eml")
    done = tmp_path / "done"
    poller = FolderPoller("t", inbox, "support", after_store="move", processed_dir=done)
    assert poller.scan(store).stored == 1
    assert not (inbox / "a.eml").exists() and (done / "a.eml").read_bytes() == msg(1)


def test_crash_between_store_and_move_finishes_the_move(tmp_path: Path, store: Store) -> None:
    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / "a.eml").write_bytes(msg(1))
    old(inbox / "a.eml")
    keep = FolderPoller("t", inbox, "support")  # stores but does not move: like a crash before the move
    assert keep.scan(store).stored == 1
    move = FolderPoller("t", inbox, "support", after_store="move")
    result = move.scan(store)
    assert (result.stored, result.duplicates) == (0, 1)
    assert (inbox / ".processed" / "a.eml").exists() and not (inbox / "a.eml").exists()


def test_maildir_new_and_cur(tmp_path: Path, store: Store) -> None:
    box = mailbox.Maildir(tmp_path / "md", create=True)
    box.add(msg(1))
    key = box.add(msg(2))
    m = box.get_message(key)
    m.set_subdir("cur")
    box[key] = m
    result = FolderPoller("md", tmp_path / "md", "support").scan(store)
    assert result.stored == 2


def test_ingest_files_folders_and_mbox(tmp_path: Path, store: Store) -> None:
    folder = tmp_path / "f"
    folder.mkdir()
    (folder / "one.eml").write_bytes(msg(1))
    single = tmp_path / "two.eml"
    single.write_bytes(msg(2))
    mbox_path = tmp_path / "archive.mbox"
    archive = mailbox.mbox(mbox_path)
    for n in (3, 4, 1):  # 1 is a duplicate of one.eml
        archive.add(msg(n))
    archive.close()
    result = ingest_paths(store, [folder, single, mbox_path], mailbox_name="support")
    assert (result.stored, result.duplicates) == (4, 1)
    again = ingest_paths(store, [folder, single, mbox_path], mailbox_name="support")
    assert (again.stored, again.duplicates) == (0, 5)


def test_missing_folder_is_a_source_error(tmp_path: Path, store: Store) -> None:
    with pytest.raises(SourceError, match="folder does not exist"):
        FolderPoller("t", tmp_path / "nope", "support").scan(store)
    with pytest.raises(SourceError, match="no such file"):
        ingest_paths(store, [tmp_path / "nope.eml"], mailbox_name="support")
