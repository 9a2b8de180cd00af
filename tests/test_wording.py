"""The wording checker: findings with exact spans, for each kind of rule."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mailbot.errors import ConfigError
from mailbot.model import Severity
from mailbot.policy.wording import RequiredRule, load_wording_policy
from mailbot.wording import WordingChecker

REPO = Path(__file__).resolve().parents[1]

POLICY = """
[categories]
guarantee = "g"
tone = "t"
deadline_promise = "d"
length = "l"
legal_statement = "ls"

[[rules]]
id = "guarantee"
kind = "existence"
category = "guarantee"
severity = "blocker"
languages = ["en", "lv", "th"]
message = "Do not promise: {text}"
suggestions = ["We expect"]
patterns = ["we|mēs guarantee*|garant*", "garantij* ,? ka", "รับประกัน"]
phrases = ["rest assured"]
exceptions = ["not|cannot|nevaram guarantee|garantēt", "การ รับประกัน"]

[[rules]]
id = "deadline"
kind = "existence"
category = "deadline_promise"
severity = "warning"
languages = ["en"]
message = "Deadline"
patterns = ["will *{0,4} tomorrow|today"]
exceptions = ["usually"]
exception_scope = "sentence"

[[rules]]
id = "swap"
kind = "substitution"
category = "tone"
severity = "warning"
languages = ["en"]
message = "Instead of '{text}', write {suggestion}"
swap = [
  { match = "obviously", suggest = ["(leave it out)"] },
  { match = "calm down", suggest = ["I understand", "I see"] },
]

[[rules]]
id = "ids"
kind = "existence"
category = "tone"
severity = "info"
languages = ["en"]
channels = ["letter"]
message = "Letters: {text}"
patterns = ["card_number|pin|/\\\\d{6,}/"]

[[rules]]
id = "disclaimer"
kind = "required"
category = "legal_statement"
severity = "warning"
languages = ["en"]
intents = ["legal"]
message = "Add the disclaimer"
suggestions = ["This is not legal advice."]
patterns = ["not legal advice"]

[[rules]]
id = "sentence-length"
kind = "limit"
category = "length"
severity = "warning"
languages = ["en", "th"]
scope = "sentence"
max_words = 5
message = "{count} words, at most {limit}"

[[rules]]
id = "draft-length"
kind = "limit"
category = "length"
severity = "info"
languages = ["nl"]
scope = "draft"
max_words = 4
message = "{count} > {limit} words"

