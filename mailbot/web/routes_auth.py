"""Logging in and out, and the user's own account (time zone, password)."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mailbot import users
from mailbot.errors import MailbotError
from mailbot.users import Actor
from mailbot.web.auth import ALL_ROLES, checked_form, guard, public, safe_next
from mailbot.web.state import flash, redirect, render, web_state


def _zone(name: object) -> str | None:
    if not isinstance(name, str) or not name or len(name) > 64:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return name


@public
async def login_page(request: Request) -> Response:
    state = web_state(request)
    if await run_in_threadpool(state.sessions.actor, request) is not None:
        return redirect(safe_next(request.query_params.get("next")))
    return render(request, "login.html", next=safe_next(request.query_params.get("next")), error=None)


@public
async def login(request: Request) -> Response:
    state = web_state(request)
    form = await checked_form(request)
    name = str(form.get("name", "")).strip()
    password = str(form.get("password", ""))
    target = safe_next(str(form.get("next", "/")))
    zone = _zone(form.get("tz"))
    try:
        who = await run_in_threadpool(users.authenticate, state.store, name, password)
    except users.AuthError:
        return render(
            request,
            "login.html",
            status_code=401,
            next=target,
            error="Wrong name or password, or the account is locked or disabled. "
            "After 5 failed attempts an account is locked for 15 minutes.",
        )
    if zone:
        request.session["tz"] = zone
    state.sessions.start(request, who)
    return redirect(target)


@guard(ALL_ROLES)
async def logout(request: Request, who: Actor) -> Response:
    await checked_form(request)
    web_state(request).sessions.end(request)
    return redirect("/login")


@guard(ALL_ROLES)
def account(request: Request, who: Actor) -> Response:
    row = web_state(request).store.user(who.name) or {}
    return render(request, "account.html", zones=sorted(available_timezones()), current=row.get("time_zone"))


@guard(ALL_ROLES)
async def set_zone(request: Request, who: Actor) -> Response:
    form = await checked_form(request)
    zone = _zone(form.get("time_zone"))
    if zone is None:
        flash(request, "Pick a time zone from the list.", "error")
    else:
        await run_in_threadpool(web_state(request).store.update_user, who.name, time_zone=zone)
        flash(request, f"Times are now shown in {zone}.")
    return redirect("/account")


@guard(ALL_ROLES)
async def change_password(request: Request, who: Actor) -> Response:
    state = web_state(request)
    form = await checked_form(request)
    current, new, again = (str(form.get(k, "")) for k in ("current", "new", "again"))
    if new != again:
        flash(request, "The two new passwords differ.", "error")
        return redirect("/account")
    try:
        await run_in_threadpool(users.authenticate, state.store, who.name, current)
        await run_in_threadpool(users.set_password, state.store, who.name, new)
    except users.AuthError:
        flash(request, "The current password is wrong.", "error")
        return redirect("/account")
    except MailbotError as exc:
        flash(request, str(exc), "error")
        return redirect("/account")
    state.sessions.start(request, who)  # other sessions of this user end with the old password
    flash(request, "Password changed. Other sessions of yours have ended.")
    return redirect("/account")


routes = [
    Route("/login", login_page, methods=["GET"]),
    Route("/login", login, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
    Route("/account", account, methods=["GET"]),
    Route("/account/time-zone", set_zone, methods=["POST"]),
    Route("/account/password", change_password, methods=["POST"]),
]
