"""The learned wording check: units, training, the classifier rule kind and its findings."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from mailbot.errors import ConfigError
from mailbot.nlp.tokens import tokenize
from mailbot.policy.wording import load_wording_policy
from mailbot.wording import WordingChecker
from mailbot.wording_eval import EvalItem, load_eval_set, parse_eval_set
from mailbot.wording_model import fit_risk_model, risk_model, risk_units, training_units, units_of

GUARANTEES = [
    "We guarantee the parcel arrives tomorrow.",
    "I promise you this will never happen again.",
    "You will definitely receive the new phone on Monday.",
    "We assure you the repair will be perfect.",
    "I can guarantee that the price will not change.",
    "Rest assured, the engineer will certainly fix it.",
    "I promise the fee will be gone from your bill.",
    "We are one hundred percent sure it will work now.",
    "You have my word that the order ships today.",
    "I guarantee you will be happy with the result.",
    "Our team promises that the heating works again tonight.",
    "It will absolutely be delivered before the weekend.",
]
CLEAN = [
    "We cannot guarantee a delivery date during the holidays.",
    "Thank you for your message about the order.",
    "The parcel left our warehouse this morning.",
    "Could you send me a photo of the damaged box?",
    "Our opening hours are nine to five on weekdays.",
    "The warranty terms are on our website.",
    "I have forwarded your question to the billing team.",
    "Please let me know if anything is unclear.",
    "Your account now shows the new address.",
    "We usually answer within two working days.",
    "The manual explains how to reset the router.",
    "I am sorry to hear the chair arrived scratched.",
]


def _write_examples(path: Path, positives: list[str], negatives: list[str]) -> Path:
    lines = []
    for index, text in enumerate(positives):
        span = {"category": "guarantee", "start": 0, "end": len(text) - 1, "text": text[:-1]}
        lines.append({"id": f"en.dev.{index:03d}", "text": text, "spans": [span], "near_miss": []})
    for index, text in enumerate(negatives, start=len(positives)):
        lines.append({"id": f"en.dev.{index:03d}", "text": text, "spans": [], "near_miss": ["guarantee"]})
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    return path


def _policy(tmp_path: Path, examples: str = "examples.jsonl", extra: str = "") -> Path:
    (tmp_path / "rules.toml").write_text(
        f"""
[categories]
guarantee = "Promising an outcome"

[[rules]]
id = "en.guarantee.word"
kind = "existence"
category = "guarantee"
severity = "blocker"
languages = ["en"]
message = "'{{text}}' promises an outcome."
patterns = ["guarantee"]

