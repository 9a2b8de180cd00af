"""The CLI is documented: every command has help, every config key is in the example."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from pydantic import BaseModel

from mailbot.cli import cli
from mailbot.config import ConfigFile

ROOT = Path(__file__).resolve().parents[1]


def commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], click.Command]]:
    found = []
    for name, command in sorted(group.commands.items()):
        found.append(((*prefix, name), command))
        if isinstance(command, click.Group):
            found.extend(commands(command, (*prefix, name)))
    return found


ALL = commands(cli)


@pytest.mark.parametrize(("path", "command"), ALL, ids=[" ".join(p) for p, _ in ALL])
def test_every_command_has_help(path: tuple[str, ...], command: click.Command) -> None:
    assert command.help and len(command.help.strip()) > 20, path
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage: " in result.output


def test_foundation_commands_exist() -> None:
    names = {" ".join(p) for p, _ in ALL}
    assert {"run", "ingest", "poll", "queue", "show", "errors", "retry", "policy check"} <= names


def test_commands_are_named_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [" ".join(p) for p, _ in ALL if f"mailbot {' '.join(p)}" not in readme]
    assert missing == []


def keys(model: type[BaseModel]) -> set[str]:
    out: set[str] = set()
    for name, field in model.model_fields.items():
        out.add(name)
        annotation = field.annotation
        for inner in getattr(annotation, "__args__", ()) or (annotation,):
            for candidate in getattr(inner, "__args__", ()) or (inner,):
                if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                    out |= keys(candidate)
    return out


def test_every_config_key_is_documented_in_the_example() -> None:
    example = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    written = set(re.findall(r"^(?:#\s*)*([a-z_0-9]+)\s*=", example, re.MULTILINE))
    tables = set(re.findall(r"^#?\s*\[\[?(?:[a-z_]+\.)*([a-z_]+)\]\]?", example, re.MULTILINE))
    assert keys(ConfigFile) - written - tables == set()


def test_errors_are_one_line_without_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "config.toml"
    bad.write_text("[store]\npath = 3\n")
    result = CliRunner().invoke(cli, ["--config", str(bad), "queue"])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert f"mailbot: error: {bad}:2: store.path: Input should be a valid string" in result.output
