"""The IMAP source: shared support mailboxes, polled or pushed, no loss, no duplicates.

This module is the entry point the CLI, the daemon and the outbox use:

- :func:`poll_mailbox` - one pass over every folder of a mailbox (``mailbot poll --once``).
- :func:`watch_mailbox` - IDLE (or polling) until stopped, reconnecting with
  backoff; one call per mailbox, each in its own thread (see imap_watch.py).
- :func:`append_sent` / :func:`mark_answered` - the outbox's side: a copy of
  each sent reply in the Sent folder, ``\\Answered`` on the customer's message.

How a pass stays safe across crashes is explained in imap_sync.py; how a
connection is made (TLS modes, XOAUTH2, clear errors, redacted logs) in
imap_conn.py. Source name: ``imap:<mailbox name>``; source_ref:
``<folder>/<uidvalidity>/<uid>``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from mailbot.config import Config
from mailbot.errors import SourceError
from mailbot.sources.imap_conn import (
    NETWORK_ERRORS,
    Connector,
    close_connection,
    describe_error,
    imap_settings,
    open_connection,
)
from mailbot.sources.imap_outbox import append_sent, mark_answered
from mailbot.sources.imap_sync import FolderResult, ImapStore, Progress, sync_folder
from mailbot.sources.imap_watch import Backoff, watch_mailbox, watch_mailbox_async

log = logging.getLogger(__name__)


@dataclass
class ImapPollResult:
    """What one pass over a mailbox did, folder by folder."""

    mailbox: str
    folders: list[FolderResult] = field(default_factory=list)

    @property
    def fetched(self) -> int:
        return sum(f.fetched for f in self.folders)

    @property
    def stored(self) -> int:
        return sum(f.stored for f in self.folders)

    @property
    def duplicates(self) -> int:
        return sum(f.duplicates for f in self.folders)

    @property
    def errors(self) -> list[str]:
        return [error for f in self.folders for error in f.errors]

    def summary(self) -> str:
        """One line for the CLI and the log."""
        parts = [f"imap:{self.mailbox}: {self.stored} new, {self.duplicates} already stored"]
        rescanned = [f.folder for f in self.folders if f.rescanned and f.fetched]
        if rescanned:
            parts.append(f"re-scanned {', '.join(rescanned)}")
        return "; ".join(parts)


class ImapPollError(SourceError):
    """A pass hit problems; ``result`` holds what was stored before and besides them."""

    def __init__(self, message: str, result: ImapPollResult) -> None:
        super().__init__(message)
        self.result = result


def poll_mailbox(
    config: Config,
    store: ImapStore,
    mailbox_name: str,
    *,
    progress: Progress | None = None,
    connect: Connector = open_connection,
) -> ImapPollResult:
    """One pass over all of a mailbox's folders; new messages are stored before anything else.

    Raises :class:`SourceError` (an :class:`ImapPollError` when some folders
    worked) with a clear one-line reason for login, TLS, network and folder
    problems. Every folder is tried even when an earlier one failed.
    """
    box = config.mailbox(mailbox_name)
    settings = imap_settings(box)
    result = ImapPollResult(mailbox=box.name)
    client = connect(box)
    problems: list[str] = []
    try:
        for folder in settings.folders:
            try:
                result.folders.append(sync_folder(client, store, box, folder, progress=progress))
            except SourceError as exc:
                problems.append(str(exc))
            except NETWORK_ERRORS as exc:
                # The connection is gone: later folders cannot be read on it either.
                problems.append(f"imap:{box.name}: {folder}: {describe_error(exc, settings)}")
                break
    finally:
        close_connection(client)
    problems.extend(result.errors)
    if problems:
        raise ImapPollError("; ".join(problems), result)
    log.info("%s", result.summary())
    return result


__all__ = [
    "Backoff",
    "Connector",
    "FolderResult",
    "ImapPollError",
    "ImapPollResult",
    "ImapStore",
    "append_sent",
    "mark_answered",
    "open_connection",
    "poll_mailbox",
    "watch_mailbox",
    "watch_mailbox_async",
]
