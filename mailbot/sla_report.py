"""SLA report figures: how fast we answer, and how often within the target.

Pure: the store hands over each thread's history (messages, closings, sends)
and the open threads as values; this module replays them into figures.

Definitions (the ones the CLI, the review UI and the digest show):

* A *clock* starts at a customer message that finds none running (the replay
  of :func:`mailbot.lifecycle.fold_events`) and ends at the first reply after
  it or at a closing. *First response time*: start to first reply, elapsed.
* A clock's due time is recomputed from the history, not read from the
  thread row (which holds only the current clock). Its intent and language
  are those of its last customer message that has one, else the thread's;
  customer deadlines count when they arrive while the clock runs.
* *Within target*: first reply at or before the due time (a breach is
  strictly after it, as in :func:`mailbot.sla.sla_state`). The share is over
  *decided* clocks: answered ones plus unanswered ones past due; clocks still
  in time and clocks closed without a reply are left out.
* The period holds clocks started at or after ``since``; days are local days
  of the policy's time zone.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from mailbot.lifecycle import EventKind
from mailbot.model import Channel
from mailbot.policy.response import ResponsePolicy
from mailbot.sla import BusinessCalendar, build_calendar, compute_due, target_for
from mailbot.sla_report_input import (
    NO_VALUE,
    UNANSWERED,
    HistoryEvent,
    OpenThread,
    ThreadHistory,
    agent_of_reply,
)


class GroupBy(StrEnum):
    """What ``--by`` splits the figures by."""

    MAILBOX = "mailbox"
    INTENT = "intent"
    LANGUAGE = "language"
    AGENT = "agent"


class Outcome(StrEnum):
    """How one clock ended, or where it stands."""

    WITHIN_TARGET = "within_target"  # answered at or before the due time
    LATE = "late"  # answered after the due time
    OVERDUE = "overdue"  # not answered, past the due time
    WAITING = "waiting"  # not answered, still inside the target
    CLOSED = "closed"  # closed without a reply (no answer needed)

    @property
    def decided(self) -> bool:
        return self in (Outcome.WITHIN_TARGET, Outcome.LATE, Outcome.OVERDUE)


@dataclass(frozen=True)
class ClockOutcome:
    """One run of a thread's response clock and what became of it."""

    thread_id: int
    started_at: datetime
    due_at: datetime
    first_reply_at: datetime | None
    outcome: Outcome
    agent: str
    mailbox: str
    intent: str
    language: str

    @property
    def first_response(self) -> timedelta | None:
        return None if self.first_reply_at is None else self.first_reply_at - self.started_at

    def key(self, by: GroupBy) -> str:
        return {
            GroupBy.MAILBOX: self.mailbox,
            GroupBy.INTENT: self.intent,
            GroupBy.LANGUAGE: self.language,
            GroupBy.AGENT: self.agent,
        }[by]


_ORDER = {EventKind.CUSTOMER: 0, EventKind.AUTOMATIC: 1, EventKind.REPLY: 2, EventKind.CLOSED: 3}


@dataclass
class _Running:
    started_at: datetime
    deadlines: list[datetime] = field(default_factory=list)
    intent: str | None = None
    language: str | None = None


DueFn = Callable[[datetime, Channel, str | None, str, Sequence[datetime]], datetime]
"""(clock start, channel, intent, mailbox, customer deadlines) -> due time"""


def policy_due(policy: ResponsePolicy, calendar: BusinessCalendar) -> DueFn:
    """The due-time rule of the pipeline (:class:`mailbot.sla_service.SlaClock`) as a function."""

    def due(
        started: datetime, channel: Channel, intent: str | None, mailbox: str, deadlines: Sequence[datetime]
    ) -> datetime:
        target = target_for(policy, channel, intent, mailbox)
        return compute_due(
            started,
            target,
            calendar,
            due_soon_share=policy.due_soon_share,
            customer_deadlines=deadlines,
        ).due_at

    return due


