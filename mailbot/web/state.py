"""What every request handler of the review UI shares, and how pages are rendered.

One :class:`WebState` per app: config, store, sessions, the pipeline
context (built lazily, rebuilt by the admin's "reload policies"), the known
intents, and the Jinja2 environment (autoescaping on, always). Pages are
rendered through :func:`render`, which adds what every template needs: the
user, the CSRF token, flash messages and the user's time zone.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse

from mailbot import service
from mailbot.config import Config
from mailbot.pipeline import PipelineContext
from mailbot.store import Store
from mailbot.web import timefmt
from mailbot.web.auth import Sessions, csrf_token

TEMPLATES = Path(__file__).parent / "templates"

ContextFactory = Callable[[], PipelineContext]
IntentsFactory = Callable[[], tuple[tuple[str, str], ...]]
"""() -> (name, label) of every intent the policy knows."""


def policy_intents(config: Config) -> IntentsFactory:
    def load() -> tuple[tuple[str, str], ...]:
        policy = service.load_policies(config).intents
        return tuple((spec.name, spec.label or spec.name) for spec in policy.intents)

    return load


@dataclass
class WebState:
    """Shared by every request; the context is swapped whole on reload."""

    config: Config
    store: Store
    sessions: Sessions
    ctx_factory: ContextFactory
    intents_factory: IntentsFactory
    secure_cookies: bool = False
    env: jinja2.Environment = field(init=False)
    _ctx: PipelineContext | None = field(default=None, init=False)
    _intents: tuple[tuple[str, str], ...] | None = field(default=None, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def __post_init__(self) -> None:
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(TEMPLATES),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters.update(
            when=timefmt.when, left=timefmt.left, ago=timefmt.ago, iso=timefmt.iso, hours=timefmt.hours
        )

    @property
    def ctx(self) -> PipelineContext:
        with self._lock:
            if self._ctx is None:
                self._ctx = self.ctx_factory()
            return self._ctx

    @property
    def intents(self) -> tuple[tuple[str, str], ...]:
        with self._lock:
            if self._intents is None:
                self._intents = self.intents_factory()
            return self._intents

    def reload(self) -> None:
        """Build context and intents anew; if that raises, the old ones stay in force."""
        ctx = self.ctx_factory()
        intents = self.intents_factory()
        with self._lock:
            self._ctx, self._intents = ctx, intents


def web_state(request: Request) -> WebState:
    state = request.app.state.web
    assert isinstance(state, WebState)
    return state


def user_zone(request: Request) -> tzinfo:
    """The user's own time zone if set, else the browser's (sent at login), else UTC."""
    state = web_state(request)
    who = getattr(request.state, "who", None)
    names: list[Any] = []
    if who is not None:
        row = state.store.user(who.name)
        names.append(row["time_zone"] if row else None)
    names.append(request.session.get("tz"))
    for name in names:
        if isinstance(name, str) and name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return UTC


def flash(request: Request, message: str, kind: str = "ok") -> None:
    """A one-time note shown on the next page (after a redirect)."""
    notes = list(request.session.get("flash", []))
    notes.append([kind, message])
    request.session["flash"] = notes[-5:]


def redirect(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


def render(request: Request, template: str, status_code: int = 200, **values: Any) -> HTMLResponse:
    state = web_state(request)
    notes = request.session.pop("flash", []) if "flash" in request.session else []
    page = state.env.get_template(template).render(
        who=getattr(request.state, "who", None),
        csrf=csrf_token(request),
        notes=notes,
        tz=user_zone(request),
        now=datetime.now(UTC),
        path=request.url.path,
        **values,
    )
    return HTMLResponse(page, status_code=status_code)
