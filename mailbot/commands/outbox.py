"""``mailbot outbox``: see what is queued, failing or unknown, and settle ``unknown`` replies.

Thin: each command opens the store through :class:`App` and calls one
function of :mod:`mailbot.outbox`. Sending itself is the daemon's job.
"""

from __future__ import annotations

import getpass
from typing import Any

import click

from mailbot import gate, users
from mailbot.commands.common import App, emit_json, format_option, pass_app
from mailbot.errors import MailbotError
from mailbot.outbox import OutboxStore, resolve_unknown
from mailbot.store.outbox import OutboxItem, OutboxQueries, OutboxState


def _store(app: App) -> OutboxStore:
    store = app.store
    if not isinstance(store, OutboxQueries):
        raise MailbotError("this store has no outbox (mailbot.store.Store lacks OutboxQueries)")
    return store


def _row(item: OutboxItem) -> dict[str, Any]:
    return {
        "id": item.id,
        "state": item.state.value,
        "draft": item.draft_id,
        "thread": item.thread_id,
        "mailbox": item.mailbox,
        "to": item.to_addr,
        "subject": item.subject,
        "message_id": item.message_id,
        "attempts": item.attempts,
        "next_attempt_at": item.next_attempt_at.isoformat() if item.state is OutboxState.QUEUED else None,
        "sent_at": item.sent_at.isoformat() if item.sent_at else None,
        "last_error": item.last_error,
        "server": item.smtp_response,
        "followup": item.followup.value if item.followup else None,
        "followup_error": item.followup_error,
    }


def _line(item: OutboxItem) -> str:
    head = f"{item.id:>6}  {item.state.value:<8} {item.to_addr}  {item.subject[:50]!r}"
    if item.state is OutboxState.QUEUED and item.attempts:
        head += f"  (attempt {item.attempts}, next {item.next_attempt_at:%Y-%m-%d %H:%M}Z)"
    if item.state in (OutboxState.FAILED, OutboxState.UNKNOWN, OutboxState.QUEUED) and item.last_error:
        head += f"\n        {item.last_error}"
    if item.state is OutboxState.SENT and item.followup_error:
        head += f"\n        sent; but {item.followup_error}"
    return head


@click.group("outbox")
def outbox() -> None:
    """Replies on their way out: queued, sending, sent, failed, unknown."""


@outbox.command("list")
@click.option(
    "--state",
    "states",
    multiple=True,
    type=click.Choice([s.value for s in OutboxState]),
    help="Only these states (repeatable); default: everything not sent.",
)
@click.option("--limit", default=200, show_default=True, help="At most this many rows.")
@format_option
@pass_app
def list_command(app: App, states: tuple[str, ...], limit: int, fmt: str) -> None:
    """List outbox items, oldest first; failed and unknown ones need a person."""
    wanted = [OutboxState(s) for s in states] or [s for s in OutboxState if s is not OutboxState.SENT]
    items = _store(app).outbox_items(states=wanted, limit=limit)
    for item in items:
        if fmt == "json":
            emit_json(_row(item))
        else:
            click.echo(_line(item))
    if fmt == "text" and not items:
        click.echo("outbox: nothing in " + ", ".join(s.value for s in wanted))


@outbox.command("resolve")
@click.argument("outbox_id", type=int)
@click.option("--sent", "decision", flag_value="sent", help="It did reach the customer: record it as sent.")
@click.option("--resend", "decision", flag_value="resend", help="It did not: send the same message again.")
@click.option("--as", "as_user", metavar="NAME", help="Act as this user (default: the login name).")
@pass_app
def resolve_command(app: App, outbox_id: int, decision: str | None, as_user: str | None) -> None:
    """Settle an UNKNOWN reply (the connection broke, or mailbot stopped, while sending).

    Check the customer's mailbox, the SMTP server's log or the Sent folder
    first: --resend may give the customer the message twice.
    """
    if decision not in ("sent", "resend"):
        raise click.UsageError("say what happened: --sent or --resend")
    store = _store(app)
    if as_user is not None:
        who = users.actor(app.store, as_user)
        if who.role not in gate.SENDERS:
            raise gate.PermissionDenied(
                f"only agent or admin may resolve outbox items (you are {who.role.value})"
            )
        actor, role = who.name, who.role.value
    else:
        actor, role = f"cli:{getpass.getuser()}", "cli"
    item = resolve_unknown(
        app.config,
        store,
        outbox_id,
        decision="sent" if decision == "sent" else "resend",
        actor=actor,
        role=role,
    )
    click.echo(f"outbox {item.id}: {item.state.value}")
