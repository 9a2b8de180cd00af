"""Response-policy arithmetic: when is a thread due, and how close is it.

Pure on purpose: no files, no clock, no store. The caller passes ``now``, the
thread's clock events and a :class:`BusinessCalendar` built once per policy,
and gets values back. Every datetime returned is timezone-aware UTC; naive
datetimes are refused because a due time silently off by an hour is worse
than an error.

How business time is counted: the calendar lays out every open interval of
its year range on one UTC time line (local opening hours resolved through
zoneinfo, closed days left out) together with the working time accumulated
before each interval. "Add N working hours" then becomes two binary searches
instead of a walk over days, which keeps ``due_at`` fast and makes DST
correct by construction: an interval is as long as the real time between its
local opening and closing, so 09:00-17:00 is 8 hours on any day, and an
interval that spans a DST change is an hour shorter or longer.

Flow for one thread: ``target_for`` -> ``compute_due`` (clock start from
:func:`mailbot.lifecycle.fold_events`) ->
``sla_state`` -> ``notices_to_send`` -> ``escalation_recipients``.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from mailbot.model import Channel
from mailbot.policy.response import MINUTES_PER_DAY, BusinessHours, ResponsePolicy, TimeBasis

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_ONE_DAY = timedelta(days=1)


class CalendarRangeError(ValueError):
    """A time outside the years a :class:`BusinessCalendar` was built for.

    A wiring error (the calendar was built for too few years), not bad input,
    hence a ValueError: rebuild the calendar with a wider range.
    """


def _utc(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"naive datetime {at!r}: SLA arithmetic needs timezone-aware times")
    return at.astimezone(UTC)


def _to_us(at: datetime) -> int:
    """Microseconds since the epoch: exact integers for the time line."""
    return (_utc(at) - _EPOCH) // _MICROSECOND


def _from_us(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


@dataclass(frozen=True, eq=False)
class BusinessCalendar:
    """Open intervals of a policy's year range on one UTC time line.

    Build it with :func:`build_calendar` once (at start-up, and again when
    the year range runs out); all arithmetic is then lookups. ``_opens`` and
    ``_closes`` are interval bounds in microseconds since the epoch;
    ``_worked_before[i]`` / ``_worked_through[i]`` are the working time (µs)
    from the range start to the opening / closing of interval ``i``.
    """

    time_zone: ZoneInfo
    first_day: date
    last_day: date
    closed_days: frozenset[date]
    _opens: tuple[int, ...] = field(repr=False)
    _closes: tuple[int, ...] = field(repr=False)
    _worked_before: tuple[int, ...] = field(repr=False)
    _worked_through: tuple[int, ...] = field(repr=False)
    _range_us: tuple[int, int] = field(repr=False)

    def _position(self, at_us: int) -> int:
        """Working time from the start of the range up to ``at_us``."""
        low, high = self._range_us
        if not low <= at_us <= high:
            raise CalendarRangeError(
                f"{_from_us(at_us).isoformat()} is outside the calendar ({self.first_day}..{self.last_day})"
            )
        index = bisect_right(self._opens, at_us) - 1
        if index < 0:
            return 0
        return min(self._worked_through[index], self._worked_before[index] + at_us - self._opens[index])

    def _instant(self, position: int) -> int:
        """The earliest time at which ``position`` working time has passed."""
        index = bisect_left(self._worked_through, position)
        if index == len(self._worked_through):
            raise CalendarRangeError(f"working time runs past the end of the calendar ({self.last_day})")
        return self._opens[index] + position - self._worked_before[index]

    def _clamped_position(self, at: datetime) -> int:
        """Like ``_position`` but saturating at the range ends (display figures only)."""
        low, high = self._range_us
        return self._position(min(max(_to_us(at), low), high))

    def last_open_moment(self, at: datetime, *, after: datetime) -> datetime:
        """The latest open moment at or before ``at``; ``at`` itself when no
        open time lies between ``after`` and ``at``."""
        position = self._position(_to_us(at))
        if position <= self._position(_to_us(after)):
            return _utc(at)
        return _from_us(self._instant(position))

    def add_working_time(self, start: datetime, amount: timedelta) -> datetime:
        """The time at which ``amount`` of open time has passed since ``start``.

        Counting starts at the next opening when ``start`` is in closed
        hours; the result is never inside closed hours (a closing time itself
        counts as open, so a 16-hour target from Monday 09:00 ends Tuesday 17:00).
        """
        return _from_us(self._instant(self._position(_to_us(start)) + amount // _MICROSECOND))

    def working_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Open time between two moments (negative when ``end`` is earlier)."""
        worked = self._position(_to_us(end)) - self._position(_to_us(start))
        return timedelta(microseconds=worked)

    def is_open(self, at: datetime) -> bool:
        """True inside an open interval (opening inclusive, closing exclusive)."""
        at_us = _to_us(at)
        index = bisect_right(self._opens, at_us) - 1
        return index >= 0 and at_us < self._closes[index]

    def covers(self, at: datetime) -> bool:
        """True when ``at`` lies inside the calendar's range."""
        low, high = self._range_us
        return low <= _to_us(at) <= high


