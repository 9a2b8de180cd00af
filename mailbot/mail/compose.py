"""Build the MIME bytes of a reply, refusing anything that could smuggle a header in.

Pure: values in, bytes out. The outbox calls :func:`compose_reply` once, when
a reply is queued, and stores the bytes; every retry sends exactly those
bytes, so the Message-ID the recipient (and our Sent folder) sees is fixed
before the first attempt.

Why validate by hand when :mod:`email` already refuses CR/LF in header
values: the customer's name, address and subject come from the customer's
own e-mail, and the standard library accepts other line breaks (NEL,
U+2028, vertical tab...) that some mail software folds on, and NUL, which
some truncates at. So every header value goes through :func:`check_text`
first, and addresses through :func:`check_address`, which also decides what
"well formed" means here: a dot-atom local part, a hostname domain (IDNA
encoded when it is not ASCII), no SMTPUTF8. The output is 7-bit clean
(RFC 2047 encoded words in headers, quoted-printable or base64 bodies), so
it passes any SMTP server without 8BITMIME.

A reply carries ``X-Mailbot-Reply: yes``, the loop marker our parser looks
for, and not ``Auto-Submitted``: a person approved it, so it is not an
automatic message and must not be treated as one by the customer's software.
"""

from __future__ import annotations

import html as html_lib
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from email.header import Header
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.policy import SMTP, compat32
from email.utils import format_datetime, getaddresses

from mailbot.errors import MailbotError
from mailbot.mail.autoreply import LOOP_MARKER_HEADER
from mailbot.mail.subjects import strip_reply_prefixes
from mailbot.model import Address

#: Our loop marker (the parser treats mail carrying it as ours, never a customer's).
LOOP_HEADER = LOOP_MARKER_HEADER

#: SMTP wire format, 7-bit bodies, headers folded at 78.
_POLICY = SMTP.clone(cte_type="7bit", max_line_length=78)

# RFC 5322 dot-atom text for the local part (ASCII only: no SMTPUTF8).
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LOCAL = re.compile(rf"{_ATEXT}(?:\.{_ATEXT})*")
_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
# A msg-id as RFC 5322 writes it, restricted to visible ASCII without brackets and spaces.
_MSG_ID = re.compile(r"<[!-;=?-~]+@[!-;=?-~]+>")
# Line breaks Python's str.splitlines() knows beyond CR and LF; some software folds on them.
_LINE_BREAKS = frozenset("\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")

MAX_SUBJECT_CHARS = 500
MAX_NAME_CHARS = 200
MAX_REFERENCES = 20


class HeaderError(MailbotError):
    """A value cannot go into a header safely (control character, malformed address...)."""


@dataclass(frozen=True)
class Reply:
    """Everything a reply's MIME message is made of.

    ``message_id`` is chosen by the caller (see :func:`new_message_id`) and
    stored with the bytes; ``date`` is when the reply was queued.
    """

    sender: Address
    to: Address
    subject: str
    text: str
    message_id: str
    date: datetime
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    html: str | None = None


def check_text(value: str, *, what: str) -> str:
    """Refuse control characters, line breaks and unpaired surrogates in a header value."""
    for char in value:
        category = unicodedata.category(char)
        if category in ("Cc", "Cs") or char in _LINE_BREAKS or category in ("Zl", "Zp"):
            raise HeaderError(f"{what}: contains the control character U+{ord(char):04X}; refused")
    return value


def check_address(addr: str, *, what: str = "address") -> str:
    """A plain ``local@domain`` address, checked and made ASCII (IDNA domain); raises HeaderError."""
    check_text(addr, what=what)
    if addr != addr.strip() or addr.count("@") != 1:
        raise HeaderError(f"{what}: {addr!r} is not a single e-mail address")
    local, domain = addr.split("@")
    if not local.isascii():
        raise HeaderError(f"{what}: {addr!r} has a non-ASCII local part (SMTPUTF8 is not supported)")
    if len(local) > 64 or not _LOCAL.fullmatch(local):
        raise HeaderError(f"{what}: {addr!r} has an invalid local part")
    if not domain.isascii():
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError as exc:
            raise HeaderError(f"{what}: {addr!r} has an invalid domain") from exc
    labels = domain.split(".")
    if len(domain) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        raise HeaderError(f"{what}: {addr!r} has an invalid domain")
    result = f"{local}@{domain.lower()}"
    if len(result) > 254:
        raise HeaderError(f"{what}: {addr!r} is too long")
    return result


