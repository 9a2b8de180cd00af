"""Intent training: data and the frozen split, metrics, features, seeded training, baselines."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import cast

import numpy as np
import pytest
import spacy
from spacy.pipeline import TextCategorizer
from spacy.tokens import Doc

from mailbot.nlp import intent_spacy
from mailbot.nlp.intent_baseline import BASELINES, train_baseline
from mailbot.nlp.intent_data import (
    LANGUAGES,
    DataError,
    Example,
    Split,
    correction_examples,
    freeze_splits,
    load_examples,
    read_splits,
    split_examples,
    split_of_new_id,
    write_splits,
)
from mailbot.nlp.intent_metrics import score
from mailbot.nlp.training import TrainedLanguage, TrainingError, predict, train_language

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "data" / "intents"
CONFIGS = REPO / "mailbot" / "nlp" / "configs"
SMALL_INTENTS = ("delivery", "legal", "privacy")


def small_configs(tmp: Path, language: str = "en") -> Path:
    """The real candidate configs of ``language``, shrunk so a test trains in about a second."""
    folder = tmp / "configs" / language
    folder.mkdir(parents=True)
    for path in sorted((CONFIGS / language).glob("*.cfg")):
        text = path.read_text(encoding="utf-8")
        for old, new in (
            (r"max_epochs = 60\n", "max_epochs = 6\n"),
            (r"\nlength = \d+\n", "\nlength = 4096\n"),
            (r"idf_buckets = 262144\n", "idf_buckets = 4096\n"),
        ):
            text, found = re.subn(old, new, text)
            assert found == 1, f"{path} changed: update small_configs"
        (folder / path.name).write_text(text, encoding="utf-8")
    return tmp / "configs"


def small_split(language: str = "en", per_intent: int = 14) -> dict[Split, list[Example]]:
    """A few intents' examples: the first ``per_intent`` of each file, split 10 train / rest dev."""
    out: dict[Split, list[Example]] = {Split.TRAIN: [], Split.DEV: [], Split.TEST: []}
    examples = load_examples(DATA, language)
    for intent in SMALL_INTENTS:
        chosen = [e for e in examples if e.intent == intent][:per_intent]
        out[Split.TRAIN] += chosen[:10]
        out[Split.DEV] += chosen[10:]
    return out


# -- the data and its frozen split ---------------------------------------------


def _examples(counts: dict[str, int]) -> list[Example]:
    return [
        Example(id=f"en-{intent}-{n:03d}", text=f"text {n}", intent=intent, language="en")
        for intent, count in counts.items()
        for n in range(count)
    ]


@pytest.mark.parametrize(
    ("count", "test", "dev", "train"),
    [(20, 3, 3, 14), (85, 13, 13, 59), (7, 1, 1, 5), (1, 0, 0, 1)],
)
def test_freeze_is_stratified_per_intent(count: int, test: int, dev: int, train: int) -> None:
    splits = freeze_splits(_examples({"refund": count, "legal": count}))
    for intent in ("refund", "legal"):
        got = Counter(v for k, v in splits.items() if f"-{intent}-" in k)
        assert (got[Split.TEST], got[Split.DEV], got[Split.TRAIN]) == (test, dev, train)


def test_freeze_depends_only_on_the_ids() -> None:
    examples = _examples({"refund": 30, "legal": 25})
    assert freeze_splits(examples) == freeze_splits(list(reversed(examples)))


def test_new_ids_follow_the_hash_rule_in_roughly_the_right_shares() -> None:
    ids = [f"xx-new-{n}" for n in range(4000)]
    shares = Counter(split_of_new_id(i) for i in ids)
    assert [split_of_new_id(i) for i in ids] == [split_of_new_id(i) for i in ids]
    assert 0.66 < shares[Split.TRAIN] / 4000 < 0.74
    assert 0.12 < shares[Split.TEST] / 4000 < 0.18


def test_split_file_round_trip_and_new_ids(tmp_path: Path) -> None:
    examples = _examples({"refund": 20})
    frozen = freeze_splits(examples)
    write_splits(tmp_path / "splits.json", frozen)
    assert read_splits(tmp_path / "splits.json") == frozen
    newcomer = Example(id="en-refund-999", text="new", intent="refund", language="en")
    grouped = split_examples([*examples, newcomer], frozen)
    assert newcomer in grouped[split_of_new_id(newcomer.id)]
    assert sum(len(v) for v in grouped.values()) == 21


def test_the_repository_split_is_frozen_and_complete() -> None:
    """Every example has a split, the file lists nothing that is gone, and it is the freeze rule's."""
    frozen = read_splits(DATA / "splits.json")
    examples = [e for lang in LANGUAGES for e in load_examples(DATA, lang)]
    ids = {e.id for e in examples}
    assert set(frozen) <= ids
    listed = [e for e in examples if e.id in frozen]
    assert freeze_splits(listed) == frozen  # nobody edited it by hand
    assert len(listed) >= 4000


