"""Case codes round-trip, survive OCR's usual confusions, and other codes are not ours."""

from __future__ import annotations

import pytest

from mailbot.casecode import case_code, thread_of
from mailbot.mail.letter_parse import case_numbers


@pytest.mark.parametrize("thread_id", [1, 42, 9999, 123456])
def test_round_trip(thread_id: int) -> None:
    assert thread_of(case_code(thread_id)) == thread_id


@pytest.mark.parametrize(
    ("code", "thread"),
    [
        ("MB0042", 42),
        ("MBOO42", 42),
        ("MB0I42", 142),
        ("mb0042", 42),
        ("MBL001", 1001),
        ("MB0000", None),
        ("A1B2C3", None),
        ("MB42", None),
        ("MB00X2", None),
    ],
)
def test_reading(code: str, thread: int | None) -> None:
    assert thread_of(code) == thread


def test_the_letter_parser_finds_printed_codes_in_every_language() -> None:
    for line in (
        f"Your letter of 1 December (Case {case_code(42)})",
        f"Uw brief (zaak {case_code(42)})",
        f"Jūsu vēstule (lieta {case_code(42)})",
        f"จดหมายของท่าน (เคส {case_code(42)})",
    ):
        assert [thread_of(c) for c in case_numbers(line)] == [42], line


@pytest.mark.parametrize("language", ["en", "nl", "lv", "th"])
def test_reply_letters_print_the_code_where_the_parser_finds_it(language: str) -> None:
    from datetime import UTC, datetime
    from pathlib import Path

    from mailbot.drafting import DraftRequest, MailboxIdentity, Phrasebank, render_draft
    from mailbot.model import Channel

    phrasebank = Phrasebank.load(Path(__file__).resolve().parents[1] / "phrasebank")
    request = DraftRequest(
        language=language,
        intent="delivery",
        received_at=datetime(2026, 11, 20, tzinfo=UTC),
        mailbox=MailboxIdentity("Demo Shop", "support@example.com"),
        channel=Channel.LETTER,
        case_code=case_code(42),
    )
    draft = render_draft(phrasebank, request)
    assert [thread_of(c) for c in case_numbers(draft.subject)] == [42], draft.subject
