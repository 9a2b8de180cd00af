"""What every CLI command shares: the loaded config, the store, output helpers.

Commands stay thin: they open what they need through :class:`App`, call one
service function, and print. Config and store are opened lazily so that
``--help`` and commands that need neither (``lint`` on a file) work without
a config.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import update_wrapper
from pathlib import Path
from typing import Any, TypeVar, cast

import click

from mailbot.config import Config, find_config_file, load_config
from mailbot.store import Store

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class App:
    """Lazily opened config and store for one CLI invocation."""

    config_path: str | None
    _config: Config | None = None
    _store: Store | None = None
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def config(self) -> Config:
        if self._config is None:
            self._config = load_config(find_config_file(self.config_path))
        return self._config

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = Store(self.config.store_path)
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None


def pass_app(func: F) -> F:
    """Give a command the :class:`App` of this invocation as first argument."""

    @click.pass_context
    def wrapper(ctx: click.Context, /, *args: Any, **kwargs: Any) -> Any:
        return ctx.invoke(func, ctx.ensure_object(App), *args, **kwargs)

    return cast(F, update_wrapper(wrapper, func))


format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Output format; json prints one object per line.",
)


def emit_json(obj: Any) -> None:
    """One JSON object per line on standard output."""
    click.echo(json.dumps(obj, ensure_ascii=False, default=str))


def read_inputs(files: tuple[str, ...]) -> list[tuple[str, bytes]]:
    """Files named on the command line, or standard input for ``-`` / none."""
    if not files or files == ("-",):
        return [("-", sys.stdin.buffer.read())]
    out = []
    for name in files:
        if name == "-":
            out.append(("-", sys.stdin.buffer.read()))
        else:
            out.append((name, Path(name).read_bytes()))
    return out
