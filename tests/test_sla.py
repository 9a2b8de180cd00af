"""SLA arithmetic: business time, clock rules, due times, states, notices."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailbot.model import Channel
from mailbot.policy.response import ResponsePolicy, TimeBasis
from mailbot.sla import (
    BusinessCalendar,
    CalendarRangeError,
    DueReason,
    DueTime,
    Notice,
    SlaState,
    Target,
    build_calendar,
    compute_due,
    due_at,
    escalation_recipients,
    notice_key,
    notices_to_send,
    sla_state,
    target_for,
)

AMS = ZoneInfo("Europe/Amsterdam")
RIGA = ZoneInfo("Europe/Riga")
BKK = ZoneInfo("Asia/Bangkok")
YEARS = range(2025, 2028)
H = timedelta(hours=1)


def make_policy(**data: object) -> ResponsePolicy:
    return ResponsePolicy.model_validate(data)


def local(zone: ZoneInfo, y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=zone)


def business(hours: float) -> Target:
    return Target(hours, TimeBasis.BUSINESS, "test")


def calendar_time(hours: float) -> Target:
    return Target(hours, TimeBasis.CALENDAR, "test")


# Mon-Fri 09:00-17:00 in Amsterdam with Dutch public holidays.
NL = make_policy(time_basis="business", closed_days={"holiday_countries": ["NL"]})
NL_CAL = build_calendar(NL, YEARS)


# --- business time, examples -------------------------------------------------

NL_BUSINESS_CASES = [
    # received (Amsterdam),            hours, due (Amsterdam)
    (local(AMS, 2025, 11, 24, 9), 8, local(AMS, 2025, 11, 24, 17)),  # closing time counts as open
    (local(AMS, 2025, 11, 24, 9), 24, local(AMS, 2025, 11, 26, 17)),
    (local(AMS, 2025, 11, 24, 10, 30), 1.5, local(AMS, 2025, 11, 24, 12)),
    (local(AMS, 2025, 11, 24, 7), 2, local(AMS, 2025, 11, 24, 11)),  # before opening
    (local(AMS, 2025, 11, 24, 18), 2, local(AMS, 2025, 11, 25, 11)),  # after closing
    (local(AMS, 2025, 11, 28, 16), 2, local(AMS, 2025, 12, 1, 10)),  # over the weekend
    (local(AMS, 2025, 11, 29, 12), 1, local(AMS, 2025, 12, 1, 10)),  # received on Saturday
    (local(AMS, 2025, 12, 24, 16), 4, local(AMS, 2025, 12, 29, 12)),  # Christmas + weekend
    (local(AMS, 2025, 12, 31, 16), 2, local(AMS, 2026, 1, 2, 10)),  # New Year's Day
    (local(AMS, 2025, 4, 17, 16), 2, local(AMS, 2025, 4, 22, 10)),  # Good Friday .. Easter Monday
    (local(AMS, 2026, 4, 24, 16), 2, local(AMS, 2026, 4, 28, 10)),  # King's Day on a Monday
    (local(AMS, 2025, 3, 28, 16), 2, local(AMS, 2025, 3, 31, 10)),  # weekend of the spring DST change
    (local(AMS, 2025, 10, 24, 16), 2, local(AMS, 2025, 10, 27, 10)),  # weekend of the autumn DST change
    (local(AMS, 2025, 11, 24, 9).astimezone(BKK), 8, local(AMS, 2025, 11, 24, 17)),  # input zone irrelevant
]


@pytest.mark.parametrize(("received", "hours", "expected"), NL_BUSINESS_CASES)
def test_business_due_at_examples(received: datetime, hours: float, expected: datetime) -> None:
    due = due_at(received, business(hours), NL_CAL)
    assert due == expected
    assert due.tzinfo is UTC


CALENDAR_CASES = [
    (local(AMS, 2025, 3, 29, 12), 24, local(AMS, 2025, 3, 30, 13)),  # 24 real hours over spring DST
    (local(AMS, 2025, 10, 25, 12), 24, local(AMS, 2025, 10, 26, 11)),  # and over autumn DST
    (local(RIGA, 2025, 3, 29, 12), 24, local(RIGA, 2025, 3, 30, 13)),
    (local(BKK, 2025, 3, 29, 12), 24, local(BKK, 2025, 3, 30, 12)),  # Bangkok has no DST
    (local(AMS, 2025, 12, 24, 16), 24, local(AMS, 2025, 12, 25, 16)),  # holidays do not matter
    (local(AMS, 2025, 11, 29, 12), 0.5, local(AMS, 2025, 11, 29, 12, 30)),
]


@pytest.mark.parametrize(("received", "hours", "expected"), CALENDAR_CASES)
def test_calendar_due_at_examples(received: datetime, hours: float, expected: datetime) -> None:
    assert due_at(received, calendar_time(hours), NL_CAL) == expected


def _every_day(spans: list[str], zone: str) -> ResponsePolicy:
    days = dict.fromkeys(("mon", "tue", "wed", "thu", "fri", "sat", "sun"), spans)
    return make_policy(time_zone=zone, time_basis="business", business_hours=days)


DST_DAY_CASES = [
    # zone, spans, day, working hours that day
    ("Europe/Amsterdam", ["09:00-17:00"], date(2025, 3, 30), 8),
    ("Europe/Amsterdam", ["09:00-17:00"], date(2025, 10, 26), 8),
    ("Europe/Riga", ["09:00-17:00"], date(2025, 3, 30), 8),
    ("Europe/Riga", ["09:00-17:00"], date(2025, 10, 26), 8),
    ("Asia/Bangkok", ["09:00-17:00"], date(2025, 3, 30), 8),
    ("Europe/Amsterdam", ["00:00-24:00"], date(2025, 3, 30), 23),
    ("Europe/Amsterdam", ["00:00-24:00"], date(2025, 10, 26), 25),
    ("Europe/Amsterdam", ["00:00-24:00"], date(2025, 10, 27), 24),
    ("Europe/Riga", ["00:00-24:00"], date(2026, 3, 29), 23),
    ("Europe/Riga", ["00:00-24:00"], date(2026, 10, 25), 25),
    ("Asia/Bangkok", ["00:00-24:00"], date(2025, 10, 26), 24),
    ("Europe/Amsterdam", ["01:00-04:00"], date(2025, 3, 30), 2),  # 02:00-03:00 does not exist
    ("Europe/Amsterdam", ["01:00-04:00"], date(2025, 10, 26), 4),  # 02:00-03:00 happens twice
    ("Europe/Riga", ["02:00-05:00"], date(2025, 3, 30), 2),  # Riga changes at 03:00 local
    # an opening time that does not exist is read an hour later (03:30), one that exists twice
    # is the first of the two (PEP 495 fold=0)
    ("Europe/Amsterdam", ["02:30-05:00"], date(2025, 3, 30), 1.5),
    ("Europe/Amsterdam", ["02:30-05:00"], date(2025, 10, 26), 3.5),
    # both spans start at 03:00 CEST in real time: they overlap, and count once
    ("Europe/Amsterdam", ["02:00-02:45", "03:00-05:00"], date(2025, 3, 30), 2),
    ("Europe/Riga", ["02:00-05:00"], date(2025, 10, 26), 4),
]


@pytest.mark.parametrize(("zone", "spans", "day", "hours"), DST_DAY_CASES)
def test_working_hours_of_a_dst_change_day(zone: str, spans: list[str], day: date, hours: float) -> None:
    calendar = build_calendar(_every_day(spans, zone), YEARS)
    tz = ZoneInfo(zone)
    start = datetime.combine(day, time(0), tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    assert calendar.working_time_between(start, end) == hours * H


@pytest.mark.parametrize(
    ("zone", "received", "expected"),
    [
        (AMS, local(AMS, 2025, 3, 30, 9), local(AMS, 2025, 3, 30, 17)),
        (AMS, local(AMS, 2025, 10, 26, 9), local(AMS, 2025, 10, 26, 17)),
        (RIGA, local(RIGA, 2025, 3, 30, 12), local(RIGA, 2025, 3, 31, 12)),
        (RIGA, local(RIGA, 2025, 10, 26, 16), local(RIGA, 2025, 10, 27, 16)),
    ],
)
def test_eight_working_hours_on_dst_days(zone: ZoneInfo, received: datetime, expected: datetime) -> None:
    calendar = build_calendar(_every_day(["09:00-17:00"], zone.key), YEARS)
    assert due_at(received, business(8), calendar) == expected


@pytest.mark.parametrize(
    ("moment", "is_open"),
    [
        (local(AMS, 2025, 11, 24, 9), True),
        (local(AMS, 2025, 11, 24, 8, 59), False),
        (local(AMS, 2025, 11, 24, 16, 59), True),
        (local(AMS, 2025, 11, 24, 17), False),
        (local(AMS, 2025, 11, 29, 12), False),  # Saturday
        (local(AMS, 2026, 4, 27, 12), False),  # King's Day
        (local(AMS, 2026, 4, 28, 12), True),
    ],
)
def test_is_open(moment: datetime, is_open: bool) -> None:
    assert NL_CAL.is_open(moment) is is_open


def test_holidays_of_the_configured_country_close_the_day() -> None:
    """Latvia closes Mon 17 (a moved day off) and Tue 18 Nov 2025 (Proclamation Day); NL does not."""
    policy = make_policy(time_zone="Europe/Riga", closed_days={"holiday_countries": ["LV"]})
    riga = build_calendar(policy, YEARS)
    assert due_at(local(RIGA, 2025, 11, 14, 16), business(2), riga) == local(RIGA, 2025, 11, 19, 10)
    assert due_at(local(AMS, 2025, 11, 14, 16), business(2), NL_CAL) == local(AMS, 2025, 11, 17, 10)


def test_extra_closed_days_close_the_day() -> None:
    policy = make_policy(closed_days={"extra": ["2025-11-25"]})
    calendar = build_calendar(policy, YEARS)
    assert due_at(local(AMS, 2025, 11, 24, 16), business(2), calendar) == local(AMS, 2025, 11, 26, 10)


def test_day_open_until_midnight_continues_into_next_day_without_a_break() -> None:
    policy = make_policy(business_hours={"mon": ["20:00-24:00"], "tue": ["00:00-02:00"], "wed": []})
    calendar = build_calendar(policy, YEARS)
    assert due_at(local(AMS, 2025, 11, 24, 23), business(2), calendar) == local(AMS, 2025, 11, 25, 1)
    assert due_at(local(AMS, 2025, 11, 24, 20), business(4), calendar) == local(AMS, 2025, 11, 25)


@pytest.mark.parametrize(
    "received",
    [local(AMS, 2024, 6, 3, 10), local(AMS, 2027, 12, 31, 16), datetime(2031, 1, 1, tzinfo=UTC)],
)
def test_outside_the_calendar_years_is_an_error(received: datetime) -> None:
    with pytest.raises(CalendarRangeError):
        due_at(received, business(24), NL_CAL)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        due_at(datetime(2025, 11, 24, 9), business(1), NL_CAL)
    with pytest.raises(ValueError, match="naive"):
        due_at(datetime(2025, 11, 24, 9), calendar_time(1), NL_CAL)


@pytest.mark.parametrize("years", [range(2025, 2025), range(2025, 2030, 2)])
def test_build_calendar_needs_a_plain_year_range(years: range) -> None:
    with pytest.raises(ValueError, match="years"):
        build_calendar(NL, years)


# --- business time, properties -------------------------------------------------

WEEK = {
    "mon": ["09:00-17:00"],
    "tue": ["08:00-12:00", "13:00-18:30"],
    "wed": ["09:00-17:00"],
    "thu": ["09:00-17:00"],
    "fri": ["09:00-15:00"],
    "sat": ["10:00-14:00"],
    # Sunday is the DST change day in Europe; these hours include the change
    # in Amsterdam (02:00-03:00) and in Riga (03:00-04:00).
    "sun": ["00:30-05:30", "20:00-24:00"],
}
PROPERTY_POLICIES = [
    make_policy(
        time_zone=zone,
        time_basis="business",
        business_hours=WEEK,
        closed_days={"holiday_countries": [country], "extra": ["2025-06-03", "2026-03-29"]},
    )
    for zone, country in (("Europe/Amsterdam", "NL"), ("Europe/Riga", "LV"), ("Asia/Bangkok", "TH"))
]
PolicyAndCalendar = tuple[ResponsePolicy, BusinessCalendar]
PROPERTY_CALENDARS: list[PolicyAndCalendar] = [
    (policy, build_calendar(policy, YEARS)) for policy in PROPERTY_POLICIES
]
DST_CHANGES = [datetime(2025, 3, 30, 1, tzinfo=UTC), datetime(2025, 10, 26, 1, tzinfo=UTC)]
DST_CHANGES += [datetime(2026, 3, 29, 1, tzinfo=UTC), datetime(2026, 10, 25, 1, tzinfo=UTC)]

near_dst = st.builds(
    lambda base, seconds: base + timedelta(seconds=seconds),
    st.sampled_from(DST_CHANGES),
    st.integers(-4 * 86400, 2 * 86400),
)
anywhere = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2026, 12, 1), timezones=st.just(UTC)
)
starts = st.one_of(near_dst, anywhere)
target_hours = st.integers(1, 100 * 60).map(lambda minutes: minutes / 60)
calendars = st.sampled_from(PROPERTY_CALENDARS)


def oracle_due(policy: ResponsePolicy, start: datetime, hours: float) -> datetime:
    """Walk day by day through local opening hours; independent of the time line."""
    zone = ZoneInfo(policy.time_zone)
    closed = policy.closed_days.dates(YEARS)
    remaining = timedelta(hours=hours)
    day = start.astimezone(zone).date()
    while True:
        if day not in closed:
            for span in policy.business_hours.for_weekday(day.weekday()):
                opening = datetime.combine(day, time(*divmod(span.start, 60)), tzinfo=zone)
                closing_day = day + timedelta(days=span.end // 1440)
                closing = datetime.combine(closing_day, time(*divmod(span.end % 1440, 60)), tzinfo=zone)
                begin = max(opening.astimezone(UTC), start)
                available = closing.astimezone(UTC) - begin
                if available <= timedelta(0):
                    continue
                if remaining <= available:
                    return begin + remaining
                remaining -= available
        day += timedelta(days=1)


def inside_open_hours(policy: ResponsePolicy, moment: datetime) -> bool:
    """Is ``moment`` (local wall time) within an opening interval, closing included?"""
    zone = ZoneInfo(policy.time_zone)
    closed = policy.closed_days.dates(YEARS)
    wall = moment.astimezone(zone)
    minute = wall.hour * 60 + wall.minute + (wall.second + wall.microsecond / 1e6) / 60
    day = wall.date()
    candidates = [(day, minute), (day - timedelta(days=1), minute + 1440)]
    return any(
        d not in closed and any(s.start <= m <= s.end for s in policy.business_hours.for_weekday(d.weekday()))
        for d, m in candidates
    )


@settings(max_examples=300)
@given(calendars, starts, target_hours)
def test_business_due_matches_a_day_by_day_walk(
    policy_and_calendar: PolicyAndCalendar, start: datetime, hours: float
) -> None:
    policy, calendar = policy_and_calendar
    assert due_at(start, business(hours), calendar) == oracle_due(policy, start, hours)


@settings(max_examples=300)
@given(calendars, starts, target_hours)
def test_business_due_is_never_inside_closed_hours(
    policy_and_calendar: PolicyAndCalendar, start: datetime, hours: float
) -> None:
    policy, calendar = policy_and_calendar
    due = due_at(start, business(hours), calendar)
    assert inside_open_hours(policy, due)
    assert due > start


@settings(max_examples=300)
@given(calendars, starts, starts, target_hours, target_hours)
def test_business_due_is_monotonic(
    policy_and_calendar: PolicyAndCalendar, first: datetime, second: datetime, hours_a: float, hours_b: float
) -> None:
    _, calendar = policy_and_calendar
    early, late = sorted((first, second))
    short, long_ = sorted((hours_a, hours_b))
    assert due_at(early, business(short), calendar) <= due_at(late, business(short), calendar)
    assert due_at(early, business(short), calendar) <= due_at(early, business(long_), calendar)


@given(calendars, starts, target_hours)
def test_working_time_to_the_due_time_is_the_target(
    policy_and_calendar: PolicyAndCalendar, start: datetime, hours: float
) -> None:
    _, calendar = policy_and_calendar
    target = business(hours)
    assert calendar.working_time_between(start, due_at(start, target, calendar)) == target.duration


@given(calendars, st.data())
def test_closed_days_count_no_working_time(
    policy_and_calendar: PolicyAndCalendar, data: st.DataObject
) -> None:
    policy, calendar = policy_and_calendar
    closed = sorted(d for d in calendar.closed_days if date(2025, 1, 1) <= d <= date(2026, 12, 1))
    day = data.draw(st.sampled_from(closed))
    zone = ZoneInfo(policy.time_zone)
    midnight = datetime.combine(day, time(0), tzinfo=zone)
    next_midnight = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    assert calendar.working_time_between(midnight, next_midnight) == timedelta(0)
    during = midnight + (next_midnight - midnight) * data.draw(st.floats(0, 1))
    target = business(data.draw(target_hours))
    assert due_at(during, target, calendar) == due_at(next_midnight, target, calendar)


ALWAYS_OPEN = [
    build_calendar(_every_day(["00:00-24:00"], zone), YEARS)
    for zone in ("Europe/Amsterdam", "Europe/Riga", "Asia/Bangkok")
]


@given(st.sampled_from(ALWAYS_OPEN), starts, target_hours)
def test_business_time_that_never_closes_equals_calendar_time(
    calendar: BusinessCalendar, start: datetime, hours: float
) -> None:
    assert due_at(start, business(hours), calendar) == due_at(start, calendar_time(hours), calendar)


# --- targets --------------------------------------------------------------------

TARGET_POLICY = make_policy(
    default={"hours": 24},
    channel={"email": {"hours": 20}, "letter": {"hours": 72, "time_basis": "business"}},
    intent={"legal": {"hours": 8, "time_basis": "business"}},
    mailbox={
        "vip": {"hours": 6, "intent": {"legal": {"hours": 2}}},
        "partial": {"intent": {"refund": {"hours": 12}}},
    },
)


@pytest.mark.parametrize(
    ("channel", "intent", "mailbox", "hours", "basis", "rule"),
    [
        (None, None, None, 24, "calendar", "default"),
        (Channel.EMAIL, None, None, 20, "calendar", "channel email"),
        (Channel.LETTER, None, None, 72, "business", "channel letter"),
        (Channel.EMAIL, "legal", None, 8, "business", "intent legal"),
        (Channel.EMAIL, "legal", "vip", 2, "calendar", "mailbox vip, intent legal"),
        (Channel.EMAIL, "refund", "vip", 6, "calendar", "mailbox vip"),
        (Channel.EMAIL, None, "vip", 6, "calendar", "mailbox vip"),
        (Channel.LETTER, "refund", "partial", 12, "calendar", "mailbox partial, intent refund"),
        (Channel.LETTER, "billing", "partial", 72, "business", "channel letter"),
        (Channel.EMAIL, "legal", "partial", 8, "business", "intent legal"),
        (Channel.EMAIL, "refund", "elsewhere", 20, "calendar", "channel email"),
    ],
)
def test_target_resolution_order(
    channel: Channel | None, intent: str | None, mailbox: str | None, hours: float, basis: str, rule: str
) -> None:
    assert target_for(TARGET_POLICY, channel, intent, mailbox) == Target(hours, TimeBasis(basis), rule)


def test_target_basis_defaults_to_the_policy_basis() -> None:
    policy = make_policy(time_basis="business", intent={"legal": {"hours": 4}})
    assert target_for(policy, Channel.EMAIL, "legal", None).basis is TimeBasis.BUSINESS
    assert target_for(policy, Channel.EMAIL, None, None).basis is TimeBasis.BUSINESS


T0 = datetime(2025, 11, 24, 8, tzinfo=UTC)


# --- due times ----------------------------------------------------------------------


def test_policy_due_time_and_due_soon_point() -> None:
    due = compute_due(T0, Target(24, TimeBasis.CALENDAR, "default"), NL_CAL, due_soon_share=0.75)
    assert (due.due_at, due.due_soon_at) == (T0 + 24 * H, T0 + 18 * H)
    assert due.reason is DueReason.POLICY
    assert due.policy_due_at == due.due_at
    assert due.why == "policy target: 24 calendar hours (default)"


@pytest.mark.parametrize(
    ("deadlines", "due_after", "reason", "deadline_after"),
    [
        ([T0 + 10 * H], 10, DueReason.CUSTOMER_DEADLINE, 10),
        ([T0 + 30 * H], 24, DueReason.POLICY, 30),
        ([T0 + 24 * H], 24, DueReason.POLICY, 24),
        ([T0 - 3 * H], 24, DueReason.POLICY, None),  # about the past: ignored
        ([T0], 24, DueReason.POLICY, None),
        ([T0 + 20 * H, T0 + 5 * H, T0 - 3 * H], 5, DueReason.CUSTOMER_DEADLINE, 5),
    ],
)
def test_customer_deadline_brings_the_due_time_forward(
    deadlines: list[datetime], due_after: float, reason: DueReason, deadline_after: float | None
) -> None:
    target = Target(24, TimeBasis.CALENDAR, "default")
    due = compute_due(T0, target, NL_CAL, due_soon_share=0.5, customer_deadlines=deadlines)
    assert due.due_at == T0 + due_after * H
    assert due.due_soon_at == T0 + due_after * H / 2
    assert due.reason is reason
    assert due.policy_due_at == T0 + 24 * H
    assert due.customer_deadline == (None if deadline_after is None else T0 + deadline_after * H)
    assert ("customer asked for an answer by" in due.why) is (reason is DueReason.CUSTOMER_DEADLINE)


@pytest.mark.parametrize(
    ("received", "deadline", "due", "due_soon"),
    [
        # deadline on Saturday: the last open moment before it is Friday's closing
        (local(AMS, 2025, 11, 28, 10), local(AMS, 2025, 11, 29, 12), local(AMS, 2025, 11, 28, 17),
         local(AMS, 2025, 11, 28, 15, 15)),
        # deadline inside opening hours is kept as it is
        (local(AMS, 2025, 11, 24, 9), local(AMS, 2025, 11, 24, 13), local(AMS, 2025, 11, 24, 13),
         local(AMS, 2025, 11, 24, 12)),
        # no open time at all before the deadline: due at the deadline, due soon at once
        (local(AMS, 2025, 11, 28, 18), local(AMS, 2025, 11, 29, 12), local(AMS, 2025, 11, 29, 12),
         local(AMS, 2025, 11, 28, 18)),
    ],
)  # fmt: skip
def test_customer_deadline_in_business_time(
    received: datetime, deadline: datetime, due: datetime, due_soon: datetime
) -> None:
    result = compute_due(received, business(24), NL_CAL, due_soon_share=0.75, customer_deadlines=[deadline])
    assert (result.due_at, result.due_soon_at) == (due, due_soon)
    assert result.reason is DueReason.CUSTOMER_DEADLINE
    assert f"customer asked for an answer by {deadline:%Y-%m-%d %H:%M} CET" in result.why
    assert ("last business hour before it" in result.why) is (due != deadline)


def test_business_due_soon_is_a_share_of_working_time() -> None:
    due = compute_due(local(AMS, 2025, 11, 24, 9), business(24), NL_CAL, due_soon_share=0.75)
    assert due.due_at == local(AMS, 2025, 11, 26, 17)
    assert due.due_soon_at == local(AMS, 2025, 11, 26, 11)  # 18 working hours in, not 75% of 56 h


# --- states --------------------------------------------------------------------------

CALENDAR_DUE = compute_due(T0, Target(24, TimeBasis.CALENDAR, "default"), NL_CAL, due_soon_share=0.75)


@pytest.mark.parametrize(
    ("after", "state", "used"),
    [
        (-H, SlaState.OK, 0.0),  # clock skew: now before the start
        (timedelta(0), SlaState.OK, 0.0),
        (18 * H - timedelta(microseconds=1), SlaState.OK, None),
        (18 * H, SlaState.DUE_SOON, 0.75),
        (24 * H, SlaState.DUE_SOON, 1.0),  # answered exactly at the due time is on time
        (24 * H + timedelta(microseconds=1), SlaState.BREACHED, None),
        (30 * H, SlaState.BREACHED, 1.25),
    ],
)
def test_calendar_states(after: timedelta, state: SlaState, used: float | None) -> None:
    status = sla_state(T0 + after, CALENDAR_DUE, NL_CAL)
    assert status.state is state
    assert status.time_left == 24 * H - after
    assert status.working_left == status.time_left
    if used is not None:
        assert status.used_share == pytest.approx(used)


BUSINESS_DUE = compute_due(local(AMS, 2025, 11, 24, 9), business(24), NL_CAL, due_soon_share=0.75)


@pytest.mark.parametrize(
    ("now", "state", "working_left", "time_left", "used"),
    [
        (local(AMS, 2025, 11, 24, 20), SlaState.OK, 16 * H, 45 * H, 8 / 24),
        (local(AMS, 2025, 11, 26, 10, 59), SlaState.OK, 6 * H + timedelta(minutes=1), None, None),
        (local(AMS, 2025, 11, 26, 11), SlaState.DUE_SOON, 6 * H, 6 * H, 0.75),
        (local(AMS, 2025, 11, 27, 10), SlaState.BREACHED, -1 * H, -17 * H, 25 / 24),
        (datetime(2035, 1, 1, tzinfo=UTC), SlaState.BREACHED, None, None, None),  # far past the calendar
    ],
)
def test_business_states(
    now: datetime,
    state: SlaState,
    working_left: timedelta | None,
    time_left: timedelta | None,
    used: float | None,
) -> None:
    status = sla_state(now, BUSINESS_DUE, NL_CAL)
    assert status.state is state
    if working_left is not None:
        assert status.working_left == working_left
    if time_left is not None:
        assert status.time_left == time_left
    if used is not None:
        assert status.used_share == pytest.approx(used)


# --- notices -----------------------------------------------------------------------------


def test_notice_key_names_thread_clock_start_and_level() -> None:
    key = notice_key(7, local(AMS, 2025, 11, 24, 9), SlaState.DUE_SOON)
    assert key == "sla:7:2025-11-24T08:00:00+00:00:due_soon"
    assert key == notice_key(7, T0, SlaState.DUE_SOON)  # same instant, other zone
    assert key != notice_key(7, T0 + H, SlaState.DUE_SOON)
    assert key != notice_key(8, T0, SlaState.DUE_SOON)


DS, BR = SlaState.DUE_SOON, SlaState.BREACHED


@pytest.mark.parametrize(
    ("sent_levels", "state", "expected"),
    [
        ([], SlaState.OK, []),
        ([], DS, [DS]),
        ([DS], DS, []),
        ([], BR, [BR]),  # found already breached: no stale "due soon" first
        ([DS], BR, [BR]),
        ([DS, BR], BR, []),
        ([BR], DS, []),  # due time moved later after the breach notice
        ([DS, BR], SlaState.OK, []),
    ],
)
def test_notices_to_send(sent_levels: list[SlaState], state: SlaState, expected: list[SlaState]) -> None:
    sent = {notice_key(7, T0, level) for level in sent_levels}
    notices = notices_to_send(sent, thread_id=7, started_at=T0, state=state)
    assert notices == [Notice(notice_key(7, T0, level), 7, T0, level) for level in expected]


def _daemon(ticks: list[datetime], due: DueTime, persisted: set[str]) -> list[SlaState]:
    """What a scheduler loop does each tick, with the store's set of sent keys."""
    announced: list[SlaState] = []
    for now in ticks:
        status = sla_state(now, due, NL_CAL)
        for notice in notices_to_send(persisted, thread_id=7, started_at=due.started_at, state=status.state):
            announced.append(notice.level)
            persisted.add(notice.key)
    return announced