@pytest.mark.parametrize(
    ("line", "message"),
    [('{"id": "en-x-1", "text": "hi"}', "intent"), ("not json", "not an example")],
)
def test_a_bad_data_line_names_file_and_line(tmp_path: Path, line: str, message: str) -> None:
    (tmp_path / "en").mkdir()
    good = json.dumps({"id": "en-x-0", "text": "fine", "intent": "x"})
    (tmp_path / "en" / "x.jsonl").write_text(f"{good}\n{line}\n", encoding="utf-8")
    with pytest.raises(DataError, match=rf"x\.jsonl:2: .*{message}"):
        load_examples(tmp_path, "en")


def test_corrections_become_training_examples_as_the_classifier_reads_them() -> None:
    rows = [
        {
            "message_id": 7,
            "language": "en",
            "new_intent": "refund",
            "new_text": "money",
            "subject": "Re",
        },
        {"message_id": 8, "language": "nl", "new_intent": "delivery", "new_text": "waar", "subject": None},
        {"message_id": 9, "language": "unknown", "new_intent": "other", "new_text": "??", "subject": ""},
        {"message_id": 10, "language": "en", "new_intent": "other", "new_text": "", "subject": ""},
    ]
    got = correction_examples(rows, ["en", "nl"])
    assert [(e.id, e.text, e.intent, e.language) for e in got] == [
        ("correction-7", "Re\nmoney", "refund", "en"),
        ("correction-8", "waar", "delivery", "nl"),
    ]


# -- metrics ----------------------------------------------------------------------


def test_metrics_match_hand_computed_values() -> None:
    gold = ["a", "a", "a", "b", "b", "c"]
    predicted = ["a", "a", "b", "b", "c", "c"]
    m = score(gold, predicted)
    assert m.accuracy == pytest.approx(4 / 6)
    assert m.per_intent["a"].precision == 1.0
    assert m.per_intent["a"].recall == pytest.approx(2 / 3)
    assert m.per_intent["b"].f1 == pytest.approx(0.5)
    assert m.per_intent["c"].f1 == pytest.approx(2 / 3)
    assert m.macro_f1 == pytest.approx((0.8 + 0.5 + 2 / 3) / 3)
    assert m.confusion == ((2, 1, 0), (0, 1, 1), (0, 0, 1))


def test_metrics_ignore_labels_absent_from_gold_and_predictions() -> None:
    assert score(["a", "b"], ["a", "b"], labels=["a", "b", "z"]).macro_f1 == 1.0
    assert score(["a", "b"], ["a", "b"], labels=["a", "b", "z"]).labels == ("a", "b", "z")


# -- features -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "one", "other", "same"),
    [
        ("en", "I want a Refund", "i want a refund", True),
        ("lv", "piegāde kavējas", "piegade kavejas", True),
        ("en", "where is my parcel", "where is my refund", False),
        ("th", "ขอคืนเงิน", "ขอคืนเงิน", True),
    ],
)
def test_features_fold_case_and_accents(language: str, one: str, other: str, same: bool) -> None:
    nlp = spacy.blank(language, config=_thai() if language == "th" else {})
    a, _ = intent_spacy.doc_features(nlp(one), 2, 3, 5)
    b, _ = intent_spacy.doc_features(nlp(other), 2, 3, 5)
    assert (set(a.tolist()) == set(b.tolist())) is same


def _thai() -> dict[str, object]:
    return {"nlp": {"tokenizer": {"@tokenizers": "mailbot.ThaiTokenizer.v1"}}}


def test_thai_tokenizer_splits_words_like_the_shared_tokenizer() -> None:
    nlp = spacy.blank("th", config=_thai())
    doc = nlp("ยังไม่ได้รับสินค้า ครับ")
    assert len(doc) >= 4
    assert "".join(t.text for t in doc) == "ยังไม่ได้รับสินค้าครับ"


def test_idf_zeroes_what_training_never_saw() -> None:
    nlp = spacy.blank("en")
    layer = intent_spacy.ngram_features(1, 0, 0, 1024)
    layer.initialize()
    intent_spacy.fit_idf(layer, [nlp("refund please"), nlp("parcel please")])
    (features, values, _), _ = layer(([nlp("refund please zebra")]), is_train=False)
    weight = dict(zip(features.tolist(), values.tolist(), strict=True))
    common, rare, unseen = (
        intent_spacy.word_features(w, "en", 0, 0)[0] for w in ("please", "refund", "zebra")
    )
    assert weight[unseen] == 0.0
    assert weight[rare] > weight[common] > 0.0


