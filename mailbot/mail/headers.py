"""Decode raw header values by hand, leniently, without ever raising.

The header classes of ``email.policy.default`` are strict in the wrong
places: raw 8-bit bytes become U+FFFD, a malformed encoded word can raise,
and a split multi-byte character across two encoded words is lost. So the
parse stage takes each header's *raw* value (``Message.raw_items``) and
decodes it here: 8-bit bytes are read as UTF-8 or the message's charset,
RFC 2047 encoded words are joined before decoding, and every problem is
returned as a human-readable defect string.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import getaddresses, parsedate_to_datetime

from mailbot.mail.charsets import decode_bytes
from mailbot.model import Address

# =?charset?B|Q?payload?= ; the payload may (illegally) contain spaces.
_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?]*)\?=")
_FOLD = re.compile(r"\r?\n(?=[ \t])|\r(?=[ \t])")
_WHITESPACE = re.compile(r"\s+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_MSG_ID = re.compile(r"<\s*([^<>\s]+?)\s*>")
_BARE_ADDRESS = re.compile(r"[^\s<>\"',;:()\[\]]+@[^\s<>\"',;:()\[\]]+")

MAX_HEADER_CHARS = 2000
MAX_ID_CHARS = 500


@dataclass
class Decoder:
    """Decodes header values of one message and collects what went wrong.

    ``hint_charset`` is the charset of the message body: senders that put
    raw 8-bit bytes in headers usually use the same charset there.
    """

    hint_charset: str | None = None
    defects: list[str] = field(default_factory=list)

    def text(self, raw: str, *, what: str) -> str:
        """Decode an unstructured value (Subject, a display name) to one line."""
        value = _FOLD.sub("", raw)
        if _has_raw_bytes(value):
            value = self._raw_bytes(value, what=what)
        if "=?" in value:
            value = self._encoded_words(value, what=what)
        value = _CONTROL.sub("", value)
        value = _WHITESPACE.sub(" ", value).strip()
        if len(value) > MAX_HEADER_CHARS:
            self.defects.append(f"{what}: longer than {MAX_HEADER_CHARS} characters; cut")
            value = value[:MAX_HEADER_CHARS]
        return value

    def addresses(self, raw: str, *, what: str) -> list[Address]:
        """Parse an address list; display names decoded, addresses lower-cased."""
        value = _FOLD.sub("", raw)
        try:
            pairs = getaddresses([value])
        except Exception:  # the stdlib parser has had crash bugs on junk
            pairs = []
        found: list[Address] = []
        for name, addr in pairs:
            address = self.text(addr, what=what).lower().strip("<>")
            if not address:
                continue
            display = self.text(name, what=what).strip("\"' ")
            found.append(Address(name=display, addr=address))
        if any("@" in address.addr for address in found):
            found = [address for address in found if "@" in address.addr]
        else:
            bare = [self.text(match, what=what).lower() for match in _BARE_ADDRESS.findall(value)]
            found = [Address(name="", addr=address) for address in bare] or found
        if value.strip() and not found:
            self.defects.append(f"{what}: no usable address in {value[:80]!r}")
        return found

    def _raw_bytes(self, value: str, *, what: str) -> str:
        data = value.encode("utf-8", "surrogateescape")
        decoded = decode_bytes(data, self.hint_charset, what=what)
        if decoded.charset != "utf-8":
            self.defects.append(f"{what}: raw 8-bit bytes in header, read as {decoded.charset}")
        return decoded.text

    def _encoded_words(self, value: str, *, what: str) -> str:
        """Decode RFC 2047 words; adjacent words of one charset are joined first."""
        pieces: list[str] = []
        pending: bytearray = bytearray()
        pending_charset = ""
        position = 0

        def flush() -> None:
            nonlocal pending, pending_charset
            if pending:
                decoded = decode_bytes(bytes(pending), pending_charset, what=what)
                if decoded.defect:
                    self.defects.append(decoded.defect)
                pieces.append(decoded.text)
            pending = bytearray()
            pending_charset = ""

        for match in _ENCODED_WORD.finditer(value):
            between = value[position : match.start()]
            if between and not (pending and between.isspace()):
                flush()
                pieces.append(between)
            charset = match.group(1).split("*", 1)[0]
            payload = _decode_word(match.group(2), match.group(3))
            if payload is None:
                flush()
                self.defects.append(f"{what}: malformed encoded word {match.group(0)[:60]!r}")
                pieces.append(match.group(0))
            else:
                if pending and charset.lower() != pending_charset.lower():
                    flush()
                pending_charset = charset
                pending += payload
            position = match.end()
        flush()
        pieces.append(value[position:])
        return "".join(pieces)


def _has_raw_bytes(value: str) -> bool:
    """True if the parser smuggled undecodable bytes in as surrogates."""
    return not value.isascii() and any("\udc80" <= char <= "\udcff" for char in value)


def _decode_word(encoding: str, payload: str) -> bytes | None:
    """Payload bytes of one encoded word, or None when it cannot be decoded."""
    if encoding in "qQ":
        return binascii.a2b_qp(payload.replace("_", " ").encode("ascii", "replace"))
    cleaned = re.sub(r"[^A-Za-z0-9+/]", "", payload)
    for trim in range(3):
        candidate = cleaned[: len(cleaned) - trim] if trim else cleaned
        if not candidate:
            break
        try:
            return base64.b64decode(candidate + "=" * (-len(candidate) % 4))
        except (binascii.Error, ValueError):
            continue
    return None


def message_ids(raw: str) -> list[str]:
    """All Message-IDs in a header value, in order, each written as ``<id>``.

    Broken mailers omit the angle brackets; then whitespace- or
    comma-separated tokens containing ``@`` are taken as ids.
    """
    value = _FOLD.sub("", raw)
    if not value.isascii():
        value = value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    found = [f"<{token}>" for token in _MSG_ID.findall(value)]
    if not found:
        tokens = re.split(r"[\s,]+", value)
        found = [f"<{token.strip(chr(34) + chr(39))}>" for token in tokens if "@" in token]
    return [token for token in found if 2 < len(token) <= MAX_ID_CHARS]


def parse_date(raw: str) -> datetime | None:
    """A Date header as an aware UTC datetime, or None when unreadable.

    RFC 5322 dates first; ISO 8601 as a fallback because some scripts write
    it. A missing offset (``-0000`` or none at all) is taken as UTC.
    """
    value = _WHITESPACE.sub(" ", _FOLD.sub("", raw)).strip()
    if not value or not value.isascii():
        return None
    parsed: datetime | None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        parsed = None
    if parsed is None:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except (OverflowError, ValueError):
        return None
