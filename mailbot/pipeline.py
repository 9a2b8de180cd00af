"""The processing pipeline: the order of stages, written as data, and its runner.

Each stage is a pure function from mailbot's core (parse, thread decision,
classify, draft, wording check); the runner loads what a stage needs from
the store, calls it, and persists its result together with the message's
new stage in one transaction. A stage that raises leaves the message where
it was, with the error and the stage name recorded; the other messages keep
flowing, and the next sweep (or ``mailbot retry``) tries again. Because
every stage re-derives its output from stored inputs, running a stage twice
gives the same result: a crash between two stages loses nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mailbot.casecode import thread_of
from mailbot.errors import MailbotError, StageError
from mailbot.gate import DraftFacts, settled_state
from mailbot.lifecycle import fold_events
from mailbot.mail.letter_parse import case_numbers, postal_customer_key
from mailbot.mail.parse import parse_message
from mailbot.mail.subjects import subject_key as make_subject_key
from mailbot.mail.threads import ThreadCandidates, decide_thread
from mailbot.model import (
    STAGE_ORDER,
    Address,
    Channel,
    Classification,
    Direction,
    DraftState,
    DraftText,
    Finding,
    ParsedMessage,
    Severity,
    Stage,
    StoredMessage,
    ThreadState,
)
from mailbot.sla_service import SlaClock
from mailbot.store import Store, from_db_time

log = logging.getLogger(__name__)

ClassifyFn = Callable[[str, str, datetime], Classification]
"""(text, subject, reference time) -> Classification"""
DraftFn = Callable[[dict[str, Any], Classification], DraftText]
"""(message detail, classification) -> the proposed reply"""
CheckFn = Callable[[str, str, str, str], list[Finding]]
"""(text, language, intent, channel) -> findings"""


@dataclass(frozen=True)
class PipelineContext:
    """Everything the stages need, built once from config and policies."""

    own_addresses: frozenset[str]
    classify: ClassifyFn
    draft: DraftFn
    check: CheckFn
    clock: SlaClock
    always_approve: frozenset[str] = frozenset()
    #: From address per mailbox that can send e-mail (has an [smtp] section).
    senders: Mapping[str, Address] = field(default_factory=dict)
    #: Scanned-letter readers (OCR + letter parsing) per source, ``letters:<name>``.
    letter_readers: Mapping[str, Callable[[bytes], ParsedMessage]] = field(default_factory=dict)
    #: Writes an approved reply letter (draft row, message detail, exact text) as a PDF to print.
    print_letter: Callable[[dict[str, Any], dict[str, Any], str], Path] | None = None
    subject_window_days: int = 30
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))


def _run_parse(store: Store, msg: StoredMessage, ctx: PipelineContext) -> None:
    raw = store.raw_bytes(msg.id)
    if msg.channel is Channel.LETTER:
        reader = ctx.letter_readers.get(msg.source) or next(iter(ctx.letter_readers.values()), None)
        if reader is None:
            raise StageError(f"{msg.source}: no scan folder is configured, so the letter cannot be read")
        parsed = reader(raw)
    else:
        parsed = parse_message(raw)
    store.advance(msg.id, Stage.PARSED, store.parsed_fields(parsed, make_subject_key(parsed.subject)))


def _run_thread(store: Store, msg: StoredMessage, ctx: PipelineContext) -> None:
    detail = store.message_detail(msg.id)
    mailbox = detail["mailbox"]
    sender = detail["sender"] or ""
    outbound = sender in ctx.own_addresses
    recipients = [r for r in detail["recipients"] if r not in ctx.own_addresses]
    received = msg.received_at
    since = store.subject_window_start(received, ctx.subject_window_days)
    if msg.channel is Channel.LETTER:
        # A letter has no Message-IDs to follow: it joins the thread whose case
        # code (printed on our letters) it quotes, else the customer's recent
        # thread, known by the e-mail on the letter or by name and postcode.
        customer = letter_customer(sender, detail["sender_name"], tuple(detail["postal_address"]))
        quoted_case = [
            thread_of(code) for code in case_numbers(f"{detail['subject']}\n{detail['body_text']}")
        ]
        candidates = ThreadCandidates(
            by_reference=store.existing_thread([t for t in quoted_case if t], mailbox),
            by_subject=None,
            by_customer=store.thread_by_customer(customer, mailbox, since) if customer else None,
        )
    else:
        customer = (recipients[0] if recipients else "") if outbound else (detail["reply_to"] or sender)
        references = [*detail["refs"], detail["in_reply_to"] or ""]
        candidates = ThreadCandidates(
            by_reference=store.thread_by_references(references, mailbox),
            by_subject=store.thread_by_subject(detail["subject_key"] or "", customer, mailbox, since)
            if customer
            else None,
        )
    decision = decide_thread(detail["subject_key"] or "", candidates)
    with store.transaction():
        thread_id = decision.thread_id
        if thread_id is None:
            thread_id = store.create_thread(
                mailbox=mailbox,
                channel=msg.channel,
                subject=detail["subject"] or "",
                subject_key=decision.subject_key,
                customer=customer or "(unknown)",
                customer_name=None if outbound else detail["sender_name"],
                at=received,
            )
        store.advance(
            msg.id,
            Stage.THREADED,
            {
                "thread_id": thread_id,
                "thread_reason": decision.reason,
                "direction": (Direction.OUTBOUND if outbound else Direction.INBOUND).value,
            },
        )
        refresh_thread(store, thread_id, ctx)


def letter_customer(email: str, name: str | None, address: tuple[str, ...]) -> str:
    """Who wrote a letter: their e-mail when the letter shows one, else name + postcode."""
    if email:
        return email
    if name and address:
        return postal_customer_key(name, address)
    return ""


def refresh_thread(store: Store, thread_id: int, ctx: PipelineContext) -> None:
    """Recompute a thread's state, clock and due time from all of its events."""
    life = fold_events(store.thread_events(thread_id))
    row = store.thread_row(thread_id)
    fields: dict[str, Any] = {"state": life.state.value, "clock_started_at": life.clock_started_at}
    if life.only_automatic:
        fields["closed_reason"] = "automatic message: no reply needed"
    fields["last_message_at"] = store.thread_last_message_at(thread_id)
    if life.state is ThreadState.OPEN and life.clock_started_at is not None:
        deadline = store.customer_deadline(thread_id, since=life.clock_started_at)
        due = ctx.clock.due(life.clock_started_at, row, deadline)
        fields.update(
            due_at=due.due_at,
            due_soon_at=due.due_soon_at,
            due_reason=due.why,
            sla_state=ctx.clock.status(ctx.now(), due).state.value,
        )
    else:
        fields.update(due_at=None, due_soon_at=None, due_reason=None, sla_state=None)
    store.update_thread(thread_id, **fields)


