"""Reading a letter's parts out of its OCR text (pure: text in, values out).

A customer's letter, in any of our four languages, is laid out the same
way: the sender's name and postal address top left (our address may
follow), the date, a subject line ("Re:", "Betreft:", "Temats:",
"เรื่อง"), a salutation ("Dear", "Geachte", "Labdien", "เรียน"), the
body, a closing ("Yours faithfully", "Met vriendelijke groet", "Ar cieņu",
"ขอแสดงความนับถือ") and the signed name.

The parser finds the anchors first (subject, salutation, closing; the date
line) and reads the rest relative to them, so it tolerates what OCR does
to layout: blank lines inside an address block, blocks run together, a
date on the right. Everything above the subject or salutation is the
header; its address blocks are the sender's and ours, and the sender's is
the one whose name is signed under the letter, else the one that does not
name us, else the first.

Letters carry no Message-ID and often no e-mail address, so a letter is
matched to its customer by :func:`postal_customer_key` (name and postcode,
folded so OCR's lost diacritics do not matter) or by a case number we
printed on our own letter (:func:`case_numbers`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Final

from mailbot.mail.signatures import CLOSINGS
from mailbot.nlp.dates import find_time_mentions
from mailbot.nlp.numerals import fold

LANGUAGES: Final = ("en", "nl", "lv", "th")

_SUBJECT = re.compile(
    r"^\s*(?:(?:betreft|onderwerp|subject|regarding|re|temats|tema|par|inzake)\s*[:.]"
    r"|(?:betreft|onderwerp|subject|temats|tema)\s"
    r"|เรื่อง\s*:?)\s*(?P<subject>\S.*)$",
    re.IGNORECASE,
)
_SALUTATION = re.compile(
    r"^\s*(?:dear|to\s+whom|hello|geachte|beste|hallo|cienijam\w*|godat\w*|labdien|sveiki|เรียน)(?!\w)",
    re.IGNORECASE,
)
#: Closings as folded, lower-case lines ("Ar cieņu" read as "Ar cienu" still counts).
_CLOSINGS: Final = frozenset(fold(phrase).lower() for phrase in CLOSINGS) | {
    "yours", "with regards", "respectfully yours", "ar patiesu cienu",
    "ar visu cienu", "ด้วยความนับถืออย่างสูง",
}  # fmt: skip
_CLOSING_TRAILER = re.compile(r"[\s,.!:;]+$")
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![\w-])")
_PHONE_LINE = re.compile(
    r"^\s*(?:tel|phone|telefoon|telefons|talr|mob|mobile|mobiel|gsm|โทร)\b\.?\s*:?\s*[+\d(]", re.IGNORECASE
)
#: What may stand before a letter's date on its line: a label ("Date:", "วันที่"), a place
#: ("Rīgā,"), or up to three short words without digits (a label OCR misread: "šu" for "วันที่").
_DATE_PREFIX = re.compile(r"^(?:[^\s\d]+\s*){0,3}$")
MAX_DATE_PREFIX: Final = 25
_YEAR = re.compile(r"\d{4}")
_MISREAD_THAI_MARKER = re.compile(r"^[A-Za-z]{1,4}[:.]?\s+(?=[\u0e00-\u0e7f])")
_CASE = re.compile(
    r"(?:(?<![^\W\d_])(?:case|zaak|dossier|ticket|lieta|lietas|lietu|pieteikums|pieteikuma)|เคส)"
    r"\s*(?:(?:number|nummer|nr|no|numurs|หมายเลข)\.?\s*)?[#:]?\s*(?P<code>(?-i:[A-Z0-9]{4,12}))(?![\w-])",
    re.IGNORECASE,
)
#: Postcodes of the countries that write to us, most specific first.
_POSTCODES: Final = (
    re.compile(r"\bLV[-\s]?\d{4}\b"),  # Latvia: LV-1001
    re.compile(r"\b[1-9]\d{3}\s?(?!SA|SD|SS)[A-Z]{2}\b"),  # Netherlands: 3512 AB
    re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s\d[A-Z]{2}\b"),  # United Kingdom: BS6 7PL
    re.compile(r"(?<![\d/-])\d{5}(?![\d/-])"),  # Thailand and many others: 10110
    re.compile(r"(?<![\d/-])\d{4}(?![\d/-])(?=\s+\w)"),  # Belgium, Denmark...: 4-digit before a city
)
#: Titles dropped from a name (folded, lower case; Thai titles are written joined to the name).
_TITLES: Final = (
    "mr", "mrs", "ms", "miss", "dr", "prof", "sir", "dhr", "mevr", "mw", "de heer", "mevrouw", "heer",
    "kgs", "kdze", "kungs", "kundze",
)  # fmt: skip
_THAI_TITLES: Final = ("นางสาว", "นาง", "นาย", "คุณ", "ดร.")
_TITLE = re.compile(r"^(?:(?:" + "|".join(_TITLES) + r")\b\.?\s+)+", re.IGNORECASE)

#: Country lines that may end an address block (folded, lower case). Anything else after a
#: postcode line starts a new block: "Customer Service" above our address is not the sender's.
COUNTRIES: Final = frozenset({
    "united kingdom", "uk", "u.k", "great britain", "england", "scotland", "wales", "northern ireland",
    "ireland", "netherlands", "the netherlands", "nederland", "holland", "nl", "belgium", "belgie",
    "belgique", "belgien", "latvia", "latvija", "lv", "lithuania", "lietuva", "estonia", "eesti",
    "igaunija", "germany", "deutschland", "duitsland", "vacija", "france", "frankrijk",
    "francija", "thailand", "ประเทศไทย", "ไทย", "taizeme", "usa", "united states",
})  # fmt: skip
MAX_HEADER_BLOCK_LINES: Final = 8
MAX_FRAGMENT_LINES: Final = 2
MAX_ADDRESS_LINE: Final = 60


@dataclass(frozen=True)
class LetterParts:
    """What a letter says about itself, read from its text.

    ``address`` is the sender's postal address without the name and without
    e-mail or telephone lines. ``body`` runs from the salutation to the line
    before the closing. ``date`` is None when no dated line (with a year)
    was found.
    """

    name: str = ""
    address: tuple[str, ...] = ()
    email: str = ""
    date: date | None = None
    subject: str = ""
    body: str = ""
    closing: str = ""
    signature: tuple[str, ...] = ()
    case_numbers: tuple[str, ...] = ()
    other_blocks: tuple[tuple[str, ...], ...] = ()

    @property
    def date_at(self) -> datetime | None:
        """The letter's date as a moment: noon UTC, the same calendar day in every zone we serve."""
        if self.date is None:
            return None
        return datetime(self.date.year, self.date.month, self.date.day, 12, tzinfo=UTC)


