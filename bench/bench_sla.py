"""Throughput of the pure SLA arithmetic (no store, no I/O).

Figures: ``due_at`` calls per second in calendar time and in business time
on typical inputs (receipt times spread over a year, day and night, 24-hour
target, Mon-Fri 09:00-17:00 with Dutch holidays), plus the one-off cost of
building a four-year business calendar. Goal: >= 50,000 business-time
``due_at`` per second.
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta

from mailbot.policy.response import ResponsePolicy, TimeBasis
from mailbot.sla import Target, build_calendar, compute_due, due_at, sla_state

YEARS = range(2025, 2029)


def _receipts(count: int) -> list[datetime]:
    rng = random.Random(20251123)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    return [start + timedelta(seconds=rng.randrange(365 * 24 * 3600)) for _ in range(count)]


def _rate(receipts: list[datetime], target: Target, policy: ResponsePolicy) -> float:
    calendar = build_calendar(policy, YEARS)
    began = time.perf_counter()
    for received in receipts:
        due_at(received, target, calendar)
    return len(receipts) / (time.perf_counter() - began)


def _status_rate(receipts: list[datetime], policy: ResponsePolicy) -> float:
    """One thread's whole pure path: due time with due-soon point, then its state now."""
    calendar = build_calendar(policy, YEARS)
    target = Target(24, TimeBasis.BUSINESS, "bench")
    began = time.perf_counter()
    for received in receipts:
        due = compute_due(received, target, calendar, due_soon_share=0.75)
        sla_state(received + timedelta(hours=20), due, calendar)
    return len(receipts) / (time.perf_counter() - began)


def run(quick: bool = False) -> dict[str, float | str]:
    """Return calls per second (best of three rounds) and the calendar build time."""
    count = 20_000 if quick else 200_000
    receipts = _receipts(count)
    policy = ResponsePolicy.model_validate(
        {"time_zone": "Europe/Amsterdam", "closed_days": {"holiday_countries": ["NL"]}}
    )
    began = time.perf_counter()
    build_calendar(policy, YEARS)
    build_ms = (time.perf_counter() - began) * 1000
    calendar_rate = max(_rate(receipts, Target(24, TimeBasis.CALENDAR, "bench"), policy) for _ in range(3))
    business_rate = max(_rate(receipts, Target(24, TimeBasis.BUSINESS, "bench"), policy) for _ in range(3))
    status_rate = max(_status_rate(receipts, policy) for _ in range(3))
    return {
        "inputs": float(count),
        "due_at_calendar_per_s": round(calendar_rate),
        "due_at_business_per_s": round(business_rate),
        "compute_due_and_sla_state_business_per_s": round(status_rate),
        "build_calendar_4_years_ms": round(build_ms, 2),
        "goal_business_per_s": 50_000.0,
        "note": "Mon-Fri 09:00-17:00 Europe/Amsterdam, NL holidays, 24 h target, receipts spread over 2026",
    }


if __name__ == "__main__":
    for name, value in run().items():
        print(f"{name}: {value}")