def _wants_reply(msg: StoredMessage) -> bool:
    return msg.direction is Direction.INBOUND and not msg.is_auto


def _run_classify(store: Store, msg: StoredMessage, ctx: PipelineContext) -> None:
    if not _wants_reply(msg):
        store.advance(msg.id, Stage.CLASSIFIED)
        return
    detail = store.message_detail(msg.id)
    reference = from_db_time(detail["sent_date"]) or msg.received_at
    result = ctx.classify(detail["new_text"] or detail["body_text"] or "", detail["subject"] or "", reference)
    with store.transaction():
        store.advance(msg.id, Stage.CLASSIFIED, store.classified_fields(result))
        if msg.thread_id is not None:
            store.update_thread(
                msg.thread_id,
                language=result.language,
                intent=result.intent,
                needs_triage=int(result.needs_triage),
            )
            refresh_thread(store, msg.thread_id, ctx)


def _run_draft(store: Store, msg: StoredMessage, ctx: PipelineContext) -> None:
    if not _wants_reply(msg) or msg.thread_id is None:
        store.advance(msg.id, Stage.DRAFTED)
        return
    detail = store.message_detail(msg.id)
    classification = Classification(
        language=detail["language"] or "en",
        language_confidence=detail["language_confidence"] or 0.0,
        intent=detail["intent"] or "other",
        confidence=detail["confidence"] or 0.0,
    )
    draft = ctx.draft(detail, classification)
    with store.transaction():
        store.save_draft(thread_id=msg.thread_id, message_id=msg.id, draft=draft, template_text=draft.text)
        store.advance(msg.id, Stage.DRAFTED)


