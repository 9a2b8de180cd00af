"""Find the signature at the end of a customer's own text.

Three signals, from strongest to weakest: the ``-- `` delimiter line; a
mobile footer ("Sent from my iPhone", "Verstuurd vanaf mijn iPhone",
"Nosūtīts no mana iPhone", "ส่งจาก iPhone ของฉัน"); a closing phrase on its
own line ("Kind regards", "Met vriendelijke groet", "Ar cieņu",
"ขอแสดงความนับถือ") followed by a short name block. A closing is only taken
when something of the customer's text stays above it, so a message that is
just "Thank you!" keeps its words.
"""

from __future__ import annotations

import re

# Closing lines, one per phrase; matched case-insensitively on a line of
# their own, with optional trailing punctuation.
CLOSINGS: tuple[str, ...] = (
    # en
    "kind regards", "best regards", "warm regards", "warmest regards", "kindest regards", "regards",
    "with kind regards", "with best regards", "best", "best wishes", "all the best", "cheers",
    "sincerely", "yours sincerely", "sincerely yours", "yours faithfully", "yours truly",
    "respectfully", "thanks", "thank you", "thanks again", "many thanks", "thanks in advance",
    "thank you in advance", "thx",
    # nl
    "met vriendelijke groet", "met vriendelijke groeten", "vriendelijke groet", "vriendelijke groeten",
    "met hartelijke groet", "hartelijke groet", "hartelijke groeten", "met groet", "groet", "groeten",
    "groetjes", "mvg", "m.v.g.", "hoogachtend", "met dank", "alvast bedankt", "bedankt",
    "bij voorbaat dank", "dank je wel", "dank u wel", "dank je", "dank u",
    # lv
    "ar cieņu", "ar cieņu un pateicību", "ar labiem vēlējumiem", "ar sveicieniem", "sveicieni",
    "visu labu", "paldies", "liels paldies", "paldies jau iepriekš", "cieņā",
    # th
    "ขอแสดงความนับถือ", "ด้วยความนับถือ", "ด้วยความเคารพ", "ขอบคุณ", "ขอบคุณครับ", "ขอบคุณค่ะ",
    "ขอบคุณคะ", "ขอบคุณมาก", "ขอบคุณมากครับ", "ขอบคุณมากค่ะ",
)  # fmt: skip

_CLOSING = re.compile(
    r"^\s*(?:" + "|".join(re.escape(phrase) for phrase in CLOSINGS) + r")\s*[,.!:;]*\s*$",
    re.IGNORECASE,
)
_MOBILE = re.compile(
    r"^\s*(?:sent from my |sent from (?:outlook|mail|yahoo mail|samsung)|get outlook for |"
    r"verstuurd vanaf mijn |verzonden vanaf mijn |verzonden vanuit |verzonden met |verstuurd met |"
    r"nosūtīts no |sūtīts no |ส่งจาก ).{1,60}$",
    re.IGNORECASE,
)
_DELIMITER = "-- "

MAX_NAME_BLOCK_LINES = 6
MAX_NAME_BLOCK_WIDTH = 80
MAX_DELIMITED_LINES = 30
# A mobile footer counts only among the last few non-blank lines.
MOBILE_WINDOW = 3


def split_signature(lines: list[str]) -> tuple[list[str], list[str]]:
    """Split a customer's lines into (text, signature) lines."""
    body = list(lines)
    signature: list[str] = []
    cut = _delimiter(body)
    if cut is None:
        cut = _mobile_footer(body)
    if cut is not None:
        body, signature = body[:cut], body[cut:]
    closing = _closing(body)
    if closing is not None:
        body, signature = body[:closing], body[closing:] + signature
    return body, signature


def _delimiter(lines: list[str]) -> int | None:
    """First ``-- `` line (or a bare ``--`` near the end) with a short block below."""
    for index, line in enumerate(lines):
        stripped = line.rstrip("\n")
        is_delimiter = stripped == _DELIMITER or (stripped.strip() == "--" and len(lines) - index <= 12)
        if is_delimiter and len(_non_blank(lines[index + 1 :])) <= MAX_DELIMITED_LINES:
            return index
    return None


def _mobile_footer(lines: list[str]) -> int | None:
    non_blank = [index for index, line in enumerate(lines) if line.strip()]
    for index in non_blank[-MOBILE_WINDOW:]:
        if _MOBILE.match(lines[index]):
            return index
    return None


def _closing(lines: list[str]) -> int | None:
    """The last closing line followed only by a short name block, if any text stays above."""
    non_blank = [index for index, line in enumerate(lines) if line.strip()]
    candidates = non_blank[-(MAX_NAME_BLOCK_LINES + 1) :]
    for index in reversed(candidates):
        if not _CLOSING.match(lines[index]):
            continue
        block = _non_blank(lines[index + 1 :])
        too_wide = any(len(line.strip()) > MAX_NAME_BLOCK_WIDTH for line in block)
        if len(block) > MAX_NAME_BLOCK_LINES or too_wide:
            return None
        if not _non_blank(lines[:index]):
            return None
        return index
    return None


def _non_blank(lines: list[str]) -> list[str]:
    return [line for line in lines if line.strip()]
