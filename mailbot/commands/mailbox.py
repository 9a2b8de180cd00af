"""``mailbot mailbox ...``: check an IMAP mailbox's settings against its server.

Thin by design: each command opens config/store through :class:`App`, calls
one service function from ``mailbot.sources.imap*`` and prints its lines.
"""

from __future__ import annotations

import click

from mailbot.commands.common import App, pass_app
from mailbot.sources.imap_check import check_mailbox


@click.group("mailbox")
def mailbox_group() -> None:
    """IMAP mailboxes: check settings, login, folders and capabilities."""


@mailbox_group.command("test")
@click.argument("name")
@pass_app
def test_command(app: App, name: str) -> None:
    """Log in to mailbox NAME and check its folders and capabilities (changes nothing).

    Exits 1 when something needs fixing; each line says what.
    """
    report = check_mailbox(app.config, name)
    for line in report.lines:
        click.echo(str(line))
    if report.ok:
        click.echo(f"mailbox {name}: ready")
        return
    click.echo(f"mailbox {name}: not usable until the FAIL lines are fixed", err=True)
    raise SystemExit(1)
