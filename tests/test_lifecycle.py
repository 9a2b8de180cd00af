"""The lifecycle fold: every clock rule of DESIGN.md, as examples."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from mailbot.lifecycle import EventKind, ThreadEvent, fold_events
from mailbot.model import ThreadState

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
C, A, R, X = EventKind.CUSTOMER, EventKind.AUTOMATIC, EventKind.REPLY, EventKind.CLOSED


def at(hours: float, kind: EventKind) -> ThreadEvent:
    return ThreadEvent(T0 + timedelta(hours=hours), kind)


@pytest.mark.parametrize(
    ("events", "state", "clock_hours"),
    [
        ([at(0, C)], ThreadState.OPEN, 0),
        ([at(0, C), at(2, C)], ThreadState.OPEN, 0),  # oldest unanswered message starts the clock
        ([at(0, C), at(1, R)], ThreadState.ANSWERED, None),  # a reply stops it
        ([at(0, C), at(1, R), at(5, C)], ThreadState.OPEN, 5),  # a new message restarts it
        ([at(0, C), at(1, X)], ThreadState.CLOSED, None),  # closing stops it
        ([at(0, C), at(1, X), at(3, C)], ThreadState.OPEN, 3),  # and a new message reopens
        ([at(0, A)], ThreadState.CLOSED, None),  # auto-replies never start a clock
        ([at(0, C), at(1, A)], ThreadState.OPEN, 0),  # nor move one
        ([at(1, R), at(0, C)], ThreadState.ANSWERED, None),  # order of arrival does not matter
        ([at(0, C), at(0, R)], ThreadState.ANSWERED, None),  # same instant: the reply answers
        ([at(0, R)], ThreadState.ANSWERED, None),  # a thread we started
        ([at(0, C), at(1, X), at(2, X)], ThreadState.CLOSED, None),
        ([at(0, C), at(1, X), at(2, C), at(3, X), at(4, C)], ThreadState.OPEN, 4),
    ],
)
def test_clock_rules(events: list[ThreadEvent], state: ThreadState, clock_hours: float | None) -> None:
    life = fold_events(events)
    assert life.state is state
    expected = None if clock_hours is None else T0 + timedelta(hours=clock_hours)
    assert life.clock_started_at == expected


def test_only_automatic_mail_is_flagged() -> None:
    assert fold_events([at(0, A), at(1, A)]).only_automatic
    assert not fold_events([at(0, A), at(1, C)]).only_automatic


@pytest.mark.parametrize(
    ("events", "clock_hours"),
    [
        pytest.param([], None, id="no events"),
        pytest.param([at(0, A)], None, id="auto-reply does not start"),
        pytest.param([at(0, R)], None, id="our own message does not start"),
        pytest.param([at(1, C)], 1, id="customer message starts"),
        pytest.param([at(1, C), at(3, C)], 1, id="oldest unanswered message counts"),
        pytest.param([at(1, C), at(2, R)], None, id="reply stops"),
        pytest.param([at(1, C), at(2, R)], None, id="posted letter stops"),
        pytest.param([at(1, C), at(2, X)], None, id="closing stops"),
        pytest.param([at(1, C), at(2, R), at(5, C)], 5, id="new message restarts"),
        pytest.param([at(1, C), at(2, X), at(4, C), at(6, C)], 4, id="restart after close"),
        pytest.param([at(1, C), at(2, A)], 1, id="auto after customer changes nothing"),
        pytest.param([at(1, C), at(2, R), at(3, A)], None, id="auto after reply does not restart"),
        pytest.param([at(0, A), at(2, C)], 2, id="auto before customer"),
        pytest.param([at(0, R), at(2, C)], 2, id="our message before customer"),
        pytest.param([at(5, C), at(2, R), at(1, C)], 5, id="order of input does not matter"),
        pytest.param([at(4, R), at(4, C)], None, id="reply at the same instant answers"),
        pytest.param([at(1, C), at(4, X), at(4, C)], None, id="close at the same instant answers"),
    ],
)
def test_clock_start_cases(events: list[ThreadEvent], clock_hours: float | None) -> None:
    expected = None if clock_hours is None else T0 + timedelta(hours=clock_hours)
    assert fold_events(events).clock_started_at == expected
