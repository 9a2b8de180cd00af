"""Config loading: every kind of mistake gives one clear error naming file, line and key."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from mailbot.config import find_config_file, load_config, secret
from mailbot.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]

GOOD = """
[store]
path = "var/x.sqlite3"

[[mailboxes]]
name = "support"
address = "Support@Example.com"

[[folders]]
name = "inbox"
path = "inbox"
mailbox = "support"
"""


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "inbox").mkdir(exist_ok=True)
    (tmp_path / "policies").mkdir(exist_ok=True)
    path = tmp_path / "config.toml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_example_config_is_valid() -> None:
    config = load_config(ROOT / "config.example.toml")
    assert config.store_path == ROOT / "var" / "mailbot.sqlite3"
    assert config.settings.folders[0].path == "examples/inbox"
    assert "support@demo.mailbot.example" in config.own_addresses


def test_paths_resolve_relative_to_the_file(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, GOOD))
    assert config.store_path == tmp_path / "var" / "x.sqlite3"
    assert config.resolve("inbox") == tmp_path / "inbox"
    assert config.own_addresses == frozenset({"support@example.com"})


@pytest.mark.parametrize(
    ("text", "marker", "key", "reason"),
    [
        (GOOD + "\n[daemon]\nsweep = 3\n", "sweep", "daemon.sweep", "unknown key"),
        (
            GOOD + "\n[daemon]\npipeline_interval = -1\n",
            "pipeline_interval",
            "daemon.pipeline_interval",
            "greater than 0",
        ),
        (GOOD + '\n[daemon]\nlog_level = "LOUD"\n', "LOUD", "daemon.log_level", "Input should be"),
        (
            GOOD.replace('mailbox = "support"', 'mailbox = "sales"'),
            "sales",
            "folders[0].mailbox",
            "unknown mailbox",
        ),
        (
            GOOD.replace('address = "Support@Example.com"', 'address = "nobody"'),
            "nobody",
            "mailboxes[0].address",
            "pattern",
        ),
        (
            GOOD.replace('path = "inbox"', 'path = "nowhere"'),
            "nowhere",
            "folders[0].path",
            "folder does not exist",
        ),
        (
            GOOD + '\n[[mailboxes]]\nname = "support"\naddress = "b@example.com"\n',
            'name = "support"',
            "mailboxes[1].name",
            "duplicate mailbox name",
        ),
        (
            GOOD + '\n[mailboxes.imap]\nhost = "h"\nusername = "u"\npassword = "hunter2"\n',
            "hunter2",
            "mailboxes[0].imap.password",
            "secrets are not allowed",
        ),
        (
            GOOD + '\n[mailboxes.imap]\nhost = "h"\nusername = "u"\n',
            "[mailboxes.imap]",
            "mailboxes[0].imap",
            "needs password_env or oauth2_token_env",
        ),
        (GOOD + '\n[store]\npath = "twice"\n', "[store]", None, "declare"),
        (GOOD + "\n[web\n", "[web", None, "invalid TOML"),
        ('[store]\npath = "x"\n', None, "mailboxes", "required key is missing"),
    ],
)
def test_each_mistake_is_named(
    tmp_path: Path, text: str, marker: str | None, key: str | None, reason: str
) -> None:
    path = write(tmp_path, text)
    lines = textwrap.dedent(text).splitlines()
    line = max(i for i, content in enumerate(lines, 1) if marker in content) if marker else None
    with pytest.raises(ConfigError) as info:
        load_config(path)
    error = info.value
    assert error.path == str(path)
    assert error.line == line, str(error)
    assert error.key == key
    assert reason in str(error)
    assert str(error).startswith(str(path))


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found") as info:
        load_config(tmp_path / "absent.toml")
    assert info.value.path == str(tmp_path / "absent.toml")


def test_config_file_resolution(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MAILBOT_CONFIG", raising=False)
    with pytest.raises(ConfigError, match="no configuration"):
        find_config_file(None)
    (tmp_path / "config.toml").write_text("")
    assert find_config_file(None) == tmp_path / "config.toml"
    monkeypatch.setenv("MAILBOT_CONFIG", "/etc/other.toml")
    assert find_config_file(None) == Path("/etc/other.toml")
    assert find_config_file("given.toml") == tmp_path / "given.toml"


def test_secrets_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MB_TEST_PW", "s3cret")
    assert secret("MB_TEST_PW") == "s3cret"
    assert secret("MB_TEST_ABSENT") is None
    assert secret(None) is None
