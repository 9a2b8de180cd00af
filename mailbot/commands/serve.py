"""``mailbot serve``: the review UI alone, without polling or the pipeline."""

from __future__ import annotations

import asyncio
import sys

import click

from mailbot.commands.common import App, pass_app
from mailbot.logs import configure_logging


@click.command()
@click.option("--host", default=None, help="Listen on this address (default: [web] host).")
@click.option("--port", type=int, default=None, help="Listen on this port (default: [web] port).")
@pass_app
def serve(app: App, host: str | None, port: int | None) -> None:
    """Serve the review UI only (run `mailbot run --no-web` beside it for the daemon's work).

    Stops on SIGTERM or Ctrl-C.
    """
    from mailbot.web.server import serve as serve_ui

    config = app.config
    configure_logging(app.extras.get("log_level") or config.settings.daemon.log_level, stream=sys.stderr)
    asyncio.run(serve_ui(config, app.store, host=host, port=port, own_signals=True))
