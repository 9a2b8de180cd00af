"""Intent model directories, loading errors, retraining with corrections, and the classify CLI."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from mailbot.cli import MailbotGroup
from mailbot.commands.common import App
from mailbot.commands.intents import classify
from mailbot.nlp.intent_data import LANGUAGES, freeze_splits, load_examples, write_splits
from mailbot.nlp.intents import CURRENT, MANIFEST, IntentModel, IntentModelError, current_version, set_current
from mailbot.nlp.model_store import locked
from mailbot.nlp.retrain import build_models, build_needed, retrain
from tests.test_training import DATA, SMALL_INTENTS, small_configs

PER_INTENT = 20
CORRECTED_TEXT = "Hello, a quick note about my order number 5521 and the colour of the box it came in."


def _write_small_data(folder: Path, languages: tuple[str, ...] = ("en",)) -> Path:
    """A small copy of the real data: the first examples of a few intents, with its own frozen split."""
    chosen = []
    for language in languages:
        (folder / language).mkdir(parents=True)
        examples = load_examples(DATA, language)
        for intent in SMALL_INTENTS:
            rows = [e for e in examples if e.intent == intent][:PER_INTENT]
            chosen += rows
            lines = [json.dumps({"id": e.id, "text": e.text, "intent": e.intent}) for e in rows]
            (folder / language / f"{intent}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    write_splits(folder / "splits.json", freeze_splits(chosen))
    return folder


class FakeStore:
    """Stands in for the store's ``corrections()`` query."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows

    def corrections(self) -> list[dict[str, Any]]:
        return list(self.rows)


def _clock(day: int) -> Any:
    return lambda: datetime(2025, 11, day, 3, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """(model root with one trained en model, data dir, config dir), built once for this module."""
    base = tmp_path_factory.mktemp("intents")
    data = _write_small_data(base / "data")
    configs = small_configs(base)
    root = base / "models"
    build_models(root, data, languages=["en"], seed=3, config_dir=configs, now=_clock(1))
    return root, data, configs


def _fresh_root(workspace: tuple[Path, Path, Path], tmp_path: Path) -> Path:
    root = tmp_path / "models"
    shutil.copytree(workspace[0], root)
    return root


# -- the model directory -------------------------------------------------------------


def test_a_built_model_loads_and_ranks_every_intent(workspace: tuple[Path, Path, Path]) -> None:
    model = IntentModel.load(workspace[0])
    assert model.languages == ("en",)
    assert model.labels("en") == SMALL_INTENTS
    ranked = model("I will see you in court, my lawyer has the papers.", "en")
    assert [name for name, _ in ranked] != [] and {name for name, _ in ranked} == set(SMALL_INTENTS)
    assert [s for _, s in ranked] == sorted((s for _, s in ranked), reverse=True)
    assert sum(s for _, s in ranked) == pytest.approx(1.0, abs=1e-4)
    assert model("anything", "lv") == []  # no model for the language: the classifier triages it


def test_predict_batches_give_the_same_answers_as_single_calls(workspace: tuple[Path, Path, Path]) -> None:
    model = IntentModel.load(workspace[0])
    texts = ["where is my parcel", "delete all my personal data (GDPR)", "my lawyer will call you"]
    assert model.predict(texts, "en") == [model(t, "en") for t in texts]


def test_the_intent_fn_drops_labels_outside_the_taxonomy(workspace: tuple[Path, Path, Path]) -> None:
    model = IntentModel.load(workspace[0])
    ranked = model.intent_fn({"delivery", "privacy"})("where is my parcel", "en")
    assert {name for name, _ in ranked} == {"delivery", "privacy"}
    assert model.unknown_labels({"delivery", "privacy"}) == {"en": ("legal",)}


def _corrupt(version: Path, how: str) -> None:
    if how == "manifest-garbage":
        (version / MANIFEST).write_text("{not json", encoding="utf-8")
    elif how == "manifest-format":
        manifest = json.loads((version / MANIFEST).read_text(encoding="utf-8"))
        (version / MANIFEST).write_text(json.dumps({**manifest, "format": "other/9"}), encoding="utf-8")
    elif how == "spacy-version":
        manifest = json.loads((version / MANIFEST).read_text(encoding="utf-8"))
        (version / MANIFEST).write_text(json.dumps({**manifest, "spacy": "2.3.0"}), encoding="utf-8")
    elif how == "weights":
        (version / "en" / "textcat" / "model").write_bytes(b"\x00garbage")
    elif how == "pipeline-missing":
        shutil.rmtree(version / "en")


@pytest.mark.parametrize(
    ("how", "message"),
    [
        ("manifest-garbage", "unreadable"),
        ("manifest-format", "format 'other/9'"),
        ("spacy-version", "built with spaCy 2.3.0"),
        ("weights", "cannot load the spaCy pipeline"),
        ("pipeline-missing", "not a spaCy pipeline"),
    ],
)
def test_a_bad_model_directory_is_a_clear_error(
    workspace: tuple[Path, Path, Path], tmp_path: Path, how: str, message: str
) -> None:
    root = _fresh_root(workspace, tmp_path)
    version = root / str(current_version(root))
    _corrupt(version, how)
    with pytest.raises(IntentModelError, match=message) as caught:
        IntentModel.load(root)
    assert str(version) in str(caught.value)


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("missing", "no intent model here; build one with `mailbot train`"),
        ("empty", "not an intent model directory"),
        ("dangling", "points at"),
    ],
)
def test_a_missing_model_names_the_path_and_the_fix(tmp_path: Path, setup: str, message: str) -> None:
    root = tmp_path / "models"
    if setup != "missing":
        root.mkdir()
    if setup == "dangling":
        (root / CURRENT).write_text("20250101T000000Z-gone\n", encoding="utf-8")
    with pytest.raises(IntentModelError, match=message) as caught:
        IntentModel.load(root)
    assert str(root) in str(caught.value)


