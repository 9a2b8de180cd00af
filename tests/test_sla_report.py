"""SLA report figures from hand-made thread histories (pure, no store)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailbot.lifecycle import EventKind, ThreadEvent, fold_events
from mailbot.model import Channel
from mailbot.policy.response import ResponsePolicy
from mailbot.sla import build_calendar
from mailbot.sla_report import (
    ClockOutcome,
    GroupBy,
    Outcome,
    SlaReport,
    build_report,
    clock_outcomes,
    percentile,
    policy_due,
)
from mailbot.sla_report_input import (
    NO_VALUE,
    UNANSWERED,
    HistoryEvent,
    OpenThread,
    SendRecord,
    ThreadHistory,
)

AMS = ZoneInfo("Europe/Amsterdam")
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday, 10:00 in Amsterdam
H = timedelta(hours=1)
POLICY = ResponsePolicy.model_validate({"intent": {"legal": {"hours": 8}}})  # 24 h calendar by default
DUE = policy_due(POLICY, build_calendar(POLICY, range(2025, 2029)))
LATER = T0 + 1000 * H  # long after every clock below


def at(hours: float) -> datetime:
    return T0 + hours * H


def customer(hours: float, **labels: object) -> HistoryEvent:
    return HistoryEvent(at(hours), EventKind.CUSTOMER, **labels)  # type: ignore[arg-type]


def reply(hours: float, message_id: int | None = None) -> HistoryEvent:
    return HistoryEvent(at(hours), EventKind.REPLY, message_id=message_id)


def auto(hours: float) -> HistoryEvent:
    return HistoryEvent(at(hours), EventKind.AUTOMATIC)


def closed(hours: float) -> HistoryEvent:
    return HistoryEvent(at(hours), EventKind.CLOSED)


def thread(
    thread_id: int,
    *events: HistoryEvent,
    mailbox: str = "support",
    intent: str | None = None,
    language: str | None = None,
    sends: tuple[SendRecord, ...] = (),
) -> ThreadHistory:
    return ThreadHistory(thread_id, mailbox, Channel.EMAIL, intent, language, events, sends)


def summary(clocks: list[ClockOutcome]) -> list[tuple[float, float | None, Outcome]]:
    return [
        (
            (c.started_at - T0) / H,
            None if c.first_reply_at is None else (c.first_reply_at - T0) / H,
            c.outcome,
        )
        for c in clocks
    ]


W, L, OVER, WAIT, C = Outcome.WITHIN_TARGET, Outcome.LATE, Outcome.OVERDUE, Outcome.WAITING, Outcome.CLOSED


@pytest.mark.parametrize(
    ("events", "now", "expected"),
    [
        ([customer(0), reply(2)], LATER, [(0, 2, W)]),
        ([customer(0), customer(1), reply(30)], LATER, [(0, 30, L)]),  # oldest unanswered message counts
        ([reply(0), customer(1), reply(3)], LATER, [(1, 3, W)]),  # a reply before any customer message
        ([customer(0), closed(5)], LATER, [(0, None, C)]),
        ([customer(0)], at(10), [(0, None, WAIT)]),
        ([customer(0)], at(24), [(0, None, WAIT)]),  # due, not yet breached
        ([customer(0)], at(24.01), [(0, None, OVER)]),
        ([customer(0), reply(24)], LATER, [(0, 24, W)]),  # exactly at the due time is within
        ([customer(0), reply(24 + 1 / 3600)], LATER, [(0, 24 + 1 / 3600, L)]),
        ([customer(0), reply(2), customer(5), reply(40)], LATER, [(0, 2, W), (5, 40, L)]),
        ([reply(0), customer(0)], LATER, [(0, 0, W)]),  # same instant: the reply answers it
        ([auto(0), reply(1)], LATER, []),  # auto-replies start no clock
        ([customer(0), auto(1), reply(3)], LATER, [(0, 3, W)]),
        ([customer(0), reply(1), reply(2), closed(3)], LATER, [(0, 1, W)]),  # only the first reply
        ([customer(0), closed(1), reply(2)], LATER, [(0, None, C)]),
        ([], LATER, []),
    ],
)
def test_clocks_of_one_thread(
    events: list[HistoryEvent], now: datetime, expected: list[tuple[float, float | None, Outcome]]
) -> None:
    got = summary(clock_outcomes(thread(1, *reversed(events)), DUE, now))  # input order must not matter
    assert [(round(s, 6), None if r is None else round(r, 6), o) for s, r, o in got] == [
        (round(s, 6), None if r is None else round(r, 6), o) for s, r, o in expected
    ]


_KINDS = st.sampled_from(list(EventKind))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 40), _KINDS), max_size=12))
def test_the_running_clock_is_the_lifecycle_clock(raw: list[tuple[int, EventKind]]) -> None:
    """The report's replay and the lifecycle fold agree on the clock that is running now."""
    events = [HistoryEvent(at(h), kind) for h, kind in raw]
    clocks = clock_outcomes(thread(1, *events), DUE, at(41))
    running = [c.started_at for c in clocks if c.outcome in (Outcome.WAITING, Outcome.OVERDUE)]
    life = fold_events([ThreadEvent(e.at, e.kind) for e in events])
    assert running == ([life.clock_started_at] if life.clock_started_at else [])


