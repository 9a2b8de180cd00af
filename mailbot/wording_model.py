"""A learned second opinion for the wording rules: sentences that read like a risk.

Phrase rules are precise but only catch the phrasings someone thought of;
held-out sentences by another author showed recall of 0.2-0.6 for tone in
Dutch, Latvian and Thai. A ``classifier`` rule (see
:mod:`mailbot.policy.wording`) adds a model trained on the labelled example
sentences of ``policies/wording/examples/<lang>.jsonl`` (the format of
:mod:`mailbot.wording_eval`): for every category it scores each sentence
(for Thai, each space-separated clause, because Thai writes sentences as
runs of clauses) and flags the ones it thinks carry that risk.

The model: one TF-IDF vectoriser over folded words, word bigrams and
character 2- to 5-grams of each whitespace chunk (inflection and missing
diacritics share evidence; Thai chunks span the segmenter's word
boundaries), plus the words of the units just before and after, marked as
context ("<" and ">"): a Thai clause such as "อ่านให้ผมฟังทีครับ" (read it
out to me) is a request for a secret only after "a code came to your
phone". Then one class-balanced logistic regression per category.
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
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from mailbot.errors import ConfigError
from mailbot.model import Finding, Severity
from mailbot.nlp.tokens import Token, TokenKind, fold, sentences, thai_clauses, tokenize
from mailbot.wording_eval import EvalItem, parse_eval_set

log = logging.getLogger(__name__)

#: Bump when features or training change, so disk caches of older models are not used.
MODEL_VERSION = "risk-model-4"
_CHUNK_CACHE_SIZE = 100_000
#: "balanced" weighs risky and clean sentences equally; None keeps the examples' own proportions.
CLASS_WEIGHT: str | None = "balanced"
#: Regularisation of the logistic regressions (scikit-learn's C). Chosen with the
#: context features by training without one held-out round of examples (rounds 5-7,
#: each by other authors) and scoring that round: 30 and 100 scored alike and above
#: 3 and 10; the smaller (the stronger regularisation) is kept.
C = 30.0
#: Categories whose finding gives way when another category scores the same unit
#: higher (and at least :data:`OUTRANK_FLOOR`): a confident promise ("Trust me, it
#: won't happen again") is a guarantee, and the tone model also scored such
#: sentences as tone, which made most of its false alarms on held-out rounds.
GIVES_WAY = frozenset({"tone"})
OUTRANK_FLOOR = 0.5
#: Fewest positive training units a category needs before a model may flag it.
MIN_POSITIVES = 8
#: Weight of the approved phrasebank's sentences (ids ``<lang>.phrasebank.NNN``, see
#: :mod:`mailbot.phrasebank_examples`) against 1 for any other example. They are
#: clean by definition and are what drafts are made of; at weight 1 the Dutch model
#: still gave "U schrijft ons over een juridische kwestie." 0.61 for legal_statement,
#: because "juridisch" is strong evidence everywhere else.
APPROVED_WEIGHT = 5.0
#: Ids of the phrasebank's example sentences, ``<lang>.phrasebank.NNN`` (written by
#: :mod:`mailbot.phrasebank_examples`); group 1 is the number.
PHRASEBANK_ID = re.compile(r"\.phrasebank\.(\d+)$")


@dataclass(frozen=True)
class ScoredUnit:
    """One sentence or clause of a draft and the model's probability per category."""

    start: int
    end: int
    scores: dict[str, float]


@dataclass(frozen=True)
class Unit:
    """A sentence or clause of a text: its folded words and bigrams, and its whitespace chunks."""

    start: int
    end: int
    words: list[str]
    chunks: list[str]
    language: str
    #: the words of the neighbouring units, marked ``<word`` (before) and ``>word`` (after)
    context: tuple[str, ...] = ()

    @property
    def features(self) -> list[str]:
        """Every feature string: words, bigrams, context words, and the character n-grams of each chunk."""
        out = list(self.words)
        out.extend(self.context)
        for chunk in self.chunks:
            out.extend(_chunk_grams(chunk, self.language))
        return out