def test_block_norm_gives_words_and_characters_unit_length_each() -> None:
    nlp = spacy.blank("lv")
    doc = nlp("Sveiki, kur ir mana paka? Pasūtījums kavējas jau nedēļu.")
    whole = intent_spacy.ngram_features(2, 3, 5, 1024)
    blocks = intent_spacy.ngram_features(2, 3, 5, 1024, block_norm=True)
    for layer in (whole, blocks):
        layer.initialize()
    (keys, values, _), _ = whole([doc], is_train=False)
    (block_keys, block_values, _), _ = blocks([doc], is_train=False)
    assert keys.tolist() == block_keys.tolist()
    assert np.dot(values, values) == pytest.approx(1.0, rel=1e-5)
    (word_keys, _), (char_keys, _) = intent_spacy.doc_feature_blocks(doc, 2, 3, 5)
    words = block_values[: len(word_keys)]
    chars = block_values[len(word_keys) :]
    assert len(chars) == len(char_keys) > len(word_keys) > 0
    assert np.dot(words, words) == pytest.approx(1.0, rel=1e-5)
    assert np.dot(chars, chars) == pytest.approx(1.0, rel=1e-5)
    # under one norm the many character n-grams take most of the length
    assert np.dot(values[: len(word_keys)], values[: len(word_keys)]) < 0.3


def test_only_the_attributes_features_read_are_computed_for_new_words() -> None:
    nlp = intent_spacy.keep_feature_attrs(spacy.blank("en"))
    doc = nlp("Order 48213: can't log in!!")
    assert [t.norm_ for t in doc] == ["order", "48213", ":", "can", "not", "log", "in", "!", "!"]
    assert [t.is_punct for t in doc] == [False, False, True, False, False, False, False, True, True]
    full = spacy.blank("en")
    for text in ("Order 48213: can't log in!!", "Ik wil   mijn geld terug."):
        assert _blocks(intent_spacy.keep_feature_attrs(spacy.blank("en"))(text)) == _blocks(full(text))


def _blocks(doc: Doc) -> list[list[float]]:
    return [array.tolist() for block in intent_spacy.doc_feature_blocks(doc, 2, 3, 5) for array in block]


# -- training ---------------------------------------------------------------------------


def test_training_is_deterministic_with_a_seed(tmp_path: Path) -> None:
    split = small_split()
    configs = small_configs(tmp_path)
    first = train_language("en", split[Split.TRAIN], split[Split.DEV], seed=7, config_dir=configs)
    again = train_language("en", split[Split.TRAIN], split[Split.DEV], seed=7, config_dir=configs)
    other = train_language("en", split[Split.TRAIN], split[Split.DEV], seed=8, config_dir=configs)
    texts = [e.text for e in split[Split.DEV]]
    assert predict(first.nlp, texts) == predict(again.nlp, texts)
    assert _weights(first) == _weights(again)
    assert [c.dev for c in first.candidates] == [c.dev for c in again.candidates]
    assert _weights(first) != _weights(other)


def _weights(trained: TrainedLanguage) -> bytes:
    weights: bytes = cast(TextCategorizer, trained.nlp.get_pipe("textcat")).to_bytes()
    return weights


def test_the_candidate_with_the_best_dev_score_is_chosen(tmp_path: Path) -> None:
    split = small_split()
    result = train_language(
        "en", split[Split.TRAIN], split[Split.DEV], seed=1, config_dir=small_configs(tmp_path)
    )
    assert {c.name for c in result.candidates} == {"bow", "bow_blocks_wide", "bow_wide", "bow_words"}
    assert result.chosen.dev.macro_f1 == max(c.dev.macro_f1 for c in result.candidates)
    assert result.labels == SMALL_INTENTS
    assert result.chosen.dev.accuracy > 0.5  # it learned something (chance is 1/3)


def test_thai_trains_through_the_shared_tokenizer(tmp_path: Path) -> None:
    split = small_split("th")
    result = train_language(
        "th", split[Split.TRAIN], split[Split.DEV], seed=1, config_dir=small_configs(tmp_path, "th")
    )
    assert type(result.nlp.tokenizer).__name__ == "ThaiTokenizer"
    assert result.chosen.dev.accuracy > 0.5


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (('lang = "en"', 'lang = "nl"'), "expected 'en'"),
        (("patience = 15", ""), "patience"),
    ],
)
def test_a_bad_config_names_the_file(tmp_path: Path, edit: tuple[str, str], message: str) -> None:
    configs = small_configs(tmp_path)
    path = configs / "en" / "bow.cfg"
    path.write_text(path.read_text(encoding="utf-8").replace(*edit), encoding="utf-8")
    split = small_split()
    with pytest.raises(TrainingError, match=rf"bow\.cfg.*{message}"):
        train_language("en", split[Split.TRAIN], split[Split.DEV], config_dir=configs)


def test_no_config_for_a_language_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(TrainingError, match="no spaCy config"):
        train_language("en", small_split()[Split.TRAIN], [], config_dir=tmp_path)


# -- baselines ------------------------------------------------------------------------


@pytest.mark.parametrize("name", BASELINES)
def test_baselines_pick_c_on_dev_and_predict_known_intents(name: str) -> None:
    split = small_split()
    baseline = train_baseline(name, "en", split[Split.TRAIN], split[Split.DEV], c_grid=(1.0, 10.0))
    assert baseline.c in (1.0, 10.0)
    predicted = baseline.predict([e.text for e in split[Split.DEV]])
    assert set(predicted) <= set(SMALL_INTENTS)
    assert baseline.dev.accuracy > 0.5
