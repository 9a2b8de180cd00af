"""Reading a letter's parts out of its text: tables of text -> expected parts."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from mailbot.mail.letter_parse import (
    case_numbers,
    normalised_name,
    parse_letter,
    postal_customer_key,
    postcode,
)
from tests.letter_samples import LETTERS, SampleLetter


@pytest.mark.parametrize("letter", LETTERS, ids=lambda letter: letter.key)
def test_every_sample_letter_is_read_part_by_part(letter: SampleLetter) -> None:
    parts = parse_letter(letter.text, own_names=("Nordlicht",))
    assert parts.name == letter.sender_name
    assert parts.address == letter.address
    assert parts.email == letter.email
    assert parts.date == letter.written_on
    assert parts.subject == letter.subject
    assert parts.body == letter.body
    assert parts.closing == letter.closing
    assert parts.signature == (letter.signature,)
    assert parts.case_numbers == ((letter.case_number,) if letter.case_number else ())
    assert parts.other_blocks == (letter.recipient,)


# What OCR does to layout: blank lines inside blocks, blocks run together, no blank lines at all.
OCR_LAYOUTS = [
    (
        "blank lines inside the address block",
        "Margaret Thompson\n\n14 Willow Crescent\n\nBristol BS6 7PL\nUnited Kingdom\n\n"
        "Customer Service\nNordlicht B.V.\nPostbus 2210\n1000 CE Amsterdam\n\n3 November 2025\n\n"
        "Re: Refund\n\nDear Sir,\n\nPlease refund me.\n\nYours faithfully,\n\nMargaret Thompson",
        ("Margaret Thompson", ("14 Willow Crescent", "Bristol BS6 7PL", "United Kingdom"), date(2025, 11, 3)),
    ),
    (
        "no blank lines anywhere",
        "Jan de Vries\nKerkstraat 12\n3512 AB Utrecht\nUtrecht, 28 oktober 2025\nBetreft: Levering\n"
        "Geachte heer,\nDe kast is kapot.\nMet vriendelijke groet,\nJan de Vries",
        ("Jan de Vries", ("Kerkstraat 12", "3512 AB Utrecht"), date(2025, 10, 28)),
    ),
    (
        "our address first, the sender's second, signed by the sender",
        "Nordlicht Home Supplies B.V.\nPostbus 2210\n1000 CE Amsterdam\n\nAnna Bērziņa\nBrīvības iela 88\n"
        "Rīga, LV-1001\n\n2025. gada 5. novembrī\n\nTemats: Rēķins\n\nLabdien!\n\nLūdzu, izlabojiet.\n\n"
        "Ar cieņu,\nAnna Bērziņa",
        ("Anna Bērziņa", ("Brīvības iela 88", "Rīga, LV-1001"), date(2025, 11, 5)),
    ),
    (
        "diacritics lost by OCR in the closing and salutation",
        "Anna Berzina\nBrivibas iela 88\nRiga, LV-1001\n\nRiga, 2025. gada 5. novembri\n\nTemats: Rekins\n\n"
        "Godata kundze!\n\nLudzu, izlabojiet.\n\nAr cienu,\nAnna Berzina",
        ("Anna Berzina", ("Brivibas iela 88", "Riga, LV-1001"), date(2025, 11, 5)),
    ),
    (
        "a misread postcode does not merge the sender's block with ours",
        "Mr David O'Connor\nFlat 2, 37 Harbour Road\nPlymouth PL1 3Q7\n\nCustomer Service\n\n"
        "Nordlicht B.V.\nPostbus 2210\n\n1000 CE Amsterdam\n\nPlymouth, 12 January 2026\n\n"
        "Dear Ms Jansen,\n\nX",
        ("David O'Connor", ("Flat 2, 37 Harbour Road", "Plymouth PL1 3Q7"), date(2026, 1, 12)),
    ),
    (
        "a Thai title joined to the name, Buddhist-era year",
        "นางสาวมาลี ศรีสุข\n99 หมู่ 4 ตำบลสุเทพ\nเชียงใหม่ 50200\n\nวันที่ 5 มกราคม 2569\n\n"
        "เรื่อง พัดลมเสีย\n\nเรียน ฝ่ายบริการลูกค้า\n\nพัดลมใช้งานไม่ได้\n\nขอแสดงความนับถือ\nมาลี ศรีสุข",
        ("มาลี ศรีสุข", ("99 หมู่ 4 ตำบลสุเทพ", "เชียงใหม่ 50200"), date(2026, 1, 5)),
    ),
    (
        "an address without a postcode still is the sender's block",
        "Kgs. Jānis Ozoliņš\nDzirnavu iela 41\nLiepāja\n\n14.01.2026\n\nLabdien!\n\nPaldies.\n\nAr cieņu,\n"
        "Jānis Ozoliņš",
        ("Jānis Ozoliņš", ("Dzirnavu iela 41", "Liepāja"), date(2026, 1, 14)),
    ),
]


@pytest.mark.parametrize(
    ("text", "expected"), [row[1:] for row in OCR_LAYOUTS], ids=[r[0] for r in OCR_LAYOUTS]
)
def test_address_block_and_date_survive_ocr_layout(
    text: str, expected: tuple[str, tuple[str, ...], date]
) -> None:
    parts = parse_letter(text, own_names=("Nordlicht",))
    assert (parts.name, parts.address, parts.date) == expected


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("3 November 2025", date(2025, 11, 3)),
        ("November 3, 2025", date(2025, 11, 3)),
        ("Plymouth, 12 January 2026", date(2026, 1, 12)),
        ("Date: 03/11/2025", date(2025, 11, 3)),
        ("Utrecht, 28 oktober 2025", date(2025, 10, 28)),
        ("Den Haag, 1 mei 2025", date(2025, 5, 1)),
        ("12-01-2026", date(2026, 1, 12)),
        ("2025-12-09", date(2025, 12, 9)),
        ("Rīgā, 2025. gada 5. novembrī", date(2025, 11, 5)),
        ("2026. gada 14. janvārī", date(2026, 1, 14)),
        ("10 พฤศจิกายน 2568", date(2025, 11, 10)),
        ("วันที่ 5 มกราคม 2569", date(2026, 1, 5)),
        ("๕ มกราคม ๒๕๖๙", date(2026, 1, 5)),
        ("šu 5 มกราคม 2569", date(2026, 1, 5)),  # "วันที่" misread by OCR
        ("Amsterdam, den 3. November 2025", date(2025, 11, 3)),
        ("3 November", None),  # no year: not a letter's own date
        ("Order 58213 of 3 November 2025", None),
        ("I wrote to you on 3 November 2025 and heard nothing", None),
        ("Postbus 2210", None),
    ],
)
def test_the_letters_own_date_line(line: str, expected: date | None) -> None:
    text = (
        f"Jan de Vries\nKerkstraat 12\n3512 AB Utrecht\n\n{line}\n\nBetreft: Vraag\n\nGeachte heer,\n\nTekst."
    )
    assert parse_letter(text).date == expected


def test_the_date_is_noon_utc_so_every_zone_sees_the_same_day() -> None:
    parts = parse_letter("A\nB 1\n3512 AB Utrecht\n\n28 oktober 2025\n\nGeachte heer,\n\nTekst.")
    assert parts.date_at == datetime(2025, 10, 28, 12, tzinfo=UTC)
    assert parse_letter("no date here").date_at is None


@pytest.mark.parametrize(
    ("line", "subject"),
    [
        ("Re: Refund for order 58213", "Refund for order 58213"),
        ("RE: Refund", "Refund"),
        ("Subject: Broken chair", "Broken chair"),
        ("Betreft: Beschadigde levering", "Beschadigde levering"),
        ("Betreft Beschadigde levering", "Beschadigde levering"),
        ("Onderwerp: Factuur", "Factuur"),
        ("Temats: Kļūda rēķinā", "Kļūda rēķinā"),
        ("Tēma: Rēķins", "Rēķins"),
        ("Par: Jūsu vēstuli", "Jūsu vēstuli"),
        ("เรื่อง ขอคืนเงิน", "ขอคืนเงิน"),
        ("เรื่อง: ขอคืนเงิน", "ขอคืนเงิน"),
        ("Regarding the chair", "Regarding the chair"),  # no colon, no marker: the whole line
    ],
)
def test_subject_lines_in_four_languages(line: str, subject: str) -> None:
    text = f"Jan de Vries\nKerkstraat 12\n3512 AB Utrecht\n\n1 mei 2025\n\n{line}\n\nDear Sir,\n\nText."
    assert parse_letter(text).subject == subject


@pytest.mark.parametrize(
    ("between", "subject"),
    [
        ("Sas ติดตามเคส M3N8P4 พัดลมเสีย", "ติดตามเคส M3N8P4 พัดลมเสีย"),  # bold "เรื่อง" misread
        ("Par rēķinu Nr. 66342", "Par rēķinu Nr. 66342"),  # no marker at all
        ("Refund\nPlease", ""),  # two lines: no telling which is the subject
    ],
)
def test_a_subject_without_a_readable_marker_is_the_line_after_the_date(between: str, subject: str) -> None:
    text = f"A. Berzina\nIela 1\nRiga, LV-1001\n\n5 January 2026\n\n{between}\n\nLabdien!\n\nX"
    parts = parse_letter(text)
    assert (parts.subject, parts.address) == (subject, ("Iela 1", "Riga, LV-1001"))


def test_body_is_from_salutation_to_closing_and_email_comes_from_the_sender() -> None:
    text = (
        "Fatima el Amrani\nPrinsengracht 263\n1016 GV Amsterdam\nF.ElAmrani@Example.nl\n\n9 december 2025\n\n"
        "Geachte mevrouw,\n\nDank u wel\n\nStuur de factuur naar info@shop.example.\n\n"
        "Met vriendelijke groet,\n\nFatima el Amrani\nTel. 06 1234 5678"
    )
    parts = parse_letter(text)
    assert parts.email == "f.elamrani@example.nl"  # not the address in the body
    assert parts.address == ("Prinsengracht 263", "1016 GV Amsterdam")
    assert parts.body == "Geachte mevrouw,\n\nDank u wel\n\nStuur de factuur naar info@shop.example."
    assert parts.signature == ("Fatima el Amrani", "Tel. 06 1234 5678")


def test_without_salutation_the_body_starts_after_the_subject() -> None:
    parts = parse_letter(
        "A. Smith\n1 Road\nLeeds LS1 1AA\n\n2 May 2025\n\nRe: Parcel\n\nWhere is it?\n\nRegards,\nA. Smith"
    )
    assert (parts.subject, parts.body, parts.closing) == ("Parcel", "Where is it?", "Regards,")


def test_own_names_keep_our_block_from_being_taken_for_the_senders() -> None:
    text = (
        "Nordlicht B.V.\nPostbus 2210\n1000 CE Amsterdam\n\nP. Jansen\nDorpsweg 3\n1234 AB Ergens\n\n"
        "Geachte,\n\nX"
    )
    assert parse_letter(text).name == "Nordlicht B.V."  # nothing tells them apart
    assert parse_letter(text, own_names=("nordlicht",)).name == "P. Jansen"


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("Re: [Case #A1B2C3] Your refund", ("A1B2C3",)),
        ("Your letter about case A7K2M9", ("A7K2M9",)),
        ("Uw brief inzake zaak Q4R8T2 en dossier nr. 77AB12", ("Q4R8T2", "77AB12")),
        ("Lieta Z9X3C5, bojāts ledusskapis", ("Z9X3C5",)),
        ("ติดตามเคส M3N8P4 พัดลมเสีย", ("M3N8P4",)),
        ("Case number: 123456", ("123456",)),
        ("case A1B2C3 and again Case #A1B2C3", ("A1B2C3",)),
        ("Case closed, ticket HELP", ()),
        ("in any case ABCDEF", ()),  # no digit: a word, not a code
        ("showcase A1B2C3", ()),  # "case" inside a word
    ],
)
def test_case_numbers(text: str, codes: tuple[str, ...]) -> None:
    assert case_numbers(text) == codes


@pytest.mark.parametrize(
    ("lines", "code"),
    [
        (("Kerkstraat 12", "3512 AB Utrecht"), "3512AB"),
        (("Brīvības iela 88-12", "Rīga, LV-1001", "Latvija"), "LV1001"),
        (("14 Willow Crescent", "Bristol BS6 7PL"), "BS67PL"),
        (("123/45 ถนนสุขุมวิท", "กรุงเทพมหานคร 10110"), "10110"),
        (("Rue Haute 5", "1000 Bruxelles"), "1000"),
        (("Dzirnavu iela 41", "Liepāja"), ""),
    ],
)
def test_postcodes(lines: tuple[str, ...], code: str) -> None:
    assert postcode(lines) == code


def test_postal_customer_key_ignores_titles_diacritics_and_spacing() -> None:
    address = ("Brīvības iela 88-12", "Rīga, LV-1001")
    key = postal_customer_key("Anna Bērziņa", address)
    assert key == "postal:anna berzina|LV1001"
    assert postal_customer_key("Kdze. ANNA  BERZINA", ("Brivibas iela 88-12", "Riga, LV 1001")) == key
    assert postal_customer_key("Anna Bērziņa", ("Kr. Barona iela 1", "Rīga, LV-1010")) != key
    assert postal_customer_key("Jānis Bērziņš", address) != key
    assert postal_customer_key("A. Person", ("Dzirnavu iela 41",)) == "postal:a person|dzirnavu iela 41"


@pytest.mark.parametrize(
    ("name", "normal"),
    [
        ("Mr David O'Connor", "david o connor"),
        ("Dhr. J. de Vries", "j de vries"),
        ("นางสาวมาลี ศรีสุข", "มาลี ศรีสุข"),
    ],
)
def test_normalised_names(name: str, normal: str) -> None:
    assert normalised_name(name) == normal


def test_text_without_any_letter_layout_gives_empty_parts_not_an_error() -> None:
    parts = parse_letter("")
    assert (parts.name, parts.address, parts.date, parts.subject, parts.body) == ("", (), None, "", "")
    loose = parse_letter("just some words\nwithout layout")
    assert loose.body == "just some words\nwithout layout"
