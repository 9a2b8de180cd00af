"""Dates and deadlines a customer names, as moments relative to the message date.

Everything is matched on the folded text (see :mod:`mailbot.nlp.numerals`),
so "līdz"/"lidz" and "๗"/"7" are the same to the patterns and offsets still
point into the original.

Two shapes of deadline:

* a **duration** ("within 14 days", "binnen veertien dagen", "14 dienu
  laikā", "ภายใน 7 วัน"): the message date plus that much time (working
  days skip Saturdays and Sundays; public holidays are not known here);
* a **marker before a day** ("by Friday", "uiterlijk 1 december", "līdz
  1. decembrim", "ก่อนวันที่ 1 ธันวาคม 2569", "before the end of the week"):
  inclusive markers (by, no later than, uiterlijk, līdz, ภายใน) mean the
  *end* of that day, "before"/"vóór"/"pirms"/"ก่อน" its *start* (but
  "before the end of the week/month" is the end of that day too).

A calendar date without a marker is a plain "date". Days are calendar days
in the message date's own time zone, returned in UTC. Years: four digits
from 2400 up are Buddhist era (CE + 543), as are two-digit years in Thai;
a date without a year is the next such day for a deadline, and the nearest
such day (past or future) for a plain date. A weekday is the next one
after the message date, 1-7 days ahead ("by Friday" written on a Friday
means a week later). "End of the week" is Friday.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import cache
from typing import Final, Literal

from mailbot.nlp.numerals import number_pattern, parse_number
from mailbot.nlp.timewords import MARKERS, MONTHS, RELATIVE, UNITS, WEEKDAYS, WITHIN

MentionKind = Literal["date", "deadline"]

_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th|e)?\.?"
_ISO = r"(?<!\d)(?P<year>\d{4})-(?P<month>[01]\d)-(?P<day>[0-3]\d)(?!\d)"
_NUMERIC = (
    r"(?<![\d.,/-])(?P<day>[0-3]?\d)(?P<sep>[./-])(?P<month>[01]?\d)"
    r"(?:(?P=sep)(?P<year>\d{4}|\d{2}))?(?![\d/-]|[.,]\d)"
)


@dataclass(frozen=True)
class TimeMention:
    """A date or deadline found at ``start:end`` of the text, as a UTC moment."""

    kind: MentionKind
    start: int
    end: int
    at: datetime


@dataclass(frozen=True)
class _Patterns:
    """One language's compiled patterns (built on first use, then cached)."""

    dates: tuple[re.Pattern[str], ...]  # with month names; numeric forms are shared
    marker_ahead: re.Pattern[str]  # a deadline marker, searched forwards
    marker_behind: re.Pattern[str]  # the same, anchored at the end of a window
    target: re.Pattern[str]  # weekday / today / tomorrow / end of week or month
    duration: re.Pattern[str]


_NEUTRAL_DATES: Final = (re.compile(_ISO), re.compile(_NUMERIC))
_DIGIT: Final = re.compile(r"\d")


def _alternation(words: Iterable[str]) -> str:
    return "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))


@cache
def _patterns(language: str) -> _Patterns:
    latin = language != "th"
    edge = r"(?![a-z])" if latin else ""
    # An abbreviation's dot ("1 dec. 2025") belongs to the date; a sentence's full stop does not.
    months = rf"(?P<month>{_alternation(MONTHS[language])}){edge}(?:\.(?=\s*\d))?"
    year = (
        r"(?:,?\s*(?P<year>\d{4})(?!\d))?" if latin else r"(?:\s*(?:พ\.ศ\.\s*)?(?P<year>\d{4}|\d{2})(?!\d))?"
    )
    dates = [rf"(?<![\d.,]){_DAY}\s*(?:of\s+)?{months}{year}"]
    if language == "en":
        dates.append(
            rf"(?<![a-z]){months}\s+(?P<day>[0-3]?\d)(?:st|nd|rd|th)?(?!\d)(?:,?\s*(?P<year>\d{{4}}))?"
        )
    if language == "lv":
        dates.append(rf"(?P<year>\d{{4}})\.?\s*(?:gada|g\.)\s*(?P<day>[0-3]?\d)\.?\s*{months}")
    flags = re.IGNORECASE
    bound = r"(?<![a-z])" if latin else ""
    inclusive, before, filler = MARKERS[language]
    relative = "|".join(f"(?P<{name}>{rx})" for name, rx in RELATIVE[language].items())
    weekdays = _alternation(WEEKDAYS[language])
    if language == "th":
        duration = rf"(?:{WITHIN['th']})\s*(?P<n>{number_pattern('th')})\s*(?P<unit>{UNITS['th']})"
    elif language == "lv":
        duration = rf"(?<![a-z])(?P<unit>{UNITS['lv']})\s+laika(?![a-z])"
    else:
        within, count, unit = WITHIN[language], number_pattern(language), UNITS[language]
        duration = rf"(?<![a-z])(?:{within})\s+(?P<n>{count})\s+(?P<unit>{unit}){edge}"
    marker = rf"{bound}(?:(?P<inclusive>{inclusive})|(?P<before>{before})){edge}\s*{filler}"
    return _Patterns(
        dates=tuple(re.compile(rx, flags) for rx in dates),
        marker_ahead=re.compile(marker, flags),
        marker_behind=re.compile(marker + "$", flags),
        target=re.compile(rf"(?:(?:วัน)?(?P<weekday>{weekdays}){edge}(?:นี้|หน้า)?|(?:{relative}){edge})", flags),
        duration=re.compile(duration, flags),
    )


