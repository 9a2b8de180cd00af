"""Recognise mail that no person wrote: auto-replies, bounces, list mail.

Answering an out-of-office or a bounce starts a mail loop, and counting it
against the response clock is wrong, so the parse stage marks such mail with
``is_auto`` and a reason people can read. The checks are a table of
(reason, test) rows, strongest signal first, like Mailman's auto-reply guard;
our own outgoing mail carries ``X-Mailbot-Reply: yes`` so it is never
mistaken for a customer's.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

LOOP_MARKER_HEADER = "X-Mailbot-Reply"

_PRECEDENCE_AUTO = frozenset({"bulk", "junk", "list", "auto_reply", "auto-reply"})
_DAEMON_LOCAL_PARTS = frozenset({"mailer-daemon", "postmaster"})

# Out-of-office and bounce subjects in en, nl, lv, th, as clients write
# them; anchored at the start and followed by ":", "-", "(" or the end, so
# "Out of office hours support" is not matched.
_AUTO_SUBJECT = re.compile(
    r"^\s*(?:"
    r"out of (?:the )?office|automatic reply|auto[- ]?reply|autoreply|auto[- ]?response|"
    r"afwezig|niet aanwezig|automatisch antwoord|"
    r"automātisk[aā] atbilde|automātiskā atbilde|ārpus biroja|"
    r"ตอบกลับอัตโนมัติ|ไม่อยู่ที่สำนักงาน|"
    r"undeliverable|undelivered mail returned to sender|delivery status notification|"
    r"mail delivery failed|mail delivery failure|returned mail|onbestelbaar|nepiegādājams"
    r")(?=\s*(?:[:\-–(]|$))",
    re.IGNORECASE,
)

_Headers = dict[str, str]
_Check = Callable[[_Headers, str, str], str | None]


def detect_auto(
    headers: Sequence[tuple[str, str]], subject: str, sender: str | None
) -> tuple[bool, str | None]:
    """Return (is_auto, reason) for a message's headers, subject and sender address.

    ``headers`` are (name, value) pairs in any letter case; the first value
    of each name counts. ``reason`` names the signal that fired, or is None.
    """
    first: _Headers = {}
    for name, value in headers:
        first.setdefault(name.strip().lower(), value.strip())
    for check in _CHECKS:
        reason = check(first, subject, (sender or "").strip().lower())
        if reason is not None:
            return True, reason
    return False, None


def _loop_marker(headers: _Headers, _subject: str, _sender: str) -> str | None:
    value = headers.get(LOOP_MARKER_HEADER.lower())
    return f"our own reply ({LOOP_MARKER_HEADER}: {value})" if value else None


def _auto_submitted(headers: _Headers, _subject: str, _sender: str) -> str | None:
    value = headers.get("auto-submitted", "")
    keyword = value.split(";", 1)[0].strip().lower()
    return f"Auto-Submitted: {value}" if keyword and keyword != "no" else None


def _autoreply_headers(headers: _Headers, _subject: str, _sender: str) -> str | None:
    for name in ("x-autoreply", "x-autorespond", "x-autoresponder"):
        value = headers.get(name)
        if value is not None and value.lower() not in ("", "no", "false", "0"):
            return f"{name.title()}: {value}"
    suppress = headers.get("x-auto-response-suppress", "")
    tokens = {token.strip().lower() for token in re.split(r"[,;\s]+", suppress)}
    if tokens & {"oof", "all"}:
        return f"X-Auto-Response-Suppress: {suppress}"
    return None


def _precedence(headers: _Headers, _subject: str, _sender: str) -> str | None:
    value = headers.get("precedence", "")
    return f"Precedence: {value}" if value.lower() in _PRECEDENCE_AUTO else None


def _delivery_report(headers: _Headers, _subject: str, _sender: str) -> str | None:
    if headers.get("content-type", "").lower().startswith("multipart/report"):
        return "delivery status report (multipart/report)"
    return None


def _bounce_sender(headers: _Headers, _subject: str, sender: str) -> str | None:
    return_path = headers.get("return-path")
    if return_path is not None and return_path.strip("<> \t") == "":
        return "bounce (empty Return-Path <>)"
    local_part = sender.split("@", 1)[0]
    return f"sent by {local_part}" if local_part in _DAEMON_LOCAL_PARTS else None


def _mailing_list(headers: _Headers, _subject: str, _sender: str) -> str | None:
    for name, shown in (("list-id", "List-Id"), ("list-unsubscribe", "List-Unsubscribe")):
        if headers.get(name):
            return f"mailing list ({shown})"
    return None


def _auto_subject(_headers: _Headers, subject: str, _sender: str) -> str | None:
    match = _AUTO_SUBJECT.match(subject)
    return f"automatic-reply subject ({match.group(0).strip()!r})" if match else None


_CHECKS: tuple[_Check, ...] = (
    _loop_marker,
    _auto_submitted,
    _autoreply_headers,
    _precedence,
    _delivery_report,
    _bounce_sender,
    _mailing_list,
    _auto_subject,
)
