"""Serving the review UI with uvicorn, inside the daemon or on its own.

:func:`serve` is the coroutine ``mailbot run`` starts as a task: it runs
until cancelled, then lets uvicorn finish open requests and close the
socket. Inside the daemon uvicorn must not install signal handlers (the
daemon owns SIGTERM/SIGINT/SIGHUP); ``mailbot serve`` lets it handle them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Generator

import uvicorn
from starlette.applications import Starlette

from mailbot import service
from mailbot.config import Config
from mailbot.errors import MailbotError
from mailbot.pipeline import PipelineContext
from mailbot.store import Store
from mailbot.web.app import create_app
from mailbot.web.state import WebState

log = logging.getLogger(__name__)


class _EmbeddedServer(uvicorn.Server):
    """A uvicorn server that leaves signal handling to its host process."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


def uvicorn_config(
    config: Config, store: Store, *, host: str | None = None, port: int | None = None
) -> uvicorn.Config:
    web = config.settings.web

    def context() -> PipelineContext:
        return service.build_context(config)

    app = create_app(config, store, context)
    return uvicorn.Config(
        app,
        host=host or web.host,
        port=port or web.port,
        lifespan="off",
        log_config=None,
        access_log=False,
        server_header=False,
        proxy_headers=web.behind_tls,
    )


async def serve(
    config: Config,
    store: Store,
    *,
    host: str | None = None,
    port: int | None = None,
    own_signals: bool = False,
) -> None:
    """Serve until cancelled (the daemon) or until SIGINT/SIGTERM (``own_signals``, for ``mailbot serve``).

    A port that cannot be bound raises :class:`~mailbot.errors.MailbotError`
    on its own, and is logged inside the daemon (uvicorn itself would exit
    the whole process).
    """
    settings = uvicorn_config(config, store, host=host, port=port)
    server = uvicorn.Server(settings) if own_signals else _EmbeddedServer(settings)
    log.info("review UI on http://%s:%d/", settings.host, settings.port)
    app = settings.app
    assert isinstance(app, Starlette)
    state: WebState = app.state.web
    watcher = asyncio.ensure_future(watch_policies(state))
    task = asyncio.ensure_future(_run(server, embedded=not own_signals))
    try:
        await asyncio.shield(task)
    except asyncio.CancelledError:
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError, MailbotError):
            await task
        raise
    finally:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher


async def watch_policies(state: WebState, interval: float | None = None) -> None:
    """Build the pipeline context now (not on the first live check), then reload it when files change.

    The same rule as the daemon's: a change to a policy or phrasebank file
    reloads; an invalid change is logged and the policies in force stay.
    """
    every = interval or float(getattr(state.config.settings.daemon, "policy_watch_interval", 10.0))
    signature = await asyncio.to_thread(service.policy_signature, state.config)
    try:
        await asyncio.to_thread(lambda: state.ctx)
    except MailbotError as exc:
        log.error("review UI: the policies do not load: %s", exc)
    while True:
        await asyncio.sleep(every)
        current = await asyncio.to_thread(service.policy_signature, state.config)
        if current == signature:
            continue
        signature = current
        try:
            await asyncio.to_thread(state.reload)
        except MailbotError as exc:
            log.error("review UI: policy reload refused, the previous policies stay in force: %s", exc)
        else:
            log.info("review UI: policies reloaded")


async def _run(server: uvicorn.Server, *, embedded: bool) -> None:
    """Inside the daemon a UI that cannot start is logged; the daemon goes on without it."""
    try:
        await server.serve()
    except SystemExit as exc:
        config = server.config
        problem = f"the review UI could not listen on {config.host}:{config.port} (in use?)"
        if not embedded:
            raise MailbotError(problem) from exc
        log.error("%s; mailbot runs on without it", problem)
