"""The approved phrasebank as clean examples for the wording classifier.

Replies are drafted from the phrasebank, so its sentences are the text the
wording check sees most, and they are approved: clean by definition. The
classifier rules (:mod:`mailbot.wording_model`) learn "clean" only from the
clean sentences in ``policies/wording/examples/<lang>.jsonl``; without the
phrasebank's greetings and closings there they flagged "Dear Emma
Johnson," as a risk. This module renders every template with the sample
messages (as ``mailbot phrasebank check`` does), splits the drafts into the
units the classifier scores, and yields the sentences an examples file does
not hold yet, as clean example lines with ids ``<lang>.phrasebank.NNN``.

Run ``mailbot phrasebank examples --write`` after changing the phrasebank.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path

from mailbot.drafting_check import check_phrasebank
from mailbot.model import Finding
from mailbot.nlp.tokens import tokenize
from mailbot.wording_model import PHRASEBANK_ID, units_of


def rendered_sentences(root: Path, intents: tuple[str, ...] | None = None) -> dict[str, list[str]]:
    """Every distinct sentence (classifier unit) of every rendered template, per language."""
    drafts: dict[str, list[str]] = defaultdict(list)

    def record(text: str, language: str, intent: str | None, channel: str) -> list[Finding]:
        drafts[language].append(text)
        return []

    check_phrasebank(root, intents=intents, check=record)
    out: dict[str, list[str]] = {}
    for language, texts in sorted(drafts.items()):
        seen: dict[str, None] = {}
        for text in texts:
            for unit in units_of(text, tokenize(text, language, keep_breaks=True), language):
                sentence = text[unit.start : unit.end].strip()
                if len(sentence) > 1:
                    seen.setdefault(sentence)
        out[language] = list(seen)
    return out


def new_example_lines(language: str, existing: Iterable[str], sentences: Sequence[str]) -> list[str]:
    """JSONL lines for the sentences not in ``existing`` (lines of an examples file)."""
    texts: set[str] = set()
    last = 0
    for line in existing:
        if not line.strip():
            continue
        row = json.loads(line)
        texts.add(row["text"])
        match = PHRASEBANK_ID.search(str(row.get("id", "")))
        if match:
            last = max(last, int(match.group(1)))
    lines = []
    for sentence in sentences:
        if sentence in texts:
            continue
        texts.add(sentence)
        last += 1
        item = {"id": f"{language}.phrasebank.{last:03d}", "text": sentence, "spans": [], "near_miss": []}
        lines.append(json.dumps(item, ensure_ascii=False))
    return lines
