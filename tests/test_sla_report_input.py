"""What the SLA report reads: who sent a reply, and the --since day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from mailbot.lifecycle import EventKind
from mailbot.sla_report_input import UNKNOWN_AGENT, HistoryEvent, SendRecord, agent_of_reply, since_start

AMS = ZoneInfo("Europe/Amsterdam")
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
H = timedelta(hours=1)


def at(hours: float) -> datetime:
    return T0 + hours * H


def reply(hours: float, message_id: int) -> HistoryEvent:
    return HistoryEvent(at(hours), EventKind.REPLY, message_id=message_id)


@pytest.mark.parametrize(
    ("sends", "replies", "expected"),
    [
        ((SendRecord(at(1), "ann", 11),), [reply(1, 11)], ["ann"]),
        ((SendRecord(at(1), "ann", 99),), [reply(1, 11)], [UNKNOWN_AGENT]),  # another message's send
        ((SendRecord(at(1), "ann"),), [reply(1.1, 11)], ["ann"]),  # draft send, reply stored after it
        ((SendRecord(at(1), "ann"),), [reply(0.9, 11)], ["ann"]),  # reply stored a little earlier
        ((SendRecord(at(1), "ann"),), [reply(0.5, 11)], [UNKNOWN_AGENT]),  # too early to be this send
        ((SendRecord(at(1), "ann"), SendRecord(at(2), "bob")), [reply(1, 1), reply(2, 2)], ["ann", "bob"]),
        ((SendRecord(at(2), "bob"), SendRecord(at(1), "ann")), [reply(1, 1), reply(2, 2)], ["ann", "bob"]),
        ((SendRecord(at(1), "ann"),), [reply(1, 1), reply(2, 2)], ["ann", UNKNOWN_AGENT]),  # used once
        ((SendRecord(at(1), "ann"), SendRecord(at(1), "bob", 2)), [reply(1, 1), reply(1, 2)], ["ann", "bob"]),
        ((), [reply(1, 1)], [UNKNOWN_AGENT]),
    ],
)
def test_agent_of_reply(
    sends: tuple[SendRecord, ...], replies: list[HistoryEvent], expected: list[str]
) -> None:
    claimed: set[int] = set()
    assert [agent_of_reply(sends, r, claimed) for r in replies] == expected


NOW_LOCAL = datetime(2026, 11, 23, 0, 30, tzinfo=AMS)  # 23:30 UTC on the 22nd


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-01", datetime(2026, 11, 1, tzinfo=AMS)),
        (" 2026-11-23 ", datetime(2026, 11, 23, tzinfo=AMS)),
        ("0d", datetime(2026, 11, 23, tzinfo=AMS)),  # local today, not the UTC date
        ("7d", datetime(2026, 11, 16, tzinfo=AMS)),
        ("2026-03-29", datetime(2026, 3, 29, tzinfo=AMS)),  # DST day: midnight is still +01:00
    ],
)
def test_since_start(text: str, expected: datetime) -> None:
    got = since_start(text, AMS, NOW_LOCAL)
    assert got == expected and got.tzinfo is UTC


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("yesterday", "not a date"),
        ("2026-13-01", "not a date"),
        ("20261101", "not a date"),
        ("2026-W48-1", "not a date"),
        ("7 d", "not a date"),
        ("-3d", "not a date"),
        ("", "not a date"),
        ("2026-11-24", "after today"),
    ],
)
def test_since_start_refuses(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        since_start(text, AMS, NOW_LOCAL)
