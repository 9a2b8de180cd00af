"""Watching a mailbox until stopped: IDLE push where offered, polling otherwise.

imapclient is blocking, so a watch runs in threads: the daemon calls
:func:`watch_mailbox` once per mailbox (in ``asyncio.to_thread``, or via
:func:`watch_mailbox_async`), and with IDLE each further folder gets a thread
and a connection of its own, because IDLE watches one selected folder.

A folder watcher loops: connect, sync the folder, then wait in IDLE until
the server announces new mail (EXISTS), the IDLE is due for renewal (RFC
2177 asks for less than 29 minutes; shorter also finds dead connections
sooner), or the stop event is set; then sync again. Any network error,
server restart or timeout is reported through ``on_error`` and followed by
a reconnect after an exponential backoff with jitter; a successful sync
resets the backoff. Nothing here can stop another mailbox's watcher.
"""

from __future__ import annotations

import asyncio
import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from imapclient import IMAPClient

from mailbot.config import Config, MailboxSettings
from mailbot.errors import SourceError
from mailbot.sources.imap_conn import (
    NETWORK_ERRORS,
    Connector,
    close_connection,
    describe_error,
    imap_settings,
    open_connection,
    source_name,
)
from mailbot.sources.imap_sync import FolderResult, ImapStore, sync_folder

log = logging.getLogger(__name__)

#: Re-issue IDLE after this many seconds (RFC 2177: before 29 minutes).
IDLE_RENEW_SECONDS = 10 * 60
#: How often a waiting watcher looks at its stop event.
STOP_CHECK_SECONDS = 1.0

ErrorHandler = Callable[[SourceError], None]
StoredHandler = Callable[[FolderResult], None]


@dataclass(frozen=True)
class Backoff:
    """Exponential reconnect delays: initial, doubled per failure, capped, +-20% jitter."""

    initial: float = 1.0
    maximum: float = 300.0
    factor: float = 2.0

    def delay(self, failures: int) -> float:
        base = min(self.maximum, self.initial * self.factor ** max(0, failures - 1))
        return base * random.uniform(0.8, 1.2)


class ConnectionLost(ConnectionError):
    """The server closed the connection while we waited in IDLE (BYE or EOF)."""


def _log_error(error: SourceError) -> None:
    log.error("%s", error)


@dataclass
class _Watch:
    """Shared settings of one mailbox's watcher threads."""

    box: MailboxSettings
    store: ImapStore
    stop: threading.Event
    on_error: ErrorHandler
    on_stored: StoredHandler | None
    connect: Connector
    backoff: Backoff
    idle_renew: float

    def run(self, folders: list[str], *, use_idle: bool) -> None:
        """Sync ``folders`` on one connection until stopped; IDLE needs exactly one folder.

        A folder problem (missing folder, unreadable message) is reported and
        the other folders go on; a connection problem drops the connection and
        reconnects after the backoff.
        """
        settings = imap_settings(self.box)
        client: IMAPClient | None = None
        failures = 0
        while not self.stop.is_set():
            folder = folders[0]
            try:
                if client is None:
                    client = self.connect(self.box)
                folder_failed = False
                for folder in folders:
                    try:
                        self._sync(client, folder)
                    except SourceError as exc:
                        if len(folders) == 1:
                            raise
                        folder_failed = True
                        self._report(exc)
                failures = failures + 1 if folder_failed else 0
                if use_idle and client.has_capability("IDLE"):
                    wait_in_idle(client, self.stop, self.idle_renew)
                else:
                    self.stop.wait(settings.interval)
            except Exception as exc:  # one failure must never end the watch
                failures += 1
                self._report(self._as_source_error(exc, folder))
                if client is not None:
                    close_connection(client)
                    client = None
                self.stop.wait(self.backoff.delay(failures))
        if client is not None:
            close_connection(client)

    def _sync(self, client: IMAPClient, folder: str) -> None:
        result = sync_folder(client, self.store, self.box, folder)
        if result.fetched:
            log.info(
                "%s %s: %d new, %d already stored",
                source_name(self.box),
                folder,
                result.stored,
                result.duplicates,
            )
            if self.on_stored is not None:
                try:
                    self.on_stored(result)
                except Exception:  # the caller's hook must not look like a server failure
                    log.exception("%s: the on_stored handler failed", source_name(self.box))
        for message in result.errors:
            self._report(SourceError(message))

    def _report(self, error: SourceError) -> None:
        try:
            self.on_error(error)
        except Exception:  # a failing handler must not end the watch
            log.exception("%s: the on_error handler failed on: %s", source_name(self.box), error)

    def _as_source_error(self, exc: Exception, folder: str) -> SourceError:
        if isinstance(exc, SourceError):
            return exc
        if isinstance(exc, NETWORK_ERRORS):
            return SourceError(
                f"{source_name(self.box)}: {folder}: {describe_error(exc, imap_settings(self.box))}"
            )
        log.exception("%s: %s: unexpected error", source_name(self.box), folder)
        return SourceError(f"{source_name(self.box)}: {folder}: unexpected error: {exc!r}")