def check_message_id(value: str, *, what: str = "Message-ID") -> str:
    """``<left@right>`` in visible ASCII; raises HeaderError otherwise."""
    check_text(value, what=what)
    if len(value) > 250 or not _MSG_ID.fullmatch(value):
        raise HeaderError(f"{what}: {value!r} is not a valid message id")
    return value


def is_message_id(value: str) -> bool:
    try:
        check_message_id(value)
    except HeaderError:
        return False
    return True


def new_message_id(sender_addr: str, token: str) -> str:
    """Our Message-ID: a unique ``token`` at the sender's domain (the caller supplies randomness)."""
    domain = check_address(sender_addr, what="From").split("@", 1)[1]
    if not re.fullmatch(r"[A-Za-z0-9._-]{8,100}", token):
        raise HeaderError(f"Message-ID token {token!r}: 8-100 letters, digits, '.', '_' or '-'")
    return f"<{token}@{domain}>"


def reply_threading(
    in_reply_to: str | None, references: list[str] | tuple[str, ...]
) -> tuple[str | None, tuple[str, ...]]:
    """In-Reply-To and References for a reply, keeping only well-formed ids.

    The ids come from the customer's message, so a broken one must not stop
    the reply: it is left out. References are the parent's References plus
    the parent itself (RFC 5322 3.6.4), without repeats; a very long chain
    keeps its first id (the thread's root) and the most recent ones.
    """
    parent = in_reply_to if in_reply_to and is_message_id(in_reply_to) else None
    chain = [ref for ref in references if is_message_id(ref)]
    if parent is not None:
        chain.append(parent)
    unique = list(dict.fromkeys(chain))
    if len(unique) > MAX_REFERENCES:
        unique = [unique[0], *unique[-(MAX_REFERENCES - 1) :]]
    return parent, tuple(unique)


def reply_subject(subject: str) -> str:
    """The subject as written when it already has a reply prefix (any language), else ``Re: ...``."""
    value = " ".join(subject.split())
    if not value:
        return "Re:"
    if strip_reply_prefixes(value) != value:
        return value
    return f"Re: {value}"


def text_to_html(text: str) -> str:
    """A minimal HTML rendering of a plain-text reply: escaped, paragraphs, line breaks kept."""
    paragraphs = [p for p in re.split(r"\n\s*\n", text.replace("\r\n", "\n").strip()) if p.strip()]
    body = "".join(
        "<p>" + "<br>\n".join(html_lib.escape(line) for line in p.split("\n")) + "</p>\n" for p in paragraphs
    )
    return f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"></head><body>\n{body}</body></html>\n'


# A display name that can go out as it is: atext and spaces, and no "=?" (see _phrase).
_PLAIN_PHRASE = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~ -]+")


def _encoded(value: str, name: str, *, force: bool) -> str:
    """RFC 2047 words (UTF-8) for non-ASCII text, or folded ASCII; CRLF + space between lines."""
    header = Header(value, charset="utf-8" if force else None, header_name=name, maxlinelen=78)
    return header.encode(splitchars=" ", linesep="\r\n")


def _phrase(value: str, name: str) -> str:
    """A display name as an RFC 5322 phrase: as is, quoted, or encoded words.

    Text that merely *looks* like an encoded word (``=?utf-8?q?...?=``) is
    encoded itself, so no reader decodes the customer's literal text into
    something else (a CR LF, say).
    """
    if value.isascii() and "=?" not in value:
        if _PLAIN_PHRASE.fullmatch(value):
            return value
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return _encoded(value, name, force=True)


def _mailbox_line(name: str, who: Address) -> str:
    addr = check_address(who.addr, what=name)
    display = " ".join(check_text(who.name, what=f"{name} name").split())
    if len(display) > MAX_NAME_CHARS:
        raise HeaderError(f"{name} name: longer than {MAX_NAME_CHARS} characters")
    if not display:
        return f"{name}: {addr}"
    phrase = _phrase(display, name)
    last = f"{name}: {phrase}".rsplit("\r\n", 1)[-1]
    glue = "\r\n " if len(last) + len(addr) + 3 > 78 else " "
    return f"{name}: {phrase}{glue}<{addr}>"


