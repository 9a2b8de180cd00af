"""Model selection by cross-validation: folds, pooled curves, the selected.toml round trip."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from mailbot.nlp.intent_data import Example, Split
from mailbot.nlp.selection import (
    SELECTED_FILE,
    Selection,
    assign_folds,
    cross_validate,
    read_selection,
    select,
    write_selection,
)
from mailbot.nlp.training import TrainingError, train_language
from tests.test_training import small_configs, small_split


def _examples(per_intent: dict[str, int]) -> list[Example]:
    return [
        Example(id=f"en-{intent}-{n:03d}", text=f"text {n}", intent=intent, language="en")
        for intent, count in per_intent.items()
        for n in range(count)
    ]


def test_folds_are_stratified_and_depend_only_on_the_ids() -> None:
    examples = _examples({"refund": 23, "legal": 10, "privacy": 5})
    folds = assign_folds(examples, 5)
    for intent, count in (("refund", 23), ("legal", 10), ("privacy", 5)):
        sizes = Counter(f for e, f in zip(examples, folds, strict=True) if e.intent == intent)
        assert sum(sizes.values()) == count
        assert max(sizes.values()) - min(sizes.values()) <= 1
    shuffled = list(reversed(examples))
    again = dict(zip((e.id for e in shuffled), assign_folds(shuffled, 5), strict=True))
    assert again == {e.id: f for e, f in zip(examples, folds, strict=True)}


def test_one_fold_is_refused() -> None:
    with pytest.raises(TrainingError, match="at least 2 folds"):
        assign_folds(_examples({"refund": 4}), 1)


def test_cross_validation_scores_every_epoch_on_held_out_folds(tmp_path: Path) -> None:
    configs = small_configs(tmp_path)
    split = small_split()
    pooled = split[Split.TRAIN] + split[Split.DEV]
    curve = cross_validate(configs / "en" / "bow.cfg", "en", pooled, seed=7, folds=3)
    assert len(curve.macro_f1_by_epoch) == 6  # the shrunk configs train 6 epochs
    assert all(0.0 <= f <= 1.0 for f in curve.macro_f1_by_epoch)
    assert curve.macro_f1_by_epoch[curve.best_epoch - 1] == curve.best
    # three clearly different intents: held-out messages are mostly right
    assert curve.best > 0.5
    again = cross_validate(configs / "en" / "bow.cfg", "en", pooled, seed=7, folds=3)
    assert again.macro_f1_by_epoch == curve.macro_f1_by_epoch


def test_selection_round_trips_and_drives_training(tmp_path: Path) -> None:
    configs = small_configs(tmp_path)
    split = small_split()
    pooled = split[Split.TRAIN] + split[Split.DEV]
    selection = select("en", pooled, sorted((configs / "en").glob("*.cfg")), seed=7, folds=3)
    assert selection.candidate in {c.name for c in selection.curves}
    # shrunk to the same hash size, bow_wide is bow: ties go to the name that sorts first
    assert selection.candidate != "bow_wide"
    assert selection.cv_macro_f1 == max(c.best for c in selection.curves)
    path = write_selection(configs, selection)
    assert path.name == SELECTED_FILE
    assert read_selection(configs, "en") == (selection.candidate, selection.epochs)
    trained = train_language(
        "en",
        split[Split.TRAIN],
        split[Split.DEV],
        seed=7,
        config_dir=configs,
        selected=(selection.candidate, 2),
    )
    assert [c.name for c in trained.candidates] == [selection.candidate]
    assert trained.chosen.best_epoch == 2 and trained.chosen.epochs_run == 2


def test_no_selection_file_means_dev_selection(tmp_path: Path) -> None:
    assert read_selection(small_configs(tmp_path), "en") is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('candidate = "bow"\n', "not a readable model selection"),
        ('candidate = "bow"\nepochs = 0\n', "positive integer"),
        ('candidate = "gone"\nepochs = 3\n', "has no gone.cfg"),
        ("candidate = \n", "not a readable model selection"),
    ],
)
def test_a_bad_selection_file_names_the_file(tmp_path: Path, text: str, message: str) -> None:
    configs = small_configs(tmp_path)
    (configs / "en" / SELECTED_FILE).write_text(text, encoding="utf-8")
    with pytest.raises(TrainingError, match=message) as caught:
        read_selection(configs, "en")
    assert SELECTED_FILE in str(caught.value)


def test_the_repository_selections_name_existing_candidates() -> None:
    configs = Path(__file__).resolve().parent.parent / "mailbot" / "nlp" / "configs"
    for language in ("en", "nl", "lv", "th"):
        chosen = read_selection(configs, language)
        if chosen is not None:
            assert (configs / language / f"{chosen[0]}.cfg").is_file()
            assert 1 <= chosen[1] <= 200


def test_selection_text_lists_every_candidate() -> None:
    from mailbot.nlp.selection import CandidateCurve, selection_text

    selection = Selection("en", "bow", 3, 0.9, 5, 100, (CandidateCurve("bow", (0.5, 0.8, 0.9), 1.0),))
    text = selection_text(selection)
    assert "bow: 0.900 at epoch 3" in text and 'candidate = "bow"' in text and "epochs = 3" in text