[[rules]]
id = "draft-sentences"
kind = "limit"
category = "length"
severity = "info"
languages = ["nl"]
scope = "draft"
max_sentences = 2
message = "{count} > {limit} sentences"
"""


@pytest.fixture(scope="module")
def checker(tmp_path_factory: pytest.TempPathFactory) -> WordingChecker:
    path = tmp_path_factory.mktemp("wording") / "rules.toml"
    path.write_text(POLICY, encoding="utf-8")
    return WordingChecker(load_wording_policy(path))


@pytest.fixture(scope="module")
def shipped() -> WordingChecker:
    return WordingChecker(load_wording_policy(REPO / "policies" / "wording"))


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        ("en", "We GUARANTEE it.", [("guarantee", "We GUARANTEE")]),
        (
            "en",
            "We guaranteed it, rest assured.",
            [("guarantee", "We guaranteed"), ("guarantee", "rest assured")],
        ),
        ("en", "We cannot guarantee it.", []),
        ("lv", "Mēs garantējam piegādi.", [("guarantee", "Mēs garantējam")]),
        ("lv", "Mes garantesim piegadi.", [("guarantee", "Mes garantesim")]),
        ("lv", "Dodam garantiju, ka tas strādās.", [("guarantee", "garantiju, ka")]),
        ("lv", "Mēs nevaram garantēt piegādi.", []),
        ("th", "เรารับประกันว่าจะส่งถึง", [("guarantee", "รับประกัน")]),
        ("th", "การรับประกันสองปี", []),
        ("en", "It will arrive tomorrow.", [("deadline", "will arrive tomorrow")]),
        ("en", "It will usually arrive tomorrow.", []),
        ("en", "Usually it ships today. It will arrive tomorrow.", [("deadline", "will arrive tomorrow")]),
        ("en", "It will arrive.\nTomorrow, maybe.", []),
        ("en", "Obviously.", [("swap", "Obviously")]),
        ("en", "Please send your PIN.", []),
        ("de", "We guarantee it.", []),
    ],
)
def test_findings(checker: WordingChecker, language: str, text: str, expected: list[tuple[str, str]]) -> None:
    found = [f for f in checker.check(text, language) if f.category != "length"]
    assert [(f.rule, f.text) for f in found] == expected
    for finding in found:
        assert text[finding.start : finding.end] == finding.text


def test_finding_fields(checker: WordingChecker) -> None:
    [finding] = checker.check("Yes, we guarantee it.", "en")
    assert (finding.start, finding.end) == (5, 17)
    assert finding.category == "guarantee"
    assert finding.severity is Severity.BLOCKER
    assert finding.message == "Do not promise: we guarantee"
    assert finding.suggestions == ("We expect",)


def test_substitution_suggestions_per_swap(checker: WordingChecker) -> None:
    found = checker.check("Calm down. Obviously it works.", "en")
    assert [(f.text, f.suggestions) for f in found] == [
        ("Calm down", ("I understand", "I see")),
        ("Obviously", ("(leave it out)",)),
    ]
    assert found[0].message == "Instead of 'Calm down', write I understand"


@pytest.mark.parametrize(
    ("channel", "text", "expected"),
    [
        ("letter", "Send card number 123456 or PIN, not 1234.", ["card number", "123456", "PIN"]),
        ("email", "Send card number 123456 or PIN, not 1234.", []),
    ],
)
def test_channel_and_phrase_alternatives(
    checker: WordingChecker, channel: str, text: str, expected: list[str]
) -> None:
    found = checker.check(text, "en", channel=channel)
    assert [f.text for f in found if f.rule == "ids"] == expected


@pytest.mark.parametrize(
    ("intent", "text", "missing"),
    [
        ("legal", "We looked at your claim.", True),
        ("legal", "We looked at it. This is not legal advice.", False),
        ("billing", "We looked at your claim.", False),
        (None, "We looked at your claim.", False),
    ],
)
def test_required_text(checker: WordingChecker, intent: str | None, text: str, missing: bool) -> None:
    found = [f for f in checker.check(text, "en", intent) if f.rule == "disclaimer"]
    if missing:
        assert [(f.start, f.end, f.text, f.suggestions) for f in found] == [
            (0, 0, "", ("This is not legal advice.",))
        ]
    else:
        assert found == []


def test_sentence_limit_points_at_the_sentence(checker: WordingChecker) -> None:
    text = "Short one. This sentence has far too many words in it. Fine."
    [finding] = [f for f in checker.check(text, "en") if f.rule == "sentence-length"]
    assert finding.text == "This sentence has far too many words in it."
    assert finding.message == "9 words, at most 5"


def test_thai_sentence_limit_counts_segmented_words(checker: WordingChecker) -> None:
    text = "ขอบคุณค่ะ\nเราได้ตรวจสอบคำขอของคุณอย่างละเอียดแล้วและจะแจ้งผลให้ทราบ"
    found = [f for f in checker.check(text, "th") if f.rule == "sentence-length"]
    assert [f.text for f in found] == ["เราได้ตรวจสอบคำขอของคุณอย่างละเอียดแล้วและจะแจ้งผลให้ทราบ"]


def test_thai_sentence_limit_counts_each_clause(checker: WordingChecker) -> None:
    # Thai ends a clause with a space, not a full stop: three short clauses on one
    # line are three sentences to a Thai reader, and only a long clause is flagged
    short_clauses = "ขอบคุณค่ะ เราตรวจสอบแล้ว แจ้งผลพรุ่งนี้ค่ะ"
    assert [f for f in checker.check(short_clauses, "th") if f.rule == "sentence-length"] == []
    text = "ขอบคุณค่ะ เราได้ตรวจสอบคำขอของคุณอย่างละเอียดแล้วและจะแจ้งผลให้ทราบ"
    [finding] = [f for f in checker.check(text, "th") if f.rule == "sentence-length"]
    assert finding.text == "เราได้ตรวจสอบคำขอของคุณอย่างละเอียดแล้วและจะแจ้งผลให้ทราบ"


def test_draft_limits_point_past_the_limit(checker: WordingChecker) -> None:
    text = "Een twee drie. Vier vijf. Zes zeven."
    found = {f.rule: f for f in checker.check(text, "nl")}
    assert found["draft-length"].text == "vijf. Zes zeven."
    assert found["draft-length"].message == "7 > 4 words"
    assert found["draft-sentences"].text == "Zes zeven."
    assert checker.check("Een twee. Drie.", "nl") == []


def test_findings_are_sorted_by_position(checker: WordingChecker) -> None:
    text = "Obviously we guarantee it will be there today, rest assured."
    found = checker.check(text, "en")
    assert [f.start for f in found] == sorted(f.start for f in found)
    assert {f.rule for f in found} == {"swap", "guarantee", "deadline", "sentence-length"}


def test_languages(checker: WordingChecker) -> None:
    assert checker.languages == ("en", "lv", "nl", "th")


def test_too_many_variants_is_a_config_error(tmp_path: Path) -> None:
    head = POLICY.split("[[rules]]")[0]
    alternatives = "|".join(f"w{i}_x" for i in range(9))
    rule = f"""
