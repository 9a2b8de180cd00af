"""Who is asking, and may they: sessions, role guards and CSRF tokens.

The session lives in a signed cookie (Starlette's ``SessionMiddleware``,
HttpOnly, SameSite=Lax, Secure behind TLS). It holds only the user's name,
a fingerprint of their password hash, a random session id and the CSRF
token. Everything else is read from the store on every request: a disabled
account or a changed role takes effect at once, and a new password ends
every older session (the fingerprint no longer matches). Logging out
forgets the session id in this process as well, so a copied cookie cannot
be replayed after logout until mailbot restarts.

Every route is wrapped by :func:`guard` with the roles it admits; the guard
is the only way a handler gets an :class:`~mailbot.users.Actor`. State-
changing requests must carry the session's CSRF token (a form field
``csrf`` or the ``X-CSRF-Token`` header), and a cross-origin ``Origin``
header is refused as well.
"""

from __future__ import annotations

import hashlib
import hmac
import inspect
import secrets
import time
from collections.abc import Awaitable, Callable, Collection
from typing import Any
from urllib.parse import quote, urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from mailbot.gate import Role
from mailbot.store import Store
from mailbot.users import Actor

SESSION_HOURS = 12
ALL_ROLES: frozenset[Role] = frozenset(Role)
SENDERS: frozenset[Role] = frozenset({Role.AGENT, Role.ADMIN})
REVIEWERS: frozenset[Role] = frozenset({Role.COMPLIANCE})
COMPLIANCE_VIEW: frozenset[Role] = frozenset({Role.COMPLIANCE, Role.ADMIN})
ADMINS: frozenset[Role] = frozenset({Role.ADMIN})
PUBLIC: frozenset[Role] = frozenset()
"""Marker for routes anyone may reach (the login page, static files)."""

Handler = Callable[[Request, Actor], Awaitable[Response] | Response]
Endpoint = Callable[[Request], Awaitable[Response]]


class CsrfError(HTTPException):
    """A state-changing request without the session's token (or from another origin)."""

    def __init__(self) -> None:
        super().__init__(403, "This form is out of date or did not come from mailbot. Reload the page.")


class Sessions:
    """Signs nothing itself (the middleware does); keeps the rules of a valid session."""

    def __init__(self, store: Store, secret_key: str) -> None:
        self.store = store
        self._key = secret_key.encode()
        self._ended: set[str] = set()

    def fingerprint(self, password_hash: str) -> str:
        return hmac.new(self._key, password_hash.encode(), hashlib.sha256).hexdigest()[:24]

    def start(self, request: Request, who: Actor) -> None:
        """A fresh session after a successful login (a new id and a new CSRF token)."""
        row = self.store.user(who.name)
        assert row is not None
        tz = request.session.get("tz")
        request.session.clear()
        request.session.update(
            u=who.name,
            fp=self.fingerprint(row["password_hash"]),
            sid=secrets.token_urlsafe(16),
            at=int(time.time()),
            csrf=secrets.token_urlsafe(32),
        )
        if tz:
            request.session["tz"] = tz

    def end(self, request: Request) -> None:
        sid = request.session.get("sid")
        if isinstance(sid, str):
            self._ended.add(sid)
        request.session.clear()

    def actor(self, request: Request) -> Actor | None:
        """The logged-in, enabled user of this request, or None."""
        session = request.session
        name, sid, at = session.get("u"), session.get("sid"), session.get("at")
        if not isinstance(name, str) or not isinstance(sid, str) or not isinstance(at, int):
            return None
        if sid in self._ended or time.time() - at > SESSION_HOURS * 3600:
            return None
        row = self.store.user(name)
        if row is None or row["disabled"]:
            return None
        if not hmac.compare_digest(str(session.get("fp", "")), self.fingerprint(row["password_hash"])):
            return None
        return Actor(row["name"], Role(row["role"]))


def csrf_token(request: Request) -> str:
    """The session's CSRF token, made on first use (the login form needs one too)."""
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    host = request.headers.get("host", "")
    return urlsplit(origin).netloc == host


def check_csrf(request: Request, submitted: str | None) -> None:
    expected = request.session.get("csrf")
    if not isinstance(expected, str) or not submitted or not _same_origin(request):
        raise CsrfError
    if not hmac.compare_digest(expected.encode(), submitted.encode()):
        raise CsrfError


async def checked_form(request: Request) -> FormData:
    """The request's form, after its CSRF token was checked."""
    form = await request.form()
    token = form.get("csrf")
    check_csrf(request, token if isinstance(token, str) else None)
    return form


def checked_header(request: Request) -> None:
    """For fetch() calls: the token travels in a header."""
    check_csrf(request, request.headers.get("x-csrf-token"))


def guard(roles: Collection[Role]) -> Callable[[Handler], Endpoint]:
    """Admit only these roles; anonymous users go to the login page (pages) or get 401.

    The allowed roles are kept on the endpoint (``endpoint.roles``) so a
    test can walk every route and check each one.
    """
    allowed = frozenset(roles)

    def wrap(handler: Handler) -> Endpoint:
        is_async = inspect.iscoroutinefunction(handler)

        async def endpoint(request: Request) -> Response:
            sessions: Sessions = request.app.state.web.sessions
            who = await run_in_threadpool(sessions.actor, request)
            if who is None:
                if request.method == "GET" and not request.url.path.startswith("/api/"):
                    target = quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
                    return RedirectResponse(f"/login?next={target}", status_code=303)
                raise HTTPException(401, "Log in first.")
            if who.role not in allowed:
                raise HTTPException(403, f"Your role ({who.role.value}) may not open this page.")
            request.state.who = who
            if is_async:
                result: Any = await handler(request, who)  # type: ignore[misc]
            else:
                result = await run_in_threadpool(handler, request, who)
            assert isinstance(result, Response)
            return result

        endpoint.__name__ = handler.__name__
        endpoint.__doc__ = handler.__doc__
        endpoint.roles = allowed  # type: ignore[attr-defined]
        return endpoint

    return wrap


def public(handler: Callable[[Request], Awaitable[Response]]) -> Endpoint:
    """Mark a route as reachable without logging in (the table test reads the mark)."""
    handler.roles = PUBLIC  # type: ignore[attr-defined]
    return handler


def safe_next(target: str | None) -> str:
    """Only local paths after login (no open redirect to another site)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target
