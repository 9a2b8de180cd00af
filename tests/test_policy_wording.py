"""Loading wording policies: schema, defaults, and errors with file, line and rule id."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailbot.errors import ConfigError
from mailbot.model import Severity
from mailbot.policy.wording import (
    ExistenceRule,
    LimitRule,
    RequiredRule,
    SubstitutionRule,
    load_wording_policy,
)

REPO = Path(__file__).resolve().parents[1]

CATEGORIES = """
[categories]
guarantee = "Promising outcomes"
tone = "Tone"
length = "Length"
"""

GOOD = """
languages = ["en"]

[[rules]]
id = "en.guarantee"
kind = "existence"
category = "guarantee"
severity = "blocker"
message = "No guarantees"
patterns = ["we guarantee*"]
phrases = ["rest assured"]
exceptions = ["not guarantee"]

[[rules]]
id = "en.tone.swap"
kind = "substitution"
category = "tone"
severity = "warning"
languages = ["en", "nl"]
message = "Write {suggestion}"
swap = [{ match = "obviously", suggest = ["(nothing)"] }]

[[rules]]
id = "en.disclaimer"
kind = "required"
category = "guarantee"
severity = "info"
intents = ["legal"]
message = "Add the disclaimer"
patterns = ["not legal advice"]

[[rules]]
id = "en.length"
kind = "limit"
category = "length"
severity = "warning"
scope = "sentence"
max_words = 30
message = "Too long"
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_loads_a_folder_with_defaults(tmp_path: Path) -> None:
    write(tmp_path, "common.toml", CATEGORIES)
    write(tmp_path, "en.toml", GOOD)
    policy = load_wording_policy(tmp_path)
    kinds = [type(rule) for rule in policy.rules]
    assert kinds == [ExistenceRule, SubstitutionRule, RequiredRule, LimitRule]
    first = policy.rules[0]
    assert first.languages == ("en",)  # the file's default
    assert first.severity is Severity.BLOCKER
    assert policy.rules[1].languages == ("en", "nl")  # the rule's own list wins
    assert policy.languages == ("en", "nl")
    assert [r.id for r in policy.rules_for("nl")] == ["en.tone.swap"]
    assert set(policy.categories) == {"guarantee", "tone", "length"}
    assert policy.sources["en.tone.swap"].line == 15
    assert policy.sources["en.tone.swap"].path.endswith("en.toml")


def test_loads_a_single_file(tmp_path: Path) -> None:
    head, rules = GOOD.split("\n\n", 1)
    path = write(tmp_path, "wording.toml", head + CATEGORIES + rules)
    assert len(load_wording_policy(path).rules) == 4


def test_shipped_policies_load() -> None:
    policy = load_wording_policy(REPO / "policies" / "wording")
    assert set(policy.languages) == {"en", "nl", "lv", "th"}
    for language in policy.languages:
        categories = {rule.category for rule in policy.rules_for(language)}
        assert categories == set(policy.categories), language


def rule(**fields: str) -> str:
    base = {
        "id": '"x.rule"',
        "kind": '"existence"',
        "category": '"guarantee"',
        "severity": '"warning"',
        "message": '"m"',
        "patterns": '["we guarantee"]',
    }
    base.update(fields)
    body = "\n".join(f"{key} = {value}" for key, value in base.items() if value)
    return f'languages = ["en"]\n\n[[rules]]\n{body}\n'


@pytest.mark.parametrize(
    ("text", "line", "needle"),
    [
        (rule(kind='"forbid"'), 5, "unknown kind 'forbid'"),
        (rule(kind=""), 4, "'kind' is missing"),
        (rule(category='"bragging"'), 4, "unknown category 'bragging'"),
        (rule(severity='"fatal"'), 7, "severity"),
        (rule(patterns='["we guarantee{9,2}"]'), 9, "bad repetition"),
        (rule(patterns='["*"]'), 9, "wildcard"),
        (rule(patterns='["/[a-/"]'), 9, "bad regular expression"),
        (rule(id='"Bad Id"'), 4, "should match pattern"),
        (rule(colour='"red"'), 10, "unknown key"),
        (rule(patterns=""), 4, "give at least one of 'patterns' or 'phrases'"),
        (rule(exceptions='["ok", "a|"]'), 10, "empty alternative"),
    ],
)
def test_invalid_rules_name_file_line_and_rule(tmp_path: Path, text: str, line: int, needle: str) -> None:
    write(tmp_path, "common.toml", CATEGORIES)
    path = write(tmp_path, "en.toml", text)
    with pytest.raises(ConfigError) as caught:
        load_wording_policy(tmp_path)
    error = caught.value
    assert error.path == str(path)
    assert error.line == line
    assert needle in str(error)
    if "Bad Id" not in text:
        assert "rule x.rule" in str(error)


