"""Pages as plain data: the queue with its filters and counts, one thread, the review list.

These functions read the store and return dicts and dataclasses for the
templates; they render nothing and know nothing of HTTP, so they are tested
directly and reused by more than one page.
"""

from __future__ import annotations

import difflib
import html
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from markupsafe import Markup

from mailbot.model import DraftState, ThreadState, ThreadSummary
from mailbot.service import thread_view
from mailbot.sla import SlaState
from mailbot.sla_service import state_at
from mailbot.store import Store, from_db_time

QUEUE_SCAN = 5000
QUEUE_SHOWN = 200


@dataclass(frozen=True)
class QueueFilter:
    """What the agent narrowed the queue to (empty strings mean "any")."""

    mailbox: str = ""
    language: str = ""
    intent: str = ""
    state: str = "open"
    triage: bool = False
    approval: bool = False

    @classmethod
    def from_query(cls, query: dict[str, str]) -> QueueFilter:
        state = query.get("state", "open")
        return cls(
            mailbox=query.get("mailbox", ""),
            language=query.get("language", ""),
            intent=query.get("intent", ""),
            state=state if state in {"open", "answered", "closed", "all"} else "open",
            triage=query.get("triage") == "1",
            approval=query.get("approval") == "1",
        )

    @property
    def states(self) -> tuple[ThreadState, ...]:
        return tuple(ThreadState) if self.state == "all" else (ThreadState(self.state),)

    @property
    def active(self) -> bool:
        return self != QueueFilter()


@dataclass(frozen=True)
class QueueRow:
    thread: ThreadSummary
    sla: str | None
    needs_approval: bool


@dataclass
class QueuePage:
    rows: list[QueueRow]
    counts: dict[str, int]
    matched: int
    mailboxes: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    intents: list[str] = field(default_factory=list)


def sla_of(store: Store, thread: ThreadSummary, now: datetime) -> str | None:
    """ok / due_soon / breached for an open thread with a clock, else None."""
    if thread.state is not ThreadState.OPEN or thread.due_at is None:
        return None
    due_soon = from_db_time(store.thread_row(thread.id)["due_soon_at"]) or thread.due_at
    return state_at(now, due_soon, thread.due_at).value


def queue_page(store: Store, wanted: QueueFilter, mailboxes: list[str], now: datetime) -> QueuePage:
    """Threads matching the filter, soonest due first, with the counts of all open work."""
    approval_threads = {
        d["thread_id"] for d in store.drafts_in_state(DraftState.NEEDS_APPROVAL, limit=QUEUE_SCAN)
    }
    open_threads = store.queue(limit=QUEUE_SCAN, states=(ThreadState.OPEN,))
    sla = {t.id: sla_of(store, t, now) for t in open_threads}
    states = Counter(sla.values())
    counts = {
        "open": len(open_threads),
        "breached": states[SlaState.BREACHED.value],
        "due_soon": states[SlaState.DUE_SOON.value],
        "triage": sum(t.needs_triage for t in open_threads),
        "approval": sum(t.id in approval_threads for t in open_threads),
    }
    pool = (
        open_threads
        if wanted.states == (ThreadState.OPEN,)
        else store.queue(limit=QUEUE_SCAN, states=wanted.states)
    )
    matched = [
        t
        for t in pool
        if (not wanted.mailbox or t.mailbox == wanted.mailbox)
        and (not wanted.language or t.language == wanted.language)
        and (not wanted.intent or t.intent == wanted.intent)
        and (not wanted.triage or t.needs_triage)
        and (not wanted.approval or t.id in approval_threads)
    ]
    rows = [
        QueueRow(t, sla[t.id] if t.id in sla else sla_of(store, t, now), t.id in approval_threads)
        for t in matched[:QUEUE_SHOWN]
    ]
    return QueuePage(
        rows=rows,
        counts=counts,
        matched=len(matched),
        mailboxes=mailboxes,
        languages=sorted({t.language for t in pool if t.language}),
        intents=sorted({t.intent for t in pool if t.intent}),
    )


def thread_page(store: Store, thread_id: int, now: datetime) -> dict[str, Any]:
    """The thread view of the service layer, plus what the page shows beside it."""
    view = thread_view(store, thread_id)
    summary = store.thread(thread_id)
    view["summary"] = summary
    view["sla"] = sla_of(store, summary, now)
    for message in view["messages"]:
        message["has_html"] = bool(store.message_detail(message["id"]).get("html"))
        message["entities"] = [e for e in message.get("entities") or [] if isinstance(e, dict)]
    current = [
        d for d in view["drafts"] if d["state"] not in (DraftState.SENT.value, DraftState.DISCARDED.value)
    ]
    view["current"] = current[-1] if current else None
    if view["current"] is not None:
        view["current"]["marked"] = highlight(view["current"]["text"], view["current"]["findings"])
    for entry in view["audit"]:
        entry["detail_text"] = _detail_text(entry.get("detail"))
    return view


def _detail_text(detail: str | None) -> str:
    """The audit detail's reason or comment, the part people want to read."""
    import json

    if not detail:
        return ""
    try:
        data = json.loads(detail)
    except ValueError:
        return ""
    if not isinstance(data, dict):
        return ""
    parts = [f"{key}: {data[key]}" for key in ("reason", "comment", "state_after") if data.get(key)]
    return "; ".join(str(p) for p in parts)


def review_items(store: Store) -> list[dict[str, Any]]:
    """Drafts waiting for a compliance reviewer, oldest first, with their context."""
    items = []
    for draft in store.drafts_in_state(DraftState.NEEDS_APPROVAL, limit=500):
        thread = store.thread(draft["thread_id"])
        message = store.message_detail(draft["message_id"])
        items.append(
            {
                "draft": draft,
                "thread": thread,
                "message": message,
                "findings": [asdict(f) for f in store.findings(draft["id"])],
                "diff": word_diff(draft["template_text"], draft["text"]),
                "marked": highlight(draft["text"], [asdict(f) for f in store.findings(draft["id"])]),
            }
        )
    return items


_WORDS = re.compile(r"\s+|[^\s]+")


def highlight(text: str, findings: list[dict[str, Any]]) -> Markup:
    """``text`` with each finding's span wrapped in ``<mark>`` (overlaps clipped), escaped."""
    out: list[str] = []
    at = 0
    for f in sorted(findings, key=lambda f: (f["start"], -f["end"])):
        start, end = max(int(f["start"]), at), min(int(f["end"]), len(text))
        if end <= start:
            continue
        out.append(html.escape(text[at:start]))
        title = html.escape(str(f["message"]), quote=True)
        severity = html.escape(str(f["severity"]), quote=True)
        out.append(f'<mark class="{severity}" title="{title}">{html.escape(text[start:end])}</mark>')
        at = end
    out.append(html.escape(text[at:]))
    return Markup("".join(out))  # noqa: S704 - every piece of text was escaped above


def word_diff(before: str, after: str) -> Markup:
    """HTML of ``after`` with words added (``<ins>``) and removed (``<del>``) since ``before``.

    Every piece of text is escaped here; the markup is only ours.
    """
    old, new = _WORDS.findall(before), _WORDS.findall(after)
    out: list[str] = []
    for op, a1, a2, b1, b2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(html.escape("".join(new[b1:b2])))
            continue
        if op in ("delete", "replace"):
            out.append(f"<del>{html.escape(''.join(old[a1:a2]))}</del>")
        if op in ("insert", "replace"):
            out.append(f"<ins>{html.escape(''.join(new[b1:b2]))}</ins>")
    return Markup("".join(out))  # noqa: S704 - every piece of text was escaped above
