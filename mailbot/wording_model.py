"""A learned second opinion for the wording rules: sentences that read like a risk.

Phrase rules are precise but only catch the phrasings someone thought of;
held-out sentences by another author showed recall of 0.2-0.6 for tone in
Dutch, Latvian and Thai. A ``classifier`` rule (see
:mod:`mailbot.policy.wording`) adds a model trained on the labelled example
sentences of ``data/wording_eval/<lang>.dev.jsonl`` (the format of
:mod:`mailbot.wording_eval`): for every category it scores each sentence
(for Thai, each space-separated clause, because Thai writes sentences as
runs of clauses) and flags the ones it thinks carry that risk.

The model: one TF-IDF vectoriser over folded words, word bigrams and
character 2- to 5-grams of each whitespace chunk (inflection and missing
diacritics share evidence; Thai chunks span the segmenter's word
boundaries), and one class-balanced logistic regression per category.
A training unit is positive for a category when a labelled span of that
category overlaps it; clean near misses are the negatives that teach it
"we cannot guarantee" from "we guarantee".

Trained in memory when the policy is loaded (about a second per language)
and cached by file digest, so reloads of an unchanged file are free and an
edited file retrains. Everything here is deterministic.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from mailbot.errors import ConfigError
from mailbot.nlp.tokens import TokenKind, fold, sentences, tokenize
from mailbot.wording_eval import EvalItem, parse_eval_set

log = logging.getLogger(__name__)

#: Bump when features or training change, so disk caches of older models are not used.
MODEL_VERSION = "risk-model-1"
#: Regularisation of the logistic regressions (scikit-learn's C).
C = 10.0
#: Fewest positive training units a category needs before a model may flag it.
MIN_POSITIVES = 8
_CHUNK = re.compile(r"\S+")


@dataclass(frozen=True)
class ScoredUnit:
    """One sentence or clause of a draft and the model's probability per category."""

    start: int
    end: int
    scores: dict[str, float]


def risk_units(text: str, language: str) -> list[tuple[int, int]]:
    """Character spans the model scores: sentences, or for Thai their space-separated clauses."""
    spans: list[tuple[int, int]] = []
    for sentence in sentences(tokenize(text, language, keep_breaks=True)):
        if language != "th":
            spans.append((sentence.start, sentence.end))
            continue
        part = text[sentence.start : sentence.end]
        spans.extend((sentence.start + m.start(), sentence.start + m.end()) for m in _CHUNK.finditer(part))
    return spans


class UnitAnalyzer:
    """Text -> feature strings: folded words, word bigrams, character n-grams of chunks."""

    def __init__(self, language: str) -> None:
        self.language = language

    def __call__(self, text: str) -> list[str]:
        words = [t.norm for t in tokenize(text, self.language) if t.kind is not TokenKind.PUNCT]
        features = words + [f"{a} {b}" for a, b in itertools.pairwise(words)]
        for chunk in text.split():
            padded = f" {fold(chunk, self.language)} "
            for size in range(2, 6):
                features.extend("#" + padded[i : i + size] for i in range(len(padded) - size + 1))
        return features


class RiskModel:
    """Vocabulary, IDF weights and one linear scorer per category, as plain arrays.

    Scoring mirrors scikit-learn's ``TfidfVectorizer(sublinear_tf=True)``
    followed by the logistic regressions, without scikit-learn: features
    unknown to the vocabulary are ignored, weights are ``(1 + ln tf) * idf``,
    L2-normalised. Plain arrays can be cached on disk without pickle.
    """

    def __init__(
        self,
        language: str,
        categories: Sequence[str],
        vocabulary: dict[str, int],
        idf: Any,
        weights: Any,
        bias: Any,
    ) -> None:
        self.language = language
        self.categories = tuple(categories)
        self.vocabulary = vocabulary
        self.idf = idf  # (features,)
        self.weights = weights  # (features, categories)
        self.bias = bias  # (categories,)
        self._analyzer = UnitAnalyzer(language)

    def probabilities(self, unit: str) -> Any:
        """Probability per category (in ``categories`` order) for one unit of text."""
        counts: dict[int, int] = {}
        for feature in self._analyzer(unit):
            index = self.vocabulary.get(feature)
            if index is not None:
                counts[index] = counts.get(index, 0) + 1
        logits = self.bias
        if counts:
            indices = np.fromiter(counts, dtype=np.int64, count=len(counts))
            values = 1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))
            values *= self.idf[indices]
            values /= np.sqrt(values @ values) or 1.0
            logits = values @ self.weights[indices] + self.bias
        return 1.0 / (1.0 + np.exp(-logits))

    def score(self, text: str) -> list[ScoredUnit]:
        """Every unit of ``text`` with its probability per category."""
        out: list[ScoredUnit] = []
        for start, end in risk_units(text, self.language):
            row = self.probabilities(text[start:end])
            out.append(ScoredUnit(start, end, dict(zip(self.categories, map(float, row), strict=True))))
        return out

    def save(self, path: Path) -> None:
        """Write the arrays to ``path`` (an ``.npz``; atomically, via a temporary file)."""
        words = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        with temporary.open("wb") as handle:
            np.savez(
                handle,
                language=np.array(self.language),
                categories=np.array(self.categories),
                vocabulary=np.array(words),
                idf=self.idf,
                weights=self.weights,
                bias=self.bias,
            )
        temporary.replace(path)

    @classmethod
    def load(cls, path: Path) -> RiskModel:
        """Read arrays written by :meth:`save` (no pickle)."""
        with np.load(path, allow_pickle=False) as data:
            words = [str(w) for w in data["vocabulary"]]
            return cls(
                str(data["language"]),
                [str(c) for c in data["categories"]],
                {word: index for index, word in enumerate(words)},
                data["idf"],
                data["weights"],
                data["bias"],
            )


