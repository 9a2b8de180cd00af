"""``mailbot run``: the scheduler that wires sources and stages together.

An APScheduler 3.x ``AsyncIOScheduler`` runs one job per source (at the
source's interval) and the housekeeping jobs (pipeline sweep, SLA sweep).
Blocking work runs in the scheduler's thread pool; the store serialises
access. A job that raises is logged with its name and simply runs again at
its next interval. SIGTERM/SIGINT stop the daemon cleanly (running jobs
finish); SIGHUP reloads the policies, keeping the last good ones if the new
files are invalid. A second daemon on the same store refuses to start.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import functools
import importlib
import logging
import os
import signal
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import IO, Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from mailbot import service
from mailbot.config import Config, ConfigFile
from mailbot.errors import MailbotError, SourceError, StoreLockedError
from mailbot.notices import deliver_notices, send_digest
from mailbot.outbox import deliver_due
from mailbot.outbox_recovery import recover_after_crash
from mailbot.pipeline import PipelineContext
from mailbot.sources.folder import FolderPoller
from mailbot.sources.letters import LetterPoller
from mailbot.store import Store

log = logging.getLogger(__name__)


class StoreLock:
    """An exclusive, advisory lock next to the store file; the OS drops it if we die."""

    def __init__(self, store_path: Path) -> None:
        self.path = store_path.with_name(store_path.name + ".lock")
        self._handle: IO[str] | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a+")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise StoreLockedError(
                f"{self.path}: another mailbot daemon ({holder}) already runs on this store"
            ) from exc
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}\n")
        handle.flush()
        self._handle = handle

    def release(self) -> None:
        if self._handle is not None:
            fcntl.flock(self._handle.fileno(), fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None


class Daemon:
    """One running mailbot: scheduler, sources, housekeeping, optional web UI."""

    def __init__(self, config: Config, *, with_web: bool = True) -> None:
        self.config = config
        self.with_web = with_web and config.settings.web.enabled
        self.lock = StoreLock(config.store_path)
        self.store: Store | None = None
        self.context: PipelineContext | None = None
        self._stop = asyncio.Event()
        self._imap_stop = threading.Event()
        self._sweep_lock = threading.Lock()
        self._policy_signature: tuple[tuple[str, int, int], ...] = ()

    # -- jobs -------------------------------------------------------------

    def _job(self, name: str, func: Callable[[], Any]) -> Callable[[], None]:
        def run() -> None:
            try:
                func()
            except MailbotError as exc:
                log.error("job %s failed: %s (will run again at its next interval)", name, exc)
            except Exception:
                log.exception("job %s crashed (will run again at its next interval)", name)

        run.__name__ = name
        return run

    def _async_job(self, name: str, func: Callable[[], Awaitable[None]]) -> Callable[[], Awaitable[None]]:
        """The same failure handling as :meth:`_job`, for jobs that run on the event loop."""

        async def run() -> None:
            try:
                await func()
            except MailbotError as exc:
                log.error("job %s failed: %s (will run again at its next interval)", name, exc)
            except Exception:
                log.exception("job %s crashed (will run again at its next interval)", name)

        run.__name__ = name
        return run

    def sweep_pipeline(self) -> None:
        """Advance pending messages; one sweep at a time."""
        assert self.store is not None and self.context is not None
        if not self._sweep_lock.acquire(blocking=False):
            return
        try:
            result = service.process_pending(self.config, self.store, self.context)
            if result.advanced or result.failed:
                log.info("pipeline: %d completed, %d failed", result.completed, len(result.failed))
        finally:
            self._sweep_lock.release()

    def scan_folder(self, poller: FolderPoller) -> None:
        assert self.store is not None
        try:
            result = poller.scan(self.store)
        except MailbotError as exc:
            self.store.record_poll(poller.source, at=_now(), error=str(exc))
            raise
        self.store.record_poll(poller.source, at=_now())
        if result.stored:
            log.info("%s: stored %d new message(s)", poller.source, result.stored)
            self.sweep_pipeline()

    async def deliver_outbox(self) -> None:
        """Send due replies; a sent reply is threaded at once so its clock stops."""
        assert self.store is not None
        result = await deliver_due(self.config, self.store)
        for problem in result.problems:
            log.warning("outbox: %s", problem)
        if result.sent:
            log.info("outbox: sent %d repl(y/ies)", len(result.sent))
            await asyncio.to_thread(self.sweep_pipeline)

    async def deliver_sla_mail(self) -> None:
        """Send recorded escalation notices; write and send the daily digest once its time has come."""
        assert self.store is not None and self.context is not None
        policy = self.context.clock.policy
        daemon = self.config.settings.daemon
        result = await deliver_notices(self.config, self.store, time_zone=policy.time_zone)
        if daemon.digest:
            result.merge(
                await send_digest(
                    self.config,
                    self.store,
                    policy,
                    language=daemon.digest_language,
                    not_before=daemon.digest_time,
                )
            )
        for problem in result.problems:
            log.warning("notices: %s", problem)

    def retrain_intents(self) -> None:
        """Nightly: retrain with people's corrections; swap in only if no language's dev macro-F1 drops."""
        assert self.store is not None
        from mailbot.nlp.retrain import retrain

        paths = self.config.settings.paths
        result = retrain(
            self.store, self.config.resolve(paths.models), self.config.resolve(paths.training_data)
        )
        if result.swapped:
            self.reload_policies()  # rebuilds the context, which loads the new model

    def sla_sweep(self) -> None:
        assert self.store is not None and self.context is not None
        from mailbot.sla_service import sweep_sla

        result = sweep_sla(self.store, self.context.clock.policy)
        if result.transitions:
            log.info("sla: %d thread(s) changed state, %d notice(s)", result.transitions, result.notices)

    def reload_policies(self) -> None:
        """SIGHUP or a changed file: load policies anew; an invalid change keeps the last good ones."""
        self._policy_signature = service.policy_signature(self.config)
        try:
            self.context = service.build_context(self.config)
        except MailbotError as exc:
            log.error("policy reload refused, the previous policies stay in force: %s", exc)
            return
        log.info("policies reloaded")

    def watch_policies(self) -> None:
        """Reload when a policy or phrasebank file changed since the last load."""
        if service.policy_signature(self.config) != self._policy_signature:
            self.reload_policies()

    # -- lifecycle ----------------------------------------------------------

    def _schedule(self, scheduler: AsyncIOScheduler) -> None:
        settings = self.config.settings
        daemon = settings.daemon

        def every(job: Callable[[], Any], name: str, seconds: float, *, start_now: bool = True) -> None:
            """An interval job that never overlaps itself and catches up once after a pause."""
            first = {"next_run_time": _now()} if start_now else {}
            scheduler.add_job(
                job,
                "interval",
                seconds=seconds,
                id=name,
                coalesce=True,
                max_instances=1,
                misfire_grace_time=30,
                **first,
            )

        for poller in service.folder_pollers(self.config):
            scan = functools.partial(self.scan_folder, poller)
            every(self._job(poller.source, scan), poller.source, poller_interval(settings, poller))
        every(self._job("pipeline", self.sweep_pipeline), "pipeline", daemon.pipeline_interval)
        every(self._async_job("outbox", self.deliver_outbox), "outbox", daemon.outbox_interval)
        every(self._async_job("notices", self.deliver_sla_mail), "notices", daemon.outbox_interval)
        if daemon.retrain:
            scheduler.add_job(
                self._job("retrain", self.retrain_intents),
                "cron",
                hour=daemon.retrain_time.hour,
                minute=daemon.retrain_time.minute,
                id="retrain",
                coalesce=True,
                max_instances=1,
                misfire_grace_time=3600,
            )
        every(
            self._job("policies", self.watch_policies),
            "policies",
            daemon.policy_watch_interval,
            start_now=False,
        )
        every(self._job("sla", self.sla_sweep), "sla", daemon.sla_interval)

    def _imap_error(self, source: str, error: SourceError) -> None:
        log.error("%s", error)
        assert self.store is not None
        self.store.record_poll(source, at=_now(), error=str(error))

    def _imap_stored(self, source: str, result: object) -> None:
        assert self.store is not None
        self.store.record_poll(source, at=_now())
        self.sweep_pipeline()

    def _start_imap_watchers(self) -> list[threading.Thread]:
        threads: list[threading.Thread] = []
        boxes = [b for b in self.config.settings.mailboxes if b.imap is not None]
        if not boxes:
            return threads
        from mailbot.sources.imap import watch_mailbox

        assert self.store is not None

        for box in boxes:
            thread = threading.Thread(
                target=self._job(
                    f"imap:{box.name}",
                    functools.partial(
                        watch_mailbox,
                        self.config,
                        self.store,
                        box.name,
                        self._imap_stop,
                        on_error=functools.partial(self._imap_error, f"imap:{box.name}"),
                        on_stored=functools.partial(self._imap_stored, f"imap:{box.name}"),
                    ),
                ),
                name=f"imap-{box.name}",
                daemon=True,
            )
            thread.start()
            threads.append(thread)
        return threads

    async def run(self) -> None:
        """Run until SIGTERM/SIGINT."""
        self.lock.acquire()
        try:
            self.store = Store(self.config.store_path)
            self._policy_signature = service.policy_signature(self.config)
            self.context = service.build_context(self.config)
            recovered = await recover_after_crash(self.config, self.store)
            for problem in recovered.problems:
                log.warning("outbox recovery: %s", problem)
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, self._stop.set)
            loop.add_signal_handler(signal.SIGHUP, lambda: loop.run_in_executor(None, self.reload_policies))
            scheduler = AsyncIOScheduler(event_loop=loop, timezone="UTC")
            self._schedule(scheduler)
            scheduler.start()
            watchers = self._start_imap_watchers()
            web_task = self._start_web() if self.with_web else None
            log.info("mailbot running on %s", self.config.store_path)
            await self._stop.wait()
            log.info("stopping")
            self._imap_stop.set()
            if web_task is not None:
                web_task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await web_task
            scheduler.shutdown(wait=True)
            for watcher in watchers:
                await asyncio.to_thread(watcher.join, 10)
        finally:
            if self.store is not None:
                self.store.close()
            self.lock.release()

    def _start_web(self) -> asyncio.Task[None] | None:
        try:
            server = importlib.import_module("mailbot.web.server")
        except ModuleNotFoundError:
            log.info("the review UI is not part of this version; running without it")
            return None
        assert self.store is not None
        task: asyncio.Task[None] = asyncio.create_task(server.serve(self.config, self.store))
        return task


def poller_interval(settings: ConfigFile, poller: FolderPoller) -> float:
    """The configured interval of a folder or scan-folder source."""
    entries = settings.letters if isinstance(poller, LetterPoller) else settings.folders
    return next(entry.interval for entry in entries if entry.name == poller.name)


def _now() -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC)
