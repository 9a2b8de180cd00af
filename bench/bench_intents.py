"""Speed, load time and memory of the whole classify step: language + intent + entities.

Goal (issue 4): over 1,000 messages/s on one core, intents batched with
``nlp.pipe``. The messages are the hand-written intent data of all four
languages (data/intents), mixed in a seeded order and each given its own
order number, so that no two texts are equal; 10,000 of them (2,000 with
``quick``). The model is the current one under ``models/intents`` (built by
``mailbot train``); when there is none, one is trained first into a
temporary folder, which takes about a minute and a half.

Figures: load time of the four intent pipelines, resident memory they add
(and the total with the language detector loaded too), messages per second
for the whole step and for each part alone.
"""

from __future__ import annotations

import random
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from mailbot.nlp.classify import Classifier
from mailbot.nlp.classify_many import classify_many
from mailbot.nlp.entities import customer_deadline, extract_entities
from mailbot.nlp.intent_data import LANGUAGES, load_examples
from mailbot.nlp.intents import IntentModel, IntentModelError
from mailbot.nlp.language import default_detector, detect_language

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "data" / "intents"
MODELS = REPO / "models" / "intents"
REFERENCE = datetime(2025, 11, 20, 10, 0, tzinfo=UTC)


def _rss_mib() -> float:
    """Current resident memory (Linux /proc; 0.0 elsewhere)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return 0.0
    return pages * 4096 / 1024 / 1024


def messages(count: int) -> list[str]:
    """``count`` distinct customer messages in the four languages, seeded."""
    texts = [e.text for lang in LANGUAGES for e in load_examples(DATA, lang)]
    rng = random.Random(20251120)
    return [f"{rng.choice(texts)}\nOrder {rng.randint(10000, 99999)}" for _ in range(count)]


def _model_root(scratch: Path) -> tuple[Path, str]:
    try:
        IntentModel.load(MODELS)
    except IntentModelError:  # none yet, or unusable: train a fresh one for the benchmark
        from mailbot.nlp.retrain import build_models

        build_models(scratch, DATA)
        return scratch, "trained for this run"
    return MODELS, "models/intents"


def run(quick: bool = False) -> dict[str, float | str]:
    count = 2_000 if quick else 10_000
    texts = messages(count)
    with tempfile.TemporaryDirectory() as scratch:
        root, source = _model_root(Path(scratch))
        before = _rss_mib()
        started = time.perf_counter()
        model = IntentModel.load(root)
        load_seconds = time.perf_counter() - started
        model_mib = _rss_mib() - before
        default_detector()  # load the language model before timing
        with_detector_mib = _rss_mib() - before
        classifier = Classifier(
            detect=detect_language,
            extract=extract_entities,
            deadline=customer_deadline,
            intents=None,
            fallback_intent="other",
            triage_threshold=0.5,
        )
        items = [(text, "", REFERENCE) for text in texts]
        classify_many(items[:200], classifier, model)  # warm-up: caches, first-call costs

        started = time.perf_counter()
        results = classify_many(items, classifier, model)
        whole = time.perf_counter() - started

        started = time.perf_counter()
        languages = [detect_language(text)[0] for text in texts]
        detect_seconds = time.perf_counter() - started

        started = time.perf_counter()
        for text, language in zip(texts, languages, strict=True):
            extract_entities(text, language if language != "unknown" else "en", REFERENCE)
        entity_seconds = time.perf_counter() - started

        by_language: dict[str, list[str]] = {}
        for text, language in zip(texts, languages, strict=True):
            by_language.setdefault(language, []).append(text)
        started = time.perf_counter()
        for language, group in by_language.items():
            model.predict(group, language)
        intent_seconds = time.perf_counter() - started

    triaged = sum(r.needs_triage for r in results) / len(results)
    return {
        "messages": float(count),
        "model": f"{model.version} ({source})",
        "model_load_s": round(load_seconds, 3),
        "model_rss_mib": round(model_mib, 1),
        "model_and_langid_rss_mib": round(with_detector_mib, 1),
        "classify_msgs_per_s": round(count / whole, 1),
        "language_msgs_per_s": round(count / detect_seconds, 1),
        "entities_msgs_per_s": round(count / entity_seconds, 1),
        "intent_pipe_msgs_per_s": round(count / intent_seconds, 1),
        "needs_triage_share": round(triaged, 3),
    }
