"""The stage machine over a real store and real parsing, with simple core stages.

Classify, draft and check are replaced by small deterministic functions so
these tests are about the pipeline: order, persistence, threading, the
lifecycle, errors kept and retried, idempotent re-runs.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mailbot.model import (
    Channel,
    Classification,
    DraftText,
    Finding,
    RawMessage,
    Severity,
    Stage,
    ThreadState,
)
from mailbot.pipeline import PipelineContext, sweep
from mailbot.policy.response import load_response_policy
from mailbot.sla_service import SlaClock
from mailbot.store import Store

ROOT = Path(__file__).resolve().parents[1]
SUPPORT = "support@demo.mailbot.example"
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def eml(
    mid: str,
    *,
    sender: str = "ann@example.com",
    to: str = SUPPORT,
    subject: str = "Order 12345 late",
    body: str = "Where is my order?",
    extra: str = "",
) -> bytes:
    return (
        f"From: Ann <{sender}>\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: <{mid}>\r\n"
        f"Date: Mon, 23 Nov 2026 09:00:00 +0000\r\n{extra}"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    ).encode()


class Flaky:
    """A classify stage that fails a set number of times first."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0

    def __call__(self, text: str, subject: str, reference: datetime) -> Classification:
        self.calls += 1
        if self.calls <= self.failures:
            raise RuntimeError("model not loaded")
        deadline = reference + timedelta(hours=5) if "today" in text else None
        return Classification("en", 0.99, "delivery", 0.9, (("delivery", 0.9),), deadline=deadline)


def draft(detail: dict[str, object], c: Classification) -> DraftText:
    return DraftText(
        c.language, c.intent, f"{c.language}/{c.intent}", f"Re: {detail['subject']}", "We guarantee it."
    )


def check(text: str, language: str, intent: str, channel: str) -> list[Finding]:
    start = text.find("guarantee")
    if start < 0:
        return []
    return [Finding("no-guarantee", "guarantee", Severity.BLOCKER, start, start + 9, "guarantee", "no")]


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "p.sqlite3")


def context(classify: Flaky | None = None, now: datetime = T0) -> PipelineContext:
    return PipelineContext(
        own_addresses=frozenset({SUPPORT}),
        classify=classify or Flaky(0),
        draft=draft,
        check=check,
        clock=SlaClock(load_response_policy(ROOT / "policies" / "response.toml")),
        now=lambda: now,
    )


def put(store: Store, data: bytes, at: datetime = T0) -> int:
    message_id, _ = store.store_raw(RawMessage(data, "test", "ref", at, Channel.EMAIL), mailbox="support")
    return message_id


def test_message_goes_through_every_stage(store: Store) -> None:
    mid = put(store, eml("a@x"))
    result = sweep(store, context())
    assert (result.completed, result.failed) == (1, [])
    msg = store.message(mid)
    assert msg.stage is Stage.CHECKED and msg.intent == "delivery" and msg.thread_id is not None
    thread = store.thread(msg.thread_id)
    assert thread.state is ThreadState.OPEN and thread.customer == "ann@example.com"
    assert thread.clock_started_at == T0 and thread.due_at == T0 + timedelta(hours=24)
    draft_row = store.draft_for_message(mid)
    assert draft_row is not None and draft_row["state"] == "needs_approval"  # blocker finding
    assert [f.rule for f in store.findings(draft_row["id"])] == ["no-guarantee"]


def test_replies_thread_and_answer(store: Store) -> None:
    first = put(store, eml("a@x"))
    ours = put(
        store,
        eml(
            "r@demo",
            sender=SUPPORT,
            to="ann@example.com",
            subject="Re: Order 12345 late",
            extra="In-Reply-To: <a@x>\r\n",
        ),
        T0 + timedelta(hours=2),
    )
    sweep(store, context())
    tid = store.message(first).thread_id
    assert store.message(ours).thread_id == tid
    thread = store.thread(tid or 0)
    assert thread.state is ThreadState.ANSWERED and thread.due_at is None
    assert store.draft_for_message(ours) is None  # our own message gets no draft
    again = put(
        store,
        eml(
            "b@x",
            subject="Re: Order 12345 late",
            body="Still nothing!",
            extra="References: <a@x> <r@demo>\r\n",
        ),
        T0 + timedelta(hours=5),
    )
    sweep(store, context())
    assert store.message(again).thread_id == tid
    reopened = store.thread(tid or 0)
    assert reopened.state is ThreadState.OPEN and reopened.clock_started_at == T0 + timedelta(hours=5)


def test_subject_fallback_needs_same_customer(store: Store) -> None:
    a = put(store, eml("a@x", subject="Broken zipper on jacket"))
    b = put(store, eml("b@x", subject="RE: Broken zipper on jacket"), T0 + timedelta(hours=1))
    c = put(store, eml("c@x", subject="Broken zipper on jacket", sender="bob@example.com"))
    d = put(store, eml("d@x", subject="Question"), T0 + timedelta(hours=1))
    e = put(store, eml("e@x", subject="Question"), T0 + timedelta(hours=2))
    sweep(store, context())
    thread = {m: store.message(m).thread_id for m in (a, b, c, d, e)}
    assert thread[a] == thread[b]
    assert thread[c] != thread[a]
    assert thread[d] != thread[e]  # too generic to join by subject


def test_auto_replies_start_no_clock(store: Store) -> None:
    mid = put(store, eml("auto@x", subject="Out of office", extra="Auto-Submitted: auto-replied\r\n"))
    sweep(store, context())
    msg = store.message(mid)
    assert msg.is_auto and msg.stage is Stage.CHECKED
    thread = store.thread(msg.thread_id or 0)
    assert thread.state is ThreadState.CLOSED and thread.due_at is None
    assert store.draft_for_message(mid) is None