def units_of(text: str, tokens: Sequence[Token], language: str) -> list[Unit]:
    """Split a tokenised text into the units the model scores, with their features.

    ``tokens`` must come from ``tokenize(text, language, keep_breaks=True)``
    (the wording checker has them already, so a draft is tokenised once).
    Features: the folded words, word bigrams, the neighbouring units' words
    as context, and character 2- to 5-grams of each whitespace chunk (cached
    per chunk: words repeat).
    """
    units: list[Unit] = []
    for sentence in sentences(list(tokens)):
        inside = [
            t for t in tokens[sentence.first_token : sentence.end_token] if t.kind is not TokenKind.BREAK
        ]
        groups = thai_clauses(inside) if language == "th" else [inside]
        for group in groups:
            start, end = group[0].start, group[-1].end
            words = [t.norm for t in group if t.kind is not TokenKind.PUNCT]
            words += [f"{a} {b}" for a, b in itertools.pairwise(words)]
            units.append(Unit(start, end, words, text[start:end].split(), language))
    return [
        replace(unit, context=_context(units[index - 1] if index else None, units[index + 1 : index + 2]))
        for index, unit in enumerate(units)
    ]


def _context(before: Unit | None, after: Sequence[Unit]) -> tuple[str, ...]:
    """The single words (not bigrams) of the units around one, marked by side."""
    out = [f"<{w}" for w in before.words if " " not in w] if before is not None else []
    out += [f">{w}" for unit in after for w in unit.words if " " not in w]
    return tuple(out)


@lru_cache(maxsize=200_000)
def _chunk_grams(chunk: str, language: str) -> tuple[str, ...]:
    padded = f" {fold(chunk, language)} "
    return tuple("#" + padded[i : i + size] for size in range(2, 6) for i in range(len(padded) - size + 1))


def flagged_units(
    units: Sequence[ScoredUnit], category: str, threshold: float, found: Sequence[Finding]
) -> list[tuple[ScoredUnit, float]]:
    """The units scored at or above ``threshold`` for ``category``, with their probability,
    except those a finding of the same category (a phrase rule's) already points into,
    and, for a category in :data:`GIVES_WAY`, those another category outranks.

    One finding per passage and category is enough for the agent, and the
    explicit rule's message and suggestions are the more useful of the two.
    The wording checker and the threshold tuning both decide by this.
    """
    out = []
    for unit in units:
        probability = unit.scores.get(category, 0.0)
        if probability < threshold:
            continue
        if category in GIVES_WAY and any(
            other != category and score >= OUTRANK_FLOOR and score > probability
            for other, score in unit.scores.items()
        ):
            continue
        if any(f.category == category and f.start < unit.end and unit.start < f.end for f in found):
            continue
        out.append((unit, probability))
    return out


def doubted(finding: Finding, units: Sequence[ScoredUnit], below: float) -> bool:
    """True when every unit ``finding`` touches scores its category below ``below``.

    Phrase rules chase recall: a tone rule for "gewoon" or "uiteraard niet"
    also fires on polite sentences. Where the model, trained on thousands of
    labelled sentences, is all but sure the sentence is clean, a classifier
    rule with ``veto_below`` withdraws such a finding. Never a blocker's:
    an admin's explicit blocker is not for a model to overrule.
    """
    if finding.severity is Severity.BLOCKER:
        return False
    touched = [u for u in units if u.start < finding.end and finding.start < u.end]
    return bool(touched) and all(u.scores.get(finding.category, 0.0) < below for u in touched)


def risk_units(text: str, language: str) -> list[tuple[int, int]]:
    """Character spans the model scores: sentences, or for Thai their space-separated clauses."""
    return [(u.start, u.end) for u in units_of(text, tokenize(text, language, keep_breaks=True), language)]


def _has_words(passage: str) -> bool:
    """A unit of only symbols (a stray ">" a Thai space cut off) says nothing: its
    probabilities are the model's bias alone, which once flagged ">" in a Thai signature."""
    return any(char.isalnum() for char in passage)


