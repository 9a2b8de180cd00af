"""Accounts: ``mailbot user add/passwd/disable/enable/list``."""

from __future__ import annotations

import os

import click

from mailbot import users
from mailbot.commands.common import App, emit_json, format_option, pass_app
from mailbot.gate import Role

PASSWORD_ENV = "MAILBOT_NEW_PASSWORD"  # noqa: S105 - the name of a variable


def _password() -> str:
    """From $MAILBOT_NEW_PASSWORD (for scripts), else asked twice without echo."""
    given = os.environ.get(PASSWORD_ENV)
    if given:
        return given
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))


@click.group()
def user() -> None:
    """People's accounts and roles (agent, compliance, admin)."""


@user.command("add")
@click.argument("name")
@click.option(
    "--role", type=click.Choice([r.value for r in Role]), required=True, help="What the person may do."
)
@pass_app
def add(app: App, name: str, role: str) -> None:
    """Add an account; the password is asked for (or read from $MAILBOT_NEW_PASSWORD)."""
    users.add_user(app.store, name, Role(role), _password())
    click.echo(f"added {name} ({role})")


@user.command("passwd")
@click.argument("name")
@pass_app
def passwd(app: App, name: str) -> None:
    """Set a new password (also lifts a lock-out)."""
    users.set_password(app.store, name, _password())
    click.echo(f"password of {name} changed")


@user.command("disable")
@click.argument("name")
@pass_app
def disable(app: App, name: str) -> None:
    """Stop an account from logging in or acting (its history stays)."""
    users.set_disabled(app.store, name, disabled=True)
    click.echo(f"{name} disabled")


@user.command("enable")
@click.argument("name")
@pass_app
def enable(app: App, name: str) -> None:
    """Allow a disabled account again."""
    users.set_disabled(app.store, name, disabled=False)
    click.echo(f"{name} enabled")


@user.command("list")
@format_option
@pass_app
def list_users(app: App, fmt: str) -> None:
    """Every account with its role and whether it is disabled or locked."""
    for row in app.store.users():
        if fmt == "json":
            emit_json(row)
        else:
            flags = " disabled" if row["disabled"] else ""
            flags += f" locked until {row['locked_until']}" if row["locked_until"] else ""
            click.echo(f"{row['name']:20} {row['role']:11}{flags}")
