"""Shorten huge base64 blocks before the MIME parser sees them.

The stdlib parser handles a message line by line in Python: a 20 MB
attachment (370,000 base64 lines) costs most of a second and eight times its
size in memory, only for mailbot to report its size. So, for big messages
only, long runs of base64 lines are cut to their first ``keep_lines`` lines
and the rest is replaced by one marker line that records how many decoded
bytes were removed. The marker uses only characters outside the base64
alphabet, so base64 decoders skip it, and text parts keep far more than the
body-text cap. Sizes are added back when attachments are described.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Only messages bigger than this are scanned (typical mail never is).
MIN_MESSAGE_BYTES = 4_000_000
# Lines of a run that are kept: 30,000 x 76 characters is 1.7 MB decoded,
# enough for the 1 M character body-text cap in most scripts.
KEEP_LINES = 30_000
_MIN_ELIDED_LINES = 1_000

# Possessive quantifiers: no backtracking state, so no memory per line.
_RUN = re.compile(rb"(?:[A-Za-z0-9+/]{60,100}+\r?\n){%d,}+" % (KEEP_LINES + _MIN_ELIDED_LINES))
# Digits of the marker's index, in symbols base64 decoders ignore.
_SYMBOLS = "!#$%&()*,-.:;<>?@[]^_`{|}"
MARKER = re.compile(r"~~~~([" + re.escape(_SYMBOLS) + r"]+)~~~~")


@dataclass(frozen=True)
class Elided:
    """The shortened message and the decoded bytes each marker stands for."""

    data: bytes
    removed: dict[str, int] = field(default_factory=dict)


def elide_base64_runs(raw: bytes) -> Elided:
    """Return ``raw`` with very long base64 runs cut short (or unchanged)."""
    if len(raw) < MIN_MESSAGE_BYTES:
        return Elided(raw)
    pieces: list[bytes] = []
    removed: dict[str, int] = {}
    position = 0
    for match in _RUN.finditer(raw):
        keep_end = _end_of_line(raw, match.start(), KEEP_LINES)
        marker = f"~~~~{_symbols(len(removed))}~~~~"
        end = match.end()
        payload_chars = end - keep_end - raw.count(b"\n", keep_end, end) - raw.count(b"\r", keep_end, end)
        removed[marker] = payload_chars * 3 // 4
        pieces += [raw[position:keep_end], marker.encode("ascii") + b"\n"]
        position = match.end()
    if not removed:
        return Elided(raw)
    pieces.append(raw[position:])
    return Elided(b"".join(pieces), removed)


def _end_of_line(raw: bytes, start: int, lines: int) -> int:
    """Offset just after the ``lines``-th line break from ``start``."""
    position = start
    for _ in range(lines):
        position = raw.index(b"\n", position) + 1
    return position


def _symbols(number: int) -> str:
    digits = ""
    while True:
        number, digit = divmod(number, len(_SYMBOLS))
        digits = _SYMBOLS[digit] + digits
        if number == 0:
            return digits
