"""The classify stage's composition: which text each part reads, and the triage rule."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from mailbot.model import Entity
from mailbot.nlp.classify import Classifier

WHEN = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def _classifier(seen: list[str], ranked: list[tuple[str, float]] | None) -> Classifier:
    def detect(text: str) -> tuple[str, float]:
        seen.append(text)
        return "nl", 0.9

    def extract(text: str, language: str, reference: datetime) -> tuple[Entity, ...]:
        return ()

    return Classifier(
        detect=detect,
        extract=extract,
        deadline=lambda entities: None,
        intents=(lambda text, language: list(ranked)) if ranked is not None else None,
        fallback_intent="other",
        triage_threshold=0.5,
    )


@pytest.mark.parametrize(
    ("body", "reads_subject"),
    [
        ("Ik wil graag mijn geld terug", False),  # 12 letters or more: the body alone
        ("abcdefghijkl", False),  # exactly 12
        ("abcdefghijk", True),  # 11: too little to tell
        ("OK!! 12345 6789", True),
        ("", True),
    ],
)
def test_language_is_read_from_the_body_unless_it_is_too_short(body: str, reads_subject: bool) -> None:
    seen: list[str] = []
    _classifier(seen, None)(body, "Re: Terugbetaling", WHEN)
    assert seen == [f"Re: Terugbetaling\n{body}" if reads_subject else body]


def test_low_confidence_needs_triage_and_no_model_falls_back() -> None:
    sure = _classifier([], [("refund", 0.8), ("billing", 0.2)])("Geld terug graag, bedankt", "", WHEN)
    unsure = _classifier([], [("refund", 0.4), ("billing", 0.35)])("Geld terug graag, bedankt", "", WHEN)
    untrained = _classifier([], None)("Geld terug graag, bedankt", "", WHEN)
    assert (sure.intent, sure.needs_triage) == ("refund", False)
    assert (unsure.intent, unsure.needs_triage) == ("refund", True)
    assert (untrained.intent, untrained.confidence, untrained.needs_triage) == ("other", 0.0, True)
    assert sure.language == "nl" and sure.ranked[1] == ("billing", 0.2)
