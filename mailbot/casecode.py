"""Case codes: the short reference we print on replies so the next letter finds its thread.

A letter has no Message-ID to follow; a customer writing back on paper
usually quotes our reference. The code is ``MB`` and the thread's number,
at least four digits (``MB0042``): only capitals and digits, so the letter
parser (:func:`mailbot.mail.letter_parse.case_numbers`) recognises it, and
OCR's usual confusions (O for 0, I or L for 1) are mapped back when reading.
"""

from __future__ import annotations

import re

_PREFIX = "MB"
_READ = re.compile(r"^MB([0-9OIL]{4,10})$")
_OCR_DIGITS = str.maketrans({"O": "0", "I": "1", "L": "1"})


def case_code(thread_id: int) -> str:
    """The code printed for a thread: ``MB0042``."""
    if thread_id < 1:
        raise ValueError("thread ids start at 1")
    return f"{_PREFIX}{thread_id:04d}"


def thread_of(code: str) -> int | None:
    """The thread a code names, allowing for OCR's O/0 and I/L/1 mix-ups; None if it is not ours."""
    match = _READ.match(code.strip().upper())
    if match is None:
        return None
    number = int(match.group(1).translate(_OCR_DIGITS))
    return number if number >= 1 else None
