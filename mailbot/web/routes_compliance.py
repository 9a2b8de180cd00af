"""The compliance queue: drafts needing approval, their findings and changes; approve or return."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mailbot import actions
from mailbot.users import Actor
from mailbot.web import views
from mailbot.web.auth import COMPLIANCE_VIEW, REVIEWERS, checked_form, guard
from mailbot.web.routes_drafts import perform
from mailbot.web.state import flash, redirect, render, web_state


@guard(COMPLIANCE_VIEW)
def review_queue(request: Request, who: Actor) -> Response:
    state = web_state(request)
    return render(
        request, "compliance.html", items=views.review_items(state.store), intent_labels=dict(state.intents)
    )


def _draft_id(request: Request) -> int:
    value = request.path_params["draft_id"]
    assert isinstance(value, int)
    return value


@guard(REVIEWERS)
async def approve(request: Request, who: Actor) -> Response:
    state = web_state(request)
    form = await checked_form(request)
    draft_id = _draft_id(request)
    reason = str(form.get("reason", "")).strip()
    outcome = await perform(request, lambda: actions.approve(state.store, state.ctx, who, draft_id, reason))
    if outcome is not None:
        flash(request, f"Draft {draft_id} approved; the agent can send it now.")
    return redirect("/compliance")


@guard(REVIEWERS)
async def return_(request: Request, who: Actor) -> Response:
    state = web_state(request)
    form = await checked_form(request)
    draft_id = _draft_id(request)
    comment = str(form.get("comment", "")).strip()
    outcome = await perform(
        request, lambda: actions.return_draft(state.store, state.ctx, who, draft_id, comment)
    )
    if outcome is not None:
        flash(request, f"Draft {draft_id} returned to the agent with your comment.")
    return redirect("/compliance")


routes = [
    Route("/compliance", review_queue, methods=["GET"]),
    Route("/drafts/{draft_id:int}/approve", approve, methods=["POST"]),
    Route("/drafts/{draft_id:int}/return", return_, methods=["POST"]),
]
