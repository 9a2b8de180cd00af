"""The SQLite store on real files: migrations, idempotent ingest, stages, audit."""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mailbot.errors import NotFoundError, StoreError
from mailbot.model import DraftState, DraftText, Finding, RawMessage, Severity, Stage
from mailbot.store import Store

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "s.sqlite3")


def raw(body: bytes, ref: str = "a.eml", source: str = "folder:t") -> RawMessage:
    return RawMessage(body, source, ref, NOW)


def test_opens_in_wal_mode_with_migrations(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite3")
    assert store.schema_version()[0] == "0001_initial"
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    applied = store.schema_version()
    store.close()
    again = Store(tmp_path / "s.sqlite3")  # migrations are not re-run
    assert again.schema_version() == applied


def test_stores_opened_at_once_on_a_fresh_file_migrate_once(tmp_path: Path) -> None:
    """The daemon and a reader opening a new store together must not both migrate."""
    path = tmp_path / "fresh.sqlite3"
    start = threading.Barrier(8)
    errors: list[BaseException] = []
    opened: list[Store] = []

    def open_store() -> None:
        start.wait()
        try:
            opened.append(Store(path))
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    alone = Store(tmp_path / "alone.sqlite3")
    expected = tuple(alone.schema_version())
    alone.close()
    for _round in range(5):
        path.unlink(missing_ok=True)
        threads = [threading.Thread(target=open_store) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        start.reset()
        assert errors == []
        versions = {tuple(s.schema_version()) for s in opened}
        assert versions == {expected}
        assert {s.db.execute("PRAGMA journal_mode").fetchone()[0] for s in opened} == {"wal"}
        for s in opened:
            s.close()
        opened.clear()
        for suffix in ("-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)


def test_corrupt_file_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.sqlite3"
    bad.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="cannot open the store"):
        Store(bad)


def test_store_raw_is_idempotent_by_content(store: Store) -> None:
    first = store.store_raw(raw(b"Subject: a\n\nx"), mailbox="support")
    again = store.store_raw(raw(b"Subject: a\n\nx", ref="copy.eml", source="import"), mailbox="support")
    other = store.store_raw(raw(b"Subject: b\n\ny"), mailbox="support")
    assert first == (first[0], True)
    assert again == (first[0], False)
    assert other[1] and other[0] != first[0]
    assert store.raw_bytes(first[0]) == b"Subject: a\n\nx"
    assert len(store.source_hashes("folder:t")) == 2
    assert len(store.source_hashes("import")) == 1
    assert store.count_by_stage() == {"stored": 2}


def test_stage_errors_are_kept_and_retried(store: Store) -> None:
    mid, _ = store.store_raw(raw(b"x"), mailbox="support")
    store.record_error(mid, Stage.PARSED, "boom")
    store.record_error(mid, Stage.PARSED, "boom again")
    msg = store.message(mid)
    assert (msg.error, msg.error_stage, msg.attempts) == ("boom again", "parsed", 2)
    assert [m.id for m in store.pending(max_attempts=5)] == [mid]
    assert store.pending(max_attempts=2) == []
    assert [m.id for m in store.errors()] == [mid]
    assert store.clear_errors([mid]) == 1
    assert store.message(mid).error is None and store.message(mid).attempts == 0
    store.advance(mid, Stage.PARSED, {"subject": "s"})
    assert store.message(mid).stage is Stage.PARSED


def test_unknown_ids_raise_not_found(store: Store) -> None:
    with pytest.raises(NotFoundError):
        store.message(99)
    with pytest.raises(NotFoundError):
        store.raw_bytes(99)
    with pytest.raises(NotFoundError):
        store.thread_row(99)


def test_audit_log_is_append_only(store: Store) -> None:
    store.audit(actor="ann", role="agent", action="edit", entity="draft", entity_id=1, before="a", after="b")
    assert store.audit_entries("draft", 1)[0]["after"] == "b"
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        store.db.execute("UPDATE audit SET after = 'x'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        store.db.execute("DELETE FROM audit")


def _thread(store: Store, customer: str = "c@example.com", subject: str = "order 1") -> int:
    return store.create_thread(
        mailbox="support",
        channel=RawMessage(b"", "", "", NOW).channel,
        subject=subject,
        subject_key=subject,
        customer=customer,
        customer_name=None,
        at=NOW,
    )


def test_thread_lookup_by_references_and_subject(store: Store) -> None:
    tid = _thread(store)
    mid, _ = store.store_raw(raw(b"m1"), mailbox="support")
    store.advance(mid, Stage.THREADED, {"message_id": "<a@x>", "thread_id": tid})
    assert store.thread_by_references(["<zz@x>", "<a@x>"], "support") == tid
    assert store.thread_by_references(["<a@x>"], "sales") is None
    assert store.thread_by_references([], "support") is None
    assert store.thread_by_subject("order 1", "c@example.com", "support", NOW - timedelta(days=1)) == tid
    assert store.thread_by_subject("order 1", "d@example.com", "support", NOW - timedelta(days=1)) is None
    assert store.thread_by_subject("order 1", "c@example.com", "support", NOW + timedelta(days=1)) is None


def test_queue_is_soonest_due_first(store: Store) -> None:
    late, soon, undue = _thread(store, "a@x"), _thread(store, "b@x"), _thread(store, "c@x")
    store.update_thread(late, due_at=NOW + timedelta(hours=20))
    store.update_thread(soon, due_at=NOW + timedelta(hours=2))
    answered = _thread(store, "d@x")
    store.update_thread(answered, state="answered", due_at=NOW)
    assert [t.id for t in store.queue()] == [soon, late, undue]
    assert store.queue()[0].due_at == NOW + timedelta(hours=2)


def test_draft_refresh_keeps_a_persons_edit(store: Store) -> None:
    tid = _thread(store)
    mid, _ = store.store_raw(raw(b"m1"), mailbox="support")
    first = DraftText("en", "refund", "en/refund", "Re: x", "Hello A")
    did = store.save_draft(thread_id=tid, message_id=mid, draft=first, template_text="Hello A")
    second = DraftText("en", "refund", "en/refund", "Re: x", "Hello B")
    assert store.save_draft(thread_id=tid, message_id=mid, draft=second, template_text="Hello B") == did
    assert store.draft(did)["text"] == "Hello B"  # untouched: refreshed
    store.db.execute("UPDATE drafts SET text = 'edited by Ann' WHERE id = ?", (did,))
    store.save_draft(thread_id=tid, message_id=mid, draft=first, template_text="Hello A")
    assert store.draft(did)["text"] == "edited by Ann"  # edited: kept
    store.set_draft_state(did, DraftState.NEEDS_APPROVAL)
    assert store.draft(did)["state"] == "needs_approval"


def test_findings_replace_as_a_whole(store: Store) -> None:
    tid = _thread(store)
    mid, _ = store.store_raw(raw(b"m1"), mailbox="support")
    did = store.save_draft(
        thread_id=tid, message_id=mid, draft=DraftText("en", "x", "t", "s", "t"), template_text="t"
    )
    f1 = Finding("r1", "guarantee", Severity.BLOCKER, 0, 4, "we g", "no", ("a",))
    store.replace_findings(did, [f1, f1])
    assert store.findings(did) == [f1, f1]
    store.replace_findings(did, [])
    assert store.findings(did) == []
