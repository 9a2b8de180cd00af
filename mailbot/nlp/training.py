"""Train the per-language spaCy intent classifiers from examples held in memory.

Pure apart from reading the spaCy config files: examples in, a trained
``Language`` and its dev figures out; writing the model directory is
:mod:`mailbot.nlp.intents`' job, the data on disk :mod:`mailbot.nlp.intent_data`'s.

Each language has one or more candidate configs in
``mailbot/nlp/configs/<lang>/<name>.cfg`` (spaCy's config format: ``[nlp]``,
``[components]``, and ``[training]`` with ``max_epochs``, ``patience``,
``dropout``, a ``batcher`` and an ``optimizer``). Every candidate is
trained on the train split; after each epoch it is scored on the dev split,
and the best epoch is kept (``patience`` counts epochs without a better
dev macro-F1). The candidate with the best dev macro-F1 becomes the model;
ties go to the name that sorts first. The test split is never seen here.

Reproducible: every random choice (weight initialisation, dropout, the
order of examples) comes from ``seed``, so the same data, configs and seed
give the same model, bit for bit, on the same machine.
"""

from __future__ import annotations

import contextlib
import logging
import random
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import spacy
from spacy.language import Language
from spacy.pipeline import TextCategorizer
from spacy.training import Example as SpacyExample
from spacy.util import load_config, registry
from thinc.api import Config, fix_random_seed

from mailbot.errors import MailbotError
from mailbot.nlp import intent_spacy  # also registers mailbot's spaCy parts
from mailbot.nlp.intent_data import Example
from mailbot.nlp.intent_metrics import Metrics, score

log = logging.getLogger(__name__)

CONFIG_DIR = Path(__file__).resolve().parent / "configs"
DEFAULT_SEED = 20251120
PIPE_BATCH = 256


class TrainingError(MailbotError):
    """A training config is missing or invalid, or there is nothing to train on."""


@dataclass(frozen=True)
class CandidateResult:
    """How one candidate config did on the dev split."""

    name: str
    config_path: Path
    dev: Metrics
    best_epoch: int
    epochs_run: int
    seconds: float


@dataclass(frozen=True)
class TrainedLanguage:
    """The chosen pipeline of one language, with every candidate's dev figures."""

    language: str
    nlp: Language
    chosen: CandidateResult
    candidates: tuple[CandidateResult, ...]
    labels: tuple[str, ...]
    train_count: int
    seed: int


def candidate_configs(language: str, config_dir: Path = CONFIG_DIR) -> list[Path]:
    """The candidate config files of one language, sorted by name."""
    paths = sorted((config_dir / language).glob("*.cfg"))
    if not paths:
        raise TrainingError(f"{config_dir / language}: no spaCy config (*.cfg) for language {language!r}")
    return paths


def read_config(path: Path, language: str) -> Config:
    """Load a candidate config and check it is for ``language``."""
    try:
        config = load_config(path)
        lang = config["nlp"]["lang"]
        training = config["training"]
        for key in ("max_epochs", "patience", "dropout", "batcher", "optimizer"):
            training[key]
    except KeyError as exc:
        raise TrainingError(f"{path}: missing config key {exc}") from exc
    except (OSError, ValueError) as exc:
        raise TrainingError(f"{path}: not a readable spaCy config ({exc})") from exc
    if lang != language:
        raise TrainingError(f"{path}: [nlp] lang is {lang!r}, expected {language!r}")
    return config


def build_pipeline(config: Config) -> Language:
    """A blank pipeline with the config's components (no weights yet)."""
    nlp = spacy.util.load_model_from_config(config, auto_fill=True, validate=True)
    return intent_spacy.keep_feature_attrs(nlp)


def rank(cats: dict[str, float]) -> list[tuple[str, float]]:
    """Intents by score, best first; equal scores by name, so the order is stable."""
    return sorted(cats.items(), key=lambda item: (-item[1], item[0]))


def predict(nlp: Language, texts: Iterable[str]) -> list[list[tuple[str, float]]]:
    """Ranked intents per text, batched through ``nlp.pipe``."""
    return [rank(doc.cats) for doc in nlp.pipe(texts, batch_size=PIPE_BATCH)]


def evaluate(nlp: Language, examples: Sequence[Example], labels: Sequence[str] = ()) -> Metrics:
    """Score a pipeline's top intent against the examples' labels."""
    ranked = predict(nlp, (e.text for e in examples))
    return score([e.intent for e in examples], [r[0][0] for r in ranked], labels)


def _textcat(nlp: Language) -> TextCategorizer:
    return cast(TextCategorizer, nlp.get_pipe("textcat"))


