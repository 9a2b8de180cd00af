"""Walk a parsed MIME tree: pick the readable body, list the attachments.

Body choice follows what a mail client shows: inside ``multipart/alternative``
the plain-text alternative wins over HTML; elsewhere text parts are read in
document order, so an HTML body followed by a plain-text footer keeps both.
Attachments are described (name, type, decoded size) but their payloads are
never decoded: the size of a base64 part is counted from its encoded text,
so a 20 MB attachment costs a few ``str.count`` calls, not a 20 MB copy.
Forwarded ``message/rfc822`` parts shown inline are rendered as a
"Forwarded message" block, which the quote splitter treats as history.
"""

from __future__ import annotations

import binascii
import mimetypes
import re
from dataclasses import dataclass, field
from email.message import Message

from mailbot.mail.charsets import decode_bytes
from mailbot.mail.elide import MARKER
from mailbot.mail.flowed import unflow
from mailbot.mail.headers import Decoder
from mailbot.mail.htmltext import html_to_text
from mailbot.model import Attachment

MAX_DEPTH = 50
MAX_PARTS = 500
# Bytes of one text part read at most (the body is cut at 1 M characters,
# and UTF-8 needs at most 4 bytes a character).
MAX_TEXT_PART_BYTES = 4_000_000

_UNSAFE_FILENAME = re.compile(r"[\x00-\x1f\x7f/\\]+")


@dataclass
class Extracted:
    """Everything the body walk found, in document order."""

    chunks: list[str] = field(default_factory=list)
    html_parts: list[str] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)
    first_charset: str | None = None
    parts_seen: int = 0
    elided: dict[str, int] = field(default_factory=dict)

    @property
    def html(self) -> str | None:
        return "\n".join(self.html_parts) if self.html_parts else None


def extract(message: Message, decoder: Decoder, *, elided: dict[str, int] | None = None) -> Extracted:
    """Read body text, HTML and attachment descriptions out of ``message``.

    ``elided`` maps the markers :mod:`elide` left in shortened base64 runs to
    the decoded bytes they replace, so attachment sizes stay exact.
    """
    found = Extracted(elided=dict(elided or {}))
    _walk(message, found, decoder, depth=0, chosen=True)
    return found


def _walk(part: Message, found: Extracted, decoder: Decoder, *, depth: int, chosen: bool) -> None:
    """Visit ``part``; ``chosen`` is False inside alternatives not shown as body."""
    index = found.parts_seen
    found.parts_seen += 1
    label = "message" if index == 0 else f"part {index}"
    found.defects.extend(_defects_of(part, label))
    if depth > MAX_DEPTH or found.parts_seen > MAX_PARTS:
        found.defects.append(f"{label}: MIME structure too deep or too large; the rest was skipped")
        return
    content_type = _content_type(part)
    if content_type == "message/rfc822" and part.is_multipart():
        _forwarded(part, found, decoder, index=index, depth=depth, chosen=chosen)
        return
    if content_type.startswith("multipart/") and part.is_multipart():
        children = [child for child in part.get_payload() if isinstance(child, Message)]
        shown = _shown_alternative(children) if content_type == "multipart/alternative" else None
        for position, child in enumerate(children):
            visible = chosen and (shown is None or position == shown)
            _walk(child, found, decoder, depth=depth + 1, chosen=visible)
        return
    if content_type.startswith("multipart/"):
        content_type = "text/plain"  # a multipart without parts: show what is there
    try:
        _leaf(part, content_type, found, decoder, index=index, chosen=chosen)
    except Exception as exc:  # one unreadable part must not lose the message
        found.defects.append(f"{label}: could not be read ({type(exc).__name__}: {exc})"[:300])


def _leaf(
    part: Message, content_type: str, found: Extracted, decoder: Decoder, *, index: int, chosen: bool
) -> None:
    """A part without children: body text or an attachment description."""
    label = "message" if index == 0 else f"part {index}"
    disposition = _disposition(part)
    filename = _filename(part, decoder, label)
    is_body_text = content_type in ("text/plain", "text/html") and disposition != "attachment"
    # A named text part without a disposition is an attached file, except
    # when it is the whole message.
    if is_body_text and not (filename and disposition is None and index != 0):
        _body_part(part, content_type, found, label, chosen=chosen)
        return
    content_id = _content_id(part)
    found.attachments.append(
        Attachment(
            filename=filename or _fallback_name(content_type, index),
            content_type=content_type,
            size=_decoded_size(part, found.elided),
            inline=disposition == "inline" or (disposition is None and content_id is not None),
            content_id=content_id,
            part_index=index,
        )
    )