def test_failing_stage_keeps_message_and_retry_completes(store: Store) -> None:
    flaky = Flaky(failures=1)
    good = put(store, eml("ok@x", subject="Other thing"))
    bad = put(store, eml("bad@x"))
    ctx = context(flaky)
    first = sweep(store, ctx)
    # The first message hit the failure; the other one still flowed.
    assert [(m, s) for m, s, _ in first.failed] == [(good, "classified")]
    assert store.message(bad).stage is Stage.CHECKED
    failed = store.message(good)
    assert failed.stage is Stage.THREADED and failed.error == "RuntimeError: model not loaded"
    assert [m.id for m in store.errors()] == [good]
    assert store.raw_bytes(good) == eml("ok@x", subject="Other thing")
    second = sweep(store, ctx)  # retried automatically (attempts < max)
    assert second.completed == 1 and store.message(good).error is None
    assert store.errors() == []


def test_rerunning_stages_is_idempotent(store: Store) -> None:
    ids = [put(store, eml(f"m{i}@x", subject=f"Subject {i}")) for i in range(3)]
    ctx = context()
    sweep(store, ctx)
    before = {i: (store.message(i).thread_id, store.draft_for_message(i)) for i in ids}
    assert store.reset_stage(ids, Stage.STORED) == 3
    assert sweep(store, ctx).completed == 3
    after = {i: (store.message(i).thread_id, store.draft_for_message(i)) for i in ids}
    assert {i: a[0] for i, a in after.items()} == {i: b[0] for i, b in before.items()}
    assert {i: a[1]["id"] for i, a in after.items() if a[1]} == {
        i: b[1]["id"] for i, b in before.items() if b[1]
    }
    assert store.thread_count() == 3


def test_customer_deadline_brings_due_time_forward(store: Store) -> None:
    mid = put(store, eml("d@x", body="I need an answer today please"))
    sweep(store, context())
    thread = store.thread_row(store.message(mid).thread_id or 0)
    assert thread["due_at"] == "2026-11-23T14:00:00.000000Z"
    assert "customer asked" in thread["due_reason"]


def test_unparseable_bytes_still_flow(store: Store) -> None:
    mid = put(store, b"\x00\xff garbage without headers \x80\x81")
    result = sweep(store, context())
    assert result.failed == []
    assert store.message(mid).stage is Stage.CHECKED


def test_letters_are_read_by_their_reader_and_thread_by_customer(store: Store) -> None:
    from dataclasses import replace

    from mailbot.model import Address, ParsedMessage

    def reader(raw: bytes) -> ParsedMessage:
        name, postcode, subject = raw.decode().split("|")
        return ParsedMessage(
            message_id=f"<{subject}@letter.invalid>",
            subject=subject,
            sender=Address(name, ""),
            new_text="Please refund order 12345.",
            postal_address=("Main Street 1", f"{postcode} Riga"),
        )

    ctx = replace(context(), letter_readers={"letters:post": reader})

    def letter(body: str, at: datetime) -> int:
        raw = RawMessage(body.encode(), "letters:post", body, at, Channel.LETTER)
        return store.store_raw(raw, mailbox="support")[0]

    first = letter("Anna Bērziņa|LV-1001|Refund", T0)
    again = letter("Anna Berzina|LV-1001|Still waiting", T0 + timedelta(days=3))
    other = letter("Jānis Ozols|LV-1002|Refund", T0)
    assert sweep(store, ctx).completed == 3
    threads = {m: store.message(m).thread_id for m in (first, again, other)}
    assert threads[first] == threads[again] != threads[other]
    assert store.thread(threads[first] or 0).customer.startswith("postal:")
    assert store.message_detail(first)["postal_address"] == ["Main Street 1", "LV-1001 Riga"]


def test_a_letter_without_a_reader_is_kept_with_an_error(store: Store) -> None:
    mid = store.store_raw(
        RawMessage(b"%PDF-1.4", "letters:post", "a.pdf", T0, Channel.LETTER), mailbox="support"
    )[0]
    result = sweep(store, context())
    assert [(m, s) for m, s, _ in result.failed] == [(mid, "parsed")]
    assert "no scan folder is configured" in (store.message(mid).error or "")


def test_a_letter_quoting_our_case_code_joins_that_thread(store: Store) -> None:
    from dataclasses import replace

    from mailbot.casecode import case_code
    from mailbot.model import Address, ParsedMessage

    def reader(raw: bytes) -> ParsedMessage:
        name, body = raw.decode().split("|")
        return ParsedMessage(
            message_id=f"<{abs(hash(raw))}@letter.invalid>",
            subject="Re: your letter",
            sender=Address(name, ""),
            body_text=body,
            new_text=body,
            postal_address=("Elm Road 2", "BS6 7PL Bristol"),
        )

    ctx = replace(context(), letter_readers={"letters:post": reader})
    first = put(store, eml("a@x", sender="ann@example.com"))
    sweep(store, ctx)
    tid = store.message(first).thread_id or 0
    code = case_code(tid).replace("0", "O")  # as OCR might read it
    raw = RawMessage(
        f"Somebody Else|About case {code}: still broken".encode(), "letters:post", "s.pdf", T0, Channel.LETTER
    )
    letter = store.store_raw(raw, mailbox="support")[0]
    stranger = store.store_raw(
        RawMessage(b"Somebody Else|About case MB9999", "letters:post", "t.pdf", T0, Channel.LETTER),
        mailbox="support",
    )[0]
    sweep(store, ctx)
    assert store.message(letter).thread_id == tid
    assert store.message_detail(letter)["thread_reason"] == "references"
    assert store.message(stranger).thread_id not in (tid, None)  # an unknown code starts nothing odd
