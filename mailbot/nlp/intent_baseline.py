"""The scikit-learn baselines `mailbot evaluate` prints next to the spaCy model.

A baseline says whether the spaCy pipeline earns its keep. Both are the
textbook recipe, TF-IDF features and a logistic regression, trained in the
same run on the same frozen train split:

- ``tfidf_words`` (*the* baseline): word uni- and bigrams. Words come from
  the shared tokenizer (:func:`mailbot.nlp.tokens.tokenize`, folded norms),
  because scikit-learn's default pattern cannot split Thai.
- ``tfidf_words_chars`` (a stronger reference): the same plus character
  2- to 5-grams within words (``char_wb``), close to what the spaCy
  model sees, so the comparison also shows what the features alone buy.

The regularisation strength ``C`` is picked from a small grid by dev
macro-F1, exactly as the spaCy candidates are; the test split is not seen.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from mailbot.nlp.intent_data import Example
from mailbot.nlp.intent_metrics import Metrics, score
from mailbot.nlp.tokens import TokenKind, tokenize

BASELINES: tuple[str, ...] = ("tfidf_words", "tfidf_words_chars")
C_GRID: tuple[float, ...] = (1.0, 10.0, 100.0)


@dataclass(frozen=True)
class Baseline:
    """A fitted baseline: vectoriser + classifier, with the ``C`` dev chose."""

    name: str
    language: str
    c: float
    dev: Metrics
    pipeline: Any

    def predict(self, texts: Sequence[str]) -> list[str]:
        return [str(label) for label in self.pipeline.predict(list(texts))]


class WordAnalyzer:
    """Folded words and word bigrams of a text (a picklable callable for scikit-learn)."""

    def __init__(self, language: str) -> None:
        self.language = language

    def __call__(self, text: str) -> list[str]:
        words = [t.norm for t in tokenize(text, self.language) if t.kind is not TokenKind.PUNCT]
        return words + [f"{a} {b}" for a, b in itertools.pairwise(words)]


def _pipeline(name: str, language: str, c: float) -> Any:
    # scikit-learn ships no type information.
    from sklearn.feature_extraction.text import TfidfVectorizer  # type: ignore[import-untyped, unused-ignore]
    from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped, unused-ignore]
    from sklearn.pipeline import FeatureUnion, Pipeline  # type: ignore[import-untyped, unused-ignore]

    words = TfidfVectorizer(analyzer=WordAnalyzer(language), sublinear_tf=True)
    if name == "tfidf_words":
        features: Any = words
    elif name == "tfidf_words_chars":
        chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, lowercase=True)
        features = FeatureUnion([("words", words), ("chars", chars)])
    else:
        raise ValueError(f"unknown baseline {name!r}; known: {', '.join(BASELINES)}")
    return Pipeline([("features", features), ("classifier", LogisticRegression(C=c, max_iter=5000))])


def train_baseline(
    name: str,
    language: str,
    train: Sequence[Example],
    dev: Sequence[Example],
    c_grid: Sequence[float] = C_GRID,
) -> Baseline:
    """Fit one baseline for each ``C``; keep the best on dev (the smallest ``C`` on ties)."""
    best: Baseline | None = None
    texts = [e.text for e in train]
    labels = [e.intent for e in train]
    for c in c_grid:
        pipeline = _pipeline(name, language, c).fit(texts, labels)
        predicted = [str(p) for p in pipeline.predict([e.text for e in dev])]
        metrics = score([e.intent for e in dev], predicted, sorted(set(labels)))
        if best is None or metrics.macro_f1 > best.dev.macro_f1:
            best = Baseline(name=name, language=language, c=c, dev=metrics, pipeline=pipeline)
    assert best is not None
    return best


def evaluate_baseline(baseline: Baseline, examples: Sequence[Example]) -> Metrics:
    """Score a fitted baseline on labelled examples."""
    predicted = baseline.predict([e.text for e in examples])
    return score([e.intent for e in examples], predicted, baseline.dev.labels)
