"""The SLA report for people: dicts for JSON/CSV and the daily digest in four languages."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest

from mailbot.sla_digest import (
    _PHRASES,
    DIGEST_DAYS,
    LANGUAGES,
    digest_text,
    format_duration,
    format_share,
    report_as_dict,
)
from mailbot.sla_report import DayFigures, GroupBy, GroupFigures, SlaReport

H = timedelta(hours=1)
NOW = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)  # 08:00 in Amsterdam
SINCE = datetime(2026, 11, 9, 23, 0, tzinfo=UTC)  # local midnight of 10 November

TOTAL = GroupFigures(
    key="(all)",
    open_threads=12,
    due_soon=3,
    breached=2,
    clocks=40,
    answered=35,
    within_target=30,
    late=5,
    overdue=2,
    waiting=1,
    closed_unanswered=2,
    median_first_response=3 * H + timedelta(minutes=5),
    p90_first_response=19 * H + timedelta(minutes=40),
)
SUPPORT = GroupFigures(key="support", open_threads=9, breached=1, within_target=20, late=4, overdue=1)
DAYS = tuple(
    DayFigures(
        date(2026, 11, 10) + timedelta(days=i), customer_messages=i, replies=2 * i, decided=4, within_target=3
    )
    for i in range(14)
)


def make(by: GroupBy | None = GroupBy.MAILBOX, days: tuple[DayFigures, ...] = DAYS) -> SlaReport:
    groups = (SUPPORT,) if by else ()
    return SlaReport(NOW, SINCE, "Europe/Amsterdam", by, TOTAL, groups, days)


def test_english_digest() -> None:
    subject, body = digest_text(make())
    assert subject == "SLA digest 2026-11-23: 12 open, 2 breached, 81% within target"  # 30 of 37
    lines = body.splitlines()
    assert lines[0] == "Response policy report for 2026-11-10 to 2026-11-23 (Europe/Amsterdam)."
    assert "Now: 12 open threads, 3 due soon, 2 breached." in lines
    assert "Within target: 30 of 37 (81%)." in lines
    assert "First response: median 3h05m, 90th percentile 19h40m." in lines
    assert "By mailbox:" in lines
    assert "  support: 20/25 within target (80%), median -, 9 open, 1 breached" in lines
    day_lines = [line for line in lines if line.startswith("  2026-")]
    assert len(day_lines) == DIGEST_DAYS
    assert day_lines[-1] == "  2026-11-23: 13 in, 26 replies, 75% within target"


def test_digest_without_groups_or_days_leaves_those_parts_out() -> None:
    _, body = digest_text(make(by=None, days=()))
    assert "By " not in body and "Last days:" not in body


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_language_has_every_phrase_and_renders(language: str) -> None:
    assert set(_PHRASES[language]) == set(_PHRASES["en"])
    subject, body = digest_text(make(), language)
    assert "12" in subject and "81%" in subject
    assert "30" in body and "37" in body and "support" in body
    if language != "en":
        assert body != digest_text(make(), "en")[1]


@pytest.mark.parametrize(
    ("language", "median"), [("nl", "3u05m"), ("lv", "3 h 05 min"), ("th", "3 ชม. 05 นาที")]
)
def test_durations_use_the_language_units(language: str, median: str) -> None:
    _, body = digest_text(make(), language)
    assert median in body


def test_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="no digest text for language 'de'"):
        digest_text(make(), "de")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "-"),
        (timedelta(0), "0h00m"),
        (timedelta(minutes=90), "1h30m"),
        (timedelta(hours=25, minutes=30), "25h30m"),
        (timedelta(seconds=59.6), "0h01m"),
        (timedelta(minutes=59, seconds=40), "1h00m"),
    ],
)
def test_format_duration(value: timedelta | None, expected: str) -> None:
    assert format_duration(value) == expected


@pytest.mark.parametrize(("share", "expected"), [(None, "-"), (0.0, "0%"), (0.8108, "81%"), (1.0, "100%")])
def test_format_share(share: float | None, expected: str) -> None:
    assert format_share(share) == expected


def test_report_as_dict_is_json_with_seconds() -> None:
    data = json.loads(json.dumps(report_as_dict(make())))
    assert data["by"] == "mailbox" and data["time_zone"] == "Europe/Amsterdam"
    assert data["total"]["median_first_response_s"] == 3 * 3600 + 300
    assert data["total"]["decided"] == 37
    assert data["groups"][0]["group"] == "support" and data["groups"][0]["p90_first_response_s"] is None
    assert data["days"][0] == {
        "day": "2026-11-10",
        "customer_messages": 0,
        "replies": 0,
        "decided": 4,
        "within_target": 3,
        "within_target_share": 0.75,
    }
    assert len(data["days"]) == len(DAYS)
