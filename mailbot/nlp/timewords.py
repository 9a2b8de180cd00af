"""Words for time in English, Dutch, Latvian and Thai, folded (no diacritics).

The vocabulary :mod:`mailbot.nlp.dates` matches: month names and their
abbreviations, weekdays, relative days, deadline markers and duration
units. Latvian nouns decline, so months and weekdays come with their case
endings ("decembris", "decembrim", "decembrī" -> "decembr" + ending).
Thai entries keep their vowel and tone marks; folding leaves them alone.
"""

from __future__ import annotations

from typing import Final

#: Latvian month names decline; folded stems by declension ("decembris" ->
#: "decembra", "decembrim", "decembrī"; "marts" -> "marta", "martam", "martā").
_LV_MONTH_STEMS_IS: Final = {
    "janvar": 1, "februar": 2, "april": 4, "septembr": 9, "oktobr": 10, "novembr": 11, "decembr": 12,
}  # fmt: skip
_LV_MONTH_STEMS_S: Final = {"mart": 3, "maij": 5, "junij": 6, "julij": 7, "august": 8}
_LV_IS_ENDINGS: Final = ("is", "a", "im", "i")
_LV_S_ENDINGS: Final = ("s", "a", "am", "u")

MONTHS: Final[dict[str, dict[str, int]]] = {
    "en": {
        "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4,
        "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9,
        "sept": 9, "sep": 9, "october": 10, "oct": 10, "november": 11, "nov": 11, "december": 12, "dec": 12,
    },
    "nl": {
        "januari": 1, "jan": 1, "februari": 2, "feb": 2, "maart": 3, "mrt": 3, "april": 4, "apr": 4,
        "mei": 5, "juni": 6, "jun": 6, "juli": 7, "jul": 7, "augustus": 8, "aug": 8, "september": 9,
        "sept": 9, "sep": 9, "oktober": 10, "okt": 10, "november": 11, "nov": 11, "december": 12, "dec": 12,
    },
    "lv": {
        **{stem + ending: month for stem, month in _LV_MONTH_STEMS_IS.items() for ending in _LV_IS_ENDINGS},
        **{stem + ending: month for stem, month in _LV_MONTH_STEMS_S.items() for ending in _LV_S_ENDINGS},
        "janv": 1, "febr": 2, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sept": 9, "okt": 10, "nov": 11,
        "dec": 12,
    },
    "th": {
        "มกราคม": 1, "ม.ค.": 1, "กุมภาพันธ์": 2, "ก.พ.": 2, "มีนาคม": 3, "มี.ค.": 3, "เมษายน": 4,
        "เม.ย.": 4, "พฤษภาคม": 5, "พ.ค.": 5, "มิถุนายน": 6, "มิ.ย.": 6, "กรกฎาคม": 7, "ก.ค.": 7,
        "สิงหาคม": 8, "ส.ค.": 8, "กันยายน": 9, "ก.ย.": 9, "ตุลาคม": 10, "ต.ค.": 10, "พฤศจิกายน": 11,
        "พ.ย.": 11, "ธันวาคม": 12, "ธ.ค.": 12,
    },
}  # fmt: skip

WEEKDAYS: Final[dict[str, dict[str, int]]] = {
    "en": {"monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5, "sunday": 6},
    "nl": {
        "maandag": 0,
        "dinsdag": 1,
        "woensdag": 2,
        "donderdag": 3,
        "vrijdag": 4,
        "zaterdag": 5,
        "zondag": 6,
    },
    "lv": {
        f"{stem}{ending}": day
        for day, stem in enumerate(
            ["pirmdien", "otrdien", "tresdien", "ceturtdien", "piektdien", "sestdien", "svetdien"]
        )
        for ending in ("ai", "as", "a", "u", "")
    },
    "th": {
        "จันทร์": 0,
        "อังคาร": 1,
        "พุธ": 2,
        "พฤหัสบดี": 3,
        "พฤหัส": 3,
        "ศุกร์": 4,
        "เสาร์": 5,
        "วันอาทิตย์": 6,
    },
}

#: Relative days: today, tomorrow, end of week (Friday), end of month.
RELATIVE: Final[dict[str, dict[str, str]]] = {
    "en": {
        "today": r"today|(?:the\s+)?end\s+of\s+(?:the\s+)?(?:business\s+)?day|eod|close\s+of\s+business",
        "tomorrow": r"tomorrow",
        "week": r"(?:the\s+)?end\s+of\s+(?:the\s+|this\s+)?week",
        "month": r"(?:the\s+)?end\s+of\s+(?:the\s+|this\s+)?month",
    },
    "nl": {
        "today": r"vandaag|vanavond",
        "tomorrow": r"morgen(?:ochtend|middag|avond)?",
        "week": r"(?:het\s+)?einde?\s+van\s+(?:de|deze)\s+week",
        "month": r"(?:het\s+)?einde?\s+van\s+(?:de|deze)\s+maand",
    },
    "lv": {
        "today": r"sodien(?:ai|as)?",
        "tomorrow": r"ritdien(?:ai|as|a)|rit",
        "week": r"(?:sis\s+)?nedelas\s+beigam",
        "month": r"(?:sis\s+)?menesa\s+beigam",
    },
    "th": {
        "today": r"วันนี้",
        "tomorrow": r"พรุ่งนี้",
        "week": r"สิ้นสัปดาห์(?:นี้)?|สัปดาห์นี้|อาทิตย์นี้",
        "month": r"สิ้นเดือน(?:นี้)?|เดือนนี้",
    },
}

#: Deadline markers: (inclusive, before, words that may stand between marker and day).
#: "until"/"tot" are left out on purpose: customers use them for how long
#: something of ours is valid ("the code is valid until Sunday"), not for
#: when they want an answer. Latvian "līdz" serves both; we keep it.
MARKERS: Final[dict[str, tuple[str, str, str]]] = {
    "en": (
        r"(?:no|not)\s+later\s+than|on\s+or\s+before|(?:at\s+the\s+)?latest\s+by|by",
        r"before|prior\s+to",
        r"(?:on\s+|the\s+|this\s+|next\s+|coming\s+)*",
    ),
    "nl": (
        r"uiterlijk(?:\s+op)?|niet\s+later\s+dan|ten\s+laatste(?:\s+op)?",
        r"voor",
        r"(?:aanstaande\s+|a\.s\.\s+|komende\s+|volgende\s+|deze\s+|op\s+)*",
    ),
    "lv": (r"lidz|ne\s+velak\s+ka", r"pirms", r"(?:sis\s+|sai\s+|nakamajai\s+|nakamas\s+)*"),
    "th": (r"ภายใน|ไม่เกิน|ไม่เกินกว่า", r"ก่อน", r"(?:วันที่\s*)?"),
}

#: Durations: marker, units. Latvian puts the number before "... laikā" instead.
UNITS: Final[dict[str, str]] = {
    "en": r"(?:business|working)\s+days?|days?|weeks?|hours?|months?",
    "nl": r"werkdag(?:en)?|dag(?:en)?|weken|week|uur|maanden|maand",
    "lv": r"darba\s+dien(?:u|am|as)|dien(?:u|am|as)|nedel(?:u|am|as)|stund(?:u|am|as)|menes(?:a|u|iem)",
    "th": r"วันทำการ|วัน|สัปดาห์|อาทิตย์|เดือน|ชั่วโมง",
}
WITHIN: Final[dict[str, str]] = {
    "en": r"within(?:\s+the\s+next)?|in\s+the\s+(?:next|coming)",
    "nl": r"binnen(?:\s+de)?",
    "th": r"ภายใน|ไม่เกิน",
}