def _identity(features: list[str]) -> list[str]:
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
        # chunk -> vocabulary indices of its character n-grams (words repeat across drafts)
        self._chunk_indices: dict[str, tuple[int, ...]] = {}

    def _known(self, unit: Unit) -> list[int]:
        """Vocabulary indices of a unit's features, repeated as often as they occur."""
        vocabulary = self.vocabulary
        known = [index for word in unit.words if (index := vocabulary.get(word)) is not None]
        known += [index for word in unit.context if (index := vocabulary.get(word)) is not None]
        chunk_cache = self._chunk_indices
        for chunk in unit.chunks:
            indices = chunk_cache.get(chunk)
            if indices is None:
                grams = _chunk_grams(chunk, self.language)
                indices = tuple(index for gram in grams if (index := vocabulary.get(gram)) is not None)
                if len(chunk_cache) >= _CHUNK_CACHE_SIZE:
                    chunk_cache.clear()
                chunk_cache[chunk] = indices
            known.extend(indices)
        return known

    def probabilities(self, units: Sequence[Unit]) -> Any:
        """Probabilities, one row per unit and one column per category (vectorised per draft)."""
        rows: list[int] = []
        columns: list[int] = []
        for row, unit in enumerate(units):
            known = self._known(unit)
            columns.extend(known)
            rows.extend([row] * len(known))
        logits = np.tile(self.bias, (len(units), 1))
        if columns:
            # (1 + ln tf) * idf per (unit, feature), L2-normalised per unit, times the weights
            keys = np.asarray(rows, dtype=np.int64) * len(self.idf) + np.asarray(columns, dtype=np.int64)
            unique, counts = np.unique(keys, return_counts=True)
            unit_of, feature = np.divmod(unique, len(self.idf))
            values = (1.0 + np.log(counts)) * self.idf[feature]
            norms = np.sqrt(np.bincount(unit_of, weights=values * values, minlength=len(units)))
            values /= norms[unit_of]
            contributions = values[:, None] * self.weights[feature]
            for column in range(len(self.categories)):
                logits[:, column] += np.bincount(
                    unit_of, weights=contributions[:, column], minlength=len(units)
                )
        return 1.0 / (1.0 + np.exp(-logits))

    def score(self, text: str, tokens: Sequence[Token] | None = None) -> list[ScoredUnit]:
        """Every unit of ``text`` with its probability per category.

        Pass ``tokens`` (``tokenize(text, language, keep_breaks=True)``) when
        they are at hand, to save tokenising twice.
        """
        if tokens is None:
            tokens = tokenize(text, self.language, keep_breaks=True)
        units = units_of(text, tokens, self.language)
        if not units:
            return []
        table = self.probabilities(units)
        return [
            ScoredUnit(unit.start, unit.end, dict(zip(self.categories, map(float, row), strict=True)))
            if _has_words(text[unit.start : unit.end])
            else ScoredUnit(unit.start, unit.end, dict.fromkeys(self.categories, 0.0))
            for unit, row in zip(units, table, strict=True)
        ]

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


def training_units(items: Sequence[EvalItem], language: str) -> tuple[list[Unit], list[set[str]]]:
    """The units of every example and the categories of the labelled spans each overlaps."""
    units, labels, _ = _training_rows(items, language)
    return units, labels


def _training_rows(
    items: Sequence[EvalItem], language: str
) -> tuple[list[Unit], list[set[str]], list[float]]:
    """:func:`training_units` plus each unit's weight (:data:`APPROVED_WEIGHT` for the phrasebank's)."""
    units: list[Unit] = []
    labels: list[set[str]] = []
    weights: list[float] = []
    for item in items:
        weight = APPROVED_WEIGHT if PHRASEBANK_ID.search(item.id) else 1.0
        for unit in units_of(item.text, tokenize(item.text, language, keep_breaks=True), language):
            units.append(unit)
            labels.append({s.category for s in item.spans if s.start < unit.end and unit.start < s.end})
            weights.append(weight)
    return units, labels, weights


def fit_risk_model(
    items: Sequence[EvalItem],
    language: str,
    categories: Sequence[str],
    *,
    class_weight: str | None = CLASS_WEIGHT,
) -> RiskModel:
    """Train the vectoriser and one logistic regression per category (pure, deterministic)."""
    # scikit-learn ships no type information.
    from sklearn.feature_extraction.text import TfidfVectorizer  # type: ignore[import-untyped, unused-ignore]
    from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped, unused-ignore]

    units, labels, unit_weights = _training_rows(items, language)
    vectorizer = TfidfVectorizer(analyzer=_identity, sublinear_tf=True)
    matrix = vectorizer.fit_transform([unit.features for unit in units])
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
            C=C, class_weight=class_weight, solver="liblinear", dual=True, random_state=0, max_iter=1000
        ).fit(matrix, target, sample_weight=np.asarray(unit_weights))
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
