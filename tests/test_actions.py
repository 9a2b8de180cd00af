"""People's actions over a real store: the gate, its audit trail, corrections, closing."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from mailbot import actions, gate
from mailbot.errors import MailbotError
from mailbot.gate import Role
from mailbot.mail.parse import parse_message
from mailbot.model import (
    Channel,
    Classification,
    DraftState,
    DraftText,
    Finding,
    RawMessage,
    Severity,
    ThreadState,
)
from mailbot.pipeline import PipelineContext, sweep
from mailbot.policy.response import load_response_policy
from mailbot.sla_service import SlaClock
from mailbot.store import Store
from mailbot.users import Actor

ROOT = Path(__file__).resolve().parents[1]
ANN = Actor("ann", Role.AGENT)
CARL = Actor("carl", Role.COMPLIANCE)
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def check(text: str, language: str, intent: str, channel: str) -> list[Finding]:
    found = []
    for word, severity in (("guarantee", Severity.BLOCKER), ("unfortunately", Severity.WARNING)):
        start = text.find(word)
        if start >= 0:
            found.append(Finding(f"no-{word}", "guarantee", severity, start, start + len(word), word, "no"))
    return found


def classify(text: str, subject: str, reference: datetime) -> Classification:
    intent = "legal" if "lawyer" in text else "delivery"
    return Classification("en", 0.99, intent, 0.9)


def draft(detail: dict[str, object], c: Classification) -> DraftText:
    return DraftText("en", c.intent, f"en/{c.intent}", "Re: x", f"We guarantee delivery ({c.intent}).")


@pytest.fixture
def printed(tmp_path: Path) -> Path:
    return tmp_path / "print"


@pytest.fixture
def ctx(printed: Path) -> PipelineContext:
    def print_letter(draft_row: dict[str, object], detail: dict[str, object], text: str) -> Path:
        printed.mkdir(exist_ok=True)
        path = printed / f"draft-{draft_row['id']}.txt"
        path.write_text(text)
        return path

    return PipelineContext(
        own_addresses=frozenset({"support@example.com"}),
        classify=classify,
        draft=draft,
        check=check,
        clock=SlaClock(load_response_policy(ROOT / "policies" / "response.toml")),
        always_approve=frozenset({"legal"}),
        print_letter=print_letter,
        letter_readers={"t": parse_message},  # the test letters are written like e-mail
    )


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "a.sqlite3")


def new_draft(
    store: Store, ctx: PipelineContext, body: str = "Where is it?", channel: Channel = Channel.EMAIL
) -> int:
    raw = f"From: c@example.com\r\nTo: support@example.com\r\nSubject: Order\r\n\r\n{body}\r\n".encode()
    mid, _ = store.store_raw(RawMessage(raw, "t", "r", T0, channel), mailbox="support")
    sweep(store, ctx)
    row = store.draft_for_message(mid)
    assert row is not None
    return int(row["id"])


def test_blocker_then_fix_then_send_as_letter(store: Store, ctx: PipelineContext, printed: Path) -> None:
    did = new_draft(store, ctx, channel=Channel.LETTER)
    assert store.draft(did)["state"] == "needs_approval"
    with pytest.raises(gate.InvalidTransition, match="approval"):
        actions.send(store, ctx, ANN, did)
    fixed = actions.edit_draft(store, ctx, ANN, did, "We will look into your delivery.")
    assert (fixed.state, fixed.blockers) == (DraftState.DRAFT, 0)
    sent = actions.send(store, ctx, ANN, did)
    assert sent.state is DraftState.SENDING
    assert (printed / f"draft-{did}.txt").read_text() == "We will look into your delivery."
    posted = actions.mark_posted(store, ctx, ANN, did)
    assert posted.state is DraftState.SENT
    thread = store.thread(store.draft(did)["thread_id"])
    assert thread.state is ThreadState.ANSWERED and thread.due_at is None
    trail = [(e["action"], e["actor"]) for e in store.audit_entries("draft", did)]
    assert trail == [("needs_approval", "mailbot"), ("edit", "ann"), ("send", "ann"), ("posted", "ann")]
    assert store.audit_entries("draft", did)[1]["after"] == "We will look into your delivery."


def test_compliance_approves_and_any_later_edit_needs_approval_again(
    store: Store, ctx: PipelineContext
) -> None:
    did = new_draft(store, ctx)
    with pytest.raises(gate.PermissionDenied):
        actions.approve(store, ctx, ANN, did, "looks fine")
    approved = actions.approve(store, ctx, CARL, did, "the carrier contract guarantees it")
    assert approved.state is DraftState.APPROVED
    assert store.draft(did)["approved_text"] == "We guarantee delivery (delivery)."
    again = actions.edit_draft(store, ctx, ANN, did, "We guarantee delivery tomorrow.")
    assert again.state is DraftState.NEEDS_APPROVAL
    back = actions.edit_draft(store, ctx, ANN, did, "We guarantee delivery (delivery).")
    assert back.state is DraftState.APPROVED  # exactly the approved text again
    entry = next(e for e in store.audit_entries("draft", did) if e["action"] == "approve")
    assert (entry["actor"], entry["role"], entry["after"]) == (
        "carl",
        "compliance",
        "We guarantee delivery (delivery).",
    )


def test_return_needs_comment_and_goes_back_to_the_agent(store: Store, ctx: PipelineContext) -> None:
    did = new_draft(store, ctx)
    with pytest.raises(MailbotError, match="comment"):
        actions.return_draft(store, ctx, CARL, did, " ")
    out = actions.return_draft(store, ctx, CARL, did, "no guarantees, please")
    assert out.state is DraftState.DRAFT and store.draft(did)["returned_comment"] == "no guarantees, please"
    with pytest.raises(gate.InvalidTransition):
        actions.send(store, ctx, ANN, did)  # still has the blocker


def test_always_approve_intent_and_warning_acknowledgement(store: Store, ctx: PipelineContext) -> None:
    legal = new_draft(store, ctx, "My lawyer will contact you.", channel=Channel.LETTER)
    clean = actions.edit_draft(store, ctx, ANN, legal, "We have received your letter.")
    assert clean.state is DraftState.NEEDS_APPROVAL  # legal always needs approval
    other = new_draft(store, ctx, "Any news?", channel=Channel.LETTER)
    warned = actions.edit_draft(store, ctx, ANN, other, "Unfortunately it is late; unfortunately so.")
    assert warned.state is DraftState.DRAFT and warned.warnings == 1
    with pytest.raises(gate.InvalidTransition, match="acknowledge"):
        actions.send(store, ctx, ANN, other)
    actions.acknowledge(store, ctx, ANN, other)
    assert actions.send(store, ctx, ANN, other).state is DraftState.SENDING


def test_correction_is_stored_and_redrafts(store: Store, ctx: PipelineContext) -> None:
    did = new_draft(store, ctx)
    mid = store.draft(did)["message_id"]
    actions.correct_intent(store, ctx, ANN, mid, "billing", ("billing", "delivery", "legal"))
    sweep(store, ctx)
    assert store.message(mid).intent == "billing"
    assert store.draft(did)["intent"] == "billing"  # untouched draft re-rendered
    assert [c["new_intent"] for c in store.corrections()] == ["billing"]
    with pytest.raises(MailbotError, match="unknown intent"):
        actions.correct_intent(store, ctx, ANN, mid, "nonsense", ("billing",))


def test_close_needs_reason_and_stops_clock(store: Store, ctx: PipelineContext) -> None:
    did = new_draft(store, ctx)
    tid = store.draft(did)["thread_id"]
    with pytest.raises(MailbotError, match="reason"):
        actions.close_thread(store, ctx, ANN, tid, "")
    with pytest.raises(gate.PermissionDenied):
        actions.close_thread(store, ctx, CARL, tid, "spam")
    actions.close_thread(store, ctx, ANN, tid, "customer found the parcel")
    thread = store.thread(tid)
    assert thread.state is ThreadState.CLOSED and thread.due_at is None
    assert thread.closed_reason == "customer found the parcel"