def clock_outcomes(
    history: ThreadHistory, due: DueFn, now: datetime, since: datetime | None = None
) -> list[ClockOutcome]:
    """Replay one thread's events into its clocks, oldest first (only those started at or after ``since``).

    Earlier events are replayed all the same: they decide where clocks start.
    """
    outcomes: list[ClockOutcome] = []
    running: _Running | None = None
    claimed: set[int] = set()

    def finish(clock: _Running, reply_at: datetime | None, outcome: Outcome | None, agent: str) -> None:
        if since is not None and clock.started_at < since:
            return
        intent = clock.intent or history.intent
        due_at = due(clock.started_at, history.channel, intent, history.mailbox, clock.deadlines)
        if outcome is None:  # answered, or still running
            if reply_at is not None:
                outcome = Outcome.WITHIN_TARGET if reply_at <= due_at else Outcome.LATE
            else:
                outcome = Outcome.OVERDUE if now > due_at else Outcome.WAITING
        outcomes.append(
            ClockOutcome(
                thread_id=history.thread_id,
                started_at=clock.started_at,
                due_at=due_at,
                first_reply_at=reply_at,
                outcome=outcome,
                agent=agent,
                mailbox=history.mailbox,
                intent=intent or NO_VALUE,
                language=clock.language or history.language or NO_VALUE,
            )
        )

    for event in sorted(history.events, key=lambda e: (e.at, _ORDER[e.kind])):
        if event.kind in (EventKind.CUSTOMER, EventKind.AUTOMATIC):
            if event.kind is EventKind.CUSTOMER and running is None:
                running = _Running(event.at)
            if running is not None:
                _absorb(running, event)
        elif event.kind is EventKind.REPLY:
            agent = agent_of_reply(history.sends, event, claimed)  # every reply claims its send
            if running is not None:
                finish(running, event.at, None, agent)
            running = None
        elif event.kind is EventKind.CLOSED and running is not None:
            finish(running, None, Outcome.CLOSED, UNANSWERED)
            running = None
    if running is not None:
        finish(running, None, None, UNANSWERED)
    return outcomes


def _absorb(clock: _Running, event: HistoryEvent) -> None:
    """Take what a message received while the clock runs adds: a deadline, newer labels."""
    if event.deadline is not None:
        clock.deadlines.append(event.deadline)
    if event.kind is EventKind.CUSTOMER:
        clock.intent = event.intent or clock.intent
        clock.language = event.language or clock.language