def fit_epochs(
    config_path: Path, language: str, train: Sequence[Example], *, seed: int, labels: Sequence[str] = ()
) -> Iterator[tuple[int, Language]]:
    """Train one candidate config on ``train``, yielding the pipeline after each epoch.

    The caller decides when to stop (dev early stopping, a fixed epoch count,
    or scoring every epoch of a cross-validation fold); the pipeline yielded
    is live, so copy its weights (``to_bytes``) to keep an epoch. ``labels``
    defaults to the intents present in ``train``.
    """
    if not train:
        raise TrainingError(f"no training examples for language {language!r}")
    config = read_config(config_path, language)
    fix_random_seed(seed)
    nlp = build_pipeline(config)
    textcat = _textcat(nlp)
    labels = sorted(labels or {e.intent for e in train})
    for label in labels:
        textcat.add_label(label)
    examples = [
        SpacyExample.from_dict(
            nlp.make_doc(e.text), {"cats": {lab: float(lab == e.intent) for lab in labels}}
        )
        for e in train
    ]
    settings = config["training"]
    resolved = registry.resolve({"optimizer": settings["optimizer"], "batcher": settings["batcher"]})
    optimizer = resolved["optimizer"]
    batcher: Callable[[Iterable[SpacyExample]], Iterable[list[SpacyExample]]] = resolved["batcher"]
    nlp.initialize(lambda: examples, sgd=optimizer)
    intent_spacy.fit_idf(textcat.model, (e.reference for e in examples))
    order = random.Random(seed)
    for epoch in range(1, int(settings["max_epochs"]) + 1):
        order.shuffle(examples)
        for batch in batcher(examples):
            nlp.update(batch, drop=float(settings["dropout"]), sgd=optimizer)
        averaged = nlp.use_params(optimizer.averages) if optimizer.averages else contextlib.nullcontext()
        with averaged:
            yield epoch, nlp


def train_candidate(
    config_path: Path,
    language: str,
    train: Sequence[Example],
    dev: Sequence[Example],
    *,
    seed: int,
    epochs: int | None = None,
) -> tuple[Language, CandidateResult]:
    """Train one candidate config.

    With ``epochs`` (chosen beforehand by cross-validation, see
    :mod:`mailbot.nlp.selection`) it trains exactly that many epochs and dev
    is only scored; without, it keeps the best epoch by dev macro-F1 and stops
    after ``patience`` epochs without a better one.
    """
    started = time.perf_counter()
    patience = int(read_config(config_path, language)["training"]["patience"])
    labels = sorted({e.intent for e in train})
    best: tuple[float, int, bytes] | None = None
    best_metrics: Metrics | None = None
    nlp: Language | None = None
    epoch = 0
    for epoch, nlp in fit_epochs(config_path, language, train, seed=seed, labels=labels):
        if epochs is not None:
            if epoch < epochs:
                continue
            best_metrics = evaluate(nlp, dev, labels)
            best = (best_metrics.macro_f1, epoch, _textcat(nlp).to_bytes())
            break
        metrics = evaluate(nlp, dev, labels)
        if best is None or metrics.macro_f1 > best[0]:
            best = (metrics.macro_f1, epoch, _textcat(nlp).to_bytes())
            best_metrics = metrics
        if epoch - best[1] >= patience:
            break
    if best is None or best_metrics is None or nlp is None:
        raise TrainingError(f"{config_path}: trained no epoch (max_epochs below {epochs})")
    _textcat(nlp).from_bytes(best[2])
    result = CandidateResult(
        name=config_path.stem,
        config_path=config_path,
        dev=best_metrics,
        best_epoch=best[1],
        epochs_run=epoch,
        seconds=time.perf_counter() - started,
    )
    log.info(
        "%s/%s: dev macro-F1 %.3f at epoch %d of %d (%.1f s)",
        language,
        result.name,
        result.dev.macro_f1,
        result.best_epoch,
        result.epochs_run,
        result.seconds,
    )
    return nlp, result


def train_language(
    language: str,
    train: Sequence[Example],
    dev: Sequence[Example],
    *,
    seed: int = DEFAULT_SEED,
    config_dir: Path = CONFIG_DIR,
    only: Sequence[str] = (),
    selected: tuple[str, int] | None = None,
) -> TrainedLanguage:
    """Train the candidate configs of a language; keep the best on dev.

    ``selected`` is (candidate, epochs) from cross-validation
    (:mod:`mailbot.nlp.selection`): then only that candidate is trained, for
    exactly that many epochs. Otherwise every candidate (or those named in
    ``only``) is trained with dev early stopping.
    """
    paths = candidate_configs(language, config_dir)
    epochs: int | None = None
    if selected is not None and not only:
        only, epochs = (selected[0],), selected[1]
    if only:
        paths = [p for p in paths if p.stem in only]
        if not paths:
            raise TrainingError(f"no candidate config named {', '.join(only)} for language {language!r}")
    trained = [train_candidate(path, language, train, dev, seed=seed, epochs=epochs) for path in paths]
    top = max(result.dev.macro_f1 for _, result in trained)
    nlp, chosen = next(pair for pair in trained if pair[1].dev.macro_f1 == top)  # paths are sorted
    return TrainedLanguage(
        language=language,
        nlp=nlp,
        chosen=chosen,
        candidates=tuple(result for _, result in trained),
        labels=tuple(sorted({e.intent for e in train})),
        train_count=len(train),
        seed=seed,
    )
