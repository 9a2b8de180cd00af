"""Reply letters: layout, escaping, and PDF output in every language."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from mailbot.drafting import MailboxIdentity, Phrasebank, render_draft
from mailbot.drafting_samples import sample_requests
from mailbot.letters import compose_letter, letter_html, letter_pdf, letter_text
from mailbot.model import Channel

ROOT = Path(__file__).resolve().parents[1] / "phrasebank"
WRITTEN = date(2026, 3, 4)


@pytest.fixture(scope="module")
def phrasebank() -> Phrasebank:
    return Phrasebank.load(ROOT)


def _letter(phrasebank: Phrasebank, language: str, **changes: object):
    request = replace(sample_requests(language, "complaint")[0], channel=Channel.LETTER, **changes)  # type: ignore[arg-type]
    draft = render_draft(phrasebank, request)
    return compose_letter(phrasebank, request, draft, written_on=WRITTEN)


@pytest.mark.parametrize(
    ("language", "date_line", "subject", "greeting"),
    [
        ("en", "4 March 2026", "Your letter of 3 March 2026", "Dear Emma Johnson,"),
        ("nl", "4 maart 2026", "Uw brief van 3 maart 2026", "Geachte Jan de Vries,"),
        ("lv", "2026. gada 4. martā", "Par Jūsu 03.03.2026. vēstuli", "Labdien, Jāni Bērziņ!"),
        ("th", "4 มีนาคม 2569", "เรื่อง จดหมายของคุณลงวันที่ 3 มีนาคม 2569", "เรียน คุณสมชาย ใจดี"),
    ],
)
def test_letter_layout_per_language(
    phrasebank: Phrasebank, language: str, date_line: str, subject: str, greeting: str
) -> None:
    letter = _letter(phrasebank, language)
    request = sample_requests(language, "complaint")[0]
    assert letter.language == language
    assert letter.sender[: len(request.mailbox.postal_address)] == request.mailbox.postal_address
    assert letter.recipient == (request.customer_name, *request.customer_address)
    assert (letter.date_line, letter.subject) == (date_line, subject)
    assert letter.body.startswith(greeting)
    text = letter_text(letter)
    order = [
        text.index(part) for part in (letter.sender[0], letter.recipient[0], date_line, subject, greeting)
    ]
    assert order == sorted(order)  # sender, recipient, date, subject, then the letter itself


def test_name_already_on_the_address_is_not_repeated(phrasebank: Phrasebank) -> None:
    letter = _letter(phrasebank, "en", customer_address=("Emma Johnson", "12 Station Road"))
    assert letter.recipient == ("Emma Johnson", "12 Station Road")


def test_letter_without_postal_sender_uses_mailbox_name(phrasebank: Phrasebank) -> None:
    box = MailboxIdentity("Klantenservice", "klant@example.nl")
    letter = _letter(phrasebank, "nl", mailbox=box, customer_name=None)
    assert letter.sender == ("Klantenservice", "klant@example.nl")
    assert letter.recipient == ("Dorpsstraat 12", "3511 AB Utrecht")
    assert letter.body.startswith("Geachte heer, mevrouw,")


def test_html_escapes_everything_from_the_customer(phrasebank: Phrasebank) -> None:
    letter = _letter(
        phrasebank,
        "en",
        customer_name="Eve <script>alert(1)</script>",
        customer_address=('<img src="file:///etc/passwd">', "{{ 7*7 }}"),
    )
    html = letter_html(letter)
    assert "<script>" not in html and "<img" not in html
    assert "&lt;img src=&#34;file:///etc/passwd&#34;&gt;" in html
    assert "{{ 7*7 }}" in html
    assert '<html lang="en">' in html


def test_pdf_is_a_pdf(phrasebank: Phrasebank) -> None:
    pdf = letter_pdf(_letter(phrasebank, "lv"))
    assert pdf.startswith(b"%PDF-")
    assert b"%%EOF" in pdf[-64:]


@pytest.mark.integration
@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) not installed")
@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("lv", ["Jāni Bērziņ", "2026. gada 4. martā", "pasūtījums Nr. 48213", "Ar cieņu"]),
        ("th", ["เรียน คุณสมชาย ใจดี", "4 มีนาคม 2569", "ขอแสดงความนับถือ", "ข้อร้องเรียน"]),
        ("nl", ["Geachte Jan de Vries,", "€ 49,95", "Met vriendelijke groet,"]),
    ],
)
def test_pdf_text_survives_printing(
    phrasebank: Phrasebank, tmp_path: Path, language: str, expected: list[str]
) -> None:
    """Text extracted back from the PDF is the text we printed: fonts covered every glyph."""
    target = tmp_path / "letter.pdf"
    target.write_bytes(letter_pdf(_letter(phrasebank, language)))
    extracted = subprocess.run(
        ["pdftotext", "-layout", str(target), "-"], capture_output=True, text=True, check=True
    ).stdout
    # pdftotext puts spaces where glyph positions jump (Thai marks, justified lines): compare without them.
    flat = "".join(extracted.split())
    for phrase in expected:
        assert "".join(phrase.split()) in flat
