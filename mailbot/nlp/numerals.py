"""Numbers as customers write them: digits, Thai digits, and words (0-99).

Entity patterns are matched against a *folded* copy of the text: Latin
letters lose their diacritics (Latvian customers often type "lidz" for
"līdz", Dutch ones "voor" for "vóór") and Thai digits ๐-๙ become 0-9. The
fold maps one character to one character, so every offset found in the
folded copy is also an offset into the customer's original text.

Number words cover 0-99 in all four languages ("veertien", "četrpadsmit",
"สิบสี่", "twenty-one"), folded the same way. Latvian numbers 1-9 decline
("divas nedēļas", "piecu dienu laikā"), so each stem takes its case
endings.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from typing import Final


def _fold_char(ch: str) -> str:
    if "\u0e50" <= ch <= "\u0e59":  # Thai digits
        return chr(ord(ch) - 0x0E50 + ord("0"))
    if ch.isascii() or not ch.isalpha():
        return ch
    base = unicodedata.normalize("NFD", ch)[0]
    return base if base.isascii() else ch


#: Latin-1 Supplement and Latin Extended-A plus Thai digits; enough for en/nl/lv
#: and the neighbours that write to us. Anything else stays as it is.
_FOLD: Final = str.maketrans(
    {chr(c): _fold_char(chr(c)) for c in [*range(0x00C0, 0x0180), *range(0x0E50, 0x0E5A)]}
)


def fold(text: str) -> str:
    """``text`` without Latin diacritics and with ASCII digits, same length."""
    return text.translate(_FOLD)


_EN_UNITS: Final = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
_EN_TEENS: Final = [
    "ten", "eleven", "twelve", "thirteen", "fourteen",
    "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
]  # fmt: skip
_EN_TENS: Final = {
    2: "twenty",
    3: "thirty",
    4: "forty",
    5: "fifty",
    6: "sixty",
    7: "seventy",
    8: "eighty",
    9: "ninety",
}

_NL_UNITS: Final = ["nul", "een", "twee", "drie", "vier", "vijf", "zes", "zeven", "acht", "negen"]
_NL_TEENS: Final = [
    "tien", "elf", "twaalf", "dertien", "veertien",
    "vijftien", "zestien", "zeventien", "achttien", "negentien",
]  # fmt: skip
_NL_TENS: Final = {
    2: "twintig",
    3: "dertig",
    4: "veertig",
    5: "vijftig",
    6: "zestig",
    7: "zeventig",
    8: "tachtig",
    9: "negentig",
}

#: Latvian stems (folded) of 1-9; "tris" has its own forms.
_LV_STEMS: Final = {1: "vien", 2: "div", 4: "cetr", 5: "piec", 6: "ses", 7: "septin", 8: "aston", 9: "devin"}
_LV_ENDINGS: Final = ("s", "i", "a", "u", "as", "am", "ai", "iem", "os", "ie")
_LV_THREE: Final = ("tris", "triju", "trim", "trijam", "trijos")

_TH_UNITS: Final = ["", "หนึ่ง", "สอง", "สาม", "สี่", "ห้า", "หก", "เจ็ด", "แปด", "เก้า"]


def _english() -> dict[str, int]:
    words = {word: n for n, word in enumerate(_EN_UNITS)}
    words.update({word: 10 + n for n, word in enumerate(_EN_TEENS)})
    for tens, word in _EN_TENS.items():
        words[word] = tens * 10
        for unit in range(1, 10):
            words[f"{word}-{_EN_UNITS[unit]}"] = tens * 10 + unit
            words[f"{word} {_EN_UNITS[unit]}"] = tens * 10 + unit
    words.update({"a": 1, "an": 1, "a couple of": 2, "a few": 3})
    return words


def _dutch() -> dict[str, int]:
    words = {word: n for n, word in enumerate(_NL_UNITS)}
    words.update({word: 10 + n for n, word in enumerate(_NL_TEENS)})
    for tens, word in _NL_TENS.items():
        words[word] = tens * 10
        for unit in range(1, 10):
            # "eenentwintig", "tweeëntwintig" (folded: "tweeentwintig")
            words[f"{_NL_UNITS[unit]}en{word}"] = tens * 10 + unit
    return words


def _latvian() -> dict[str, int]:
    units: dict[int, list[str]] = {3: list(_LV_THREE)}
    for n, stem in _LV_STEMS.items():
        units[n] = [stem + ending for ending in _LV_ENDINGS]
    words = {form: n for n, forms in units.items() for form in forms}
    words["desmit"] = 10
    stems = {**_LV_STEMS, 3: "tris"}
    for n, stem in stems.items():
        words[f"{stem}padsmit"] = 10 + n
        if n >= 2:
            words[f"{stem}desmit"] = n * 10
            for unit, forms in units.items():
                for form in forms:
                    words[f"{stem}desmit {form}"] = n * 10 + unit
    return words


def _thai() -> dict[str, int]:
    words = {word: n for n, word in enumerate(_TH_UNITS) if word}
    for tens in range(1, 10):
        prefix = {1: "", 2: "ยี่"}.get(tens, _TH_UNITS[tens])
        words[f"{prefix}สิบ"] = tens * 10
        words[f"{prefix}สิบเอ็ด"] = tens * 10 + 1
        for unit in range(2, 10):
            words[f"{prefix}สิบ{_TH_UNITS[unit]}"] = tens * 10 + unit
    return words


_WORDS: Final[dict[str, dict[str, int]]] = {
    "en": _english(),
    "nl": _dutch(),
    "lv": _latvian(),
    "th": _thai(),
}


@cache
def number_pattern(language: str) -> str:
    """Regex source matching digits or a number word of ``language``, longest first."""
    words = sorted(_WORDS[language], key=len, reverse=True)
    alternatives = "|".join(re.escape(word) for word in words)
    if language == "th":
        return rf"(?:\d{{1,3}}|{alternatives})"
    return rf"(?:\d{{1,3}}|\b(?:{alternatives})\b)"


def parse_number(token: str, language: str) -> int | None:
    """The value of a (folded) digit string or number word, or None."""
    cleaned = " ".join(token.lower().split())
    if cleaned.isdigit():
        return int(cleaned)
    return _WORDS[language].get(cleaned)