def test_each_transition_is_notified_once_even_across_restarts() -> None:
    ticks = [T0 + timedelta(minutes=10 * n) for n in range(6 * 40)]
    persisted: set[str] = set()
    assert _daemon(ticks[:120], CALENDAR_DUE, persisted) == [DS]
    assert _daemon(ticks[:120], CALENDAR_DUE, persisted) == []  # restarted daemon, same store
    assert _daemon(ticks, CALENDAR_DUE, persisted) == [BR]
    assert _daemon(ticks, CALENDAR_DUE, persisted) == []


def test_a_restarted_clock_is_notified_again() -> None:
    persisted: set[str] = set()
    ticks = [T0 + timedelta(hours=n) for n in range(40)]
    assert _daemon(ticks, CALENDAR_DUE, persisted) == [DS, BR]
    restarted = compute_due(T0 + 50 * H, calendar_time(24), NL_CAL, due_soon_share=0.75)
    later = [T0 + timedelta(hours=50 + n) for n in range(40)]
    assert _daemon(later, restarted, persisted) == [DS, BR]


# --- escalation ---------------------------------------------------------------------------

ESCALATION_POLICY = make_policy(
    escalation={
        "due_soon": ["lead@example.com"],
        "breached": ["lead@example.com", "head@example.com"],
        "mailbox": {"vip": {"due_soon": ["vip@example.com"]}, "quiet": {"due_soon": [], "breached": []}},
    }
)


@pytest.mark.parametrize(
    ("mailbox", "level", "expected"),
    [
        (None, DS, ("lead@example.com",)),
        ("support", BR, ("lead@example.com", "head@example.com")),
        ("vip", DS, ("vip@example.com",)),
        ("vip", BR, ("lead@example.com", "head@example.com")),  # level left out: default list
        ("quiet", DS, ()),
        ("quiet", BR, ()),
        ("vip", SlaState.OK, ()),
    ],
)
def test_escalation_recipients(mailbox: str | None, level: SlaState, expected: tuple[str, ...]) -> None:
    assert escalation_recipients(ESCALATION_POLICY, mailbox, level) == expected


def test_calendar_is_built_from_the_policy_once_and_reports_its_range() -> None:
    calendar = build_calendar(NL, range(2026, 2027))
    assert isinstance(calendar, BusinessCalendar)
    assert (calendar.first_day, calendar.last_day) == (date(2026, 1, 1), date(2026, 12, 31))
    assert date(2026, 4, 27) in calendar.closed_days
    assert calendar.covers(local(AMS, 2026, 6, 1)) and not calendar.covers(local(AMS, 2027, 1, 1, 0, 1))
