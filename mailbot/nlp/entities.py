"""Things a customer names that matter for the reply and the SLA clock.

Kinds and their normalised ``value``:

==============  ==============================================================
order_number    the identifier as written, upper-cased: ``"58213"``
case_number     our case code from a subject or body: ``"A1B2C3"``
amount          ISO currency code and two decimals: ``"EUR 49.95"``
date            start of that day, ISO 8601 UTC: ``"2025-11-03T00:00:00Z"``
deadline        the moment it expires, ISO 8601 UTC (see :mod:`.dates`)
email           lower-cased address
phone           ``+`` and digits when international, else digits only
iban            compact, upper-case, and only if the mod-97 checksum holds
==============  ==============================================================

``start``/``end`` point into the text as given. Identifiers and phone
numbers span just the identifier ("order #58213" -> "58213"); amounts span
currency and number; deadlines span the whole phrase ("binnen veertien
dagen"), because the marker is what makes it a deadline.

Patterns are matched on a folded copy (see :mod:`.numerals`) so typed
without diacritics or with Thai digits they still match. When two findings
overlap, the more specific kind wins (an IBAN is not also a phone number, a
deadline's date is not also a plain date).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Final

from mailbot.model import Entity
from mailbot.nlp.dates import find_time_mentions
from mailbot.nlp.numerals import fold

KINDS: Final = ("email", "iban", "case_number", "order_number", "deadline", "amount", "date", "phone")
"""Every kind, most specific first: the order that settles overlaps."""

_LANGUAGES: Final = ("en", "nl", "lv", "th")

Candidate = tuple[str, int, int, str]
"""(kind, start, end, value) before overlaps are settled"""

_FLAGS: Final = re.IGNORECASE
_DIGIT: Final = re.compile(r"\d")

_ORDER = re.compile(
    r"(?:"
    r"(?<![a-z])order\s*(?:number|no\.?|nr\.?|num\.?|id|ref(?:erence)?)?"
    r"|(?<![a-z])(?:bestel(?:ling|nummer|nr\.?)?|ordernummer|ordernr\.?)"
    r"|(?<![a-z])pasutijum(?:a|s|u)?(?:\s*(?:nr\.?|numur(?:s|u|a)))?"
    r"|(?:หมายเลข|เลขที่)?คำสั่งซื้อ(?:หมายเลข|เลขที่)?"
    r")(?![a-z])\s*(?:is\s+|ir\s+|คือ\s*)?[:#]?\s*(?P<id>[A-Z]{0,4}-?\d{4,12}(?:-\d{1,6})?)(?![\w-])",
    _FLAGS,
)
_CASE = re.compile(
    r"(?<![a-z])(?:case|zaak|dossier|ticket|liet(?:as|a|u)|pieteikum(?:s|a|u|am)?|เคส|ตั๋ว(?:หมายเลข)?)"
    r"\s*(?:number|nummer|nr\.?|no\.?|numurs|หมายเลข)?\s*(?:#\s*(?P<code>[A-Z0-9]{4,12})|(?P<digits>\d{4,12}))(?![\w-])",
    _FLAGS,
)
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![\w-])")
_IBAN = re.compile(
    r"(?<![A-Z0-9])[A-Z]{2}\d{2}(?:[A-Z0-9]{10,30}|(?: [A-Z0-9]{4}){2,7}(?: [A-Z0-9]{1,3})?)(?![A-Z0-9])"
)
#: IBAN lengths of European countries (Thailand has no IBAN).
_IBAN_LENGTH: Final = {
    "AD": 24, "AT": 20, "BE": 16, "BG": 22, "CH": 21, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "EE": 20,
    "ES": 24, "FI": 18, "FR": 27, "GB": 22, "GR": 27, "HR": 21, "HU": 28, "IE": 22, "IS": 26, "IT": 27,
    "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MT": 31, "NL": 18, "NO": 15, "PL": 28, "PT": 25, "RO": 24,
    "SE": 24, "SI": 19, "SK": 24,
}  # fmt: skip

_NUMBER = r"\d{1,3}(?:[.,\u00a0\u202f ]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?"
_CURRENCY_CODES: Final = {
    "€": "EUR", "eur": "EUR", "euro": "EUR", "euros": "EUR", "eiro": "EUR",
    "$": "USD", "usd": "USD", "dollar": "USD", "dollars": "USD",
    "£": "GBP", "gbp": "GBP", "pound": "GBP", "pounds": "GBP",
    "฿": "THB", "thb": "THB", "baht": "THB", "บาท": "THB",
}  # fmt: skip
_AMOUNT = re.compile(
    r"(?:(?P<pre>€|\$|£|฿|(?<![a-z])(?:eur|usd|gbp|thb)(?![a-z]))\s?(?P<num1>" + _NUMBER + r")(?:,-)?"
    r"|(?<![\d.,])(?P<num2>" + _NUMBER + r")\s?"
    r"(?P<post>€|\$|£|฿|บาท|(?:eur|euros?|eiro|usd|dollars?|gbp|pounds?|thb|baht)(?![a-z])))",
    _FLAGS,
)

_PHONE_INTERNATIONAL = re.compile(r"(?<![\w+])(?:\+|00)[1-9]\d{0,2}(?:[\s.-]?\(?\d{1,4}\)?){2,6}(?!\d)")
_PHONE_NATIONAL = re.compile(r"(?<![\w+-])0\d{1,3}[\s-]?\d{3,4}[\s-]?\d{3,4}(?![\d-])")
_PHONE_AFTER_WORD = re.compile(
    r"(?:(?<![a-z])(?:phone|tel|telephone|mobile|mob|call|telefoon|mobiel|bel|talr|talrunis|telefons"
    r"|piezvaniet|zvaniet)|โทร|เบอร์)[^\d\n+]{0,15}?(?P<number>\+?\d[\d\s().-]{5,18}\d)(?![\d-])",
    _FLAGS,
)


def extract_entities(text: str, language: str, reference: datetime) -> tuple[Entity, ...]:
    """Entities in ``text``, ordered by position, dates relative to ``reference``.

    ``language`` picks the date and deadline vocabulary (English is always
    added, since it turns up in every language's mail); for "unknown" all
    four are used. A naive ``reference`` is taken to be UTC.
    """
    folded = fold(text)
    languages = _languages_for(language)
    candidates: list[Candidate] = [*_emails(text), *_matches("case_number", _CASE, folded, _case_value)]
    if _DIGIT.search(folded):  # every other kind has digits; many messages have none
        candidates += [
            *_ibans(text),
            *_matches("order_number", _ORDER, folded, lambda m: m["id"].upper(), group="id"),
            *_amounts(folded),
            *_phones(folded),
        ]
    for mention in find_time_mentions(folded, languages, reference):
        candidates.append((mention.kind, mention.start, mention.end, _iso(mention.at)))
    kept = _without_overlaps(candidates)
    return tuple(Entity(kind, text[start:end], start, end, value) for kind, start, end, value in kept)


def customer_deadline(entities: Iterable[Entity]) -> datetime | None:
    """The earliest deadline the customer named, or None."""
    moments = [datetime.fromisoformat(entity.value) for entity in entities if entity.kind == "deadline"]
    return min(moments, default=None)


# --- finders: each yields a Candidate ---------------------------------------------


def _languages_for(language: str) -> tuple[str, ...]:
    if language not in _LANGUAGES:
        return _LANGUAGES
    return (language,) if language == "en" else (language, "en")


def _matches(
    kind: str,
    pattern: re.Pattern[str],
    text: str,
    value: Callable[[re.Match[str]], str],
    group: str | int = 0,
) -> Iterator[Candidate]:
    for match in pattern.finditer(text):
        yield kind, match.start(group), match.end(group), value(match)


def _case_value(match: re.Match[str]) -> str:
    return (match["code"] or match["digits"]).upper()


def _emails(text: str) -> Iterator[Candidate]:
    for match in _EMAIL.finditer(text):
        yield "email", match.start(), match.end(), match[0].lower()


def _ibans(text: str) -> Iterator[Candidate]:
    for match in _IBAN.finditer(text):
        compact = match[0].replace(" ", "")
        length = _IBAN_LENGTH.get(compact[:2])
        if length is not None:
            if len(compact) < length:
                continue
            compact = compact[:length]
        if iban_is_valid(compact):
            end = match.start() + _span_of(match[0], len(compact))
            yield "iban", match.start(), end, compact


def _span_of(spaced: str, characters: int) -> int:
    """How many characters of ``spaced`` hold its first ``characters`` non-space ones."""
    seen = 0
    for index, ch in enumerate(spaced):
        if ch != " ":
            seen += 1
            if seen == characters:
                return index + 1
    return len(spaced)


def iban_is_valid(iban: str) -> bool:
    """ISO 13616 check: country + 2 check digits, and mod 97 of the rearranged number is 1."""
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", iban):
        return False
    rearranged = iban[4:] + iban[:4]
    digits = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(digits) % 97 == 1


def _amounts(folded: str) -> Iterator[Candidate]:
    for match in _AMOUNT.finditer(folded):
        symbol = (match["pre"] or match["post"]).lower()
        number = match["num1"] or match["num2"]
        amount = parse_amount(number)
        if amount is not None:
            yield "amount", match.start(), match.end(), f"{_CURRENCY_CODES[symbol]} {amount:.2f}"


def parse_amount(number: str) -> Decimal | None:
    """``"1.234,56"``, ``"1,234.56"``, ``"49,95"``, ``"1,590"`` -> Decimal; None if unreadable.

    The last separator is the decimal one when both kinds occur; a lone
    separator followed by exactly three digits groups thousands.
    """
    compact = re.sub(r"[\s\u00a0\u202f]", "", number)
    last_comma, last_dot = compact.rfind(","), compact.rfind(".")
    decimal_at = max(last_comma, last_dot)
    if decimal_at >= 0 and (last_comma >= 0) != (last_dot >= 0) and len(compact) - decimal_at - 1 == 3:
        decimal_at = -1  # "1,590" / "1.590": thousands
    if decimal_at >= 0 and compact.count(compact[decimal_at]) > 1:
        decimal_at = -1  # "1.234.567": thousands only
    whole = compact[:decimal_at] if decimal_at >= 0 else compact
    cents = compact[decimal_at + 1 :] if decimal_at >= 0 else ""
    whole_digits = re.sub(r"[.,]", "", whole)
    if not whole_digits.isdigit() or (cents and not cents.isdigit()):
        return None
    return Decimal(f"{whole_digits}.{cents or '0'}")


def _phones(folded: str) -> Iterator[Candidate]:
    spans: list[tuple[int, int]] = []
    for match in _PHONE_AFTER_WORD.finditer(folded):
        spans.append(match.span("number"))
    spans.extend(match.span() for match in _PHONE_INTERNATIONAL.finditer(folded))
    spans.extend(match.span() for match in _PHONE_NATIONAL.finditer(folded))
    for start, end in spans:
        written = folded[start:end].strip()
        digits = re.sub(r"\D", "", written)
        if not 7 <= len(digits) <= 15:
            continue
        if written.startswith("+"):
            value = "+" + digits
        elif written.startswith("00"):
            value = "+" + digits[2:]
        else:
            value = digits
        yield "phone", start, start + len(folded[start:end].rstrip()), value


# --- putting it together ---------------------------------------------------------


def _without_overlaps(candidates: list[Candidate]) -> list[Candidate]:
    """Keep the most specific, then the longest, of overlapping findings."""
    rank = {kind: index for index, kind in enumerate(KINDS)}
    ordered = sorted(candidates, key=lambda c: (rank[c[0]], -(c[2] - c[1]), c[1]))
    kept: list[Candidate] = []
    for candidate in ordered:
        _, start, end, _ = candidate
        if all(end <= other[1] or start >= other[2] for other in kept):
            kept.append(candidate)
    return sorted(kept, key=lambda c: (c[1], c[2]))


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
