"""The parse stage: raw message bytes in, a :class:`ParsedMessage` out.

Pure and total: whatever bytes arrive (broken MIME, lying charsets, no
headers, a 20 MB attachment) come out as a ParsedMessage, with what was
wrong listed in ``defects`` for people to see. Nothing a customer wrote is
dropped silently: if even the MIME parser fails, the raw bytes are decoded
as text and kept as the body.

The work is split by role: :mod:`headers` decodes header values,
:mod:`mimeparts` walks the MIME tree, :mod:`htmltext` reads HTML,
:mod:`quotes` separates new text from history, :mod:`autoreply` spots
machine-written mail.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Callable
from datetime import datetime
from email import policy
from email.message import Message
from email.parser import BytesParser
from typing import Any

from mailbot.mail.autoreply import detect_auto
from mailbot.mail.charsets import decode_bytes
from mailbot.mail.elide import elide_base64_runs
from mailbot.mail.headers import Decoder, message_ids, parse_date
from mailbot.mail.htmltext import html_to_text
from mailbot.mail.mimeparts import extract
from mailbot.mail.quotes import split_reply
from mailbot.model import Address, ParsedMessage

MAX_BODY_CHARS = 1_000_000
MAX_KEPT_HEADER_CHARS = 500

# Headers later stages need (auto-reply detection, threading hints, client
# identification); the rest stays in the stored raw bytes.
KEPT_HEADERS: tuple[str, ...] = (
    "Auto-Submitted",
    "Precedence",
    "List-Id",
    "List-Unsubscribe",
    "X-Autoreply",
    "X-Autorespond",
    "X-Auto-Response-Suppress",
    "X-Mailbot-Reply",
    "Return-Path",
    "Content-Type",
    "Content-Language",
    "Thread-Index",
    "Thread-Topic",
    "X-Mailer",
    "User-Agent",
    "X-Failed-Recipients",
    "X-Spam-Flag",
    "Delivered-To",
    "X-Original-To",
)
_BLANK_LINE = re.compile(rb"\r?\n\r?\n")
# RFC 5322 allows each of these at most once.
_SINGLE_HEADERS = ("from", "to", "cc", "subject", "date", "message-id", "in-reply-to", "references")


def _memoised_header_factory() -> Callable[[str, str], Any]:
    """policy.default's header factory with a small cache of parsed headers.

    The parser and the part walk ask each part for its Content-Type several
    times, and policy.default parses the header afresh on every access; that
    was 80% of the time for a multipart message. Header objects are
    immutable, so sharing them is safe. Long values are not cached.
    """
    factory = policy.default.header_factory
    cached = functools.lru_cache(maxsize=2048)(factory)

    def header(name: str, value: str) -> Any:
        return cached(name, value) if len(value) <= 1000 else factory(name, value)

    return header


_PARSER = BytesParser(policy=policy.default.clone(header_factory=_memoised_header_factory()))


def parse_message(raw: bytes) -> ParsedMessage:
    """Read ``raw`` (one RFC 5322 message) into a ParsedMessage; never raises."""
    try:
        return _parse(raw)
    except Exception as exc:  # the stage must keep every message
        return _unparseable(raw, exc)


def synthetic_message_id(raw: bytes) -> str:
    """A stable Message-ID for mail without a usable one: the content hash."""
    return f"<{hashlib.sha256(raw).hexdigest()[:32]}@mailbot.invalid>"


def _parse(raw: bytes) -> ParsedMessage:
    shortened = elide_base64_runs(raw)
    message = _PARSER.parsebytes(shortened.data)
    raw_headers = _raw_headers(message)
    defects: list[str] = []
    if not raw_headers:
        defects.append("message has no headers")
    for name in _SINGLE_HEADERS:
        if len(raw_headers.get(name, ())) > 1:
            count = len(raw_headers[name])
            defects.append(f"{_title(name)}: header appears {count} times; the first is used")

    decoder = Decoder()
    body = extract(message, decoder, elided=shortened.removed)
    decoder.hint_charset = body.first_charset
    defects.extend(body.defects)

    subject = _first_text(decoder, raw_headers, "subject")
    sender = _first_address(decoder, raw_headers, "from") or _first_address(decoder, raw_headers, "sender")
    reply_to = _first_address(decoder, raw_headers, "reply-to")
    to = tuple(_all_addresses(decoder, raw_headers, "to"))
    cc = tuple(_all_addresses(decoder, raw_headers, "cc"))
    if "from" not in raw_headers:
        defects.append("From: header missing" + ("; Sender: used instead" if sender else ""))
    message_id = _message_id(raw, raw_headers, defects)
    date = _date(raw_headers, defects)
    kept = _kept_headers(decoder, raw_headers)
    is_auto, auto_reason = detect_auto(kept, subject, sender.addr if sender else None)

    body_text = "\n\n".join(chunk for chunk in body.chunks if chunk.strip())
    if not body_text.strip() and body.html:
        # An empty plain alternative next to a real HTML one: read the HTML.
        converted = html_to_text(body.html)
        body_text = converted.text
        defects.append("plain-text part is empty; the HTML part was read instead")
        if converted.defect:
            defects.append(converted.defect)
    if len(body_text) > MAX_BODY_CHARS:
        defects.append(f"body text longer than {MAX_BODY_CHARS} characters; cut")
        body_text = body_text[:MAX_BODY_CHARS]
    new_text, quoted_text, signature = split_reply(body_text)
    defects.extend(decoder.defects)

    return ParsedMessage(
        message_id=message_id,
        subject=subject,
        sender=sender,
        reply_to=reply_to,
        to=to,
        cc=cc,
        date=date,
        in_reply_to=_first_id(raw_headers, "in-reply-to"),
        references=tuple(_all_ids(raw_headers, "references")),
        body_text=body_text,
        new_text=new_text,
        quoted_text=quoted_text,
        signature=signature,
        html=body.html,
        attachments=tuple(body.attachments),
        is_auto=is_auto,
        auto_reason=auto_reason,
        defects=tuple(dict.fromkeys(defects)),
        headers=kept,
    )


def _raw_headers(message: Message) -> dict[str, list[str]]:
    """Header values exactly as received, by lower-case name, in order."""
    found: dict[str, list[str]] = {}
    for name, value in message.raw_items():
        found.setdefault(name.strip().lower(), []).append(str(value))
    return found


def _title(name: str) -> str:
    return "-".join(word.capitalize() for word in name.split("-")).replace("Id", "ID")


def _first_text(decoder: Decoder, raw_headers: dict[str, list[str]], name: str) -> str:
    values = raw_headers.get(name)
    return decoder.text(values[0], what=_title(name)) if values else ""


def _all_addresses(decoder: Decoder, raw_headers: dict[str, list[str]], name: str) -> list[Address]:
    found: list[Address] = []
    for value in raw_headers.get(name, ()):
        found.extend(decoder.addresses(value, what=_title(name)))
    return found


def _first_address(decoder: Decoder, raw_headers: dict[str, list[str]], name: str) -> Address | None:
    values = raw_headers.get(name)
    if not values:
        return None
    found = decoder.addresses(values[0], what=_title(name))
    return found[0] if found else None


def _first_id(raw_headers: dict[str, list[str]], name: str) -> str | None:
    ids = _all_ids(raw_headers, name)
    return ids[0] if ids else None


def _all_ids(raw_headers: dict[str, list[str]], name: str) -> list[str]:
    found: list[str] = []
    for value in raw_headers.get(name, ()):
        found.extend(message_ids(value))
    return list(dict.fromkeys(found))


def _message_id(raw: bytes, raw_headers: dict[str, list[str]], defects: list[str]) -> str:
    values = raw_headers.get("message-id")
    if values:
        ids = message_ids(values[0])
        if ids:
            return ids[0]
        defects.append(f"Message-ID: unusable value {values[0][:80]!r}; a stable one was synthesised")
    else:
        defects.append("Message-ID: header missing; a stable one was synthesised")
    return synthetic_message_id(raw)


def _date(raw_headers: dict[str, list[str]], defects: list[str]) -> datetime | None:
    values = raw_headers.get("date")
    if not values:
        defects.append("Date: header missing")
        return None
    parsed = parse_date(values[0])
    if parsed is None:
        defects.append(f"Date: cannot read {values[0][:80]!r}")
    return parsed


def _kept_headers(decoder: Decoder, raw_headers: dict[str, list[str]]) -> tuple[tuple[str, str], ...]:
    """The selected headers, decoded and cut to a sane length."""
    kept: list[tuple[str, str]] = []
    for name in KEPT_HEADERS:
        for value in raw_headers.get(name.lower(), ())[:3]:
            text = decoder.text(value, what=name)
            kept.append((name, text[:MAX_KEPT_HEADER_CHARS]))
    return tuple(kept)


def _unparseable(raw: bytes, exc: BaseException) -> ParsedMessage:
    """Last resort when the MIME walk fails: headers if possible, body as raw text."""
    reason = f"message could not be parsed as MIME ({type(exc).__name__}: {exc}); body shown as raw text"
    defects = [reason[:300]]
    subject, sender, message_id, date = "", None, synthetic_message_id(raw), None
    has_headers = False
    try:
        raw_headers = _raw_headers(_PARSER.parsebytes(raw, headersonly=True))
        has_headers = bool(raw_headers)
        decoder = Decoder()
        subject = _first_text(decoder, raw_headers, "subject")
        sender = _first_address(decoder, raw_headers, "from")
        message_id = _message_id(raw, raw_headers, defects)
        date = _date(raw_headers, defects)
        defects.extend(decoder.defects)
    except Exception as header_exc:  # even the headers are unreadable: keep the bytes
        defects.append(f"headers could not be read either ({type(header_exc).__name__})")
    head_and_body = _BLANK_LINE.split(raw, maxsplit=1)
    body = head_and_body[1] if has_headers and len(head_and_body) == 2 else raw
    decoded = decode_bytes(body[: MAX_BODY_CHARS * 4], None, what="raw message")
    text = decoded.text.replace("\r\n", "\n")[:MAX_BODY_CHARS]
    return ParsedMessage(
        message_id=message_id,
        subject=subject,
        sender=sender,
        date=date,
        body_text=text,
        new_text=text,
        defects=tuple(dict.fromkeys(defects)),
    )