def _id_list_line(name: str, ids: list[str]) -> str:
    line, lines = f"{name}:", []
    for msg_id in ids:
        if len(line) + 1 + len(msg_id) > 78 and line != f"{name}:":
            lines.append(line)
            line = ""
        line += f" {msg_id}"
    return "\r\n".join([*lines, line])


def _header_block(reply: Reply) -> tuple[str, list[str]]:
    """Our header lines (built here, not by :mod:`email`), and their names in order."""
    subject = reply_subject(check_text(reply.subject, what="Subject"))
    if len(subject) > MAX_SUBJECT_CHARS:
        raise HeaderError(f"Subject: longer than {MAX_SUBJECT_CHARS} characters")
    lines = [
        _mailbox_line("From", reply.sender),
        _mailbox_line("To", reply.to),
        f"Subject: {_encoded(subject, 'Subject', force='=?' in subject)}",
        f"Date: {format_datetime(reply.date.astimezone(UTC))}",
        f"Message-ID: {check_message_id(reply.message_id)}",
    ]
    if reply.in_reply_to is not None:
        lines.append(f"In-Reply-To: {check_message_id(reply.in_reply_to, what='In-Reply-To')}")
    if reply.references:
        refs = [check_message_id(ref, what="References") for ref in reply.references]
        lines.append(_id_list_line("References", refs))
    lines.append(f"{LOOP_HEADER}: yes")
    names = [line.split(":", 1)[0].lower() for line in lines]
    return "".join(f"{line}\r\n" for line in lines), names


def _verify(raw: bytes, names: list[str], reply: Reply) -> None:
    """Read the result back: exactly our headers, and the addresses we meant (defence in depth)."""
    parsed = BytesHeaderParser(policy=compat32).parsebytes(raw)
    found = [key.lower() for key in parsed]
    if found[: len(names)] != names or set(found[len(names) :]) - _MIME_HEADERS:
        raise HeaderError(f"the composed reply has unexpected headers: {found}")
    for name, who in (("From", reply.sender), ("To", reply.to)):
        addresses = [addr.lower() for _, addr in getaddresses([str(parsed[name])])]
        if addresses != [check_address(who.addr).lower()]:
            raise HeaderError(f"{name}: the composed header does not read back as {who.addr!r}")


_MIME_HEADERS = frozenset({"content-type", "content-transfer-encoding", "mime-version"})


def _body_text(value: str, *, what: str) -> str:
    """Bodies are encoded (QP/base64), so only NUL, which some software truncates at, is refused."""
    if "\x00" in value:
        raise HeaderError(f"{what}: contains NUL; refused")
    return value.replace("\r\n", "\n").replace("\r", "\n")


def compose_reply(reply: Reply) -> bytes:
    """The reply as RFC 5322 bytes with CRLF line ends, 7-bit clean; raises HeaderError.

    The headers that carry people's words (From, To, Subject) are written
    here rather than by :mod:`email`'s header classes: those *decode*
    anything that looks like an encoded word in the value they are given,
    and write the result back out, so a customer name such as
    ``=?utf-8?q?Ann=0D=0ABcc:...?=`` would come out as a CR LF and a new
    header (seen with Python 3.11.7). :mod:`email` builds only the body part.
    """
    if reply.date.tzinfo is None:
        raise ValueError("compose_reply needs a timezone-aware date")
    head, names = _header_block(reply)
    body = EmailMessage(policy=_POLICY)
    body.set_content(_body_text(reply.text, what="text"), subtype="plain", charset="utf-8")
    if reply.html is not None:
        body.add_alternative(_body_text(reply.html, what="html"), subtype="html", charset="utf-8")
    raw = head.encode("ascii") + body.as_bytes(policy=_POLICY)
    if not raw.isascii():  # a guarantee the rest of the outbox relies on (no 8BITMIME needed)
        raise HeaderError("the composed reply is not 7-bit clean")
    _verify(raw, names, reply)
    return raw
