"""Score a trained intent model and the baselines on the frozen dev and test splits.

The figures behind ``mailbot evaluate``: per language, the model's and each
baseline's metrics on dev and test. The baselines are trained here, in the
same run, on the same frozen train split the model was trained on
(corrections added to a retrained model are not in that split; the report
says how many the model had). Scoring the test split is all that ever
happens with it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from mailbot.nlp.intent_baseline import BASELINES, evaluate_baseline, train_baseline
from mailbot.nlp.intent_data import Example, Split
from mailbot.nlp.intent_metrics import Metrics
from mailbot.nlp.intents import IntentModel
from mailbot.nlp.training import evaluate

SCORED: tuple[Split, ...] = (Split.DEV, Split.TEST)


@dataclass(frozen=True)
class LanguageReport:
    """One language's figures: the model's and every baseline's, per split."""

    language: str
    candidate: str
    corrections: int
    model: dict[Split, Metrics]
    baselines: dict[str, dict[Split, Metrics]]
    baseline_c: dict[str, float]

    def as_dict(self) -> dict[str, Any]:
        return {
            "language": self.language,
            "candidate": self.candidate,
            "corrections": self.corrections,
            "model": {split.value: m.as_dict() for split, m in self.model.items()},
            "baselines": {
                name: {"C": self.baseline_c[name], **{s.value: m.as_dict() for s, m in per_split.items()}}
                for name, per_split in self.baselines.items()
            },
        }


def evaluate_language(
    model: IntentModel,
    language: str,
    split: dict[Split, list[Example]],
    baselines: Sequence[str] = BASELINES,
) -> LanguageReport:
    """The model and the baselines, each scored on dev and test."""
    nlp = model.pipeline(language)
    labels = model.labels(language)
    scored = {s: evaluate(nlp, split[s], labels) for s in SCORED}
    per_baseline: dict[str, dict[Split, Metrics]] = {}
    chosen_c: dict[str, float] = {}
    for name in baselines:
        fitted = train_baseline(name, language, split[Split.TRAIN], split[Split.DEV])
        per_baseline[name] = {Split.DEV: fitted.dev, Split.TEST: evaluate_baseline(fitted, split[Split.TEST])}
        chosen_c[name] = fitted.c
    info = model.info[language]
    return LanguageReport(
        language=language,
        candidate=info.candidate,
        corrections=info.corrections,
        model=scored,
        baselines=per_baseline,
        baseline_c=chosen_c,
    )


def summary_lines(reports: Sequence[LanguageReport]) -> list[str]:
    """The figures table: accuracy and macro-F1 of the model, macro-F1 of each baseline, dev and test."""
    names = list(reports[0].baselines) if reports else []
    header = "lang  split  model acc  model F1  " + "  ".join(f"{n} F1" for n in names)
    lines = [header]
    for report in reports:
        for split in SCORED:
            m = report.model[split]
            cells = "  ".join(f"{report.baselines[n][split].macro_f1:>{len(n) + 3}.3f}" for n in names)
            lines.append(
                f"{report.language:<4}  {split.value:<5}  {m.accuracy:9.3f}  {m.macro_f1:8.3f}  {cells}"
            )
    return lines
