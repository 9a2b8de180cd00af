"""Reading the work: the queue and one thread."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime

import click

from mailbot.commands.common import App, emit_json, format_option, pass_app
from mailbot.model import ThreadState, ThreadSummary
from mailbot.service import thread_view


def _left(summary: ThreadSummary, now: datetime) -> str:
    if summary.due_at is None:
        return "-"
    seconds = int((summary.due_at - now).total_seconds())
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    return f"{sign}{seconds // 3600}h{(seconds % 3600) // 60:02d}m"


@click.command()
@click.option("--limit", default=50, show_default=True, help="How many threads.")
@click.option("--mailbox", "mailbox_name", help="Only this mailbox.")
@click.option("--all-states", is_flag=True, help="Include answered and closed threads.")
@format_option
@pass_app
def queue(app: App, limit: int, mailbox_name: str | None, all_states: bool, fmt: str) -> None:
    """Open threads, soonest due first."""
    states = tuple(ThreadState) if all_states else (ThreadState.OPEN,)
    rows = app.store.queue(limit=limit, mailbox=mailbox_name, states=states)
    now = datetime.now(UTC)
    if fmt == "json":
        for row in rows:
            emit_json(asdict(row) | {"time_left": _left(row, now)})
        return
    if not rows:
        click.echo("the queue is empty")
        return
    click.echo(
        f"{'id':>5}  {'due (UTC)':16}  {'left':>8}  {'lang':4}  {'intent':17}  {'customer':28}  subject"
    )
    for row in rows:
        due = row.due_at.strftime("%Y-%m-%d %H:%M") if row.due_at else "-"
        flag = " [triage]" if row.needs_triage else ""
        click.echo(
            f"{row.id:>5}  {due:16}  {_left(row, now):>8}  {row.language or '-':4}  "
            f"{(row.intent or '-') + flag:17}  {row.customer[:28]:28}  {row.subject[:60]}"
        )


@click.command()
@click.argument("thread_id", type=int)
@format_option
@pass_app
def show(app: App, thread_id: int, fmt: str) -> None:
    """One thread: its messages, the draft and its findings."""
    view = thread_view(app.store, thread_id)
    if fmt == "json":
        emit_json(view)
        return
    t = view["thread"]
    click.echo(f"Thread {t['id']}: {t['subject']}")
    click.echo(f"  customer {t['customer']}  mailbox {t['mailbox']}  state {t['state']}  due {t['due_at']}")
    if t.get("due_reason"):
        click.echo(f"  due because: {t['due_reason']}")
    for m in view["messages"]:
        click.echo("")
        arrow = "<-" if m["direction"] == "inbound" else "->"
        click.echo(f"{arrow} #{m['id']} {m['received_at']} {m['sender']} [{m['language']}/{m['intent']}]")
        if m["error"]:
            click.echo(f"   error at {m['error_stage']}: {m['error']}")
        click.echo("   " + (m["new_text"] or "").strip().replace("\n", "\n   "))
    for d in view["drafts"]:
        click.echo("")
        click.echo(f"Draft #{d['id']} ({d['state']}, template {d['template']}): {d['subject']}")
        click.echo("   " + d["text"].strip().replace("\n", "\n   "))
        for f in d["findings"]:
            click.echo(
                f"   ! {f['severity']} {f['rule']} [{f['start']}:{f['end']}] {f['text']!r}: {f['message']}"
            )