def parse_letter(text: str, *, own_names: Iterable[str] = ()) -> LetterParts:
    """Read sender, address, date, subject, body and closing out of a letter's text.

    ``own_names`` are words that identify us on an address block (company
    name, our postcode): a block naming us is never taken for the sender's.
    """
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\f", "\n").split("\n")]
    subject_at = _first(lines, lambda line: _SUBJECT.match(fold(line)) is not None)
    salutation_at = _first(lines, lambda line: _SALUTATION.match(fold(line)) is not None)
    header_end = min(i for i in (subject_at, salutation_at, len(lines)) if i is not None)
    date_at, letter_date = _date_line(lines, header_end)
    subject = _subject(lines, subject_at)
    if subject_at is None and salutation_at is not None and date_at is not None:
        subject_at, subject = _unmarked_subject(lines, date_at, salutation_at)
    body_start = _body_start(lines, subject_at, salutation_at, date_at, header_end)
    closing_at = _closing(lines, body_start)
    signature = _signature(lines, closing_at)
    header = [line for index, line in enumerate(lines[:header_end]) if index not in (date_at, subject_at)]
    blocks = _address_blocks(header)
    sender = _sender_block(blocks, signature[:1], own_names)
    name = _name(sender[0]) if sender else (_name(signature[0]) if signature else "")
    body_end = closing_at if closing_at is not None else len(lines)
    body = "\n".join(lines[body_start:body_end]).strip("\n")
    return LetterParts(
        name=name,
        address=tuple(line for line in sender[1:] if not _is_contact_line(line)),
        email=_email(sender, signature),
        date=letter_date,
        subject=subject,
        body=_tidy(body),
        closing=lines[closing_at].strip() if closing_at is not None else "",
        signature=signature,
        case_numbers=case_numbers(text),
        other_blocks=tuple(block for block in blocks if block != sender),
    )