def _local_us(day: date, minute: int, zone: ZoneInfo) -> int:
    """A local wall time as epoch µs; a time in a DST gap resolves per PEP 495 (fold=0)."""
    if minute == MINUTES_PER_DAY:
        day, minute = day + _ONE_DAY, 0
    local = datetime(day.year, day.month, day.day, minute // 60, minute % 60, tzinfo=zone)
    return _to_us(local)


def build_calendar(policy: ResponsePolicy, years: range) -> BusinessCalendar:
    """Lay out the open intervals of ``years`` (e.g. ``range(2024, 2028)``).

    Holidays are looked up here, once, so ``due_at`` never calls ``holidays``.
    Adjacent intervals are merged, so a day open until 24:00 followed by one
    open from 00:00 is one stretch without an artificial closing at midnight.
    """
    if years.step != 1 or len(years) == 0:
        raise ValueError(f"years must be a non-empty range with step 1, got {years!r}")
    zone = ZoneInfo(policy.time_zone)
    closed = policy.closed_days.dates(years)
    first_day, last_day = date(years.start, 1, 1), date(years.stop - 1, 12, 31)
    opens, closes = _lay_out(policy.business_hours, zone, first_day, last_day, closed)
    worked_before: list[int] = []
    total = 0
    for open_us, close_us in zip(opens, closes, strict=True):
        worked_before.append(total)
        total += close_us - open_us
    return BusinessCalendar(
        time_zone=zone,
        first_day=first_day,
        last_day=last_day,
        closed_days=closed,
        _opens=tuple(opens),
        _closes=tuple(closes),
        _worked_before=tuple(worked_before),
        _worked_through=tuple(b + c - o for b, o, c in zip(worked_before, opens, closes, strict=True)),
        _range_us=(_local_us(first_day, 0, zone), _local_us(last_day, MINUTES_PER_DAY, zone)),
    )


def _lay_out(
    hours: BusinessHours, zone: ZoneInfo, first_day: date, last_day: date, closed: frozenset[date]
) -> tuple[list[int], list[int]]:
    """Sorted, disjoint open intervals (epoch µs) of every open day in the range."""
    opens: list[int] = []
    closes: list[int] = []
    day = first_day
    while day <= last_day:
        if day not in closed:
            for span in hours.for_weekday(day.weekday()):
                open_us = _local_us(day, span.start, zone)
                close_us = _local_us(day, span.end, zone)
                if closes and open_us <= closes[-1]:
                    # touching the previous interval, or overlapping it after a DST fold
                    if close_us > closes[-1]:
                        closes[-1] = close_us
                    continue
                if close_us > open_us:
                    opens.append(open_us)
                    closes.append(close_us)
        day += _ONE_DAY
    return opens, closes


@dataclass(frozen=True)
class Target:
    """The resolved answer-within promise for one thread.

    ``rule`` names the policy entry that won (``"intent legal"``), so people
    can see why a thread has the deadline it has.
    """

    hours: float
    basis: TimeBasis
    rule: str

    @property
    def duration(self) -> timedelta:
        return timedelta(hours=self.hours)


def target_for(
    policy: ResponsePolicy, channel: Channel | None, intent: str | None, mailbox: str | None
) -> Target:
    """Pick the target for a thread; the first match in this order wins.

    1. mailbox + intent (``[mailbox.<m>.intent.<i>]``)
    2. intent (``[intent.<i>]``)
    3. mailbox (``[mailbox.<m>]`` with ``hours``)
    4. channel (``[channel.email]``, ``[channel.letter]``)
    5. default (``[default]``)

    Intent beats mailbox because an intent (legal, privacy) usually carries
    a legal time limit that holds whichever address the customer wrote to.
    A thread without an intent yet (not classified, needs triage) skips 1-2.
    """
    box = policy.mailbox.get(mailbox) if mailbox is not None else None
    candidates = (
        (box.intent.get(intent) if box and intent else None, f"mailbox {mailbox}, intent {intent}"),
        (policy.intent.get(intent) if intent else None, f"intent {intent}"),
        (box if box and box.hours is not None else None, f"mailbox {mailbox}"),
        (policy.channel.get(channel) if channel else None, f"channel {channel}"),
    )
    for spec, rule in candidates:
        if spec is not None and spec.hours is not None:
            return Target(spec.hours, spec.time_basis or policy.time_basis, rule)
    return Target(policy.default.hours, policy.default.time_basis or policy.time_basis, "default")


def due_at(received_at: datetime, target: Target, calendar: BusinessCalendar) -> datetime:
    """When a message received at ``received_at`` must be answered (UTC).

    Calendar time is real elapsed time (24 h across a DST change is still
    24 real hours); business time counts only open hours of ``calendar``.
    """
    if target.basis is TimeBasis.BUSINESS:
        return calendar.add_working_time(received_at, target.duration)
    return _utc(received_at) + target.duration


class DueReason(StrEnum):
    """What set the due time: the policy target or a deadline the customer named."""

    POLICY = "policy"
    CUSTOMER_DEADLINE = "customer_deadline"


@dataclass(frozen=True)
class DueTime:
    """When a running clock comes due, when it becomes due soon, and why.

    ``why`` is a sentence for the review UI. ``policy_due_at`` is kept even
    when a customer deadline moved the due time forward, so both can be shown.
    """

    started_at: datetime
    due_at: datetime
    due_soon_at: datetime
    target: Target
    reason: DueReason
    policy_due_at: datetime
    customer_deadline: datetime | None
    why: str


def compute_due(
    started_at: datetime,
    target: Target,
    calendar: BusinessCalendar,
    *,
    due_soon_share: float,
    customer_deadlines: Iterable[datetime] = (),
) -> DueTime:
    """Due time of a clock started at ``started_at``.

    The earliest customer-named deadline after the clock start wins when it
    falls before the policy due time. Deadlines at or before the start are
    ignored: they are about the past ("it should have arrived by Monday"),
    not a request for an answer. In business time a deadline in closed hours
    is pulled back to the last open moment before it, because nobody is
    there to answer on Saturday. ``due_soon_at`` is ``due_soon_share`` of the
    way in the target's own time basis (working time for business time).
    """
    start = _utc(started_at)
    policy_due = due_at(start, target, calendar)
    deadline = min((d for d in map(_utc, customer_deadlines) if d > start), default=None)
    local = calendar.time_zone
    if deadline is None or deadline >= policy_due:
        due, reason = policy_due, DueReason.POLICY
        why = f"policy target: {target.hours:g} {target.basis.value} hours ({target.rule})"
    else:
        due, reason = deadline, DueReason.CUSTOMER_DEADLINE
        if target.basis is TimeBasis.BUSINESS:
            due = calendar.last_open_moment(deadline, after=start)
        why = (
            f"customer asked for an answer by {deadline.astimezone(local):%Y-%m-%d %H:%M %Z}, "
            f"before the policy due time {policy_due.astimezone(local):%Y-%m-%d %H:%M %Z}"
        )
        if due != deadline:
            why += f"; due at the last business hour before it, {due.astimezone(local):%Y-%m-%d %H:%M %Z}"
    due_soon = _share_point(start, due, due_soon_share, target.basis, calendar)
    return DueTime(start, due, due_soon, target, reason, policy_due, deadline, why)


def _share_point(
    start: datetime, due: datetime, share: float, basis: TimeBasis, calendar: BusinessCalendar
) -> datetime:
    if basis is TimeBasis.CALENDAR:
        return start + (due - start) * share
    total = calendar.working_time_between(start, due)
    if total <= timedelta(0):
        return start
    return calendar.add_working_time(start, total * share)


class SlaState(StrEnum):
    """ok -> due_soon -> breached; the two later ones each trigger one notice."""

    OK = "ok"
    DUE_SOON = "due_soon"
    BREACHED = "breached"


@dataclass(frozen=True)
class SlaStatus:
    """Where a running clock stands at one moment.

    ``time_left`` is wall-clock time to the due time; ``working_left`` is
    the same in the target's basis (open hours for business time). Both are
    negative once breached. ``used_share`` is the part of the target used up.
    """

    state: SlaState
    due_at: datetime
    due_soon_at: datetime
    time_left: timedelta
    working_left: timedelta
    used_share: float


def sla_state(now: datetime, due: DueTime, calendar: BusinessCalendar) -> SlaStatus:
    """State of a running clock at ``now``: breached strictly after the due time."""
    now = _utc(now)
    if now > due.due_at:
        state = SlaState.BREACHED
    elif now >= due.due_soon_at:
        state = SlaState.DUE_SOON
    else:
        state = SlaState.OK
    if due.target.basis is TimeBasis.BUSINESS:
        start, moment, end = (calendar._clamped_position(t) for t in (due.started_at, now, due.due_at))
    else:
        start, moment, end = (_to_us(t) for t in (due.started_at, now, due.due_at))
    return SlaStatus(
        state=state,
        due_at=due.due_at,
        due_soon_at=due.due_soon_at,
        time_left=due.due_at - now,
        working_left=timedelta(microseconds=end - moment),
        used_share=max(moment - start, 0) / (end - start) if end > start else 1.0,
    )


_LEVELS = (SlaState.DUE_SOON, SlaState.BREACHED)


def notice_key(thread_id: int, started_at: datetime, level: SlaState) -> str:
    """Identity of one escalation notice: thread, clock start (UTC), level.

    The store keeps the keys of notices sent; a daemon restart therefore
    sends nothing twice, while a clock restarted by a new customer message
    has a new start and so new keys.
    """
    return f"sla:{thread_id}:{_utc(started_at).isoformat()}:{level.value}"


@dataclass(frozen=True)
class Notice:
    """One escalation notice to send; persist ``key`` once it went out."""

    key: str
    thread_id: int
    started_at: datetime
    level: SlaState


def notices_to_send(
    already_sent: Collection[str], *, thread_id: int, started_at: datetime, state: SlaState
) -> list[Notice]:
    """The escalation notice due now for one clock, if any (at most one).

    Only the level reached is announced: a thread found already breached
    (the daemon was down) gets the breach notice, not a stale "due soon"
    first. Nothing is sent for a level at or below one already announced,
    so a due time moved later (policy change) cannot re-announce "due soon".
    """
    if state not in _LEVELS:
        return []
    announced = (notice_key(thread_id, started_at, level) for level in _LEVELS[_LEVELS.index(state) :])
    if any(key in already_sent for key in announced):
        return []
    key = notice_key(thread_id, started_at, state)
    return [Notice(key, thread_id, _utc(started_at), state)]


def escalation_recipients(policy: ResponsePolicy, mailbox: str | None, level: SlaState) -> tuple[str, ...]:
    """Who receives a notice of ``level`` for a thread in ``mailbox``.

    A mailbox's own list for that level replaces the default list; a level
    the mailbox leaves out falls back to the default; an explicit empty
    list means nobody.
    """
    if level not in _LEVELS:
        return ()
    own = policy.escalation.mailbox.get(mailbox) if mailbox is not None else None
    listed = getattr(own, level.value) if own is not None else None
    default: tuple[str, ...] = getattr(policy.escalation, level.value)
    return tuple(listed) if listed is not None else default
