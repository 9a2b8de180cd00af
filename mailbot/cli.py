"""The ``mailbot`` command: a thin layer over mailbot's service functions.

Every command opens what it needs through :class:`~mailbot.commands.common.App`
and turns mailbot's own errors into one clear line on standard error (exit
status 2), never a traceback.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import click

from mailbot import __version__
from mailbot.commands.common import App
from mailbot.commands.inbox import errors_cmd, ingest, poll, retry
from mailbot.commands.people import user
from mailbot.commands.policy import policy
from mailbot.commands.run import run
from mailbot.commands.threads import queue, show
from mailbot.commands.work import letter, message, reply, thread
from mailbot.errors import MailbotError
from mailbot.logs import configure_logging


class MailbotGroup(click.Group):
    """A click group that reports MailbotError as a clean message."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except MailbotError as exc:
            click.echo(f"mailbot: error: {exc}", err=True)
            ctx.exit(2)
        finally:
            app = ctx.find_object(App)
            if app is not None:
                app.close()


@click.group(cls=MailbotGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    envvar="MAILBOT_CONFIG",
    metavar="FILE",
    help="Config file (default: $MAILBOT_CONFIG, else ./config.toml).",
)
@click.option(
    "--log-level",
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]),
    default=None,
    help="Override the log level from the config.",
)
@click.version_option(__version__, prog_name="mailbot")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, log_level: str | None) -> None:
    """mailbot: correspondence assistant for written customer support.

    Reads customer e-mail and scanned letters, drafts replies from an approved
    phrasebank, checks their wording, and tracks every conversation against
    the response policy. People review and send.
    """
    ctx.obj = App(config_path)
    configure_logging(log_level or "WARNING", stream=sys.stderr)
    ctx.obj.extras["log_level"] = log_level


for command in (
    run,
    ingest,
    poll,
    queue,
    show,
    errors_cmd,
    retry,
    policy,
    user,
    reply,
    thread,
    message,
    letter,
):
    cli.add_command(command)


def _register_optional() -> None:
    """Commands from capability modules, registered when present."""
    from importlib import import_module

    for module, names in (
        ("mailbot.commands.lint", ("lint",)),
        ("mailbot.commands.draft", ("draft", "phrasebank")),
        ("mailbot.commands.mailbox", ("mailbox_group",)),
        ("mailbot.commands.sla", ("sla",)),
        ("mailbot.commands.outbox", ("outbox",)),
        ("mailbot.commands.serve", ("serve",)),
        ("mailbot.commands.intents", ("train", "evaluate", "classify")),
        ("mailbot.commands.bench", ("bench",)),
    ):
        try:
            loaded = import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
            continue
        for name in names:
            command = getattr(loaded, name, None)
            if isinstance(command, click.Command):
                cli.add_command(command)


_register_optional()


def main() -> None:
    """Console entry point."""
    logging.captureWarnings(capture=True)
    cli(prog_name="mailbot")