def case_numbers(text: str) -> tuple[str, ...]:
    """Our case codes named in ``text`` ("[Case #A1B2C3]", "zaak Q4R8T2", "เคส M3N8P4"), in order.

    A code has 4-12 capitals and digits with at least one digit, so "Case
    closed" or "ticket HELP" is not one.
    """
    found: list[str] = []
    for match in _CASE.finditer(fold(text)):
        code = match["code"]
        if any(ch.isdigit() for ch in code) and code not in found:
            found.append(code)
    return tuple(found)


def postcode(lines: Sequence[str]) -> str:
    """The postcode in an address, compact and upper-case ("LV1001", "3512AB"), or ""."""
    for pattern in _POSTCODES:
        for line in reversed(lines):
            match = pattern.search(line)
            if match:
                return re.sub(r"[\s-]", "", match[0]).upper()
    return ""


def normalised_name(name: str) -> str:
    """A name as matching compares it: no title, diacritics, case or punctuation."""
    folded = fold(_name(name)).casefold()
    letters = "".join(" " if unicodedata.category(ch)[0] in "PSZC" else ch for ch in folded)
    return " ".join(letters.split())


def postal_customer_key(name: str, address: Sequence[str]) -> str:
    """The customer key of a letter without an e-mail address: ``postal:<name>|<postcode>``.

    Without a postcode the first address line stands in. Two letters of one
    person at one address share a key even when OCR lost a diacritic.
    """
    place = postcode(address) or normalised_name(address[0] if address else "")
    return f"postal:{normalised_name(name)}|{place}"


# --- anchors -----------------------------------------------------------------------


def _first(lines: Sequence[str], test: Callable[[str], bool]) -> int | None:
    return next((index for index, line in enumerate(lines) if test(line)), None)


def _date_line(lines: Sequence[str], end: int) -> tuple[int | None, date | None]:
    """The first line before ``end`` that is just a date with a year.

    A place ("Utrecht, ", "Rīgā, ") or a label ("Date:", "วันที่") may stand
    before it; nothing but punctuation after it, so a sentence in the
    header that mentions a date is not taken for the letter's date.
    """
    reference = datetime(2000, 1, 1, tzinfo=UTC)  # only dates with a year count, so never used
    for index, line in enumerate(lines[:end]):
        folded = fold(line.strip())
        if not folded or len(folded) > MAX_ADDRESS_LINE or not _YEAR.search(folded):
            continue
        for mention in find_time_mentions(folded, LANGUAGES, reference):
            spoken = folded[mention.start : mention.end]
            before, after = folded[: mention.start].strip(), folded[mention.end :].strip(" .,")
            prefix_ok = len(before) <= MAX_DATE_PREFIX and _DATE_PREFIX.match(before) is not None
            if mention.kind == "date" and _YEAR.search(spoken) and prefix_ok and not after:
                return index, mention.at.date()
    return None, None


def _subject(lines: Sequence[str], subject_at: int | None) -> str:
    if subject_at is None:
        return ""
    match = _SUBJECT.match(fold(lines[subject_at]))
    return lines[subject_at][match.start("subject") :].strip() if match else ""


def _unmarked_subject(lines: Sequence[str], date_at: int, salutation_at: int) -> tuple[int | None, str]:
    """The one line between the date and the salutation, when its marker is missing or misread.

    Bold Thai "เรื่อง" is the marker OCR misreads most ("Sas"); a short Latin
    word before Thai text is taken to be that and dropped.
    """
    between = [index for index in range(date_at + 1, salutation_at) if lines[index].strip()]
    if len(between) != 1:
        return None, ""
    line = lines[between[0]].strip()
    return between[0], _MISREAD_THAI_MARKER.sub("", line)


