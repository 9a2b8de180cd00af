"""The response policy at work: due times for threads, and the SLA sweep.

:class:`SlaClock` holds the loaded policy and its business calendar (built
once, rebuilt when a time falls outside the years it covers); the pipeline
asks it for a thread's due time whenever the thread changes. The sweep
moves threads to ``due_soon``/``breached`` as time passes and records each
escalation notice once per (thread, clock start, level), so a restart never
repeats one. Sending the notices by e-mail is the outbox's job.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from mailbot.model import Channel
from mailbot.policy.response import ResponsePolicy
from mailbot.sla import (
    BusinessCalendar,
    DueTime,
    SlaState,
    SlaStatus,
    build_calendar,
    compute_due,
    escalation_recipients,
    notices_to_send,
    sla_state,
    target_for,
)
from mailbot.store import Store, from_db_time

log = logging.getLogger(__name__)

_MARGIN = timedelta(days=60)


class SlaClock:
    """Due times and states under one response policy."""

    def __init__(self, policy: ResponsePolicy) -> None:
        self.policy = policy
        self._calendar: BusinessCalendar | None = None
        self._lock = threading.Lock()

    def calendar(self, *moments: datetime) -> BusinessCalendar:
        """A calendar covering every moment given (plus a margin), built as rarely as possible."""
        with self._lock:
            current = self._calendar
            if current is None or not all(
                current.covers(m - _MARGIN) and current.covers(m + _MARGIN) for m in moments
            ):
                years = [m.year for m in moments] or [datetime.now(UTC).year]
                current = build_calendar(self.policy, range(min(years) - 1, max(years) + 3))
                self._calendar = current
            return current

    def due(self, started_at: datetime, thread: dict[str, Any], deadline: datetime | None) -> DueTime:
        """When a thread whose clock started at ``started_at`` must be answered, and why."""
        target = target_for(
            self.policy, Channel(thread["channel"]), thread.get("intent"), thread.get("mailbox")
        )
        moments = [started_at, *([deadline] if deadline else [])]
        return compute_due(
            started_at,
            target,
            self.calendar(*moments, started_at + timedelta(hours=target.hours * 8)),
            due_soon_share=self.policy.due_soon_share,
            customer_deadlines=[deadline] if deadline else [],
        )

    def status(self, now: datetime, due: DueTime) -> SlaStatus:
        return sla_state(now, due, self.calendar(now, due.started_at, due.due_at))


@dataclass
class SlaSweepResult:
    """What one sweep changed."""

    transitions: int = 0
    notices: int = 0


def state_at(now: datetime, due_soon_at: datetime, due_at: datetime) -> SlaState:
    """The state a stored clock has at ``now`` (same rule as :func:`mailbot.sla.sla_state`)."""
    if now > due_at:
        return SlaState.BREACHED
    if now >= due_soon_at:
        return SlaState.DUE_SOON
    return SlaState.OK


def sweep_sla(store: Store, policy: ResponsePolicy, now: datetime | None = None) -> SlaSweepResult:
    """Advance SLA states of open threads and record escalation notices (once each)."""
    moment = now or datetime.now(UTC)
    result = SlaSweepResult()
    with store.transaction():
        _sweep_rows(store, policy, moment, result)
    return result


def _sweep_rows(store: Store, policy: ResponsePolicy, moment: datetime, result: SlaSweepResult) -> None:
    """One pass in one transaction: a sweep after downtime commits once, not per thread."""
    for row in store.sla_transitions(moment):
        due_at = from_db_time(row["due_at"])
        due_soon_at = from_db_time(row["due_soon_at"])
        started = from_db_time(row["clock_started_at"])
        if due_at is None or due_soon_at is None or started is None:
            continue
        state = state_at(moment, due_soon_at, due_at)
        store.update_thread(row["id"], sla_state=state.value)
        result.transitions += 1
        for notice in notices_to_send(
            store.notice_keys(row["id"]), thread_id=row["id"], started_at=started, state=state
        ):
            recipients = list(escalation_recipients(policy, row["mailbox"], notice.level))
            if store.record_notice(
                key=notice.key,
                thread_id=row["id"],
                started_at=started,
                level=notice.level.value,
                recipients=recipients,
            ):
                result.notices += 1
                log.warning(
                    "thread %d is %s (due %s); notice for %s",
                    row["id"],
                    notice.level.value.replace("_", " "),
                    due_at.isoformat(),
                    ", ".join(recipients) or "nobody configured",
                )
