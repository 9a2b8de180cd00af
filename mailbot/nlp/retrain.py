"""Build intent models from the data (``mailbot train``) and retrain them with people's corrections.

:func:`build_models` trains every language on the frozen train split (plus
any corrections handed in), writes a new model version and, unless told
not to, makes it current.

:func:`retrain` is the nightly job: it adds every stored correction to the
training data, trains, and scores the new and the current model on the same
frozen dev split. The new model is swapped in only if no language's dev
macro-F1 drops (by more than ``tolerance``); both scores of every language
are logged either way. When neither the data nor the configs changed since
the current model was built, nothing is trained at all.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from mailbot.nlp.intent_data import LANGUAGES, Example, Split, correction_examples, load_split
from mailbot.nlp.intents import (
    IntentModel,
    IntentModelError,
    current_version,
    read_manifest,
    resolve_version,
    set_current,
)
from mailbot.nlp.model_store import data_digest, discard, locked, prune, write_version
from mailbot.nlp.selection import SELECTED_FILE, read_selection
from mailbot.nlp.training import CONFIG_DIR, DEFAULT_SEED, TrainedLanguage, evaluate, train_language

log = logging.getLogger(__name__)

#: Versions kept on disk (the current one is never deleted).
KEEP_VERSIONS = 5


class CorrectionSource(Protocol):
    """What retraining needs from the store: :meth:`mailbot.store.Store.corrections`."""

    def corrections(self) -> list[dict[str, Any]]: ...


@dataclass(frozen=True)
class BuildResult:
    """A newly written model version and each language's training result."""

    version: str
    activated: bool
    trained: Mapping[str, TrainedLanguage]
    digest: str


@dataclass(frozen=True)
class RetrainResult:
    """What the nightly retraining did, with the dev macro-F1 of both models per language."""

    swapped: bool
    reason: str
    current_version: str | None
    new_version: str | None
    corrections: int
    scores: dict[str, tuple[float | None, float]] = field(default_factory=dict)
    """language -> (current model's dev macro-F1 or None, new model's dev macro-F1)"""

    def describe(self) -> str:
        parts = [
            f"{lang} {'-' if old is None else f'{old:.3f}'} -> {new:.3f}"
            for lang, (old, new) in sorted(self.scores.items())
        ]
        figures = f"; dev macro-F1 {', '.join(parts)}" if parts else ""
        return (
            f"{'swapped' if self.swapped else 'kept'} intent model"
            f" {self.current_version or '-'} -> {self.new_version or '-'}"
            f" ({self.reason}; {self.corrections} correction(s)){figures}"
        )


def _digest(sets: Mapping[str, tuple[list[Example], list[Example]]], seed: int, config_dir: Path) -> str:
    """Digest of everything a build depends on: training examples, candidate configs, seed."""
    configs = [
        f"{path.relative_to(config_dir)}\n{path.read_text(encoding='utf-8')}"
        for lang in sets
        for path in sorted([*(config_dir / lang).glob("*.cfg"), *(config_dir / lang).glob(SELECTED_FILE)])
    ]
    everything = [e for train, _ in sets.values() for e in train]
    return data_digest(everything, f"seed={seed}\n" + "\n".join(configs))


