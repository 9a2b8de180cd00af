"""The classify stage: language, intent and entities of a message's new text.

Pure composition: the language detector, the intent model and the entity
extractor are passed in, so tests and benchmarks can time or replace each.
Until an intent model is trained (``mailbot train``), every message gets the
fallback intent with confidence 0 and is marked "needs triage": people pick
the intent, and their choices become training data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from mailbot.model import Classification, Entity

DetectFn = Callable[[str], tuple[str, float]]
IntentFn = Callable[[str, str], list[tuple[str, float]]]
"""(text, language) -> intents ranked by score, best first"""
ExtractFn = Callable[[str, str, datetime], tuple[Entity, ...]]
DeadlineFn = Callable[[tuple[Entity, ...]], datetime | None]


@dataclass(frozen=True)
class Classifier:
    """Language + intent + entities, with the triage threshold applied."""

    detect: DetectFn
    extract: ExtractFn
    deadline: DeadlineFn
    intents: IntentFn | None
    fallback_intent: str
    triage_threshold: float

    def __call__(self, text: str, subject: str, reference: datetime) -> Classification:
        content = f"{subject}\n{text}" if subject else text
        # The subject is often ours ("Re: Your refund") or boilerplate: the
        # language is read from the customer's own words, and from the
        # subject only when the body has too few letters to tell.
        language, language_confidence = self.detect(text if _has_letters(text, 12) else content)
        entity_language = language if language != "unknown" else "en"
        entities = self.extract(content, entity_language, reference)
        ranked = self.intents(content, language) if self.intents is not None else []
        intent, confidence = ranked[0] if ranked else (self.fallback_intent, 0.0)
        return Classification(
            language=language,
            language_confidence=language_confidence,
            intent=intent,
            confidence=confidence,
            ranked=tuple(ranked),
            needs_triage=confidence < self.triage_threshold,
            entities=entities,
            deadline=self.deadline(entities),
        )


def _has_letters(text: str, count: int) -> bool:
    """Whether ``text`` has at least ``count`` letters (stops counting there)."""
    for ch in text:
        if ch.isalpha():
            count -= 1
            if count <= 0:
                return True
    return count <= 0
