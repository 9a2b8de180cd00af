"""Classify many messages at once: the classify stage with intents batched per language.

:class:`mailbot.nlp.classify.Classifier` handles one message at a time,
which is what the pipeline needs. ``mailbot classify`` and the benchmark
handle thousands: there the intent model runs once per language over all
of that language's messages through ``nlp.pipe``, which is several times
faster than one call per message. Language, entities and the triage rule
are exactly the Classifier's (it does that part).
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from mailbot.model import Classification
from mailbot.nlp.classify import Classifier
from mailbot.nlp.intents import IntentModel

Item = tuple[str, str, datetime]
"""(new text, subject, reference time for relative dates)"""


def content_of(text: str, subject: str) -> str:
    """What the intent model reads: the subject line, then the text (as the Classifier builds it)."""
    return f"{subject}\n{text}" if subject else text


def classify_many(
    items: Sequence[Item],
    classifier: Classifier,
    model: IntentModel | None,
    known: frozenset[str] | None = None,
) -> list[Classification]:
    """Classify every item.

    ``known`` drops labels outside the taxonomy, like :meth:`IntentModel.intent_fn`.
    """
    without_intents = dataclasses.replace(classifier, intents=None)
    base = [without_intents(text, subject, reference) for text, subject, reference in items]
    if model is None:
        return base
    by_language: dict[str, list[int]] = defaultdict(list)
    for index, classification in enumerate(base):
        by_language[classification.language].append(index)
    out = list(base)
    for language, indices in by_language.items():
        texts = [content_of(items[i][0], items[i][1]) for i in indices]
        for index, ranked in zip(indices, model.predict(texts, language), strict=True):
            if known is not None:
                ranked = [(name, s) for name, s in ranked if name in known]
            intent, confidence = ranked[0] if ranked else (classifier.fallback_intent, 0.0)
            out[index] = dataclasses.replace(
                base[index],
                intent=intent,
                confidence=confidence,
                ranked=tuple(ranked),
                needs_triage=confidence < classifier.triage_threshold,
            )
    return out
