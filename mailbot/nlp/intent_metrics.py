"""Scores of an intent classifier on labelled messages: the figures `mailbot evaluate` prints.

Pure Python (no scikit-learn), so the daemon's retraining job can compare
models without importing the baseline's dependencies. Definitions follow
the usual ones (and scikit-learn's): per intent, precision = right among
predicted, recall = right among true, F1 their harmonic mean, 0 when
undefined; macro-F1 is the unweighted mean over the intents, so a rare
intent counts as much as a common one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class IntentScore:
    """Precision, recall and F1 of one intent, with its number of true messages."""

    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class Metrics:
    """Accuracy, macro-F1, per-intent scores and the confusion matrix.

    ``confusion[i][j]`` counts messages whose true intent is ``labels[i]``
    and whose predicted intent is ``labels[j]``.
    """

    count: int
    accuracy: float
    macro_f1: float
    labels: tuple[str, ...]
    per_intent: dict[str, IntentScore]
    confusion: tuple[tuple[int, ...], ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "accuracy": self.accuracy,
            "macro_f1": self.macro_f1,
            "labels": list(self.labels),
            "per_intent": {name: vars(score) for name, score in self.per_intent.items()},
            "confusion": [list(row) for row in self.confusion],
        }


def score(gold: Sequence[str], predicted: Sequence[str], labels: Sequence[str] = ()) -> Metrics:
    """Score ``predicted`` against ``gold``.

    The intents scored are ``labels`` plus every intent that occurs in
    ``gold`` or ``predicted``, sorted by name.
    """
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold labels but {len(predicted)} predictions")
    names = tuple(sorted(set(labels) | set(gold) | set(predicted)))
    pairs = Counter(zip(gold, predicted, strict=True))
    true_counts = Counter(gold)
    predicted_counts = Counter(predicted)
    per_intent: dict[str, IntentScore] = {}
    for name in names:
        right = pairs[(name, name)]
        precision = right / predicted_counts[name] if predicted_counts[name] else 0.0
        recall = right / true_counts[name] if true_counts[name] else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_intent[name] = IntentScore(precision, recall, f1, true_counts[name])
    # Intents that occur in neither gold nor predictions would add a 0 that
    # says nothing about this data; scikit-learn leaves them out too.
    present = [n for n in names if true_counts[n] or predicted_counts[n]]
    macro = sum(per_intent[n].f1 for n in present) / len(present) if present else 0.0
    correct = sum(pairs[(n, n)] for n in names)
    return Metrics(
        count=len(gold),
        accuracy=correct / len(gold) if gold else 0.0,
        macro_f1=macro,
        labels=names,
        per_intent=per_intent,
        confusion=tuple(tuple(pairs[(g, p)] for p in names) for g in names),
    )


def format_metrics(metrics: Metrics) -> list[str]:
    """Per-intent precision/recall/F1 and the confusion matrix as text lines."""
    width = max((len(n) for n in metrics.labels), default=6)
    lines = [f"  {'intent':<{width}}  precision  recall     f1  support"]
    for name in metrics.labels:
        s = metrics.per_intent[name]
        lines.append(f"  {name:<{width}}  {s.precision:9.3f}  {s.recall:6.3f}  {s.f1:5.3f}  {s.support:7d}")
    short = [_abbreviation(n) for n in metrics.labels]
    lines.append("  confusion (rows: true, columns: predicted)")
    lines.append(f"  {'':<{width}}  " + " ".join(f"{a:>4}" for a in short))
    for name, row in zip(metrics.labels, metrics.confusion, strict=True):
        lines.append(f"  {name:<{width}}  " + " ".join(f"{c:>4}" for c in row))
    return lines


def _abbreviation(name: str) -> str:
    """Four characters that tell intents apart in a column header (``return_exchange`` -> ``re_e``)."""
    parts = name.split("_")
    if len(parts) == 1:
        return name[:4]
    return (parts[0][:2] + "_" + parts[1][:1])[:4]