def _shown_alternative(children: list[Message]) -> int | None:
    """Index of the alternative to read: the first plain text, else the last."""
    if not children:
        return None
    for position, child in enumerate(children):
        if _content_type(child) == "text/plain" and _disposition(child) != "attachment":
            return position
    return len(children) - 1


def _body_part(part: Message, content_type: str, found: Extracted, label: str, *, chosen: bool) -> None:
    charset = _param(part, "charset")
    if found.first_charset is None and charset:
        found.first_charset = charset
    data, problem = _text_payload(part, found.elided)
    if problem:
        found.defects.append(f"{label}: {problem}")
    if len(data) > MAX_TEXT_PART_BYTES:
        found.defects.append(f"{label}: text part larger than {MAX_TEXT_PART_BYTES} bytes; cut")
        data = data[:MAX_TEXT_PART_BYTES]
    decoded = decode_bytes(data, charset, what=label)
    if decoded.defect:
        found.defects.append(decoded.defect)
    text = decoded.text.replace("\r\n", "\n").replace("\r", "\n")
    if content_type == "text/html":
        found.html_parts.append(text)
        if chosen:
            converted = html_to_text(text)
            if converted.defect:
                found.defects.append(f"{label}: {converted.defect}")
            found.chunks.append(converted.text)
        return
    if chosen:
        if (_param(part, "format") or "").lower() == "flowed":
            text = unflow(text, delsp=(_param(part, "delsp") or "").lower() == "yes")
        found.chunks.append(text)


def _forwarded(
    part: Message, found: Extracted, decoder: Decoder, *, index: int, depth: int, chosen: bool
) -> None:
    """A message/rfc822 part: list it, and render it inline unless attached."""
    inner = next((child for child in part.get_payload() if isinstance(child, Message)), None)
    disposition = _disposition(part)
    subject = ""
    if inner is not None:
        subject = decoder.text(str(_raw_header(inner, "subject") or ""), what=f"part {index} Subject")
    label = f"part {index}"
    name = _filename(part, decoder, label) or f"{_safe_name(subject) or 'forwarded-message'}.eml"
    found.attachments.append(
        Attachment(
            filename=name,
            content_type="message/rfc822",
            size=_approximate_size(part),
            inline=disposition != "attachment",
            content_id=_content_id(part),
            part_index=index,
        )
    )
    if inner is None:
        return
    show = chosen and disposition != "attachment"
    before = len(found.chunks)
    html_before = len(found.html_parts)
    _walk(inner, found, decoder, depth=depth + 1, chosen=show)
    if not show:
        del found.html_parts[html_before:]  # an attached message's HTML is not this message's
    else:
        body = "\n\n".join(found.chunks[before:])
        del found.chunks[before:]
        lines = ["---------- Forwarded message ----------"]
        for header in ("From", "Date", "Subject", "To"):
            value = _raw_header(inner, header)
            if value is not None:
                lines.append(f"{header}: {decoder.text(value, what=f'{label} {header}')}")
        found.chunks.append("\n".join(lines) + "\n\n" + body)


def _raw_header(part: Message, name: str) -> str | None:
    """First raw (undecoded) value of a header, without the parser's policy."""
    wanted = name.lower()
    for key, value in part.raw_items():
        if key.lower() == wanted:
            return str(value)
    return None


def _content_type(part: Message) -> str:
    try:
        return part.get_content_type()
    except Exception:  # header parser bugs on junk
        return "application/octet-stream"


def _disposition(part: Message) -> str | None:
    try:
        value = part.get_content_disposition()
    except Exception:  # header parser bugs on junk
        return None
    return value.lower() if value else None


def _param(part: Message, name: str) -> str | None:
    try:
        value = part.get_param(name)
    except Exception:  # header parser bugs on junk
        return None
    if isinstance(value, tuple):  # RFC 2231 (charset, language, value)
        value = value[2]
    return str(value) if value else None


def _content_id(part: Message) -> str | None:
    raw = _raw_header(part, "content-id")
    if raw is None:
        return None
    cleaned = raw.strip().strip("<>").strip()
    return cleaned or None


def _transfer_encoding(part: Message) -> str:
    raw = _raw_header(part, "content-transfer-encoding") or ""
    return raw.strip().lower()


