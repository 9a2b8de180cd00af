"""The phrasebank's rendered sentences as clean wording examples."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from mailbot.phrasebank_examples import new_example_lines, rendered_sentences
from mailbot.wording_eval import parse_eval_set

REPO = Path(__file__).resolve().parent.parent


def test_new_lines_skip_known_sentences_and_continue_the_ids() -> None:
    existing = [
        json.dumps({"id": "en.dev.001", "text": "Kind regards,", "spans": []}),
        json.dumps({"id": "en.phrasebank.007", "text": "Thank you for writing.", "spans": []}),
    ]
    lines = new_example_lines("en", existing, ["Kind regards,", "Hello Anna,", "Hello Anna,", "Bye."])
    items = parse_eval_set(lines)
    assert [(i.id, i.text, i.spans, i.near_miss) for i in items] == [
        ("en.phrasebank.008", "Hello Anna,", (), ()),
        ("en.phrasebank.009", "Bye.", (), ()),
    ]


def test_every_language_renders_sentences() -> None:
    found = rendered_sentences(REPO / "phrasebank")
    assert set(found) == {"en", "nl", "lv", "th"}
    assert all(len(sentences) > 20 and len(set(sentences)) == len(sentences) for sentences in found.values())


def test_the_shipped_examples_hold_every_phrasebank_sentence() -> None:
    """If this fails, run `mailbot phrasebank examples --write` after changing the phrasebank."""
    for language, sentences in rendered_sentences(REPO / "phrasebank").items():
        path = REPO / "policies" / "wording" / "examples" / f"{language}.jsonl"
        assert new_example_lines(language, path.read_text(encoding="utf-8").splitlines(), sentences) == []


def test_the_command_writes_once(tmp_path: Path) -> None:
    from mailbot.cli import cli

    shutil.copytree(REPO / "phrasebank", tmp_path / "phrasebank")
    shutil.copytree(REPO / "policies", tmp_path / "policies")
    examples = tmp_path / "policies" / "wording" / "examples"
    for path in examples.glob("*.jsonl"):
        keep = [line for line in path.read_text(encoding="utf-8").splitlines() if ".phrasebank." not in line]
        path.write_text("\n".join(keep) + "\n", encoding="utf-8")
    shutil.copy(REPO / "config.example.toml", tmp_path / "config.toml")
    for folder in ("examples/inbox", "examples/scans"):
        (tmp_path / folder).mkdir(parents=True)
    runner = CliRunner()
    args = ["--config", str(tmp_path / "config.toml"), "phrasebank", "examples"]
    dry = runner.invoke(cli, args)
    assert dry.exit_code == 0, dry.output
    assert "would add" in dry.output and "would add 0 " not in dry.output
    written = runner.invoke(cli, [*args, "--write"])
    assert written.exit_code == 0 and "added" in written.output
    again = runner.invoke(cli, args)
    assert again.output.count("would add 0 clean") == 4
    assert all(parse_eval_set(p.read_text(encoding="utf-8").splitlines()) for p in examples.glob("*.jsonl"))
