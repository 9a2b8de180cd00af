"""Throughput of the drafting stage: render a reply, then check it.

Figures: drafts per second for 10,000 messages (1,000 with ``quick``),
spread evenly over the four languages, twelve intents and the sample
variants (name or not, e-mail or letter, formal or informal, quoting,
entities), measured three ways: rendering alone; rendering plus the word
limit; and rendering plus word limit plus the wording rules
(``policies/wording``), when the wording checker is available. Also the
one-off cost of loading and compiling the phrasebank. Tokenizers and rules
are warmed up before timing, as in the long-running daemon.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from itertools import cycle, islice
from pathlib import Path

from mailbot.drafting import DEFAULT_INTENTS, DraftRequest, Phrasebank, render_draft
from mailbot.drafting_limits import draft_length_findings
from mailbot.drafting_samples import sample_requests
from mailbot.model import Finding

REPO = Path(__file__).resolve().parents[1]
LANGUAGES = ("en", "nl", "lv", "th")

CheckFn = Callable[[str, str, str | None, str], list[Finding]]


def _requests(count: int) -> list[DraftRequest]:
    pool = [r for lang in LANGUAGES for intent in DEFAULT_INTENTS for r in sample_requests(lang, intent)]
    return list(islice(cycle(pool), count))


def _checker() -> CheckFn | None:
    try:
        from mailbot.policy.wording import load_wording_policy
        from mailbot.wording import WordingChecker
    except ImportError:
        return None
    return WordingChecker(load_wording_policy(REPO / "policies" / "wording")).check


def _rate(requests: list[DraftRequest], work: Callable[[DraftRequest], object]) -> float:
    began = time.perf_counter()
    for request in requests:
        work(request)
    return len(requests) / (time.perf_counter() - began)


def run(quick: bool = False) -> dict[str, float | str]:
    """Drafts per second for render, render + word limit (best of two), and render + limit + wording."""
    count = 1_000 if quick else 10_000
    began = time.perf_counter()
    bank = Phrasebank.load(REPO / "phrasebank")
    load_ms = (time.perf_counter() - began) * 1000
    requests = _requests(count)
    check = _checker()

    def render(request: DraftRequest) -> object:
        return render_draft(bank, request)

    def render_limit(request: DraftRequest) -> object:
        return draft_length_findings(bank, request, render_draft(bank, request))

    def render_all(request: DraftRequest) -> object:
        draft = render_draft(bank, request)
        findings = draft_length_findings(bank, request, draft)
        if check is not None:
            findings += check(draft.text, draft.language, draft.intent, request.channel.value)
        return findings

    warm = requests[: len(LANGUAGES) * len(DEFAULT_INTENTS) * 7]
    for request in warm:
        render_all(request)
    result: dict[str, float | str] = {
        "messages": float(count),
        "phrasebank_load_ms": round(load_ms, 1),
        "render_per_s": round(max(_rate(requests, render) for _ in range(2))),
        "render_and_word_limit_per_s": round(max(_rate(requests, render_limit) for _ in range(2))),
    }
    if check is not None:
        result["render_and_wording_check_per_s"] = round(_rate(requests, render_all))  # one round: ~25 s
    result["note"] = "en/nl/lv/th x 12 intents x 7 sample variants, cycled; wording check " + (
        "included" if check is not None else "skipped (mailbot.wording not available)"
    )
    return result


if __name__ == "__main__":
    for name, value in run().items():
        print(f"{name}: {value}")
