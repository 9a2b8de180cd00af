"""The review UI as a Starlette app: routes, sessions, security headers, error pages.

:func:`create_app` takes its dependencies (config, store, a factory of the
pipeline context) instead of reading globals, so tests build an app over a
temporary store with a fake context, and the daemon and ``mailbot serve``
build the real one.
"""

from __future__ import annotations

import logging
import secrets
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mailbot.config import Config, secret
from mailbot.store import Store
from mailbot.web import routes_admin, routes_auth, routes_compliance, routes_drafts, routes_sla, routes_thread
from mailbot.web.auth import SESSION_HOURS, Sessions
from mailbot.web.state import ContextFactory, IntentsFactory, WebState, policy_intents, render

log = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
SESSION_COOKIE = "mailbot_session"

PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'self'"
)
"""Every page: our own scripts and styles only, no inline script, no plug-ins."""

_HEADERS = {
    b"x-content-type-options": b"nosniff",
    b"referrer-policy": b"same-origin",
    b"x-frame-options": b"SAMEORIGIN",
    b"permissions-policy": b"camera=(), microphone=(), geolocation=(), payment=()",
    b"cross-origin-opener-policy": b"same-origin",
}


class SecurityHeaders:
    """Adds the CSP and friends to every response that does not set its own CSP."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = str(scope.get("path", "")).startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                if b"content-security-policy" not in present:
                    headers.append((b"content-security-policy", PAGE_CSP.encode()))
                headers.extend((k, v) for k, v in _HEADERS.items() if k not in present)
                if not static:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def routes() -> list[BaseRoute]:
    """Every route of the UI (the role table test walks this list)."""
    return [
        *routes_auth.routes,
        *routes_thread.routes,
        *routes_drafts.routes,
        *routes_compliance.routes,
        *routes_admin.routes,
        *routes_sla.routes,
        Mount("/static", app=StaticFiles(directory=STATIC), name="static"),
    ]


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": exc.detail}, status_code=exc.status_code)
    titles = {
        401: "Please log in",
        403: "Not allowed",
        404: "Not found",
        405: "Not allowed",
        413: "Too large",
    }
    return render(
        request,
        "error.html",
        status_code=exc.status_code,
        title=titles.get(exc.status_code, "Something went wrong"),
        detail=exc.detail,
    )


async def _server_error(request: Request, exc: Exception) -> Response:
    log.exception("review UI: %s %s failed", request.method, request.url.path, exc_info=exc)
    return Response(
        "mailbot hit an internal error; it is in the log. Go back and try again.",
        status_code=500,
        media_type="text/plain",
    )


def session_secret(config: Config) -> str:
    """The signing key from the environment; a random one (sessions end at restart) if unset."""
    name = config.settings.web.secret_key_env
    value = secret(name)
    if value and len(value) >= 16:
        return value
    if value:
        log.warning("$%s is shorter than 16 characters; using a random session key instead", name)
    else:
        log.info("$%s is not set; sessions use a random key and end when mailbot restarts", name)
    return secrets.token_urlsafe(32)


def create_app(
    config: Config,
    store: Store,
    ctx_factory: ContextFactory,
    *,
    intents_factory: IntentsFactory | None = None,
    secret_key: str | None = None,
    secure_cookies: bool | None = None,
) -> Starlette:
    """The review UI over ``store``; ``secure_cookies`` defaults to ``[web] behind_tls``."""
    key = secret_key or session_secret(config)
    secure = config.settings.web.behind_tls if secure_cookies is None else secure_cookies
    state = WebState(
        config=config,
        store=store,
        sessions=Sessions(store, key),
        ctx_factory=ctx_factory,
        intents_factory=intents_factory or policy_intents(config),
        secure_cookies=secure,
    )
    app = Starlette(
        routes=routes(),
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(
                SessionMiddleware,
                secret_key=key,
                session_cookie=SESSION_COOKIE,
                max_age=SESSION_HOURS * 3600,
                same_site="lax",
                https_only=secure,
            ),
        ],
        exception_handlers={HTTPException: _http_error, Exception: _server_error},
    )
    app.state.web = state
    return app
