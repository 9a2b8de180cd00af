"""Choose each language's candidate config and epoch count by cross-validation.

Why not the dev split alone: dev holds about 13 messages per intent, so one
message moves macro-F1 by about 0.006 and the best of 60 noisy epochs
flatters whichever candidate got lucky. In one measurement character
n-grams across Thai word boundaries scored 0.80 against 0.76 for words alone
in 5-fold cross-validation, yet lower than words alone on dev.

So model selection pools train and dev (never test) and runs k-fold
cross-validation: every candidate is trained on k-1 folds and scores the
held-out fold after every epoch; the out-of-fold predictions of all folds
are pooled per epoch into one macro-F1 curve over all train+dev messages.
The candidate and epoch with the best pooled macro-F1 win (ties: fewer
epochs, then the name that sorts first). The result is written next to the
configs as ``selected.toml``; :func:`mailbot.nlp.training.train_language`
then trains that candidate on the train split for exactly that many epochs.

Folds are stratified and depend on nothing but the ids: within each intent
the ids are ordered by the split hash and dealt out in turn.
"""

from __future__ import annotations

import logging
import time
import tomllib
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from mailbot.nlp.intent_data import Example, id_hash
from mailbot.nlp.intent_metrics import score
from mailbot.nlp.training import TrainingError, fit_epochs, predict

log = logging.getLogger(__name__)

SELECTED_FILE = "selected.toml"
DEFAULT_FOLDS = 5


@dataclass(frozen=True)
class CandidateCurve:
    """Pooled out-of-fold macro-F1 of one candidate after each epoch."""

    name: str
    macro_f1_by_epoch: tuple[float, ...]
    seconds: float

    @property
    def best_epoch(self) -> int:
        """The first epoch with the best pooled macro-F1 (1-based)."""
        best = max(self.macro_f1_by_epoch)
        return self.macro_f1_by_epoch.index(best) + 1

    @property
    def best(self) -> float:
        return max(self.macro_f1_by_epoch)


@dataclass(frozen=True)
class Selection:
    """The candidate and epoch count cross-validation chose for one language."""

    language: str
    candidate: str
    epochs: int
    cv_macro_f1: float
    folds: int
    examples: int
    curves: tuple[CandidateCurve, ...] = ()


def assign_folds(examples: Sequence[Example], folds: int) -> list[int]:
    """Fold number of each example: stratified by intent, ordered by the id hash."""
    if folds < 2:
        raise TrainingError(f"cross-validation needs at least 2 folds, not {folds}")
    by_intent: dict[str, list[int]] = defaultdict(list)
    for index, example in enumerate(examples):
        by_intent[example.intent].append(index)
    fold_of = [0] * len(examples)
    for indices in by_intent.values():
        ordered = sorted(indices, key=lambda i: (id_hash(examples[i].id), examples[i].id))
        for rank, index in enumerate(ordered):
            fold_of[index] = rank % folds
    return fold_of


def cross_validate(
    config_path: Path,
    language: str,
    examples: Sequence[Example],
    *,
    seed: int,
    folds: int = DEFAULT_FOLDS,
) -> CandidateCurve:
    """Pooled out-of-fold macro-F1 per epoch of one candidate config."""
    started = time.perf_counter()
    labels = sorted({e.intent for e in examples})
    fold_of = assign_folds(examples, folds)
    # predictions[epoch - 1][i]: the top intent for example i when its fold was held out
    predictions: list[list[str]] = []
    for fold in range(folds):
        train = [e for e, f in zip(examples, fold_of, strict=True) if f != fold]
        held = [i for i, f in enumerate(fold_of) if f == fold]
        texts = [examples[i].text for i in held]
        for epoch, nlp in fit_epochs(config_path, language, train, seed=seed, labels=labels):
            if len(predictions) < epoch:
                predictions.append([""] * len(examples))
            for index, ranked in zip(held, predict(nlp, texts), strict=True):
                predictions[epoch - 1][index] = ranked[0][0]
        log.info("%s/%s: fold %d of %d done", language, config_path.stem, fold + 1, folds)
    truth = [e.intent for e in examples]
    curve = tuple(score(truth, predicted, labels).macro_f1 for predicted in predictions)
    return CandidateCurve(config_path.stem, curve, time.perf_counter() - started)


def select(
    language: str,
    examples: Sequence[Example],
    config_paths: Sequence[Path],
    *,
    seed: int,
    folds: int = DEFAULT_FOLDS,
    progress: Callable[[CandidateCurve], None] | None = None,
) -> Selection:
    """Cross-validate every candidate; the best pooled macro-F1 wins."""
    curves: list[CandidateCurve] = []
    for path in sorted(config_paths):
        curve = cross_validate(path, language, examples, seed=seed, folds=folds)
        curves.append(curve)
        if progress is not None:
            progress(curve)
    if not curves:
        raise TrainingError(f"no candidate config for language {language!r}")
    winner = min(curves, key=lambda c: (-round(c.best, 6), c.best_epoch, c.name))
    return Selection(
        language=language,
        candidate=winner.name,
        epochs=winner.best_epoch,
        cv_macro_f1=winner.best,
        folds=folds,
        examples=len(examples),
        curves=tuple(curves),
    )


def selection_text(selection: Selection) -> str:
    """``selected.toml``: the choice, and every candidate's figures as comments."""
    lines = [
        "# Chosen by `mailbot train --cross-validate` (mailbot/nlp/selection.py):",
        f"# {selection.folds}-fold cross-validation on the train and dev splits"
        f" ({selection.examples} messages; never test).",
        "# Pooled out-of-fold macro-F1 per candidate, at its best epoch:",
    ]
    lines += [f"#   {c.name}: {c.best:.3f} at epoch {c.best_epoch}" for c in selection.curves]
    lines += [
        f'candidate = "{selection.candidate}"',
        f"epochs = {selection.epochs}",
        f"cv_macro_f1 = {selection.cv_macro_f1:.4f}",
        f"folds = {selection.folds}",
        f"examples = {selection.examples}",
        "",
    ]
    return "\n".join(lines)


def write_selection(config_dir: Path, selection: Selection) -> Path:
    """Write ``<config_dir>/<lang>/selected.toml`` and return its path."""
    path = config_dir / selection.language / SELECTED_FILE
    path.write_text(selection_text(selection), encoding="utf-8")
    return path


def read_selection(config_dir: Path, language: str) -> tuple[str, int] | None:
    """(candidate, epochs) from ``selected.toml``, or None when there is none."""
    path = config_dir / language / SELECTED_FILE
    if not path.is_file():
        return None
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        candidate, epochs = data["candidate"], data["epochs"]
    except (OSError, tomllib.TOMLDecodeError, KeyError) as exc:
        raise TrainingError(f"{path}: not a readable model selection ({exc})") from exc
    if not isinstance(candidate, str) or not isinstance(epochs, int) or epochs < 1:
        raise TrainingError(f"{path}: candidate must be a name and epochs a positive integer")
    if not (config_dir / language / f"{candidate}.cfg").is_file():
        raise TrainingError(f"{path}: selected candidate {candidate!r} has no {candidate}.cfg")
    return candidate, epochs
