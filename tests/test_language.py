"""Language detection: accuracy on the hand-written eval set, plus tables.

Thresholds. The eval set has 387 messages (>= 80 per language, 50 unknown);
one message is ~0.26 points. Measured when the detector was chosen: 99.2%
overall, >= 98.8% for every language, 98.2% on the 113 short ones. The
floors below leave room for a handful of flips (a new py3langid model may
move borderline one-word texts) but not for a broken stage: without the
quote/signature stripping accuracy on the 37 mixed messages falls to ~40%
(93.8% overall), and without the confusable languages "unknown" falls to
20% (89.4% overall). The set also guided the choice of confusable
languages, so its figures are somewhat optimistic; the table cases below
were written separately and are not in it.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailbot.nlp.language import (
    SUPPORTED,
    UNKNOWN,
    LanguageDetector,
    ScriptCounts,
    count_scripts,
    detect_language,
    own_words,
)

EVAL_PATH = Path(__file__).resolve().parent.parent / "data" / "langid_eval" / "eval.jsonl"

OVERALL_FLOOR = 0.97
PER_LANGUAGE_FLOOR = 0.95
SHORT_FLOOR = 0.93
MIXED_FLOOR = 0.95


@dataclass(frozen=True)
class EvalItem:
    """One labelled message of data/langid_eval/eval.jsonl."""

    text: str
    lang: str
    tags: tuple[str, ...]


def load_eval() -> list[EvalItem]:
    with EVAL_PATH.open(encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    return [EvalItem(row["text"], row["lang"], tuple(row["tags"])) for row in rows]


def accuracy(items: list[EvalItem]) -> float:
    hits = sum(detect_language(item.text)[0] == item.lang for item in items)
    return hits / len(items)


# --- the eval set itself -------------------------------------------------------


def test_eval_set_has_enough_of_each_kind() -> None:
    items = load_eval()
    per_language = Counter(item.lang for item in items)
    for language in SUPPORTED:
        assert per_language[language] >= 80, language
    assert per_language[UNKNOWN] >= 40
    assert set(per_language) == {*SUPPORTED, UNKNOWN}
    tags = Counter(tag for item in items for tag in item.tags)
    assert tags["short"] >= 80
    assert tags["mixed"] >= 30
    assert tags["no_diacritics"] >= 10


# --- accuracy ------------------------------------------------------------------


def test_overall_accuracy() -> None:
    assert accuracy(load_eval()) >= OVERALL_FLOOR


@pytest.mark.parametrize("language", [*SUPPORTED, UNKNOWN])
def test_accuracy_per_language(language: str) -> None:
    items = [item for item in load_eval() if item.lang == language]
    assert accuracy(items) >= PER_LANGUAGE_FLOOR


def test_accuracy_on_short_texts() -> None:
    items = [item for item in load_eval() if "short" in item.tags]
    assert accuracy(items) >= SHORT_FLOOR


def test_accuracy_on_mixed_texts() -> None:
    items = [item for item in load_eval() if "mixed" in item.tags]
    assert accuracy(items) >= MIXED_FLOOR


# --- tables (not in the eval set) ---------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Thanks a lot", "en"),
        ("Sounds good", "en"),
        ("Any news on my refund?", "en"),
        ("my parcel is missing", "en"),
        ("Dankjewel!", "nl"),
        ("Bedankt voor de hulp", "nl"),
        ("Nog nieuws over mijn terugbetaling?", "nl"),
        ("mijn pakket is zoek", "nl"),
        ("Alvast bedankt!", "nl"),
        ("Paldies par palīdzību", "lv"),
        ("Vai ir ziņas par atmaksu?", "lv"),
        ("mana paka ir pazudusi", "lv"),
        ("kur ir mana paka", "lv"),
        ("paldies", "lv"),
        ("ไม่มีปัญหาค่ะ", "th"),
        ("ขอใบแจ้งหนี้ด้วยครับ", "th"),
        ("ส่งของผิด", "th"),
        ("Dankeschön", UNKNOWN),
        ("Bestellung nicht erhalten", UNKNOWN),
        ("Commande non reçue", UNKNOWN),
        ("Pedido no recibido", UNKNOWN),
        ("Užsakymas negautas", UNKNOWN),
        ("Tellimus on kätte saamata", UNKNOWN),
        ("Большое спасибо", UNKNOWN),
        ("谢谢", UNKNOWN),
        ("ຂອບໃຈ", UNKNOWN),  # Lao looks like Thai but is another script
    ],
)
def test_detects_language(text: str, expected: str) -> None:
    assert detect_language(text)[0] == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Dutch answer on top of an English quote: the quote must not count.
        (
            "Nee, dat klopt niet.\n\nOn Tue, 4 Nov 2025, Support <s@example.com> wrote:\n"
            "> We have refunded the full amount to your account as requested.",
            "nl",
        ),
        # Latvian body, long English signature.
        (
            "Lūdzu, atsūtiet rēķinu vēlreiz.\n\nBest regards,\nJohn Smith\nSenior Buyer\n"
            "Northern Lights Trading Ltd\nPhone +44 20 7946 0000",
            "lv",
        ),
        # English body, Dutch Outlook-style original message.
        (
            "That is fine, thank you.\n\nVan: Klantenservice\nVerzonden: maandag 3 november\n"
            "Onderwerp: Uw bestelling\nBeste klant, wij hebben uw bestelling ontvangen.",
            "en",
        ),
        # The classify stage puts the subject first; a reply's subject is ours.
        ("Re: [Case #A1B2C3] Your refund request\nPaldies!", "lv"),
        # Thai with English product names.
        ("ได้ iPhone charger ผิดรุ่นครับ", "th"),
    ],
)
def test_mixed_messages_take_the_customers_language(text: str, expected: str) -> None:
    assert detect_language(text)[0] == expected


@pytest.mark.parametrize("text", ["", "   ", "12345", "+31 20 123 4567", "https://example.com/x", "a@b.nl"])
def test_text_without_words_is_unknown_with_no_confidence(text: str) -> None:
    assert detect_language(text) == (UNKNOWN, 0.0)


def test_confidence_is_a_probability() -> None:
    for text in ["Thanks!", "Paldies par ātro atbildi", "ขอบคุณค่ะ", "Danke schön"]:
        _, confidence = detect_language(text)
        assert 0.0 < confidence <= 1.0


def test_long_clear_text_is_confident() -> None:
    text = "Goedemiddag, ik heb vorige week een jas besteld maar ik heb nog niets ontvangen."
    language, confidence = detect_language(text)
    assert language == "nl"
    assert confidence >= 0.95


def test_fewer_confusable_languages_turns_foreign_mail_into_ours() -> None:
    narrow = LanguageDetector(confusable=())
    assert narrow.detect("Wo bleibt meine Bestellung? Ich warte schon seit zwei Wochen.")[0] == "nl"
    assert detect_language("Wo bleibt meine Bestellung? Ich warte schon seit zwei Wochen.")[0] == UNKNOWN


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Thanks!\n\n> Bedankt voor uw bericht", "Thanks!"),
        ("Yes.\n\nOn Mon, 3 Nov 2025 at 10:12, Shop <s@x.nl>\nwrote:\n> Hello", "Yes."),
        ("Ja.\n\nOp 2 nov. 2025 om 09:14 schreef Support <h@x.com>:\n> Hi", "Ja."),
        ("Jā.\n\n2025. gada 3. nov., plkst. 10:12, Atbalsts rakstīja:\n> Sveiki", "Jā."),
        ("ค่ะ\n\nเมื่อ 3 พ.ย. 2025 Support เขียนว่า:\n> Hello", "ค่ะ"),
        ("OK\n\n-----Original Message-----\nFrom: A\nSubject: B", "OK"),
        ("OK\n\nFrom: Support <s@x.com>\nSent: Monday\nTo: me\nSubject: Re: order", "OK"),
        ("Fine.\n-- \nJohn\nACME Ltd", "Fine."),
        ("Fine.\n\nSent from my iPhone", "Fine."),
        ("Prima.\n\nMet vriendelijke groet,\nPiet", "Prima."),
        ("Labi.\n\nAr cieņu,\nJānis", "Labi."),
        ("Order 44120, see https://x.com/t/1 or mail me@x.com", "Order , see  or mail"),
        # A reply's subject is ours; a subject the customer wrote is kept.
        ("Re: [Case #A1B2C3] Your refund\nPaldies!", "Paldies!"),
        ("AW: Re: Ihre Bestellung\nBedankt", "Bedankt"),
        ("Bestelling kwijt\nWaar is hij?", "Bestelling kwijt\nWaar is hij?"),
        # A valediction with nothing before it is the message, not a signature.
        ("Kind regards", "Kind regards"),
    ],
)
def test_own_words(text: str, expected: str) -> None:
    assert " ".join(own_words(text).split()) == " ".join(expected.split())


@pytest.mark.parametrize(
    ("text", "latin", "thai", "other"),
    [
        ("abc", 3, 0, 0),
        ("āčē", 3, 0, 0),
        ("ขอบคุณ", 0, 6, 0),
        ("size M ค่ะ", 5, 3, 0),
        ("๑๒๓ 123", 0, 0, 0),  # digits are not letters in any script
        ("Привет", 0, 0, 6),
        ("ຂອບໃຈ", 0, 0, 5),
    ],
)
def test_count_scripts(text: str, latin: int, thai: int, other: int) -> None:
    counts = count_scripts(text)
    assert (counts.latin, counts.thai, counts.other) == (latin, thai, other)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_any_text_gets_an_answer(text: str) -> None:
    language, confidence = detect_language(text)
    assert language in {*SUPPORTED, UNKNOWN}
    assert 0.0 <= confidence <= 1.0


def _count_scripts_by_character(text: str) -> ScriptCounts:
    """The definition count_scripts implements with regular expressions."""
    latin = thai = other = 0
    for ch in text:
        code = ord(ch)
        if 0x0E01 <= code <= 0x0E4E:
            thai += 1
        elif ch.isalpha():
            if code < 0x0250 or 0x1E00 <= code <= 0x1EFF:
                latin += 1
            else:
                other += 1
    return ScriptCounts(latin, thai, other)


def test_count_scripts_matches_its_definition_on_every_character() -> None:
    every = "".join(chr(code) for code in range(0x20000) if not 0xD800 <= code <= 0xDFFF)
    assert count_scripts(every) == _count_scripts_by_character(every)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_count_scripts_matches_its_definition_on_any_text(text: str) -> None:
    assert count_scripts(text) == _count_scripts_by_character(text)