def test_only_a_complete_version_can_become_current(tmp_path: Path) -> None:
    (tmp_path / "half").mkdir()
    with pytest.raises(IntentModelError, match="not a complete model version"):
        set_current(tmp_path, "half")
    assert current_version(tmp_path) is None


def test_training_one_language_keeps_the_others(tmp_path: Path) -> None:
    data = _write_small_data(tmp_path / "data", ("en", "th"))
    configs = small_configs(tmp_path / "en")
    shutil.copytree(small_configs(tmp_path / "th", "th") / "th", configs / "th")
    root = tmp_path / "models"
    build_models(root, data, languages=["en", "th"], seed=3, config_dir=configs, now=_clock(5))
    thai_before = IntentModel.load(root)("ยังไม่ได้รับพัสดุเลยค่ะ", "th")
    build_models(root, data, languages=["en"], seed=4, config_dir=configs, now=_clock(6))
    model = IntentModel.load(root)
    assert model.languages == ("en", "th") and model.version.startswith("20251106")
    assert model("ยังไม่ได้รับพัสดุเลยค่ะ", "th") == thai_before
    assert model.manifest["languages"]["th"]["carried_from"].startswith("20251105")


def test_two_training_runs_do_not_write_at_once(workspace: tuple[Path, Path, Path], tmp_path: Path) -> None:
    root = _fresh_root(workspace, tmp_path)
    _, data, configs = workspace
    with locked(root), pytest.raises(IntentModelError, match="another training run"):
        build_models(root, data, languages=["en"], config_dir=configs)


# -- retraining with corrections -----------------------------------------------------------


def test_setup_rebuilds_only_when_needed(workspace: tuple[Path, Path, Path], tmp_path: Path) -> None:
    root = _fresh_root(workspace, tmp_path)
    _, data, configs = workspace

    def why(root: Path = root, data: Path = data, languages: tuple[str, ...] = ("en",), seed: int = 3) -> str:
        return str(build_needed(root, data, languages=languages, seed=seed, config_dir=configs))

    assert why() == "None"
    assert "seed changed" in why(seed=4)
    assert "no model for nl" in why(languages=("en", "nl"))
    assert "no intent model" in why(root=tmp_path / "none")
    changed = tmp_path / "data"
    shutil.copytree(data, changed)
    row = {"id": "en-legal-900", "text": "See you in court.", "intent": "legal"}
    with (changed / "en" / "legal.jsonl").open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(row) + "\n")
    assert "data, configs or seed changed" in why(data=changed)


def _correction(intent: str) -> dict[str, Any]:
    return {
        "message_id": 41,
        "language": "en",
        "new_intent": intent,
        "new_text": CORRECTED_TEXT,
        "subject": "",
    }