def find_time_mentions(folded: str, languages: Iterable[str], reference: datetime) -> list[TimeMention]:
    """Dates and deadlines in ``folded`` text, for each of ``languages``' patterns."""
    if reference.tzinfo is None:
        reference = reference.replace(tzinfo=UTC)
    chosen = [(language, _patterns(language)) for language in languages]
    has_digits = _DIGIT.search(folded) is not None  # most mails name no date at all
    found: list[TimeMention] = []
    for language, patterns in chosen:
        found.extend(_durations(folded, language, patterns, reference))
        found.extend(_marked_days(folded, language, patterns, reference))
        if has_digits:
            found.extend(_dates(folded, patterns.dates, [(language, patterns)], reference))
    if has_digits and chosen:
        found.extend(_dates(folded, _NEUTRAL_DATES, chosen, reference))
    return found


# --- durations ------------------------------------------------------------------

_LV_NUMBER_BEFORE = re.compile(r"(?:([a-z]+)\s+)?([a-z]+|\d{1,3})\s+$", re.IGNORECASE)


def _durations(folded: str, language: str, patterns: _Patterns, reference: datetime) -> Iterator[TimeMention]:
    for match in patterns.duration.finditer(folded):
        start = match.start()
        if language == "lv":
            count, start = _latvian_count(folded, start)
        else:
            count = parse_number(match["n"], language)
        if count is None or count == 0:
            continue
        at = _add(reference, match["unit"].lower(), count)
        yield TimeMention("deadline", start, match.end(), at.astimezone(UTC))


def _latvian_count(folded: str, unit_start: int) -> tuple[int | None, int]:
    """The number written before a Latvian unit ("četrpadsmit dienu"), or 1 if none."""
    window_start = max(0, unit_start - 40)
    before = _LV_NUMBER_BEFORE.search(folded, window_start, unit_start)
    if before is None:
        return 1, unit_start
    if before[1] and (two_words := parse_number(f"{before[1]} {before[2]}", "lv")) is not None:
        return two_words, before.start(1)
    if (one_word := parse_number(before[2], "lv")) is not None:
        return one_word, before.start(2)
    return 1, unit_start  # "mēneša laikā", "šī mēneša laikā": within one month


def _add(reference: datetime, unit: str, count: int) -> datetime:
    if unit.startswith(("hour", "uur", "stund", "ชั่วโมง")):
        return reference + timedelta(hours=count)
    if unit.startswith(("week", "weken", "nedel", "สัปดาห์", "อาทิตย์")):
        return reference + timedelta(weeks=count)
    if unit.startswith(("month", "maand", "menes", "เดือน")):
        return _add_months(reference, count)
    if unit.startswith(("business", "working", "werkdag", "darba", "วันทำการ")):
        return _add_working_days(reference, count)
    return reference + timedelta(days=count)


def _add_months(moment: datetime, count: int) -> datetime:
    month_index = moment.month - 1 + count
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, _month_length(year, month)))


def _add_working_days(moment: datetime, count: int) -> datetime:
    while count > 0:
        moment += timedelta(days=1)
        if moment.weekday() < 5:
            count -= 1
    return moment