def training_units(items: Sequence[EvalItem], language: str) -> tuple[list[str], list[set[str]]]:
    """The units of every example and the categories of the labelled spans each overlaps."""
    texts: list[str] = []
    labels: list[set[str]] = []
    for item in items:
        for start, end in risk_units(item.text, language):
            texts.append(item.text[start:end])
            labels.append({s.category for s in item.spans if s.start < end and start < s.end})
    return texts, labels


def fit_risk_model(items: Sequence[EvalItem], language: str, categories: Sequence[str]) -> RiskModel:
    """Train the vectoriser and one logistic regression per category (pure, deterministic)."""
    # scikit-learn ships no type information.
    from sklearn.feature_extraction.text import TfidfVectorizer  # type: ignore[import-untyped, unused-ignore]
    from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped, unused-ignore]

    texts, labels = training_units(items, language)
    vectorizer = TfidfVectorizer(analyzer=UnitAnalyzer(language), sublinear_tf=True)
    matrix = vectorizer.fit_transform(texts)
    weights = np.zeros((matrix.shape[1], len(categories)), dtype=np.float64)
    bias = np.zeros(len(categories), dtype=np.float64)
    for column, category in enumerate(categories):
        target = np.array([category in found for found in labels])
        positives = int(target.sum())
        if positives < MIN_POSITIVES or positives == len(target):
            raise ValueError(
                f"category {category!r} needs at least {MIN_POSITIVES} labelled sentences"
                f" and some clean ones (has {positives} of {len(target)})"
            )
        # liblinear's dual solver: fast when features far outnumber sentences.
        model = LogisticRegression(
            C=C, class_weight="balanced", solver="liblinear", dual=True, random_state=0, max_iter=1000
        ).fit(matrix, target)
        weights[:, column] = model.coef_[0]
        bias[column] = model.intercept_[0]
    vocabulary = {str(word): int(index) for word, index in vectorizer.vocabulary_.items()}
    return RiskModel(language, categories, vocabulary, vectorizer.idf_.astype(np.float64), weights, bias)


def default_cache_dir() -> Path | None:
    """Where trained models are kept between runs: ``$MAILBOT_CACHE_DIR`` or ``~/.cache/mailbot``."""
    configured = os.environ.get("MAILBOT_CACHE_DIR")
    if configured is not None:
        return Path(configured) / "wording" if configured else None
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "mailbot" / "wording"


def risk_model(
    path: Path, language: str, categories: Sequence[str], cache_dir: Path | None = None
) -> RiskModel:
    """The model trained on the examples in ``path`` (cached by content; errors name the file).

    Training takes a second or two per language, so the result is kept in
    memory and, as plain arrays, in ``cache_dir`` (default
    :func:`default_cache_dir`; an empty ``MAILBOT_CACHE_DIR`` turns the
    disk cache off). The key is a digest of the examples, the language, the
    categories and :data:`MODEL_VERSION`, so any change retrains.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read wording examples: {exc.strerror or exc}", path=str(path)) from exc
    key = hashlib.sha256(
        b"\0".join([MODEL_VERSION.encode(), language.encode(), ",".join(sorted(categories)).encode(), data])
    ).hexdigest()
    folder = cache_dir if cache_dir is not None else default_cache_dir()
    return _cached_model(str(path), key, language, tuple(sorted(categories)), folder)


@lru_cache(maxsize=16)
def _cached_model(
    path: str, key: str, language: str, categories: tuple[str, ...], folder: Path | None
) -> RiskModel:
    stored = folder / f"{key}.npz" if folder is not None else None
    if stored is not None and stored.is_file():
        try:
            return RiskModel.load(stored)
        except (OSError, ValueError, KeyError) as exc:
            log.warning("ignoring unreadable wording model cache %s: %s", stored, exc)
    text = Path(path).read_text(encoding="utf-8")
    try:
        items = parse_eval_set(text.splitlines(), source=path)
    except (ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"bad wording example: {exc}", path=path) from exc
    try:
        model = fit_risk_model(items, language, categories)
    except ValueError as exc:
        raise ConfigError(str(exc), path=path) from exc
    if stored is not None:
        try:
            stored.parent.mkdir(parents=True, exist_ok=True)
            model.save(stored)
        except OSError as exc:
            log.info("cannot cache the wording model in %s: %s", stored.parent, exc)
    return model