def test_a_correction_changes_the_next_model(workspace: tuple[Path, Path, Path], tmp_path: Path) -> None:
    root = _fresh_root(workspace, tmp_path)
    _, data, configs = workspace
    before = dict(IntentModel.load(root)(CORRECTED_TEXT, "en"))
    result = retrain(
        FakeStore([_correction("legal")]),
        root,
        data,
        languages=["en"],
        seed=3,
        config_dir=configs,
        tolerance=1.0,
        now=_clock(2),
    )
    assert result.swapped and result.corrections == 1
    assert result.new_version == current_version(root) != result.current_version
    model = IntentModel.load(root)
    assert model.info["en"].corrections == 1
    assert dict(model(CORRECTED_TEXT, "en"))["legal"] > before["legal"]
    old, new = result.scores["en"]
    assert old is not None and 0.0 <= new <= 1.0
    assert "swapped" in result.describe() and "en" in result.describe()
    # A model that learned from corrections is never rebuilt without them by setup.
    assert build_needed(root, data, languages=["en"], seed=4, config_dir=configs) is None


def test_retraining_without_new_corrections_trains_nothing(
    workspace: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    root = _fresh_root(workspace, tmp_path)
    _, data, configs = workspace
    before = current_version(root)
    result = retrain(FakeStore([]), root, data, languages=["en"], seed=3, config_dir=configs, now=_clock(3))
    assert not result.swapped and "no new corrections" in result.reason
    assert current_version(root) == before


def test_a_model_whose_dev_score_drops_is_not_swapped_in(
    workspace: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    root = _fresh_root(workspace, tmp_path)
    _, data, configs = workspace
    before = current_version(root)
    # A negative tolerance demands a dev gain larger than any possible: every language "drops".
    result = retrain(
        FakeStore([_correction("privacy")]),
        root,
        data,
        languages=["en"],
        seed=3,
        config_dir=configs,
        tolerance=-1.0,
        now=_clock(4),
    )
    assert not result.swapped and "dropped in en" in result.reason
    assert current_version(root) == before
    assert result.new_version is not None and not (root / result.new_version).exists()


# -- mailbot classify -------------------------------------------------------------------------

MAIL = (
    b"From: Ann <ann@example.com>\r\nTo: support@example.com\r\nSubject: My lawyer\r\n"
    b"Date: Thu, 20 Nov 2025 10:00:00 +0000\r\nMessage-ID: <a1@example.com>\r\n\r\n"
    b"My lawyer will take this to court unless you answer by 1 December 2025.\r\n"
)


def _group() -> click.Group:
    @click.group(cls=MailbotGroup)
    @click.pass_context
    def group(ctx: click.Context) -> None:
        ctx.obj = App(None)

    group.add_command(classify)
    return group


def test_classify_prints_one_json_object_per_input(
    workspace: tuple[Path, Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MAILBOT_CONFIG", raising=False)
    (tmp_path / "mail.eml").write_bytes(MAIL)
    (tmp_path / "note.txt").write_text(
        "Where is my parcel? Tracking says nothing since Monday.", encoding="utf-8"
    )
    args = ["classify", "--models", str(workspace[0]), "--format", "json", "mail.eml", "note.txt", "-"]
    result = CliRunner().invoke(_group(), args, input="Please erase all personal data you hold about me.")
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["file"] for r in records] == ["mail.eml", "note.txt", "-"]
    for record in records:
        assert set(record) == {"file", "language", "intent", "confidence", "intents", "entities"}
        assert record["language"] == "en"
        assert record["intent"] == record["intents"][0][0] and record["confidence"] == record["intents"][0][1]
        assert all(isinstance(name, str) and 0.0 <= s <= 1.0 for name, s in record["intents"])
    assert [e["kind"] for e in records[0]["entities"]] == ["deadline"]


def test_classify_with_a_bad_model_directory_says_so_in_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(_group(), ["classify", "--models", str(tmp_path / "none"), "-"], input="hi")
    assert result.exit_code == 2
    assert "no intent model here" in result.stderr and "Traceback" not in result.stderr


def test_every_language_has_candidate_configs() -> None:
    configs = Path(__file__).resolve().parent.parent / "mailbot" / "nlp" / "configs"
    for language in LANGUAGES:
        names = sorted(p.stem for p in (configs / language).glob("*.cfg"))
        if language == "th":  # character n-grams across word boundaries only matter without spaces
            assert names == ["bow", "bow_chunks", "bow_chunks_blocks_wide", "bow_chunks_wide", "bow_words"]
        else:
            assert names == ["bow", "bow_blocks_wide", "bow_wide", "bow_words"], language