[[rules]]
id = "huge"
kind = "existence"
category = "tone"
severity = "info"
languages = ["en"]
message = "m"
patterns = ["{alternatives} {alternatives} {alternatives} {alternatives}"]
"""
    path = tmp_path / "rules.toml"
    path.write_text(head + rule, encoding="utf-8")
    with pytest.raises(ConfigError, match="variants") as caught:
        WordingChecker(load_wording_policy(path))
    assert "rule huge" in str(caught.value)
    assert caught.value.line == 11


@pytest.mark.parametrize("language", ["en", "nl", "lv", "th"])
def test_shipped_rules_give_exact_spans_on_every_eval_text(shipped: WordingChecker, language: str) -> None:
    examples = REPO / "policies" / "wording" / "examples" / f"{language}.jsonl"
    lines = examples.read_text(encoding="utf-8").splitlines()
    texts = [json.loads(line)["text"] for line in lines] + ["", "\n\n", "   "]
    flagged = 0
    for text in texts:
        for finding in shipped.check(text, language):
            assert 0 <= finding.start <= finding.end <= len(text)
            assert text[finding.start : finding.end] == finding.text
            flagged += 1
    assert flagged > len(lines) / 2


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("lv", "Mēs garantējam, ka sūtījums pienāks."),
        ("lv", "Mēs garantēsim ātru piegādi."),
        ("lv", "Jums ir mūsu garantija, ka viss darbosies."),
        ("lv", "Mes garantejam piegadi."),
        ("nl", "Wij vergoeden de schade."),
        ("nl", "U ontvangt een vergoeding van 20 euro."),
        ("nl", "De kosten worden door ons vergoed."),
    ],
)
def test_shipped_rules_tolerate_inflection(shipped: WordingChecker, language: str, text: str) -> None:
    assert any(f.severity is Severity.BLOCKER for f in shipped.check(text, language))


def test_shipped_required_texts_do_not_trip_other_rules(shipped: WordingChecker) -> None:
    policy = load_wording_policy(REPO / "policies" / "wording")
    required = [r for r in policy.rules if isinstance(r, RequiredRule)]
    assert required
    for rule in required:
        for text in rule.suggestions:
            for intent in rule.intents:
                assert shipped.check(text, rule.languages[0], intent) == [], (rule.id, text)
