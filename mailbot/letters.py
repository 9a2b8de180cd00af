"""Reply letters: a draft laid out as a formal letter, and printed to PDF.

A customer who wrote on paper gets an answer on paper. The drafting stage
renders the letter's words from the phrasebank (greeting, "we received your
letter" opener, answer, closing, signature); this module adds what makes it
a letter: the sender block, the recipient's postal address read from the
scan, the date line in the customer's language and the subject line.

:func:`compose_letter` and :func:`letter_html` are pure. :func:`letter_pdf`
prints the HTML with WeasyPrint, which shapes text with Pango/HarfBuzz, so
Thai (stacked vowel and tone marks, no spaces between words) and Latvian
diacritics come out right as long as the fonts exist: Debian packages
``fonts-dejavu-core`` (Latin, Latvian) and ``fonts-thai-tlwg`` (Thai), plus
``libpango-1.0-0`` and ``libpangoft2-1.0-0`` for WeasyPrint itself.

Everything from the customer or the scan reaches the HTML only through
Jinja2's autoescaping, and the page references no external resource, so
nothing in an address or a draft can load a file or a URL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import jinja2

from mailbot.drafting import DraftRequest, Phrasebank
from mailbot.drafting_context import person_name
from mailbot.errors import MailbotError
from mailbot.model import DraftText

#: Serif for Latin script first (DejaVu has every Latvian letter), then Thai
#: fonts from fonts-thai-tlwg; Pango picks per character.
FONT_STACK = '"DejaVu Serif", "Norasi", "Loma", "Garuda", serif'
THAI_FONT_STACK = '"Norasi", "Loma", "Garuda", "DejaVu Serif", serif'

_PAGE = jinja2.Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True).from_string(
    """<!DOCTYPE html>
<html lang="{{ letter.language }}">
<head>
<meta charset="utf-8">
<title>{{ letter.subject }}</title>
<style>
@page { size: A4; margin: 18mm 20mm 22mm 25mm; }
body { font-family: {{ fonts|safe }}; font-size: 11pt; line-height: 1.45; color: #000; }
.sender { text-align: right; font-size: 9.5pt; line-height: 1.35; }
.recipient { margin-top: 18mm; min-height: 32mm; }
.date { text-align: right; margin: 6mm 0 8mm; }
.subject { font-weight: bold; margin-bottom: 7mm; }
.body p { margin: 0 0 4mm; white-space: pre-line; }
/* Thai glyphs are drawn small on the body: a Thai font first (it has Latin too), larger. */
html:lang(th) body { font-family: {{ thai_fonts|safe }}; font-size: 14pt; line-height: 1.5; }
html:lang(th) .sender { font-size: 12pt; }
</style>
</head>
<body>
<div class="sender">{% for line in letter.sender %}{{ line }}<br>{% endfor %}</div>
<div class="recipient">{% for line in letter.recipient %}{{ line }}<br>{% endfor %}</div>
<div class="date">{{ letter.date_line }}</div>
<div class="subject">{{ letter.subject }}</div>
<div class="body">
{% for paragraph in paragraphs %}
<p>{{ paragraph }}</p>
{% endfor %}
</div>
</body>
</html>
"""
)


@dataclass(frozen=True)
class Letter:
    """A reply letter, laid out: every part a person sees on the printed page."""

    language: str
    sender: tuple[str, ...]
    recipient: tuple[str, ...]
    date_line: str
    subject: str
    body: str


class LetterRenderError(MailbotError):
    """A letter could not be printed to PDF (WeasyPrint or its system libraries missing)."""


def compose_letter(
    phrasebank: Phrasebank, request: DraftRequest, draft: DraftText, *, written_on: date
) -> Letter:
    """Lay out a rendered letter draft: sender block, recipient address, date, subject, text."""
    lang = phrasebank.settings.languages[draft.language]
    sender = request.mailbox.postal_address or (request.mailbox.display_name,)
    if request.mailbox.address and request.mailbox.address not in sender:
        sender = (*sender, request.mailbox.address)
    full_name, _ = person_name(request.customer_name)
    address = tuple(line.strip() for line in request.customer_address if line.strip())
    recipient = (
        address
        if full_name and address[:1] == (full_name,)
        else ((full_name,) if full_name else ()) + address
    )
    return Letter(
        language=draft.language,
        sender=sender,
        recipient=recipient,
        date_line=lang.format_date(written_on, letter=True),
        subject=draft.subject,
        body=draft.text,
    )


def letter_text(letter: Letter) -> str:
    """The letter as plain text, in reading order (for previews and tests)."""
    blocks = [
        "\n".join(letter.sender),
        "\n".join(letter.recipient),
        letter.date_line,
        letter.subject,
        letter.body,
    ]
    return "\n\n".join(block for block in blocks if block)


def letter_html(letter: Letter) -> str:
    """The letter as a printable HTML page (A4), customer text escaped."""
    paragraphs = [p for p in letter.body.split("\n\n") if p.strip()]
    return _PAGE.render(letter=letter, paragraphs=paragraphs, fonts=FONT_STACK, thai_fonts=THAI_FONT_STACK)


def letter_pdf(letter: Letter) -> bytes:
    """Print the letter to PDF bytes with WeasyPrint."""
    try:
        from weasyprint import HTML  # type: ignore[import-untyped]
    except (ImportError, OSError) as exc:  # OSError: Pango libraries missing
        raise LetterRenderError(
            "cannot print letters: install the Python package weasyprint and the Debian packages "
            f"libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core fonts-thai-tlwg ({exc})"
        ) from exc
    pdf = HTML(string=letter_html(letter)).write_pdf()
    if not isinstance(pdf, bytes):  # write_pdf returns bytes when given no target
        raise LetterRenderError("WeasyPrint returned no PDF")
    return pdf