def build_models(
    model_root: Path,
    data_dir: Path,
    *,
    languages: Sequence[str] = LANGUAGES,
    seed: int = DEFAULT_SEED,
    config_dir: Path = CONFIG_DIR,
    corrections: Sequence[Example] = (),
    activate: bool = True,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> BuildResult:
    """Train every language and write a new version under ``model_root`` (made current if ``activate``)."""
    with locked(model_root):
        return _build(
            model_root, data_dir, languages, seed, config_dir, corrections, now(), activate=activate
        )


def _training_sets(
    data_dir: Path, languages: Sequence[str], corrections: Sequence[Example]
) -> dict[str, tuple[list[Example], list[Example]]]:
    sets: dict[str, tuple[list[Example], list[Example]]] = {}
    for language in languages:
        split = load_split(data_dir, language)
        extra = [c for c in corrections if c.language == language]
        sets[language] = (split[Split.TRAIN] + extra, split[Split.DEV])
    return sets


def _build(
    model_root: Path,
    data_dir: Path,
    languages: Sequence[str],
    seed: int,
    config_dir: Path,
    corrections: Sequence[Example],
    now: datetime,
    *,
    activate: bool,
) -> BuildResult:
    sets = _training_sets(data_dir, languages, corrections)
    digest = _digest(sets, seed, config_dir)
    trained = {
        lang: train_language(
            lang, train, dev, seed=seed, config_dir=config_dir, selected=read_selection(config_dir, lang)
        )
        for lang, (train, dev) in sets.items()
    }
    counts = Counter(c.language for c in corrections)
    version = write_version(
        model_root, trained, now=now, corrections=counts, digest=digest, carry_from=_current_dir(model_root)
    )
    if activate:
        set_current(model_root, version)
        prune(model_root, KEEP_VERSIONS)
    return BuildResult(version=version, activated=activate, trained=trained, digest=digest)


def build_needed(
    model_root: Path,
    data_dir: Path,
    *,
    languages: Sequence[str] = LANGUAGES,
    seed: int = DEFAULT_SEED,
    config_dir: Path = CONFIG_DIR,
) -> str | None:
    """Why the models must be (re)built, or None when the current ones will do.

    Needed when there is no loadable current model (none yet, or built with
    another spaCy), when it lacks a language, or when the data, configs or
    seed changed since it was built from them alone. A model retrained with
    corrections is left alone: rebuilding it without them would throw them
    away, and the nightly retraining notices changed data by itself.
    """
    try:
        current = IntentModel.load(model_root)
    except IntentModelError as exc:
        return str(exc)
    missing = [lang for lang in languages if lang not in current.languages]
    if missing:
        return f"{current.path}: no model for {', '.join(missing)}"
    if any(info.corrections for info in current.info.values()):
        return None
    sets = _training_sets(data_dir, languages, ())
    if current.manifest.get("data_digest") != _digest(sets, seed, config_dir):
        return f"{current.path}: the training data, configs or seed changed since it was built"
    return None


def retrain(
    store: CorrectionSource,
    model_root: Path,
    data_dir: Path,
    *,
    languages: Sequence[str] = LANGUAGES,
    seed: int = DEFAULT_SEED,
    config_dir: Path = CONFIG_DIR,
    tolerance: float = 0.0,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> RetrainResult:
    """Retrain with every stored correction; swap the new model in only if no dev score drops."""
    corrections = correction_examples(store.corrections(), languages)
    with locked(model_root):
        current = _load_current(model_root)
        old_version = current.version if current is not None else None
        sets = _training_sets(data_dir, languages, corrections)
        digest = _digest(sets, seed, config_dir)
        if current is not None and current.manifest.get("data_digest") == digest:
            result = RetrainResult(
                swapped=False,
                reason="no new corrections or configs",
                current_version=old_version,
                new_version=None,
                corrections=len(corrections),
            )
            log.info("%s", result.describe())
            return result
        build = _build(model_root, data_dir, languages, seed, config_dir, corrections, now(), activate=False)
        scores: dict[str, tuple[float | None, float]] = {}
        for language, (_, dev) in sets.items():
            new_score = build.trained[language].chosen.dev.macro_f1
            old_score = None
            if current is not None and language in current.languages:
                old_score = evaluate(current.pipeline(language), dev, current.labels(language)).macro_f1
            scores[language] = (old_score, new_score)
        dropped = sorted(
            lang for lang, (old, new) in scores.items() if old is not None and new < old - tolerance
        )
        if dropped:
            discard(model_root, build.version)
            result = RetrainResult(
                swapped=False,
                reason=f"dev score dropped in {', '.join(dropped)}",
                current_version=old_version,
                new_version=build.version,
                corrections=len(corrections),
                scores=scores,
            )
            log.warning("%s", result.describe())
            return result
        set_current(model_root, build.version)
        prune(model_root, KEEP_VERSIONS)
        result = RetrainResult(
            swapped=True,
            reason="dev scores did not drop",
            current_version=old_version,
            new_version=build.version,
            corrections=len(corrections),
            scores=scores,
        )
        log.info("%s", result.describe())
        return result


def _current_dir(model_root: Path) -> Path | None:
    """The current version's directory when it has a usable manifest (its languages can be carried over)."""
    if current_version(model_root) is None:
        return None
    try:
        version_dir = resolve_version(model_root)
        read_manifest(version_dir)
    except IntentModelError:
        return None
    return version_dir


def _load_current(model_root: Path) -> IntentModel | None:
    """The current model, or None when there is none or it cannot be loaded (then any new one wins)."""
    if current_version(model_root) is None:
        return None
    try:
        return IntentModel.load(model_root)
    except IntentModelError as exc:
        log.warning("the current intent model cannot be loaded, a retrained one replaces it: %s", exc)
        return None
