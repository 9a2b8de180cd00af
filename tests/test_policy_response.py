"""policies/response.toml: the shipped file, its examples, and every rejection."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from mailbot.errors import ConfigError
from mailbot.model import Channel
from mailbot.policy.response import (
    ClosedDays,
    ResponsePolicy,
    Span,
    TimeBasis,
    load_response_policy,
    parse_span,
)

SHIPPED = Path(__file__).resolve().parent.parent / "policies" / "response.toml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "response.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_policy_is_the_design_default() -> None:
    policy = load_response_policy(SHIPPED)
    assert policy.default.hours == 24
    assert policy.time_basis is TimeBasis.CALENDAR
    assert policy.due_soon_share == 0.75
    assert policy.time_zone == "Europe/Amsterdam"
    assert policy.closed_days.holiday_countries == ("NL",)
    assert {channel: spec.hours for channel, spec in policy.channel.items()} == {
        Channel.EMAIL: 24,
        Channel.LETTER: 24,
    }
    assert policy.business_hours.mon == (Span(9 * 60, 17 * 60),)
    assert policy.business_hours.sun == ()


def test_shipped_examples_are_valid_when_uncommented(tmp_path: Path) -> None:
    """The '#| ' examples must stay valid TOML and valid policy."""
    text = SHIPPED.read_text(encoding="utf-8")
    assert "#| " in text
    uncommented = re.sub(r"(?m)^#\| ?", "", text)
    policy = load_response_policy(write(tmp_path, uncommented))
    assert policy.intent["legal"].hours == 8
    assert policy.intent["legal"].time_basis is TimeBasis.BUSINESS
    assert policy.channel[Channel.LETTER].time_basis is TimeBasis.BUSINESS
    assert policy.mailbox["vip"].intent["complaint"].hours == 4
    assert policy.escalation.mailbox["vip"].due_soon == ("vip-team@example.com",)


def test_every_key_of_the_schema_is_explained_in_the_shipped_file() -> None:
    text = SHIPPED.read_text(encoding="utf-8")
    keys = set(ResponsePolicy.model_fields)
    keys |= {"hours", "holiday_countries", "extra", "due_soon", "breached", "intent", "mailbox"}
    keys |= {"mon", "tue", "wed", "thu", "fri", "sat", "sun"}
    missing = {key for key in keys if not re.search(rf"(?m)^[#| ]*\[?[\w.]*\b{key}\b", text)}
    assert missing == set()


def test_an_empty_file_gives_the_defaults(tmp_path: Path) -> None:
    policy = load_response_policy(write(tmp_path, ""))
    assert policy == ResponsePolicy()
    assert policy.business_hours.fri == (Span(540, 1020),)


def test_a_full_policy_loads(tmp_path: Path) -> None:
    text = """