def percentile(values: Sequence[timedelta], share: float) -> timedelta | None:
    """The ``share`` quantile (0..1) with linear interpolation between the closest ranks.

    The same rule as numpy's default, so a spreadsheet check gives the same
    number; ``None`` for no values.
    """
    if not values:
        return None
    ordered = sorted(values)
    position = share * (len(ordered) - 1)
    lower = int(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


@dataclass(frozen=True)
class GroupFigures:
    """Figures of one group (or of everything, key ``"(all)"``).

    ``open_threads``/``due_soon``/``breached`` are a snapshot at the report
    time (due soon and breached are part of the open threads); the rest are
    about clocks started in the period.
    """

    key: str
    open_threads: int = 0
    due_soon: int = 0
    breached: int = 0
    clocks: int = 0
    answered: int = 0
    within_target: int = 0
    late: int = 0
    overdue: int = 0
    waiting: int = 0
    closed_unanswered: int = 0
    median_first_response: timedelta | None = None
    p90_first_response: timedelta | None = None

    @property
    def decided(self) -> int:
        return self.within_target + self.late + self.overdue

    @property
    def within_target_share(self) -> float | None:
        return self.within_target / self.decided if self.decided else None


@dataclass(frozen=True)
class DayFigures:
    """One local day: messages in and out, and the clocks started that day."""

    day: date
    customer_messages: int = 0
    replies: int = 0
    decided: int = 0
    within_target: int = 0

    @property
    def within_target_share(self) -> float | None:
        return self.within_target / self.decided if self.decided else None


@dataclass(frozen=True)
class SlaReport:
    """The whole report: totals, optional groups, one row per local day."""

    generated_at: datetime
    since: datetime
    time_zone: str
    by: GroupBy | None
    total: GroupFigures
    groups: tuple[GroupFigures, ...]
    days: tuple[DayFigures, ...]


ALL = "(all)"


def build_report(
    histories: Iterable[ThreadHistory],
    open_threads: Iterable[OpenThread],
    *,
    policy: ResponsePolicy,
    now: datetime,
    since: datetime,
    by: GroupBy | None = None,
    calendar: BusinessCalendar | None = None,
) -> SlaReport:
    """Figures for clocks started at or after ``since`` and the open threads at ``now``.

    ``calendar`` must cover ``since`` to ``now`` plus the longest target;
    left out, one is built.
    """
    now, since = now.astimezone(UTC), since.astimezone(UTC)
    histories = list(histories)
    zone = ZoneInfo(policy.time_zone)
    calendar = calendar or _calendar_for(policy, now, since)
    due = policy_due(policy, calendar)
    clocks = [c for h in histories for c in clock_outcomes(h, due, now, since)]
    snapshot = list(open_threads)
    total = _figures(ALL, clocks, snapshot, now)
    groups: tuple[GroupFigures, ...] = ()
    if by is not None:
        keys = sorted({c.key(by) for c in clocks} | {_open_key(t, by) for t in snapshot})
        clocks_by: dict[str, list[ClockOutcome]] = defaultdict(list)
        for clock in clocks:
            clocks_by[clock.key(by)].append(clock)
        open_by: dict[str, list[OpenThread]] = defaultdict(list)
        for thread in snapshot:
            open_by[_open_key(thread, by)].append(thread)
        groups = tuple(_figures(k, clocks_by[k], open_by[k], now) for k in keys)
    return SlaReport(
        generated_at=now,
        since=since,
        time_zone=policy.time_zone,
        by=by,
        total=total,
        groups=groups,
        days=_days(histories, clocks, since, now, zone),
    )


def _calendar_for(policy: ResponsePolicy, now: datetime, since: datetime) -> BusinessCalendar:
    """Years from before ``since`` (earlier clocks get no due time) to past the longest target,
    stretched 8 times for business hours as :class:`mailbot.sla_service.SlaClock` allows."""
    hours = [policy.default.hours]
    hours += [spec.hours for spec in (*policy.channel.values(), *policy.intent.values())]
    for box in policy.mailbox.values():
        hours += [box.hours or 0, *(spec.hours for spec in box.intent.values())]
    years_ahead = math.ceil(max(hours) * 8 / (24 * 365)) + 1
    return build_calendar(policy, range(since.year - 1, now.year + years_ahead + 1))


def _open_key(thread: OpenThread, by: GroupBy) -> str:
    return {
        GroupBy.MAILBOX: thread.mailbox,
        GroupBy.INTENT: thread.intent or NO_VALUE,
        GroupBy.LANGUAGE: thread.language or NO_VALUE,
        GroupBy.AGENT: UNANSWERED,
    }[by]


_DUE_SOON, _BREACHED = "due_soon", "breached"


def _snapshot_state(thread: OpenThread, now: datetime) -> str | None:
    """The state of an open thread's stored clock (the sweep's rule, without waiting for it)."""
    if thread.due_at is not None and now > thread.due_at:
        return _BREACHED
    if thread.due_soon_at is not None and now >= thread.due_soon_at:
        return _DUE_SOON
    return None


def _figures(key: str, clocks: list[ClockOutcome], snapshot: list[OpenThread], now: datetime) -> GroupFigures:
    counts = dict.fromkeys(Outcome, 0)
    for clock in clocks:
        counts[clock.outcome] += 1
    times = [c.first_response for c in clocks if c.first_response is not None]
    states = [_snapshot_state(t, now) for t in snapshot]
    return GroupFigures(
        key=key,
        open_threads=len(snapshot),
        due_soon=states.count(_DUE_SOON),
        breached=states.count(_BREACHED),
        clocks=len(clocks),
        answered=len(times),
        within_target=counts[Outcome.WITHIN_TARGET],
        late=counts[Outcome.LATE],
        overdue=counts[Outcome.OVERDUE],
        waiting=counts[Outcome.WAITING],
        closed_unanswered=counts[Outcome.CLOSED],
        median_first_response=percentile(times, 0.5),
        p90_first_response=percentile(times, 0.9),
    )


def _days(
    histories: list[ThreadHistory], clocks: list[ClockOutcome], since: datetime, now: datetime, zone: ZoneInfo
) -> tuple[DayFigures, ...]:
    first, last = since.astimezone(zone).date(), now.astimezone(zone).date()
    if last < first:
        return ()
    rows: dict[date, dict[str, int]] = {}
    day = first
    while day <= last:
        rows[day] = {"customer_messages": 0, "replies": 0, "decided": 0, "within_target": 0}
        day += timedelta(days=1)

    def bump(at: datetime, name: str) -> None:
        if since <= at <= now:
            rows[at.astimezone(zone).date()][name] += 1

    for history in histories:
        for event in history.events:
            if event.kind is EventKind.CUSTOMER:
                bump(event.at, "customer_messages")
            elif event.kind is EventKind.REPLY:
                bump(event.at, "replies")
    for clock in clocks:
        if clock.outcome.decided:
            bump(clock.started_at, "decided")
        if clock.outcome is Outcome.WITHIN_TARGET:
            bump(clock.started_at, "within_target")
    return tuple(DayFigures(day, **counts) for day, counts in rows.items())