def test_due_time_of_a_past_clock_uses_that_clock_intent_not_the_thread_now() -> None:
    history = thread(
        1,
        customer(0, intent="legal"),
        reply(10),  # 10 h: late for legal (8 h), in time for the 24 h default
        customer(20, intent="billing"),
        reply(30),  # 10 h again: in time for billing
        intent="billing",  # what the thread row says today
    )
    clocks = clock_outcomes(history, DUE, LATER)
    assert [(c.intent, c.due_at, c.outcome) for c in clocks] == [
        ("legal", at(8), L),
        ("billing", at(44), W),
    ]


def test_a_later_message_in_the_same_clock_relabels_it() -> None:
    history = thread(1, customer(0, intent="billing", language="nl"), customer(1, intent="legal"), reply(9))
    (clock,) = clock_outcomes(history, DUE, LATER)
    assert (clock.intent, clock.language, clock.due_at, clock.outcome) == ("legal", "nl", at(8), L)


def test_customer_deadlines_count_only_inside_their_clock() -> None:
    history = thread(
        1,
        customer(0, deadline=at(3)),  # "answer within three hours"
        reply(4),
        customer(10),
        reply(20),
    )
    clocks = clock_outcomes(history, DUE, LATER)
    assert [(c.due_at, c.outcome) for c in clocks] == [(at(3), L), (at(34), W)]


def test_labels_fall_back_to_the_thread_and_then_to_none() -> None:
    with_thread = clock_outcomes(thread(1, customer(0), reply(1), intent="refund", language="lv"), DUE, LATER)
    bare = clock_outcomes(thread(2, customer(0), reply(1)), DUE, LATER)
    assert (with_thread[0].intent, with_thread[0].language) == ("refund", "lv")
    assert (bare[0].intent, bare[0].language) == (NO_VALUE, NO_VALUE)


@pytest.mark.parametrize(
    ("hours", "share", "expected"),
    [
        ([1, 2, 3, 4], 0.5, 2.5),
        ([1, 2, 3, 4], 0.9, 3.7),
        ([4, 1, 3, 2], 0.9, 3.7),  # order of input does not matter
        ([5], 0.5, 5),
        ([5], 0.9, 5),
        ([1, 10], 0.5, 5.5),
        ([1, 10], 0.9, 9.1),
        ([1, 2, 3], 0.5, 2),
        ([0, 0, 0, 100], 0.9, 70),
        ([], 0.5, None),
    ],
)
def test_percentile(hours: list[float], share: float, expected: float | None) -> None:
    got = percentile([h * H for h in hours], share)
    assert (None if got is None else round(got / H, 9)) == expected


# --- whole reports --------------------------------------------------------------

