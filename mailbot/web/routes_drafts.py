"""Working a thread: edit, check as you type, send, discard, close, correct the intent.

Every handler checks the route's roles (:func:`~mailbot.web.auth.guard`),
the CSRF token, and then calls one function of :mod:`mailbot.actions`, which
asks the compliance gate and writes the audit log, exactly as the CLI does.
A refusal by the gate comes back to the page as a message, not an error page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import Any, TypeVar

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from mailbot import actions, gate, service
from mailbot.errors import MailbotError, NotFoundError
from mailbot.users import Actor
from mailbot.web.auth import ALL_ROLES, SENDERS, checked_form, checked_header, guard
from mailbot.web.state import WebState, flash, redirect, web_state

T = TypeVar("T")
MAX_TEXT = 100_000


def _int(request: Request, name: str) -> int:
    value = request.path_params[name]
    assert isinstance(value, int)
    return value


async def perform(request: Request, work: Callable[[], T]) -> T | None:
    """Run one action off the event loop; a gate refusal becomes a message on the next page."""
    try:
        return await run_in_threadpool(work)
    except gate.PermissionDenied as exc:
        raise HTTPException(403, str(exc)) from exc
    except NotFoundError as exc:
        raise HTTPException(404, str(exc)) from exc
    except MailbotError as exc:
        flash(request, str(exc), "error")
        return None


def describe(outcome: actions.DraftOutcome, done: str) -> str:
    """One line for the agent: what happened and what the draft needs now."""
    parts = [done]
    if outcome.blockers:
        parts.append(f"{outcome.blockers} blocker(s): a compliance reviewer must approve this wording")
    elif outcome.state.value == "needs_approval":
        parts.append("this intent always needs a compliance reviewer's approval")
    if outcome.warnings:
        parts.append(f"{outcome.warnings} warning(s) to read before sending")
    return "; ".join(parts) + "."


def _draft(state: WebState, draft_id: int) -> dict[str, Any]:
    try:
        return state.store.draft(draft_id)
    except NotFoundError as exc:
        raise HTTPException(404, str(exc)) from exc


def _text(form: Any) -> str | None:
    value = form.get("text")
    if not isinstance(value, str):
        return None
    if len(value) > MAX_TEXT:
        raise HTTPException(413, "the reply is too long")
    return value.replace("\r\n", "\n")


@guard(ALL_ROLES)
async def save(request: Request, who: Actor) -> Response:
    state = web_state(request)
    form = await checked_form(request)
    draft = _draft(state, _int(request, "draft_id"))
    text = _text(form)
    if text is None:
        raise HTTPException(400, "no text")
    outcome = await perform(
        request, lambda: actions.edit_draft(state.store, state.ctx, who, draft["id"], text)
    )
    if outcome is not None:
        flash(request, describe(outcome, "Draft saved"))
    return redirect(f"/threads/{draft['thread_id']}#draft")


@guard(SENDERS)
async def send(request: Request, who: Actor) -> Response:
    """Save the text if it changed, acknowledge warnings if ticked, then queue the reply."""
    state = web_state(request)
    form = await checked_form(request)
    draft = _draft(state, _int(request, "draft_id"))
    text = _text(form)
    acknowledged = form.get("acknowledge") == "1"

    def work() -> actions.DraftOutcome:
        ctx = state.ctx
        if text is not None and text != draft["text"]:
            actions.edit_draft(state.store, ctx, who, draft["id"], text)
        if acknowledged and state.store.finding_counts(draft["id"]).get("warning"):
            actions.acknowledge(state.store, ctx, who, draft["id"])
        return actions.send(state.store, ctx, who, draft["id"])

    outcome = await perform(request, work)
    if outcome is not None:
        letter = state.store.message(draft["message_id"]).channel.value == "letter"
        verb = "printing" if letter else "sending"
        flash(request, f"Reply queued for {verb}.")
    return redirect(f"/threads/{draft['thread_id']}")


@guard(SENDERS)
async def discard(request: Request, who: Actor) -> Response:
    state = web_state(request)
    form = await checked_form(request)
    draft = _draft(state, _int(request, "draft_id"))
    reason = str(form.get("reason", "")).strip()
    if not reason:
        flash(request, "Say why the draft is discarded.", "error")
        return redirect(f"/threads/{draft['thread_id']}")
    if await perform(request, lambda: actions.discard(state.store, state.ctx, who, draft["id"], reason)):
        flash(request, "Draft discarded.")
    return redirect(f"/threads/{draft['thread_id']}")


@guard(SENDERS)
async def posted(request: Request, who: Actor) -> Response:
    state = web_state(request)
    await checked_form(request)
    draft = _draft(state, _int(request, "draft_id"))
    if await perform(request, lambda: actions.mark_posted(state.store, state.ctx, who, draft["id"])):
        flash(request, "Letter marked as posted; the thread is answered.")
    return redirect(f"/threads/{draft['thread_id']}")


@guard(SENDERS)
async def close(request: Request, who: Actor) -> Response:
    state = web_state(request)
    form = await checked_form(request)
    thread_id = _int(request, "thread_id")
    reason = str(form.get("reason", "")).strip()

    def work() -> bool:
        actions.close_thread(state.store, state.ctx, who, thread_id, reason)
        return True

    if await perform(request, work):
        flash(request, "Thread closed.")
    return redirect(f"/threads/{thread_id}")


@guard(SENDERS)
async def correct_intent(request: Request, who: Actor) -> Response:
    """Set the intent; kept as a correction for retraining, and an untouched draft is redrafted."""
    state = web_state(request)
    form = await checked_form(request)
    message_id = _int(request, "message_id")
    intent = str(form.get("intent", ""))
    names = tuple(name for name, _ in state.intents)

    def work() -> int | None:
        ctx = state.ctx
        actions.correct_intent(state.store, ctx, who, message_id, intent, names)
        service.process_pending(state.config, state.store, ctx)
        return state.store.message(message_id).thread_id

    thread_id = await perform(request, work)
    if thread_id is not None:
        flash(request, f"Intent set to {dict(state.intents).get(intent, intent)}.")
        return redirect(f"/threads/{thread_id}")
    return redirect(request.headers.get("referer", "/") if _local(request) else "/")


def _local(request: Request) -> bool:
    referer = request.headers.get("referer", "")
    return referer.startswith(str(request.base_url))


@guard(ALL_ROLES)
async def check(request: Request, who: Actor) -> Response:
    """Wording findings for text being typed (nothing is saved)."""
    checked_header(request)
    state = web_state(request)
    draft = _draft(state, _int(request, "draft_id"))
    payload = await request.json()
    text = payload.get("text") if isinstance(payload, dict) else None
    if not isinstance(text, str) or len(text) > MAX_TEXT:
        raise HTTPException(400, "send {'text': '...'}")

    def work() -> list[dict[str, Any]]:
        channel = state.store.message(draft["message_id"]).channel.value
        found = state.ctx.check(text, draft["language"], draft["intent"], channel)
        return [asdict(f) | {"severity": f.severity.value} for f in found]

    findings = await run_in_threadpool(work)
    counts = {s: sum(f["severity"] == s for f in findings) for s in ("blocker", "warning", "info")}
    return JSONResponse({"findings": findings, "counts": counts})


routes = [
    Route("/drafts/{draft_id:int}/save", save, methods=["POST"]),
    Route("/drafts/{draft_id:int}/send", send, methods=["POST"]),
    Route("/drafts/{draft_id:int}/discard", discard, methods=["POST"]),
    Route("/drafts/{draft_id:int}/posted", posted, methods=["POST"]),
    Route("/threads/{thread_id:int}/close", close, methods=["POST"]),
    Route("/messages/{message_id:int}/intent", correct_intent, methods=["POST"]),
    Route("/api/drafts/{draft_id:int}/check", check, methods=["POST"]),
]
