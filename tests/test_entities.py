"""Entity extraction in en/nl/lv/th, with deadlines against fixed reference dates."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailbot.model import Entity
from mailbot.nlp.entities import customer_deadline, extract_entities, iban_is_valid, parse_amount

#: A Thursday morning in November.
THURSDAY = datetime(2025, 11, 20, 10, 0, tzinfo=UTC)
#: A Monday just before the new year.
YEAR_END = datetime(2025, 12, 29, 9, 30, tzinfo=UTC)
#: The last day of January (a Friday): one month later is 28 February.
MONTH_END = datetime(2025, 1, 31, 12, 0, tzinfo=UTC)
#: Thursday 10:00 in Riga (UTC+2).
RIGA = datetime(2025, 11, 20, 10, 0, tzinfo=timezone(timedelta(hours=2)))
#: Thursday 23:30 UTC is already Friday 01:30 in Riga.
LATE_THURSDAY_IN_RIGA = datetime(2025, 11, 21, 1, 30, tzinfo=timezone(timedelta(hours=2)))


def extract(text: str, language: str, reference: datetime = THURSDAY) -> tuple[Entity, ...]:
    entities = extract_entities(text, language, reference)
    for entity in entities:  # offsets always point at the customer's own characters
        assert text[entity.start : entity.end] == entity.text
    return entities


def found(text: str, language: str, reference: datetime = THURSDAY) -> set[tuple[str, str, str]]:
    return {(e.kind, e.text, e.value) for e in extract(text, language, reference)}


DEADLINES = [
    # English
    ("en", "Please refund within 14 days.", "within 14 days", "2025-12-04T10:00:00Z"),
    ("en", "Refund within fourteen days please", "within fourteen days", "2025-12-04T10:00:00Z"),
    ("en", "within twenty-one days", "within twenty-one days", "2025-12-11T10:00:00Z"),
    ("en", "within thirty days", "within thirty days", "2025-12-20T10:00:00Z"),
    ("en", "within 2 weeks", "within 2 weeks", "2025-12-04T10:00:00Z"),
    ("en", "within 48 hours", "within 48 hours", "2025-11-22T10:00:00Z"),
    ("en", "within a month", "within a month", "2025-12-20T10:00:00Z"),
    ("en", "within 5 working days", "within 5 working days", "2025-11-27T10:00:00Z"),
    ("en", "Fix it by Friday.", "by Friday", "2025-11-21T23:59:59Z"),
    ("en", "by Thursday", "by Thursday", "2025-11-27T23:59:59Z"),  # written on a Thursday
    ("en", "before 1 December", "before 1 December", "2025-12-01T00:00:00Z"),
    ("en", "no later than 30/11", "no later than 30/11", "2025-11-30T23:59:59Z"),
    ("en", "by December 5th", "by December 5th", "2025-12-05T23:59:59Z"),
    ("en", "by tomorrow", "by tomorrow", "2025-11-21T23:59:59Z"),
    ("en", "by the end of the month", "by the end of the month", "2025-11-30T23:59:59Z"),
    ("en", "before the end of the week", "before the end of the week", "2025-11-21T23:59:59Z"),
    # Dutch
    ("nl", "Betaal binnen veertien dagen terug.", "binnen veertien dagen", "2025-12-04T10:00:00Z"),
    ("nl", "binnen 14 dagen", "binnen 14 dagen", "2025-12-04T10:00:00Z"),
    ("nl", "binnen eenentwintig dagen", "binnen eenentwintig dagen", "2025-12-11T10:00:00Z"),
    ("nl", "binnen dertig dagen", "binnen dertig dagen", "2025-12-20T10:00:00Z"),
    ("nl", "binnen twee weken", "binnen twee weken", "2025-12-04T10:00:00Z"),
    ("nl", "binnen 48 uur", "binnen 48 uur", "2025-11-22T10:00:00Z"),
    ("nl", "binnen een maand", "binnen een maand", "2025-12-20T10:00:00Z"),
    ("nl", "binnen 5 werkdagen", "binnen 5 werkdagen", "2025-11-27T10:00:00Z"),
    ("nl", "uiterlijk 1 december.", "uiterlijk 1 december", "2025-12-01T23:59:59Z"),
    ("nl", "uiterlijk vrijdag", "uiterlijk vrijdag", "2025-11-21T23:59:59Z"),
    ("nl", "Graag vóór vrijdag.", "vóór vrijdag", "2025-11-21T00:00:00Z"),
    ("nl", "graag voor vrijdag", "voor vrijdag", "2025-11-21T00:00:00Z"),
    ("nl", "uiterlijk 30-11-2025", "uiterlijk 30-11-2025", "2025-11-30T23:59:59Z"),
    ("nl", "voor het einde van de week", "voor het einde van de week", "2025-11-21T23:59:59Z"),
    ("nl", "uiterlijk morgen", "uiterlijk morgen", "2025-11-21T23:59:59Z"),
    # Latvian
    ("lv", "Lūdzu, līdz 1. decembrim.", "līdz 1. decembrim", "2025-12-01T23:59:59Z"),
    ("lv", "ludzu lidz 1. decembrim", "lidz 1. decembrim", "2025-12-01T23:59:59Z"),
    ("lv", "atmaksājiet 14 dienu laikā", "14 dienu laikā", "2025-12-04T10:00:00Z"),
    ("lv", "četrpadsmit dienu laikā", "četrpadsmit dienu laikā", "2025-12-04T10:00:00Z"),
    ("lv", "divdesmit vienas dienas laikā", "divdesmit vienas dienas laikā", "2025-12-11T10:00:00Z"),
    ("lv", "trīsdesmit dienu laikā", "trīsdesmit dienu laikā", "2025-12-20T10:00:00Z"),
    ("lv", "divu nedēļu laikā", "divu nedēļu laikā", "2025-12-04T10:00:00Z"),
    ("lv", "mēneša laikā", "mēneša laikā", "2025-12-20T10:00:00Z"),
    ("lv", "5 darba dienu laikā", "5 darba dienu laikā", "2025-11-27T10:00:00Z"),
    ("lv", "48 stundu laikā", "48 stundu laikā", "2025-11-22T10:00:00Z"),
    ("lv", "līdz piektdienai", "līdz piektdienai", "2025-11-21T23:59:59Z"),
    ("lv", "pirms piektdienas", "pirms piektdienas", "2025-11-21T00:00:00Z"),
    ("lv", "ne vēlāk kā 30.11.", "ne vēlāk kā 30.11", "2025-11-30T23:59:59Z"),
    ("lv", "līdz nedēļas beigām", "līdz nedēļas beigām", "2025-11-21T23:59:59Z"),
    ("lv", "līdz rītdienai", "līdz rītdienai", "2025-11-21T23:59:59Z"),
    # Thai, with Thai digits and Buddhist-era years
    ("th", "กรุณาคืนเงินภายใน 7 วัน", "ภายใน 7 วัน", "2025-11-27T10:00:00Z"),
    ("th", "ต้องการคืนเงินภายใน ๗ วัน", "ภายใน ๗ วัน", "2025-11-27T10:00:00Z"),
    ("th", "ภายในเจ็ดวัน", "ภายในเจ็ดวัน", "2025-11-27T10:00:00Z"),
    ("th", "ภายในสามสิบวัน", "ภายในสามสิบวัน", "2025-12-20T10:00:00Z"),
    ("th", "ภายใน 2 สัปดาห์", "ภายใน 2 สัปดาห์", "2025-12-04T10:00:00Z"),
    ("th", "ภายใน 24 ชั่วโมง", "ภายใน 24 ชั่วโมง", "2025-11-21T10:00:00Z"),
    ("th", "ก่อนวันที่ 1 ธันวาคม 2569 ด้วยค่ะ", "ก่อนวันที่ 1 ธันวาคม 2569", "2026-12-01T00:00:00Z"),
    ("th", "ภายในวันที่ 1 ธ.ค. 68", "ภายในวันที่ 1 ธ.ค. 68", "2025-12-01T23:59:59Z"),
    ("th", "ภายในวันที่ ๑ ธันวาคม ๒๕๖๘", "ภายในวันที่ ๑ ธันวาคม ๒๕๖๘", "2025-12-01T23:59:59Z"),
    ("th", "ภายในวันศุกร์นี้", "ภายในวันศุกร์นี้", "2025-11-21T23:59:59Z"),
    ("th", "ภายในพรุ่งนี้", "ภายในพรุ่งนี้", "2025-11-21T23:59:59Z"),
    ("th", "ภายในสิ้นเดือนนี้", "ภายในสิ้นเดือนนี้", "2025-11-30T23:59:59Z"),
]


@pytest.mark.parametrize(("language", "text", "span", "value"), DEADLINES)
def test_deadline(language: str, text: str, span: str, value: str) -> None:
    assert ("deadline", span, value) in found(text, language)


ROLLOVER = [
    (YEAR_END, "en", "within 14 days", "2026-01-12T09:30:00Z"),
    (YEAR_END, "en", "by Friday", "2026-01-02T23:59:59Z"),
    (YEAR_END, "en", "by the end of the month", "2025-12-31T23:59:59Z"),
    (YEAR_END, "nl", "uiterlijk 5 januari", "2026-01-05T23:59:59Z"),
    (YEAR_END, "nl", "binnen 5 werkdagen", "2026-01-05T09:30:00Z"),  # holidays are not known here
    (YEAR_END, "lv", "līdz 5. janvārim", "2026-01-05T23:59:59Z"),
    (YEAR_END, "lv", "mēneša laikā", "2026-01-29T09:30:00Z"),
    (YEAR_END, "th", "ภายใน 7 วัน", "2026-01-05T09:30:00Z"),
    (YEAR_END, "th", "ก่อนวันที่ 5 มกราคม 2569", "2026-01-05T00:00:00Z"),
    (MONTH_END, "en", "within a month", "2025-02-28T12:00:00Z"),
    (MONTH_END, "nl", "binnen een maand", "2025-02-28T12:00:00Z"),
    (MONTH_END, "en", "within 2 days", "2025-02-02T12:00:00Z"),
    (MONTH_END, "en", "by the end of the week", "2025-01-31T23:59:59Z"),  # written on a Friday
    # Days are the customer's calendar days, in the message date's time zone.
    (RIGA, "lv", "līdz 1. decembrim", "2025-12-01T21:59:59Z"),
    (RIGA, "en", "within 14 days", "2025-12-04T08:00:00Z"),
    (LATE_THURSDAY_IN_RIGA, "en", "by Friday", "2025-11-28T21:59:59Z"),
]


@pytest.mark.parametrize(("reference", "language", "text", "value"), ROLLOVER)
def test_deadline_rolls_over_months_years_and_zones(
    reference: datetime, language: str, text: str, value: str
) -> None:
    assert ("deadline", text, value) in found(text, language, reference)


DATES = [
    (THURSDAY, "en", "I returned the items on 3 November.", "3 November", "2025-11-03T00:00:00Z"),
    (THURSDAY, "en", "ordered on 2025-01-05", "2025-01-05", "2025-01-05T00:00:00Z"),
    (THURSDAY, "en", "delivered December 24th, 2025", "December 24th, 2025", "2025-12-24T00:00:00Z"),
    (THURSDAY, "en", "paid on 1 Dec. 2025", "1 Dec. 2025", "2025-12-01T00:00:00Z"),
    (THURSDAY, "nl", "op 3 november teruggestuurd", "3 november", "2025-11-03T00:00:00Z"),
    (THURSDAY, "nl", "besteld op 03-11-2025", "03-11-2025", "2025-11-03T00:00:00Z"),
    (THURSDAY, "lv", "Preces atgriezu 3. novembrī.", "3. novembrī", "2025-11-03T00:00:00Z"),
    (THURSDAY, "lv", "2025. gada 3. novembrī", "2025. gada 3. novembrī", "2025-11-03T00:00:00Z"),
    (THURSDAY, "th", "ส่งคืนเมื่อวันที่ 3 พฤศจิกายน", "3 พฤศจิกายน", "2025-11-03T00:00:00Z"),
    (THURSDAY, "th", "สั่งซื้อวันที่ 31/12/2568", "31/12/2568", "2025-12-31T00:00:00Z"),
    (THURSDAY, "th", "วันที่ 1 ธ.ค. 68", "1 ธ.ค. 68", "2025-12-01T00:00:00Z"),
    # Without a year, a plain date is the nearest such day, past or future.
    (YEAR_END, "en", "ordered on 20 December", "20 December", "2025-12-20T00:00:00Z"),
    (YEAR_END, "en", "arriving on 2 January", "2 January", "2026-01-02T00:00:00Z"),
    (MONTH_END, "nl", "besteld op 28 december", "28 december", "2024-12-28T00:00:00Z"),
]


@pytest.mark.parametrize(("reference", "language", "text", "span", "value"), DATES)
def test_plain_date(reference: datetime, language: str, text: str, span: str, value: str) -> None:
    assert ("date", span, value) in found(text, language, reference)


OTHER_KINDS = [
    # amounts
    ("en", "refund the EUR 49.95 please", "amount", "EUR 49.95", "EUR 49.95"),
    ("en", "charged €49,95 twice", "amount", "€49,95", "EUR 49.95"),
    ("en", "it cost $1,234.56", "amount", "$1,234.56", "USD 1234.56"),
    ("en", "only £20", "amount", "£20", "GBP 20.00"),
    ("nl", "Er is € 1.234,56 afgeschreven", "amount", "€ 1.234,56", "EUR 1234.56"),
    ("nl", "het kost € 49,-", "amount", "€ 49,-", "EUR 49.00"),
    ("nl", "49,95 euro terug", "amount", "49,95 euro", "EUR 49.95"),
    ("lv", "noņemti 49,95 EUR", "amount", "49,95 EUR", "EUR 49.95"),
    ("lv", "samaksāju 15 eiro", "amount", "15 eiro", "EUR 15.00"),
    ("th", "ถูกตัดเงิน 1,590 บาท", "amount", "1,590 บาท", "THB 1590.00"),
    ("th", "ราคา ฿1,590", "amount", "฿1,590", "THB 1590.00"),
    ("th", "ราคา ๑,๕๙๐ บาท", "amount", "๑,๕๙๐ บาท", "THB 1590.00"),
    # order numbers
    ("en", "Hello (order #58213) is late", "order_number", "58213", "58213"),
    ("en", "Order number: 12345", "order_number", "12345", "12345"),
    ("en", "the order number is 44120.", "order_number", "44120", "44120"),
    ("en", "my order no. ord-98765", "order_number", "ord-98765", "ORD-98765"),
    ("nl", "bestelnummer 12345", "order_number", "12345", "12345"),
    ("nl", "pls bestelling 55231 annuleren", "order_number", "55231", "55231"),
    ("nl", "ordernummer: 12345", "order_number", "12345", "12345"),
    ("lv", "pasūtījuma nr. 12345", "order_number", "12345", "12345"),
    ("lv", "pasutijuma numurs ir 44120", "order_number", "44120", "44120"),
    ("th", "หมายเลขคำสั่งซื้อ 12345", "order_number", "12345", "12345"),
    ("th", "หมายเลขคำสั่งซื้อ ๔๔๑๒๐ ค่ะ", "order_number", "๔๔๑๒๐", "44120"),
    ("th", "คำสั่งซื้อ #12345", "order_number", "12345", "12345"),
    # our case numbers
    ("en", "Re: [Case #A1B2C3] Refund", "case_number", "Case #A1B2C3", "A1B2C3"),
    ("nl", "over zaak #a7c2f9", "case_number", "zaak #a7c2f9", "A7C2F9"),
    ("lv", "Rakstu par lietu #A7C2F9.", "case_number", "lietu #A7C2F9", "A7C2F9"),
    ("th", "เรื่องเคส #A7C2F9", "case_number", "เคส #A7C2F9", "A7C2F9"),
    # e-mail
    (
        "nl",
        "mail jan.de.vries@Example.NL graag",
        "email",
        "jan.de.vries@Example.NL",
        "jan.de.vries@example.nl",
    ),
    # phones
    ("lv", "Tālr. +371 29 123 456", "phone", "+371 29 123 456", "+37129123456"),
    ("nl", "bel me op 06-12345678", "phone", "06-12345678", "0612345678"),
    ("nl", "of 0031 20 123 4567", "phone", "0031 20 123 4567", "+31201234567"),
    ("lv", "ludzu piezvaniet man, numurs 29123456", "phone", "29123456", "29123456"),
    ("th", "โทร 081-234-5678 ครับ", "phone", "081-234-5678", "0812345678"),
    # IBANs (mod-97 valid)
    ("en", "My IBAN is NL91ABNA0417164300.", "iban", "NL91ABNA0417164300", "NL91ABNA0417164300"),
    ("nl", "IBAN: NL91 ABNA 0417 1643 00 tnv", "iban", "NL91 ABNA 0417 1643 00", "NL91ABNA0417164300"),
    ("lv", "konts LV80BANK0000435195001", "iban", "LV80BANK0000435195001", "LV80BANK0000435195001"),
    (
        "en",
        "GB82 WEST 1234 5698 7654 32 thanks",
        "iban",
        "GB82 WEST 1234 5698 7654 32",
        "GB82WEST12345698765432",
    ),
]


@pytest.mark.parametrize(("language", "text", "kind", "span", "value"), OTHER_KINDS)
def test_entity(language: str, text: str, kind: str, span: str, value: str) -> None:
    assert (kind, span, value) in found(text, language)


NOT_ENTITIES = [
    ("en", "I ordered the 2 kg bag", {"order_number", "amount", "date"}),
    ("en", "It weighs 1.5 kg and costs 12.50 each", {"date", "deadline"}),
    ("en", "The code is valid until Sunday", {"deadline"}),  # our promise, not the customer's deadline
    ("en", "Friday works for me", {"deadline"}),
    ("nl", "De kortingscode is geldig tot zondag", {"deadline"}),
    ("en", "IBAN NL91ABNA0417164301 (one digit off)", {"iban", "phone"}),
    ("en", "in case of trouble", {"case_number"}),
    ("lv", "31. februārī", {"date"}),
]


@pytest.mark.parametrize(("language", "text", "kinds"), NOT_ENTITIES)
def test_no_false_entities(language: str, text: str, kinds: set[str]) -> None:
    assert not {entity.kind for entity in extract(text, language)} & kinds


def test_a_deadline_date_is_not_also_a_plain_date() -> None:
    kinds = [entity.kind for entity in extract("Please answer before 1 December.", "en")]
    assert kinds == ["deadline"]


def test_entities_come_in_text_order() -> None:
    text = "Order #12345: refund EUR 10.00 within 7 days to NL91ABNA0417164300, mail a@b.nl"
    assert [entity.kind for entity in extract(text, "en")] == [
        "order_number",
        "amount",
        "deadline",
        "iban",
        "email",
    ]


def test_unknown_language_uses_every_vocabulary() -> None:
    assert {e.kind for e in extract("binnen 14 dagen / ภายใน 7 วัน / līdz 1. decembrim", "unknown")} == {
        "deadline"
    }
    assert len(extract("binnen 14 dagen / ภายใน 7 วัน / līdz 1. decembrim", "unknown")) == 3


def test_english_deadlines_are_found_in_other_languages_too() -> None:
    assert ("deadline", "within 14 days", "2025-12-04T10:00:00Z") in found("Graag within 14 days", "nl")


def test_naive_reference_is_utc() -> None:
    naive = datetime(2025, 11, 20, 10, 0)
    assert found("within 14 days", "en", naive) == found("within 14 days", "en", THURSDAY)


def test_customer_deadline_is_the_earliest() -> None:
    entities = extract("Refund within 14 days, or at least answer by Friday.", "en")
    assert customer_deadline(entities) == datetime(2025, 11, 21, 23, 59, 59, tzinfo=UTC)


def test_customer_deadline_is_none_without_deadlines() -> None:
    assert customer_deadline(extract("I returned it on 3 November, order #12345.", "en")) is None
    assert customer_deadline(()) is None


@pytest.mark.parametrize(
    ("iban", "valid"),
    [
        ("NL91ABNA0417164300", True),
        ("LV80BANK0000435195001", True),
        ("DE89370400440532013000", True),
        ("NL91ABNA0417164301", False),
        ("NL19ABNA0417164300", False),
        ("nl91abna0417164300", False),  # compact upper-case form only
        ("91NLABNA0417164300", False),
        ("", False),
    ],
)
def test_iban_is_valid(iban: str, valid: bool) -> None:
    assert iban_is_valid(iban) is valid


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("49.95", "49.95"),
        ("49,95", "49.95"),
        ("1.234,56", "1234.56"),
        ("1,234.56", "1234.56"),
        ("1,590", "1590"),
        ("1.590", "1590"),
        ("1 590", "1590"),
        ("1.234.567", "1234567"),
        ("20", "20"),
        ("0,5", "0.5"),
    ],
)
def test_parse_amount(written: str, expected: str) -> None:
    amount = parse_amount(written)
    assert amount is not None
    assert amount == type(amount)(expected)


_PIECES = [
    *"0123456789 .,/-#€$£:+\n",
    *["by ", "binnen ", "līdz ", "ภายใน", "วัน", "dienu laikā", "december", "ธ.ค.", "order ", "NL91"],
    *["EUR", "๗", "ā", "Friday", "uiterlijk ", "มกราคม", "within ", "days"],
]
_MESSY = st.lists(st.sampled_from(_PIECES), max_size=30).map("".join)


@settings(max_examples=300, deadline=None)
@given(text=_MESSY, language=st.sampled_from(["en", "nl", "lv", "th", "unknown"]))
def test_any_text_gives_consistent_entities(text: str, language: str) -> None:
    entities = extract(text, language)  # checks offsets, and that nothing raises
    spans = sorted((entity.start, entity.end) for entity in entities)
    assert all(end <= next_start for (_, end), (next_start, _) in itertools.pairwise(spans))
    deadline = customer_deadline(entities)
    assert deadline is None or deadline.tzinfo is not None
