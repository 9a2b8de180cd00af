"""What people do to threads and drafts, as one set of service functions.

The web UI and the CLI both call these, acting as a named :class:`Actor`.
Each action loads a snapshot, asks :mod:`mailbot.gate` whether it is
allowed and what follows, writes the change and its audit entry (who, role,
when, before/after text) in one transaction, and returns. Nothing here is
specific to HTTP or to the terminal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from mailbot import gate
from mailbot.errors import MailbotError, NotFoundError
from mailbot.model import DraftState, Severity, Stage
from mailbot.pipeline import PipelineContext, refresh_thread
from mailbot.store import Store
from mailbot.users import Actor


@dataclass(frozen=True)
class DraftOutcome:
    """The draft after an action, with what the gate said."""

    draft_id: int
    state: DraftState
    blockers: int
    warnings: int


def _facts(store: Store, draft: dict[str, Any], ctx: PipelineContext) -> gate.DraftFacts:
    counts = store.finding_counts(draft["id"])
    return gate.DraftFacts(
        state=DraftState(draft["state"]),
        text=draft["text"],
        approved_text=draft["approved_text"],
        acknowledged_text=draft["acknowledged_text"],
        blockers=counts.get(Severity.BLOCKER.value, 0),
        warnings=counts.get(Severity.WARNING.value, 0),
        always_approve=draft["intent"] in ctx.always_approve,
    )


def _outcome(store: Store, draft_id: int) -> DraftOutcome:
    draft = store.draft(draft_id)
    counts = store.finding_counts(draft_id)
    return DraftOutcome(
        draft_id,
        DraftState(draft["state"]),
        counts.get(Severity.BLOCKER.value, 0),
        counts.get(Severity.WARNING.value, 0),
    )


def _audit(
    store: Store,
    who: Actor,
    action: str,
    draft: dict[str, Any],
    *,
    before: str | None,
    after: str | None,
    **detail: Any,
) -> None:
    store.audit(
        actor=who.name,
        role=who.role.value,
        action=action,
        entity="draft",
        entity_id=draft["id"],
        before=before,
        after=after,
        detail={"thread": draft["thread_id"], "state_before": draft["state"], **detail},
    )
    store.audit(
        actor=who.name,
        role=who.role.value,
        action=action,
        entity="thread",
        entity_id=draft["thread_id"],
        detail={"draft": draft["id"], **detail},
    )


def edit_draft(store: Store, ctx: PipelineContext, who: Actor, draft_id: int, text: str) -> DraftOutcome:
    """Replace a draft's text; findings are recomputed and the state follows them."""
    with store.transaction():
        draft = store.draft(draft_id)
        gate.check_edit(who.role, _facts(store, draft, ctx))
        message = store.message(draft["message_id"])
        findings = ctx.check(text, draft["language"], draft["intent"], message.channel.value)
        store.replace_findings(draft_id, findings)
        edited = {**draft, "text": text}
        state = gate.settled_state(_facts(store, edited, ctx))
        store.update_draft(draft_id, text=text, state=state)
        _audit(store, who, "edit", draft, before=draft["text"], after=text, state_after=state.value)
    return _outcome(store, draft_id)


def approve(store: Store, ctx: PipelineContext, who: Actor, draft_id: int, reason: str) -> DraftOutcome:
    """A compliance reviewer approves the draft's exact text, with a reason."""
    with store.transaction():
        draft = store.draft(draft_id)
        state = gate.check_approve(who.role, _facts(store, draft, ctx), reason)
        store.update_draft(
            draft_id, state=state, approved_text=draft["text"], approved_by=who.name, approval_reason=reason
        )
        _audit(store, who, "approve", draft, before=None, after=draft["text"], reason=reason)
    return _outcome(store, draft_id)


def return_draft(store: Store, ctx: PipelineContext, who: Actor, draft_id: int, comment: str) -> DraftOutcome:
    """A compliance reviewer sends the draft back to the agent with a comment."""
    with store.transaction():
        draft = store.draft(draft_id)
        state = gate.check_return(who.role, _facts(store, draft, ctx), comment)
        store.update_draft(
            draft_id, state=state, approved_text=None, approved_by=None, returned_comment=comment
        )
        _audit(store, who, "return", draft, before=draft["text"], after=None, comment=comment)
    return _outcome(store, draft_id)


def acknowledge(store: Store, ctx: PipelineContext, who: Actor, draft_id: int) -> DraftOutcome:
    """The agent has read the warnings on this exact text."""
    with store.transaction():
        draft = store.draft(draft_id)
        gate.check_acknowledge(who.role, _facts(store, draft, ctx))
        store.update_draft(draft_id, acknowledged_text=draft["text"])
        _audit(store, who, "acknowledge", draft, before=None, after=draft["text"])
    return _outcome(store, draft_id)