def _month_length(year: int, month: int) -> int:
    following = date(year + month // 12, month % 12 + 1, 1)
    return (following - timedelta(days=1)).day


# --- days: calendar dates, weekdays, today/tomorrow/end of week ----------------------


def _dates(
    folded: str,
    dates: Iterable[re.Pattern[str]],
    chosen: list[tuple[str, _Patterns]],
    reference: datetime,
) -> Iterator[TimeMention]:
    """Calendar dates; a deadline if any chosen language's marker stands right before.

    The first chosen language (the message's own) reads two-digit years.
    """
    today, zone = reference.date(), _zone(reference)
    for pattern in dates:
        for match in pattern.finditer(folded):
            marker = next(
                (m for _, patterns in chosen if (m := _marker_before(folded, match.start(), patterns))),
                None,
            )
            if marker is None and _is_bare_decimal(match):
                continue  # "12.50", "1.5": a number, unless a deadline marker says otherwise
            day = _calendar_day(match, chosen[0][0], today, deadline=marker is not None)
            if day is None:
                continue
            if marker is None:
                yield TimeMention("date", match.start(), match.end(), _moment(day, zone, end=False))
            else:
                yield TimeMention("deadline", marker[0], match.end(), _moment(day, zone, end=marker[1]))


def _marked_days(
    folded: str, language: str, patterns: _Patterns, reference: datetime
) -> Iterator[TimeMention]:
    """ "by Friday", "uiterlijk morgen", "līdz nedēļas beigām": a marker, then a day it names."""
    today, zone = reference.date(), _zone(reference)
    for marker in patterns.marker_ahead.finditer(folded):
        target = patterns.target.match(folded, marker.end())
        if target is None:  # a bare "by" or "voor" is not a deadline
            continue
        day = _relative_day(target, language, today)
        groups = target.groupdict()
        # "before the end of the week" means by then, like "by the end of the week".
        inclusive = marker["inclusive"] is not None or bool(groups.get("week") or groups.get("month"))
        yield TimeMention("deadline", marker.start(), target.end(), _moment(day, zone, end=inclusive))


def _zone(reference: datetime) -> tzinfo:
    zone = reference.tzinfo
    assert zone is not None, "find_time_mentions makes the reference aware"
    return zone


def _is_bare_decimal(match: re.Match[str]) -> bool:
    groups = match.groupdict()
    return groups.get("sep") in {".", "-"} and groups.get("year") is None


def _marker_before(folded: str, start: int, patterns: _Patterns) -> tuple[int, bool] | None:
    """(marker start, inclusive?) when a deadline marker ends right before ``start``."""
    match = patterns.marker_behind.search(folded, max(0, start - 40), start)
    if match is None:
        return None
    return match.start(), match["inclusive"] is not None


def _calendar_day(match: re.Match[str], language: str, today: date, *, deadline: bool) -> date | None:
    day, month_text = int(match["day"]), match["month"]
    month = int(month_text) if month_text.isdigit() else MONTHS[language].get(month_text.lower())
    if month is None:
        return None
    if month > 12 and day <= 12:  # 11/30/2025, written the American way
        day, month = month, day
    year_text = match["year"]
    try:
        if year_text is None:
            return _guess_year(day, month, today, deadline=deadline)
        return date(_full_year(year_text, language), month, day)
    except ValueError:  # 31 February, month 13...
        return None


def _full_year(text: str, language: str) -> int:
    year = int(text)
    if len(text) == 2:
        year += 2500 if language == "th" else 2000
    return year - 543 if year >= 2400 else year


def _guess_year(day: int, month: int, today: date, *, deadline: bool) -> date:
    candidates = []
    for year in (today.year - 1, today.year, today.year + 1):
        try:
            candidates.append(date(year, month, day))
        except ValueError:  # 29 February
            continue
    if not candidates:
        raise ValueError(f"no year has {day}/{month}")
    if deadline:
        upcoming = [candidate for candidate in candidates if candidate >= today]
        return upcoming[0] if upcoming else candidates[-1]
    return min(candidates, key=lambda candidate: abs((candidate - today).days))


def _relative_day(match: re.Match[str], language: str, today: date) -> date:
    groups = match.groupdict()
    if groups.get("weekday"):
        weekday = WEEKDAYS[language][groups["weekday"].lower()]
        return today + timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)
    if groups.get("today"):
        return today
    if groups.get("tomorrow"):
        return today + timedelta(days=1)
    if groups.get("week"):
        return today + timedelta(days=(4 - today.weekday()) % 7)
    return today.replace(day=_month_length(today.year, today.month))


def _moment(day: date, zone: tzinfo, *, end: bool) -> datetime:
    clock = time(23, 59, 59) if end else time(0, 0)
    return datetime.combine(day, clock, tzinfo=zone).astimezone(UTC)
