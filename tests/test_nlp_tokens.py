"""Tokens and sentences with exact offsets, for every supported language."""

from __future__ import annotations

import pytest

from mailbot.nlp.tokens import TokenKind, fold, sentences, tokenize

TEXTS = [
    ("en", "We’ll refund you, won't we? Obviously.\n\nKind regards,\nAnna"),
    ("nl", "Wij betalen u z.s.m. terug, vóór 15 maart. Om 17.00 uur."),
    ("lv", "Tehniķis būs pie jums šodien līdz plkst. 17.00. Līdz 15. martam."),
    ("th", "เรารับประกันว่าสินค้าจะถึงพรุ่งนี้  ขอบคุณค่ะ\nคุณสมชาย"),
    ("de", "Wir garantieren die Lieferung."),
]


@pytest.mark.parametrize(("language", "text"), TEXTS)
def test_offsets_index_the_original_text(language: str, text: str) -> None:
    tokens = tokenize(text, language, keep_breaks=True)
    assert tokens
    for token in tokens:
        assert text[token.start : token.end] == token.text
    assert [t.start for t in tokens] == sorted(t.start for t in tokens)


@pytest.mark.parametrize(
    ("language", "text", "norms"),
    [
        ("en", "We’ll", ["we", "will"]),
        ("en", "can't", ["can", "not"]),
        ("nl", "VÓÓR", ["voor"]),
        ("lv", "Garantējam", ["garantejam"]),
        ("th", "รับประกัน", ["รับประกัน"]),
    ],
)
def test_norms_are_folded(language: str, text: str, norms: list[str]) -> None:
    assert [t.norm for t in tokenize(text, language)] == norms


def test_thai_keeps_vowel_and_tone_marks_when_folding() -> None:
    assert fold("ค่ะ", "th") == "ค่ะ"
    assert fold("Kļūda", "lv") == "kluda"


def test_breaks_only_with_keep_breaks() -> None:
    text = "Hello\nWorld"
    assert [t.kind for t in tokenize(text, "en")] == [TokenKind.WORD, TokenKind.WORD]
    kinds = [t.kind for t in tokenize(text, "en", keep_breaks=True)]
    assert kinds == [TokenKind.WORD, TokenKind.BREAK, TokenKind.WORD]


def test_word_kinds() -> None:
    tokens = tokenize("Pay 12 euro, now!", "en")
    assert [t.kind for t in tokens] == [
        TokenKind.WORD,
        TokenKind.NUMBER,
        TokenKind.WORD,
        TokenKind.PUNCT,
        TokenKind.WORD,
        TokenKind.PUNCT,
    ]
    assert sum(t.is_word for t in tokens) == 4


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        ("en", "Hello there. How are you?", ["Hello there.", "How are you?"]),
        ("en", "Kind regards,\nAnna", ["Kind regards,", "Anna"]),
        ("lv", "Līdz 15. martam plkst. 17.00. Paldies!", ["Līdz 15. martam plkst. 17.00.", "Paldies!"]),
        ("en", "It costs 5. that is all", ["It costs 5. that is all"]),
        ("th", "ขอบคุณค่ะ ขออภัยค่ะ\nแอนนา", ["ขอบคุณค่ะ ขออภัยค่ะ", "แอนนา"]),
        ("en", "", []),
    ],
)
def test_sentences(language: str, text: str, expected: list[str]) -> None:
    found = sentences(tokenize(text, language, keep_breaks=True))
    assert [text[s.start : s.end] for s in found] == expected


def test_thai_clauses_split_at_spaces_but_keep_numbers_and_particles() -> None:
    from mailbot.nlp.tokens import thai_clauses

    text = "รอสักครู่ นะคะ เราจะโทรกลับภายใน 2 วัน ครับ ขอบคุณค่ะ"
    clauses = thai_clauses(tokenize(text, "th"))
    assert [text[c[0].start : c[-1].end] for c in clauses] == [
        "รอสักครู่ นะคะ",
        "เราจะโทรกลับภายใน 2 วัน ครับ",
        "ขอบคุณค่ะ",
    ]
    assert thai_clauses([]) == []
