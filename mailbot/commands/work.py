"""Acting on drafts and threads from the CLI, as a named user with the same role checks as the UI.

Every command takes ``--as NAME``; the account must exist and be enabled.
The CLI trusts whoever can run it on the machine (it already has the store
file), so it checks the role, not a password.
"""

from __future__ import annotations

from pathlib import Path

import click

from mailbot import actions, service, users
from mailbot.commands.common import App, pass_app
from mailbot.pipeline import PipelineContext

as_option = click.option("--as", "as_user", required=True, metavar="NAME", help="Act as this user.")


def _context(app: App) -> PipelineContext:
    return service.build_context(app.config)


def _report(outcome: actions.DraftOutcome) -> None:
    click.echo(
        f"draft {outcome.draft_id}: {outcome.state.value} "
        f"({outcome.blockers} blocker(s), {outcome.warnings} warning(s))"
    )


@click.group()
def reply() -> None:
    """Work on a drafted reply: edit, acknowledge, approve, return, send, discard."""


@reply.command("edit")
@click.argument("draft_id", type=int)
@click.option(
    "--file",
    "file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="The new text of the reply (UTF-8).",
)
@as_option
@pass_app
def edit(app: App, draft_id: int, file: Path, as_user: str) -> None:
    """Replace a draft's text from a file; wording findings are recomputed."""
    who = users.actor(app.store, as_user)
    _report(actions.edit_draft(app.store, _context(app), who, draft_id, file.read_text(encoding="utf-8")))


@reply.command("acknowledge")
@click.argument("draft_id", type=int)
@as_option
@pass_app
def acknowledge(app: App, draft_id: int, as_user: str) -> None:
    """Confirm you have read the warnings on the draft's current text."""
    who = users.actor(app.store, as_user)
    _report(actions.acknowledge(app.store, _context(app), who, draft_id))


@reply.command("approve")
@click.argument("draft_id", type=int)
@click.option("--reason", required=True, help="Why this wording is acceptable (kept in the audit log).")
@as_option
@pass_app
def approve(app: App, draft_id: int, reason: str, as_user: str) -> None:
    """Approve a draft that needs approval (compliance reviewers only)."""
    who = users.actor(app.store, as_user)
    _report(actions.approve(app.store, _context(app), who, draft_id, reason))


@reply.command("return")
@click.argument("draft_id", type=int)
@click.option("--comment", required=True, help="What the agent should change.")
@as_option
@pass_app
def return_(app: App, draft_id: int, comment: str, as_user: str) -> None:
    """Send a draft back to the agent with a comment (compliance reviewers only)."""
    who = users.actor(app.store, as_user)
    _report(actions.return_draft(app.store, _context(app), who, draft_id, comment))


@reply.command("send")
@click.argument("draft_id", type=int)
@as_option
@pass_app
def send(app: App, draft_id: int, as_user: str) -> None:
    """Queue the reply for sending (e-mail) or printing (letter), once."""
    who = users.actor(app.store, as_user)
    _report(actions.send(app.store, _context(app), who, draft_id))


@reply.command("discard")
@click.argument("draft_id", type=int)
@click.option("--reason", required=True, help="Why no reply is sent from this draft.")
@as_option
@pass_app
def discard(app: App, draft_id: int, reason: str, as_user: str) -> None:
    """Throw a draft away (it stays in the audit log)."""
    who = users.actor(app.store, as_user)
    _report(actions.discard(app.store, _context(app), who, draft_id, reason))


@click.group()
def thread() -> None:
    """Act on a whole conversation: close it with a reason."""


@thread.command("close")
@click.argument("thread_id", type=int)
@click.option("--reason", required=True, help="Why no (further) reply is needed.")
@as_option
@pass_app
def close(app: App, thread_id: int, reason: str, as_user: str) -> None:
    """Close a thread with a reason; this stops its response clock."""
    who = users.actor(app.store, as_user)
    actions.close_thread(app.store, _context(app), who, thread_id, reason)
    click.echo(f"thread {thread_id} closed")


@click.group()
def message() -> None:
    """Act on one message: correct its intent."""


@message.command("intent")
@click.argument("message_id", type=int)
@click.argument("intent")
@as_option
@pass_app
def intent(app: App, message_id: int, intent: str, as_user: str) -> None:
    """Correct a message's intent (stored for retraining; an untouched draft is re-drafted)."""
    who = users.actor(app.store, as_user)
    policies = service.load_policies(app.config)
    ctx = service.build_context(app.config, policies)
    actions.correct_intent(app.store, ctx, who, message_id, intent, policies.intents.names)
    service.process_pending(app.config, app.store, ctx)
    click.echo(f"message {message_id}: intent {intent}")


@click.group()
def letter() -> None:
    """Reply letters on paper: mark a printed letter as posted."""


@letter.command("posted")
@click.argument("draft_id", type=int)
@as_option
@pass_app
def posted(app: App, draft_id: int, as_user: str) -> None:
    """Mark a printed reply letter as posted; this answers the thread and stops its clock."""
    who = users.actor(app.store, as_user)
    _report(actions.mark_posted(app.store, _context(app), who, draft_id))
