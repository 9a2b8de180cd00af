"""Parse-stage figures: messages/s for typical mail, cost of a 20 MB attachment.

Typical mail is the demo inbox (examples/inbox, 16 messages in four
languages: plain, HTML-only, multipart/alternative, replies, attachments).
Every copy gets its own Message-ID and MIME boundaries, as real mail has, so
the parser's header cache is not flattered by repeats. The big-message
figures use a generated 20 MB base64 attachment and a 1 MB single-line body;
memory is the peak traced by ``tracemalloc`` during one parse.
"""

from __future__ import annotations

import base64
import random
import re
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

from mailbot.mail.parse import parse_message

INBOX = Path(__file__).resolve().parent.parent / "examples" / "inbox"
_BOUNDARY = re.compile(rb'boundary="([^"]+)"')


def _unique_copies(raw: bytes, count: int, tag: bytes) -> list[bytes]:
    """``count`` variants of ``raw`` with distinct Message-IDs and boundaries.

    ``tag`` makes each set distinct from the others, so no set profits from
    the regex and header caches another set has warmed.
    """
    boundaries = _BOUNDARY.findall(raw)
    copies = []
    for number in range(count):
        data = re.sub(rb"(?im)^(message-id:\s*<)", rb"\g<1>%s%d." % (tag, number), raw)
        for boundary in boundaries:
            data = data.replace(boundary, boundary + b"%s%d" % (tag, number))
        copies.append(data)
    return copies


def _rate(messages: list[bytes]) -> float:
    started = time.perf_counter()
    for raw in messages:
        parse_message(raw)
    return len(messages) / (time.perf_counter() - started)


def _time_and_peak(build: Callable[[], bytes]) -> tuple[float, float]:
    raw = build()
    parse_message(raw)  # warm up imports and caches
    tracemalloc.start()
    started = time.perf_counter()
    parse_message(raw)
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return elapsed, peak / 1e6


def _big_attachment() -> bytes:
    payload = base64.encodebytes(random.Random(7).randbytes(20 * 1024 * 1024))
    return (
        b"From: a@example.com\nSubject: video\nMessage-ID: <big@example.com>\n"
        b'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="B"\n\n'
        b"--B\nContent-Type: text/plain\n\nVideo attached.\n"
        b'--B\nContent-Type: video/mp4; name="v.mp4"\nContent-Transfer-Encoding: base64\n\n'
        + payload
        + b"--B--\n"
    )


def _giant_line() -> bytes:
    return b"From: a@example.com\nSubject: line\n\n" + b"A" * 1_000_000


def run(quick: bool = False) -> dict[str, float | str]:
    copies = 40 if quick else 400
    files = sorted(INBOX.glob("*.eml"))
    by_kind: dict[str, list[bytes]] = {"plain": [], "html_only": [], "multipart": []}
    everything: list[bytes] = []
    for path in files:
        raw = path.read_bytes()
        everything += _unique_copies(raw, copies, b"t")
        head = raw.split(b"\n\n", 1)[0].lower()
        kind = "multipart" if b"multipart/" in head else "html_only" if b"text/html" in head else "plain"
        by_kind[kind] += _unique_copies(raw, copies, kind.encode())
    random.Random(1).shuffle(everything)
    parse_message(everything[0])  # warm-up
    figures: dict[str, float | str] = {
        "inbox_messages": float(len(everything)),
        "typical_msgs_per_s": round(_rate(everything), 1),
    }
    for kind, messages in by_kind.items():
        figures[f"{kind}_msgs_per_s"] = round(_rate(messages), 1)
    seconds, peak = _time_and_peak(_big_attachment)
    figures["attachment_20mb_s"] = round(seconds, 3)
    figures["attachment_20mb_peak_mb"] = round(peak, 1)
    seconds, peak = _time_and_peak(_giant_line)
    figures["line_1mb_s"] = round(seconds, 3)
    figures["line_1mb_peak_mb"] = round(peak, 1)
    figures["note"] = "peak_mb: tracemalloc peak during one parse, raw bytes excluded"
    return figures