SENDS = (SendRecord(at(2), "ann", message_id=102),)
HISTORIES = [
    # support: answered in 2 h (ann), 30 h (late, no audit), closed without reply
    thread(1, customer(0, intent="refund", language="en"), reply(2, 102), sends=SENDS),
    thread(2, customer(1, intent="refund", language="nl"), reply(31, 202)),
    thread(3, customer(2, intent="other", language="en"), closed(3)),
    # vip: answered in 6 h (bob, loose draft send), unanswered and overdue
    thread(
        4,
        customer(3, intent="legal", language="lv"),
        reply(9, 402),
        mailbox="vip",
        sends=(SendRecord(at(8.99), "bob"),),
    ),
    thread(5, customer(4, intent="other", language="th"), mailbox="vip"),
]
OPEN = [
    OpenThread(5, "vip", "other", "th", due_at=at(28), due_soon_at=at(22)),
    OpenThread(6, "support", None, None, due_at=at(70), due_soon_at=at(55)),
    OpenThread(7, "support", "refund", "nl", due_at=at(60), due_soon_at=at(40)),
]
NOW = at(50)


def report(by: GroupBy | None = None, since: datetime = T0, now: datetime = NOW) -> SlaReport:
    return build_report(HISTORIES, OPEN, policy=POLICY, now=now, since=since, by=by)


def test_totals() -> None:
    total = report().total
    assert (total.open_threads, total.due_soon, total.breached) == (3, 1, 1)  # thread 7 due soon, 5 breached
    assert (total.clocks, total.answered, total.within_target, total.late, total.overdue) == (5, 3, 2, 1, 1)
    assert (total.waiting, total.closed_unanswered, total.decided) == (0, 1, 4)
    assert total.within_target_share == 0.5
    assert total.median_first_response == 6 * H  # of 2, 6, 30 hours
    assert total.p90_first_response == percentile([2 * H, 6 * H, 30 * H], 0.9) == 25.2 * H


@pytest.mark.parametrize(
    ("by", "expected"),
    [
        (
            GroupBy.MAILBOX,
            # key: open, due soon, breached, clocks, within, decided, median h
            {"support": (2, 1, 0, 3, 1, 2, 16.0), "vip": (1, 0, 1, 2, 1, 2, 6.0)},
        ),
        (
            GroupBy.INTENT,
            {
                "(none)": (1, 0, 0, 0, 0, 0, None),
                "legal": (0, 0, 0, 1, 1, 1, 6.0),
                "other": (1, 0, 1, 2, 0, 1, None),
                "refund": (1, 1, 0, 2, 1, 2, 16.0),
            },
        ),
        (
            GroupBy.LANGUAGE,
            {
                "(none)": (1, 0, 0, 0, 0, 0, None),
                "en": (0, 0, 0, 2, 1, 1, 2.0),
                "lv": (0, 0, 0, 1, 1, 1, 6.0),
                "nl": (1, 1, 0, 1, 0, 1, 30.0),
                "th": (1, 0, 1, 1, 0, 1, None),
            },
        ),
        (
            GroupBy.AGENT,
            {
                "(unanswered)": (3, 1, 1, 2, 0, 1, None),  # open threads, overdue and closed clocks
                "(unknown)": (0, 0, 0, 1, 0, 1, 30.0),
                "ann": (0, 0, 0, 1, 1, 1, 2.0),
                "bob": (0, 0, 0, 1, 1, 1, 6.0),
            },
        ),
    ],
)
def test_groupings(by: GroupBy, expected: dict[str, tuple[object, ...]]) -> None:
    result = report(by)
    got = {
        g.key: (
            g.open_threads,
            g.due_soon,
            g.breached,
            g.clocks,
            g.within_target,
            g.decided,
            None if g.median_first_response is None else g.median_first_response / H,
        )
        for g in result.groups
    }
    assert got == expected
    assert list(got) == sorted(got)
    assert sum(g.clocks for g in result.groups) == result.total.clocks
    assert sum(g.open_threads for g in result.groups) == result.total.open_threads


def test_no_grouping_gives_no_groups() -> None:
    assert report().groups == ()


def test_since_counts_clocks_started_from_then_but_replays_history_before_it() -> None:
    history = thread(1, customer(0), customer(30), reply(40), customer(50), reply(52))
    result = build_report([history], [], policy=POLICY, now=at(100), since=at(20))
    # the message at 30 h joins the clock started at 0 h (before the period): only the clock at 50 h counts
    assert (result.total.clocks, result.total.within_target, result.total.median_first_response) == (
        1,
        1,
        2 * H,
    )


