"""The conversation lifecycle as a pure fold over a thread's events.

A thread's state and the start of its response clock are recomputed from
*all* of its events every time, never patched incrementally, so re-running a
stage, restarting after a crash or importing old mail out of order always
lands on the same answer (see DESIGN.md, "Lifecycle of a conversation").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from mailbot.model import ThreadState


class EventKind(StrEnum):
    """What happened in a thread, as far as the lifecycle cares."""

    CUSTOMER = "customer"  # a customer message that wants an answer
    AUTOMATIC = "automatic"  # auto-reply, bounce, bulk: never starts a clock
    REPLY = "reply"  # we answered (e-mail sent, letter posted)
    CLOSED = "closed"  # a person closed the thread with a reason


@dataclass(frozen=True)
class ThreadEvent:
    at: datetime
    kind: EventKind


@dataclass(frozen=True)
class Lifecycle:
    """Where a thread stands: its state and, when open, since when it waits."""

    state: ThreadState
    clock_started_at: datetime | None
    only_automatic: bool = False


_ORDER = {EventKind.CUSTOMER: 0, EventKind.AUTOMATIC: 1, EventKind.REPLY: 2, EventKind.CLOSED: 3}


def fold_events(events: list[ThreadEvent]) -> Lifecycle:
    """Replay events in time order.

    The clock starts at the oldest customer message not yet answered; a reply
    or a closing stops it; a later customer message reopens the thread. A
    thread that only ever saw automatic mail is closed with no clock. At the
    same instant a customer message counts before a reply, so a reply stamped
    in the same second still answers it.
    """
    state: ThreadState | None = None
    clock: datetime | None = None
    for event in sorted(events, key=lambda e: (e.at, _ORDER[e.kind])):
        if event.kind is EventKind.CUSTOMER:
            if clock is None:
                clock = event.at
            state = ThreadState.OPEN
        elif event.kind is EventKind.REPLY:
            clock = None
            state = ThreadState.ANSWERED
        elif event.kind is EventKind.CLOSED:
            clock = None
            state = ThreadState.CLOSED
    if state is None:
        return Lifecycle(ThreadState.CLOSED, None, only_automatic=True)
    return Lifecycle(state, clock)
