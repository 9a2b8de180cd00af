"""Cross-validated thresholds for the classifier rules (mailbot/wording_tuning.py)."""

from __future__ import annotations

from pathlib import Path

from mailbot.model import Finding, Severity
from mailbot.wording_eval import EvalItem, LabelledSpan, load_eval_set
from mailbot.wording_model import ScoredUnit
from mailbot.wording_tuning import ThresholdScore, best, findings_at, fold_of, out_of_fold_scores, sweep

EXAMPLES = Path(__file__).resolve().parent.parent / "policies" / "wording" / "examples" / "en.jsonl"


def _rule(category: str, start: int, end: int) -> Finding:
    return Finding("en.rule", category, Severity.BLOCKER, start, end, "", "")


def test_folds_depend_on_the_id_only() -> None:
    ids = [f"en.dev.{n:03d}" for n in range(300)]
    folds = [fold_of(i, 3) for i in ids]
    assert folds == [fold_of(i, 3) for i in ids]
    assert set(folds) == {0, 1, 2}
    assert min(folds.count(f) for f in range(3)) > 70  # roughly even


def test_model_findings_respect_threshold_and_yield_to_rules_of_their_category() -> None:
    units = [ScoredUnit(0, 20, {"tone": 0.9, "guarantee": 0.55}), ScoredUnit(21, 40, {"tone": 0.4})]
    rule = _rule("guarantee", 5, 9)
    found = findings_at([rule], units, {"tone": 0.5, "guarantee": 0.5})
    assert [(f.category, f.start, f.end) for f in found] == [("guarantee", 5, 9), ("tone", 0, 20)]
    found = findings_at([], units, {"tone": 0.95, "guarantee": 0.5})
    assert [(f.category, f.start, f.end) for f in found] == [("guarantee", 0, 20)]


def test_sweep_trades_recall_for_precision() -> None:
    items = [
        EvalItem("a", "You should have read it.", (LabelledSpan("tone", 0, 23),)),
        EvalItem("b", "Please read the manual.", ()),
    ]
    scored = [[ScoredUnit(0, 24, {"tone": 0.7})], [ScoredUnit(0, 23, {"tone": 0.6})]]
    table = sweep(items, [[], []], scored, ["tone"], grid=(0.5, 0.65, 0.8))
    assert [(s.recall, s.precision) for s in table["tone"]] == [(1.0, 0.5), (1.0, 1.0), (0.0, 1.0)]
    assert best(table["tone"]).threshold == 0.65


def test_best_prefers_the_higher_threshold_on_ties() -> None:
    scores = [ThresholdScore(0.5, 0.9, 0.95), ThresholdScore(0.7, 0.95, 0.9), ThresholdScore(0.9, 0.5, 1.0)]
    assert best(scores).threshold == 0.7


def test_every_item_is_scored_by_a_model_that_did_not_see_it() -> None:
    items = load_eval_set(EXAMPLES)
    scored = out_of_fold_scores(items, "en", ["tone"], folds=2)
    assert len(scored) == len(items)
    assert all(units for item, units in zip(items, scored, strict=True) if item.text.strip())
    # a model that had seen them would score its own positives near 1; held out, some fall below 0.5
    positives = [
        max(u.scores["tone"] for u in units)
        for item, units in zip(items, scored, strict=True)
        if any(s.category == "tone" for s in item.spans)
    ]
    assert sum(p < 0.5 for p in positives) > 0.05 * len(positives)


def test_findings_at_applies_the_vetoes_like_the_checker() -> None:
    from mailbot.model import Finding, Severity
    from mailbot.wording_model import ScoredUnit
    from mailbot.wording_tuning import findings_at

    units = [ScoredUnit(0, 10, {"tone": 0.01}), ScoredUnit(11, 20, {"tone": 0.9})]
    phrase = [
        Finding("r", "tone", Severity.WARNING, 2, 5, "x", "m"),
        Finding("r", "tone", Severity.WARNING, 12, 15, "x", "m"),
    ]
    kept = findings_at(phrase, units, {"tone": 0.5}, {"tone": 0.05})
    assert [(f.rule, f.start) for f in kept] == [("r", 12)]  # the second unit has its phrase finding
    assert [f.start for f in findings_at(phrase, units, {"tone": 0.5})] == [2, 12]
