"""Separate a customer's new words from quoted history and the signature.

The NLP stages must see only what the customer wrote *this time*. Quoted
history comes in three shapes, each recognised in en, nl, lv and th:

* lines starting with ``>`` (and the "On <date>, <name> wrote:" line above
  them) — everything else around them stays the customer's;
* an attribution line *without* ``>`` below it (HTML mail converted to
  text loses the markers) — history starts there;
* an Outlook-style block ("-----Original Message-----", "From: / Sent:",
  "Van: / Verzonden:", "No: / Nosūtīts:", "จาก: / ส่ง:") or a forwarded
  message separator — history starts there.

The rules are conservative: an attribution must contain a digit or an
``@`` (a date, an address), span at most three lines and be short; an
Outlook block needs at least two header lines. When unsure, text stays in
``new_text``.
"""

from __future__ import annotations

import re

from mailbot.mail.signatures import split_signature

_ATTRIBUTIONS = (
    re.compile(r"^on\s.+\swrote\s*:$", re.IGNORECASE),  # en: On <date>, <name> wrote:
    re.compile(r"^op\s.+\s(?:schreef|geschreven)\b.*:$", re.IGNORECASE),  # nl: Op <date> schreef <name>:
    re.compile(r"^.+\sschreef op\s.+:$", re.IGNORECASE),  # nl: <name> schreef op <date>:
    re.compile(r"^.+\srakstīja(?:\s*\([^)]*\))?\s*:$", re.IGNORECASE),  # lv: <date>, <name> rakstīja:
    re.compile(r"^(?:เมื่อ|ใน|วัน).+เขียน(?:ว่า)?\s*:?$"),  # th: เมื่อ <date> <name> เขียนว่า:
)
MAX_ATTRIBUTION_LINES = 3
MAX_ATTRIBUTION_CHARS = 300

_SEPARATOR = re.compile(
    r"^\s*-{2,}\s*(?:original message|oorspronkelijk bericht|origineel bericht|oorspronkelijke e-mail|"
    r"sākotnējā ziņa|sākotnējais ziņojums|oriģinālā ziņa|ข้อความต้นฉบับ|"
    r"forwarded message|doorgestuurd bericht|pārsūtīta ziņa|pārsūtītā ziņa|pārsūtīts ziņojums|"
    r"ข้อความที่ส่งต่อ)\s*-{2,}\s*$",
    re.IGNORECASE,
)
_BEGIN_FORWARD = re.compile(
    r"^\s*(?:begin forwarded message|begin doorgestuurd bericht|doorgestuurd bericht)\s*:\s*$",
    re.IGNORECASE,
)
_RULE = re.compile(r"^\s*_{20,}\s*$")  # Outlook draws this above its From: block
_FROM_FIELD = re.compile(r"^\s*\*?(?:from|van|no|จาก)\s*:\*?\s*\S", re.IGNORECASE)
_OTHER_FIELD = re.compile(
    r"^\s*\*?(?:sent|date|to|cc|subject|verzonden|datum|aan|onderwerp|nosūtīts|datums|kam|kopija|tēma|"
    r"ส่ง|ส่งเมื่อ|วันที่|ถึง|สำเนา|สำเนาถึง|เรื่อง)\s*:",
    re.IGNORECASE,
)
_QUOTED = re.compile(r"^\s*>")
_MANY_BLANKS = re.compile(r"\n{3,}")


def split_reply(text: str) -> tuple[str, str, str]:
    """Return (new_text, quoted_text, signature) of a message body."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    cut = _history_start(lines)
    new_lines: list[str] = []
    quoted_lines: list[str] = []
    index = 0
    while index < cut:
        span = _attribution_span(lines, index)
        if span and _quote_follows(lines, index + span):
            quoted_lines.extend(lines[index : index + span])
            index += span
            continue
        (quoted_lines if _QUOTED.match(lines[index]) else new_lines).append(lines[index])
        index += 1
    quoted_lines.extend(lines[cut:])
    body, signature = split_signature(new_lines)
    return _join(body), _join(quoted_lines), _join(signature)


def _history_start(lines: list[str]) -> int:
    """Index where unmarked history (Outlook block, bare attribution) begins."""
    for index, line in enumerate(lines):
        if _QUOTED.match(line) or not line.strip():
            continue
        if _SEPARATOR.match(line) or _BEGIN_FORWARD.match(line) or _outlook_block(lines, index):
            return index
        if _RULE.match(line) and _outlook_block(lines, _next_non_blank(lines, index + 1)):
            return index
        span = _attribution_span(lines, index)
        if span and not _quote_follows(lines, index + span):
            return index
    return len(lines)


def _attribution_span(lines: list[str], index: int) -> int:
    """Number of lines (1-3) of a reply header starting at ``index``, or 0."""
    if index >= len(lines) or _QUOTED.match(lines[index]) or not lines[index].strip():
        return 0
    joined = ""
    for span in range(1, MAX_ATTRIBUTION_LINES + 1):
        if index + span > len(lines):
            return 0
        line = lines[index + span - 1].strip()
        if not line or _QUOTED.match(line):
            return 0
        joined = f"{joined} {line}".strip()
        if len(joined) > MAX_ATTRIBUTION_CHARS:
            return 0
        if any(pattern.match(joined) for pattern in _ATTRIBUTIONS) and re.search(r"[\d@]", joined):
            return span
    return 0


def _quote_follows(lines: list[str], index: int) -> bool:
    """True if the next non-blank line at or after ``index`` is a ``>`` line."""
    following = _next_non_blank(lines, index)
    return following < len(lines) and bool(_QUOTED.match(lines[following]))


def _outlook_block(lines: list[str], index: int) -> bool:
    """A From:/Van:/No:/จาก: line followed by another header field line."""
    if index >= len(lines) or not _FROM_FIELD.match(lines[index]):
        return False
    following = index + 1
    for _ in range(2):
        following = _next_non_blank(lines, following)
        if following >= len(lines):
            return False
        if _OTHER_FIELD.match(lines[following]):
            return True
        following += 1
    return False


def _next_non_blank(lines: list[str], index: int) -> int:
    while index < len(lines) and not lines[index].strip():
        index += 1
    return index


def _join(lines: list[str]) -> str:
    text = "\n".join(line.rstrip() for line in lines)
    return _MANY_BLANKS.sub("\n\n", text).strip("\n")
