"""Times as people read them: in their own time zone, and as "time left".

Pure functions, used as Jinja2 filters. They accept the store's UTC text
form or aware datetimes, so templates need not care which one a view holds.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo

from mailbot.store import from_db_time


def as_datetime(value: datetime | str | None) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value
    return from_db_time(value)


def when(value: datetime | str | None, zone: tzinfo = UTC) -> str:
    """``Mon 23 Nov 2026, 14:05`` in the given zone; a dash for no time."""
    moment = as_datetime(value)
    if moment is None:
        return "–"
    local = moment.astimezone(zone)
    return local.strftime("%a %d %b %Y, %H:%M")


def iso(value: datetime | str | None) -> str:
    """Machine-readable form for ``<time datetime=...>``."""
    moment = as_datetime(value)
    return "" if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _span(delta: timedelta) -> str:
    minutes = int(abs(delta.total_seconds()) // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {mins:02d}m"
    return f"{mins}m"


def left(value: datetime | str | None, now: datetime) -> str:
    """``3h 20m left`` or ``overdue by 2h 05m``."""
    moment = as_datetime(value)
    if moment is None:
        return "no due time"
    delta = moment - now
    if delta.total_seconds() < 0:
        return f"overdue by {_span(delta)}"
    return f"{_span(delta)} left"


def ago(value: datetime | str | None, now: datetime) -> str:
    moment = as_datetime(value)
    if moment is None:
        return "never"
    return f"{_span(now - moment)} ago"


def hours(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f} h"
