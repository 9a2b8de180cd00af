"""``mailbot mailbox test NAME``: try a mailbox's settings against its server, step by step.

Each step yields one line an admin can act on (bad password, TLS failure,
unknown folder, keyword not allowed, no IDLE...). Nothing is changed on the
server: folders are opened with EXAMINE.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from mailbot.config import Config, ImapSettings
from mailbot.errors import SourceError
from mailbot.sources.imap_conn import (
    NETWORK_ERRORS,
    Connector,
    close_connection,
    describe_error,
    open_connection,
)
from mailbot.sources.imap_outbox import resolve_folder


class Outcome(StrEnum):
    OK = "ok"
    WARN = "warn"
    FAIL = "FAIL"


@dataclass(frozen=True)
class CheckLine:
    outcome: Outcome
    topic: str
    detail: str

    def __str__(self) -> str:
        return f"{self.outcome.value:<4}  {self.topic}: {self.detail}"


@dataclass
class MailboxCheck:
    """The lines of a mailbox test; ``ok`` when none failed."""

    mailbox: str
    lines: list[CheckLine] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(line.outcome is not Outcome.FAIL for line in self.lines)

    def add(self, outcome: Outcome, topic: str, detail: str) -> None:
        self.lines.append(CheckLine(outcome, topic, detail))


def _capabilities(client: IMAPClient, settings: ImapSettings, report: MailboxCheck) -> None:
    caps = {c.decode("ascii", "replace").upper() for c in client.capabilities()}
    if "IDLE" in caps:
        push = "push (IDLE)" if settings.idle else "IDLE offered but idle = false: polling"
        report.add(Outcome.OK, "new mail", f"{push}")
    else:
        report.add(Outcome.WARN, "new mail", f"server has no IDLE: polling every {settings.interval:g}s")
    if settings.after_store == "move" and "MOVE" not in caps:
        detail = "no MOVE: copy + delete" + (
            "" if "UIDPLUS" in caps else " (originals left flagged \\Deleted)"
        )
        report.add(Outcome.WARN, "move", detail)
    shown = sorted(caps & {"IDLE", "MOVE", "UIDPLUS", "CONDSTORE", "QRESYNC", "SPECIAL-USE", "X-GM-EXT-1"})
    report.add(Outcome.OK, "capabilities", " ".join(shown) or "(none of interest)")


def _folders(client: IMAPClient, settings: ImapSettings, report: MailboxCheck) -> None:
    existing = sorted(str(f[2]) for f in client.list_folders())
    for folder in settings.folders:
        if folder not in existing and not client.folder_exists(folder):
            report.add(
                Outcome.FAIL, f"folder {folder!r}", f"does not exist (server has: {', '.join(existing)})"
            )
            continue
        info = client.select_folder(folder, readonly=True)
        report.add(
            Outcome.OK,
            f"folder {folder!r}",
            f"{info.get(b'EXISTS', 0)} messages, UIDVALIDITY {info.get(b'UIDVALIDITY')}",
        )
        if settings.after_store == "flag":
            allowed = {f.decode("ascii", "replace") for f in info.get(b"PERMANENTFLAGS", ())}
            if "\\*" not in allowed and settings.flag not in allowed:
                report.add(
                    Outcome.FAIL,
                    f"folder {folder!r}",
                    f"server does not allow keyword {settings.flag} here"
                    f" (PERMANENTFLAGS: {' '.join(sorted(allowed))})",
                )
    if settings.after_store == "move" and settings.move_to and not client.folder_exists(settings.move_to):
        report.add(Outcome.FAIL, "move_to", f"folder {settings.move_to!r} does not exist")
    if settings.sent_folder:
        sent = resolve_folder(client, settings.sent_folder)
        if sent is None:
            report.add(Outcome.FAIL, "sent_folder", f"{settings.sent_folder!r} does not exist")
        else:
            report.add(Outcome.OK, "sent_folder", f"replies are filed in {sent!r}")
    else:
        report.add(Outcome.OK, "sent_folder", "off (no copies of replies are appended)")


def check_mailbox(config: Config, mailbox_name: str, *, connect: Connector = open_connection) -> MailboxCheck:
    """Log in, list capabilities, open every folder; never raises for server-side problems."""
    box = config.mailbox(mailbox_name)
    report = MailboxCheck(mailbox=box.name)
    settings = box.imap
    if settings is None:
        report.add(Outcome.FAIL, "imap", "no [mailboxes.imap] settings for this mailbox")
        return report
    if settings.tls == "plain":
        report.add(Outcome.WARN, "tls", "plain: credentials cross the network readable (local testing only)")
    try:
        client = connect(box)
    except SourceError as exc:
        report.add(Outcome.FAIL, "login", str(exc).removeprefix(f"imap:{box.name}: "))
        return report
    auth = "XOAUTH2 token" if settings.oauth2_token_env else "password"
    report.add(
        Outcome.OK,
        "login",
        f"{settings.username} at {settings.host}:{settings.port} ({settings.tls}, {auth})",
    )
    try:
        _capabilities(client, settings, report)
        _folders(client, settings, report)
    except (IMAPClientError, *NETWORK_ERRORS) as exc:
        report.add(Outcome.FAIL, "server", describe_error(exc, settings))
    finally:
        close_connection(client)
    return report