time_zone = "Asia/Bangkok"
time_basis = "business"
due_soon_share = 0.5
[default]
hours = 16
[channel.letter]
hours = 40
time_basis = "calendar"
[intent.legal]
hours = 4.5
[mailbox.th]
hours = 12
[mailbox.th.intent.refund]
hours = 2
[business_hours]
mon = ["08:30-12:00", "13:00-24:00"]
sat = ["10:00-14:00"]
[closed_days]
holiday_countries = ["TH", "LV", "GB-SCT", "NL"]
extra = [2026-01-02, "2026-01-05"]
[escalation]
due_soon = ["a@example.com"]
breached = ["a@example.com", "b@example.co.th"]
[escalation.mailbox.th]
breached = []
"""
    policy = load_response_policy(write(tmp_path, text))
    assert policy.time_basis is TimeBasis.BUSINESS
    assert policy.channel[Channel.LETTER].time_basis is TimeBasis.CALENDAR
    assert policy.business_hours.mon == (Span(510, 720), Span(780, 1440))
    assert policy.business_hours.tue == (Span(540, 1020),)  # left out: default
    assert policy.business_hours.sat == (Span(600, 840),)
    assert policy.closed_days.extra == (date(2026, 1, 2), date(2026, 1, 5))
    assert policy.mailbox["th"].intent["refund"].hours == 2
    assert policy.escalation.mailbox["th"].breached == ()
    assert policy.escalation.mailbox["th"].due_soon is None


# Each case: TOML text with the offending line marked "# <-", the key the
# error must name, and a fragment of the message.
REJECTED = [
    ('time_zone = "Europe/Nowhere"  # <-', "time_zone", "unknown time zone"),
    ('time_zone = "../etc/passwd"  # <-', "time_zone", "unknown time zone"),
    ('time_zone = ""  # <-', "time_zone", "unknown time zone"),
    ('time_basis = "wall"  # <-', "time_basis", "calendar"),
    ("due_soon_share = 0  # <-", "due_soon_share", "between 0 and 1"),
    ("due_soon_share = 1  # <-", "due_soon_share", "between 0 and 1"),
    ("due_soon_share = 1.5  # <-", "due_soon_share", "between 0 and 1"),
    ("due_soon_share = -0.25  # <-", "due_soon_share", "between 0 and 1"),
    ("target_hours = 24  # <-", "target_hours", "unknown key"),
    ("[default]\nhours = 0  # <-", "default.hours", "greater than 0"),
    ("[default]\nhours = -4  # <-", "default.hours", "greater than 0"),
    ("[default]\nhours = 100000  # <-", "default.hours", "less than or equal"),
    ("[default]  # <-\ntime_basis = 'business'", "default.hours", "required key is missing"),
    ("[channel.fax]  # <-\nhours = 4", "channel.fax", "email"),
    ("[intent.legal]\nhours = 8\nminutes = 5  # <-", "intent.legal.minutes", "unknown key"),
    ("[mailbox.vip]\ntime_basis = 'business'  # <-", "mailbox.vip.time_basis", "needs hours"),
    ("[mailbox.vip.intent.legal]\nhours = 0  # <-", "mailbox.vip.intent.legal.hours", "greater than 0"),
    ('[business_hours]\nmon = ["17:00-09:00"]  # <-', "business_hours.mon", "after opening"),
    ('[business_hours]\ntue = ["09:00-09:00"]  # <-', "business_hours.tue", "after opening"),
    ('[business_hours]\nwed = ["9-17"]  # <-', "business_hours.wed", "HH:MM-HH:MM"),
    ('[business_hours]\nthu = ["09:00-25:00"]  # <-', "business_hours.thu", "between 00:00 and 24:00"),
    ('[business_hours]\nfri = ["09:60-17:00"]  # <-', "business_hours.fri", "between 00:00 and 24:00"),
    ("[business_hours]\nsat = [9]  # <-", "business_hours.sat", "HH:MM-HH:MM"),
    (
        '[business_hours]\nmon = ["09:00-13:00", "12:00-17:00"]  # <-',
        "business_hours.mon",
        "must not overlap",
    ),
    (
        '[business_hours]\nmon = ["13:00-17:00", "09:00-12:00"]  # <-',
        "business_hours.mon",
        "in time order",
    ),
    ("[business_hours]\nholiday = []  # <-", "business_hours.holiday", "unknown key"),
    (
        'time_basis = "business"\n[business_hours]  # <-\n'
        "mon = []\ntue = []\nwed = []\nthu = []\nfri = []\nsat = []\nsun = []",
        "business_hours",
        "no weekday has opening hours",
    ),
    (
        "[intent.legal]\nhours = 8\ntime_basis = 'business'\n[business_hours]  # <-\n"
        "mon = []\ntue = []\nwed = []\nthu = []\nfri = []",
        "business_hours",
        "no weekday has opening hours",
    ),
    ('[closed_days]\nholiday_countries = ["XX"]  # <-', "closed_days.holiday_countries", "'XX'"),
    ('[closed_days]\nholiday_countries = ["nl"]  # <-', "closed_days.holiday_countries", "'nl'"),
    ('[closed_days]\nholiday_countries = ["Netherlands"]  # <-', "closed_days.holiday_countries", "country"),
    ('[closed_days]\nholiday_countries = ["GB-XYZ"]  # <-', "closed_days.holiday_countries", "SCT"),
    ('[closed_days]\nextra = ["2025-13-01"]  # <-', "closed_days.extra", "date"),
    ('[escalation]\ndue_soon = ["not an address"]  # <-', "escalation.due_soon", "not an e-mail address"),
    (
        '[escalation.mailbox.vip]\nbreached = ["lead@localhost"]  # <-',
        "escalation.mailbox.vip.breached",
        "not an e-mail address",
    ),
    ("[escalation.mailbox.vip]\ncc = []  # <-", "escalation.mailbox.vip.cc", "unknown key"),
]


@pytest.mark.parametrize(("text", "key", "fragment"), REJECTED)
def test_bad_policy_is_rejected_with_file_line_and_key(
    tmp_path: Path, text: str, key: str, fragment: str
) -> None:
    path = write(tmp_path, text + "\n")
    with pytest.raises(ConfigError) as caught:
        load_response_policy(path)
    error = caught.value
    expected_line = next(n for n, line in enumerate(text.splitlines(), 1) if "# <-" in line)
    assert error.path == str(path)
    assert error.key is not None and error.key.startswith(key), error
    assert error.line == expected_line, error
    assert fragment in error.reason, error


def test_business_hours_may_all_be_closed_when_nothing_counts_business_time(tmp_path: Path) -> None:
    text = "[business_hours]\nmon = []\ntue = []\nwed = []\nthu = []\nfri = []\n"
    policy = load_response_policy(write(tmp_path, text))
    assert policy.business_hours.is_never_open()


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_response_policy(tmp_path / "nope.toml")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("09:00-17:00", Span(540, 1020)),
        ("9:00-17:30", Span(540, 1050)),
        (" 00:00 - 24:00 ", Span(0, 1440)),
        ("23:59-24:00", Span(1439, 1440)),
    ],
)
def test_parse_span(text: str, expected: Span) -> None:
    assert parse_span(text) == expected


@pytest.mark.parametrize(
    ("codes", "extra", "closed", "open_"),
    [
        (("NL",), (), [date(2025, 4, 26), date(2025, 12, 25), date(2026, 4, 27)], [date(2025, 1, 2)]),
        (("LV",), (), [date(2025, 11, 18), date(2025, 6, 24)], [date(2025, 11, 19)]),
        (("TH",), (), [date(2025, 4, 14), date(2025, 4, 15)], [date(2025, 4, 17)]),
        (("GB",), (), [date(2025, 5, 26), date(2025, 12, 26)], [date(2025, 1, 2)]),
        (("GB-SCT",), (), [date(2025, 1, 2), date(2025, 12, 26)], [date(2025, 5, 27)]),
        ((), (date(2025, 12, 24),), [date(2025, 12, 24)], [date(2025, 12, 25)]),
        (("NL", "LV"), (date(2026, 3, 3),), [date(2025, 4, 26), date(2025, 11, 18), date(2026, 3, 3)], []),
    ],
)
def test_closed_days_expand_holidays_and_extras(
    codes: tuple[str, ...], extra: tuple[date, ...], closed: list[date], open_: list[date]
) -> None:
    dates = ClosedDays(holiday_countries=codes, extra=extra).dates(range(2025, 2027))
    for day in closed:
        assert day in dates
    for day in open_:
        assert day not in dates


def test_closed_days_only_cover_the_years_asked_for() -> None:
    dates = ClosedDays(holiday_countries=("NL",)).dates(range(2025, 2026))
    assert date(2025, 12, 25) in dates
    assert date(2026, 12, 25) not in dates