def _filename(part: Message, decoder: Decoder, label: str) -> str | None:
    """The attachment's file name, decoded (RFC 2231 and RFC 2047) and made safe."""
    try:
        raw = part.get_filename()
    except Exception:  # header parser bugs on junk
        raw = None
    if not raw:
        return None
    return _safe_name(decoder.text(str(raw), what=f"{label} filename")) or None


def _safe_name(name: str) -> str:
    """Last path component, no control characters, at most 200 characters."""
    cleaned = _UNSAFE_FILENAME.sub(" ", name.replace("\\", "/").rsplit("/", 1)[-1]).strip(" .")
    return cleaned[:200]


def _fallback_name(content_type: str, index: int) -> str:
    extension = mimetypes.guess_extension(content_type) or ".bin"
    return f"part-{index}{extension}"


def _payload_text(part: Message) -> str:
    """The undecoded payload string of a leaf part, without a copy."""
    payload = part.get_payload()
    if isinstance(payload, str):
        return payload
    if isinstance(payload, list):
        return "\n".join(str(item) for item in payload)
    return "" if payload is None else str(payload)


def _text_payload(part: Message, elided: dict[str, int]) -> tuple[bytes, str | None]:
    """The bytes of a text part with its transfer encoding undone; never raises.

    base64 is decoded here so a damaged end loses only the damaged end (the
    stdlib returns the whole part undecoded). Otherwise
    ``get_payload(decode=True)`` is used: it returns the original 8-bit
    bytes, where ``get_payload()`` would already have decoded them with the
    declared charset, lies included.
    """
    encoding = _transfer_encoding(part)
    if encoding == "base64":
        payload = _payload_text(part)
        data, problem = _lenient_base64(payload)
        if elided and MARKER.search(payload):
            problem = f"text part too large; only its first {len(data)} bytes were read"
        return data, problem
    before = len(part.defects)
    decoded = part.get_payload(decode=True)
    problem = None
    if len(part.defects) > before:
        problem = "; ".join(_describe(defect) for defect in part.defects[before:])
    if encoding not in ("", "7bit", "8bit", "binary", "quoted-printable") and "uu" not in encoding:
        problem = f"unknown transfer encoding {encoding[:40]!r}; shown undecoded"
    return (decoded, problem) if isinstance(decoded, bytes) else (b"", problem)


def _lenient_base64(payload: str) -> tuple[bytes, str | None]:
    """Decode base64, dropping a damaged tail instead of giving up."""
    data = payload.encode("ascii", "ignore")
    try:
        return binascii.a2b_base64(data), None
    except binascii.Error:
        pass
    cleaned = re.sub(rb"[^A-Za-z0-9+/]", b"", data)
    cleaned = cleaned[: len(cleaned) - len(cleaned) % 4]
    try:
        return binascii.a2b_base64(cleaned), "broken base64; the damaged end was dropped"
    except binascii.Error:
        return b"", "broken base64; the part could not be decoded"


def _decoded_size(part: Message, elided: dict[str, int]) -> int:
    """Decoded size of a leaf part, counted without decoding base64."""
    raw = _payload_text(part)
    encoding = _transfer_encoding(part)
    if encoding == "base64":
        ignored = raw.count("\n") + raw.count("\r") + raw.count(" ") + raw.count("\t") + raw.count("=")
        extra = 0
        if elided and "~~~~" in raw:
            for marker in MARKER.finditer(raw):
                ignored += len(marker.group(0))
                extra += elided.get(marker.group(0), 0)
        return max(0, (len(raw) - ignored) * 3 // 4) + extra
    if encoding == "quoted-printable":
        return len(binascii.a2b_qp(raw.encode("utf-8", "surrogateescape")))
    return len(raw)


def _approximate_size(part: Message) -> int:
    """Rough size of a nested message: the sum of its parts' payloads."""
    total = 0
    for sub in part.walk():
        if not sub.is_multipart():
            total += len(_payload_text(sub))
    return total


def _defects_of(part: Message, label: str) -> list[str]:
    """The email package's defects for one part, in words a person can read."""
    return [f"{label}: {_describe(defect)}" for defect in getattr(part, "defects", ())]


def _describe(defect: object) -> str:
    doc = (type(defect).__doc__ or type(defect).__name__).strip().splitlines()[0]
    detail = str(defect)
    return f"{doc} ({detail})" if detail else doc