def _run_check(store: Store, msg: StoredMessage, ctx: PipelineContext) -> None:
    draft = store.draft_for_message(msg.id)
    if draft is None:
        store.advance(msg.id, Stage.CHECKED)
        return
    findings = ctx.check(draft["text"], draft["language"], draft["intent"], msg.channel.value)
    state = DraftState(draft["state"])
    with store.transaction():
        store.replace_findings(draft["id"], findings)
        if state in (DraftState.DRAFT, DraftState.NEEDS_APPROVAL):
            settled = settled_state(
                DraftFacts(
                    state=state,
                    text=draft["text"],
                    approved_text=draft["approved_text"],
                    acknowledged_text=draft["acknowledged_text"],
                    blockers=sum(f.severity is Severity.BLOCKER for f in findings),
                    warnings=sum(f.severity is Severity.WARNING for f in findings),
                    always_approve=draft["intent"] in ctx.always_approve,
                )
            )
            if settled is not state:
                store.set_draft_state(draft["id"], settled)
                store.audit(
                    actor="mailbot",
                    role="system",
                    action=settled.value,
                    entity="draft",
                    entity_id=draft["id"],
                    after=draft["text"],
                    detail={"blockers": [f.rule for f in findings if f.severity is Severity.BLOCKER]},
                )
        store.advance(msg.id, Stage.CHECKED)


StageRunner = Callable[[Store, StoredMessage, PipelineContext], None]

#: The pipeline, in order: the stage a message reaches and the runner that gets it there.
PIPELINE: tuple[tuple[Stage, StageRunner], ...] = (
    (Stage.PARSED, _run_parse),
    (Stage.THREADED, _run_thread),
    (Stage.CLASSIFIED, _run_classify),
    (Stage.DRAFTED, _run_draft),
    (Stage.CHECKED, _run_check),
)
_RUNNERS = dict(PIPELINE)


@dataclass
class SweepResult:
    """What one pass over pending messages did."""

    advanced: int = 0
    completed: int = 0
    failed: list[tuple[int, str, str]] = field(default_factory=list)


def process_message(
    store: Store, message_id: int, ctx: PipelineContext, *, until: Stage = Stage.CHECKED
) -> Stage:
    """Run one message through the remaining stages up to ``until``; stop at the first failure."""
    msg = store.message(message_id)
    while msg.stage.position < until.position:
        target = STAGE_ORDER[msg.stage.position + 1]
        try:
            _RUNNERS[target](store, msg, ctx)
        except Exception as exc:
            reason = str(exc) if isinstance(exc, MailbotError) else f"{type(exc).__name__}: {exc}"
            store.record_error(msg.id, target, reason)
            log.warning("message %d failed at stage %s: %s", msg.id, target.value, reason)
            raise StageFailed(msg.id, target, reason) from exc
        msg = store.message(message_id)
    return msg.stage


class StageFailed(MailbotError):
    """One message failed a stage (already recorded in the store)."""

    def __init__(self, message_id: int, stage: Stage, reason: str) -> None:
        self.message_id = message_id
        self.stage = stage
        self.reason = reason
        super().__init__(f"message {message_id}: stage {stage.value}: {reason}")


def sweep(
    store: Store,
    ctx: PipelineContext,
    *,
    limit: int = 500,
    max_attempts: int = 5,
    until: Stage = Stage.CHECKED,
) -> SweepResult:
    """Advance every pending message as far as it goes; failures do not stop the rest."""
    result = SweepResult()
    for msg in store.pending(limit=limit, max_attempts=max_attempts):
        before = msg.stage
        try:
            after = process_message(store, msg.id, ctx, until=until)
        except StageFailed as failed:
            result.failed.append((failed.message_id, failed.stage.value, failed.reason))
            continue
        if after is not before:
            result.advanced += 1
        if after is Stage.CHECKED:
            result.completed += 1
    return result
