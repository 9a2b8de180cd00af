"""Measure wording rules against a labelled evaluation set.

An evaluation set holds one
JSON object per line::

    {"id": "en.dev.001", "text": "...", "intent": null,
     "spans": [{"category": "guarantee", "start": 3, "end": 12, "text": "guarantee"}],
     "near_miss": ["guarantee"]}

``spans`` are the risky passages; ``near_miss`` names the categories a clean
sentence was written to tempt (e.g. "we cannot guarantee"). Scoring, per
category:

* recall: a labelled span counts as found when a finding of the same
  category overlaps it;
* precision: a finding counts as right when it overlaps a labelled span of
  its category; any other finding (on a near-miss, a clean sentence, or
  elsewhere in a risky one) is a false positive. Findings of one category
  with the same span count once.

That is the official measure. ``--match sentence`` prints a second one, in
which a finding and a labelled span of the same category match when they
share a sentence (for Thai: a line). Labellers mark one span per risk, so a
second phrase of the same admission in the same sentence ("We admit that
[we made a mistake]") is a false alarm by span but not to a reviewer, who
reads the flagged sentence.

Scoring is a pure function of the items and the findings, so tests can feed
it hand-made findings; :func:`evaluate` runs a checker for convenience, and
``python -m mailbot.wording_eval [--split test] [--rules-only] [-v]`` prints
the table of every language (``-v`` lists each miss and false alarm).

Where the sets live: the **dev** split is the wording policy's own labelled
examples, ``policies/wording/examples/<lang>.jsonl``: the rules are written
against it and the classifier rules are trained on it, so dev figures show
fit, not generalisation. The **test** split, ``data/wording_eval/<lang>.test.jsonl``,
is held out: written by someone who had not seen the rules, never used to
tune them.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from mailbot.model import Finding

if TYPE_CHECKING:
    from mailbot.policy.wording import WordingPolicy
    from mailbot.wording import WordingChecker


@dataclass(frozen=True)
class LabelledSpan:
    """A risky passage: ``text[start:end]`` belongs to ``category``."""

    category: str
    start: int
    end: int


@dataclass(frozen=True)
class EvalItem:
    """One labelled sentence or short draft."""

    id: str
    text: str
    spans: tuple[LabelledSpan, ...] = ()
    near_miss: tuple[str, ...] = ()
    intent: str | None = None


@dataclass
class CategoryScore:
    """Counts for one category; precision and recall derive from them."""

    spans: int = 0
    spans_found: int = 0
    findings: int = 0
    findings_right: int = 0
    missed: list[str] = field(default_factory=list)
    false_alarms: list[str] = field(default_factory=list)

    @property
    def recall(self) -> float:
        """Share of labelled spans found (1.0 when there is nothing to find)."""
        return self.spans_found / self.spans if self.spans else 1.0

    @property
    def precision(self) -> float:
        """Share of findings that are right (1.0 when nothing was flagged)."""
        return self.findings_right / self.findings if self.findings else 1.0


def parse_eval_set(lines: Iterable[str], *, source: str = "<eval>") -> list[EvalItem]:
    """Read JSONL lines into items; a span whose text does not match is an error."""
    items: list[EvalItem] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            text = raw["text"]
            spans = []
            for span in raw.get("spans", []):
                labelled = LabelledSpan(span["category"], span["start"], span["end"])
                if "text" in span and text[labelled.start : labelled.end] != span["text"]:
                    raise ValueError(f"span text {span['text']!r} does not match offsets")
                spans.append(labelled)
            item = EvalItem(raw["id"], text, tuple(spans), tuple(raw.get("near_miss", [])), raw.get("intent"))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            detail = f"missing key {exc}" if isinstance(exc, KeyError) else str(exc)
            raise ValueError(f"{source}:{number}: {detail}") from exc
        items.append(item)
    return items


def load_eval_set(path: Path) -> list[EvalItem]:
    """Read one ``.jsonl`` evaluation file."""
    with path.open(encoding="utf-8") as handle:
        return parse_eval_set(handle, source=str(path))


Sentences = Sequence[tuple[int, int]]


def score(
    items: Sequence[EvalItem],
    findings: Sequence[Sequence[Finding]],
    categories: Iterable[str] = (),
    sentences: Sequence[Sentences] | None = None,
) -> dict[str, CategoryScore]:
    """Score findings (one list per item, same order) per category.

    With ``sentences`` (the ``(start, end)`` of each item's sentences), a
    finding and a labelled span match when they share a sentence, not only
    when they overlap.
    """
    if len(items) != len(findings) or (sentences is not None and len(sentences) != len(items)):
        raise ValueError("need exactly one list of findings (and of sentences) per item")
    scores: dict[str, CategoryScore] = {name: CategoryScore() for name in categories}
    for index, (item, found) in enumerate(zip(items, findings, strict=True)):
        widen = _widener(sentences[index]) if sentences is not None else _same
        spans = [(s, *widen(s.start, s.end)) for s in item.spans]
        for span, start, end in spans:
            entry = scores.setdefault(span.category, CategoryScore())
            entry.spans += 1
            if any(
                f.category == span.category and _overlaps(*widen(f.start, f.end), start, end) for f in found
            ):
                entry.spans_found += 1
            else:
                entry.missed.append(f"{item.id}: {item.text[span.start : span.end]!r}")
        for category, start, end in sorted({(f.category, f.start, f.end) for f in found}):
            entry = scores.setdefault(category, CategoryScore())
            entry.findings += 1
            wide = widen(start, end)
            if any(_overlaps(*wide, a, b) for s, a, b in spans if s.category == category):
                entry.findings_right += 1
            else:
                entry.false_alarms.append(f"{item.id}: {item.text[start:end]!r}")
    return scores


def evaluate(
    items: Sequence[EvalItem],
    check: Callable[[str, str | None], Sequence[Finding]],
    categories: Iterable[str] = (),
    sentences: Sequence[Sentences] | None = None,
) -> dict[str, CategoryScore]:
    """Run ``check(text, intent)`` on every item and score the results."""
    return score(items, [check(item.text, item.intent) for item in items], categories, sentences)


def sentences_of(items: Sequence[EvalItem], language: str) -> list[list[tuple[int, int]]]:
    """Each item's sentences, as the wording checker splits them (a Thai sentence is a line)."""
    from mailbot.nlp.tokens import sentences, tokenize

    return [
        [(s.start, s.end) for s in sentences(tokenize(i.text, language, keep_breaks=True))] for i in items
    ]


def _same(start: int, end: int) -> tuple[int, int]:
    return start, end


def _widener(sentences: Sentences) -> Callable[[int, int], tuple[int, int]]:
    """Widen a span to the sentences it touches (an empty span stays empty)."""

    def widen(start: int, end: int) -> tuple[int, int]:
        touched = [(a, b) for a, b in sentences if a < end and start < b]
        if start == end or not touched:
            return start, end
        return min(start, touched[0][0]), max(end, touched[-1][1])

    return widen


def _overlaps(start: int, end: int, span_start: int, span_end: int) -> bool:
    if start == end:  # a document-level finding (missing required text) covers the draft
        return True
    return start < span_end and span_start < end


def format_scores(language: str, scores: Mapping[str, CategoryScore], *, verbose: bool = False) -> list[str]:
    """One line per category: recall and precision with their counts."""
    lines = []
    for category, entry in scores.items():
        lines.append(
            f"{language}  {category:22} recall {entry.recall:.2f} ({entry.spans_found}/{entry.spans})"
            f"  precision {entry.precision:.2f} ({entry.findings_right}/{entry.findings})"
        )
        if verbose:
            lines += [f"    missed       {m}" for m in entry.missed]
            lines += [f"    false alarm  {f}" for f in entry.false_alarms]
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    """Print the scores of the shipped rules on one split of every language."""
    # imported here: scoring stays importable without spaCy or the rules
    from mailbot.policy.wording import load_wording_policy
    from mailbot.wording import WordingChecker

    parser = argparse.ArgumentParser(prog="python -m mailbot.wording_eval")
    parser.add_argument("--split", default="test", choices=["dev", "test"])
    parser.add_argument("--rules", type=Path, default=Path("policies/wording"))
    parser.add_argument(
        "--data", type=Path, default=Path("data/wording_eval"), help="where the held-out test splits are"
    )
    parser.add_argument(
        "--rules-only", action="store_true", help="leave out the classifier rules (they are trained on dev)"
    )
    parser.add_argument("--language", action="append", help="only this language (repeatable)")
    parser.add_argument(
        "--match",
        choices=["span", "sentence"],
        default="span",
        help="span (official): a finding must overlap the labelled span; sentence: share its sentence",
    )
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    policy = load_wording_policy(args.rules)
    if args.rules_only:
        policy = without_classifiers(policy)
    checker = WordingChecker(policy)
    for language in args.language or sorted(policy.languages):
        path = eval_path(args.split, language, rules=args.rules, data=args.data)
        if not path.exists():
            continue
        items = load_eval_set(path)
        by_sentence = sentences_of(items, language) if args.match == "sentence" else None
        scores = evaluate(items, _checker_for(checker, language), policy.categories, by_sentence)
        sys.stdout.write("\n".join(format_scores(language, scores, verbose=args.verbose)) + "\n")
    return 0


def eval_path(split: str, language: str, *, rules: Path, data: Path) -> Path:
    """Where a split lives: dev is the rules' own examples, test is held out in ``data``."""
    if split == "dev":
        return rules / "examples" / f"{language}.jsonl"
    return data / f"{language}.{split}.jsonl"


def without_classifiers(policy: WordingPolicy) -> WordingPolicy:
    """The same policy without its classifier rules (to score the phrase rules alone)."""
    from mailbot.policy.wording import ClassifierRule

    rules = tuple(rule for rule in policy.rules if not isinstance(rule, ClassifierRule))
    return dataclasses.replace(policy, rules=rules)


def _checker_for(checker: WordingChecker, language: str) -> Callable[[str, str | None], list[Finding]]:
    def check(text: str, intent: str | None) -> list[Finding]:
        return checker.check(text, language, intent)

    return check


if __name__ == "__main__":
    raise SystemExit(main())
