"""Checking the admin's policy files before they go live."""

from __future__ import annotations

import click

from mailbot import service
from mailbot.commands.common import App, pass_app


@click.group()
def policy() -> None:
    """Response policy, wording rules and intents (policies/*.toml)."""


@policy.command("check")
@pass_app
def check(app: App) -> None:
    """Validate config.toml and every policy file; report the first problem per file."""
    problems = service.check_policies(app.config)
    for name, problem in problems:
        if problem is None:
            click.echo(f"ok     {name}")
        else:
            click.echo(f"error  {problem}")
    if any(problem for _, problem in problems):
        raise SystemExit(2)