[[rules]]
id = "en.guarantee.model"
kind = "classifier"
category = "guarantee"
severity = "warning"
languages = ["en"]
examples = "{examples}"
threshold = 0.5
message = "This sentence may promise an outcome ({{score}} sure)."
{extra}
""",
        encoding="utf-8",
    )
    return tmp_path / "rules.toml"


def test_units_are_sentences_and_thai_clauses() -> None:
    text = "Thank you. We will refund you!\nKind regards"
    units = [text[a:b] for a, b in risk_units(text, "en")]
    assert units == ["Thank you.", "We will refund you!", "Kind regards"]
    thai = "ขอบคุณค่ะ ทางเรารับประกันว่าจะถึงพรุ่งนี้"
    assert [thai[a:b] for a, b in risk_units(thai, "th")] == ["ขอบคุณค่ะ", "ทางเรารับประกันว่าจะถึงพรุ่งนี้"]
    # a spaced-off particle ends the clause before it; numbers stay inside their clause
    spaced = "รอสักครู่ นะคะ เราจะโทรกลับภายใน 2 วัน ครับ"
    assert [spaced[a:b] for a, b in risk_units(spaced, "th")] == [
        "รอสักครู่ นะคะ",
        "เราจะโทรกลับภายใน 2 วัน ครับ",
    ]


def test_training_units_take_the_categories_of_overlapping_spans() -> None:
    line = json.dumps(
        {
            "id": "x",
            "text": "Hello there. We guarantee it.",
            "spans": [{"category": "guarantee", "start": 13, "end": 25}],
        }
    )
    units, labels = training_units(parse_eval_set([line]), "en")
    assert [(u.start, u.end) for u in units] == [(0, 12), (13, 29)]
    assert units[1].features[:4] == ["we", "guarantee", "it", "we guarantee"]
    assert "# gu" in units[1].features and "#it. " in units[1].features
    assert labels == [set(), {"guarantee"}]


def test_the_model_flags_unseen_promises_and_not_unseen_clean_sentences(tmp_path: Path) -> None:
    # train on all but the last three of each list, judge the held-out ones
    path = _write_examples(tmp_path / "ex.jsonl", GUARANTEES[:-3], CLEAN[:-3])
    model = fit_risk_model(parse_eval_set(path.read_text().splitlines()), "en", ["guarantee"])
    promised = [model.score(text)[0].scores["guarantee"] for text in GUARANTEES[-3:]]
    clean = [model.score(text)[0].scores["guarantee"] for text in CLEAN[-3:]]
    assert min(promised) > max(clean)


def test_a_unit_of_only_symbols_scores_nothing(tmp_path: Path) -> None:
    path = _write_examples(tmp_path / "ex.jsonl", GUARANTEES, CLEAN)
    model = fit_risk_model(parse_eval_set(path.read_text().splitlines()), "th", ["guarantee"])
    units = model.score("รับประกันแน่นอน >")
    assert [(u.start, u.end) for u in units] == [(0, 15), (16, 17)]
    assert units[1].scores == {"guarantee": 0.0}
    assert (
        model.probabilities(
            units_of("รับประกันแน่นอน >", tokenize("รับประกันแน่นอน >", "th", keep_breaks=True), "th")
        )[1][0]
        > 0
    )


def test_training_is_deterministic(tmp_path: Path) -> None:
    path = _write_examples(tmp_path / "ex.jsonl", GUARANTEES, CLEAN)
    items = parse_eval_set(path.read_text().splitlines())
    first = fit_risk_model(items, "en", ["guarantee"]).score("We promise it arrives today.")
    second = fit_risk_model(items, "en", ["guarantee"]).score("We promise it arrives today.")
    assert np.isclose(first[0].scores["guarantee"], second[0].scores["guarantee"], rtol=0, atol=0)


def test_too_few_examples_of_a_category_is_a_clear_error(tmp_path: Path) -> None:
    path = _write_examples(tmp_path / "ex.jsonl", GUARANTEES[:3], CLEAN)
    with pytest.raises(ConfigError, match="needs at least 8 labelled sentences") as caught:
        risk_model(path, "en", ["guarantee"])
    assert str(path) in str(caught.value)


def test_classifier_rule_findings_in_the_checker(tmp_path: Path) -> None:
    _write_examples(tmp_path / "examples.jsonl", GUARANTEES, CLEAN)
    checker = WordingChecker(load_wording_policy(_policy(tmp_path)))
    findings = checker.check("Hello. You will certainly get it by Friday, I promise.", "en")
    model = [f for f in findings if f.rule == "en.guarantee.model"]
    assert [f.text for f in model] == ["You will certainly get it by Friday, I promise."]
    assert "% sure" in model[0].message and "{score}" not in model[0].message
    # an explicit rule of the same category already points into the sentence: no second finding
    both = checker.check("We guarantee it will certainly work, I promise.", "en")
    assert [f.rule for f in both] == ["en.guarantee.word"]
    assert checker.check("Thank you for your patience.", "en") == []


def test_a_missing_examples_file_names_policy_file_and_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"examples file 'nowhere\.jsonl' not found") as caught:
        load_wording_policy(_policy(tmp_path, examples="nowhere.jsonl"))
    message = str(caught.value)
    assert "rules.toml" in message and "en.guarantee.model" in message


def test_classifier_rules_refuse_exceptions(tmp_path: Path) -> None:
    _write_examples(tmp_path / "examples.jsonl", GUARANTEES, CLEAN)
    policy = _policy(tmp_path)
    text = policy.read_text().replace("threshold = 0.5", 'threshold = 0.5\nexceptions = ["cannot"]')
    policy.write_text(text)
    with pytest.raises(ConfigError, match="take no 'exceptions'"):
        load_wording_policy(policy)


def test_a_broken_example_line_names_the_examples_file_and_line(tmp_path: Path) -> None:
    path = _write_examples(tmp_path / "examples.jsonl", GUARANTEES, CLEAN)
    path.write_text(path.read_text() + '{"id": "bad", "spans": []}\n')
    policy = load_wording_policy(_policy(tmp_path))
    with pytest.raises(ConfigError, match=r"examples.jsonl:25: missing key 'text'") as caught:
        WordingChecker(policy)
    assert "en.guarantee.model" in str(caught.value)


def test_numpy_scoring_matches_scikit_learn(tmp_path: Path) -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    from mailbot.nlp.tokens import tokenize
    from mailbot.wording_model import C, units_of

    path = _write_examples(tmp_path / "ex.jsonl", GUARANTEES, CLEAN)
    items = parse_eval_set(path.read_text().splitlines())
    model = fit_risk_model(items, "en", ["guarantee"])
    units, labels = training_units(items, "en")
    vectorizer = TfidfVectorizer(analyzer=lambda features: features, sublinear_tf=True)
    reference = LogisticRegression(
        C=C, class_weight="balanced", solver="liblinear", dual=True, random_state=0, max_iter=1000
    ).fit(vectorizer.fit_transform([u.features for u in units]), ["guarantee" in found for found in labels])
    probes = ["We promise a refund today.", "Thanks for waiting.", "zebra xylophone"]
    features = [units_of(t, tokenize(t, "en", keep_breaks=True), "en")[0].features for t in probes]
    expected = reference.predict_proba(vectorizer.transform(features))[:, 1]
    got = [model.score(text)[0].scores["guarantee"] for text in probes]
    assert np.allclose(got, expected, atol=1e-9)


def test_the_disk_cache_round_trips_and_retrains_on_change(tmp_path: Path) -> None:
    path = _write_examples(tmp_path / "ex.jsonl", GUARANTEES, CLEAN)
    cache = tmp_path / "cache"
    first = risk_model(path, "en", ["guarantee"], cache_dir=cache)
    stored = list(cache.glob("*.npz"))
    assert len(stored) == 1
    from mailbot.wording_model import RiskModel

    loaded = RiskModel.load(stored[0])
    probe = "I promise it will be fixed."
    assert loaded.score(probe) == first.score(probe)
    _write_examples(path, GUARANTEES[:-1], CLEAN)
    risk_model(path, "en", ["guarantee"], cache_dir=cache)
    assert len(list(cache.glob("*.npz"))) == 2
    stored[0].write_bytes(b"not an npz")  # a damaged cache entry is retrained, not trusted
    from mailbot.wording_model import _cached_model

    _cached_model.cache_clear()
    _write_examples(path, GUARANTEES, CLEAN)
    again = risk_model(path, "en", ["guarantee"], cache_dir=cache)
    assert again.score(probe)[0].scores["guarantee"] == pytest.approx(
        first.score(probe)[0].scores["guarantee"]
    )


def test_the_approved_phrasebank_weighs_more_than_other_clean_examples() -> None:
    shipped = Path(__file__).resolve().parent.parent / "policies" / "wording" / "examples" / "en.jsonl"
    items = [i for i in load_eval_set(shipped) if ".phrasebank." not in i.id]
    sentence = "Your question about the law and your legal rights is with our team."

    def clean(item_id: str) -> EvalItem:
        return EvalItem(item_id, sentence)

    as_dev = fit_risk_model([*items, clean("en.dev.99999")], "en", ["legal_statement"])
    as_phrasebank = fit_risk_model([*items, clean("en.phrasebank.999")], "en", ["legal_statement"])
    dev_score = as_dev.score(sentence)[0].scores["legal_statement"]
    approved_score = as_phrasebank.score(sentence)[0].scores["legal_statement"]
    assert approved_score < dev_score


def test_units_carry_the_words_of_their_neighbours_as_context() -> None:
    from mailbot.nlp.tokens import tokenize
    from mailbot.wording_model import units_of

    text = "A code came to your phone. Read it out to me. Thanks!"
    first, middle, last = units_of(text, tokenize(text, "en", keep_breaks=True), "en")
    assert "<phone" in middle.context and ">thanks" in middle.context
    assert "<read" not in middle.context and "read" in middle.words
    assert not any(word.startswith("<") for word in first.context)
    assert not any(word.startswith(">") for word in last.context)
    assert all(" " not in word for word in middle.context)  # single words, no bigrams
    assert set(middle.context) <= set(middle.features)


def test_context_tells_apart_the_same_clause_after_different_ones(tmp_path: Path) -> None:
    # Thai: "read it out to me" is a request for a secret after "a code came to your
    # phone", and harmless after "here is the address"; without context the model
    # must give the clause one score in both places
    secret = "มีรหัสส่งไปที่มือถือใช่ไหมคะ อ่านให้ฟังหน่อยค่ะ"
    harmless = "นี่คือที่อยู่สำหรับส่งของค่ะ อ่านให้ฟังหน่อยค่ะ"
    from mailbot.nlp.tokens import tokenize
    from mailbot.wording_model import units_of

    one = units_of(secret, tokenize(secret, "th", keep_breaks=True), "th")
    two = units_of(harmless, tokenize(harmless, "th", keep_breaks=True), "th")
    assert one[-1].words == two[-1].words
    assert one[-1].features != two[-1].features


def test_tone_gives_way_to_a_category_that_scores_the_sentence_higher() -> None:
    from mailbot.wording_model import OUTRANK_FLOOR, ScoredUnit, flagged_units

    promise = ScoredUnit(0, 10, {"tone": 0.6, "guarantee": 0.9})
    rude = ScoredUnit(11, 20, {"tone": 0.9, "guarantee": 0.7})
    unsure = ScoredUnit(21, 30, {"tone": 0.45, "guarantee": OUTRANK_FLOOR - 0.01})
    units = [promise, rude, unsure]
    assert [u for u, _ in flagged_units(units, "tone", 0.4, [])] == [rude, unsure]
    # only tone gives way: both categories may flag the same sentence otherwise
    assert [u for u, _ in flagged_units(units, "guarantee", 0.5, [])] == [promise, rude]


_WARNING_RULE = """
[[rules]]
id = "en.guarantee.sure"
kind = "existence"
category = "guarantee"
severity = "warning"
languages = ["en"]
message = "'{text}' may sound like a promise."
patterns = ["sure"]
"""


def test_a_veto_withdraws_warnings_the_model_is_sure_are_clean(tmp_path: Path) -> None:
    _write_examples(tmp_path / "examples.jsonl", GUARANTEES, [*CLEAN, "Make sure the cable is plugged in."])
    policy = _policy(tmp_path, extra=_WARNING_RULE)
    plain = WordingChecker(load_wording_policy(policy))
    doubtful = "Please make sure the cable is plugged in."
    assert [f.rule for f in plain.check(doubtful, "en")] == ["en.guarantee.sure"]
    [unit] = risk_model(tmp_path / "examples.jsonl", "en", ["guarantee"], cache_dir=None).score(doubtful)
    assert unit.scores["guarantee"] < 0.2  # the model is sure the sentence is clean
    policy.write_text(policy.read_text().replace("threshold = 0.5", "threshold = 0.5\nveto_below = 0.2"))
    vetoing = WordingChecker(load_wording_policy(policy))
    assert vetoing.check(doubtful, "en") == []
    # where the model agrees, the warning stays; a blocker stays whatever the model says
    assert "en.guarantee.sure" in {f.rule for f in vetoing.check("I am sure it will arrive tomorrow.", "en")}
    assert [f.rule for f in vetoing.check("We guarantee the cable is plugged in.", "en")] == [
        "en.guarantee.word"
    ]


def test_veto_below_must_be_under_the_threshold(tmp_path: Path) -> None:
    _write_examples(tmp_path / "examples.jsonl", GUARANTEES, CLEAN)
    policy = _policy(tmp_path)
    policy.write_text(policy.read_text().replace("threshold = 0.5", "threshold = 0.5\nveto_below = 0.6"))
    with pytest.raises(ConfigError, match=r"veto_below \(0.6\) must be below threshold \(0.5\)"):
        load_wording_policy(policy)


def test_doubted_needs_every_touched_unit_below_and_never_doubts_a_blocker() -> None:
    from mailbot.model import Finding, Severity
    from mailbot.wording_model import ScoredUnit, doubted

    units = [ScoredUnit(0, 10, {"tone": 0.01}), ScoredUnit(11, 20, {"tone": 0.4})]
    warning = Finding("r", "tone", Severity.WARNING, 2, 5, "x", "m")
    across = Finding("r", "tone", Severity.WARNING, 8, 14, "x", "m")
    blocker = Finding("r", "tone", Severity.BLOCKER, 2, 5, "x", "m")
    outside = Finding("r", "tone", Severity.WARNING, 30, 35, "x", "m")
    assert doubted(warning, units, 0.05)
    assert not doubted(across, units, 0.05)  # the second sentence is not clearly clean
    assert not doubted(blocker, units, 0.05)
    assert not doubted(outside, units, 0.05)  # no sentence to judge by
