"""Read the text of an HTML mail body, the way a person would see it.

inscriptis renders block layout (paragraphs, lists, tables) into plain
lines and drops ``<script>``, ``<style>`` and ``<head>``, so none of that
reaches the NLP stages. The "strict" CSS profile is used because the default
one indents nested ``<div>`` blocks, which mail clients nest deeply.
This module never raises: on a parser failure it falls back to stripping
tags, and it says so.
"""

from __future__ import annotations

import html as html_entities
import re
from dataclasses import dataclass

from inscriptis import get_text
from inscriptis.css_profiles import CSS_PROFILES
from inscriptis.model.config import ParserConfig

# inscriptis is pure Python (about 2 MB/s); beyond this the rest is cut.
MAX_HTML_CHARS = 2_000_000

_CONFIG = ParserConfig(css=CSS_PROFILES["strict"], display_images=False, display_links=False)
_INVISIBLE = re.compile(r"<(script|style|head|title|template)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_BREAK = re.compile(r"<(br|/p|/div|/li|/tr|/h[1-6]|/blockquote)\b[^>]*>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")
_TRAILING_SPACE = re.compile(r"[ \t\u00a0]+$", re.MULTILINE)
_MANY_BLANKS = re.compile(r"\n{3,}")


@dataclass(frozen=True)
class HtmlText:
    """The visible text of an HTML document and, if any, what went wrong."""

    text: str
    defect: str | None = None


def html_to_text(html: str) -> HtmlText:
    """Return the visible text of ``html``; scripts and styles never appear."""
    defect = None
    source = html
    if len(source) > MAX_HTML_CHARS:
        source = source[:MAX_HTML_CHARS]
        defect = f"HTML body longer than {MAX_HTML_CHARS} characters; only the start was read"
    if not source.strip():
        return HtmlText("", defect)
    try:
        text = get_text(source, _CONFIG)
    except Exception as exc:  # lxml/inscriptis errors on junk must not stop parsing
        text = _strip_tags(source)
        defect = f"HTML could not be laid out ({type(exc).__name__}); tags were stripped instead"
    return HtmlText(tidy(text), defect)


def tidy(text: str) -> str:
    """Drop trailing spaces and runs of blank lines that layout leaves behind."""
    text = _TRAILING_SPACE.sub("", text.replace("\r\n", "\n"))
    return _MANY_BLANKS.sub("\n\n", text).strip("\n")


def _strip_tags(source: str) -> str:
    """Crude fallback: remove invisible elements and tags, keep line breaks."""
    visible = _INVISIBLE.sub("", source)
    visible = _BREAK.sub("\n", visible)
    return html_entities.unescape(_TAG.sub("", visible))