def _body_start(
    lines: Sequence[str],
    subject_at: int | None,
    salutation_at: int | None,
    date_at: int | None,
    header_end: int,
) -> int:
    if salutation_at is not None:
        return salutation_at
    if subject_at is not None:
        return subject_at + 1
    if date_at is not None:
        return date_at + 1
    return header_end if header_end < len(lines) else 0


def _closing(lines: Sequence[str], start: int) -> int | None:
    """The last closing line after the body's first line."""
    found = None
    for index in range(start + 1, len(lines)):
        phrase = _CLOSING_TRAILER.sub("", fold(lines[index]).strip().lower())
        if phrase in _CLOSINGS:
            found = index
    return found


def _signature(lines: Sequence[str], closing_at: int | None) -> tuple[str, ...]:
    if closing_at is None:
        return ()
    after = [line.strip() for line in lines[closing_at + 1 :] if line.strip()]
    return tuple(after[:4])


# --- address blocks ----------------------------------------------------------------


def _address_blocks(header: Sequence[str]) -> list[tuple[str, ...]]:
    """The header's address blocks, put back together where OCR split them.

    OCR sometimes puts blank lines inside a block: a fragment of one or two
    lines without a postcode runs on into the next block, until a postcode
    line completes the address (country, e-mail, telephone may follow it).
    A longer block stands on its own even without a postcode, so a misread
    postcode does not merge the sender's address with ours.
    """
    raw: list[list[str]] = [[]]
    for line in header:
        if line.strip():
            raw[-1].append(line.strip())
        elif raw[-1]:
            raw.append([])
    blocks: list[list[str]] = []
    pending: list[str] = []
    for block in filter(None, raw):
        if blocks and not pending and all(_is_trailer_line(line) for line in block):
            blocks[-1].extend(block)  # country, e-mail or phone after a complete address
            continue
        pending.extend(block)
        short = len(block) <= MAX_FRAGMENT_LINES  # a name or street OCR split off its block
        if postcode(pending) or not short or len(pending) >= MAX_HEADER_BLOCK_LINES:
            blocks.append(pending)
            pending = []
    if pending:
        blocks.append(pending)
    return [tuple(block) for block in blocks]


def _is_contact_line(line: str) -> bool:
    return bool(_EMAIL.search(line) or _PHONE_LINE.match(line))


def _is_trailer_line(line: str) -> bool:
    """A line that may follow an address's postcode line: contact details or a country."""
    return _is_contact_line(line) or " ".join(fold(line).casefold().strip(" .,").split()) in COUNTRIES


def _sender_block(
    blocks: Sequence[tuple[str, ...]], signed: Sequence[str], own_names: Iterable[str]
) -> tuple[str, ...]:
    if not blocks:
        return ()
    if signed:
        signed_name = normalised_name(signed[0])
        for block in blocks:
            if signed_name and normalised_name(block[0]) == signed_name:
                return block
    ours = [fold(name).casefold() for name in own_names if name.strip()]
    for block in blocks:
        text = fold(" ".join(block)).casefold()
        if not any(name in text for name in ours):
            return block
    return blocks[0]


def _name(line: str) -> str:
    """A name line without its title ("Mr", "Dhr.", "Kgs.", "นางสาว")."""
    name = _TITLE.sub("", line.strip())
    for title in _THAI_TITLES:
        if name.startswith(title) and len(name) > len(title) + 1:
            name = name[len(title) :].strip()
            break
    return " ".join(name.split())


def _email(sender: Sequence[str], signature: Sequence[str]) -> str:
    """The sender's e-mail address: in the address block, else under the signature."""
    for lines in (sender, signature):
        for line in lines:
            match = _EMAIL.search(line)
            if match:
                return match[0].lower()
    return ""


def _tidy(text: str) -> str:
    """Paragraphs joined back: one blank line between them, none at the ends."""
    out: list[str] = []
    for line in text.split("\n"):
        if line.strip() or (out and out[-1]):
            out.append(line.strip() if not line.strip() else line.rstrip())
    return "\n".join(out).strip()
