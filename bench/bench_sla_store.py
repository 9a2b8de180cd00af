"""The SLA on a big store: the soonest-due queue, the SLA sweep, the report.

A store of 1,000,000 messages in 300,000 threads (quick: 50,000 in 15,000)
is seeded directly with bulk inserts, then timed (median of several runs):

* ``queue_ms``: ``store.queue(limit=50)``, the first page of the agents' queue.
  Goal: under 20 ms.
* ``sweep_steady_ms``: ``sweep_sla`` one sweep interval (60 s) after the last
  sweep, the daemon's normal case. Goal: under 1 s.
* ``sweep_backlog_ms``: ``sweep_sla`` after the daemon was down for an hour.
* ``sweep_idle_ms``: a sweep that finds nothing to change.
* ``report_7d_ms``: the ``mailbot sla`` figures for the last 7 days.

The store's shape: threads over the last 180 days; 5% open (four in five
waiting up to 30 hours, the rest a stale backlog of up to 30 days), 60%
answered, 35% closed; 3 or 4 messages per thread; three mailboxes, four
languages, twelve intents; the default 24-hour calendar target.
"""

from __future__ import annotations

import logging
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from mailbot.commands.sla import collect_report
from mailbot.policy.response import ResponsePolicy, load_response_policy
from mailbot.sla_service import state_at, sweep_sla
from mailbot.store import Store, to_db_time

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
H = timedelta(hours=1)
TARGET, DUE_SOON = 24 * H, 18 * H
MAILBOXES = (("support", "email", 0.7), ("vip", "email", 0.2), ("letters", "letter", 0.1))
LANGUAGES = (("en", 0.4), ("nl", 0.3), ("lv", 0.15), ("th", 0.15))
INTENTS = (
    *("refund", "return_exchange", "delivery", "billing", "product_question", "technical_support"),
    *("account", "complaint", "privacy", "legal", "feedback", "other"),
)
POLICY_FILE = Path(__file__).resolve().parents[1] / "policies" / "response.toml"


BenchStore = Store  # Store includes the report queries


def _pick(rng: random.Random, table: tuple[tuple[Any, ...], ...]) -> tuple[Any, ...]:
    return rng.choices(table, weights=[row[-1] for row in table])[0]


def _open_clock_start(rng: random.Random) -> datetime:
    """Four in five open clocks started within 30 hours; the rest are a stale backlog."""
    if rng.random() < 0.8:
        return NOW - rng.uniform(0, 30) * H
    return NOW - rng.uniform(30, 30 * 24) * H


def _gap(rng: random.Random) -> timedelta:
    """Time between two messages of a thread: 12 minutes to 30 hours."""
    return rng.uniform(0.2, 30) * H


def _seed(
    store: Store, threads: int, messages: int, rng: random.Random
) -> dict[int, tuple[datetime, datetime]]:
    """Bench-only seeding: rows go straight into the tables, bypassing the pipeline.

    The pipeline would take hours for a million messages; what is timed here
    only reads the tables and indexes, which are the real ones. Foreign keys
    are off while seeding because no raw bytes are stored. Returns the open
    threads' (due_soon_at, due_at).
    """
    extra = set(rng.sample(range(threads), messages - 3 * threads))  # these threads get a 4th message
    thread_rows: list[tuple[Any, ...]] = []
    message_rows: list[tuple[Any, ...]] = []
    closing_rows: list[tuple[Any, ...]] = []
    open_due: dict[int, tuple[datetime, datetime]] = {}
    stamp = to_db_time(NOW)
    for tid in range(1, threads + 1):
        mailbox, channel, _ = _pick(rng, MAILBOXES)
        language, _ = _pick(rng, LANGUAGES)
        intent = rng.choice(INTENTS)
        roll = rng.random()
        state = "open" if roll < 0.05 else "answered" if roll < 0.65 else "closed"
        count = 4 if tid - 1 in extra else 3
        if state == "open":
            clock = _open_clock_start(rng)
            kinds = ["inbound", "outbound", "inbound", "inbound"][:count]
            answered, asked = _gap(rng), _gap(rng)  # the earlier question and our answer to it
            times = [clock - asked - answered, clock - answered, clock, clock + (NOW - clock) * rng.random()]
            times = times[:count]
        else:
            start = NOW - rng.uniform(40, 180 * 24) * H
            kinds = ["inbound", "outbound", "inbound", "outbound"][:count]
            if count == 3 and state == "answered":
                kinds = ["inbound", "inbound", "outbound"]
            times = [start]
            for _ in range(count - 1):
                times.append(times[-1] + _gap(rng))
        for kind, at in zip(kinds, times, strict=True):
            mid = len(message_rows) + 1
            message_rows.append(
                (
                    mid,
                    f"{mid:064x}",
                    "bench",
                    str(mid),
                    mailbox,
                    channel,
                    kind,
                    to_db_time(at),
                    "checked",
                    stamp,
                    f"<{mid}@bench>",
                    f"Case {tid}",
                    f"case {tid}",
                    f"c{tid}@example.com" if kind == "inbound" else f"{mailbox}@shop.example",
                    tid,
                    language if kind == "inbound" else None,
                    intent if kind == "inbound" else None,
                )
            )
        due = due_soon = None
        if state == "open":
            due_soon_at, due_at = clock + DUE_SOON, clock + TARGET
            open_due[tid] = (due_soon_at, due_at)
            due, due_soon = to_db_time(due_at), to_db_time(due_soon_at)
        if state == "closed":
            closing_rows.append((tid, to_db_time(times[-1] + H), "resolved", "bench"))
        thread_rows.append(
            (
                tid,
                mailbox,
                channel,
                f"Case {tid}",
                f"case {tid}",
                f"c{tid}@example.com",
                state,
                to_db_time(times[0]),
                stamp,
                to_db_time(max(times)),
                to_db_time(clock) if state == "open" else None,
                due,
                due_soon,
                None,  # sla_state: set by _set_states before each timing
                language,
                intent,
            )
        )
    db = store.db
    db.execute("PRAGMA foreign_keys=OFF")
    with store.transaction():
        db.conn.executemany(
            "INSERT INTO threads(id, mailbox, channel, subject, subject_key, customer, state, created_at,"
            " updated_at, last_message_at, clock_started_at, due_at, due_soon_at, sla_state, language,"
            " intent)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            thread_rows,
        )
        db.conn.executemany(
            "INSERT INTO messages(id, sha256, source, source_ref, mailbox, channel, direction, received_at,"
            " stage, updated_at, message_id, subject, subject_key, sender, thread_id, language, intent)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            message_rows,
        )
        db.conn.executemany(
            "INSERT INTO closings(thread_id, at, reason, actor) VALUES (?,?,?,?)", closing_rows
        )
    db.execute("PRAGMA foreign_keys=ON")
    db.execute("ANALYZE")
    return open_due


