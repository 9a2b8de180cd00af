"""Folding and number words: the ground the entity patterns stand on."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailbot.nlp.numerals import fold, parse_number


@given(st.text())
def test_fold_keeps_every_offset(text: str) -> None:
    assert len(fold(text)) == len(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("līdz 1. decembrim", "lidz 1. decembrim"),
        ("vóór vrijdag, tweeëntwintig", "voor vrijdag, tweeentwintig"),
        ("ŠĶŪŅ ģirts", "SKUN girts"),
        ("ภายใน ๗ วัน ๔๔๑๒๐", "ภายใน 7 วัน 44120"),  # Thai marks stay, Thai digits become ASCII
        ("Привет", "Привет"),
    ],
)
def test_fold(text: str, expected: str) -> None:
    assert fold(text) == expected


@pytest.mark.parametrize(
    ("language", "word", "value"),
    [
        ("en", "fourteen", 14),
        ("en", "twenty-one", 21),
        ("en", "twenty one", 21),
        ("en", "thirty", 30),
        ("en", "a", 1),
        ("nl", "veertien", 14),
        ("nl", "eenentwintig", 21),
        ("nl", "tweeentwintig", 22),  # "tweeëntwintig", folded
        ("nl", "dertig", 30),
        ("lv", "cetrpadsmit", 14),  # "četrpadsmit", folded
        ("lv", "divu", 2),
        ("lv", "piecu", 5),
        ("lv", "divdesmit viens", 21),
        ("lv", "tris", 3),
        ("lv", "trisdesmit", 30),
        ("th", "เจ็ด", 7),
        ("th", "สิบ", 10),
        ("th", "สิบเอ็ด", 11),
        ("th", "สิบสี่", 14),
        ("th", "ยี่สิบเอ็ด", 21),
        ("th", "สามสิบ", 30),
        ("en", "14", 14),
        ("en", "seventeenth", None),
        ("nl", "fourteen", None),
    ],
)
def test_parse_number(language: str, word: str, value: int | None) -> None:
    assert parse_number(word, language) == value
