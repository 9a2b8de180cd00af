"""Subject lines without reply/forward clutter, and a key for thread matching.

Mail clients prefix subjects in their user's language ("Re:", "Antw:",
"Atb:", "ตอบกลับ:") and security gateways add tags like "[EXTERNAL]". For
matching a reply to its thread all of that must go, repeatedly and in any
mix, while tags that identify a ticket ("[Ticket #1234]") must stay: they
are the strongest link to the right thread.
"""

from __future__ import annotations

import re
import unicodedata

# Reply and forward prefixes: en, nl (Outlook: Antw/Doorst), lv (Atb/Pārs/Pav),
# th (Outlook: ตอบกลับ/ส่งต่อ), plus de/nordic ones seen in forwarded chains.
_PREFIX = re.compile(
    r"^\s*(?:re|fwd?|aw|wg|sv|vs|antw|antwoord|doorst|atb|pārs|pav|ตอบกลับ|ส่งต่อ)"
    r"\s*(?:\[\d+\]|\(\d+\))?\s*[:：]\s*",
    re.IGNORECASE,
)
# Tags that mail gateways add and that say nothing about the conversation.
_GATEWAY_TAG = re.compile(
    r"^\s*[\[(](?:external|ext|extern|extern e-mail|spam|suspected spam|caution|warning)[\])]\s*:?\s*",
    re.IGNORECASE,
)
# Other leading bracketed tags (ticket numbers, list names) are kept.
_KEPT_TAGS = re.compile(r"^\s*(?:\[[^\[\]]{1,80}\]\s*)+")
_TRAILING_FWD = re.compile(r"\s*\((?:fwd|fw)\)\s*$", re.IGNORECASE)
_WHITESPACE = re.compile(r"\s+")


def strip_reply_prefixes(subject: str) -> str:
    """Remove reply/forward prefixes and gateway tags; keep ticket tags.

    ``"RE: AW: [EXTERNAL] Fwd: Refund"`` becomes ``"Refund"`` and
    ``"Re: [Ticket #12] Antw: Refund"`` becomes ``"[Ticket #12] Refund"``.
    """
    value = subject.strip()
    while True:
        match = _PREFIX.match(value) or _GATEWAY_TAG.match(value)
        if match is None:
            break
        value = value[match.end() :]
    tags = _KEPT_TAGS.match(value)
    if tags is not None:
        rest = value[tags.end() :]
        stripped_rest = strip_reply_prefixes(rest)
        if stripped_rest != rest.strip():
            value = f"{tags.group(0).strip()} {stripped_rest}".strip()
    return _TRAILING_FWD.sub("", value).strip()


def subject_key(subject: str) -> str:
    """Subject normalised for thread matching: NFKC, no prefixes, case-folded.

    Two subjects with the same key are the same conversation topic;
    whitespace, case, full-width forms and reply/forward prefixes are ignored.
    """
    normalised = unicodedata.normalize("NFKC", subject)
    stripped = strip_reply_prefixes(normalised)
    return _WHITESPACE.sub(" ", stripped).casefold().strip()