def _set_states(store: Store, open_due: dict[int, tuple[datetime, datetime]], as_of: datetime) -> None:
    """Put every open thread in the state the last sweep (at ``as_of``) left it; forget notices."""
    rows = [(state_at(as_of, soon, due).value, tid) for tid, (soon, due) in open_due.items()]
    with store.transaction() as db:
        db.conn.executemany("UPDATE threads SET sla_state = ? WHERE id = ?", rows)
        db.execute("DELETE FROM sla_notices")


def _median_ms(action: Callable[[], object], runs: int, reset: Callable[[], None] | None = None) -> float:
    timings = []
    for _ in range(runs):
        if reset:
            reset()
        began = time.perf_counter()
        action()
        timings.append((time.perf_counter() - began) * 1000)
    return round(statistics.median(timings), 2)


def _plan(store: Store, sql: str, params: tuple[Any, ...]) -> str:
    return " | ".join(row[3] for row in store.db.execute(f"EXPLAIN QUERY PLAN {sql}", params).fetchall())


QUEUE_SQL = (
    "SELECT t.id, (SELECT count(*) FROM messages m WHERE m.thread_id = t.id) FROM threads t"
    " WHERE t.state IN (?) ORDER BY t.due_at IS NULL, t.due_at, t.id LIMIT ?"
)
TRANSITIONS_SQL = (
    "SELECT id FROM threads WHERE state = 'open' AND due_soon_at <= ? AND coalesce(sla_state, 'ok') = 'ok'"
    " UNION SELECT id FROM threads WHERE state = 'open' AND due_at < ?"
    " AND coalesce(sla_state, 'ok') != 'breached' LIMIT ?"
)


def _time_store(
    store: Store, policy: ResponsePolicy, open_due: dict[int, tuple[datetime, datetime]]
) -> dict[str, float | str]:
    """Queue and sweep timings on the store as it is indexed now."""
    steady, backlog = NOW - timedelta(seconds=60), NOW - H

    def transitions(as_of: datetime) -> float:
        _set_states(store, open_due, as_of)
        return float(sweep_sla(store, policy, NOW).transitions)

    stamp = to_db_time(NOW)
    return {
        "queue_ms": _median_ms(lambda: store.queue(limit=50), 21),
        "sweep_steady_ms": _median_ms(
            lambda: sweep_sla(store, policy, NOW), 5, lambda: _set_states(store, open_due, steady)
        ),
        "sweep_steady_transitions": transitions(steady),
        "sweep_backlog_1h_ms": _median_ms(
            lambda: sweep_sla(store, policy, NOW), 3, lambda: _set_states(store, open_due, backlog)
        ),
        "sweep_backlog_1h_transitions": transitions(backlog),
        "sweep_idle_ms": _median_ms(lambda: sweep_sla(store, policy, NOW), 5),
        "queue_plan": _plan(store, QUEUE_SQL, ("open", 50)),
        "sweep_plan": _plan(store, TRANSITIONS_SQL, (stamp, stamp, 10_000)),
    }


def run(quick: bool = False) -> dict[str, float | str]:
    """Seed, then time the queue, the sweeps and the 7-day report."""
    threads, messages = (15_000, 50_000) if quick else (300_000, 1_000_000)
    rng = random.Random(20261123)
    logging.getLogger("mailbot.sla_service").setLevel(logging.ERROR)  # one warning per notice otherwise
    policy = load_response_policy(POLICY_FILE)
    with tempfile.TemporaryDirectory() as tmp:
        store = BenchStore(Path(tmp) / "bench.sqlite3")
        began = time.perf_counter()
        open_due = _seed(store, threads, messages, rng)
        seed_s = time.perf_counter() - began
        now_figures = _time_store(store, policy, open_due)
        since = NOW - 7 * 24 * H
        report_ms = _median_ms(lambda: collect_report(store, policy, now=NOW, since=since, by=None), 3)
        store.close()
    return {
        "messages": float(messages),
        "threads": float(threads),
        "open_threads": float(len(open_due)),
        "seed_s": round(seed_s, 1),
        "goal_queue_ms": 20.0,
        "goal_sweep_ms": 1000.0,
        **now_figures,
        "report_7d_ms": report_ms,
    }


if __name__ == "__main__":
    import sys

    for name, value in run(quick="--quick" in sys.argv).items():
        print(f"{name}: {value}")
