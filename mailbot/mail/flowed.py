"""Undo ``format=flowed`` line wrapping (RFC 3676).

Flowed text wraps long paragraphs at about 72 characters and marks each
soft break with a trailing space. Joining them back gives the NLP stages
whole sentences and lets the quote splitter see a reply header
("On ... wrote:") as one line.
"""

from __future__ import annotations

from dataclasses import dataclass

_SIGNATURE_SEPARATOR = "-- "


@dataclass
class _Paragraph:
    depth: int
    text: str
    open: bool  # ended with a soft break, so the next line continues it


def unflow(text: str, *, delsp: bool = False) -> str:
    """Join soft-broken lines of flowed text, keeping quote depth."""
    paragraphs: list[_Paragraph] = []
    for line in text.split("\n"):
        depth = len(line) - len(line.lstrip(">"))
        content = line[depth:]
        if content.startswith(" "):
            content = content[1:]  # space-stuffing
        soft = content.endswith(" ") and content != _SIGNATURE_SEPARATOR
        if soft and delsp:
            content = content[:-1]
        last = paragraphs[-1] if paragraphs else None
        if last is not None and last.open and last.depth == depth:
            last.text += content
            last.open = soft
        else:
            paragraphs.append(_Paragraph(depth, content, soft))
    return "\n".join(_render(paragraph) for paragraph in paragraphs)


def _render(paragraph: _Paragraph) -> str:
    if paragraph.depth == 0:
        return paragraph.text
    return ">" * paragraph.depth + " " + paragraph.text