def test_nothing_at_all() -> None:
    result = build_report([], [], policy=POLICY, now=NOW, since=T0, by=GroupBy.AGENT)
    assert result.groups == ()
    total = result.total
    assert (total.clocks, total.open_threads, total.within_target_share, total.median_first_response) == (
        0,
        0,
        None,
        None,
    )


def test_no_replies_only_overdue_and_waiting() -> None:
    result = build_report(
        [thread(1, customer(0)), thread(2, customer(40))], [], policy=POLICY, now=at(45), since=T0
    )
    total = result.total
    assert (total.overdue, total.waiting, total.answered, total.decided) == (1, 1, 0, 1)
    assert total.within_target_share == 0.0
    assert total.median_first_response is None


def test_days_are_local_days_of_the_policy_time_zone() -> None:
    # 22:30 UTC on 2 Nov is 23:30 in Amsterdam; 23:30 UTC is already 3 Nov there
    late_evening = datetime(2026, 11, 2, 22, 30, tzinfo=UTC)
    after_midnight = datetime(2026, 11, 2, 23, 30, tzinfo=UTC)
    histories = [
        ThreadHistory(1, "s", Channel.EMAIL, None, None, (HistoryEvent(late_evening, EventKind.CUSTOMER),)),
        ThreadHistory(
            2,
            "s",
            Channel.EMAIL,
            None,
            None,
            (
                HistoryEvent(after_midnight, EventKind.CUSTOMER),
                HistoryEvent(after_midnight + H, EventKind.REPLY),
            ),
        ),
    ]
    since = datetime(2026, 11, 1, tzinfo=AMS)
    result = build_report(
        histories, [], policy=POLICY, now=datetime(2026, 11, 5, 12, tzinfo=UTC), since=since
    )
    rows = {d.day: (d.customer_messages, d.replies, d.decided, d.within_target) for d in result.days}
    assert list(rows) == [date(2026, 11, day) for day in (1, 2, 3, 4, 5)]
    assert rows[date(2026, 11, 2)] == (1, 0, 1, 0)  # unanswered and overdue by 5 Nov
    assert rows[date(2026, 11, 3)] == (1, 1, 1, 1)
    assert rows[date(2026, 11, 1)] == rows[date(2026, 11, 4)] == (0, 0, 0, 0)
    assert [d.within_target_share for d in result.days][1:3] == [0.0, 1.0]


def test_snapshot_boundaries() -> None:
    threads = [OpenThread(1, "s", None, None, due_at=at(10), due_soon_at=at(5))]
    states = {
        hours: (r.total.due_soon, r.total.breached)
        for hours in (4.9, 5, 10, 10.01)
        for r in [build_report([], threads, policy=POLICY, now=at(hours), since=T0)]
    }
    assert states == {4.9: (0, 0), 5: (1, 0), 10: (1, 0), 10.01: (0, 1)}


def test_unanswered_clocks_have_no_agent() -> None:
    clocks = clock_outcomes(thread(1, customer(0), closed(1), customer(2)), DUE, LATER)
    assert [c.agent for c in clocks] == [UNANSWERED, UNANSWERED]


def test_replies_claim_their_sends_in_order_even_outside_a_clock() -> None:
    """A proactive reply (no clock running) still takes its own send, not the next reply's."""
    sends = (SendRecord(at(0), "ann"), SendRecord(at(5), "bob"))
    history = thread(1, reply(0, 1), customer(3), reply(5, 2), sends=sends)
    assert [c.agent for c in clock_outcomes(history, DUE, LATER)] == ["bob"]


def test_the_longest_business_target_fits_in_the_calendar_the_report_builds() -> None:
    policy = ResponsePolicy.model_validate({"time_basis": "business", "default": {"hours": 24 * 366}})
    result = build_report(
        [thread(1, customer(0), reply(5000))], [], policy=policy, now=at(6000), since=T0, by=GroupBy.MAILBOX
    )
    assert (result.total.within_target, result.total.median_first_response) == (1, 5000 * H)