def wait_in_idle(client: IMAPClient, stop: threading.Event, renew: float) -> bool:
    """Wait in IDLE until new mail, renewal time or stop; True when new mail was announced.

    Raises :class:`ConnectionLost` when the server says BYE or the socket
    reaches EOF (imapclient's idle_check hides EOF as "no responses", so a
    readable socket that yields nothing several times in a row counts as EOF).
    """
    client.idle()
    started = time.monotonic()
    quiet_reads = 0
    announced = _has_buffered_input(client)
    while not announced and not stop.is_set():
        remaining = renew - (time.monotonic() - started)
        if remaining <= 0:
            break
        timeout = min(STOP_CHECK_SECONDS, remaining)
        began = time.monotonic()
        responses = client.idle_check(timeout=timeout)
        if not responses:
            returned_early = time.monotonic() - began < timeout / 2
            quiet_reads = quiet_reads + 1 if returned_early else 0
            if quiet_reads >= 3:
                raise ConnectionLost("connection closed by the server during IDLE")
            continue
        quiet_reads = 0
        kinds = {item[1] if isinstance(item[0], int) else item[0] for item in responses if item}
        if b"BYE" in kinds:
            raise ConnectionLost("the server closed the connection (BYE)")
        if kinds & {b"EXISTS", b"RECENT"}:
            announced = True
            break
    client.idle_done()
    return announced


def _has_buffered_input(client: IMAPClient) -> bool:
    """Whether server lines already wait in imaplib's read buffer (invisible to poll()).

    A server announces mail that arrived between our last sync and IDLE right
    after its "+ idling" reply, often in the same packet; imaplib reads the
    whole packet into its buffer, and imapclient's idle_check, which polls the
    socket first, would not see those lines until the next renewal. Reads
    imaplib's reader without blocking; if that is not possible, says False
    (the renewal still catches the mail).
    """
    sock = client.socket()
    pending = getattr(sock, "pending", None)  # TLS: decrypted bytes not yet read
    if callable(pending) and pending():
        return True
    reader = getattr(getattr(client, "_imap", None), "file", None)
    peek = getattr(reader, "peek", None)
    if not callable(peek):
        return False
    timeout = sock.gettimeout()
    sock.settimeout(0.0)  # non-blocking: peek returns only what is already there
    try:
        return bool(peek(1))
    except (OSError, ValueError):
        return False
    finally:
        sock.settimeout(timeout)


def watch_mailbox(
    config: Config,
    store: ImapStore,
    mailbox_name: str,
    stop: threading.Event,
    on_error: ErrorHandler | None = None,
    *,
    on_stored: StoredHandler | None = None,
    connect: Connector = open_connection,
    backoff: Backoff | None = None,
    idle_renew: float = IDLE_RENEW_SECONDS,
) -> None:
    """Keep a mailbox's folders stored until ``stop`` is set (blocking; run it in a thread).

    ``on_error`` is called (from a watcher thread) with a SourceError for
    every failed attempt; the default logs it. ``on_stored`` is called after
    a sync that fetched something (e.g. to wake the pipeline). With
    ``idle = true`` each folder gets its own connection and thread, because
    IDLE watches one folder; a folder whose server lacks IDLE is polled
    every ``interval`` seconds on that connection instead.
    """
    box = config.mailbox(mailbox_name)
    settings = imap_settings(box)
    watch = _Watch(
        box=box,
        store=store,
        stop=stop,
        on_error=on_error or _log_error,
        on_stored=on_stored,
        connect=connect,
        backoff=backoff or Backoff(),
        idle_renew=idle_renew,
    )
    if not settings.idle:
        watch.run(list(settings.folders), use_idle=False)
        return
    threads = [
        threading.Thread(
            target=watch.run,
            args=([folder],),
            kwargs={"use_idle": True},
            name=f"imap:{box.name}:{folder}",
            daemon=True,
        )
        for folder in settings.folders[1:]
    ]
    for thread in threads:
        thread.start()
    try:
        watch.run([settings.folders[0]], use_idle=True)
    finally:
        stop.set()
        for thread in threads:
            thread.join()


async def watch_mailbox_async(
    config: Config,
    store: ImapStore,
    mailbox_name: str,
    stop: asyncio.Event,
    on_error: ErrorHandler | None = None,
    *,
    on_stored: StoredHandler | None = None,
    connect: Connector = open_connection,
    backoff: Backoff | None = None,
    idle_renew: float = IDLE_RENEW_SECONDS,
) -> None:
    """Run :func:`watch_mailbox` in a worker thread until ``stop`` is set or the task is cancelled.

    ``on_error`` and ``on_stored`` are called from the worker thread: use
    ``loop.call_soon_threadsafe`` in them to touch the event loop.
    """
    thread_stop = threading.Event()

    def work() -> None:
        watch_mailbox(
            config,
            store,
            mailbox_name,
            thread_stop,
            on_error,
            on_stored=on_stored,
            connect=connect,
            backoff=backoff,
            idle_renew=idle_renew,
        )

    worker = asyncio.ensure_future(asyncio.to_thread(work))
    waiter = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({worker, waiter}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        thread_stop.set()
        waiter.cancel()
        await asyncio.shield(worker)
