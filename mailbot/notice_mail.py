"""The e-mails mailbot writes to its own people: SLA escalation notices and the daily digest.

Pure: values in, text or MIME bytes out. The thread's subject and the
customer's name come from a customer's e-mail, so they are treated as
hostile: in the Subject header every control character and line break
becomes a space before :func:`~mailbot.mail.compose.check_text` sees the
value (an alert must still go out when a customer tries header injection,
with the attempt made inert rather than refused), and non-ASCII or
encoded-word look-alikes are written as RFC 2047 words, never passed
through. Addresses go through :func:`~mailbot.mail.compose.check_address`.
The bytes are read back before they are returned: exactly our headers, and
exactly the recipients we meant.

These messages are automatic: they carry ``Auto-Submitted: auto-generated``
(RFC 3834, so no vacation responder answers them) and mailbot's own loop
marker, so a notice that lands in a mailbox mailbot reads is never taken
for a customer's message.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.header import Header
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.policy import SMTP, compat32
from email.utils import format_datetime, getaddresses
from zoneinfo import ZoneInfo

from mailbot.mail.compose import LOOP_HEADER, HeaderError, check_address, check_text, new_message_id
from mailbot.model import Address
from mailbot.sla_digest import format_duration

_POLICY = SMTP.clone(cte_type="7bit", max_line_length=78)
_MIME_HEADERS = frozenset({"content-type", "content-transfer-encoding", "mime-version"})

#: Thread subjects are cut to this many characters in a notice's Subject.
SUBJECT_CHARS = 120

_LEVEL_WORDS = {"breached": "breached", "due_soon": "due soon"}


@dataclass(frozen=True)
class InternalMail:
    """One message to colleagues; ``token`` makes its Message-ID the same on every attempt."""

    sender: Address
    recipients: tuple[str, ...]
    subject: str
    text: str
    token: str
    date: datetime


@dataclass(frozen=True)
class NoticeFacts:
    """What a notice says about its thread (times aware; ``due_at`` may be unknown)."""

    thread_id: int
    level: str
    subject: str
    customer: str
    customer_name: str | None
    mailbox: str
    due_at: datetime | None


def one_line(value: str, limit: int) -> str:
    """Hostile text made safe for one header line: no control characters, no line breaks, short."""
    cleaned = "".join(" " if unicodedata.category(ch) in ("Cc", "Cs", "Zl", "Zp") else ch for ch in value)
    single = " ".join(cleaned.split())
    return single if len(single) <= limit else single[: limit - 1].rstrip() + "…"


def mail_token(kind: str, key: str) -> str:
    """A stable Message-ID token for a notice key or digest day (letters, digits, dashes)."""
    return f"mailbot-{kind}-{hashlib.sha256(key.encode()).hexdigest()[:32]}"


def notice_subject(facts: NoticeFacts) -> str:
    words = _LEVEL_WORDS.get(facts.level, facts.level.replace("_", " "))
    return f"[mailbot] Thread {facts.thread_id} {words}: {one_line(facts.subject, SUBJECT_CHARS)}"


def notice_text(facts: NoticeFacts, *, now: datetime, time_zone: str) -> str:
    """The notice's body: what the thread is, when it was due, how late or how close, and where."""
    zone = ZoneInfo(time_zone)
    customer = f"{facts.customer_name} <{facts.customer}>" if facts.customer_name else facts.customer
    headline = (
        f"Thread {facts.thread_id} has breached its response time."
        if facts.level == "breached"
        else f"Thread {facts.thread_id} is due soon."
    )
    lines = [
        headline,
        "",
        f"Subject:  {facts.subject}",
        f"Customer: {customer}",
        f"Mailbox:  {facts.mailbox}",
    ]
    if facts.due_at is not None:
        lines.append(f"Due:      {facts.due_at.astimezone(zone):%Y-%m-%d %H:%M} ({time_zone})")
        left = facts.due_at - now
        if left >= timedelta(0):
            lines.append(f"Time left: {format_duration(left)}")
        else:
            lines.append(f"Overdue by: {format_duration(-left)}")
    lines += ["", f"Open it: /threads/{facts.thread_id}", ""]
    return "\n".join(lines)


def _encoded(value: str, name: str) -> str:
    force = not value.isascii() or "=?" in value
    header = Header(value, charset="utf-8" if force else None, header_name=name, maxlinelen=78)
    return header.encode(splitchars=" ", linesep="\r\n")


def _from_line(sender: Address) -> str:
    addr = check_address(sender.addr, what="From")
    name = one_line(check_text(sender.name, what="From name"), 200)
    if not name:
        return f"From: {addr}"
    quoted = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
    phrase = quoted if name.isascii() and "=?" not in name else _encoded(name, "From")
    return f"From: {phrase}\r\n <{addr}>"


def _to_line(recipients: tuple[str, ...]) -> str:
    addresses = [check_address(r, what="To") for r in recipients]
    return "To: " + ",\r\n ".join(addresses)


def compose_internal(mail: InternalMail) -> bytes:
    """The message as 7-bit RFC 5322 bytes with CRLF line ends; raises HeaderError."""
    if mail.date.tzinfo is None:
        raise ValueError("compose_internal needs a timezone-aware date")
    if not mail.recipients:
        raise HeaderError("an internal message needs at least one recipient")
    subject = check_text(one_line(mail.subject, 300), what="Subject")
    lines = [
        _from_line(mail.sender),
        _to_line(mail.recipients),
        f"Subject: {_encoded(subject, 'Subject')}",
        f"Date: {format_datetime(mail.date.astimezone(UTC))}",
        f"Message-ID: {new_message_id(mail.sender.addr, mail.token)}",
        "Auto-Submitted: auto-generated",
        f"{LOOP_HEADER}: yes",
    ]
    names = [line.split(":", 1)[0].lower() for line in lines]
    body = EmailMessage(policy=_POLICY)
    body.set_content(mail.text.replace("\x00", " "), subtype="plain", charset="utf-8")
    raw = "".join(f"{line}\r\n" for line in lines).encode("ascii") + body.as_bytes(policy=_POLICY)
    _verify(raw, names, mail)
    return raw


def _verify(raw: bytes, names: list[str], mail: InternalMail) -> None:
    """Defence in depth: the bytes parse back to our headers and our recipients only."""
    parsed = BytesHeaderParser(policy=compat32).parsebytes(raw)
    found = [key.lower() for key in parsed]
    if found[: len(names)] != names or set(found[len(names) :]) - _MIME_HEADERS:
        raise HeaderError(f"the composed notice has unexpected headers: {found}")
    to = [addr.lower() for _, addr in getaddresses([str(parsed["To"])])]
    if to != [check_address(r).lower() for r in mail.recipients]:
        raise HeaderError("To: the composed header does not read back as the recipients")
