"""Choose the classifier rules' thresholds by cross-validation on their own examples.

A classifier rule (``policies/wording/classifiers.toml``) flags a sentence
when its model scores it at or above the rule's ``threshold``. Lower
thresholds find more risky sentences and raise more false alarms; where the
balance lies differs by category and language, and it must be chosen on
data the model was not trained on, without touching the held-out test
split. So the examples are split into k folds (by a hash of the item id,
so the split is stable as the file grows); for each fold the model is
trained on the others and scores the held-out one, and the phrase rules
(which do not learn) run on every item. Every item then has findings as
if the model had never seen it, and each threshold of the grid can be
scored exactly as :mod:`mailbot.wording_eval` scores a split: phrase-rule
findings plus the model's sentences at or above the threshold that no
phrase rule of the same category already points into.

The phrase rules, however, were written against these very examples and
find nearly all of them, which would hide what the threshold does on new
phrasings. So by default the model is scored alone (as if no phrase rule
existed), which is what it contributes on sentences the rules miss;
``--with-rules`` scores the combination as shipped.

``python -m mailbot.wording_tuning [--language LANG] [--folds 3] [--with-rules]`` prints,
per language and category, recall and precision at each threshold and the
one that maximises the smaller of the two (ties: the higher threshold,
which flags less). It changes no file: an admin copies the thresholds into
``classifiers.toml``.

The examples include the approved phrasebank's sentences as clean items
(``mailbot phrasebank examples``), so a threshold that flags the
phrasebank shows up here as lost precision.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from mailbot.model import Finding, Severity
from mailbot.wording_eval import CategoryScore, EvalItem, load_eval_set, score, without_classifiers
from mailbot.wording_model import ScoredUnit, doubted, fit_risk_model, flagged_units

DEFAULT_FOLDS = 3
#: Not below 0.5: there the model flags sentences it finds more likely clean than
#: risky (with 0.4, "This e-mail is not legal advice.", the required disclaimer, was flagged).
DEFAULT_GRID: tuple[float, ...] = (0.5, 0.6, 0.7, 0.8, 0.9)


@dataclass(frozen=True)
class ThresholdScore:
    """Cross-validated recall and precision of one category at one threshold."""

    threshold: float
    recall: float
    precision: float

    @property
    def worst(self) -> float:
        """The smaller of recall and precision: both must clear the goal."""
        return min(self.recall, self.precision)


def fold_of(item_id: str, folds: int) -> int:
    """The fold an item belongs to, from its id alone (stable as files grow)."""
    return int.from_bytes(hashlib.sha256(item_id.encode()).digest()[:8], "big") % folds


def out_of_fold_scores(
    items: Sequence[EvalItem], language: str, categories: Sequence[str], folds: int
) -> list[list[ScoredUnit]]:
    """Each item's sentences scored by a model trained on the other folds."""
    if folds < 2:
        raise ValueError(f"cross-validation needs at least 2 folds, not {folds}")
    assigned = [fold_of(item.id, folds) for item in items]
    scored: list[list[ScoredUnit]] = [[] for _ in items]
    for fold in range(folds):
        train = [item for item, f in zip(items, assigned, strict=True) if f != fold]
        model = fit_risk_model(train, language, categories)
        for index, f in enumerate(assigned):
            if f == fold:
                scored[index] = model.score(items[index].text)
    return scored


def findings_at(
    rule_findings: Sequence[Finding],
    units: Sequence[ScoredUnit],
    thresholds: Mapping[str, float],
    vetoes: Mapping[str, float] | None = None,
) -> list[Finding]:
    """Phrase-rule findings (less those the model vetoes) plus the model's, as
    :mod:`mailbot.wording` combines them."""
    vetoes = vetoes or {}
    rule_findings = [
        f for f in rule_findings if f.category not in vetoes or not doubted(f, units, vetoes[f.category])
    ]
    combined = list(rule_findings)
    for category, threshold in thresholds.items():
        for unit, _ in flagged_units(units, category, threshold, rule_findings):
            combined.append(
                Finding(f"model.{category}", category, Severity.WARNING, unit.start, unit.end, "", "")
            )
    return combined


def sweep(
    items: Sequence[EvalItem],
    rule_findings: Sequence[Sequence[Finding]],
    scored: Sequence[Sequence[ScoredUnit]],
    categories: Sequence[str],
    grid: Sequence[float] = DEFAULT_GRID,
    vetoes: Mapping[str, float] | None = None,
) -> dict[str, list[ThresholdScore]]:
    """Recall and precision of every category at every threshold of ``grid``."""
    table: dict[str, list[ThresholdScore]] = {category: [] for category in categories}
    for threshold in grid:
        thresholds = dict.fromkeys(categories, threshold)
        findings = [
            findings_at(found, units, thresholds, vetoes)
            for found, units in zip(rule_findings, scored, strict=True)
        ]
        scores: dict[str, CategoryScore] = score(items, findings, categories)
        for category in categories:
            entry = scores[category]
            table[category].append(ThresholdScore(threshold, entry.recall, entry.precision))
    return table


def best(scores: Sequence[ThresholdScore]) -> ThresholdScore:
    """The threshold with the best smaller-of-recall-and-precision (ties: the higher threshold)."""
    return max(scores, key=lambda s: (round(s.worst, 6), s.threshold))


def main(argv: Sequence[str] | None = None) -> int:
    """Print the threshold table of every language's classifier rules."""
    # imported here: the helpers above stay importable without spaCy
    from mailbot.policy.wording import ClassifierRule, load_wording_policy
    from mailbot.wording import WordingChecker

    parser = argparse.ArgumentParser(prog="python -m mailbot.wording_tuning")
    parser.add_argument("--rules", type=Path, default=Path("policies/wording"))
    parser.add_argument("--language", action="append", help="only this language (repeatable)")
    parser.add_argument("--folds", type=int, default=DEFAULT_FOLDS)
    parser.add_argument(
        "--with-rules",
        action="store_true",
        help="score phrase rules + model as shipped (the rules were written against these examples)",
    )
    args = parser.parse_args(argv)
    policy = load_wording_policy(args.rules)
    phrase_rules = WordingChecker(without_classifiers(policy)) if args.with_rules else None
    for language in args.language or sorted(policy.languages):
        rules = [r for r in policy.rules_for(language) if isinstance(r, ClassifierRule)]
        if not rules:
            continue
        current = {rule.category: rule.threshold for rule in rules}
        categories = sorted(current)
        for examples in sorted({rule.examples for rule in rules}):
            items = load_eval_set(Path(examples))
            found = [
                phrase_rules.check(item.text, language, item.intent) if phrase_rules else [] for item in items
            ]
            scored = out_of_fold_scores(items, language, categories, args.folds)
            vetoes = {r.category: r.veto_below for r in rules if r.veto_below is not None}
            table = sweep(items, found, scored, categories, vetoes=vetoes)
            what = "phrase rules + model" if args.with_rules else "model alone"
            sys.stdout.write(f"{language}: {examples}, {len(items)} items, {args.folds}-fold, {what}\n")
            for category in categories:
                sys.stdout.write(_row(category, table[category], current[category]))
    return 0


def _row(category: str, scores: Sequence[ThresholdScore], current: float) -> str:
    chosen = best(scores)
    cells = "  ".join(f"{s.threshold:.2f}: {s.recall:.2f}/{s.precision:.2f}" for s in scores)
    return (
        f"  {category:22} best {chosen.threshold:.2f} ({chosen.recall:.2f}/{chosen.precision:.2f};"
        f" now {current:.2f})  {cells}\n"
    )


if __name__ == "__main__":
    raise SystemExit(main())
