"""Speed, load cost and accuracy of language detection and entity extraction.

The mix is the hand-written eval set (data/langid_eval/eval.jsonl: en, nl,
lv, th and foreign mail, one-word thanks to quoted replies), plus longer
"mails" made by joining two to five of its messages in one language, which
is closer to a typical customer's new text (100-600 characters). Goal for
the whole classify step: > 1,000 messages/s on one core, so each of these
parts must stay well under 1 ms per message.

Figures: detector load time and resident memory it adds, detections and
extractions per second with mean and p99 latency, and detection accuracy
(overall, per language, short texts). :func:`compare` measures the
alternatives the detector was chosen against (Lingua, when installed); it
is not part of :func:`run` because loading a second model would spoil the
memory figure.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from mailbot.nlp.entities import extract_entities
from mailbot.nlp.language import SUPPORTED, UNKNOWN, LanguageDetector, count_scripts, own_words

EVAL_PATH = Path(__file__).resolve().parent.parent / "data" / "langid_eval" / "eval.jsonl"
REFERENCE = datetime(2025, 11, 20, 10, 0, tzinfo=UTC)

Labelled = tuple[str, str, bool]
"""(text, language, is short)"""


def _eval_set() -> list[Labelled]:
    rows = [json.loads(line) for line in EVAL_PATH.read_text(encoding="utf-8").splitlines() if line]
    return [(row["text"], row["lang"], "short" in row["tags"]) for row in rows]


def _mails(items: list[Labelled], count: int) -> list[Labelled]:
    """Longer messages: 2-5 eval messages of one language, joined as paragraphs."""
    rng = random.Random(20251120)
    by_language: dict[str, list[str]] = {}
    for text, language, _ in items:
        if "\n>" not in text:  # quoted replies go last in a mail, not in the middle
            by_language.setdefault(language, []).append(text)
    languages = sorted(by_language)
    mails = []
    for _ in range(count):
        language = rng.choice(languages)
        parts = rng.sample(by_language[language], k=min(len(by_language[language]), rng.randint(2, 5)))
        mails.append(("\n\n".join(parts), language, False))
    return mails


def _rss_mib() -> float:
    """Current resident memory (Linux /proc; 0.0 elsewhere)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return 0.0
    return pages * 4096 / 1024 / 1024


def _latencies(call: Callable[[str], object], texts: list[str], rounds: int) -> list[float]:
    """Per-call seconds over ``rounds`` passes (after one warm-up pass)."""
    for text in texts:
        call(text)
    spent = []
    clock = time.perf_counter
    for _ in range(rounds):
        for text in texts:
            began = clock()
            call(text)
            spent.append(clock() - began)
    return spent


def _summary(prefix: str, spent: list[float]) -> dict[str, float | str]:
    ordered = sorted(spent)
    total = sum(ordered)
    return {
        f"{prefix}_per_s": round(len(ordered) / total),
        f"{prefix}_mean_us": round(total / len(ordered) * 1e6, 1),
        f"{prefix}_p99_us": round(ordered[int(len(ordered) * 0.99)] * 1e6, 1),
    }


def _accuracy(detect: Callable[[str], tuple[str, float]], items: list[Labelled]) -> dict[str, float | str]:
    figures: dict[str, float | str] = {}
    groups: dict[str, list[Labelled]] = {"all": items, "short": [item for item in items if item[2]]}
    for language in (*SUPPORTED, UNKNOWN):
        groups[language] = [item for item in items if item[1] == language]
    for name, group in groups.items():
        hits = sum(detect(text)[0] == language for text, language, _ in group)
        figures[f"accuracy_{name}"] = round(hits / len(group), 4)
    return figures


def run(quick: bool = False) -> dict[str, float | str]:
    """Load time/memory, throughput and latency, and accuracy on the eval set."""
    rounds = 3 if quick else 20
    items = _eval_set()
    mails = _mails(items, 100 if quick else 400)

    rss_before = _rss_mib()
    began = time.perf_counter()
    detector = LanguageDetector()
    figures: dict[str, float | str] = {
        "detector": "py3langid + own_words + script rules",
        "detector_load_s": round(time.perf_counter() - began, 3),
        "detector_rss_mib": round(_rss_mib() - rss_before, 1),
        "eval_messages": len(items),
        "mix_mean_chars": round(sum(len(text) for text, _, _ in items + mails) / len(items + mails)),
    }
    figures |= _accuracy(detector.detect, items)
    texts = [text for text, _, _ in items + mails]
    figures |= _summary("detections", _latencies(detector.detect, texts, rounds))

    languages = {text: language if language != UNKNOWN else "en" for text, language, _ in items + mails}

    def extract(text: str) -> object:
        return extract_entities(text, languages[text], REFERENCE)

    began = time.perf_counter()
    extract_entities("warm-up: within 14 days", "en", REFERENCE)  # compiles the patterns
    figures["extractor_first_call_ms"] = round((time.perf_counter() - began) * 1000, 1)
    figures |= _summary("extractions", _latencies(extract, texts, rounds))
    return figures


def compare(quick: bool = False) -> dict[str, float | str]:
    """The same front end (own words, script rules) with Lingua 2 behind it, if installed."""
    try:
        from lingua import Language, LanguageDetectorBuilder
    except ImportError:
        return {"lingua": "not installed"}
    ours = {Language.ENGLISH: "en", Language.DUTCH: "nl", Language.LATVIAN: "lv"}
    others = [Language.GERMAN, Language.AFRIKAANS, Language.FRENCH, Language.SPANISH, Language.ESTONIAN]
    others += [Language.LITHUANIAN, Language.DANISH, Language.SWEDISH]
    rss_before = _rss_mib()
    began = time.perf_counter()
    lingua = LanguageDetectorBuilder.from_languages(*ours, *others).with_preloaded_language_models().build()
    figures: dict[str, float | str] = {
        "detector": "lingua high accuracy + own_words + script rules",
        "detector_load_s": round(time.perf_counter() - began, 3),
        "detector_rss_mib": round(_rss_mib() - rss_before, 1),
    }

    def detect(text: str) -> tuple[str, float]:
        words = own_words(text) or text
        scripts = count_scripts(words)
        if scripts.letters == 0:
            return UNKNOWN, 0.0
        if scripts.thai >= scripts.latin + scripts.other:
            return "th", 1.0
        if scripts.other > scripts.latin:
            return UNKNOWN, 1.0
        best = lingua.compute_language_confidence_values(words[:800])[0]
        return ours.get(best.language, UNKNOWN), best.value

    items = _eval_set()
    figures |= _accuracy(detect, items)
    texts = [text for text, _, _ in items + _mails(items, 100 if quick else 400)]
    figures |= _summary("detections", _latencies(detect, texts, 3))
    return figures


if __name__ == "__main__":
    for name, figures in (("run", run(quick=True)), ("compare", compare(quick=True))):
        print(name, json.dumps(figures, indent=1))
