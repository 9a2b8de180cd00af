"""unflow: RFC 3676 format=flowed text joined back into paragraphs."""

from __future__ import annotations

import pytest

from mailbot.mail.flowed import unflow

CASES = [
    ("soft-break", "Hello \nworld\n", False, "Hello world\n"),
    ("hard-break", "Hello\nworld", False, "Hello\nworld"),
    ("delsp", "Hel \nlo", True, "Hello"),
    ("space-stuffed", " From here\n", False, "From here\n"),
    ("signature-separator-not-flowed", "Text\n-- \nJan", False, "Text\n-- \nJan"),
    ("quoted-depth-kept", "> a \n> b\n>> c \n>> d", False, "> a b\n>> c d"),
    ("depth-change-ends-paragraph", "> a \nb", False, "> a \nb"),
]


@pytest.mark.parametrize(
    ("text", "delsp", "expected"), [case[1:] for case in CASES], ids=[case[0] for case in CASES]
)
def test_unflow(text: str, delsp: bool, expected: str) -> None:
    assert unflow(text, delsp=delsp) == expected
