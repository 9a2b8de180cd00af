"""Admin pages: mailbox health, policy files, people, the error queue (the SLA report: routes_sla)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mailbot import service, users
from mailbot.errors import MailbotError
from mailbot.gate import Role
from mailbot.model import ThreadState
from mailbot.users import Actor
from mailbot.web import views
from mailbot.web.auth import ADMINS, checked_form, guard
from mailbot.web.state import WebState, flash, redirect, render, web_state


def mailbox_health(state: WebState, now: datetime) -> list[dict[str, Any]]:
    """Per mailbox: its sources, open work, SLA states, failed messages, latest activity."""
    settings = state.config.settings
    open_threads = state.store.queue(limit=views.QUEUE_SCAN, states=(ThreadState.OPEN,))
    latest = state.store.queue(limit=views.QUEUE_SCAN, states=tuple(ThreadState))
    failed = Counter(str(m.extra.get("mailbox")) for m in state.store.errors())
    imap_states = getattr(state.store, "imap_folder_states", None)
    polls = state.store.source_health()
    rows = []
    for box in settings.mailboxes:
        mine = [t for t in open_threads if t.mailbox == box.name]
        sla = Counter(views.sla_of(state.store, t, now) for t in mine)
        last = max(
            (t.last_message_at for t in latest if t.mailbox == box.name and t.last_message_at), default=None
        )
        folders = [f"folder {f.name}: {f.path}" for f in settings.folders if f.mailbox == box.name]
        folders += [f"scans {s.name}: {s.path}" for s in settings.letters if s.mailbox == box.name]
        sources = [f"folder:{f.name}" for f in settings.folders if f.mailbox == box.name]
        sources += [f"letters:{s.name}" for s in settings.letters if s.mailbox == box.name]
        sources += [f"imap:{box.name}"] if box.imap is not None else []
        imap = None
        if box.imap is not None:
            synced = imap_states(f"imap:{box.name}") if callable(imap_states) else {}
            imap = {
                "server": f"{box.imap.username} @ {box.imap.host}:{box.imap.port} ({box.imap.tls})",
                "folders": {name: synced.get(name) for name in box.imap.folders},
            }
        rows.append(
            {
                "box": box,
                "folders": folders,
                "imap": imap,
                "smtp": f"{box.smtp.host}:{box.smtp.port} ({box.smtp.tls})" if box.smtp else None,
                "open": len(mine),
                "due_soon": sla["due_soon"],
                "breached": sla["breached"],
                "failed": failed[box.name],
                "last_message_at": last,
                "polls": [(source, polls.get(source)) for source in sources],
            }
        )
    return rows


@guard(ADMINS)
def overview(request: Request, who: Actor) -> Response:
    state = web_state(request)
    now = datetime.now(UTC)
    return render(
        request,
        "admin_overview.html",
        health=mailbox_health(state, now),
        stages=state.store.count_by_stage(),
        errors=len(state.store.errors()),
    )


@guard(ADMINS)
def policies(request: Request, who: Actor) -> Response:
    results = service.check_policies(web_state(request).config)
    return render(request, "admin_policies.html", results=results)


@guard(ADMINS)
async def reload_policies(request: Request, who: Actor) -> Response:
    state = web_state(request)
    await checked_form(request)
    try:
        await run_in_threadpool(state.reload)
    except MailbotError as exc:
        flash(request, f"Reload refused, the previous policies stay in force: {exc}", "error")
    else:
        state.store.audit(
            actor=who.name, role=who.role.value, action="reload_policies", entity="policy", entity_id=None
        )
        flash(request, "Policies reloaded for the review UI.")
    return redirect("/admin/policies")


@guard(ADMINS)
def people(request: Request, who: Actor) -> Response:
    return render(
        request, "admin_users.html", people=web_state(request).store.users(), roles=[r.value for r in Role]
    )


@guard(ADMINS)
async def add_person(request: Request, who: Actor) -> Response:
    state = web_state(request)
    form = await checked_form(request)
    name = str(form.get("name", "")).strip()
    role = str(form.get("role", ""))
    password = str(form.get("password", ""))
    if not name or role not in {r.value for r in Role}:
        flash(request, "Give a name and pick a role.", "error")
        return redirect("/admin/users")
    try:
        await run_in_threadpool(users.add_user, state.store, name, Role(role), password)
    except MailbotError as exc:
        flash(request, str(exc), "error")
    else:
        state.store.audit(
            actor=who.name,
            role=who.role.value,
            action="user_add",
            entity="user",
            entity_id=None,
            after=f"{name} ({role})",
        )
        flash(request, f"Added {name} ({role}).")
    return redirect("/admin/users")


@guard(ADMINS)
async def change_person(request: Request, who: Actor) -> Response:
    """Disable, enable or set a new password for an account."""
    state = web_state(request)
    form = await checked_form(request)
    name = str(request.path_params["name"])
    what = str(request.path_params["what"])
    try:
        if what == "disable":
            if name == who.name:
                raise MailbotError("you cannot disable your own account")
            await run_in_threadpool(users.set_disabled, state.store, name, disabled=True)
        elif what == "enable":
            await run_in_threadpool(users.set_disabled, state.store, name, disabled=False)
        elif what == "password":
            await run_in_threadpool(users.set_password, state.store, name, str(form.get("password", "")))
        else:
            raise MailbotError(f"unknown change {what!r}")
    except MailbotError as exc:
        flash(request, str(exc), "error")
    else:
        state.store.audit(
            actor=who.name,
            role=who.role.value,
            action=f"user_{what}",
            entity="user",
            entity_id=None,
            after=name,
        )
        flash(
            request,
            {
                "disable": f"{name} disabled.",
                "enable": f"{name} enabled.",
                "password": f"New password set for {name}.",
            }[what],
        )
    return redirect("/admin/users")


@guard(ADMINS)
def errors(request: Request, who: Actor) -> Response:
    return render(request, "admin_errors.html", failed=web_state(request).store.errors())


@guard(ADMINS)
async def retry(request: Request, who: Actor) -> Response:
    state = web_state(request)
    form = await checked_form(request)
    chosen = [int(v) for v in form.getlist("message") if isinstance(v, str) and v.isdigit()]
    everything = form.get("all") == "1"
    if not chosen and not everything:
        flash(request, "Pick messages to retry.", "error")
        return redirect("/admin/errors")

    def work() -> tuple[int, int, int]:
        cleared = state.store.clear_errors(None if everything else chosen)
        result = service.process_pending(state.config, state.store, state.ctx)
        return cleared, result.completed, len(result.failed)

    cleared, completed, failed = await run_in_threadpool(work)
    flash(
        request,
        f"Retried {cleared}: {completed} completed, {failed} failed again.",
        "error" if failed else "ok",
    )
    return redirect("/admin/errors")


routes = [
    Route("/admin", overview, methods=["GET"]),
    Route("/admin/policies", policies, methods=["GET"]),
    Route("/admin/policies/reload", reload_policies, methods=["POST"]),
    Route("/admin/users", people, methods=["GET"]),
    Route("/admin/users", add_person, methods=["POST"]),
    Route("/admin/users/{name:str}/{what:str}", change_person, methods=["POST"]),
    Route("/admin/errors", errors, methods=["GET"]),
    Route("/admin/errors/retry", retry, methods=["POST"]),
]
