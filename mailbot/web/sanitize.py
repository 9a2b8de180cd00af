"""Showing what a customer sent without letting it act: HTML bodies and attachments.

A customer's HTML is hostile until proven otherwise. It is cleaned with
``nh3`` (an allow-list sanitiser: no scripts, no event handlers, no forms,
no ``javascript:`` URLs), remote images are removed (they would tell the
sender when and where the mail was read), ``cid:`` images are inlined as
``data:`` URLs from the message's own parts, and the result is served on
its own URL with a CSP that forbids scripts and every remote load, inside
an ``<iframe sandbox>``. Any one of those layers would stop a script; the
UI relies on all of them.

Attachments are served as downloads only (``application/octet-stream``,
``nosniff``), never rendered by the browser under mailbot's origin.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import Message

import nh3

MAX_INLINE_IMAGE = 2_000_000
INLINE_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
BLOCKED_IMAGE_ALT = "[remote image blocked]"

FRAME_CSP = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; font-src 'none'; "
    "form-action 'none'; base-uri 'none'; sandbox"
)
"""The policy of the page that holds a customer's HTML: nothing runs, nothing loads."""

_TAGS = nh3.ALLOWED_TAGS | {"font", "center"}
_ATTRIBUTES: dict[str, set[str]] = {
    **{tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()},
    "img": {"src", "alt", "width", "height", "title"},
    "td": {"colspan", "rowspan", "align", "valign", "width"},
    "th": {"colspan", "rowspan", "align", "valign", "width"},
    "table": {"width", "align", "summary"},
    "font": {"color", "size"},
    "a": {"href", "title"},
}


@dataclass(frozen=True)
class Part:
    """One MIME part's decoded payload."""

    content_type: str
    filename: str | None
    data: bytes


def mime_part(raw: bytes, part_index: int) -> Part | None:
    """The part at ``part_index`` in the parse stage's pre-order numbering (0 is the message)."""
    message = message_from_bytes(raw, policy=policy.compat32)
    for index, part in enumerate(message.walk()):
        if index == part_index:
            return _decoded(part)
    return None


def _decoded(part: Message) -> Part:
    if part.get_content_type() == "message/rfc822" and part.is_multipart():
        inner = part.get_payload()
        first = inner[0] if isinstance(inner, list) and inner else None
        data = first.as_bytes() if isinstance(first, Message) else b""
    else:
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
    return Part(part.get_content_type(), part.get_filename(), data)


def inline_images(raw: bytes, cids: dict[str, int]) -> dict[str, str]:
    """``cid`` -> ``data:`` URL for the small inline images a body refers to."""
    found: dict[str, str] = {}
    for cid, index in cids.items():
        part = mime_part(raw, index)
        if part and part.content_type in INLINE_IMAGE_TYPES and len(part.data) <= MAX_INLINE_IMAGE:
            found[cid] = f"data:{part.content_type};base64,{base64.b64encode(part.data).decode()}"
    return found


def _cid(value: str) -> str:
    return value.strip().strip("<>").lower()


def clean_html(html: str, images: dict[str, str] | None = None) -> str:
    """Sanitised HTML of a customer's message, safe to show in the sandboxed frame."""
    known = {_cid(k): v for k, v in (images or {}).items()}

    def attribute(tag: str, name: str, value: str) -> str | None:
        if tag == "img" and name == "src":
            lowered = value.strip().lower()
            if lowered.startswith("cid:"):
                return known.get(_cid(value.strip()[4:]))
            if lowered.startswith("data:image/") and not lowered.startswith("data:image/svg"):
                return value
            return None
        return value

    cleaned = nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        attribute_filter=attribute,
        url_schemes={"http", "https", "mailto", "cid", "data"},
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
    # An <img> whose source was removed keeps a visible note instead of a hole.
    return re.sub(
        r"<img(?![^>]*\ssrc=)([^>]*)>", f'<span class="blocked">{BLOCKED_IMAGE_ALT}</span>', cleaned
    )


def frame_document(body: str, language: str | None) -> str:
    """The standalone page served into the iframe (body already cleaned)."""
    lang = language if language and re.fullmatch(r"[a-z]{2,3}", language) else "und"
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
        "<style>body{font:15px/1.5 system-ui,sans-serif;color:#1d2530;margin:12px;word-wrap:break-word}"
        "img{max-width:100%;height:auto}.blocked{display:inline-block;padding:2px 6px;"
        "border:1px dashed #8a94a3;color:#5b6573;font-size:12px}</style></head>"
        f"<body>{body}</body></html>"
    )


def download_name(name: str | None, fallback: str) -> str:
    """An attachment's name reduced to safe characters for Content-Disposition."""
    base = (name or fallback).replace("\\", "/").rsplit("/", 1)[-1]
    safe = re.sub(r"[^\w.\- ]+", "_", base, flags=re.UNICODE).strip(" .")
    return safe[:120] or fallback
