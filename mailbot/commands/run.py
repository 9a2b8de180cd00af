"""``mailbot run``: the daemon."""

from __future__ import annotations

import asyncio

import click

from mailbot.commands.common import App, pass_app
from mailbot.daemon import Daemon
from mailbot.logs import configure_logging


@click.command()
@click.option("--no-web", is_flag=True, help="Do not serve the review UI.")
@pass_app
def run(app: App, no_web: bool) -> None:
    """Run the daemon: poll sources, process messages, watch the SLA, serve the UI.

    Stops cleanly on SIGTERM or Ctrl-C; SIGHUP reloads the policy files.
    """
    config = app.config
    import sys

    configure_logging(app.extras.get("log_level") or config.settings.daemon.log_level, stream=sys.stderr)
    asyncio.run(Daemon(config, with_web=not no_web).run())