def test_bad_item_in_a_multiline_list_points_at_its_own_line(tmp_path: Path) -> None:
    text = rule(patterns='[\n  "we guarantee",\n  "good one",\n  "bad{5,1}",\n]')
    write(tmp_path, "common.toml", CATEGORIES)
    write(tmp_path, "en.toml", text)
    with pytest.raises(ConfigError) as caught:
        load_wording_policy(tmp_path)
    assert caught.value.line == 12
    assert "patterns[2]" in str(caught.value)


def test_duplicate_id_across_files(tmp_path: Path) -> None:
    write(tmp_path, "common.toml", CATEGORIES)
    write(tmp_path, "a.toml", rule())
    second = write(tmp_path, "b.toml", "\n" + rule())
    with pytest.raises(ConfigError) as caught:
        load_wording_policy(tmp_path)
    assert caught.value.path == str(second)
    assert caught.value.line == 5
    assert "duplicate rule id" in str(caught.value)
    assert "a.toml:4" in str(caught.value)


def test_rule_without_languages(tmp_path: Path) -> None:
    write(tmp_path, "common.toml", CATEGORIES)
    write(tmp_path, "a.toml", rule().replace('languages = ["en"]', ""))
    with pytest.raises(ConfigError, match="no languages"):
        load_wording_policy(tmp_path)


@pytest.mark.parametrize(
    ("fields", "needle"),
    [
        ({"scope": '"sentence"'}, "give 'max_words' or 'max_sentences'"),
        ({"scope": '"sentence"', "max_sentences": "3"}, "only makes sense"),
        ({"scope": '"page"', "max_words": "3"}, "scope"),
        ({"scope": '"draft"', "max_words": "0"}, "greater than 0"),
    ],
)
def test_invalid_limits(tmp_path: Path, fields: dict[str, str], needle: str) -> None:
    write(tmp_path, "common.toml", CATEGORIES)
    write(tmp_path, "a.toml", rule(kind='"limit"', patterns="", category='"length"', **fields))
    with pytest.raises(ConfigError, match=needle):
        load_wording_policy(tmp_path)


def test_category_defined_twice_differently(tmp_path: Path) -> None:
    write(tmp_path, "a.toml", CATEGORIES)
    write(tmp_path, "b.toml", '[categories]\ntone = "Something else"\n')
    with pytest.raises(ConfigError) as caught:
        load_wording_policy(tmp_path)
    assert caught.value.line == 2


def test_toml_syntax_error_has_a_line(tmp_path: Path) -> None:
    write(tmp_path, "a.toml", CATEGORIES + "\n[[rules]\nid = 1\n")
    with pytest.raises(ConfigError, match="invalid TOML") as caught:
        load_wording_policy(tmp_path)
    assert caught.value.line == 7


def test_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no wording policy files"):
        load_wording_policy(tmp_path)


@pytest.mark.parametrize(
    ("intents", "channels", "intent", "channel", "applies"),
    [
        ((), (), None, "email", True),
        (("legal",), (), None, "email", False),
        (("legal",), (), "legal", "email", True),
        ((), ("letter",), None, "email", False),
        ((), ("letter",), None, "letter", True),
    ],
)
def test_applies(
    intents: tuple[str, ...], channels: tuple[str, ...], intent: str | None, channel: str, applies: bool
) -> None:
    existence = ExistenceRule.model_validate(
        {
            "id": "r",
            "kind": "existence",
            "category": "tone",
            "severity": "info",
            "languages": ["en"],
            "message": "m",
            "patterns": ["x"],
            "intents": intents,
            "channels": channels,
        }
    )
    assert existence.applies(intent, channel) is applies
