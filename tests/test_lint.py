"""``mailbot lint``: text and JSON output, exit codes, language detection fallback."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType

import click
import pytest
from click.testing import CliRunner, Result

from mailbot.commands.lint import detect_language, make_lint_command, position
from mailbot.policy.wording import load_wording_policy
from mailbot.wording import WordingChecker

RULES = """
[categories]
guarantee = "g"
tone = "t"

[[rules]]
id = "promise"
kind = "existence"
category = "guarantee"
severity = "blocker"
languages = ["en", "nl"]
message = "Do not promise"
suggestions = ["We expect"]
patterns = ["we guarantee", "garanderen"]

[[rules]]
id = "obviously"
kind = "existence"
category = "tone"
severity = "warning"
languages = ["en"]
message = "Condescending"
patterns = ["obviously"]

[[rules]]
id = "note"
kind = "existence"
category = "tone"
severity = "info"
languages = ["en"]
message = "Just a note"
patterns = ["maybe"]
"""


@pytest.fixture
def rules(tmp_path: Path) -> Path:
    path = tmp_path / "rules.toml"
    path.write_text(RULES, encoding="utf-8")
    return path


@pytest.fixture
def seen() -> list[Path]:
    """The rules paths the lint command asked its factory for."""
    return []


@pytest.fixture
def lint(seen: list[Path]) -> click.Command:
    def factory(path: Path) -> WordingChecker:
        seen.append(path)
        return WordingChecker(load_wording_policy(path))

    return make_lint_command(factory)


def run(command: click.Command, args: list[str], stdin: str | None = None) -> Result:
    return CliRunner().invoke(command, args, input=stdin)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("All good here.", 0),
        ("Maybe tomorrow.", 0),
        ("Obviously not.", 1),
        ("Obviously we guarantee it.", 2),
    ],
)
def test_exit_code_is_the_worst_severity(lint: click.Command, rules: Path, text: str, code: int) -> None:
    result = run(lint, ["--lang", "en", "--rules", str(rules), "-"], stdin=text)
    assert result.exit_code == code, result.output


def test_text_output_is_vale_like(lint: click.Command, rules: Path, tmp_path: Path) -> None:
    draft = tmp_path / "draft.txt"
    draft.write_text("Hello.\nObviously, we guarantee it.\n", encoding="utf-8")
    result = run(lint, ["--lang", "en", "--rules", str(rules), str(draft)])
    lines = result.stdout.splitlines()
    assert lines == [
        f"{draft}:2:1: warning obviously Condescending",
        f"{draft}:2:12: blocker promise Do not promise (try: We expect)",
        "1 blockers, 1 warnings, 0 info in 1 file",
    ]
    assert result.exit_code == 2


def test_json_output_one_object_per_file(lint: click.Command, rules: Path, tmp_path: Path) -> None:
    first = tmp_path / "a.txt"
    first.write_text("we guarantee", encoding="utf-8")
    second = tmp_path / "b.txt"
    second.write_text("fine", encoding="utf-8")
    result = run(lint, ["--lang", "en", "--format", "json", "--rules", str(rules), str(first), str(second)])
    objects = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["file"] for o in objects] == [str(first), str(second)]
    assert objects[0]["language"] == "en"
    assert objects[0]["findings"] == [
        {
            "rule": "promise",
            "category": "guarantee",
            "severity": "blocker",
            "start": 0,
            "end": 12,
            "text": "we guarantee",
            "message": "Do not promise",
            "suggestions": ["We expect"],
        }
    ]
    assert objects[1]["findings"] == []
    assert result.exit_code == 2


def test_stdin_without_arguments(lint: click.Command, rules: Path) -> None:
    result = run(lint, ["--lang", "en", "--rules", str(rules)], stdin="obviously")
    assert result.stdout.startswith("<stdin>:1:1: warning obviously")


def test_detects_the_language(rules: Path) -> None:
    seen: list[str] = []

    def detect(text: str) -> tuple[str, str | None]:
        seen.append(text)
        return "nl", None

    command = make_lint_command(lambda path: WordingChecker(load_wording_policy(path)), detect)
    result = run(command, ["--format", "json", "--rules", str(rules)], stdin="Wij garanderen het.")
    assert json.loads(result.stdout)["language"] == "nl"
    assert seen == ["Wij garanderen het."]
    assert result.exit_code == 2


def test_detector_note_goes_to_stderr(rules: Path) -> None:
    command = make_lint_command(
        lambda path: WordingChecker(load_wording_policy(path)), lambda text: ("en", "guessing")
    )
    result = run(command, ["--format", "json", "--rules", str(rules)], stdin="we guarantee")
    assert json.loads(result.stdout)["language"] == "en"
    assert result.stderr == "<stdin>: note: guessing\n"


def test_default_detector_uses_the_language_module() -> None:
    assert detect_language("Bedankt voor uw bericht, wij kijken ernaar en laten het u weten.") == ("nl", None)


def test_default_detector_falls_back_to_english(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(name: str, package: str | None = None) -> ModuleType:
        raise ModuleNotFoundError(name)

    monkeypatch.setattr("mailbot.commands.lint.importlib.import_module", missing)
    language, note = detect_language("we guarantee")
    assert language == "en"
    assert note is not None
    assert "assuming 'en'" in note


def test_notes_a_language_without_rules(lint: click.Command, rules: Path) -> None:
    result = run(lint, ["--lang", "th", "--rules", str(rules)], stdin="สวัสดีค่ะ")
    assert "no wording rules for language 'th'" in result.stderr
    assert result.exit_code == 0


@pytest.mark.parametrize(
    "args",
    [
        ["--lang", "en", "--rules", "RULES", "missing.txt"],
        ["--lang", "en", "--rules", "missing-rules.toml", "-"],
    ],
)
def test_unreadable_input_or_rules_exit_3(lint: click.Command, rules: Path, args: list[str]) -> None:
    args = [str(rules) if a == "RULES" else a for a in args]
    result = run(lint, args, stdin="x")
    assert result.exit_code == 3
    assert result.stderr.startswith("mailbot lint: ")


def test_invalid_utf8_exits_3(lint: click.Command, rules: Path, tmp_path: Path) -> None:
    bad = tmp_path / "latin1.txt"
    bad.write_bytes("caf\xe9".encode("latin-1"))
    assert run(lint, ["--lang", "en", "--rules", str(rules), str(bad)]).exit_code == 3


def test_default_rules_folder_without_config(
    lint: click.Command, seen: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MAILBOT_CONFIG", raising=False)
    folder = tmp_path / "policies" / "wording"
    folder.mkdir(parents=True)
    (folder / "rules.toml").write_text(RULES, encoding="utf-8")
    result = run(lint, ["--lang", "en"], stdin="we guarantee")
    assert result.exit_code == 2
    assert seen == [Path("policies") / "wording"]


@pytest.mark.parametrize(
    ("text", "offset", "expected"),
    [
        ("abc", 0, (1, 1)),
        ("abc", 2, (1, 3)),
        ("a\nbc", 2, (2, 1)),
        ("a\nbc\nd", 6, (3, 2)),
        ("เรา\nคุณ", 5, (2, 2)),
    ],
)
def test_position(text: str, offset: int, expected: tuple[int, int]) -> None:
    assert position(text, offset) == expected


def test_registered_in_the_cli(rules: Path) -> None:
    from mailbot.cli import cli

    result = CliRunner().invoke(cli, ["lint", "--lang", "en", "--rules", str(rules)], input="obviously")
    assert result.exit_code == 1