def send(store: Store, ctx: PipelineContext, who: Actor, draft_id: int) -> DraftOutcome:
    """Queue the exact allowed text for sending (e-mail) or printing (letter).

    The outbox row is created in the same transaction as the state change,
    and at most once per draft, so a double click never sends twice.
    """
    with store.transaction():
        draft = store.draft(draft_id)
        text = gate.check_send(who.role, _facts(store, draft, ctx))
        detail = store.message_detail(draft["message_id"])
        thread = store.thread_row(draft["thread_id"])
        # A reply goes back the way the message it answers came (a letter in
        # an e-mail conversation is answered on paper).
        channel = detail["channel"]
        if channel == "email":
            sender = ctx.senders.get(detail["mailbox"])
            if sender is None:
                raise MailbotError(
                    f"mailbox {detail['mailbox']!r} cannot send e-mail: add a [mailboxes.smtp] section"
                )
            store.enqueue_outbox(
                draft_id=draft_id,
                thread_id=draft["thread_id"],
                mailbox=detail["mailbox"],
                channel=channel,
                to_addr=detail["reply_to"] or detail["sender"] or thread["customer"],
                to_name=None if detail["reply_to"] else detail["sender_name"],
                sender=sender,
                subject=draft["subject"],
                text=text,
                in_reply_to=detail["message_id"],
                references=[*detail["refs"], *([detail["message_id"]] if detail["message_id"] else [])],
                actor=who.name,
            )
        printed = None
        if channel == "letter":
            if ctx.print_letter is None:
                raise MailbotError("no scan folder is configured, so reply letters cannot be printed")
            printed = str(ctx.print_letter(draft, detail, text))
        store.update_draft(draft_id, state=DraftState.SENDING)
        _audit(store, who, "send", draft, before=None, after=text, channel=channel, pdf=printed)
    return _outcome(store, draft_id)


def discard(store: Store, ctx: PipelineContext, who: Actor, draft_id: int, reason: str) -> DraftOutcome:
    with store.transaction():
        draft = store.draft(draft_id)
        state = gate.check_discard(who.role, _facts(store, draft, ctx))
        store.update_draft(draft_id, state=state)
        _audit(store, who, "discard", draft, before=draft["text"], after=None, reason=reason)
    return _outcome(store, draft_id)


def mark_posted(store: Store, ctx: PipelineContext, who: Actor, draft_id: int) -> DraftOutcome:
    """A reply letter went into the post: the thread is answered, the clock stops."""
    gate_roles = gate.SENDERS
    if who.role not in gate_roles:
        raise gate.PermissionDenied(
            f"only agent or admin may mark a letter posted (you are {who.role.value})"
        )
    with store.transaction():
        draft = store.draft(draft_id)
        if store.message(draft["message_id"]).channel.value != "letter":
            raise gate.InvalidTransition("only reply letters are marked posted; e-mail is sent by the outbox")
        if draft["state"] != DraftState.SENDING.value:
            raise gate.InvalidTransition(f"send (print) the letter first (it is {draft['state']})")
        store.record_posting(thread_id=draft["thread_id"], draft_id=draft_id, actor=who.name, at=_now())
        store.update_draft(draft_id, state=DraftState.SENT)
        _audit(store, who, "posted", draft, before=None, after=draft["text"])
        refresh_thread(store, draft["thread_id"], ctx)
    return _outcome(store, draft_id)


def close_thread(store: Store, ctx: PipelineContext, who: Actor, thread_id: int, reason: str) -> None:
    """Close a conversation that needs no (further) reply; the reason is required."""
    if not reason.strip():
        raise MailbotError("closing a thread needs a reason")
    if who.role not in gate.SENDERS:
        raise gate.PermissionDenied(f"only agent or admin may close a thread (you are {who.role.value})")
    with store.transaction():
        before = store.thread_row(thread_id)["state"]
        store.record_closing(thread_id, reason=reason, actor=who.name, at=_now())
        refresh_thread(store, thread_id, ctx)
        store.audit(
            actor=who.name,
            role=who.role.value,
            action="close",
            entity="thread",
            entity_id=thread_id,
            before=before,
            after="closed",
            detail={"reason": reason},
        )


def correct_intent(
    store: Store, ctx: PipelineContext, who: Actor, message_id: int, intent: str, known: tuple[str, ...]
) -> None:
    """A person sets a message's intent; stored as a correction for the next training run.

    The message goes back to the drafting stage, so an untouched draft is
    re-rendered from the right template (an edited one is kept).
    """
    gate.check_correct_intent(who.role)
    if intent not in known:
        raise NotFoundError(f"unknown intent {intent!r} (known: {', '.join(known)})")
    with store.transaction():
        message = store.message(message_id)
        store.record_correction(
            message_id=message_id,
            language=message.language,
            old_intent=message.intent,
            new_intent=intent,
            actor=who.name,
        )
        store.advance(message_id, Stage.CLASSIFIED, {"intent": intent, "confidence": 1.0, "needs_triage": 0})
        if message.thread_id is not None:
            store.update_thread(message.thread_id, intent=intent, needs_triage=0)
            refresh_thread(store, message.thread_id, ctx)
        store.audit(
            actor=who.name,
            role=who.role.value,
            action="correct_intent",
            entity="thread",
            entity_id=message.thread_id,
            before=message.intent,
            after=intent,
            detail={"message": message_id},
        )


def _now() -> datetime:
    return datetime.now(UTC)
